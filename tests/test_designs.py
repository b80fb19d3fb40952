"""Sweep designs: the Morris sampler and its screening, and the hint for a hyphenated range."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cxsim.cli as cli
from cxsim.designs import (
    MORRIS_LEVELS,
    morris_effects,
    parse_sample,
    parse_vary,
    sample_points,
    sampled_design,
)
from cxsim.load import load_results
from cxsim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
RANGES = {"x1": (0.0, 2.0), "x2": (0.3, 0.9)}


def test_morris_points_are_seeded_trajectories_of_k_plus_1_points() -> None:
    points = sample_points(RANGES, "morris", 5, seed=7)
    assert len(points) == 5 * (len(RANGES) + 1)
    assert points == sample_points(RANGES, "morris", 5, seed=7)  # the same command, the same points
    assert points != sample_points(RANGES, "morris", 5, seed=8)
    x = np.array([[p[k] for k in RANGES] for p in points]).reshape(5, 3, 2)
    # each step of a trajectory moves exactly one parameter, by the same grid step
    assert ((np.diff(x, axis=1) != 0).sum(axis=2) == 1).all()
    for j, (lo, hi) in enumerate(RANGES.values()):
        levels = lo + (hi - lo) * np.arange(MORRIS_LEVELS) / (MORRIS_LEVELS - 1)
        assert np.isin(np.round(x[..., j], 9), np.round(levels, 9)).all()
    ints = sample_points({"n": (100.0, 1000.0)}, "morris", 3, seed=1, integers={"n"})
    assert all(isinstance(p["n"], int) for p in ints)


def test_morris_counts_its_points_against_the_limit() -> None:
    assert parse_sample("morris:10") == ("morris", 10)
    assert parse_sample("Morris:2") == ("morris", 2)
    with pytest.raises(ScenarioError, match="N >= 2 trajectories"):
        parse_sample("morris:1")
    with pytest.raises(ScenarioError, match="200 points is over the limit of 150"):
        parse_sample("morris:100", max_points=150)  # at least 2N points, before k is known
    # 40 trajectories of 3 points (2 ranges) are 120 points: over 100, though N = 40 is not
    with pytest.raises(ScenarioError, match=r"morris:40 \(40 trajectories x 3 .*: 120 points"):
        sample_points(RANGES, "morris", 40, seed=1, max_points=100)
    assert len(sample_points(RANGES, "morris", 40, seed=1, max_points=120)) == 120
    assert len(sample_points(RANGES, "lhs", 100, seed=1, max_points=100)) == 100


def test_morris_effects_of_an_analytic_function() -> None:
    # y = 3 x1 + 0 x2: mu* of x1 is 3 per unit of x1, i.e. 3 x its range; x2 has no effect
    points = sample_points(RANGES, "morris", 20, seed=3)
    y = [3.0 * p["x1"] + 0.0 * p["x2"] for p in points]
    effects = morris_effects(points, y, RANGES)
    assert list(effects.index) == ["x1", "x2"]
    assert set(effects.columns) >= {"mu_star", "mu_star_conf", "sigma", "mu"}
    assert effects.loc["x1", "mu_star"] / (2.0 - 0.0) == pytest.approx(3.0)
    assert effects.loc["x1", "sigma"] == pytest.approx(0.0, abs=1e-9)  # linear: no spread
    assert effects.loc["x2", "mu_star"] == 0.0
    assert effects.loc["x2", "sigma"] == 0.0
    assert (effects["trajectories"] == 20).all()
    # an interaction shows as sigma, and a Series keyed by point is put in point order
    inter = pd.Series([p["x1"] * p["x2"] for p in points]).iloc[::-1]
    effects = morris_effects(points, inter, RANGES)
    assert (effects["sigma"] > 0).all()


def test_morris_effects_refuses_what_is_not_a_morris_design() -> None:
    lhs = sample_points(RANGES, "lhs", 6, seed=1)
    with pytest.raises(ValueError, match="not Morris trajectories"):
        morris_effects(lhs, [0.0] * 6, RANGES)
    points = sample_points(RANGES, "morris", 2, seed=1)
    with pytest.raises(ValueError, match="whole trajectories"):
        morris_effects(points[:5], [0.0] * 5, RANGES)
    with pytest.raises(ValueError, match="no finite value for points \\[2\\]"):
        morris_effects(points, [0, 0, np.nan, 0, 0, 0], RANGES)


def test_sampled_design_reads_the_sample_back_from_the_command_line() -> None:
    meta = {
        "command_line": "cxsim sweep s.yaml --vary a.b=0.1:0.5 --sample morris:4"
        " --vary=c.d=1:3 --replicates 2"
    }
    assert sampled_design(meta) == ("morris", 4, {"a.b": (0.1, 0.5), "c.d": (1.0, 3.0)})
    assert sampled_design({"command_line": "cxsim sweep s.yaml --vary a=1,2"}) is None


def test_a_hyphenated_range_is_refused_with_a_hint() -> None:
    for text, lo, hi in [
        ("firms.0.leadership.ceo_commitment=0.3-0.9", "0.3", "0.9"),
        ("market.customers=1000 - 3000", "1000", "3000"),
        ("x=-1-2", "-1", "2"),
    ]:
        with pytest.raises(ScenarioError) as err:
            parse_vary(text)
        message = str(err.value)
        assert "\n" not in message
        assert f"{lo}:{hi}:n for a grid" in message
        assert f"{lo}:{hi} with --sample" in message
    # numbers with an exponent, lists and text values are not ranges
    assert parse_vary("x=1e-5") == ("x", [1e-05])
    assert parse_vary("x=0.3,0.9") == ("x", [0.3, 0.9])
    assert parse_vary("firms.0.name=2024-25") == ("firms.0.name", ["2024-25"])  # a text field


def test_a_hyphenated_range_on_the_command_line(tmp_path: Path) -> None:
    args = ["sweep", ROOT / "scenarios" / "ceo_led.yaml", "--out", tmp_path / "out"]
    result = CliRunner().invoke(
        cli.app, [str(a) for a in [*args, "--vary", "firms.0.leadership.ceo_commitment=0.3-0.9"]]
    )
    assert result.exit_code == 2
    assert "0.3:0.9:n for a grid" in result.output
    assert not (tmp_path / "out").exists()


def test_a_morris_sweep_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "morris"
    vary = {"market.problem_rate": (0.03, 0.08), "firms.0.leadership.ceo_commitment": (0.3, 0.9)}
    args = [
        "sweep",
        ROOT / "scenarios" / "ceo_led.yaml",
        *(a for key, (lo, hi) in vary.items() for a in ("--vary", f"{key}={lo}:{hi}")),
        "--sample",
        "morris:2",
        "--replicates",
        "1",
        "--set",
        "market.customers=300",
        "--set",
        "steps=10",
        "--set",
        "market.warmup_weeks=0",
        "--workers",
        "1",
        "--out",
        out,
    ]
    argv = [str(a) for a in args]
    monkeypatch.setattr("sys.argv", ["cxsim", *argv])  # the command line the metadata records
    result = CliRunner().invoke(cli.app, argv)
    assert result.exit_code == 0, result.output
    results = load_results(out)
    points = results.metadata["options"]["points"]
    assert len(points) == 2 * (len(vary) + 1)
    assert sorted(results.metrics["point"].unique()) == list(range(len(points)))
    kind, n, ranges = sampled_design(json.loads((out / "metadata.json").read_text()))
    assert (kind, n, ranges) == ("morris", 2, vary)
    focal = results.metrics[results.metrics["firm"] == results.metrics["firm"].iloc[0]]
    effects = morris_effects(points, focal.groupby("point")["retained"].mean(), ranges)
    assert list(effects.index) == list(vary)
    assert np.isfinite(effects[["mu_star", "mu_star_conf", "sigma"]].to_numpy()).all()
    assert (effects["mu_star"] >= 0).all()
    # too many points for --max-runs: refused before anything is run or written
    over = tmp_path / "over"
    result = CliRunner().invoke(cli.app, [str(a) for a in [*args[:-1], over, "--max-runs", "5"]])
    assert result.exit_code == 2
    assert "over the limit" in result.output
    assert not (over / "runs").exists()
