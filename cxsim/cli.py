"""The ``cxsim`` command: run, compare, sweep, validate, plot.

Exit codes: 0 success, 1 a run failed (the others are kept), 2 bad input or an unusable output
folder (one line on stderr, nothing written), 130 interrupted by Ctrl-C and 143 by SIGTERM
(129 SIGHUP): finished runs kept; rerun with ``--resume``.
Set ``CXSIM_DEBUG=1`` to see a traceback instead of the one-line message.
"""

from __future__ import annotations

import functools
import math
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .figures import draw_figures
from .limits import (
    DEFAULT_MAX_CUSTOMER_WEEKS,
    DEFAULT_MAX_RUNS,
    LimitError,
    check_runs,
    choose_workers,
    plan_cost,
)
from .results import assemble, metadata
from .runner import grid, make_plan, parse_vary, run_plan, scenario_labels
from .scenario import Scenario, ScenarioError, apply_overrides, load_scenario, parse_value
from .store import ResultStore, StoreError, open_for_figures

app = typer.Typer(
    name="cxsim",
    help="Culture vs. strategy in customer experience: run, compare and sweep scenarios.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
# user text (file names, keys, values) is shown verbatim: no markup, no emoji codes
out_console = Console(width=None if Console().is_terminal else 140, emoji=False, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_SEED = 42


class InputError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: finished runs are kept."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def _exit_code(exc: KeyboardInterrupt) -> int:
    return exc.code if isinstance(exc, Terminated) else 130


def _say(text: str) -> None:
    """One line on stderr, shown verbatim."""
    err_console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)


def _one_line_errors(func: F) -> F:
    """Turn known errors into one line on stderr and an exit code; no traceback.

    SIGTERM and SIGHUP are turned into the same clean stop as Ctrl-C.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                previous[sig] = signal.signal(sig, _terminate)
        try:
            return func(*args, **kwargs)
        except (ScenarioError, StoreError, InputError) as exc:
            if os.environ.get("CXSIM_DEBUG"):
                raise
            _say(f"error: {exc}")
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:
            _say("interrupted")
            raise typer.Exit(_exit_code(exc)) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- input


def _parse_sets(sets: list[str]) -> dict[str, Any]:
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected key.path=value")
        out[key.strip()] = parse_value(value)
    return out


def _load(paths: list[Path], sets: list[str], steps: int | None) -> list[Scenario]:
    overrides = _parse_sets(sets)
    if steps is not None:
        if steps < 1:
            raise InputError(f"--steps must be >= 1, got {steps}")
        overrides["steps"] = steps
    scenarios = []
    for path in paths:
        scenario = load_scenario(path)
        if overrides:
            try:
                scenario = apply_overrides(scenario, overrides)
            except ScenarioError as exc:
                raise ScenarioError(f"{path.name}: --set {exc}") from None
        scenarios.append(scenario)
    return scenarios


def _design(path: Path, max_runs: int) -> list[dict[str, Any]]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such design file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read the design table ({exc})") from None
    if table.empty or len(table.columns) == 0:
        raise InputError(f"{path}: the design table has no rows")
    try:
        check_runs(len(table), max_runs)
    except LimitError as exc:
        raise InputError(f"{path}: {exc}") from None
    return [{k: parse_value(v) for k, v in row.items()} for row in table.to_dict("records")]


# --------------------------------------------------------------------------- execution


def _out_folder(out: str) -> Path:
    """The --out folder as the user meant it: never empty, ``~`` expanded once, here."""
    if not out.strip():
        raise InputError("--out is empty: give the folder to write results to")
    return Path(out).expanduser()


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _execute(
    command: str,
    scenarios: list[Scenario],
    replicates: int,
    seed: int,
    workers: int | None,
    out: str,
    resume: bool,
    overwrite: bool,
    limits: tuple[int, float],
    points: list[dict[str, Any]] | None = None,
    record: str = "every",
    spells: bool = True,
) -> None:
    max_runs, max_customer_weeks = limits
    folder = _out_folder(out)
    if seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    if resume and overwrite:
        raise InputError("give --resume or --overwrite, not both")
    if replicates < 1:
        raise InputError(f"--replicates must be >= 1, got {replicates}")
    try:
        check_runs(len(scenarios) * len(points or [{}]) * replicates, max_runs)
        plan = make_plan(scenarios, replicates, seed, points, record, spells)
        cost = plan_cost([s.scenario for s in plan])
        if cost.customer_weeks > max_customer_weeks:
            raise LimitError(
                f"the job is {cost.customer_weeks:.3g} customer-weeks ({len(plan):,} runs, about"
                f" {_duration(cost.seconds(os.cpu_count() or 1))} here), over the limit of"
                f" {max_customer_weeks:.3g} (raise it with --max-customer-weeks)"
            )
        workers = choose_workers(workers, cost)
    except LimitError as exc:
        raise InputError(str(exc)) from None
    with ResultStore(folder, plan) as store:
        done = store.open(resume=resume, overwrite=overwrite)
        _run_and_report(
            command, store, plan, done, scenarios, seed, replicates, workers, cost, points, record
        )


def _run_and_report(
    command: str,
    store: ResultStore,
    plan: list[Any],
    done: set[str],
    scenarios: list[Scenario],
    seed: int,
    replicates: int,
    workers: int,
    cost: Any,
    points: list[dict[str, Any]] | None,
    record: str,
) -> None:
    out = store.out
    todo = [s for s in plan if s.run_id not in done]
    names = [s.scenario_name for s in plan]
    varied = {
        k: sorted({p[k] for p in points or [{}] if k in p}, key=str)
        for k in dict.fromkeys(k for p in points or [] for k in p)
    }
    resolved = {
        label: s.model_dump(mode="json")
        for label, s in zip(scenario_labels(scenarios), scenarios, strict=True)
    }
    meta = metadata(
        command,
        resolved,
        plan,
        seed,
        replicates,
        {"varied": varied, "record": record, "workers": workers},
    )
    failed = 0
    if store.redone:
        _say(
            f"resuming: {len(store.redone)} finished run(s) failed their data check and are redone"
        )
    if done:
        _say(f"resuming: {len(done)} of {len(plan)} runs already finished")
    todo_cost = cost.seconds(workers) * len(todo) / max(len(plan), 1)
    if todo_cost > 60:
        _say(f"{len(todo):,} runs to do: roughly {_duration(todo_cost)} on {workers} worker(s)")
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    try:
        with progress:
            task = progress.add_task(
                f"{command} ({len(set(names))} scenario(s))", total=len(plan), completed=len(done)
            )
            for result in run_plan(todo, workers=workers):
                store.write(result)
                if result.status != "ok":
                    failed += 1
                    _say(f"run {result.spec.run_id} failed: {result.error}")
                progress.advance(task)
    except KeyboardInterrupt as exc:
        finished = len(store.finished())
        _say(
            f"interrupted: {finished} of {len(plan)} runs are saved in {out}; run the same"
            " command with --resume to finish"
        )
        raise typer.Exit(_exit_code(exc)) from None
    except StoreError as exc:
        finished = len(store.finished())
        raise StoreError(f"{exc} ({finished} of {len(plan)} runs are saved)") from None
    tables = assemble(store, meta, compare=command == "compare")
    _draw(store)
    _report(tables["summary"], out, command)
    if failed or (tables["runs"]["status"] != "ok").any():
        _say(f"{failed} run(s) failed; see {out / 'runs.csv'}")
        raise typer.Exit(1)


def _draw(store: ResultStore, strict: bool = False) -> list[Path]:
    """Draw the figures; a figure that cannot be drawn is a warning, never a failed job.

    With ``strict`` (``cxsim plot``, whose only job is the figures) an unreadable folder is an
    error.
    """
    try:
        return draw_figures(
            store.out, warn=lambda line: _say(f"warning: {line}"), can_write=store.claim
        )
    except StoreError as exc:
        if strict:
            raise
        _say(f"warning: figures not drawn ({exc})")
        return []
    except Exception as exc:  # the tables are written; losing figures must not fail the job
        _say(f"warning: figures not drawn ({type(exc).__name__}: {exc})")
        return []


def _report(summary: pd.DataFrame, out: Path, command: str) -> None:
    if summary.empty:
        return
    shown = [
        "retained",
        "churn_rate",
        "market_share",
        "culture_frontline",
        "invisible_quality",
        "visible_quality",
    ]
    table = Table(
        title=f"End of run: mean ±95% CI half-width across replicates; Δ vs the first scenario "
        f"({out / 'summary.csv'})"
    )
    keys = [
        c
        for c in summary.columns
        if c
        not in {
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
    ]
    for k in keys:
        table.add_column(k)
    for m in shown:
        table.add_column(m, justify="right")
    for key, group in summary.groupby(keys, sort=False, dropna=False):
        cells = [str(v) for v in (key if isinstance(key, tuple) else (key,))]
        by_metric = group.set_index("metric")
        for m in shown:
            r = by_metric.loc[m]
            cell = f"{r['mean']:.3g} ±{(r['ci_high'] - r['ci_low']) / 2:.2g}"
            if command == "compare" and pd.notna(r.get("diff_mean")) and r.get("diff_mean") != 0:
                cell += f" (Δ {r['diff_mean']:+.2g})"
            cells.append(cell)
        table.add_row(*cells)
    out_console.print(table)
    out_console.print(f"results: {out}  figures: {out / 'figures'}")


# --------------------------------------------------------------------------- commands

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
Replicates = Annotated[int, typer.Option("--replicates", "-r", help="replicates per scenario")]
Steps = Annotated[int | None, typer.Option(help="weeks to run (default: the scenario's steps)")]
Seed = Annotated[int, typer.Option(help="root seed; replicate seeds are spawned from it")]
Workers = Annotated[
    int | None, typer.Option(help="worker processes (default: the cores that memory allows)")
]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a scenario key, e.g. firms.0.cco.authority=1"),
]
Resume = Annotated[bool, typer.Option(help="keep finished runs in --out and do only the rest")]
Overwrite = Annotated[
    bool,
    typer.Option(help="replace an unfinished job's results in --out (its finished runs are lost)"),
]
MaxRuns = Annotated[int, typer.Option(help="refuse a job of more runs than this")]
MaxCustomerWeeks = Annotated[
    float, typer.Option(help="refuse a job of more customer-weeks (customers x weeks x runs)")
]


OutFolder = Annotated[
    str,
    typer.Option(help="output folder: new, empty, or written by cxsim (others are refused)"),
]


@app.command()
@_one_line_errors
def run(
    scenario: ScenarioArg,
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: OutFolder = "results/run",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
) -> None:
    """Run one scenario with replicates; write tables and figures to --out."""
    scenarios = _load([scenario], set_ or [], steps)
    limits = (max_runs, max_customer_weeks)
    _execute("run", scenarios, replicates, seed, workers, out, resume, overwrite, limits)


@app.command()
@_one_line_errors
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="scenario YAML files; the first is the baseline for differences"),
    ],
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: OutFolder = "results/compare",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
) -> None:
    """Compare scenarios on common random numbers; differences to the first with 95% CIs."""
    loaded = _load(scenarios, set_ or [], steps)
    limits = (max_runs, max_customer_weeks)
    _execute("compare", loaded, replicates, seed, workers, out, resume, overwrite, limits)


@app.command()
@_one_line_errors
def sweep(
    scenario: ScenarioArg,
    vary: Annotated[
        list[str] | None,
        typer.Option(help="key.path=v1,v2,... or key.path=lo:hi:n (repeat for a full grid)"),
    ] = None,
    design: Annotated[
        Path | None, typer.Option(help="CSV design table: one row per point, columns are key paths")
    ] = None,
    replicates: Replicates = 3,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    record: Annotated[str, typer.Option(help="record metrics 'every' step or only 'final'")] = (
        "final"
    ),
    out: OutFolder = "results/sweep",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
) -> None:
    """Sweep levers over a grid (--vary) or a design table (--design), with replicates."""
    if bool(vary) == (design is not None):
        raise InputError("give either --vary (one or more) or --design, not both or neither")
    loaded = _load([scenario], set_ or [], steps)
    if design is not None:
        points = _design(design, max_runs)
    else:
        varies: dict[str, list[Any]] = {}
        for item in vary or []:
            key, values = parse_vary(item, max_points=max_runs)
            if key in varies:
                raise InputError(f"--vary {key} is given twice; give all its values in one --vary")
            varies[key] = values
        try:
            check_runs(math.prod(len(v) for v in varies.values()), max_runs)
        except LimitError as exc:
            raise InputError(str(exc)) from None
        points = grid(varies)
    limits = (max_runs, max_customer_weeks)
    _execute(
        "sweep",
        loaded,
        replicates,
        seed,
        workers,
        out,
        resume,
        overwrite,
        limits,
        points,
        record,
        spells=False,
    )


@app.command()
@_one_line_errors
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files to check")],
) -> None:
    """Check scenario files without running them."""
    bad = 0
    for path in scenarios:
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            continue
        firms = ", ".join(f.name for f in s.firms)
        out_console.print(
            f"ok {path}: {s.name}, {s.steps} weeks, firms {firms}", markup=False, highlight=False
        )
    if bad:
        raise typer.Exit(2)


@app.command()
@_one_line_errors
def plot(
    folder: Annotated[Path, typer.Argument(help="a results folder written by cxsim")],
) -> None:
    """Redraw the figures of a results folder from its saved tables (never re-runs)."""
    with open_for_figures(folder.expanduser()) as store:
        written = _draw(store, strict=True)
    out_console.print(f"{len(written)} figure files in {folder / 'figures'}", markup=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
