"""The cxsim command end to end: outputs, errors, interruption and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxsim.cli as cli
import cxsim.job as job_mod
from cxsim import runner as runner_mod

from .conftest import small_scenario, write_yaml

RUNNER = CliRunner()


def invoke(*args: str):
    result = RUNNER.invoke(cli.app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    a = small_scenario()
    a["steps"] = 15
    b = small_scenario()
    b["steps"] = 15
    b["name"] = "other"
    b["firms"][0]["leadership"]["ceo_commitment"] = 0.3
    return write_yaml(tmp_path / "a.yaml", a), write_yaml(tmp_path / "b.yaml", b)


def test_compare_writes_the_whole_folder(tmp_path: Path, two_files) -> None:
    out = tmp_path / "cmp"
    res = invoke("compare", *two_files, "--replicates", "3", "--workers", "1", "--out", out)
    assert res.exit_code == 0, res.output
    for name in [
        "timeseries.parquet",
        "spells.parquet",
        "metrics.parquet",
        "runs.csv",
        "summary.csv",
        "metadata.json",
        "survival_tests.csv",
    ]:
        assert (out / name).exists(), name
    figures = {p.name for p in (out / "figures").iterdir()}
    for name in [
        "churn_rate_weekly",
        "culture_by_level",
        "quality_visible_invisible",
        "survival",
        "retained",
        "market_share",
        "nps",
        "customers",
    ]:
        assert {f"{name}.png", f"{name}.svg"} <= figures
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert {"run_id", "scenario", "replicate", "seed", "step", "firm"} <= set(ts.columns)
    assert len(ts) == 2 * 3 * 15 * 2
    runs = pd.read_csv(out / "runs.csv")
    assert (runs.status == "ok").all()
    assert len(runs) == 6
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high"} <= set(
        summary.columns
    )
    base = summary[summary.scenario == "small"]
    assert (base.diff_mean.fillna(0) == 0).all()
    spells = pd.read_parquet(out / "spells.parquet")
    assert {"duration", "event", "scenario", "firm", "replicate"} <= set(spells.columns)
    from cxsim import stats

    kept = stats.retention_bands(spells, 15)
    kept = kept[kept.week == 15].set_index(["scenario", "firm"])["mean"]
    retained = summary[summary.metric == "retained"].set_index(["scenario", "firm"])["mean"]
    pd.testing.assert_series_equal(kept.sort_index(), retained.sort_index(), check_names=False)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["root_seed"] == cli.DEFAULT_SEED
    assert len(meta["replicate_seeds"]) == 3
    assert set(meta["scenarios"]) == {"small", "other"}
    assert {"cxsim", "mesa", "python", "numpy"} <= set(meta["versions"])


def test_run_with_set_and_plot_redraws(tmp_path: Path, two_files) -> None:
    out = tmp_path / "run"
    res = invoke(
        "run",
        two_files[0],
        "-r",
        "2",
        "--workers",
        "1",
        "--steps",
        "8",
        "--set",
        "firms.0.cco.authority=1",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["scenarios"]["small"]["firms"][0]["cco"]["authority"] == 1
    assert meta["scenarios"]["small"]["steps"] == 8
    for f in (out / "figures").iterdir():
        f.unlink()
    res = invoke("plot", out)
    assert res.exit_code == 0
    assert (out / "figures" / "survival.png").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "firms.0.leadership.ceo_comitment=0.5"],
        ["--set", "market.visible_weight=7"],
        ["--set", "novalue"],
        ["--steps", "0"],
        ["--replicates", "0"],
        ["--workers", "0"],
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, two_files, args) -> None:
    out = tmp_path / "never"
    res = invoke("run", two_files[0], *args, "--out", out)
    assert res.exit_code == 2, res.output
    assert res.output.strip().count("\n") == 0
    assert res.output.startswith("error:")
    assert not out.exists()


def test_bad_scenario_file_and_unwritable_out(tmp_path: Path, two_files) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("firms:\n  - name: A\n    empowerment_policy: 2\n  - name: B\n")
    res = invoke("compare", two_files[0], bad, "--out", tmp_path / "x")
    assert res.exit_code == 2
    assert "bad.yaml:3: firms.0.empowerment_policy: must be <= 1" in res.output
    assert not (tmp_path / "x").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = invoke("run", two_files[0], "--out", blocker / "sub")
    assert res.exit_code == 2
    assert "cannot write the output folder" in res.output


def test_validate(tmp_path: Path, two_files) -> None:
    res = invoke("validate", *two_files)
    assert res.exit_code == 0
    assert res.output.count("ok ") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("firms: [{name: A}]\n")
    res = invoke("validate", two_files[0], bad)
    assert res.exit_code == 2
    assert "needs at least 2" in res.output


def test_plot_needs_a_results_folder(tmp_path: Path) -> None:
    assert invoke("plot", tmp_path / "nothing").exit_code == 2
    assert invoke("plot", tmp_path).exit_code == 2


def test_sweep_grid_design_and_heatmap(tmp_path: Path, two_files) -> None:
    out = tmp_path / "sw"
    res = invoke(
        "sweep",
        two_files[0],
        "--vary",
        "firms.0.leadership.ceo_commitment=0.2,0.9",
        "--vary",
        "market.visible_weight=0.3:0.7:2",
        "-r",
        "2",
        "--workers",
        "1",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 2 * 2
    assert {"firms.0.leadership.ceo_commitment", "market.visible_weight"} <= set(runs.columns)
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.step.nunique() == 1  # --record final is the sweep default
    assert (out / "figures" / "sweep_heatmap_retained.png").exists()
    summary = pd.read_csv(out / "summary.csv")
    assert "firms.0.leadership.ceo_commitment" in summary.columns
    design = tmp_path / "design.csv"
    design.write_text("firms.0.empowerment_policy,market.switching_cost\n0.1,0.2\n0.9,0.5\n")
    out2 = tmp_path / "sw2"
    res = invoke(
        "sweep",
        two_files[0],
        "--design",
        design,
        "-r",
        "1",
        "--workers",
        "1",
        "--record",
        "every",
        "--out",
        out2,
    )
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(out2 / "timeseries.parquet").step.nunique() == 15
    assert (out2 / "figures" / "sweep_retained_vs_firms.0.empowerment_policy.png").exists()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--vary", "a=1", "--design", "x.csv"],
        ["--vary", "market.nope=1,2"],
        ["--vary", "market.visible_weight=0:2:3"],
        ["--vary", "firms.0.empowerment_policy=0:1:zero"],
        ["--design", "missing.csv"],
        ["--vary", "steps=5", "--record", "sometimes"],
    ],
)
def test_sweep_bad_input(tmp_path: Path, two_files, args) -> None:
    res = invoke("sweep", two_files[0], *args, "--out", tmp_path / "no")
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "no").exists()


def test_a_failed_run_is_kept_in_runs_csv_and_exits_1(tmp_path, two_files, monkeypatch) -> None:
    real = runner_mod.CXModel
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_mod, "CXModel", flaky)
    out = tmp_path / "f"
    res = invoke("run", two_files[0], "-r", "3", "--workers", "1", "--out", out)
    assert res.exit_code == 1
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.status) == ["ok", "error", "ok"]
    assert "RuntimeError: boom" in runs.error[1]
    assert pd.read_parquet(out / "timeseries.parquet").run_id.nunique() == 2


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {
        "timeseries": pd.read_parquet(out / "timeseries.parquet"),
        "metrics": pd.read_parquet(out / "metrics.parquet"),
        "summary": pd.read_csv(out / "summary.csv"),
        "runs": pd.read_csv(out / "runs.csv").drop(columns=["seconds"]),
    }


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path, two_files, monkeypatch) -> None:
    args = [
        "sweep",
        two_files[0],
        "--vary",
        "firms.0.empowerment_policy=0.1,0.5,0.9",
        "-r",
        "2",
        "--workers",
        "1",
        "--record",
        "every",
    ]
    full = tmp_path / "full"
    assert invoke(*args, "--out", full).exit_code == 0

    real_run_plan = job_mod.run_plan

    def interrupted(plan, **kwargs):
        for i, result in enumerate(real_run_plan(plan, **kwargs)):
            if i == 3:
                raise KeyboardInterrupt
            yield result

    part = tmp_path / "part"
    monkeypatch.setattr(job_mod, "run_plan", interrupted)
    res = invoke(*args, "--out", part)
    assert res.exit_code == 130
    assert "--resume" in res.output
    assert len(list((part / "runs").glob("*/status.json"))) == 3
    monkeypatch.setattr(job_mod, "run_plan", real_run_plan)

    seen = []

    def counting(plan, **kwargs):
        seen.extend(s.run_id for s in plan)
        yield from real_run_plan(plan, **kwargs)

    monkeypatch.setattr(job_mod, "run_plan", counting)
    res = invoke(*args, "--out", part, "--resume")
    assert res.exit_code == 0, res.output
    assert len(seen) == 3  # only what was missing
    a, b = _tables(full), _tables(part)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-12)


def test_resume_with_another_plan_is_refused(tmp_path: Path, two_files) -> None:
    out = tmp_path / "r"
    assert invoke("run", two_files[0], "-r", "1", "--workers", "1", "--out", out).exit_code == 0
    res = invoke("run", two_files[0], "-r", "2", "--workers", "1", "--out", out, "--resume")
    assert res.exit_code == 2
    assert "different plan" in res.output


def test_results_identical_for_one_and_two_workers(tmp_path: Path, two_files) -> None:
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = invoke("compare", *two_files, "-r", "2", "--workers", workers, "--out", out)
        assert res.exit_code == 0, res.output
        outs.append(_tables(out))
    for name in outs[0]:
        pd.testing.assert_frame_equal(outs[0][name], outs[1][name])


def test_metadata_records_every_option_of_the_job(tmp_path: Path, two_files) -> None:
    out = tmp_path / "m"
    res = invoke("run", two_files[0], "-r", "2", "--seed", "5", "--workers", "1", "--out", out)
    assert res.exit_code == 0, res.output
    options = json.loads((out / "metadata.json").read_text())["options"]
    from dataclasses import fields

    from cxsim.job import Job

    assert set(options) == {f.name for f in fields(Job)} - {"scenarios"}
    assert options["replicates"] == 2
    assert options["seed"] == 5
    assert options["workers"] == 1
    assert options["command"] == "run"
    assert options["out"] == str(out)


def test_an_old_scenario_key_is_one_warning_line_and_the_run_goes_on(tmp_path: Path) -> None:
    data = small_scenario()
    data["steps"] = 4
    data["firms"][0]["empowerment"] = 0.7
    path = write_yaml(tmp_path / "old.yaml", data)
    res = invoke("validate", path)
    assert res.exit_code == 0, res.output
    warning = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1
    assert "firms.0.empowerment: renamed 'empowerment_policy'" in warning[0]
    res = invoke("run", path, "-r", "1", "--workers", "1", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert "renamed 'empowerment_policy'" in res.output


def test_design_blank_cells_keep_the_default_and_errors_name_file_row_column(
    tmp_path: Path, two_files
) -> None:
    design = tmp_path / "design.csv"
    design.write_text("firms.0.cco.authority,market.switching_cost\n0.5,\n,0.4\n")
    out = tmp_path / "sw"
    res = invoke("sweep", two_files[0], "--design", design, "-r", "1", "--workers", "1",
                 "--steps", "3", "--out", out)  # fmt: skip
    assert res.exit_code == 0, res.output
    runs = pd.read_csv(out / "runs.csv")
    assert runs["market.switching_cost"].isna().tolist() == [True, False]
    assert runs["firms.0.cco.authority"].isna().tolist() == [False, True]
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["options"]["points"] == [
        {"firms.0.cco.authority": 0.5},
        {"market.switching_cost": 0.4},
    ]
    design.write_text("market.switching_cost,firms.0.cco.authority\n0.1,0.5\n0.2,\n0.3,2\n")
    res = invoke("sweep", two_files[0], "--design", design, "--out", tmp_path / "no")
    assert res.exit_code == 2
    assert f"{design}: row 3, column firms.0.cco.authority: must be <= 1, got 2" in res.output
    design.write_text("market.nope\n1\n")
    res = invoke("sweep", two_files[0], "--design", design, "--out", tmp_path / "no")
    assert f"{design}: row 1, column market.nope: unknown key" in res.output
    assert not (tmp_path / "no").exists()


def test_sweep_samples_ranges_reproducibly(tmp_path: Path, two_files) -> None:
    args = ["sweep", two_files[0], "--vary", "market.visible_weight=0.2:0.6", "--vary",
            "market.customers=300:700", "--sample", "lhs:4", "-r", "1", "--workers", "1",
            "--steps", "3"]  # fmt: skip
    tables = []
    for name in ("a", "b"):
        res = invoke(*args, "--out", tmp_path / name)
        assert res.exit_code == 0, res.output
        tables.append(pd.read_csv(tmp_path / name / "runs.csv"))
    pd.testing.assert_frame_equal(
        tables[0].drop(columns="seconds"), tables[1].drop(columns="seconds")
    )
    runs = tables[0]
    assert len(runs) == 4
    assert runs["market.visible_weight"].between(0.2, 0.6).all()
    assert runs["market.customers"].dtype.kind == "i"
    ts = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    assert sorted(ts["point"].unique()) == [0, 1, 2, 3]
    res = invoke(*args, "--seed", "1", "--out", tmp_path / "c")
    assert not pd.read_csv(tmp_path / "c" / "runs.csv")["market.visible_weight"].equals(
        runs["market.visible_weight"]
    )
    for bad in (
        ["--vary", "market.visible_weight=0.2:0.6"],
        ["--vary", "market.visible_weight=0.2:0.6:3", "--sample", "lhs:4"],
        ["--vary", "market.visible_weight=0.2:0.6", "--sample", "sobol:5"],
        ["--design", "d.csv", "--sample", "lhs:4"],
    ):
        res = invoke("sweep", two_files[0], *bad, "--out", tmp_path / "no")
        assert res.exit_code == 2, res.output
    assert not (tmp_path / "no").exists()


def test_version_and_python_m_cxsim() -> None:
    import subprocess
    import sys

    import cxsim

    res = invoke("--version")
    assert res.exit_code == 0
    assert res.output.strip() == f"cxsim {cxsim.__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "cxsim", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cxsim {cxsim.__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "cxsim", "--help"], capture_output=True, text=True, check=False
    )
    assert "sweep" in done.stdout


def test_compare_needs_two_files_and_only_compare_says_delta(tmp_path: Path, two_files) -> None:
    res = invoke("compare", two_files[0], "--out", tmp_path / "c1")
    assert res.exit_code == 2
    assert "compare needs two or more scenario files" in res.output
    assert not (tmp_path / "c1").exists()
    res = invoke("run", two_files[0], "-r", "1", "--workers", "1", "--out", tmp_path / "r")
    assert res.exit_code == 0, res.output
    assert "Δ vs the first scenario" not in res.output
    res = invoke("compare", *two_files, "-r", "1", "--workers", "1", "--out", tmp_path / "c2")
    assert res.exit_code == 0, res.output
    assert "Δ vs the first scenario" in res.output


def test_run_and_compare_take_record_final(tmp_path: Path, two_files) -> None:
    out = tmp_path / "f"
    args = ["-r", "2", "--workers", "1", "--record", "final", "--out", out]
    res = invoke("compare", *two_files, *args)
    assert res.exit_code == 0, res.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["step"].nunique() == 1
    assert json.loads((out / "metadata.json").read_text())["options"]["record"] == "final"


# --------------------------------------------------------------------------- listings, shipped


ROOT = Path(__file__).resolve().parent.parent


def _words(text: str) -> str:
    return " ".join(text.split())


def test_scenarios_lists_every_shipped_file_with_its_pattern_and_description() -> None:
    from cxsim.scenario import load_scenario, shipped_scenarios

    res = invoke("scenarios")
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= 100
    shipped = shipped_scenarios()
    assert set(shipped) == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    for name, path in shipped.items():
        assert _words(load_scenario(path).description) in _words(res.stdout), name
    assert any(line.split()[:2] == ["ceo_led", "P1"] for line in res.stdout.splitlines())
    assert f"{len(shipped)} scenarios in {path.parent}" in res.stdout


def test_parameters_lists_every_key_and_filters_by_prefix() -> None:
    from cxsim.docs import parameter_rows

    rows = parameter_rows()
    res = invoke("parameters")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    heads = [line for line in lines if line and not line.startswith(" ")][:-1]
    assert [h.split(" = ")[0] for h in heads] == [r[0] for r in rows]
    key, meaning, default, bounds, _ = next(r for r in rows if r[0] == "market.churn_sensitivity")
    assert f"{key} = {default}  range {bounds}" in lines
    assert f"    {meaning}" in lines

    def keys(*args: str) -> list[str]:
        res = invoke("parameters", *args)
        assert res.exit_code == 0, res.output
        heads = [line for line in res.stdout.splitlines() if line and not line.startswith(" ")]
        return [line.split(" = ")[0] for line in heads[:-1]]

    assert keys("market.churn") == [r[0] for r in rows if r[0].startswith("market.churn")]
    assert keys("firms.0.cco") == [r[0] for r in rows if r[0].startswith("firms[].cco")]
    assert "market.base_churn_per_month" in keys("churn")  # no key starts with it: contains
    res = invoke("parameters", "no.such.key")
    assert res.exit_code == 2
    assert res.output.strip() == "error: no scenario key starts with or contains 'no.such.key'"


def test_a_bare_name_is_the_shipped_scenario_and_the_job_says_it_assembles(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ceo_led file here
    res = invoke("validate", "ceo_led", "invisible_war.yaml", ROOT / "scenarios" / "eras.yaml")
    assert res.exit_code == 0, res.output
    assert "ok ceo_led: ceo_led, " in res.stdout
    assert "ok invisible_war.yaml: invisible_war, " in res.stdout
    res = invoke("validate", "ceo_lde")
    assert res.exit_code == 2
    assert "ceo_lde: no such scenario file, nor a shipped scenario; did you mean ceo_led?" in (
        res.output
    )
    res = invoke("validate", "sub/ceo_led")  # a path with a folder is never a name
    assert res.exit_code == 2
    assert "sub/ceo_led: no such scenario file" in res.output
    write_yaml(tmp_path / "ceo_led.yaml", small_scenario())  # an existing file wins
    assert "ok ceo_led.yaml: small, " in invoke("validate", "ceo_led.yaml").stdout

    out = tmp_path / "named"
    small = ["-r", "1", "--steps", "3", "--set", "market.customers=50", "--workers", "1"]
    res = invoke("run", "ceo_led", *small, "--out", out)
    assert res.exit_code == 0, res.output
    assert "ceo_led" in json.loads((out / "metadata.json").read_text())["scenarios"]
    bar = res.stderr.index("1/1")
    assert "eta" in res.stderr[bar:].splitlines()[0]  # the time remaining, after the elapsed
    assert res.stderr.index("assembling tables and figures ...") > bar
    assert "SCENARIO is a YAML file or, if no such file exists, the name of a scenario" in (
        invoke("run", "--help").stdout
    )


def test_the_scenarios_are_package_data() -> None:
    import tomllib

    from cxsim.scenario import SHIPPED

    assert SHIPPED.resolve() == (ROOT / "scenarios").resolve()  # cxsim/scenarios links there
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "scenarios/*.yaml" in project["tool"]["setuptools"]["package-data"]["cxsim"]


def test_the_notebooks_extra_installs_jupyterlab_and_the_readme_says_how() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = project["project"]["optional-dependencies"]["notebooks"]
    assert any(req.lower().startswith("jupyterlab") for req in extra)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/pip install -e '.[notebooks]'" in readme
    assert ".venv/bin/jupyter lab notebooks/" in readme
