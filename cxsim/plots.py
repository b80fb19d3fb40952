"""Figures from saved results: DataFrame in, matplotlib Figure out, nothing else.

Every curve is a mean across replicates with its 95% band; lines differ by style and marker as
well as colour, so the figures read in black and white.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

__all__ = [
    "LABELS",
    "band",
    "culture_by_level",
    "logrank_tests",
    "outcome_curve",
    "quality_parts",
    "retention_bands",
    "retention_curves",
    "survival_bands",
    "survival_curves",
    "sweep_heatmap",
    "sweep_lines",
]

#: axis labels with units
LABELS = {
    "churn_rate": "weekly churn rate (share of customers)",
    "customers": "customers",
    "market_share": "market share",
    "retained": "initial customers retained (share)",
    "nps": "NPS (% promoters − % detractors)",
    "satisfaction": "mean satisfaction (0–1)",
    "expectation": "mean expectation (0–1)",
    "culture_leaders": "leaders' commitment (0–1)",
    "culture_managers": "managers' commitment (0–1)",
    "culture_frontline": "frontline commitment (0–1)",
    "visible_quality": "visible quality (0–1)",
    "invisible_quality": "invisible quality (0–1)",
    "profit": "profit ($ per week)",
    "quality": "interaction quality (0–1)",
}
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


def band(df: pd.DataFrame, by: list[str], value: str, level: float = 0.95) -> pd.DataFrame:
    """Mean of ``value`` across replicates per ``by`` group, with a two-sided t band.

    Missing values (NaN) are left out of a group's mean; a group with one value has no band
    (low = high = mean), and a group with none has a NaN mean. Groups keyed by a missing value
    (a sweep point set to null) are kept.
    """
    g = df.groupby(by, sort=False, observed=True, dropna=False)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    q = stats.t.ppf(0.5 + level / 2, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, q * out["std"] / np.sqrt(out["count"]), 0.0)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    return out


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


def _curves(ax: plt.Axes, ts: pd.DataFrame, value: str, groups: list[tuple], keys: list[str]):
    styles = _series_styles(len(groups))
    stats_ = band(ts, [*keys, "step"], value)
    for style, group in zip(styles, groups, strict=True):
        mask = np.logical_and.reduce([stats_[k] == v for k, v in zip(keys, group, strict=True)])
        sub = stats_[mask]
        label = " / ".join(str(v) for v in group)
        if _line(ax, sub["step"], sub["mean"], label, style, linewidth=1.5):
            _band_fill(ax, sub["step"], sub, style["color"])


def _groups(ts: pd.DataFrame, keys: list[str]) -> list[tuple]:
    return list(ts[keys].drop_duplicates().itertuples(index=False, name=None))


def outcome_curve(ts: pd.DataFrame, value: str, title: str | None = None) -> Figure:
    """One metric over time, one line per scenario and firm, with 95% bands."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    _curves(ax, ts, value, _groups(ts, keys), keys)
    _week_axis(ax, ts["step"])
    ax.set_ylabel(LABELS.get(value, value))
    ax.set_title(title or LABELS.get(value, value).split(" (")[0].capitalize())
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, ncols=2)
    return fig


def _panels(ts: pd.DataFrame, values: list[str], title: str) -> Figure:
    fig, axes = plt.subplots(
        1, len(values), figsize=(4.2 * len(values), 4), sharey=True, layout="constrained"
    )
    keys = ["scenario", "firm"]
    groups = _groups(ts, keys)
    for ax, value in zip(np.atleast_1d(axes), values, strict=True):
        _curves(ax, ts, value, groups, keys)
        ax.set_title(LABELS[value].split(" (")[0])
        _week_axis(ax, ts["step"])
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean across replicates (0–1)")
    _legend(np.atleast_1d(axes)[-1], fontsize=7)
    fig.suptitle(title)
    return fig


def culture_by_level(ts: pd.DataFrame) -> Figure:
    """Customer-first commitment of leaders, managers and frontline over time."""
    return _panels(
        ts, ["culture_leaders", "culture_managers", "culture_frontline"], "Culture by level"
    )


def quality_parts(ts: pd.DataFrame) -> Figure:
    """The visible (copyable) and invisible (culture) parts of interaction quality."""
    return _panels(
        ts, ["visible_quality", "invisible_quality"], "Interaction quality: visible vs invisible"
    )


# --------------------------------------------------------------------------- survival


