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


def band(df: pd.DataFrame, by: list[str], value: str, level: float = 0.95) -> pd.DataFrame:
    """Mean of ``value`` across replicates per ``by`` group, with a two-sided t band."""
    g = df.groupby(by, sort=False, observed=True)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    q = stats.t.ppf(0.5 + level / 2, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, q * out["std"] / np.sqrt(out["count"]), 0.0)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    return out


def _curves(ax: plt.Axes, ts: pd.DataFrame, value: str, groups: list[tuple], keys: list[str]):
    styles = _series_styles(len(groups))
    stats_ = band(ts, [*keys, "step"], value)
    for style, group in zip(styles, groups, strict=True):
        mask = np.logical_and.reduce([stats_[k] == v for k, v in zip(keys, group, strict=True)])
        sub = stats_[mask]
        label = " / ".join(str(v) for v in group)
        ax.plot(sub["step"], sub["mean"], label=label, linewidth=1.5, **style)
        ax.fill_between(
            sub["step"],
            sub["low"],
            sub["high"],
            color=style["color"],
            alpha=0.15,
            hatch=None,
            linewidth=0,
        )


def _groups(ts: pd.DataFrame, keys: list[str]) -> list[tuple]:
    return list(ts[keys].drop_duplicates().itertuples(index=False, name=None))


def outcome_curve(ts: pd.DataFrame, value: str, title: str | None = None) -> Figure:
    """One metric over time, one line per scenario and firm, with 95% bands."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    _curves(ax, ts, value, _groups(ts, keys), keys)
    ax.set_xlabel("week")
    ax.set_ylabel(LABELS.get(value, value))
    ax.set_title(title or LABELS.get(value, value).split(" (")[0].capitalize())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
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
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean across replicates (0–1)")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
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
    """
    grid = np.arange(0, steps + 1)
    rows = []
    for (scenario, firm, replicate), g in spells.groupby(
        ["scenario", "firm", "replicate"], sort=False, observed=True
    ):
        sf = SurvfuncRight(g["duration"].to_numpy(float), g["event"].to_numpy(int))
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


def retention_curves(bands: pd.DataFrame) -> Figure:
    """Customers retained: the share of each firm's initial customers still there, by week."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    groups = _groups(bands, ["scenario", "firm"])
    for style, (scenario, firm) in zip(_series_styles(len(groups)), groups, strict=True):
        sub = bands[(bands["scenario"] == scenario) & (bands["firm"] == firm)]
        ax.plot(sub["week"], sub["mean"], label=f"{scenario} / {firm}", **style)
        ax.fill_between(
            sub["week"], sub["low"], sub["high"], color=style["color"], alpha=0.15, linewidth=0
        )
    ax.set_xlabel("week")
    ax.set_ylabel(LABELS["retained"])
    ax.set_title("Customers retained, mean across replicates with 95% band")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    return fig


def survival_curves(bands: pd.DataFrame) -> Figure:
    """Customer survival at each firm (Kaplan–Meier), one line per scenario and firm."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    groups = _groups(bands, ["scenario", "firm"])
    for style, (scenario, firm) in zip(_series_styles(len(groups)), groups, strict=True):
        sub = bands[(bands["scenario"] == scenario) & (bands["firm"] == firm)]
        ax.plot(
            sub["week"],
            sub["mean"],
            drawstyle="steps-post",
            label=f"{scenario} / {firm}",
            **style,
        )
        ax.fill_between(
            sub["week"],
            sub["low"],
            sub["high"],
            step="post",
            color=style["color"],
            alpha=0.15,
            linewidth=0,
        )
    ax.set_xlabel("weeks since the customer joined")
    ax.set_ylabel("share of customers still there (Kaplan–Meier)")
    ax.set_title("Customer survival, mean of replicate curves with 95% band")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    return fig


def logrank_tests(spells: pd.DataFrame) -> pd.DataFrame:
    """Log-rank tests of each scenario against the first, firm by firm position (statsmodels
    ``survdiff``), stratified by replicate so that each replicate is compared with its twin."""
    rows = []
    scenarios = list(dict.fromkeys(spells["scenario"]))
    if len(scenarios) < 2:
        return pd.DataFrame(columns=["scenario", "versus", "firm", "statistic", "p_value"])
    firms = {s: list(dict.fromkeys(spells.loc[spells.scenario == s, "firm"])) for s in scenarios}
    base = scenarios[0]
    for other in scenarios[1:]:
        for pos, (fa, fb) in enumerate(zip(firms[base], firms[other], strict=False)):
            a = spells[(spells.scenario == base) & (spells.firm == fa)]
            b = spells[(spells.scenario == other) & (spells.firm == fb)]
            both = pd.concat([a.assign(group=0), b.assign(group=1)], ignore_index=True)
            stat, p = survdiff(
                both["duration"].to_numpy(float),
                both["event"].to_numpy(int),
                both["group"].to_numpy(),
                strata=both["replicate"].to_numpy(),
            )
            rows.append(
                {
                    "scenario": other,
                    "versus": base,
                    "firm_position": pos,
                    "firm": fb,
                    "versus_firm": fa,
                    "statistic": float(stat),
                    "p_value": float(p),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sweeps


def sweep_lines(metrics: pd.DataFrame, param: str, value: str) -> Figure:
    """An end-of-run metric against one varied parameter, one line per scenario and firm."""
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    keys = ["scenario", "firm"]
    stats_ = band(metrics, [*keys, param], value)
    groups = _groups(stats_, keys)
    for style, group in zip(_series_styles(len(groups)), groups, strict=True):
        sub = stats_[(stats_["scenario"] == group[0]) & (stats_["firm"] == group[1])]
        sub = sub.sort_values(param)
        ax.errorbar(
            sub[param],
            sub["mean"],
            yerr=[sub["mean"] - sub["low"], sub["high"] - sub["mean"]],
            label=" / ".join(map(str, group)),
            linestyle=style["linestyle"],
            marker=style["marker"],
            color=style["color"],
            capsize=3,
        )
    ax.set_xlabel(param)
    ax.set_ylabel(LABELS.get(value, value) + " (end of run)")
    ax.set_title(f"{value} against {param} (mean, 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def sweep_heatmap(metrics: pd.DataFrame, x: str, y: str, value: str, firm: str) -> Figure:
    """Mean end-of-run metric of one firm over a two-parameter grid, values printed in cells."""
    sub = metrics[metrics["firm"] == firm]
    table = sub.groupby([y, x])[value].mean().unstack(x)
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    im = ax.imshow(table.to_numpy(), origin="lower", aspect="auto", cmap="Greys")
    ax.set_xticks(
        range(table.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.columns]
    )
    ax.set_yticks(
        range(table.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in table.index]
    )
    mid = np.nanmean(table.to_numpy())
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        ax.text(
            j,
            i,
            f"{v:.3g}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > mid else "black",
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{firm}: {value} (mean over replicates)")
    fig.colorbar(im, ax=ax, label=LABELS.get(value, value))
    return fig
