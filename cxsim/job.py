"""A job: the scenarios, points and replicates of one command and how to run them.

One ``Job`` carries every option from the command line through the plan into the results
folder's metadata, so an option is named once. ``execute`` checks the job's limits, opens the
folder, runs what is missing with a progress bar (elapsed time and time remaining), and writes the
tables, figures and the summary table shown at the end.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import warnings
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from . import cluster, outputs
from .figures import draw_figures
from .limits import (
    DEFAULT_MAX_CUSTOMER_WEEKS,
    DEFAULT_MAX_RUNS,
    LimitError,
    PlanCost,
    check_runs,
    choose_workers,
    plan_cost,
)
from .results import assemble, metadata
from .runner import RunSpec, make_plan, run_plan, scenario_labels
from .scenario import Scenario, current_key, parse_value
from .schema import ScenarioDeprecation
from .store import ResultStore, StoreError

__all__ = ["Interrupted", "Job", "JobError", "execute", "say"]

# user text (file names, keys, values) is shown verbatim: no markup, no emoji codes
out_console = Console(width=None if Console().is_terminal else 140, emoji=False, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

#: the end-of-run metrics shown in the table at the end of a job (all are in summary.csv)
SHOWN = outputs.HEADLINE


class JobError(Exception):
    """A job that must not start (bad options, over a limit): one line, exit code 2."""


class Interrupted(Exception):
    """The job stopped on a signal after saving what was finished; ``code`` is the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def say(text: str) -> None:
    """One line on stderr, shown verbatim."""
    err_console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)


@dataclass(frozen=True)
class Job:
    """Everything one command asks for; the single source of the plan and the metadata."""

    command: str
    scenarios: list[Scenario]
    out: Path
    replicates: int = 10
    seed: int = 42
    points: list[dict[str, Any]] = field(default_factory=list)
    record: str = "every"
    spells: bool = True
    workers: int | None = None
    resume: bool = False
    overwrite: bool = False
    max_runs: int = DEFAULT_MAX_RUNS
    max_customer_weeks: float = DEFAULT_MAX_CUSTOMER_WEEKS
    #: a sweep's ``--baseline key=value[,key=value]``: the point differences.csv compares to
    baseline: str | None = None
    #: ``--scheduler``: a Dask cluster's ``tcp://HOST:PORT``, ``local``, or None (this machine's
    #: process pool); results are the same either way
    scheduler: str | None = None

    def check(self) -> None:
        """Refuse bad options before anything is built or written."""
        if self.seed < 0:
            raise JobError(f"--seed must be >= 0, got {self.seed}")
        if self.resume and self.overwrite:
            raise JobError("give --resume or --overwrite, not both")
        if self.replicates < 1:
            raise JobError(f"--replicates must be >= 1, got {self.replicates}")
        runs = len(self.scenarios) * max(len(self.points), 1) * self.replicates
        try:
            check_runs(runs, self.max_runs)
        except LimitError as exc:
            raise JobError(str(exc)) from None
        self.baseline_point()

    def baseline_point(self) -> int | None:
        """The index of the point ``baseline`` names (None without a baseline); a ``JobError``
        if it names no point of the sweep, or several."""
        if self.baseline is None:
            return None
        return _find_point(self.baseline, self.points)

    def plan(self) -> list[RunSpec]:
        """Every run of the job, with seeds spawned from ``seed`` (common random numbers)."""
        return make_plan(
            self.scenarios, self.replicates, self.seed, self.points, self.record, self.spells
        )

    def options(self) -> dict[str, Any]:
        """The job's options as plain data (for metadata.json)."""
        data = asdict(self)
        data.pop("scenarios")
        data["out"] = str(self.out)
        return data

    def metadata(self, plan: list[RunSpec], workers: int) -> dict[str, Any]:
        """The results folder's self-description: resolved scenarios, seeds, options."""
        varied = {
            k: sorted({p[k] for p in self.points if k in p}, key=str)
            for k in dict.fromkeys(k for p in self.points for k in p)
        }
        resolved = {
            label: s.model_dump(mode="json")
            for label, s in zip(scenario_labels(self.scenarios), self.scenarios, strict=True)
        }
        extra = {"varied": varied, "record": self.record, "workers": workers}
        extra["options"] = {**self.options(), "workers": workers}
        if (base := self.baseline_point()) is not None:
            extra["baseline"] = {"point": base, "values": self.points[base]}
        return metadata(self.command, resolved, plan, self.seed, self.replicates, extra)


