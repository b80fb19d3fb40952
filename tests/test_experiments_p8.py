"""experiments/p8.py end to end on a tiny market (about 15 s), and its interaction arithmetic."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .conftest import ROOT, load_script

SCRIPT = ROOT / "experiments" / "p8.py"
ARGS = ["--replicates", "2", "--customers", "1500", "--steps", "20", "--workers", "1"]
CELLS = ["neither", "programs only", "leaders only", "both"]
METRICS = {"retained", "commitment_frontline", "invisible_quality", "visible_quality", "skill"}
INTERACTION_METRICS = {"retained", "skill", "commitment_frontline"}


def _script() -> ModuleType:
    return load_script("p8")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("p8") / "out"
    command = [sys.executable, str(SCRIPT), *ARGS, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {"out": out, "stdout": done.stdout}


def test_four_cells_in_both_arms_with_means_inside_their_intervals(
    finished: dict[str, Any],
) -> None:
    cells = pd.read_csv(finished["out"] / "p8_cells.csv")
    assert set(cells["mechanisms"]) == {"on", "off"}
    for _, arm in cells.groupby("mechanisms"):
        assert sorted(arm["cell"].unique()) == sorted(CELLS)
        assert set(arm["metric"]) == METRICS
    assert len(cells) == 2 * len(CELLS) * len(METRICS)
    assert np.isfinite(cells[["mean", "ci_low", "ci_high"]].to_numpy()).all()
    assert (cells["ci_low"] <= cells["mean"]).all()
    assert (cells["mean"] <= cells["ci_high"]).all()
    assert (cells["n"] == 2).all()
    ceo = cells.groupby("cell")["ceo_commitment"].first().to_dict()
    assert ceo == pytest.approx(
        {"neither": 0.35, "programs only": 0.35, "leaders only": 0.9, "both": 0.9}
    )
    # without programs nothing trains the frontline: skill stays at its initial value
    skill = cells[(cells["metric"] == "skill") & (cells["programs"] == "none")]
    assert skill["mean"].nunique() == 1
    for cell in CELLS:
        assert cell in finished["stdout"]


def test_interaction_rows_for_both_arms_and_their_difference(finished: dict[str, Any]) -> None:
    table = pd.read_csv(finished["out"] / "p8_interactions.csv")
    inter = table[table["contrast"] == "interaction"]
    assert set(zip(inter["mechanisms"], inter["metric"], strict=True)) == {
        (arm, m) for arm in ("on", "off") for m in INTERACTION_METRICS
    }
    diff = table[table["contrast"] == "interaction on - off"]
    assert set(diff["metric"]) == INTERACTION_METRICS
    values = table[["diff_mean", "diff_ci_low", "diff_ci_high"]].to_numpy()
    assert np.isfinite(values).all()
    assert (table["diff_ci_low"] <= table["diff_mean"]).all()
    assert (table["diff_mean"] <= table["diff_ci_high"]).all()
    assert (table["n"] == 2).all()
    # same replicates in every cell: the paired interaction is the one of the cells' means
    cells = pd.read_csv(finished["out"] / "p8_cells.csv").set_index(
        ["mechanisms", "cell", "metric"]
    )
    by = inter.set_index(["mechanisms", "metric"])["diff_mean"]
    for arm in ("on", "off"):
        mean = {c: cells.loc[(arm, c, "retained"), "mean"] for c in CELLS}
        expected = (mean["both"] - mean["leaders only"]) - (mean["programs only"] - mean["neither"])
        assert by[(arm, "retained")] == pytest.approx(expected)
    assert diff.set_index("metric").loc["retained", "diff_mean"] == pytest.approx(
        by[("on", "retained")] - by[("off", "retained")]
    )
    assert (finished["out"] / "figures" / "p8.png").stat().st_size > 0
    assert (finished["out"] / "mechanisms_off" / "summary.csv").is_file()


def test_interaction_is_computed_replicate_by_replicate() -> None:
    script = _script()
    # a multiplicative outcome: programs add 1 under low leaders and 3 under high ones
    base = {"neither": 0.0, "programs only": 1.0, "leaders only": 2.0, "both": 5.0}
    rows = pd.DataFrame(
        [
            {
                "scenario": c,
                "replicate": r,
                "retained": v + r,
                "skill": v,
                "commitment_frontline": 0,
            }
            for r in range(3)
            for c, v in base.items()
        ]
    )
    # the same, additive: programs add 1 at both leadership levels
    additive = rows.assign(
        retained=rows["retained"].where(rows["scenario"] != "both", 3.0 + rows["replicate"])
    )
    table = script.interaction_table({"on": rows, "off": additive}).set_index(
        ["contrast", "mechanisms", "metric"]
    )
    assert table.loc[("interaction", "on", "retained"), "diff_mean"] == pytest.approx(2.0)
    assert table.loc[("programs | leaders high", "on", "retained"), "diff_mean"] == 3.0
    assert table.loc[("interaction", "on", "commitment_frontline"), "diff_mean"] == 0.0
    assert table.loc[("interaction", "off", "retained"), "diff_mean"] == pytest.approx(0.0)
    assert table.loc[("interaction on - off", "on - off", "retained"), "diff_mean"] == 2.0
    assert table.loc[("interaction on - off", "on - off", "skill"), "diff_mean"] == 0.0
    assert bool(table.loc[("interaction", "on", "retained"), "significant"])
    assert not table.loc[("interaction on - off", "on - off", "skill"), "significant"]
