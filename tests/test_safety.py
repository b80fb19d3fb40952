"""Nothing lost, nothing hung: the results folder is cxsim's own, resume checks its data, limits
refuse unbounded work, signals stop cleanly, and messages show the user's text verbatim.

Each test names the problem of the hardening issue it covers (1-10).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cxsim
import cxsim.cli as cli
import cxsim.job as job_mod
from cxsim import store as store_mod
from cxsim.limits import PlanCost, choose_workers
from cxsim.runner import make_plan
from cxsim.store import MANIFEST, MARKER, ResultStore, StoreError

from .conftest import ROOT, small_scenario, write_yaml

RUNNER = CliRunner()


def invoke(*args: object):
    result = RUNNER.invoke(cli.app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    data = small_scenario()
    data["steps"] = 8
    data["market"]["customers"] = 300
    return write_yaml(tmp_path / "s.yaml", data)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its content."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(scenario: Path, out: Path, *extra: object, r: int = 2):
    return invoke("run", scenario, "-r", r, "--workers", 1, "--out", out, *extra)


# --------------------------------------------------------------------------- 1. --out


def test_a_folder_of_the_users_is_refused_and_left_alone(tmp_path: Path, scenario_file) -> None:
    user = tmp_path / "home"
    (user / "runs" / "thesis").mkdir(parents=True)
    (user / "runs" / "thesis" / "chapter1.tex").write_text("years of work")
    (user / "figures").mkdir()
    (user / "figures" / "plot.png").write_bytes(b"\x89PNG")
    (user / "summary.csv").write_text("mine\n")
    before = tree(user)
    line = one_line_error(run(scenario_file, user))
    assert "not empty and not a cxsim results folder" in line
    assert "give a new or empty folder" in line
    assert tree(user) == before
    assert not (user / MARKER).exists()


def test_out_dot_and_an_empty_out_are_refused(tmp_path: Path, scenario_file, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("keep")
    assert "not a cxsim results folder" in one_line_error(run(scenario_file, "."))
    assert "--out is empty" in one_line_error(run(scenario_file, ""))
    assert tree(tmp_path).keys() == {"notes.txt", "s.yaml"}


def test_a_literal_tilde_means_the_home_folder_for_every_file(
    tmp_path: Path, scenario_file, monkeypatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("x")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    assert "not a cxsim results folder" in one_line_error(run(scenario_file, "~"))
    assert not (tmp_path / "~").exists()
    res = run(scenario_file, "~/results")
    assert res.exit_code == 0, res.output
    assert (home / "results" / "summary.csv").exists()
    assert not (tmp_path / "~").exists()


def test_replacing_results_keeps_the_users_own_files(tmp_path: Path, scenario_file) -> None:
    out = tmp_path / "out"
    assert run(scenario_file, out).exit_code == 0
    mine = {
        "notes.md": b"what I saw",
        "runs/s0-p0-r0/remark.txt": b"odd replicate",
        "figures/annotated.png": b"mine",
        "figures/sweep_retained_vs_x.png": b"a name cxsim could use",
        "runs/s0-p0-r0/.metrics.parquet.tmp": b"a temporary-looking file of mine",
        "figures/.churn_rate.png.tmp": b"another",
    }
    for name, content in mine.items():
        (out / name).write_bytes(content)
    res = run(scenario_file, out, "--seed", 7, r=1)
    assert res.exit_code == 0, res.output
    after = tree(out)
    for name, content in mine.items():
        assert after[name] == content
    assert not (out / "runs" / "s0-p0-r1").exists()  # the old replicate 1 is gone
    assert json.loads((out / "metadata.json").read_text())["root_seed"] == 7


def test_forgetting_resume_on_an_unfinished_job_asks_for_overwrite(
    tmp_path: Path, scenario_file, monkeypatch
) -> None:
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 2)
    assert run(scenario_file, out, r=4).exit_code == 130
    monkeypatch.undo()
    finished = tree(out)
    line = one_line_error(run(scenario_file, out, r=4))
    assert "unfinished job (2 finished run(s))" in line
    assert "--resume" in line
    assert "--overwrite" in line
    assert tree(out) == finished
    res = run(scenario_file, out, "--overwrite", r=4)
    assert res.exit_code == 0, res.output
    assert (pd.read_csv(out / "runs.csv").status == "ok").sum() == 4


def _interrupt_after(monkeypatch, n: int, exc: BaseException | None = None) -> None:
    real = job_mod.run_plan

    def interrupted(plan, **kwargs):
        for i, result in enumerate(real(plan, **kwargs)):
            if i == n:
                raise exc or KeyboardInterrupt
            yield result

    monkeypatch.setattr(job_mod, "run_plan", interrupted)


def test_every_written_file_is_in_the_manifest_and_the_marker_comes_first(
    tmp_path: Path, scenario_file
) -> None:
    out = tmp_path / "out"
    assert run(scenario_file, out).exit_code == 0
    listed = set((out / MANIFEST).read_text().splitlines())
    written = {k for k in tree(out) if k not in {MARKER, MANIFEST, ".cxsim.lock"}}
    assert written <= listed
    assert json.loads((out / MARKER).read_text())["format"] == store_mod.FORMAT


# --------------------------------------------------------------------------- 2. resume


def _finished(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "summary.csv")


def test_resume_redoes_a_run_whose_table_was_deleted_or_truncated(
    tmp_path: Path, scenario_file, monkeypatch
) -> None:
    full = tmp_path / "full"
    assert run(scenario_file, full, r=4).exit_code == 0
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 3)
    assert run(scenario_file, out, r=4).exit_code == 130
    (out / "runs" / "s0-p0-r0" / "metrics.parquet").unlink()
    spells = out / "runs" / "s0-p0-r1" / "spells.parquet"
    spells.write_bytes(spells.read_bytes()[:100])
    seen: list[str] = []
    monkeypatch.undo()
    real = job_mod.run_plan

    def counting(plan, **kwargs):
        seen.extend(s.run_id for s in plan)
        yield from real(plan, **kwargs)

    monkeypatch.setattr(job_mod, "run_plan", counting)
    res = run(scenario_file, out, "--resume", r=4)
    assert res.exit_code == 0, res.output
    assert "2 finished run(s) failed their data check" in res.output
    assert sorted(seen) == ["s0-p0-r0", "s0-p0-r1", "s0-p0-r3"]
    summary = _finished(out)
    assert (summary.n == 4).all()
    pd.testing.assert_frame_equal(summary, _finished(full))


def test_resume_with_another_seed_or_set_is_refused_whatever_file_is_missing(
    tmp_path: Path, scenario_file
) -> None:
    for missing in (["plan.json"], ["plan.json", "metadata.json"], [MARKER, "plan.json"]):
        out = tmp_path / "-".join(missing)
        assert run(scenario_file, out).exit_code == 0
        for name in missing:
            (out / name).unlink()
        before = tree(out)
        for extra in (["--seed", "9"], ["--set", "firms.0.empowerment_policy=0.9"]):
            line = one_line_error(run(scenario_file, out, "--resume", *extra))
            assert "different plan" in line or "not a cxsim results folder" in line
        assert tree(out) == before


def test_a_run_status_of_another_plan_cannot_be_relabelled(tmp_path: Path, scenario_file) -> None:
    plan_a = make_plan([_scenario(scenario_file)], 2, 1)
    plan_b = make_plan([_scenario(scenario_file)], 2, 2)
    out = tmp_path / "out"
    with ResultStore(out, plan_a) as store:
        store.open()
        from cxsim.runner import run_one

        store.write(run_one(plan_a[0]))
        assert store.finished() == {"s0-p0-r0"}
    with ResultStore(out, plan_b) as other, pytest.raises(StoreError, match="different plan"):
        other.open(resume=True)


def _scenario(path: Path):
    from cxsim.scenario import load_scenario

    return load_scenario(path)


# --------------------------------------------------------------------------- 3. figures


def test_a_firm_without_churn_does_not_fail_the_job() -> None:
    res = invoke(
        "run",
        ROOT / "scenarios" / "ceo_led.yaml",
        "--set",
        "market.customers=10",
        "--set",
        "steps=26",
        "-r",
        1,
        "--workers",
        1,
        "--out",
        Path(os.environ.get("TMPDIR", "/tmp")) / f"cxsim-nochurn-{os.getpid()}-{time.time_ns()}",
    )
    assert res.exit_code == 0, res.output
    assert "End of run" in res.output


# --------------------------------------------------------------------------- 4. limits


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-r", "1000000000"], "over the limit of 100,000 (raise it with --max-runs)"),
        (["-r", "50", "--max-runs", "10"], "50 runs, over the limit of 10"),
        (["--workers", "1000"], "--workers 1000: this machine has"),
        (["--max-customer-weeks", "100"], "(raise it with --max-customer-weeks)"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--resume", "--overwrite"], "not both"),
    ],
)
def test_limits_refuse_at_once_in_one_line(tmp_path: Path, scenario_file, args, needle) -> None:
    out = tmp_path / "never"
    start = time.perf_counter()
    res = invoke("run", scenario_file, *args, "--out", out)
    assert time.perf_counter() - start < 10
    assert needle in one_line_error(res)
    assert not out.exists()


@pytest.mark.parametrize(
    ("vary", "needle"),
    [
        (["firms.0.empowerment_policy=0:1:100000000"], "100,000,000 points is over the limit"),
        (["firms.0.empowerment_policy=0:1:400", "market.customers=100:1000:400"], "160,000 runs"),
        (
            ["firms.0.empowerment_policy=0.1,0.2", "firms.0.empowerment_policy=0.5"],
            "--vary firms.0.empowerment_policy is given twice",
        ),
        (["firms.0.empowerment_policy=0:inf:3"], "must have finite ends"),
    ],
)
def test_sweep_limits(tmp_path: Path, scenario_file, vary, needle) -> None:
    args = [a for v in vary for a in ("--vary", v)]
    start = time.perf_counter()
    res = invoke("sweep", scenario_file, *args, "--out", tmp_path / "never")
    assert time.perf_counter() - start < 10
    assert needle in one_line_error(res)
    assert not (tmp_path / "never").exists()


def test_workers_are_capped_by_cores_and_memory() -> None:
    cost = PlanCost(runs=10, customer_weeks=1e6, peak_run_bytes=2**30)
    assert choose_workers(None, cost, cores=8, memory=4 * 2**30) == 3
    assert choose_workers(None, cost, cores=2, memory=64 * 2**30) == 2
    assert choose_workers(2, cost, cores=2, memory=64 * 2**30) == 2
    with pytest.raises(ValueError, match="use --workers 3 or fewer"):
        choose_workers(5, cost, cores=8, memory=4 * 2**30)
    with pytest.raises(ValueError, match="one run needs about"):
        choose_workers(None, cost, cores=8, memory=2**29)


# --------------------------------------------------------------------------- 5, 6. errors


def test_infinite_values_on_the_command_line_are_bad_input(tmp_path: Path, scenario_file) -> None:
    for key in ("firms.0.initial_share", "market.touchpoints.0.traffic"):
        line = one_line_error(run(scenario_file, tmp_path / "never", "--set", f"{key}=.inf"))
        assert key in line
    assert not (tmp_path / "never").exists()


def test_a_file_where_cxsim_keeps_a_folder_is_one_line(tmp_path: Path, scenario_file) -> None:
    out = tmp_path / "out"
    assert run(scenario_file, out).exit_code == 0
    (out / "figures").rename(tmp_path / "figs")
    (out / "figures").write_text("a file of mine")
    res = run(scenario_file, out)
    assert res.exit_code == 0, res.output  # figures are skipped with a warning, not a traceback
    assert (out / "figures").read_text() == "a file of mine"
    import shutil

    shutil.rmtree(out / "runs")
    (out / "runs").write_text("mine too")
    line = one_line_error(run(scenario_file, out))
    assert "runs: is a file" in line
    assert (out / "runs").read_text() == "mine too"


def test_a_full_disk_is_one_line_leaves_no_temp_file_and_keeps_finished_runs(
    tmp_path: Path, scenario_file, monkeypatch
) -> None:
    import errno

    out = tmp_path / "out"
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def full_disk(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second run's second table (spells are written in batches)
            Path(path).write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    line = one_line_error(run(scenario_file, out, r=3))
    assert "No space left on device" in line
    assert "--resume" in line
    assert "1 of 3 runs are saved" in line
    assert not list(out.rglob("*tmp"))
    monkeypatch.undo()
    res = run(scenario_file, out, "--resume", r=3)
    assert res.exit_code == 0, res.output
    assert "1 of 3 runs already finished" in res.output


def test_plot_on_a_corrupt_folder_is_one_line(tmp_path: Path, scenario_file) -> None:
    out = tmp_path / "out"
    assert run(scenario_file, out).exit_code == 0
    (out / "metadata.json").write_text("{not json")
    line = one_line_error(invoke("plot", out))
    assert "metadata.json" in line
    assert "not a cxsim results folder" in one_line_error(invoke("plot", tmp_path))


# --------------------------------------------------------------------------- 7. signals


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _slow_job(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    data = small_scenario()
    data["steps"] = 400
    data["market"]["customers"] = 60_000
    scenario = write_yaml(tmp_path / "slow.yaml", data)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cxsim.cli", "run", str(scenario), "-r", "6"]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return proc, out


def _wait_for_workers(proc: subprocess.Popen, n: int) -> set[int]:
    deadline = time.time() + 60
    while time.time() < deadline:
        workers = {p for p in _children(proc.pid) if "spawn_main" in _cmdline(p)}
        if len(workers) >= n:
            return workers
        time.sleep(0.2)
    raise AssertionError("the workers did not start")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigterm_keeps_finished_runs_exits_143_and_ends_the_workers(tmp_path: Path) -> None:
    proc, out = _slow_job(tmp_path)
    try:
        workers = _wait_for_workers(proc, 2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert "Traceback" not in err
        assert "--resume" in err
        assert _gone(workers)
        assert (out / MARKER).exists()
    finally:
        _kill_group(proc)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    proc, _ = _slow_job(tmp_path)
    try:
        workers = _wait_for_workers(proc, 2)
        others = _children(proc.pid) - workers  # the resource tracker
        proc.kill()
        proc.wait(timeout=30)
        assert _gone(workers | others)
    finally:
        _kill_group(proc)


def _gone(pids: set[int], seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


def _kill_group(proc: subprocess.Popen) -> None:
    """Never leave a test's processes behind, whatever the test found."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


