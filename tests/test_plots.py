"""Figures: DataFrame (a statistics table) in, Figure out. The statistics are in test_stats."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from cxsim import plots, stats

from .conftest import make_spells

TIME_KEYS = ["scenario", "firm", "step"]


def _over_time(ts: pd.DataFrame, *values: str) -> dict[str, pd.DataFrame]:
    return {v: stats.replicate_bands(ts, TIME_KEYS, v) for v in values}


def _sweep(metrics: pd.DataFrame, param: str, value: str) -> pd.DataFrame:
    return stats.replicate_bands(metrics, ["scenario", "firm", param], value)


def _cells(metrics: pd.DataFrame, x: str, y: str, value: str) -> pd.DataFrame:
    return stats.replicate_bands(metrics, ["firm", x, y], value)


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
    heat = plots.sweep_heatmap(_cells(metrics, "a", "b", "retained"), "a", "b", "retained", "F")
    image = heat.axes[0].images[0].get_array()
    np.testing.assert_allclose(image, [[0.1, 0.3], [0.2, 0.4]])
    line = plots.sweep_lines(_sweep(metrics, "a", "retained"), "a", "retained")
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
        }
    )
    fig = plots.outcome_curve(bands, "nps")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["s / F", "s / G"]
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.2, 0.3, 0.4])
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert {0.1, 0.3, 0.6} <= set(np.round(band, 12))
    assert fig.axes[0].get_ylabel() == plots.LABELS["nps"]
    sweep = bands.rename(columns={"step": "p"})
    fig = plots.sweep_lines(sweep, "p", "retained")
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
    fig = plots.sweep_lines(_sweep(metrics, "mode", "retained"), "mode", "retained")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "null"]
    assert _legend_texts(fig) == ["s / F", "s / G (no data)"]
    _render(fig)
    _render(plots.sweep_lines(_sweep(metrics, "x", "retained"), "x", "retained"))  # one point
    cells = _cells(metrics, "mode", "x", "retained")
    heat = plots.sweep_heatmap(cells, "mode", "x", "retained", "F")
    assert [t.get_text() for t in heat.axes[0].texts] == ["0.4", "0.2", "0.6"]
    _render(heat)
    empty = plots.sweep_heatmap(cells, "mode", "x", "retained", "G")
    assert {t.get_text() for t in empty.axes[0].texts} == {"n/a"}
    _render(empty)
