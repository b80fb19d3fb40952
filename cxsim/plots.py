"""Figures from statistics tables: DataFrame in, matplotlib Figure out, nothing else.

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
    "outcome_curve",
    "quality_parts",
    "retention_curves",
    "scenario_colors",
    "survival_curves",
    "sweep_heatmap",
    "sweep_lines",
    "sweep_map",
    "sweep_scatter",
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


def _norm(v: object) -> object:
    return None if _is_null(v) else v


def _levels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Code each distinct sweep value by its rank (numbers ascending, then text, then null);
    return the codes and a display label per code. Works for numbers, text, booleans and nulls
    alike, where sorting the raw values would fail on mixed types and drop nulls."""
    uniq = sorted(dict.fromkeys(_norm(v) for v in values), key=_level_key)
    index = {u: i for i, u in enumerate(uniq)}
    codes = values.map(lambda v: index[_norm(v)]).astype(int)
    return codes, [_fmt(u) for u in uniq]


def _numeric_axis(values: pd.Series) -> bool:
    """A sweep value goes on a numeric axis if every value is a finite number (not a bool)."""
    return (
        pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and bool(np.isfinite(values.to_numpy(float)).all())
    )


def _x_axis(ax: plt.Axes, bands: pd.DataFrame, param: str) -> pd.DataFrame:
    """Put ``param`` on the x axis: numbers as they are, anything else one tick per value."""
    if _numeric_axis(bands[param]):
        return bands
    codes, labels = _levels(bands[param])
    ax.set_xticks(range(len(labels)), labels)
    return bands.assign(**{param: codes})


def _panel_values(bands: pd.DataFrame, params: list[str]) -> list[tuple]:
    """The distinct combinations of ``params`` in sweep order (one panel each)."""
    if not params:
        return [()]
    combos = {tuple(_norm(v) for v in row) for row in bands[params].itertuples(index=False)}
    return sorted(combos, key=lambda c: [_level_key(v) for v in c])


