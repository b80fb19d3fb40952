"""Figures: DataFrame (a statistics table) in, Figure out. The statistics are in test_stats."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from cxsim import plots, stats, sweep_plots

from .conftest import make_spells

TIME_KEYS = ["scenario", "firm", "step"]


def _over_time(ts: pd.DataFrame, *values: str) -> dict[str, pd.DataFrame]:
    return {v: stats.replicate_bands(ts, TIME_KEYS, v) for v in values}


def _sweep(metrics: pd.DataFrame, param: str, value: str) -> pd.DataFrame:
    return stats.replicate_bands(metrics, ["scenario", "firm", param], value)


def _cells(metrics: pd.DataFrame, x: str, y: str, value: str) -> pd.DataFrame:
    return stats.replicate_bands(metrics, ["scenario", "firm", x, y], value)


def test_figures_are_figures_with_labelled_axes() -> None:
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "replicate": np.repeat([0, 1], 5),
            "step": np.tile(np.arange(1, 6), 2),
            "churn_rate_weekly": 0.01,
            "commitment_leaders": 0.5,
            "commitment_managers": 0.4,
            "commitment_frontline": 0.3,
            "visible_quality": 0.6,
            "invisible_quality": 0.2,
        }
    )
    bands = _over_time(ts, *ts.columns[4:])
    for fig in (
        plots.outcome_curve(bands["churn_rate_weekly"], "churn_rate_weekly"),
        plots.culture_by_level(bands),
        plots.quality_parts(bands),
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
    heat = sweep_plots.sweep_heatmap(_cells(metrics, "a", "b", "retained"), "a", "b", "retained")
    image = heat.axes[0].images[0].get_array()
    np.testing.assert_allclose(image, [[0.1, 0.3], [0.2, 0.4]])
    line = sweep_plots.sweep_lines(_sweep(metrics, "a", "retained"), "a", "retained")
    assert line.axes[0].get_xlabel() == "a"
    plt.close("all")


def test_plots_draw_the_table_they_are_given() -> None:
    """A plot draws its statistics table as it is: it computes nothing of its own."""
    bands = pd.DataFrame(
        {
            "scenario": "s",
            "firm": ["F"] * 3 + ["G"] * 3,
            "step": [1, 2, 3] * 2,
            "mean": [0.2, 0.3, 0.4, 0.6, 0.5, 0.4],
            "low": [0.1, 0.2, 0.3, 0.5, 0.4, 0.3],
            "high": [0.3, 0.5, 0.6, 0.7, 0.6, 0.5],
            "count": 3,
        }
    )
    fig = plots.outcome_curve(bands, "nps")
    assert fig.axes[0].get_title().startswith("NPS\n")  # the declared label, not "Nps"
    assert "n = 3 replicates" in fig.axes[0].get_title()
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["s / F", "s / G"]
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.2, 0.3, 0.4])
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert {0.1, 0.3, 0.6} <= set(np.round(band, 12))
    assert fig.axes[0].get_ylabel() == plots.LABELS["nps"]
    sweep = bands.rename(columns={"step": "p"})
    fig = sweep_plots.sweep_lines(sweep, "p", "retained")
    first = fig.axes[0].containers[0]
    np.testing.assert_array_equal(first.lines[0].get_ydata(), [0.2, 0.3, 0.4])
    plt.close("all")


def test_importing_plots_loads_no_statistics() -> None:
    """plots draws; it imports no statistics (beyond what the package itself loads)."""
    code = """