# --------------------------------------------------------------------------- 8. lock


def test_a_second_job_on_the_same_folder_names_the_first(tmp_path: Path, scenario_file) -> None:
    out = tmp_path / "out"
    plan = make_plan([_scenario(scenario_file)], 1, 1)
    with ResultStore(out, plan) as first:
        first.open()
        before = tree(out)
        line = one_line_error(run(scenario_file, out))
        assert f"in use by another cxsim job (process {os.getpid()})" in line
        assert tree(out) == before
    assert run(scenario_file, out).exit_code == 0  # free once the first is done


# --------------------------------------------------------------------------- 9, 10. text


def test_messages_show_the_users_text_verbatim(tmp_path: Path) -> None:
    line = one_line_error(invoke("run", tmp_path / "my:fire:scenario.yaml"))
    assert "my:fire:scenario.yaml: no such scenario file" in line
    assert "[bold]" in one_line_error(invoke("validate", tmp_path / "[bold]x.yaml"))
    scenario = write_yaml(tmp_path / "s.yaml", small_scenario())
    line = one_line_error(invoke("sweep", scenario, "--vary", "k=a:b:3", "--out", tmp_path / "n"))
    assert "'a:b:3'" in line


def test_store_never_overwrites_a_file_it_did_not_write(tmp_path: Path, scenario_file) -> None:
    plan = make_plan([_scenario(scenario_file)], 1, 1)
    out = tmp_path / "out"
    with ResultStore(out, plan) as store:
        store.open()
        mine = out / "runs" / "s0-p0-r0"
        mine.mkdir()
        (mine / "metrics.parquet").write_text("a user's file with cxsim's name")
        from cxsim.runner import run_one

        with pytest.raises(StoreError, match="exists and was not written by cxsim"):
            store.write(run_one(plan[0]))
        assert (mine / "metrics.parquet").read_text() == "a user's file with cxsim's name"


