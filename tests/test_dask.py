"""Runs on a Dask cluster (``--scheduler``): identical, run for run, to this process's runs;
a worker lost mid-sweep is survived; an unreachable scheduler is one line and exit code 2.

One ``LocalCluster`` on loopback (2 worker processes, one thread each) serves the module; cxsim
reaches it by its ``tcp://`` address, as it would a cluster started with ``dask scheduler``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxsim
import cxsim.cli as cli
import cxsim.job as job_mod
from cxsim import cluster, runner

from .conftest import small_scenario, write_yaml

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A 2-worker LocalCluster on loopback and a client of the test's own (to kill a worker)."""
    import logging

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local, client


def _plan(
    replicates: int, customers: int = 400, steps: int = 12, warmup: int = 8
) -> list[runner.RunSpec]:
    scenario = cxsim.load_scenario(small_scenario(customers=customers, warmup_weeks=warmup))
    scenario = cxsim.apply_overrides(scenario, {"steps": steps})
    return runner.make_plan([scenario], replicates, root_seed=5)


def _same(a: runner.RunResult, b: runner.RunResult) -> None:
    assert a.status == b.status == "ok", (a.error, b.error)
    for table in ("timeseries", "metrics", "spells"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)


def test_runs_on_a_cluster_equal_runs_here(dask_cluster: Any) -> None:
    local, _ = dask_cluster
    plan = _plan(4)
    here = {r.spec.run_id: r for r in runner.run_plan(plan)}
    with cluster.dask_executor(local.scheduler_address) as pool:
        there = {r.spec.run_id: r for r in runner.run_plan(plan, executor=pool)}
    assert there.keys() == here.keys()
    for run_id, result in here.items():
        _same(there[run_id], result)


def _fail_on_replicate_1(spec: runner.RunSpec) -> runner.RunResult:
    if spec.replicate == 1:
        return runner.failed_result(spec, 0.0, RuntimeError("boom"))
    return runner.run_one(spec)


def test_a_failed_run_does_not_stop_the_others(dask_cluster: Any) -> None:
    local, _ = dask_cluster
    plan = _plan(3)
    with cluster.dask_executor(local.scheduler_address) as pool:
        results = {
            r.spec.replicate: r
            for r in runner.run_plan(plan, executor=pool, run=_fail_on_replicate_1)
        }
    assert results[1].status == "error"
    assert "boom" in results[1].error
    assert results[0].status == results[2].status == "ok"


async def _die() -> None:
    """End the worker process at once, as a crash or a lost machine would."""
    os._exit(1)


def test_a_worker_lost_mid_sweep_is_survived(dask_cluster: Any) -> None:
    local, client = dask_cluster
    plan = _plan(6, customers=1500, steps=20, warmup=104)  # runs long enough to interrupt
    here = {r.spec.run_id: r for r in runner.run_plan(plan)}
    there: dict[str, runner.RunResult] = {}
    killed = ""
    with cluster.dask_executor(local.scheduler_address) as pool:
        for result in runner.run_plan(plan, executor=pool):
            there[result.spec.run_id] = result
            if not killed:  # after the first result: end a worker that is running one
                busy = [w for w, keys in client.processing().items() if keys]
                assert busy, "no run in progress to interrupt"
                client.run(_die, workers=busy[:1], wait=False)
                killed = busy[0]
    assert killed not in client.scheduler_info()["workers"]  # it was lost (its nanny restarts it)
    assert there.keys() == here.keys()
    for run_id, result in here.items():
        _same(there[run_id], result)


def test_cli_on_a_cluster_resumes_to_the_runs_here(
    dask_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted after its first run, then resumed, on the cluster: the tables are the runs
    of the same plan done here, run for run."""
    local, _ = dask_cluster
    path = write_yaml(tmp_path / "s.yaml", {**small_scenario(warmup_weeks=4), "steps": 6})
    out = tmp_path / "there"
    args = ["run", str(path), "--replicates", "3", "--out", str(out)]
    args += ["--scheduler", local.scheduler_address]
    real_run_plan = job_mod.run_plan

    def interrupted(plan: list[runner.RunSpec], **kwargs: Any) -> Iterator[runner.RunResult]:
        for i, result in enumerate(real_run_plan(plan, **kwargs)):
            if i == 1:
                raise KeyboardInterrupt
            yield result

    monkeypatch.setattr(job_mod, "run_plan", interrupted)
    res = CliRunner().invoke(cli.app, args)
    assert res.exit_code == 130, res.output
    assert "1 of 3 runs are saved" in res.output
    monkeypatch.setattr(job_mod, "run_plan", real_run_plan)
    res = CliRunner().invoke(cli.app, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    assert "resuming: 1 of 3 runs already finished" in res.output
    # what `cxsim run` without --scheduler runs: the same plan, here (seed 42 is the default)
    here = list(runner.run_plan(runner.make_plan([cxsim.load_scenario(path)], 3, 42)))
    for table in ("timeseries", "metrics", "spells"):
        there = pd.read_parquet(out / f"{table}.parquet")
        expected = pd.concat([r.table(table) for r in here], ignore_index=True)
        sort = ["run_id", *[c for c in ("step", "firm", "customer", "start_step") if c in there]]
        pd.testing.assert_frame_equal(
            there.sort_values(sort).reset_index(drop=True),
            expected.sort_values(sort).reset_index(drop=True),
            check_exact=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    path = write_yaml(tmp_path / "s.yaml", small_scenario())
    address = f"tcp://127.0.0.1:{_free_port()}"
    out = tmp_path / "out"
    res = CliRunner().invoke(cli.app, ["run", str(path), "--scheduler", address, "--out", str(out)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith(f"error: --scheduler {address}: cannot connect")
    assert not out.exists()  # nothing written


def test_an_experiment_study_on_a_cluster_equals_the_one_here(
    dask_cluster: Any, tmp_path: Path
) -> None:
    """``cxsim experiment discovery --scheduler``: the study's table is the one run here."""
    local, _ = dask_cluster
    tables = []
    ways = {"here": ["--workers", "1"], "cluster": ["--scheduler", local.scheduler_address]}
    for name, extra in ways.items():
        result = CliRunner().invoke(
            cli.app,
            ["experiment", "discovery", "--quick", "--out", str(tmp_path / name), *extra],
        )
        assert result.exit_code == 0, result.output
        tables.append(pd.read_csv(tmp_path / name / "quick" / "discovery" / "points.csv"))
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