def _in_panel(bands: pd.DataFrame, params: list[str], combo: tuple) -> pd.DataFrame:
    mask = np.ones(len(bands), dtype=bool)
    for p, v in zip(params, combo, strict=True):
        col = bands[p]
        mask &= col.isna().to_numpy() if v is None else (col == v).to_numpy()
    return bands[mask]


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return -(-n // cols), cols


def _name(param: str, names: Mapping[str, str] | None) -> str:
    return (names or {}).get(param, param)


def _sweep_title(value: str, x: str, names: Mapping[str, str] | None, n: str) -> str:
    reduced = _reducer(value)
    return (
        f"{title(value)} against {_name(x, names)}\n"
        f"{reduced + '; ' if reduced else ''}mean with 95% CI, {n}"
    )


def sweep_lines(
    bands: pd.DataFrame,
    param: str,
    value: str,
    panels: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Figure:
    """An end-of-run metric against one varied parameter, every scenario and firm, one panel
    per combination of the ``panels`` parameters (so an interaction shows as lines that differ
    from panel to panel, not as an average over the other parameter).

    ``bands``: the metric's band per scenario, firm and point (``stats.replicate_bands`` by
    ``scenario, firm, param, *panels``). ``names``: a readable label per parameter. A numeric
    parameter gets a numeric axis with shaded bands; text, booleans and nulls get one tick per
    value. A single point is drawn as a point with its interval.
    """
    panels = list(panels)
    combos = _panel_values(bands, panels)
    rows, cols = _grid(len(combos))
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(4.6 * cols + 1.5, 3.6 * rows + 1.0),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    groups = _groups(bands, ["scenario", "firm"])
    styles = _styles(groups)
    for ax, combo in zip(axes.flat, combos, strict=False):
        sub_panel = _x_axis(ax, _in_panel(bands, panels, combo), param)
        numeric = _numeric_axis(bands[param])
        for group in groups:
            sub = sub_panel[(sub_panel["scenario"] == group[0]) & (sub_panel["firm"] == group[1])]
            sub = sub.sort_values(param)
            style = styles[group]
            label = " / ".join(map(str, group))
            if not np.isfinite(sub["mean"].to_numpy(float)).any():  # legend entry only
                sub, label = sub.iloc[:0], f"{label} (no data)"
            low, high = _clip(sub, value)
            mean = sub["mean"].to_numpy(float)
            ax.errorbar(
                sub[param],
                mean,
                yerr=[mean - low, high - mean],
                label=label,
                linestyle=style["linestyle"],
                marker=style["marker"],
                color=style["color"],
                capsize=3,
            )
            if numeric and np.isfinite(mean).sum() > 1:
                ax.fill_between(sub[param], low, high, color=style["color"], alpha=0.12, lw=0)
        if panels:
            ax.set_title(
                ", ".join(
                    f"{_name(p, names)} = {_fmt(v)}" for p, v in zip(panels, combo, strict=True)
                ),
                fontsize=9,
            )
        ax.set_xlabel(_name(param, names))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(combos) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(LABELS.get(value, value))
    _legend(axes.flat[len(combos) - 1], fontsize=8)
    n = _n(bands["count"], "replicates per point")
    fig.suptitle(_sweep_title(value, param, names, n), fontsize=10)
    return fig


def sweep_scatter(
    points: pd.DataFrame,
    trend: pd.DataFrame,
    param: str,
    value: str,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """An end-of-run metric against one parameter of a design table (points not on a grid):
    each design point's mean with its 95% CI as a scatter, and a partial-dependence line, the
    mean over the points in each bin of ``param`` (averaging over the other parameters) with
    its band across those points.

    ``points``: the metric's band per scenario, firm and design point (with ``param``).
    ``trend``: the band of the point means per scenario, firm and bin, with the bin's centre in
    column ``param``.
    """
    fig, ax = plt.subplots(figsize=(9, 5.4), layout="constrained")
    groups = _groups(points, ["scenario", "firm"])
    styles = _styles(groups)
    numeric = _numeric_axis(points[param])
    if not numeric:
        codes, labels = _levels(pd.concat([points[param], trend[param]], ignore_index=True))
        points = points.assign(**{param: codes.iloc[: len(points)].to_numpy()})
        trend = trend.assign(**{param: codes.iloc[len(points) :].to_numpy()})
        ax.set_xticks(range(len(labels)), labels)
    for group in groups:
        style = styles[group]
        label = " / ".join(map(str, group))
        sub = points[(points["scenario"] == group[0]) & (points["firm"] == group[1])]
        mean = sub["mean"].to_numpy(float)
        if not np.isfinite(mean).any():
            ax.plot([], [], label=f"{label} (no data)", color=style["color"])
            continue
        low, high = _clip(sub, value)
        ax.errorbar(
            sub[param],
            mean,
            yerr=[mean - low, high - mean],
            color=style["color"],
            marker=style["marker"],
            linestyle="none",
            alpha=0.45,
            capsize=2,
            markersize=4,
        )
        tr = trend[(trend["scenario"] == group[0]) & (trend["firm"] == group[1])]
        tr = tr.sort_values(param)
        tmean = tr["mean"].to_numpy(float)
        tlow, thigh = _clip(tr, value)
        ax.plot(
            tr[param],
            tmean,
            color=style["color"],
            linestyle=style["linestyle"],
            marker=style["marker"],
            linewidth=2,
            label=f"{label} (binned mean)",
        )
        if np.isfinite(tmean).sum() > 1:
            ax.fill_between(tr[param], tlow, thigh, color=style["color"], alpha=0.15, lw=0)
    ax.set_xlabel(_name(param, names))
    ax.set_ylabel(LABELS.get(value, value))
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8)
    n = (
        f"{len(points.drop_duplicates(_point_columns(points)))} design points, "
        f"{_n(points['count'], 'replicates per point')}"
    )
    reduced = _reducer(value)
    ax.set_title(
        f"{title(value)} against {_name(param, names)}\n"
        f"{reduced}\n{n}; points: each design point's mean with 95% CI;\n"
        "line: mean of the points in each bin of this parameter (others averaged over)",
        fontsize=9,
    )
    return fig


def _point_columns(points: pd.DataFrame) -> list[str]:
    """The columns that identify a design point in a band table (all but the band's own)."""
    return [c for c in points.columns if c not in {"scenario", "firm", *_BAND}]


_BAND = ["mean", "std", "count", "low", "high"]


def sweep_map(
    points: pd.DataFrame, x: str, y: str, value: str, names: Mapping[str, str] | None = None
) -> Figure:
    """An end-of-run metric over the plane of two parameters of a design table, one panel per
    scenario and firm: each design point a dot coloured by its mean, with its n, so an
    interaction shows where points are, never as cells without a run.

    ``points``: the metric's band per scenario, firm and design point (columns ``x``, ``y``).
    """
    groups = _groups(points, ["scenario", "firm"])
    rows, cols = _grid(len(groups))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.4 * cols + 1.2, 3.8 * rows + 1), squeeze=False, layout="constrained"
    )
    for ax, group in zip(axes.flat, groups, strict=False):
        sub = points[(points["scenario"] == group[0]) & (points["firm"] == group[1])]
        sub = _x_axis(ax, sub, x)
        codes_y = sub[y]
        if not _numeric_axis(sub[y]):
            codes_y, labels = _levels(sub[y])
            ax.set_yticks(range(len(labels)), labels)
        mean = sub["mean"].to_numpy(float)
        ok = np.isfinite(mean)
        if not ok.all():
            ax.scatter(sub[x][~ok], codes_y[~ok], marker="x", color="grey", label="no data")
            _legend(ax, fontsize=7)
        if ok.any():  # each firm its own colour scale: its own variation is what shows
            image = ax.scatter(sub[x][ok], codes_y[ok], c=mean[ok], cmap="viridis", s=60)
            fig.colorbar(image, ax=ax, label=LABELS.get(value, value))
        ax.set_title(" / ".join(map(str, group)), fontsize=9)
        ax.set_xlabel(_name(x, names))
        ax.set_ylabel(_name(y, names))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=axes, label=LABELS.get(value, value))
    reduced = _reducer(value)
    fig.suptitle(
        f"{title(value)} over the design\n{reduced + '; ' if reduced else ''}mean of "
        f"{_n(points['count'], 'replicates per point')}",
        fontsize=10,
    )
    return fig


