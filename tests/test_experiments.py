"""experiments/cco_2x2.py end to end on a tiny market (about 30 s), and its resume."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .conftest import ROOT, load_script

SCRIPT = ROOT / "experiments" / "cco_2x2.py"
ARGS = ["--replicates", "2", "--customers", "2000", "--steps", "20", "--workers", "1"]
CELLS = ["neither", "CCO only", "CEO-led alone", "CEO-led + CCO"]
DIFFERENCES = [
    "(CEO-led + CCO) - (CEO-led alone)",
    "(CCO only) - (neither)",
    "(CEO-led alone) - (CCO only)",
]


def _script() -> ModuleType:
    return load_script("cco_2x2")


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), *ARGS, "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _run_files(out: Path) -> dict[str, tuple[int, int]]:
    """Every run's files in both results folders, with their size and modification time."""
    files = sorted(out.glob("runs/*/*")) + sorted(out.glob("boundary/runs/*/*"))
    return {str(p.relative_to(out)): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("cco_2x2") / "out"
    first = _run(out)
    before = _run_files(out)
    again = _run(out, "--resume")
    return {"out": out, "stdout": first.stdout, "before": before, "again": again}


def test_cells_have_finite_means_inside_their_intervals(finished: dict[str, Any]) -> None:
    cells = pd.read_csv(finished["out"] / "cco_2x2_cells.csv")
    assert sorted(cells["cell"].unique()) == sorted(CELLS)
    assert set(cells["metric"]) == {
        "retained",
        "churn_monthly",
        "commitment_frontline",
        "invisible_quality",
        "nps",
    }
    assert np.isfinite(cells[["mean", "ci_low", "ci_high"]].to_numpy()).all()
    assert (cells["ci_low"] <= cells["mean"]).all()
    assert (cells["mean"] <= cells["ci_high"]).all()
    assert (cells["n"] == 2).all()
    authority = cells.groupby("cell")["cco_effective_authority"].first()
    assert authority.to_dict() == pytest.approx(
        {"neither": 0.0, "CCO only": 0.4, "CEO-led alone": 0.0, "CEO-led + CCO": 0.9}
    )
    for cell in CELLS:
        assert cell in finished["stdout"]


def test_the_three_paired_differences(finished: dict[str, Any]) -> None:
    diffs = pd.read_csv(finished["out"] / "cco_2x2_differences.csv")
    assert set(DIFFERENCES) <= set(diffs["difference"])
    shown = diffs[diffs["difference"].isin(DIFFERENCES)]
    values = shown[["diff_mean", "diff_ci_low", "diff_ci_high"]].to_numpy()
    assert np.isfinite(values).all()
    assert (shown["diff_ci_low"] <= shown["diff_mean"]).all()
    assert (shown["diff_mean"] <= shown["diff_ci_high"]).all()
    # the paired difference is the difference of the cells' means (same replicates)
    cells = pd.read_csv(finished["out"] / "cco_2x2_cells.csv").set_index(["cell", "metric"])
    row = shown.set_index(["difference", "metric"]).loc[(DIFFERENCES[1], "retained")]
    expected = (
        cells.loc[("CCO only", "retained"), "mean"] - cells.loc[("neither", "retained"), "mean"]
    )
    assert row["diff_mean"] == pytest.approx(expected)


def test_boundary_table_and_figures(finished: dict[str, Any]) -> None:
    out = finished["out"]
    boundary = pd.read_csv(out / "cco_2x2_boundary.csv")
    assert boundary["ceo_commitment"].tolist() == [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.9, 1.0]
    reference = boundary.set_index("ceo_commitment").loc[0.9]
    assert reference["gap_mean"] == 0
    assert not reference["significant"]
    assert np.isfinite(boundary[["retained_mean", "gap_mean"]].to_numpy()).all()
    for name in ("cco_2x2.png", "cco_2x2_boundary.png"):
        assert (out / "figures" / name).stat().st_size > 0


def test_resume_redoes_no_run(finished: dict[str, Any]) -> None:
    assert finished["before"], "no run files found"
    assert _run_files(finished["out"]) == finished["before"]
    assert "resuming: 8 of 8 runs already finished" in finished["again"].stderr


def test_boundary_verdict_names_the_first_commitment_without_a_gap() -> None:
    script = _script()
    table = pd.DataFrame(
        {
            "ceo_commitment": [0.1, 0.4, 0.7, 0.85, 0.9, 1.0],
            "significant": [True, True, True, False, False, False],
        }
    )
    verdict = script.boundary_verdict(table)
    assert "significant up to CEO commitment 0.7" in verdict
    assert "no longer significant from 0.85" in verdict
    never = script.boundary_verdict(table.assign(significant=False))
    assert never.startswith("no significant gap")