# --------------------------------------------------------------------------- property

_NAMES = st.sampled_from(
    [
        "summary.csv",
        "runs.csv",
        "plan.json",
        "metadata.json",
        "metrics.parquet",
        "status.json",
        "churn_rate_weekly.png",
        "survival.svg",
        "survival_tests.csv",
        ".metrics.parquet.tmp",
        "notes.txt",
        "data.parquet",
    ]
) | st.text(alphabet="abcxyz_-.", min_size=1, max_size=8).filter(lambda n: n not in {".", ".."})
_FOLDERS = st.sampled_from(["", "runs/", "runs/s0-p0-r0/", "runs/s0-p0-r9/", "figures/", "mine/"])
_COMMANDS = st.lists(
    st.sampled_from(
        [
            ("run",),
            ("run", "--resume"),
            ("run", "--overwrite"),
            ("run", "-r", "3"),
            ("run", "--seed", "5"),
            ("plot",),
        ]
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    user_files=st.dictionaries(st.tuples(_FOLDERS, _NAMES), st.binary(max_size=16), max_size=6),
    started_by_cxsim=st.booleans(),
    commands=_COMMANDS,
)
def test_no_command_removes_or_changes_a_file_it_did_not_write(
    tiny_file: Path, user_files, started_by_cxsim: bool, commands
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if started_by_cxsim:
            assert run(tiny_file, out, r=1).exit_code == 0
        out.mkdir(exist_ok=True)
        mine = {}
        for (folder, name), content in user_files.items():
            path = out / folder / name
            if path.exists() or any(p.is_file() for p in path.parents if out in p.parents):
                continue  # cxsim's own file (or a file where a folder would be)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            mine[path] = content
        for command, *extra in commands:
            if command == "plot":
                res = invoke("plot", out)
            else:
                res = invoke(command, tiny_file, "--workers", 1, "--out", out, *extra)
            assert res.exit_code in {0, 2}, res.output
            for path, content in mine.items():
                assert path.read_bytes() == content, (path, res.output)


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    data = small_scenario()
    data["steps"] = 4
    data["market"]["customers"] = 100
    return write_yaml(tmp_path_factory.mktemp("tiny") / "tiny.yaml", data)


@pytest.mark.parametrize("same_types", [True, False])
def test_a_table_copied_run_by_run_equals_the_table_read_whole(
    tmp_path: Path, same_types: bool
) -> None:
    """``ResultStore.concat_to`` (the spell log) writes what ``read`` gives: in batches when
    the runs' tables share a schema, read whole when they differ; False when no run has rows."""
    scenario = cxsim.load_scenario(small_scenario())
    plan = make_plan([scenario], 2, root_seed=1)
    ids = [s.run_id for s in plan]
    with store_mod.ResultStore(tmp_path / "out", plan) as store:
        store.open()
        for i, run_id in enumerate(ids):
            (store.runs_dir / run_id).mkdir(parents=True)
            value = [i, i + 1] if same_types or i == 0 else [0.5, 1.5]  # int, then float
            pd.DataFrame({"x": value, "y": ["a", "b"]}).to_parquet(
                store.runs_dir / run_id / "spells.parquet"
            )
        assert store.concat_to("spells", ids, tmp_path / "out" / "spells.parquet")
        got = pd.read_parquet(tmp_path / "out" / "spells.parquet")
        pd.testing.assert_frame_equal(got, store.read("spells", ids))
        assert not store.concat_to("spells", [], tmp_path / "out" / "none.parquet")
        assert not (tmp_path / "out" / "none.parquet").exists()
