"""Figures from statistics tables: DataFrame in, matplotlib Figure out, nothing else.

Every function here draws a table that :mod:`cxsim.stats` computed (a mean across replicates
with its 95% band, per group); none computes a statistic, reads or writes a file. Lines differ
by style and marker as well as colour, so the figures read in black and white.

(Past 350 lines only by the forwarding of moved names at the end, to be removed.)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import outputs

__all__ = [
    "LABELS",
    "culture_by_level",
    "outcome_curve",
    "quality_parts",
    "retention_curves",
    "survival_curves",
    "sweep_heatmap",
    "sweep_lines",
]

#: axis labels with units, from the declaration of the outputs
LABELS = outputs.LABELS
_STYLES = ["-", "--", ":", "-."]
_MARKERS = ["o", "s", "^", "D", "v", "x", "P", "*"]


def _series_styles(n: int) -> list[dict[str, object]]:
    cycle = itertools.cycle(itertools.product(_STYLES, _MARKERS))
    colors = plt.get_cmap("tab10").colors
    return [
        {"linestyle": ls, "marker": mk, "color": colors[i % len(colors)], "markevery": 0.1}
        for i, (ls, mk) in zip(range(n), cycle, strict=False)
    ]


def _line(ax: plt.Axes, x: object, y: object, label: str, style: dict[str, object], **kw) -> bool:
    """Plot one series; a series with no defined value (all NaN: a firm without customers, say)
    gets only a legend entry marked "no data"; a single point (one week) is drawn as a marker.
    Returns whether anything was drawn.

    matplotlib's fractional ``markevery`` fails on a line without a finite point and marks
    nothing on a line of one point, so neither gets it.
    """
    yv = np.asarray(y, dtype=float)
    finite = int(np.isfinite(yv).sum())
    if finite < 2:
        style = {k: v for k, v in style.items() if k != "markevery"}
    if not finite:
        ax.plot([], [], label=f"{label} (no data)", **style, **kw)
        return False
    ax.plot(x, yv, label=label, **style, **kw)
    return True


def _legend(ax: plt.Axes, **kw) -> None:
    """A legend, if anything is labelled (matplotlib warns about an empty one)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def _band_fill(ax: plt.Axes, x: pd.Series, sub: pd.DataFrame, color: object, **kw) -> None:
    """Shade the band between ``low`` and ``high``; a band at a single x (one week) has no
    width to shade, so it is drawn as an error bar."""
    finite = np.isfinite(sub["mean"].to_numpy(float))
    if finite.sum() == 1:
        one = sub[finite]
        ax.errorbar(
            x[finite],
            one["mean"],
            yerr=[one["mean"] - one["low"], one["high"] - one["mean"]],
            color=color,
            linestyle="none",
            capsize=4,
        )
        return
    ax.fill_between(x, sub["low"], sub["high"], color=color, alpha=0.15, linewidth=0, **kw)


