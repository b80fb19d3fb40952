"""Figures and the statistics under them: bands, Kaplan–Meier per replicate, log-rank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from scipy import stats

from cxsim import plots


def test_band_is_a_t_interval_across_replicates() -> None:
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"], "v": [1.0, 2.0, 3.0, 4.0, 7.0]})
    out = plots.band(df, ["g"], "v").set_index("g")
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert out.loc["a", "mean"] == 2.5
    assert out.loc["a", "high"] - 2.5 == pytest.approx(half)
    assert out.loc["b", "low"] == out.loc["b", "high"] == 7.0  # one replicate: no band


def _spells(durations, events, replicate=0, scenario="s", firm="F", start=0):
    n = len(durations)
    return pd.DataFrame(
        {
            "scenario": scenario,
            "firm": firm,
            "replicate": replicate,
            "duration": durations,
            "event": events,
            "start_step": [start] * n,
        }
    )


def test_kaplan_meier_without_censoring_is_the_empirical_survival() -> None:
    durations = np.array([1, 2, 2, 3, 5, 8, 8, 8])
    spells = _spells(durations, np.ones(8, dtype=bool))
    bands = plots.survival_bands(spells, steps=10)
    for week in range(11):
        expected = np.mean(durations > week)
        assert bands.loc[bands.week == week, "mean"].item() == pytest.approx(expected)


def test_survival_band_spans_replicates() -> None:
    a = _spells([2, 4, 6, 8], [True] * 4, replicate=0)
    b = _spells([1, 2, 3, 4], [True] * 4, replicate=1)
    bands = plots.survival_bands(pd.concat([a, b]), steps=8)
    row = bands[bands.week == 3].iloc[0]
    assert row["mean"] == pytest.approx((0.75 + 0.25) / 2)
    assert row["low"] < row["mean"] < row["high"]


def test_retention_counts_only_initial_customers() -> None:
    first = _spells([3, 10, 10], [True, False, False])
    later = _spells([1], [True], start=5)
    bands = plots.retention_bands(pd.concat([first, later]), steps=10)
    assert bands.loc[bands.week == 2, "mean"].item() == 1.0
    assert bands.loc[bands.week == 3, "mean"].item() == pytest.approx(2 / 3)
    assert bands.loc[bands.week == 10, "mean"].item() == pytest.approx(2 / 3)


def test_logrank_finds_a_real_difference_and_not_a_fake_one() -> None:
    rng = np.random.default_rng(1)
    frames = []
    for scenario, scale in [("base", 10.0), ("same", 10.0), ("worse", 4.0)]:
        for rep in range(3):
            d = np.ceil(rng.exponential(scale, 300))
            frames.append(_spells(d, d < 40, replicate=rep, scenario=scenario))
    tests = plots.logrank_tests(pd.concat(frames)).set_index("scenario")
    assert tests.loc["worse", "p_value"] < 1e-6
    assert tests.loc["same", "p_value"] > 0.001


def test_figures_are_figures_with_labelled_axes() -> None:
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "replicate": np.repeat([0, 1], 5),
            "step": np.tile(np.arange(1, 6), 2),
            "churn_rate": 0.01,
            "culture_leaders": 0.5,
            "culture_managers": 0.4,
            "culture_frontline": 0.3,
            "visible_quality": 0.6,
            "invisible_quality": 0.2,
        }
    )
    for fig in (
        plots.outcome_curve(ts, "churn_rate"),
        plots.culture_by_level(ts),
        plots.quality_parts(ts),
    ):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_xlabel() == "week"
        assert fig.axes[0].get_ylabel()
    metrics = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "a": [0, 0, 1, 1],
            "b": [0, 1, 0, 1],
            "retained": [0.1, 0.2, 0.3, 0.4],
        }
    )
    heat = plots.sweep_heatmap(metrics, "a", "b", "retained", "F")
    image = heat.axes[0].images[0].get_array()
    np.testing.assert_allclose(image, [[0.1, 0.3], [0.2, 0.4]])
    line = plots.sweep_lines(metrics, "a", "retained")
    assert line.axes[0].get_xlabel() == "a"
    plt.close("all")