def sweep_heatmap(
    bands: pd.DataFrame, x: str, y: str, value: str, names: Mapping[str, str] | None = None
) -> Figure:
    """Mean end-of-run metric over a full two-parameter grid, one panel per scenario and firm,
    each cell printed with its mean and the half-width of its 95% CI.

    ``bands``: the metric's band per scenario, firm and cell (columns ``x``, ``y``). Cells
    without a defined value (NaN in every run) are blank and read "n/a".
    """
    groups = _groups(bands, ["scenario", "firm"])
    rows, cols = _grid(len(groups))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols + 1.2, 3.8 * rows + 1), squeeze=False, layout="constrained"
    )
    xc, xlabels = _levels(bands[x])
    yc, ylabels = _levels(bands[y])
    coded = bands.assign(_x=xc.to_numpy(), _y=yc.to_numpy())
    finite = bands["mean"].to_numpy(float)
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    mid = (vmin + vmax) / 2
    image = None
    for ax, group in zip(axes.flat, groups, strict=False):
        sub = coded[(coded["scenario"] == group[0]) & (coded["firm"] == group[1])]
        shape = (len(ylabels), len(xlabels))
        grid = np.full(shape, np.nan)
        half = np.full(shape, np.nan)
        grid[sub["_y"], sub["_x"]] = sub["mean"].to_numpy(float)
        half[sub["_y"], sub["_x"]] = (sub["high"] - sub["mean"]).to_numpy(float)
        image = ax.imshow(
            np.ma.masked_invalid(grid),
            origin="lower",
            aspect="auto",
            cmap="Greys",
            vmin=vmin,
            vmax=vmax,
        )
        for (i, j), v in np.ndenumerate(grid):
            defined = np.isfinite(v)
            text = f"{v:.3g}\n±{half[i, j]:.2g}" if defined else "n/a"
            color = "white" if defined and v > mid else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)
        ax.set_xticks(range(len(xlabels)), xlabels)
        ax.set_yticks(range(len(ylabels)), ylabels)
        ax.set_xlabel(_name(x, names))
        ax.set_ylabel(_name(y, names))
        ax.set_title(" / ".join(map(str, group)), fontsize=9)
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=axes, label=LABELS.get(value, value))
    reduced = _reducer(value)
    fig.suptitle(
        f"{title(value)}: {reduced + '; ' if reduced else ''}\nmean ± 95% CI half-width, "
        f"{_n(bands['count'], 'replicates per cell')}",
        fontsize=10,
    )
    return fig
