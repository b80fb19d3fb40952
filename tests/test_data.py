"""The data dictionary (docs/data.md) and ``cxsim.load_results``: both agree with a real folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxsim
from cxsim import docs
from cxsim.job import Job, execute
from cxsim.store import MARKER, StoreError

from .conftest import ROOT, small_scenario

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


def test_dictionary_columns_are_the_folders_columns(folder: Path) -> None:
    results = cxsim.load_results(folder)
    tables = {
        "timeseries.parquet": results.timeseries,
        "spells.parquet": results.spells,
        "metrics.parquet": results.metrics,
        "runs.csv": results.runs,
        "summary.csv": results.summary,
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
