"""The data dictionary (docs/data.md) and ``cxsim.load_results``: both agree with a real folder."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import cxsim
from cxsim import docs, stats
from cxsim.job import Job, execute
from cxsim.runner import SPELL_COLUMNS
from cxsim.store import MARKER, StoreError

from .conftest import ROOT, small_scenario, write_yaml

DATA_MD = ROOT / "docs" / "data.md"
VARIED = "market.visible_weight"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small compare with one varied key and spells: every table and every column."""
    data = small_scenario()
    data["steps"] = 4
    first = cxsim.load_scenario(data)
    other = cxsim.apply_overrides(
        first, {"name": "other", "firms.0.leadership.ceo_commitment": 0.3}
    )
    out = tmp_path_factory.mktemp("data") / "out"
    job = Job(command="compare", scenarios=[first, other], out=out, replicates=2,
              points=[{VARIED: 0.3}], workers=1)  # fmt: skip
    assert execute(job)
    return out


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep through the command line: 11 values from a lo:hi:n range, and a baseline."""
    from typer.testing import CliRunner

    from cxsim.cli import app

    data = small_scenario()
    data["steps"], data["market"]["customers"] = 3, 200
    tmp = tmp_path_factory.mktemp("sweep")
    path = write_yaml(tmp / "small.yaml", data)
    args = ["sweep", str(path), "--vary", f"{VARIED}=0:1:11", "--replicates", "2"]
    args += ["--workers", "1", "--baseline", f"{VARIED}=0.5", "--out", str(tmp / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return tmp / "out"


def test_docs_data_md_is_up_to_date(tmp_path: Path) -> None:
    assert DATA_MD.read_text(encoding="utf-8") == docs.data_dictionary(), (
        "run `python -m cxsim.docs` to regenerate docs/data.md"
    )
    stale = tmp_path / "docs" / "data.md"
    assert docs.update_data(stale)
    assert stale.read_text(encoding="utf-8") == docs.data_dictionary()
    assert not docs.update_data(stale)
    stale.write_text(docs.data_dictionary().replace("`churned`", "`lost`"), encoding="utf-8")
    assert docs.update_data(stale)


def test_every_output_and_metric_is_in_the_dictionary() -> None:
    text = docs.data_dictionary()
    for o in cxsim.outputs.OUTPUTS:
        kind = "weekly flow" if o.kind == "flow" else "state (end of week)"
        assert f"| `{o.name}` | {o.unit} | {kind} |" in text, o.name
    for m in cxsim.outputs.END_METRICS:
        assert f"end-of-run: {m.reducer} of" in text.split(f"| `{m.name}` |")[-1].split("\n")[0]


def test_dictionary_columns_are_the_folders_columns(folder: Path, sweep: Path) -> None:
    results, swept = cxsim.load_results(folder), cxsim.load_results(sweep)
    tables = {
        "timeseries.parquet": results.timeseries,
        "spells.parquet": results.spells,
        "metrics.parquet": results.metrics,
        "steps.parquet": results.steps,
        "runs.csv": results.runs,
        "summary.csv": results.summary,
        "differences.csv": swept.differences,
        # what the figures step writes for a compare without a sweep point
        "survival_tests.csv": stats.logrank_tests(results.spells),
    }
    assert set(tables) == set(docs.DATA_FILES)
    for name, (_, rows) in docs.data_files().items():
        documented = [VARIED if row[0].startswith("*") else row[0] for row in rows]
        assert documented == list(tables[name].columns), name


def test_load_results_returns_the_tables_and_metadata(folder: Path) -> None:
    results = cxsim.load_results(str(folder))
    assert results.folder == folder
    assert results.metadata["command"] == "compare"
    assert len(results.runs) == 4
    assert set(results.timeseries["scenario"]) == {"small", "other"}
    assert set(results.summary["metric"]) == set(cxsim.outputs.METRICS)
    assert (results.spells["duration"] >= 0).all()


def test_load_results_refuses_a_folder_that_is_not_cxsims(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a cxsim results folder") as err:
        cxsim.load_results(tmp_path)
    assert "\n" not in str(err.value)
    (tmp_path / MARKER).write_text("{}")
    with pytest.raises(StoreError, match=r"no metadata\.json"):
        cxsim.load_results(tmp_path)
    (tmp_path / "metadata.json").write_text("[1]")
    with pytest.raises(StoreError, match="not a cxsim metadata file"):
        cxsim.load_results(tmp_path)


TENTHS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def test_a_sweep_folder_has_the_same_shape_with_spells_and_customer_ids(
    folder: Path, sweep: Path
) -> None:
    def tables(out: Path) -> set[str]:
        return {p.name for p in out.iterdir() if p.suffix in {".csv", ".parquet", ".json"}}

    assert tables(sweep) - {"differences.csv"} == tables(folder) - {"survival_tests.csv"}
    spells = cxsim.load_results(sweep).spells
    assert list(spells.columns[-len(SPELL_COLUMNS) :]) == list(SPELL_COLUMNS)
    assert set(spells["point"]) == set(range(11))
    assert (spells.groupby("run_id")["customer"].nunique() == 200).all()


def test_a_range_gives_exact_values_in_runs_csv_and_metadata(sweep: Path) -> None:
    noise = re.compile(r"\.\d*(?:0{8,}[1-9]|9{8,})")  # 0.6000000000000001, 0.30000000000000004
    for name in ("runs.csv", "metadata.json"):
        assert not noise.search((sweep / name).read_text(encoding="utf-8")), name
    for name in ("summary.csv", "differences.csv"):  # the point's values, as written
        written = pd.read_csv(sweep / name, dtype=str)[VARIED]
        assert not written.str.contains(noise).any(), name
    results = cxsim.load_results(sweep)
    assert sorted(set(results.runs[VARIED])) == TENTHS
    assert results.metadata["varied"][VARIED] == TENTHS
    assert sorted(set(results.summary[VARIED])) == TENTHS
    assert results.metadata["baseline"] == {"point": 5, "values": {VARIED: 0.5}}
    assert results.metadata["options"]["baseline"] == f"{VARIED}=0.5"


def test_steps_are_the_mean_and_interval_per_step_of_every_weekly_column(sweep: Path) -> None:
    results = cxsim.load_results(sweep)
    steps, ts = results.steps, results.timeseries
    assert set(steps["output"]) == {o.name for o in cxsim.outputs.OUTPUTS}
    assert len(steps) == len(ts) // 2 * len(cxsim.outputs.OUTPUTS)  # over the 2 replicates
    row = steps[(steps.point == 3) & (steps.firm == "A") & (steps.output == "customers")]
    values = ts[(ts.point == 3) & (ts.firm == "A")]["customers"].to_numpy()
    assert tuple(row[["mean", "ci_low", "ci_high"]].iloc[0]) == pytest.approx(
        stats.t_interval(values)
    )
    assert (row["n"] == 2).all()


def test_differences_pair_every_point_with_the_baseline(sweep: Path) -> None:
    results = cxsim.load_results(sweep)
    diff, metrics = results.differences, results.metrics
    assert set(diff["point"]) == set(range(11)) - {5}
    assert set(diff["metric"]) == set(cxsim.outputs.METRICS)
    assert (diff["n"] == 2).all()
    row = diff[(diff.point == 8) & (diff.firm == "B") & (diff.metric == "customers")].iloc[0]
    by_rep = metrics[metrics.firm == "B"].pivot(
        index="replicate", columns="point", values="customers"
    )
    expected = stats.t_interval((by_rep[8] - by_rep[5]).to_numpy())
    assert (row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx(expected)
    assert row[VARIED] == 0.8


def test_a_compare_has_no_differences_file(folder: Path) -> None:
    results = cxsim.load_results(folder)
    assert results.differences.empty
    assert not (folder / "differences.csv").exists()
