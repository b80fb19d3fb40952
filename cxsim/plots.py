"""Figures from statistics tables (over time, by level, survival; sweeps are in
:mod:`cxsim.sweep_plots`): DataFrame in, matplotlib Figure out, nothing else.

Every function here draws a table that :mod:`cxsim.stats` computed (a mean across replicates
with its 95% band and its count ``n``, per group); none computes a statistic, reads or writes a
file. Each scenario has one colour, the same in every results folder (its name picks it), and
each firm position one line style and marker, so the figures read in black and white too. Every
title says how many replicates a band comes from; labels, units and bounds come from
:mod:`cxsim.outputs`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

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
    "bounds",
    "culture_by_level",
    "cumulative_churn_curves",
    "outcome_curve",
    "quality_parts",
    "retention_curves",
    "scenario_colors",
    "survival_curves",
    "title",
]

#: axis labels with units, from the declaration of the outputs
LABELS = outputs.LABELS
_STYLES = ["-", "--", ":", "-."]
_MARKERS = ["o", "s", "^", "D", "v", "x", "P", "*"]
_PALETTE = plt.get_cmap("tab10").colors
#: the value range each unit allows (a band is clipped to it: a share never drops below 0)
_UNIT_BOUNDS = {
    "0–1": (0.0, 1.0),
    "share": (0.0, 1.0),
    "share of customers": (0.0, 1.0),
    "count": (0.0, np.inf),
    "per week": (0.0, np.inf),
    "% promoters − % detractors": (-100.0, 100.0),
}
_OUTPUT_UNITS = {o.name: o.unit for o in outputs.OUTPUTS}
_METRICS = {m.name: m for m in outputs.END_METRICS}


# --------------------------------------------------------------------------- labels and styles


def title(name: str) -> str:
    """A column's or metric's label without its unit, first letter capitalized ("NPS", not
    "Nps")."""
    text = LABELS.get(name, name).rsplit(" (", 1)[0]
    return text[:1].upper() + text[1:]


def _unit(name: str) -> str:
    if name in _OUTPUT_UNITS:
        return _OUTPUT_UNITS[name]
    metric = _METRICS.get(name)
    if metric is None:
        return ""
    return metric.unit or _OUTPUT_UNITS.get(metric.source, "")


def bounds(name: str) -> tuple[float, float]:
    """The range a column's or metric's values can take, from its declared unit (unbounded
    if the unit says nothing: profit, say)."""
    return _UNIT_BOUNDS.get(_unit(name), (-np.inf, np.inf))


def _reducer(name: str) -> str:
    """How an end-of-run metric reduces a run ("mean over the last 52 weeks ..."), or ""."""
    metric = _METRICS.get(name)
    return outputs.REDUCERS[metric.reducer] if metric else ""


def scenario_colors(scenarios: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One colour per scenario, picked by a checksum of its name, so a scenario has the same
    colour in every results folder; names that collide take the next free colour, in name
    order (deterministic too)."""
    taken: set[int] = set()
    colors = {}
    for name in sorted(dict.fromkeys(map(str, scenarios))):
        i = zlib.crc32(name.encode()) % len(_PALETTE)
        for _ in range(len(_PALETTE)):
            if i not in taken:
                break
            i = (i + 1) % len(_PALETTE)
        taken.add(i)
        colors[name] = _PALETTE[i]
    return colors


def _styles(groups: list[tuple]) -> dict[tuple, dict[str, object]]:
    """Per (scenario, firm): the scenario's colour and the line style and marker of the firm's
    position in its scenario (order of first appearance: the focal firm first)."""
    colors = scenario_colors([g[0] for g in groups])
    seen: dict[object, int] = {}
    styles = {}
    for scenario, firm in groups:
        pos = seen.get(scenario, 0)
        seen[scenario] = pos + 1
        styles[(scenario, firm)] = {
            "linestyle": _STYLES[pos % len(_STYLES)],
            "marker": _MARKERS[pos % len(_MARKERS)],
            "color": colors[str(scenario)],
            "markevery": 0.1,
        }
    return styles


def _n(counts: pd.Series | Sequence[int], what: str = "replicates") -> str:
    """ "n = 3 replicates" (or "n = 2–3 replicates" where groups differ) for a title."""
    c = np.asarray(counts, dtype=float)
    c = c[np.isfinite(c) & (c > 0)]
    if not c.size:
        return f"n = 0 {what}"
    lo, hi = int(c.min()), int(c.max())
    return f"n = {lo} {what}" if lo == hi else f"n = {lo}–{hi} {what}"


