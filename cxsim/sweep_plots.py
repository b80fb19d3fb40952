"""Sweep figures from statistics tables: an end-of-run metric against the varied parameters.

Lines and panels over a grid, a scatter with a binned trend and a map over a design table, and
a heatmap over a full two-parameter grid. Like :mod:`cxsim.plots` (whose labels, styles and
helpers these share): DataFrame in, matplotlib Figure out; nothing computed, read or written.
Sweep values may be numbers, text, booleans or nulls; each gets its place on an axis.

(A little over 350 lines: the four sweep figures share the sweep-value axis helpers, which
nothing else uses.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import LABELS, _clip, _groups, _legend, _n, _reducer, _styles, title

__all__ = ["sweep_heatmap", "sweep_lines", "sweep_map", "sweep_scatter"]


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
            dots = ax.scatter(sub[x][ok], codes_y[ok], c=mean[ok], cmap="viridis", s=60)
            fig.colorbar(dots, ax=ax, label=LABELS.get(value, value))
        ax.set_title(" / ".join(map(str, group)), fontsize=9)
        ax.set_xlabel(_name(x, names))
        ax.set_ylabel(_name(y, names))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
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