def survival_bands(spells: pd.DataFrame, steps: int, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival per replicate (statsmodels ``SurvfuncRight``), banded across
    replicates on a common weekly grid. Pooling all replicates' customers into one curve would
    understate the uncertainty, so each replicate gives one curve and the band is across them.

    A replicate in which nobody left a firm has survival 1 throughout (no event, no step down).
    """
    grid = np.arange(0, steps + 1)
    rows = []
    for (scenario, firm, replicate), g in spells.groupby(
        ["scenario", "firm", "replicate"], sort=False, observed=True
    ):
        events = g["event"].to_numpy(bool)
        curve = np.ones(len(grid))
        if events.any():
            sf = SurvfuncRight(g["duration"].to_numpy(float), events.astype(int))
            times, surv = sf.surv_times, sf.surv_prob
            idx = np.searchsorted(times, grid, side="right") - 1
            curve = np.where(idx >= 0, surv[np.maximum(idx, 0)], 1.0)
        rows.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "firm": firm,
                    "replicate": replicate,
                    "week": grid,
                    "survival": curve,
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["scenario", "firm", "week", "mean", "low", "high"])
    per_rep = pd.concat(rows, ignore_index=True)
    return band(per_rep, ["scenario", "firm", "week"], "survival", level)


def retention_bands(spells: pd.DataFrame, steps: int, level: float = 0.95) -> pd.DataFrame:
    """Share of each firm's initial customers (there at week 0) still there at each week, per
    replicate, banded across replicates."""
    first = spells[spells["start_step"] == 0]
    grid = np.arange(0, steps + 1)
    rows = []
    for (scenario, firm, replicate), g in first.groupby(
        ["scenario", "firm", "replicate"], sort=False, observed=True
    ):
        left = np.sort(np.where(g["event"].to_numpy(bool), g["duration"].to_numpy(), steps + 1))
        kept = 1.0 - np.searchsorted(left, grid, side="right") / len(left)
        rows.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "firm": firm,
                    "replicate": replicate,
                    "week": grid,
                    "retained": kept,
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["scenario", "firm", "week", "mean", "low", "high"])
    return band(pd.concat(rows, ignore_index=True), ["scenario", "firm", "week"], "retained", level)


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


LOGRANK_COLUMNS = [
    "scenario",
    "versus",
    "firm_position",
    "firm",
    "versus_firm",
    "statistic",
    "p_value",
    "note",
]


def _logrank(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, str]:
    """Stratified log-rank statistic and p-value of two firms' spells, or NaN and the reason
    the test is undefined."""
    if a.empty or b.empty:
        return np.nan, np.nan, "undefined: a firm had no customers"
    both = pd.concat([a.assign(group=0), b.assign(group=1)], ignore_index=True)
    events = both["event"].to_numpy(bool)
    if not events.any():
        return np.nan, np.nan, "undefined: no churn events"
    try:
        stat, p = survdiff(
            both["duration"].to_numpy(float),
            events.astype(int),
            both["group"].to_numpy(),
            strata=both["replicate"].to_numpy(),
        )
    except np.linalg.LinAlgError:  # zero variance: no churn while both had customers at risk
        stat, p = np.nan, np.nan
    if not (np.isfinite(stat) and np.isfinite(p)):
        return np.nan, np.nan, "undefined: no churn while both firms had customers at risk"
    return float(stat), float(p), ""


def logrank_tests(spells: pd.DataFrame, firms: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Log-rank tests of each scenario against the first, firm by firm position (statsmodels
    ``survdiff``), stratified by replicate so that each replicate is compared with its twin.

    ``firms`` gives each scenario's firms in position order (a firm that never had a customer
    has no spells, so the spells alone could pair the wrong firms); by default the order in
    ``spells``. Where a test is undefined (no churn, a firm without customers) its statistic and
    p-value are NaN and ``note`` says why.
    """
    in_spells = list(dict.fromkeys(spells["scenario"]))
    if firms is None:
        firms = {
            s: list(dict.fromkeys(spells.loc[spells["scenario"] == s, "firm"])) for s in in_spells
        }
    scenarios = [s for s in firms if s in set(in_spells)]
    if len(scenarios) < 2:
        return pd.DataFrame(columns=LOGRANK_COLUMNS)
    rows = []
    base = scenarios[0]
    for other in scenarios[1:]:
        for pos, (fa, fb) in enumerate(zip(firms[base], firms[other], strict=False)):
            a = spells[(spells["scenario"] == base) & (spells["firm"] == fa)]
            b = spells[(spells["scenario"] == other) & (spells["firm"] == fb)]
            stat, p, note = _logrank(a, b)
            rows.append(
                {
                    "scenario": other,
                    "versus": base,
                    "firm_position": pos,
                    "firm": fb,
                    "versus_firm": fa,
                    "statistic": stat,
                    "p_value": p,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=LOGRANK_COLUMNS)


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


def sweep_lines(metrics: pd.DataFrame, param: str, value: str) -> Figure:
    """An end-of-run metric against one varied parameter, one line per scenario and firm.

    A numeric parameter gets a numeric axis; text, booleans and nulls get one tick per value.
    A single point is drawn as a point with its interval.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    numeric = _numeric_axis(metrics[param])
    data = metrics
    if not numeric:
        codes, labels = _levels(metrics[param])
        data = metrics.assign(**{param: codes})
        ax.set_xticks(range(len(labels)), labels)
    stats_ = band(data, [*keys, param], value)
    groups = _groups(stats_, keys)
    for style, group in zip(_series_styles(len(groups)), groups, strict=True):
        sub = stats_[(stats_["scenario"] == group[0]) & (stats_["firm"] == group[1])]
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


def sweep_heatmap(metrics: pd.DataFrame, x: str, y: str, value: str, firm: str) -> Figure:
    """Mean end-of-run metric of one firm over a two-parameter grid, values printed in cells.

    Cells without a defined value (no run there, or NaN in every run) are blank and read "n/a".
    """
    sub = metrics[metrics["firm"] == firm]
    xc, xlabels = _levels(sub[x])
    yc, ylabels = _levels(sub[y])
    means = sub[value].astype(float).groupby([yc.to_numpy(), xc.to_numpy()]).mean()
    table = means.unstack().reindex(index=range(len(ylabels)), columns=range(len(xlabels)))
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