def _week_axis(ax: plt.Axes, weeks: pd.Series) -> None:
    """Label the x axis in whole weeks (a single week gets one tick, not a fractional scale)."""
    ax.set_xlabel("week")
    distinct = weeks.dropna().unique()
    if len(distinct) == 1:
        ax.set_xticks([distinct[0]])
        ax.set_xlim(distinct[0] - 1, distinct[0] + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _curves(ax: plt.Axes, bands: pd.DataFrame, groups: list[tuple], keys: list[str]) -> None:
    """One line per group with its band shaded, from a band table with a ``step`` column."""
    styles = _series_styles(len(groups))
    for style, group in zip(styles, groups, strict=True):
        mask = np.logical_and.reduce([bands[k] == v for k, v in zip(keys, group, strict=True)])
        sub = bands[mask]
        label = " / ".join(str(v) for v in group)
        if _line(ax, sub["step"], sub["mean"], label, style, linewidth=1.5):
            _band_fill(ax, sub["step"], sub, style["color"])


def _groups(df: pd.DataFrame, keys: list[str]) -> list[tuple]:
    return list(df[keys].drop_duplicates().itertuples(index=False, name=None))


def outcome_curve(bands: pd.DataFrame, value: str, title: str | None = None) -> Figure:
    """One metric over time, one line per scenario and firm, with 95% bands.

    ``bands``: the metric's band per scenario, firm and step (``stats.replicate_bands``).
    """
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    _curves(ax, bands, _groups(bands, keys), keys)
    _week_axis(ax, bands["step"])
    ax.set_ylabel(LABELS.get(value, value))
    ax.set_title(title or LABELS.get(value, value).split(" (")[0].capitalize())
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def _panels(bands: Mapping[str, pd.DataFrame], values: list[str], title: str) -> Figure:
    fig, axes = plt.subplots(
        1, len(values), figsize=(4.2 * len(values), 4), sharey=True, layout="constrained"
    )
    keys = ["scenario", "firm"]
    groups = _groups(bands[values[0]], keys)
    for ax, value in zip(np.atleast_1d(axes), values, strict=True):
        _curves(ax, bands[value], groups, keys)
        ax.set_title(LABELS[value].split(" (")[0])
        _week_axis(ax, bands[value]["step"])
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean across replicates (0–1)")
    _legend(np.atleast_1d(axes)[-1], fontsize=7)
    fig.suptitle(title)
    return fig


def culture_by_level(bands: Mapping[str, pd.DataFrame]) -> Figure:
    """Customer-first commitment of leaders, managers and frontline over time.

    ``bands``: each level's band per scenario, firm and step, by column name.
    """
    return _panels(bands, outputs.FIGURES["culture_by_level"], "Culture by level")


def quality_parts(bands: Mapping[str, pd.DataFrame]) -> Figure:
    """The visible (copyable) and invisible (culture) parts of interaction quality.

    ``bands``: each part's band per scenario, firm and step, by column name.
    """
    return _panels(
        bands,
        outputs.FIGURES["quality_visible_invisible"],
        "Interaction quality: visible vs invisible",
    )


# --------------------------------------------------------------------------- survival


def _band_lines(ax: plt.Axes, bands: pd.DataFrame, step: bool) -> None:
    groups = _groups(bands, ["scenario", "firm"])
    for style, (scenario, firm) in zip(_series_styles(len(groups)), groups, strict=True):
        sub = bands[(bands["scenario"] == scenario) & (bands["firm"] == firm)]
        extra = {"drawstyle": "steps-post"} if step else {}
        if _line(ax, sub["week"], sub["mean"], f"{scenario} / {firm}", style, **extra):
            _band_fill(ax, sub["week"], sub, style["color"], step="post" if step else None)


def retention_curves(bands: pd.DataFrame) -> Figure:
    """Customers retained: the share of each firm's initial customers still there, by week."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _band_lines(ax, bands, step=False)
    ax.set_xlabel("week")
    ax.set_ylabel(LABELS["retained"])
    ax.set_title("Customers retained, mean across replicates with 95% band")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def survival_curves(bands: pd.DataFrame) -> Figure:
    """Customer survival at each firm (Kaplan–Meier), one line per scenario and firm."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _band_lines(ax, bands, step=True)
    ax.set_xlabel("weeks since the customer joined")
    ax.set_ylabel("share of customers still there (Kaplan–Meier)")
    ax.set_title("Customer survival, mean of replicate curves with 95% band")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


# --------------------------------------------------------------------------- sweeps


def _is_null(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _level_key(v: object) -> tuple[int, float, str]:
    """Sort order of sweep values: numbers ascending, then text, then null."""
    if _is_null(v):
        return (2, 0.0, "")
    if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def _fmt(v: object) -> str:
    if _is_null(v):
        return "null"
    if isinstance(v, float | np.floating):
        return f"{v:g}"
    return str(v)


def _levels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Code each distinct sweep value by its rank (numbers ascending, then text, then null);
    return the codes and a display label per code. Works for numbers, text, booleans and nulls
    alike, where sorting the raw values would fail on mixed types and drop nulls."""

    def norm(v: object) -> object:
        return None if _is_null(v) else v

    uniq = sorted(dict.fromkeys(norm(v) for v in values), key=_level_key)
    index = {u: i for i, u in enumerate(uniq)}
    codes = values.map(lambda v: index[norm(v)]).astype(int)
    return codes, [_fmt(u) for u in uniq]


def _numeric_axis(values: pd.Series) -> bool:
    """A sweep value goes on a numeric axis if every value is a finite number (not a bool)."""
    return (
        pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and bool(np.isfinite(values.to_numpy(float)).all())
    )


def sweep_lines(bands: pd.DataFrame, param: str, value: str) -> Figure:
    """An end-of-run metric against one varied parameter, one line per scenario and firm.

    ``bands``: the metric's band per scenario, firm and value of ``param``
    (``stats.replicate_bands``). A numeric parameter gets a numeric axis; text, booleans and
    nulls get one tick per value. A single point is drawn as a point with its interval.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    if not _numeric_axis(bands[param]):
        codes, labels = _levels(bands[param])
        bands = bands.assign(**{param: codes})
        ax.set_xticks(range(len(labels)), labels)
    groups = _groups(bands, keys)
    for style, group in zip(_series_styles(len(groups)), groups, strict=True):
        sub = bands[(bands["scenario"] == group[0]) & (bands["firm"] == group[1])]
        sub = sub.sort_values(param)
        label = " / ".join(map(str, group))
        if not np.isfinite(sub["mean"].to_numpy(float)).any():  # legend entry only
            sub, label = sub.iloc[:0], f"{label} (no data)"
        ax.errorbar(
            sub[param],
            sub["mean"],
            yerr=[sub["mean"] - sub["low"], sub["high"] - sub["mean"]],
            label=label,
            linestyle=style["linestyle"],
            marker=style["marker"],
            color=style["color"],
            capsize=3,
        )
    ax.set_xlabel(param)
    ax.set_ylabel(LABELS.get(value, value) + " (end of run)")
    ax.set_title(f"{value} against {param} (mean, 95% CI)")
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8)
    return fig


def sweep_heatmap(means: pd.DataFrame, x: str, y: str, value: str, firm: str) -> Figure:
    """Mean end-of-run metric of one firm over a two-parameter grid, values printed in cells.

    ``means``: the metric's mean per firm and cell (columns ``firm``, ``x``, ``y``, ``mean``).
    Cells without a defined value (no run there, or NaN in every run) are blank and read "n/a".
    """
    sub = means[means["firm"] == firm]
    xc, xlabels = _levels(sub[x])
    yc, ylabels = _levels(sub[y])
    cells = pd.Series(sub["mean"].to_numpy(float), index=[yc.to_numpy(), xc.to_numpy()])
    table = cells.unstack().reindex(index=range(len(ylabels)), columns=range(len(xlabels)))
    grid = table.to_numpy(float)
    finite = grid[np.isfinite(grid)]
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    im = ax.imshow(
        np.ma.masked_invalid(grid),
        origin="lower",
        aspect="auto",
        cmap="Greys",
        vmin=finite.min() if finite.size else 0.0,
        vmax=finite.max() if finite.size else 1.0,
    )
    ax.set_xticks(range(len(xlabels)), xlabels)
    ax.set_yticks(range(len(ylabels)), ylabels)
    mid = (finite.min() + finite.max()) / 2 if finite.size else np.inf
    for (i, j), v in np.ndenumerate(grid):
        defined = np.isfinite(v)
        ax.text(
            j,
            i,
            f"{v:.3g}" if defined else "n/a",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if defined and v > mid else "black",
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{firm}: {value} (mean over replicates)")
    fig.colorbar(im, ax=ax, label=LABELS.get(value, value))
    return fig