def _same(a: Any, b: Any) -> bool:
    """Equal values; numbers within float noise (``0.6`` names ``0.6000000000000001``)."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) if numbers else a == b


def _find_point(text: str, points: list[dict[str, Any]]) -> int:
    """The index of the one point of ``points`` that ``--baseline key=value[,...]`` names."""
    named: dict[str, Any] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise JobError(f"--baseline {text!r}: expected key.path=value[,key.path=value]")
        with warnings.catch_warnings():  # an old key name: --vary has said so already
            warnings.simplefilter("ignore", ScenarioDeprecation)
            named[current_key(key.strip(), "--baseline")] = parse_value(value.strip())
    varied = list(dict.fromkeys(k for p in points for k in p))
    if not points:
        raise JobError(f"--baseline {text}: there is no sweep point to name")
    unknown = [k for k in named if k not in varied]
    if unknown:
        raise JobError(
            f"--baseline {text}: {unknown[0]} is not varied by this sweep"
            f" (varied: {', '.join(varied)})"
        )
    found = [
        i
        for i, point in enumerate(points)
        if all(k in point and _same(point[k], v) for k, v in named.items())
    ]
    if not found:
        takes = "; ".join(
            f"{k} takes {', '.join(dict.fromkeys(str(p[k]) for p in points if k in p))}"
            for k in named
        )
        raise JobError(f"--baseline {text}: names no point of the sweep ({takes})")
    if len(found) > 1:
        raise JobError(
            f"--baseline {text}: names {len(found)} points of the sweep; give a value for each"
            f" varied key ({', '.join(varied)})"
        )
    return found[0]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(job: Job, plan: list[RunSpec]) -> tuple[PlanCost, int]:
    cost = plan_cost([s.scenario for s in plan])
    try:
        if cost.customer_weeks > job.max_customer_weeks:
            raise LimitError(
                f"the job is {cost.customer_weeks:.3g} customer-weeks ({len(plan):,} runs, about"
                f" {_duration(cost.seconds(os.cpu_count() or 1))} here), over the limit of"
                f" {job.max_customer_weeks:.3g} (raise it with --max-customer-weeks)"
            )
        return cost, choose_workers(job.workers, cost)
    except LimitError as exc:
        raise JobError(str(exc)) from None


def execute(job: Job) -> bool:
    """Run the job into its folder; return True if every run succeeded.

    Raises ``JobError`` or ``StoreError`` (nothing run), or ``Interrupted`` after a signal
    (finished runs saved). ``KeyboardInterrupt`` subclasses carrying a ``code`` set its code.
    """
    job.check()
    plan = job.plan()
    cost, workers = _size(job, plan)
    # the cluster first: one that cannot be reached stops the job before anything is written
    with cluster.executor(job.scheduler, workers) as pool, ResultStore(job.out, plan) as store:
        done = store.open(resume=job.resume, overwrite=job.overwrite)
        failed = _run(job, store, plan, done, cost, workers, pool)
        say("assembling tables and figures ...")
        big = cost.peak_run_bytes >= _BIG_RUN_BYTES
        give_back_memory(big)
        tables = assemble(
            store,
            job.metadata(plan, workers),
            compare=job.command == "compare",
            baseline_point=job.baseline_point(),
        )
        give_back_memory(big)
        draw(store)
        _report(tables["summary"], store.out, job.command)
    if failed or (tables["runs"]["status"] != "ok").any():
        say(f"{failed} run(s) failed; see {job.out / 'runs.csv'}")
        return False
    return True


#: a run's estimated peak from which the job hands freed memory back between its phases (about
#: 250,000 customers; a full collection costs 0.1 s, more than a small job's memory is worth)
_BIG_RUN_BYTES = 100 * 2**20


def give_back_memory(big: bool = True) -> None:
    """Hand the memory the last phase freed back to the operating system before the next
    one, if the job is ``big``: the C library and Arrow keep freed memory for reuse, so a
    million-customer run's arrays, then its tables, would otherwise stay resident under the
    figures."""
    if not big:
        return
    import ctypes

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _run(
    job: Job,
    store: ResultStore,
    plan: list[RunSpec],
    done: set[str],
    cost: PlanCost,
    workers: int,
    pool: Executor | None = None,
) -> int:
    """Run what is not done, writing each run as it finishes (on ``pool`` if given, a Dask
    cluster's executor); return the number that failed."""
    todo = [s for s in plan if s.run_id not in done]
    if store.redone:
        say(f"resuming: {len(store.redone)} finished run(s) failed their data check and are redone")
    if done:
        say(f"resuming: {len(done)} of {len(plan)} runs already finished")
    todo_seconds = cost.seconds(workers) * len(todo) / max(len(plan), 1)
    if todo_seconds > 60:
        say(f"{len(todo):,} runs to do: roughly {_duration(todo_seconds)} on {workers} worker(s)")
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    failed = 0
    try:
        with progress:
            names = {s.scenario_name for s in plan}
            task = progress.add_task(
                f"{job.command} ({len(names)} scenario(s))", total=len(plan), completed=len(done)
            )
            for result in run_plan(todo, workers=workers, executor=pool):
                store.write(result)
                if result.status != "ok":
                    failed += 1
                    say(f"run {result.spec.run_id} failed: {result.error}")
                progress.advance(task)
    except KeyboardInterrupt as exc:
        say(
            f"interrupted: {len(store.finished())} of {len(plan)} runs are saved in {job.out};"
            " run the same command with --resume to finish"
        )
        raise Interrupted(getattr(exc, "code", 130)) from None
    except StoreError as exc:
        finished = len(store.finished())
        raise StoreError(f"{exc} ({finished} of {len(plan)} runs are saved)") from None
    return failed


def draw(store: ResultStore, strict: bool = False) -> list[Path]:
    """Draw the figures; a figure that cannot be drawn is a warning, never a failed job.

    With ``strict`` (``cxsim plot``, whose only job is the figures) an unreadable folder is an
    error.
    """
    try:
        return draw_figures(
            store.out, warn=lambda line: say(f"warning: {line}"), can_write=store.claim
        )
    except StoreError as exc:
        if strict:
            raise
        say(f"warning: figures not drawn ({exc})")
        return []
    except Exception as exc:  # the tables are written; losing figures must not fail the job
        say(f"warning: figures not drawn ({type(exc).__name__}: {exc})")
        return []


_STAT_COLUMNS = {
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "firm_position",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
}


def _report(summary: pd.DataFrame, out: Path, command: str) -> None:
    """The table shown at the end: headline metrics with 95% half-widths (and Δ for compare)."""
    if summary.empty:
        return
    versus = "; Δ vs the first scenario" if command == "compare" else ""
    table = Table(
        title=f"End of run: mean ±95% CI half-width across replicates{versus} "
        f"({out / 'summary.csv'})"
    )
    keys = [c for c in summary.columns if c not in _STAT_COLUMNS]
    for k in keys:
        table.add_column(k)
    for m in SHOWN:
        table.add_column(m, justify="right")
    for key, group in summary.groupby(keys, sort=False, dropna=False):
        cells = [str(v) for v in (key if isinstance(key, tuple) else (key,))]
        by_metric = group.set_index("metric")
        for m in SHOWN:
            r = by_metric.loc[m]
            cell = f"{r['mean']:.3g} ±{(r['ci_high'] - r['ci_low']) / 2:.2g}"
            if command == "compare" and pd.notna(r.get("diff_mean")) and r.get("diff_mean") != 0:
                cell += f" (Δ {r['diff_mean']:+.2g})"
            cells.append(cell)
        table.add_row(*cells)
    out_console.print(table)
    out_console.print(f"results: {out}  figures: {out / 'figures'}")