def _clip(sub: pd.DataFrame, value: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The band's low and high, clipped to the range the value can take."""
    lo, hi = bounds(value) if value else (-np.inf, np.inf)
    low = np.clip(sub["low"].to_numpy(float), lo, hi)
    high = np.clip(sub["high"].to_numpy(float), lo, hi)
    return low, high


# --------------------------------------------------------------------------- over time


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


def _band_fill(
    ax: plt.Axes, x: pd.Series, sub: pd.DataFrame, color: object, value: str | None, **kw
) -> None:
    """Shade the band between ``low`` and ``high`` (clipped to the value's range); a band at a
    single x (one week) has no width to shade, so it is drawn as an error bar."""
    low, high = _clip(sub, value)
    mean = sub["mean"].to_numpy(float)
    finite = np.isfinite(mean)
    if finite.sum() == 1:
        ax.errorbar(
            np.asarray(x)[finite],
            mean[finite],
            yerr=[mean[finite] - low[finite], high[finite] - mean[finite]],
            color=color,
            linestyle="none",
            capsize=4,
        )
        return
    ax.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0, **kw)


def _week_axis(ax: plt.Axes, weeks: pd.Series) -> None:
    """Label the x axis in whole weeks (a single week gets one tick, not a fractional scale)."""
    ax.set_xlabel("week")
    distinct = weeks.dropna().unique()
    if len(distinct) == 1:
        ax.set_xticks([distinct[0]])
        ax.set_xlim(distinct[0] - 1, distinct[0] + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _groups(df: pd.DataFrame, keys: list[str]) -> list[tuple]:
    return list(df[keys].drop_duplicates().itertuples(index=False, name=None))


def _curves(
    ax: plt.Axes, bands: pd.DataFrame, x: str, value: str | None, step: bool = False
) -> None:
    """One line per scenario and firm with its band shaded, from a band table with column
    ``x`` (``step`` or ``week``)."""
    groups = _groups(bands, ["scenario", "firm"])
    styles = _styles(groups)
    extra = {"drawstyle": "steps-post"} if step else {}
    for group in groups:
        sub = bands[(bands["scenario"] == group[0]) & (bands["firm"] == group[1])]
        style = styles[group]
        label = " / ".join(str(v) for v in group)
        if _line(ax, sub[x], sub["mean"], label, style, linewidth=1.5, **extra):
            fill = {"step": "post"} if step else {}
            _band_fill(ax, sub[x], sub, style["color"], value, **fill)


def _band_note(bands: pd.DataFrame) -> str:
    return f"mean across replicates with 95% band, {_n(bands['count'])}"


def outcome_curve(
    bands: pd.DataFrame, value: str, title_: str | None = None, note: str | None = None
) -> Figure:
    """One metric over time, one line per scenario and firm, with 95% bands.

    ``bands``: the metric's band per scenario, firm and step (``stats.replicate_bands``).
    ``note``: what was done to the weekly values before banding (a rolling mean, say), for the
    title and axis label.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _curves(ax, bands, "step", value)
    _week_axis(ax, bands["step"])
    ylabel = LABELS.get(value, value)
    ax.set_ylabel(f"{ylabel},\n{note}" if note else ylabel)
    head = title_ or title(value) + (f", {note}" if note else "")
    ax.set_title(f"{head}\n{_band_note(bands)}", fontsize=10)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def _panels(bands: Mapping[str, pd.DataFrame], values: list[str], head: str) -> Figure:
    fig, axes = plt.subplots(
        1, len(values), figsize=(4.2 * len(values), 4), sharey=True, layout="constrained"
    )
    for ax, value in zip(np.atleast_1d(axes), values, strict=True):
        _curves(ax, bands[value], "step", value)
        ax.set_title(title(value))
        _week_axis(ax, bands[value]["step"])
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean across replicates (0–1)")
    _legend(np.atleast_1d(axes)[-1], fontsize=7)
    fig.suptitle(f"{head}\n{_band_note(bands[values[0]])}", fontsize=10)
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


def retention_curves(bands: pd.DataFrame) -> Figure:
    """Customers retained: the share of each firm's initial customers still there, by week."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _curves(ax, bands, "week", "retained")
    ax.set_xlabel("week")
    ax.set_ylabel(LABELS["retained"])
    ax.set_title(f"Initial customers retained\n{_band_note(bands)}", fontsize=10)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def cumulative_churn_curves(bands: pd.DataFrame) -> Figure:
    """Cumulative churn: the share of each firm's initial customers lost by each week.

    ``bands``: its band per scenario, firm and week (``figures._cumulative_churn``).
    """
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _curves(ax, bands, "week", "retained")  # a share of the initial customers: bounded like one
    ax.set_xlabel("week")
    ax.set_ylabel("share of the initial customers lost by the week")
    ax.set_title(f"Initial customers lost (cumulative churn)\n{_band_note(bands)}", fontsize=10)
    ax.set_ylim(0, min(ax.get_ylim()[1], 1.01))  # from 0, as far up as the data (at most all)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def survival_curves(bands: pd.DataFrame) -> Figure:
    """Customer survival at each firm (Kaplan–Meier), one line per scenario and firm."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    _curves(ax, bands, "week", "retained", step=True)  # a survival share: bounded like one
    ax.set_xlabel("weeks since the customer joined")
    ax.set_ylabel("share of customers still there (Kaplan–Meier)")
    ax.set_title(
        f"Customer survival\nmean of replicate curves with 95% band, {_n(bands['count'])}",
        fontsize=10,
    )
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig
