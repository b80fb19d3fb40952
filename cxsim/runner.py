"""Replicates, comparisons and sweeps: plans of runs executed on any ``concurrent.futures``
executor, with seeds spawned from one root so results never depend on the worker count.

Workers receive plain data (a resolved scenario dict and a seed), never models. Each finished
run is handed back at once, so the caller can write it before the next one finishes.
The points of a sweep (grids, samples) come from :mod:`cxsim.designs`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import outputs
from .model import CXModel
from .scenario import Scenario, ScenarioError, apply_overrides
from .schema import Market

__all__ = [
    "RUN_LABELS",
    "SPELL_COLUMNS",
    "RunResult",
    "RunSpec",
    "failed_result",
    "label_rows",
    "make_plan",
    "run_metrics",
    "run_one",
    "run_plan",
    "scenario_labels",
]

#: end-of-run metrics written to summary.csv (per run and firm; declared in ``cxsim.outputs``)
METRICS = outputs.METRICS


@dataclass(frozen=True)
class RunSpec:
    """One run: everything a worker needs, as plain picklable data."""

    index: int
    run_id: str
    scenario: dict[str, Any]
    scenario_name: str
    replicate: int
    entropy: int
    spawn_key: tuple[int, ...]
    point: dict[str, Any] = field(default_factory=dict)
    record: str = "every"
    spells: bool = True
    point_index: int = 0  # the point's position in the sweep (the ``p`` of ``run_id``)

    @property
    def seed(self) -> int:
        """A 32-bit label of the replicate's seed (its first generated word), for tables."""
        return int(self.seed_sequence().generate_state(1)[0])

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


@dataclass
class RunResult:
    """What a run returns: its tables, or the error that stopped it."""

    spec: RunSpec
    status: str
    seconds: float
    error: str = ""
    timeseries: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    #: the run's spell log, ``SPELL_COLUMNS`` with ``firm`` categorical, the numbers ``int32``
    #: and without the run's labels: a run of a million customers has millions of spells, so
    #: the labels are added a batch of rows at a time as the table is written
    #: (:meth:`spell_batches`)
    spells: pd.DataFrame | None = None

    def spell_batches(self, rows: int = 1 << 16) -> Iterator[pd.DataFrame]:
        """The spell log as it is written, in batches of ``rows``: the run's labels, then
        ``SPELL_COLUMNS`` (``firm`` as a str column)."""
        if self.spells is None:
            return
        for start in range(0, max(len(self.spells), 1), rows):
            batch = self.spells.iloc[start : start + rows]
            written = {"firm": batch["firm"].astype(str)}  # the numbers as int64
            written.update({k: batch[k].astype(np.int64) for k in _SPELL_INTS})
            batch = batch.assign(**written)
            yield label_rows(batch.reset_index(drop=True), self.spec)

    def table(self, name: str) -> pd.DataFrame | None:
        """The run's table ``name`` (timeseries, metrics or spells) as it is written."""
        return self.labelled_spells() if name == "spells" else getattr(self, name)

    def labelled_spells(self) -> pd.DataFrame | None:
        """The whole spell log as it is written (one frame: for small runs and tests)."""
        if self.spells is None:
            return None
        return pd.concat(list(self.spell_batches()), ignore_index=True)


# --------------------------------------------------------------------------- plans


def scenario_labels(scenarios: list[Scenario]) -> list[str]:
    """Each scenario's name, made unique by its position when two share a name."""
    names = [s.name for s in scenarios]
    return [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]


def make_plan(
    scenarios: list[Scenario],
    replicates: int,
    root_seed: int,
    points: list[dict[str, Any]] | None = None,
    record: str = "every",
    spells: bool = True,
) -> list[RunSpec]:
    """Every (scenario, point, replicate) run, validated up front.

    Replicate r of every scenario and every point gets the same seed (common random numbers),
    so differences between scenarios are not blurred by different luck.
    """
    if replicates < 1:
        raise ScenarioError(f"--replicates must be >= 1, got {replicates}")
    if record not in {"every", "final"}:
        raise ScenarioError(f"--record must be 'every' or 'final', got {record!r}")
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    points = points or [{}]
    plan: list[RunSpec] = []
    for s_idx, (scenario, label) in enumerate(
        zip(scenarios, scenario_labels(scenarios), strict=True)
    ):
        for p_idx, point in enumerate(points):
            resolved = apply_overrides(scenario, point) if point else scenario
            data = resolved.model_dump(mode="json")
            for r, child in enumerate(children):
                plan.append(
                    RunSpec(
                        index=len(plan),
                        run_id=f"s{s_idx}-p{p_idx}-r{r}",
                        scenario=data,
                        scenario_name=label,
                        replicate=r,
                        entropy=int(child.entropy),
                        spawn_key=tuple(int(k) for k in child.spawn_key),
                        point=dict(point),
                        record=record,
                        spells=spells,
                        point_index=p_idx,
                    )
                )
    return plan


# --------------------------------------------------------------------------- one run


def run_metrics(ts: pd.DataFrame, spells: pd.DataFrame, steps: int, market: Market) -> pd.DataFrame:
    """End-of-run metrics per firm (``cxsim.outputs.END_METRICS``), with the firm's position;
    ``market``: the run's market parameters, which some reducers read."""
    out = outputs.end_of_run(ts, spells, market)
    out.index.name = "firm"
    out = out.reset_index()
    out.insert(1, "firm_position", range(len(out)))
    return out


#: the columns that label every row of a run's tables, in order, before the point's varied keys
RUN_LABELS: dict[str, str] = {
    "run_id": "the run, `s<scenario>-p<point>-r<replicate>` (indices)",
    "scenario": "the scenario's name (with `#<position>` when two share a name)",
    "point": "the point's index in the sweep grid, sample or design table (0 without one)",
    "replicate": "the replicate, from 0; replicate r of every scenario and point shares a seed",
    "seed": "a 32-bit label of the replicate's seed (its first generated word)",
}
#: the columns of a run's spell log after its labels: one row per customer spell at a firm
#: (``customer``, ``firm`` and ``start_step`` are ``CXModel.customer_spells()``'s; its
#: ``end_step`` is ``start_step + duration`` where ``event`` is true, and its ``churned`` is
#: ``event``)
SPELL_COLUMNS: dict[str, str] = {
    "customer": "the customer's index in the run (0 to customers - 1), as in"
    " `CXModel.customer_spells()`; a customer who switched has one spell per firm",
    "firm": "the firm's name",
    "start_step": "the week the spell began (0: a customer of the firm at the start)",
    "duration": "weeks the spell lasted (to the end of the run if it did not end)",
    "event": "True if the spell ended in churn, False if still running at the end (censored)",
}

#: the spell log's integer columns: kept as int32 in a run's result, written as int64
_SPELL_INTS = ("customer", "start_step", "duration")


def label_rows(df: pd.DataFrame, spec: RunSpec) -> pd.DataFrame:
    """``df`` with the run's labels in front: ``RUN_LABELS``, then the point's varied keys."""
    values = {
        "run_id": spec.run_id,
        "scenario": spec.scenario_name,
        "point": spec.point_index,
        "replicate": spec.replicate,
        "seed": spec.seed,
    }
    front = {k: values[k] for k in RUN_LABELS}
    front.update(spec.point)
    if all(v is None or isinstance(v, str | int | float) for v in front.values()):
        # scalars broadcast to the rows (same dtypes as a list of them, without the lists: a
        # run of a million customers has millions of spell rows)
        labels = pd.DataFrame(front, index=df.index)
    else:
        labels = pd.DataFrame({k: [v] * len(df) for k, v in front.items()}, index=df.index)
    return pd.concat([labels, df], axis=1)


#: customers from which a finished model is collected at once (a full collection costs
#: milliseconds, more than a small run's arrays are worth)
_COLLECT_AT = 100_000


def _forget(model: CXModel) -> None:
    """Let a finished model be freed: Mesa's ``Agent`` class numbers agents per model in a
    class-level dict keyed by the model (``Agent._ids``, mesa 3.3), which would otherwise keep
    every model of a long sweep, and its arrays, alive in the process that ran it."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def run_one(spec: RunSpec) -> RunResult:
    """Run one spec to completion; an exception becomes a failed result, never a crash."""
    start = time.perf_counter()
    try:
        scenario = Scenario.model_validate(spec.scenario)
        model = CXModel(scenario, rng=np.random.default_rng(spec.seed_sequence()))
        try:
            model.run()
            model.release_work_arrays()  # before the spell table is built
            ts = model.timeseries()
            cols = model.spells.columns(model.customers, scenario.steps)
            firms = model.firm_names
        finally:
            _forget(model)
            del model  # its arrays are not needed for the tables below
            if scenario.market.customers >= _COLLECT_AT:
                gc.collect()  # its staff refer to it: freed now, not at some later collection
        cols["firm"] = pd.Categorical.from_codes(cols["firm"], categories=firms)
        spells = pd.DataFrame({k: cols.pop(k) for k in SPELL_COLUMNS}, copy=False)
        metrics = run_metrics(ts, spells, scenario.steps, scenario.market)
        if spec.record == "final":
            ts = ts[ts["step"] == ts["step"].max()]
        ts["firm"] = ts["firm"].astype(str)
        return RunResult(
            spec=spec,
            status="ok",
            seconds=time.perf_counter() - start,
            timeseries=label_rows(ts.reset_index(drop=True), spec),
            metrics=label_rows(metrics, spec),
            spells=spells if spec.spells else None,
        )
    except Exception as exc:  # a failed run is recorded, it does not stop the others
        return failed_result(spec, start, exc)


def failed_result(spec: RunSpec, start: float, exc: Exception) -> RunResult:
    """A run that raised ``exc``, started at ``perf_counter()`` time ``start``, as a failed
    result: the error and where it was raised, in one line (any ``run`` of :func:`run_plan`)."""
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
    return RunResult(
        spec=spec,
        status="error",
        seconds=time.perf_counter() - start,
        error=f"{type(exc).__name__}: {exc}{where}",
    )


# --------------------------------------------------------------------------- many runs


#: seconds between a worker's checks that its parent is still alive
PARENT_CHECK_SECONDS = 0.5


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:  # re-parented: the cxsim process is gone
            os._exit(1)


def _worker_init(parent: int) -> None:
    """Workers leave Ctrl-C to the parent, and exit as soon as the parent is gone.

    Without the watchdog a killed parent (SIGKILL) would leave its workers, each holding a
    few hundred MB, running to the end of their runs.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent:  # the parent died while this worker was starting
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent,), name="cxsim-parent-watch", daemon=True
    ).start()


def default_executor(workers: int) -> Executor:
    """A process pool started with 'spawn' (set on the pool, not globally)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now: an interrupted job must not wait for runs in progress."""
    # ProcessPoolExecutor has no public way to end running work; its worker processes are
    # multiprocessing.Process objects (CPython 3.8-3.13 keep them in _processes)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def run_plan(
    plan: Iterable[RunSpec],
    workers: int = 1,
    executor: Executor | None = None,
    run: Callable[[RunSpec], RunResult] = run_one,
) -> Iterator[RunResult]:
    """Yield each run's result as it finishes (in completion order).

    With ``workers == 1`` and no executor the runs happen in this process. Any
    ``concurrent.futures.Executor`` can be passed (a Dask client's executor, say). If a worker
    dies, its run and every run not yet finished come back as errors, to be redone with
    ``--resume``. Closing the generator early (Ctrl-C, SIGTERM, a full disk) cancels what has not
    started and ends the runs in progress of its own pool.
    """
    plan = list(plan)
    if executor is None and workers <= 1:
        for spec in plan:
            yield run(spec)
        return
    own = executor is None
    pool = default_executor(workers) if executor is None else executor
    futures: dict[Future[RunResult], RunSpec] = {}
    try:
        futures = {pool.submit(run, spec): spec for spec in plan}
        for fut in as_completed(futures):
            spec = futures[fut]
            try:
                yield fut.result()
            except BrokenProcessPool as exc:
                yield RunResult(spec, "error", 0.0, f"worker died: {exc}")
            except Exception as exc:  # the executor itself failed for this run
                yield RunResult(spec, "error", 0.0, f"{type(exc).__name__}: {exc}")
    except BaseException:
        for fut in futures:
            fut.cancel()
        if own:
            _stop_workers(pool)  # type: ignore[arg-type]
            own = False
        raise
    finally:
        for fut in futures:
            fut.cancel()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
