"""Figures and the statistics under them: bands, Kaplan–Meier per replicate, log-rank."""

from __future__ import annotations

import io

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


# --------------------------------------------------------------------------- degenerate data


def _render(fig: Figure) -> None:
    """Draw a figure as cxsim saves it (matplotlib defers some failures to drawing)."""
    for fmt in ("png", "svg"):
        fig.savefig(io.BytesIO(), format=fmt, dpi=50)
    plt.close(fig)


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def test_survival_without_churn_stays_at_one() -> None:
    spells = pd.concat(
        [
            _spells([10, 10, 4], [False, False, False], firm="calm"),
            _spells([2, 10], [True, False], firm="busy"),
        ]
    )
    bands = plots.survival_bands(spells, steps=10).set_index(["firm", "week"])
    assert (bands.loc["calm", "mean"] == 1.0).all()
    assert bands.loc[("busy", 2), "mean"] == pytest.approx(0.5)
    _render(plots.survival_curves(bands.reset_index()))


def test_survival_of_a_single_customer_who_leaves() -> None:
    bands = plots.survival_bands(_spells([3], [True]), steps=5)
    assert list(bands["mean"]) == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_logrank_is_blank_and_says_why_where_undefined() -> None:
    calm = [_spells([5, 5], [False, False], scenario=s, replicate=r) for s in "ab" for r in (0, 1)]
    tests = plots.logrank_tests(pd.concat(calm))
    assert tests["p_value"].isna().all()
    assert list(tests["note"]) == ["undefined: no churn events"]
    # a firm without customers has no spells: pairing must follow the firms' positions
    base = pd.concat([_spells([1, 5], [True, False], scenario="a", firm="X")])
    other = pd.concat(
        [
            _spells([2, 5], [True, False], scenario="b", firm="X"),
            _spells([3, 5], [True, False], scenario="b", firm="Y"),
        ]
    )
    tests = plots.logrank_tests(pd.concat([base, other]), {"a": ["X", "Y"], "b": ["X", "Y"]})
    assert list(tests["versus_firm"]) == ["X", "Y"]
    assert list(tests["firm"]) == ["X", "Y"]
    assert tests["note"].tolist() == ["", "undefined: a firm had no customers"]
    assert tests["p_value"].notna().tolist() == [True, False]


def test_curves_of_one_week_and_of_a_firm_without_customers() -> None:
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "firm": ["F", "G"] * 2,
            "replicate": [0, 0, 1, 1],
            "step": 1,
            "satisfaction": [0.5, np.nan, 0.7, np.nan],
        }
    )
    fig = plots.outcome_curve(ts, "satisfaction")
    assert _legend_texts(fig) == ["s / F", "s / G (no data)"]
    assert list(fig.axes[0].get_xticks()) == [1]
    _render(fig)


def test_sweep_figures_of_text_nulls_and_single_points() -> None:
    metrics = pd.DataFrame(
        {
            "scenario": "s",
            "firm": ["F", "G"] * 3,
            "mode": ["b", "b", "a", "a", None, None],
            "x": [0.5] * 6,
            "retained": [0.2, np.nan, 0.4, np.nan, 0.6, np.nan],
        }
    )
    fig = plots.sweep_lines(metrics, "mode", "retained")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "null"]
    assert _legend_texts(fig) == ["s / F", "s / G (no data)"]
    _render(fig)
    _render(plots.sweep_lines(metrics, "x", "retained"))  # one point
    heat = plots.sweep_heatmap(metrics, "mode", "x", "retained", "F")
    assert [t.get_text() for t in heat.axes[0].texts] == ["0.4", "0.2", "0.6"]
    _render(heat)
    empty = plots.sweep_heatmap(metrics, "mode", "x", "retained", "G")
    assert {t.get_text() for t in empty.axes[0].texts} == {"n/a"}
    _render(empty)