import sys, cxsim
before = set(sys.modules)
import cxsim.plots
stat = ("cxsim.stats", "scipy.stats", "statsmodels")
print(sorted(m for m in set(sys.modules) - before if m.startswith(stat)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- degenerate data


def _render(fig: Figure) -> None:
    """Draw a figure as cxsim saves it (matplotlib defers some failures to drawing)."""
    for fmt in ("png", "svg"):
        fig.savefig(io.BytesIO(), format=fmt, dpi=50)
    plt.close(fig)


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def test_survival_figure_of_a_firm_without_churn() -> None:
    spells = pd.concat(
        [
            make_spells([10, 10, 4], [False, False, False], firm="calm"),
            make_spells([2, 10], [True, False], firm="busy"),
        ]
    )
    fig = plots.survival_curves(stats.survival_bands(spells, steps=10))
    calm, busy = fig.axes[0].get_lines()
    assert calm.get_label() == "s / calm"
    assert (calm.get_ydata() == 1.0).all()
    assert busy.get_ydata()[2] == 0.5
    _render(fig)


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
    fig = plots.outcome_curve(_over_time(ts, "satisfaction")["satisfaction"], "satisfaction")
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
    fig = sweep_plots.sweep_lines(_sweep(metrics, "mode", "retained"), "mode", "retained")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "null"]
    assert _legend_texts(fig) == ["s / F", "s / G (no data)"]
    _render(fig)
    _render(sweep_plots.sweep_lines(_sweep(metrics, "x", "retained"), "x", "retained"))  # one point
    cells = _cells(metrics, "mode", "x", "retained")
    heat = sweep_plots.sweep_heatmap(cells, "mode", "x", "retained")
    assert [t.get_text() for t in heat.axes[0].texts] == ["0.4\n±0", "0.2\n±0", "0.6\n±0"]
    assert {t.get_text() for t in heat.axes[1].texts} == {"n/a"}  # firm G: every panel drawn
    _render(heat)


# --------------------------------------------------------------------------- what a figure shows


def _grid_metrics() -> pd.DataFrame:
    """Two scenarios, two firms, a 2 x 3 grid, 3 replicates: backing moves the focal firm's
    retention only at low commitment (an interaction)."""
    rows = []
    for scenario in ("s", "t"):
        for c in (0.3, 0.9):
            for b in (0.0, 0.5, 1.0):
                for r in range(3):
                    focal = 0.5 + (0.3 * b if c == 0.3 else 0.0) + 0.01 * r
                    rows.append((scenario, "F", c, b, r, focal))
                    rows.append((scenario, "G", c, b, r, 0.4 + 0.01 * r))
    return pd.DataFrame(rows, columns=["scenario", "firm", "c", "b", "replicate", "retained"])


def test_a_grid_sweep_shows_the_interaction_panel_by_panel() -> None:
    metrics = _grid_metrics()
    bands = stats.replicate_bands(metrics, ["scenario", "firm", "c", "b"], "retained")
    fig = sweep_plots.sweep_lines(bands, "b", "retained", panels=["c"], names={"c": "commitment"})
    low, high = fig.axes[:2]
    assert [low.get_title(), high.get_title()] == ["commitment = 0.3", "commitment = 0.9"]
    assert len(low.containers) == 4  # every scenario and firm, not only the focal one
    focal_low = low.containers[0].lines[0].get_ydata()
    focal_high = high.containers[0].lines[0].get_ydata()
    np.testing.assert_allclose(focal_low, [0.51, 0.66, 0.81])  # slope where commitment is low
    np.testing.assert_allclose(focal_high, [0.51, 0.51, 0.51])  # flat where it is high
    assert "n = 3 replicates per point" in fig.get_suptitle()
    assert low.get_ylabel() == plots.LABELS["retained"]
    assert "(end of run)" not in low.get_ylabel()
    _render(fig)


def test_colours_follow_the_scenario_and_line_styles_the_firm() -> None:
    bands = stats.replicate_bands(_grid_metrics(), ["scenario", "firm", "b"], "retained")
    fig = sweep_plots.sweep_lines(bands, "b", "retained")
    lines = [c.lines[0] for c in fig.axes[0].containers]  # s/F, s/G, t/F, t/G
    colors = [line.get_color() for line in lines]
    styles = [line.get_linestyle() for line in lines]
    assert colors[0] == colors[1] != colors[2] == colors[3]
    assert styles[0] == styles[2] != styles[1] == styles[3]
    # the same name has the same colour whatever else is in the folder
    assert plots.scenario_colors(["t", "s"])["s"] == plots.scenario_colors(["s", "zz"])["s"]
    assert len(set(plots.scenario_colors(list("abcdefghij")).values())) == 10
    plt.close(fig)


def test_bands_stay_within_the_declared_range() -> None:
    bands = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "step": [1, 2, 3],
            "mean": [0.001, 0.002, 0.001],
            "low": [-0.01, -0.02, -0.01],
            "high": [0.012, 0.022, 0.011],
            "count": 2,
        }
    )
    fig = plots.outcome_curve(bands, "churn_rate_weekly")
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 0.0
    assert plots.bounds("nps") == (-100.0, 100.0)
    assert plots.bounds("profit") == (-np.inf, np.inf)
    plt.close(fig)


def test_cumulative_churn_figure_keeps_its_band_within_0_and_1() -> None:
    bands = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "week": [0, 1, 2],
            "mean": [0.0, 0.5, 0.9],
            "low": [0.0, -0.3, 0.6],  # an unclipped t band, as a caller might pass it
            "high": [0.0, 1.3, 1.2],
            "count": 3,
        }
    )
    fig = plots.cumulative_churn_curves(bands)
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 0.0
    assert band.max() == 1.0
    assert "n = 3 replicates" in ax.get_title()
    assert ax.get_ylim() == (0.0, 1.01)
    _render(fig)


def test_a_design_is_a_scatter_with_a_binned_trend() -> None:
    points = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "x": [0.1, 0.2, 0.7, 0.9],
            "y": [0.5, 0.1, 0.9, 0.3],
            "mean": [0.2, 0.3, 0.6, 0.7],
            "low": [0.1, 0.2, 0.5, 0.6],
            "high": [0.3, 0.4, 0.7, 0.8],
            "count": 2,
        }
    )
    trend = stats.replicate_bands(
        points.assign(x=[0.15, 0.15, 0.8, 0.8]), ["scenario", "firm", "x"], "mean"
    )
    fig = sweep_plots.sweep_scatter(points, trend, "x", "retained")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.containers[0].lines[0].get_ydata(), [0.2, 0.3, 0.6, 0.7])
    trend_line = ax.get_lines()[-1]
    np.testing.assert_allclose(trend_line.get_ydata(), [0.25, 0.65])
    assert "4 design points" in ax.get_title()
    _render(fig)
    plane = sweep_plots.sweep_map(points, "x", "y", "retained")
    dots = plane.axes[0].collections[-1]
    np.testing.assert_allclose(dots.get_array(), [0.2, 0.3, 0.6, 0.7])
    assert not plane.axes[0].images  # dots where the runs are, never cells of n/a
    _render(plane)
