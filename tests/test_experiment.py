"""The pattern experiments (cxsim.experiment, cxsim.patterns) and the findings page."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cxsim
from cxsim import findings
from cxsim.cli import app
from cxsim.experiment import (
    OUTCOMES,
    Boundary,
    Grid,
    _grid_settings,
    crossing,
    effects_table,
    grid_tables,
    outcomes_at,
    run_experiment,
    verdict,
)
from cxsim.outputs import lifetime_value
from cxsim.patterns import EXPERIMENTS, by_name
from cxsim.scenario import apply_overrides

from .conftest import ROOT


def test_every_pattern_is_declared_once_with_valid_arms_and_boundary() -> None:
    assert sorted(e.pattern for e in EXPERIMENTS) == [f"P{i}" for i in range(1, 9)]
    for exp in EXPERIMENTS:
        assert by_name(exp.pattern) is exp
        assert exp.expect in (-1, 1)
        assert sum(a.coef for a in exp.arms) == 0  # a contrast: no level effect
        for i, arm in enumerate(exp.arms):
            scenario = cxsim.load_scenario(ROOT / "scenarios" / f"{arm.scenario}.yaml")
            assert arm.firm in [f.name for f in scenario.firms]
            if i in exp.boundary.arms:
                for value in exp.boundary.values:  # every boundary value is a valid setting
                    apply_overrides(scenario, exp.boundary.setting(value))
        for _, arms in _grid_settings(exp.grid) if exp.grid else []:
            for i, over in arms.items():  # every grid cell is a valid setting of its arms
                scenario = cxsim.load_scenario(ROOT / "scenarios" / f"{exp.arms[i].scenario}.yaml")
                resolved = apply_overrides(scenario, over).model_dump(mode="json")
                for key, value in over.items():
                    node = resolved
                    for part in key.split("."):
                        node = node[int(part)] if isinstance(node, list) else node[part]
                    assert node == value


def test_a_grid_sets_each_lever_on_its_own_arms() -> None:
    grid = Grid(Boundary("a", (1, 2), arms=(0,)), Boundary(("b", "c"), (5,), arms=(0, 1)))
    assert _grid_settings(grid) == [
        ((1, 5), {0: {"a": 1, "b": 5, "c": 5}, 1: {"b": 5, "c": 5}}),
        ((2, 5), {0: {"a": 2, "b": 5, "c": 5}, 1: {"b": 5, "c": 5}}),
    ]


def test_grid_tables_give_cells_changes_and_crossings() -> None:
    grid = Grid(Boundary("a", (0.0, 1.0, 2.0), arms=(0,)), Boundary("b", (0, 10), arms=(0,)))
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 0.001, 20)
    contrasts = {}
    for r in grid.rows.values:
        for c in grid.cols.values:
            effect = (1.0 - r) + (0.5 if c == 10 else 0.0)  # crosses at 1 (b=0), 1.5 (b=10)
            contrasts[(r, c)] = pd.DataFrame(
                {"replicate": range(20), "horizon": 260, "retained": effect + noise}
            )
    cells, crossings = grid_tables(grid, contrasts, 260)
    cell = cells[(cells["row"] == 2.0) & (cells["col"] == 10)].iloc[0]
    assert cell["mean"] == pytest.approx(-0.5, abs=0.002)
    assert cell["change"] == pytest.approx(0.5)  # paired: the shared noise cancels
    assert cell["change_high"] - cell["change_low"] < 1e-9
    at = crossings.set_index("col")["crossing"]
    assert at[0] == pytest.approx(1.0, abs=0.01)
    assert at[10] == pytest.approx(1.5, abs=0.01)


def test_crossing_is_found_between_grid_values_with_an_interval() -> None:
    values = [0.0, 1.0, 2.0, 3.0]
    rng = np.random.default_rng(0)
    effects = np.array([[1.0], [0.5], [-0.5], [-1.0]]) + rng.normal(0, 0.01, (4, 20))
    c = crossing(values, effects)
    assert c["crossing"] == pytest.approx(1.5, abs=0.02)
    assert c["low"] <= c["crossing"] <= c["high"]
    assert c["share_crossing"] == 1.0
    never = crossing(values, np.abs(effects) + 0.1)
    assert never["crossing"] is None


def _effects(mean: float, low: float, high: float, horizon: int = 260) -> pd.DataFrame:
    return pd.DataFrame(
        [{"outcome": "retained", "horizon": horizon, "mean": mean, "low": low, "high": high}]
    )


def test_verdicts_read_the_interval_in_the_expected_direction() -> None:
    up = by_name("P1")  # expects a positive effect
    down = by_name("P2")  # expects a negative one
    no_boundary = pd.DataFrame({"low": [-0.1], "high": [0.1]})
    assert verdict(up, _effects(0.05, 0.02, 0.08), no_boundary) == "emerges"
    assert verdict(down, _effects(-0.05, -0.08, -0.02), no_boundary) == "emerges"
    assert verdict(up, _effects(-0.05, -0.08, -0.02), no_boundary) == "reversed"
    assert verdict(up, _effects(0.0, -0.01, 0.01), no_boundary) == "does not emerge"
    somewhere = pd.DataFrame({"low": [-0.1, 0.01], "high": [0.1, 0.2]})
    assert verdict(up, _effects(0.0, -0.01, 0.01), somewhere) == "emerges only under conditions"


def test_effects_table_gives_a_t_interval_per_outcome_and_horizon() -> None:
    contrast = pd.DataFrame(
        {
            "replicate": [0, 1, 2, 0, 1, 2],
            "horizon": [52] * 3 + [260] * 3,
            **{o: [1.0, 2.0, 3.0, 0.0, 0.0, 0.0] for o in OUTCOMES},
        }
    )
    table = effects_table(contrast)
    row = table[(table["outcome"] == "retained") & (table["horizon"] == 52)].iloc[0]
    assert row["mean"] == 2.0
    assert row["low"] < 2.0 < row["high"]
    assert row["n"] == 3


def test_outcomes_at_the_last_week_agree_with_the_end_of_run_metrics() -> None:
    scenario = cxsim.load_scenario(ROOT / "scenarios" / "ceo_led.yaml")
    scenario = apply_overrides(scenario, {"market.customers": 800, "steps": 30})
    model = cxsim.CXModel(scenario, rng=4).run()
    ts = model.timeseries()
    sp = model.customer_spells()
    end = sp["end_step"].fillna(30)
    spells = pd.DataFrame(
        {
            "duration": end - sp["start_step"],
            "event": sp["churned"],
            "firm": sp["firm"].astype(str),
            "start_step": sp["start_step"],
        }
    )
    got = outcomes_at(ts, spells, [30])
    first = sp[sp["start_step"] == 0]
    for firm in ("Focal", "Rival"):
        kept = first.loc[first["firm"] == firm, "end_step"].isna().mean()
        assert got.loc[(firm, 30), "retained"] == pytest.approx(kept)
        share = ts.loc[(ts["step"] == 30) & (ts["firm"] == firm), "market_share"].item()
        assert got.loc[(firm, 30), "market_share"] == pytest.approx(share)
    assert got["lifetime_value"].isna().all()  # it needs the market
    priced = outcomes_at(ts, spells, [30], scenario.market)
    weekly = ts.loc[ts["firm"] == "Focal", "churn_rate_weekly"].mean()
    expected = lifetime_value(weekly, scenario.market)
    assert priced.loc[("Focal", 30), "lifetime_value"] == pytest.approx(float(expected))


def test_an_experiment_runs_end_to_end_and_resumes(tmp_path: Path) -> None:
    exp = dataclasses.replace(
        by_name("P1"),
        boundary=dataclasses.replace(by_name("P1").boundary, values=(0.4, 0.9)),
    )
    out = tmp_path / "p1"
    result = run_experiment(exp, out, replicates=2, customers=300, steps=20, seed=1)
    assert result["verdict"] in {
        "emerges", "emerges only under conditions", "reversed", "does not emerge"
    }  # fmt: skip
    effects = pd.read_csv(out / "effects.csv")
    assert set(effects["outcome"]) == set(OUTCOMES)
    assert (effects["n"] == 2).all()
    boundary = pd.read_csv(out / "boundary.csv")
    assert boundary["value"].tolist() == [0.4, 0.9]
    assert (out / "experiment.png").stat().st_size > 0
    # at the top of the boundary, the CEO-led arm is the scenario's own: the same effect
    base = effects[effects["outcome"] == "retained"].iloc[0]["mean"]
    assert boundary.iloc[1]["mean"] == pytest.approx(base)
    stamp = (out / "effects.csv").stat().st_mtime_ns
    again = run_experiment(exp, out, replicates=2, customers=300, steps=20, seed=1, resume=True)
    assert again == result
    assert (out / "effects.csv").stat().st_mtime_ns >= stamp


def test_findings_page_is_rendered_from_the_summaries(tmp_path: Path) -> None:
    summary = {
        "name": "p1_ceo_led", "pattern": "P1", "hypothesis": "h.", "expect": 1,
        "boundary_key": "k", "boundary_label": "the lever", "verdict": "emerges",
        "verdict_horizon": 260, "advice": "Lead it.", "replicates": 30, "customers": 10000,
        "horizons": [260],
        "crossing": {"crossing": 0.5, "low": 0.45, "high": 0.55, "share_crossing": 1.0},
        "effects": [{"outcome": o, "horizon": 260, "mean": 0.0123, "low": 0.01, "high": 0.015,
                     "n": 30} for o in OUTCOMES],
        "boundary": [{"value": 0.4, "mean": 0.001, "low": -0.002, "high": 0.004, "n": 30}],
    }  # fmt: skip
    (tmp_path / "p1_ceo_led.json").write_text(json.dumps(summary))
    page = findings.render(findings.collect(tmp_path))
    assert "| P1 `p1_ceo_led` | emerges | 0.0123 [0.01, 0.015] |" in page
    assert "crosses zero at 0.5 " in page
    assert "**For a strategist**: Lead it." in page
    cell = {"mean": 0.02, "low": 0.01, "high": 0.03, "change": -0.004, "change_low": -0.006,
            "change_high": -0.002, "n": 10}  # fmt: skip
    summary["grid"] = {
        "rows_key": "r", "rows_label": "the row lever", "cols_key": "c", "cols_label": "lag",
        "replicates": 10, "figure": False,
        "cells": [{"row": r, "col": c, **cell} for r in (0.5, 1.0) for c in (0, 26)],
        "crossings": [{"col": 0, "crossing": None, "low": None, "high": None},
                      {"col": 26, "crossing": 0.7, "low": 0.6, "high": 0.8}],
    }  # fmt: skip
    sens = {
        "customers": 3000, "trajectories": 4, "morris_points": 108, "factors": 26,
        "sobol_points": 448, "sobol_factors": ["market.x"],
        "signs": [{"pattern": "P1", "points": 108, "share_expected_sign": 0.97, "mean": 0.05,
                   "p05": 0.01, "p95": 0.09}],
        "morris": [{"pattern": "P1", "factor": "market.x", "mu_star": 0.03,
                    "mu_star_conf": 0.01, "mu": 0.03, "sigma": 0.02}],
        "sobol": [{"pattern": "P1", "factor": "market.x", "S1": 0.4, "S1_conf": 0.1,
                   "ST": 0.6, "ST_conf": 0.1}],
    }  # fmt: skip
    found = {
        "points": 200, "customers": 3000, "share_culture_wins": 0.62, "median_gain": 1.5e5,
        "box": {"rules": [{"lever": "firms.0.leadership.ceo_commitment", "low": 0.55,
                           "high": None}], "coverage": 0.7, "density": 0.9, "mass": 0.4,
                "threshold": 0.8},
    }  # fmt: skip
    page = findings.render([summary], {"sensitivity": sens, "discovery": found})
    assert "| P1 `p1_ceo_led` | emerges | 0.0123 [0.01, 0.015] | 97% of 108 points |" in page
    assert "| 0.5 | 0.02 [0.01, 0.03] | 0.02 [0.01, 0.03] |" in page  # a row of cells
    assert "| 1.0 | -0.004 [-0.006, -0.002] |" in page  # its change from lag 0
    assert "at lag = 26, 0.7 [0.6, 0.8]" in page
    assert "at 97% of the points" in page
    assert "`x` (mu* 0.03)" in page
    assert "| `x` | 0.4 ± 0.1 | 0.6 ± 0.1 |" in page
    assert "- `leadership.ceo_commitment` ≥ 0.55" in page
    assert "Culture-led earns more at 62% of the points" in page


def test_the_committed_findings_page_is_what_its_summaries_render() -> None:
    page = ROOT / "docs" / "findings.md"
    if not page.exists():
        pytest.skip("no findings page committed yet")
    summaries = ROOT / "docs" / "findings"
    assert page.read_text(encoding="utf-8") == findings.render(
        findings.collect(summaries), findings.studies(summaries)
    )


def test_an_unknown_experiment_is_one_line() -> None:
    result = CliRunner().invoke(app, ["experiment", "p9"])
    assert result.exit_code == 2
    assert "no experiment 'p9'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_every_experiment_runs_end_to_end_in_quick_mode(tmp_path: Path) -> None:
    """``cxsim experiment all --quick`` (what CI runs): every pattern's folder has its tables
    and a verdict, and no findings page is written from quick results."""
    page = tmp_path / "findings.md"
    result = CliRunner().invoke(
        app,
        ["experiment", "all", "--quick", "--out", str(tmp_path), "--findings", str(page)],
    )
    assert result.exit_code == 0, result.output
    for exp in EXPERIMENTS:
        folder = tmp_path / "quick" / exp.name
        outcome = json.loads((folder / "result.json").read_text())
        assert outcome["verdict"] in result.output
        assert (folder / "effects.csv").exists()
        assert (folder / "boundary.csv").exists()
        if exp.grid is not None:
            cells = pd.read_csv(tmp_path / "quick" / f"{exp.name}-grid" / "grid.csv")
            assert len(cells) == len(exp.grid.rows.values) * len(exp.grid.cols.values)
    sens = json.loads((tmp_path / "quick" / "sensitivity-sobol" / "summary.json").read_text())
    assert {r["pattern"] for r in sens["signs"]} == {e.pattern for e in EXPERIMENTS}
    assert "discovery: box of" in result.output
    assert (tmp_path / "quick" / "discovery" / "points.csv").exists()
    assert not page.exists()


def test_the_findings_writer_never_replaces_a_file_cxsim_did_not_write(tmp_path: Path) -> None:
    from cxsim.job import JobError

    page, summaries = tmp_path / "findings.md", tmp_path / "findings"
    page.write_text("my own notes\n")
    with pytest.raises(JobError, match="not a findings page cxsim wrote"):
        findings.write(tmp_path / "results", summaries, page, ["p1_ceo_led"])
    assert page.read_text() == "my own notes\n"
    page.unlink()
    summaries.mkdir()
    (summaries / "p1_ceo_led.json").write_text('{"mine": true}')
    with pytest.raises(JobError, match="not written by cxsim experiment"):
        findings.write(tmp_path / "results", summaries, page, ["p1_ceo_led"])
    assert (summaries / "p1_ceo_led.json").read_text() == '{"mine": true}'
    assert not page.exists()


def test_odd_sensitivity_section_agrees_with_the_committed_screening() -> None:
    """ODD §8.4 quotes, per pattern, how often its sign held over the Morris design: each
    figure is the committed summary's (``docs/findings/sensitivity.json``)."""
    summary = ROOT / "docs" / "findings" / "sensitivity.json"
    if not summary.exists():
        pytest.skip("no sensitivity summary committed yet")
    signs = json.loads(summary.read_text(encoding="utf-8"))["signs"]
    odd = (ROOT / "ODD.md").read_text(encoding="utf-8")
    section = odd[odd.index("### 8.4") : odd.index("## References")]
    for row in signs:
        bullet = section[section.index(f"- **{row['pattern']}**") :].split("\n- ")[0]
        share = row["share_expected_sign"]
        said = "at every point" if share == 1 else f"{share:.0%} of points"
        assert said in bullet, (row["pattern"], said)


def test_readme_quotes_the_committed_sensitivity_and_discovery() -> None:
    """The README's "How robust, and where culture pays" figures are the committed summaries'."""
    summaries = ROOT / "docs" / "findings"
    if not (summaries / "discovery.json").exists():
        pytest.skip("no studies committed yet")
    found = json.loads((summaries / "discovery.json").read_text(encoding="utf-8"))
    sens = json.loads((summaries / "sensitivity.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    text = readme[readme.index("**How robust, and where culture pays**") :].split("\n\n")[0]
    p2 = {r["factor"]: r for r in sens["sobol"] if r["pattern"] == "P2"}
    wom = p2["market.word_of_mouth_effect"]
    assert f"{wom['S1']:.2f} ± {wom['S1_conf']:.2f}" in text
    assert f"at only {found['share_culture_wins']:.0%} of" in text
    assert f"({found['box']['density']:.0%} of the points in its box)" in text
    budget = next(r for r in found["box"]["rules"] if r["lever"].endswith("budget_per_week"))
    assert f"${round(budget['high'], -2):,.0f} a week" in text
