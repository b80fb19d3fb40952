"""Every statistic cxsim reports, DataFrame (or array) in, DataFrame (or tuple) out.

The summary table, the per-step summary, the paired differences (between scenarios, and
between a sweep's points and its baseline), the bands drawn around every curve, Kaplan–Meier
survival, retention of the initial customers and the survival tests between scenarios. Replicates
are the unit of uncertainty throughout: each replicate gives one value (or one curve) and the
95% interval is a t interval across replicates. Nothing here reads or writes a file or draws.

(About 450 lines: every reported statistic in one place, so each shares one t interval
and one notion of a replicate.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "BAND_COLUMNS",
    "CUSTOMER_LEVEL_CAVEAT",
    "DIFFERENCE_COLUMNS",
    "LOGRANK_COLUMNS",
    "STEP_COLUMNS",
    "SURVIVAL_TEST_COLUMNS",
    "difference_table",
    "logrank_tests",
    "replicate_bands",
    "retention_bands",
    "step_summary",
    "summary_table",
    "survival_bands",
    "t_interval",
]

#: the columns :func:`replicate_bands` adds to its group keys
BAND_COLUMNS = ["mean", "std", "count", "low", "high"]

#: the columns of ``survival_tests.csv`` (:func:`logrank_tests`): (unit, meaning)
SURVIVAL_TEST_COLUMNS: dict[str, tuple[str, str]] = {
    "scenario": ("", "the scenario tested (each scenario after the first)"),
    "versus": ("", "the scenario it is tested against: the first"),
    "firm_position": ("", "the firm's position in the scenario (0: focal)"),
    "firm": ("", "the firm's name in `scenario`"),
    "versus_firm": ("", "the firm in the same position in `versus`"),
    "statistic": ("", "t statistic of the paired t-test of `rmst` across replicates"),
    "p_value": ("", "two-sided p-value of that test (scipy `ttest_rel`, n = `replicates`);"
                " blank where undefined (see `note`)"),
    "note": ("", "why the test is undefined (no churn, a firm without customers, one"
             " replicate), or blank"),
    "replicates": ("replicates", "replicates in which both firms had customers (the pairs)"),
    "horizon": ("weeks", "the restricted mean survival time counts weeks up to this (the run"
                " length)"),
    "rmst": ("weeks", "restricted mean survival time of `firm`'s spells up to `horizon` (area"
             " under a replicate's Kaplan–Meier curve), mean over replicates"),
    "versus_rmst": ("weeks", "the same for `versus_firm`"),
    "rmst_diff_mean": ("weeks", "mean paired difference `rmst` − `versus_rmst`, replicate by"
                       " replicate"),
    "rmst_diff_ci_low": ("weeks", "lower end of its 95% t interval"),
    "rmst_diff_ci_high": ("weeks", "upper end of its 95% t interval"),
    "statistic_customer_level": ("", "log-rank statistic over customers, stratified by"
                                 " replicate (statsmodels `survdiff`)"),
    "p_value_customer_level": ("", "its p-value: for reference only, it treats customers as"
                               " independent and overstates significance"),
    "note_customer_level": ("", "why the customer-level test is undefined, or its caveat"),
}  # fmt: skip
LOGRANK_COLUMNS = list(SURVIVAL_TEST_COLUMNS)

#: the statistic columns of ``steps.parquet`` (:func:`step_summary`), after its keys:
#: (unit, meaning)
STEP_COLUMNS: dict[str, tuple[str, str]] = {
    "output": ("", "the weekly column summarised (a column of timeseries.parquet)"),
    "mean": ("the output's", "mean over replicates"),
    "ci_low": ("the output's", "lower end of the 95% t interval over replicates"),
    "ci_high": ("the output's", "upper end of the 95% t interval over replicates"),
    "n": ("replicates", "replicates in which the output is defined (not NaN)"),
}
#: the statistic columns of ``differences.csv`` (:func:`difference_table` against a sweep's
#: baseline point), after its keys: (unit, meaning)
DIFFERENCE_COLUMNS: dict[str, tuple[str, str]] = {
    "metric": ("", "the end-of-run metric (a column of metrics.parquet)"),
    "diff_mean": ("the metric's", "mean paired difference, this point minus the baseline"
                  " point, replicate by replicate (replicate r of every point shares a seed)"),
    "diff_ci_low": ("the metric's", "lower end of its 95% t interval"),
    "diff_ci_high": ("the metric's", "upper end of its 95% t interval"),
    "n": ("replicates", "replicate pairs in which the difference is defined (not NaN)"),
}  # fmt: skip

#: ``note_customer_level`` where the customer-level log-rank test is defined
CUSTOMER_LEVEL_CAVEAT = (
    "treats customers as independent although a replicate's customers share one market:"
    " overstates significance; use p_value"
)


# --------------------------------------------------------------------------- t intervals


def _describe(values: np.ndarray) -> tuple[float, float, int]:
    """Mean, sample standard deviation and count of the values that are not NaN (the standard
    deviation is NaN for fewer than two values, the mean for none)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    if n == 0:
        return np.nan, np.nan, 0
    return float(values.mean()), float(values.std(ddof=1)) if n > 1 else np.nan, n


def _half_width(std: np.ndarray, count: np.ndarray, level: float) -> np.ndarray:
    """Half-width of the two-sided t interval of a mean; 0 where there is one value or none
    (no spread to estimate: the interval is the mean itself)."""
    std, count = np.asarray(std, dtype=float), np.asarray(count)
    several = count > 1
    half = np.zeros(count.shape)
    n = count[several]
    half[several] = stats.t.ppf(0.5 + level / 2, n - 1) * std[several] / np.sqrt(n)
    return half


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of independent replicate values.

    NaN values are left out; one value gives (mean, mean, mean), none gives NaN throughout.
    """
    mean, std, n = _describe(values)
    half = float(_half_width(np.array([std]), np.array([n]), level)[0])
    return (mean, mean - half, mean + half)


def replicate_bands(
    df: pd.DataFrame, by: list[str], value: str, level: float = 0.95
) -> pd.DataFrame:
    """Per ``by`` group, the mean of ``value`` across its rows (replicates) with the t interval
    of :func:`t_interval`, as columns ``mean, std, count, low, high``.

    The same computation as :func:`t_interval`, group by group, so a band drawn in a figure and
    an interval in ``summary.csv`` agree. Groups keep their order of first appearance; groups
    keyed by a missing value (a sweep point set to null) are kept.
    """
    if df.empty:
        return pd.DataFrame(columns=[*by, *BAND_COLUMNS])
    codes = df.groupby(by, sort=False, observed=True, dropna=False).ngroup().to_numpy()
    keys = df.loc[~pd.Series(codes).duplicated().to_numpy(), by].reset_index(drop=True)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=len(keys))
    chunks = np.split(df[value].to_numpy(dtype=float)[order], np.cumsum(sizes)[:-1])
    described = [_describe(chunk) for chunk in chunks]
    mean = np.array([d[0] for d in described], dtype=float)
    std = np.array([d[1] for d in described], dtype=float)
    count = np.array([d[2] for d in described], dtype=int)
    half = _half_width(std, count, level)
    return keys.assign(mean=mean, std=std, count=count, low=mean - half, high=mean + half)


# --------------------------------------------------------------------------- end-of-run tables


def summary_table(metrics: pd.DataFrame, points: list[str], columns: list[str]) -> pd.DataFrame:
    """Per scenario, point and firm: each metric in ``columns``, its mean and 95% CI over
    replicates, and how many replicates defined it (``n``)."""
    if metrics.empty:
        return pd.DataFrame()
    rows = []
    keys = ["scenario", *points, "firm_position", "firm"]
    for key, group in metrics.groupby(keys, sort=False, dropna=False):
        for metric in columns:
            mean, lo, hi = t_interval(group[metric].to_numpy())
            row = dict(zip(keys, key, strict=True))
            row.update(
                {
                    "metric": metric,
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": int(group[metric].notna().sum()),
                }
            )
            rows.append(row)
    return pd.DataFrame(rows)


def _intervals(
    df: pd.DataFrame, keys: list[str], columns: list[str], name: str, level: float = 0.95
) -> pd.DataFrame:
    """Per group of ``keys`` and each of ``columns``: ``mean``, ``ci_low``, ``ci_high`` (the
    t interval of :func:`t_interval`) and ``n`` (values not NaN); long, with the column's name in
    ``name``. Vectorised (one groupby); groups keep their first appearance, missing keys kept."""
    values = df[keys].join(df[columns].astype(float))
    grouped = values.groupby(keys, sort=False, dropna=False, observed=True)[columns]
    mean, std, count = grouped.mean(), grouped.std(ddof=1), grouped.count()
    groups, width = mean.shape
    out = mean.index.to_frame(index=False)
    out = out.iloc[np.repeat(np.arange(groups), width)].reset_index(drop=True)
    out[name] = np.tile(np.asarray(columns, dtype=object), groups)
    m, n = mean.to_numpy(float).ravel(), count.to_numpy().ravel()
    half = _half_width(std.to_numpy(float).ravel(), n, level)
    return out.assign(mean=m, ci_low=m - half, ci_high=m + half, n=n.astype("int64"))


def step_summary(
    timeseries: pd.DataFrame, points: list[str], columns: list[str], level: float = 0.95
) -> pd.DataFrame:
    """``steps.parquet``: per scenario, point, firm and step, each weekly column in ``columns``
    averaged over replicates with its 95% t interval (:data:`STEP_COLUMNS`); one row per column.
    Rows run scenario by scenario, point by point, firm by firm, week by week."""
    keys = ["scenario", "point", *points, "firm", "step"]
    if timeseries.empty:
        return pd.DataFrame(columns=[*keys, *STEP_COLUMNS])
    out = _intervals(timeseries, keys, columns, "output", level)
    series = out.groupby(keys[:-1], sort=False, dropna=False, observed=True).ngroup()
    order = np.lexsort((np.arange(len(out)), out["step"].to_numpy(), series.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def difference_table(
    metrics: pd.DataFrame,
    points: list[str],
    columns: list[str],
    baseline_point: int | None = None,
) -> pd.DataFrame:
    """Paired differences of each metric in ``columns``, with their 95% t interval and ``n``.

    Without ``baseline_point`` (``compare``): each scenario's firm minus the first scenario's
    firm in the same position at the same point (the first scenario's rows are 0). With it (a
    sweep's ``--baseline``): each other point's firm minus the same scenario's firm in the same
    position at the point of index ``baseline_point`` (the ``point`` column). Replicate r of every
    scenario and point shares its seed, so differences are paired by replicate; a replicate
    missing on either side is left out.
    """
    if baseline_point is None:
        first = metrics["scenario"].iloc[0] if len(metrics) else None
        base = metrics[metrics["scenario"] == first]
        match, rows = ["replicate", "firm_position", *points], metrics
        keys = ["scenario", *points, "firm_position", "firm"]
    else:
        base = metrics[metrics["point"] == baseline_point]
        match = ["scenario", "replicate", "firm_position"]
        rows = metrics[metrics["point"] != baseline_point]
        keys = ["scenario", "point", *points, "firm_position", "firm"]
    if rows.empty or base.empty:
        return pd.DataFrame(columns=[*keys, *DIFFERENCE_COLUMNS])
    joined = rows[[*keys, *(k for k in match if k not in keys), *columns]].merge(
        base[[*match, *columns]], on=match, how="inner", suffixes=("", "_base")
    )
    diffs = joined[keys].join(
        pd.DataFrame(
            {c: joined[c].astype(float) - joined[f"{c}_base"].astype(float) for c in columns}
        )
    )
    out = _intervals(diffs, keys, columns, "metric")
    return out.rename(
        columns={"mean": "diff_mean", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"}
    )


# --------------------------------------------------------------------------- survival


def _per_replicate(
    spells: pd.DataFrame,
    steps: int,
    value: str,
    curve: Callable[[np.ndarray, np.ndarray], np.ndarray],
    level: float,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """One curve per scenario, firm and replicate on the weekly grid 0..steps, banded across
    replicates; ``curve(counts, grid)`` gives a replicate's curve from its spells' counts by
    duration ``(steps + 1, 2)``: column 0 spells still running, column 1 spells ended in churn.
    ``rows``: a mask of the spells to count (all by default). The counts are made in one pass
    over the spell log, never copying it a replicate at a time (it has millions of rows)."""
    keys = ["scenario", "firm", "replicate"]
    grid = np.arange(0, steps + 1)
    if rows is not None:
        spells = spells.loc[rows, [*keys, "duration", "event"]]
    if spells.empty:
        return pd.DataFrame(columns=["scenario", "firm", "week", *BAND_COLUMNS])
    group = spells.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    n_groups = int(group.max()) + 1
    first = np.unique(group, return_index=True)[1]  # each group's first row: its keys
    width = 2 * (steps + 1)
    cell = group * width  # each spell's group, duration and event
    del group
    cell += spells["duration"].to_numpy(np.int64) * 2
    cell += spells["event"].to_numpy(bool)
    counts = np.bincount(cell, minlength=n_groups * width).reshape(n_groups, steps + 1, 2)
    del cell
    labels = spells[keys].iloc[first].to_numpy()
    rows_out = [
        pd.DataFrame(
            {
                "scenario": scenario,
                "firm": firm,
                "replicate": replicate,
                "week": grid,
                value: curve(counts[g], grid),
            }
        )
        for g, (scenario, firm, replicate) in enumerate(labels)
    ]
    per_replicate = pd.concat(rows_out, ignore_index=True)
    return replicate_bands(per_replicate, ["scenario", "firm", "week"], value, level)


def _kaplan_meier(counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kaplan–Meier survival of one replicate's spells (``counts`` by duration, still running
    and ended) at each week of ``grid``; 1 throughout if nobody left (no event, no step down)."""
    from statsmodels.duration.survfunc import SurvfuncRight  # see _logrank

    if not counts[:, 1].any():
        return np.ones(len(grid))
    # one row per (duration, event) with its number of spells as a frequency weight: the same
    # estimate, to the bit (its counts are sums of whole numbers), without a row per spell
    n = counts.ravel()
    key = np.flatnonzero(n)
    sf = SurvfuncRight((key // 2).astype(float), key % 2, freq_weights=n[key].astype(float))
    idx = np.searchsorted(sf.surv_times, grid, side="right") - 1
    return np.where(idx >= 0, sf.surv_prob[np.maximum(idx, 0)], 1.0)


def survival_bands(spells: pd.DataFrame, steps: int, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival per replicate (statsmodels ``SurvfuncRight``), banded across
    replicates on a common weekly grid. Pooling all replicates' customers into one curve would
    understate the uncertainty, so each replicate gives one curve and the band is across them.
    """
    return _per_replicate(spells, steps, "survival", _kaplan_meier, level)


def retention_bands(spells: pd.DataFrame, steps: int, level: float = 0.95) -> pd.DataFrame:
    """Share of each firm's initial customers (there at week 0) still there at each week, per
    replicate, banded across replicates (the weekly path of ``retained`` in ``summary.csv``)."""

    def kept(counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
        left = np.cumsum(counts[:, 1])[grid]  # churned by each week
        return 1.0 - left / counts.sum()

    start = spells["start_step"].to_numpy() == 0
    return _per_replicate(spells, steps, "retained", kept, level, rows=start)


def _logrank(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, str]:
    """Stratified log-rank statistic and p-value of two firms' spells, or NaN and the reason
    the test is undefined."""
    # statsmodels is imported where used: it takes about a second, and most commands that
    # import this module (for the summary table) never need it
    from statsmodels.duration.survfunc import survdiff

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


def _rmst(g: pd.DataFrame, horizon: float) -> float:
    """Restricted mean survival time of one replicate's spells: the area under its Kaplan–Meier
    curve from 0 to ``horizon`` (the expected weeks a customer stays, counting at most
    ``horizon``); the curve is carried flat past its last event."""
    from statsmodels.duration.survfunc import SurvfuncRight  # see _logrank

    events = g["event"].to_numpy(bool)
    if not events.any():
        return float(horizon)
    sf = SurvfuncRight(g["duration"].to_numpy(float), events.astype(int))
    before = sf.surv_times < horizon
    edges = np.concatenate([[0.0], sf.surv_times[before], [horizon]])
    heights = np.concatenate([[1.0], sf.surv_prob[before]])
    return float(np.sum(np.diff(edges) * heights))


def _paired_rmst(a: pd.DataFrame, b: pd.DataFrame, horizon: float) -> dict[str, float | int | str]:
    """Paired t-test (scipy ``ttest_rel``) of two firms' per-replicate restricted mean survival
    times, replicate r of one against replicate r of the other (they share a seed).

    The replicate is the unit of randomness, so n is the number of replicates both firms have
    customers in, not the number of customers. Returns the columns of :data:`LOGRANK_COLUMNS`
    it fills; statistic and p-value are NaN, and ``note`` says why, where the test is undefined.
    """
    out: dict[str, float | int | str] = dict.fromkeys(
        ["statistic", "p_value", "rmst", "versus_rmst"], np.nan
    )
    out.update(dict.fromkeys(["rmst_diff_mean", "rmst_diff_ci_low", "rmst_diff_ci_high"], np.nan))
    out.update(replicates=0, horizon=float(horizon), note="")
    if a.empty or b.empty:
        return out | {"note": "undefined: a firm had no customers"}
    per_rep = pd.DataFrame(
        {
            column: pd.Series({r: _rmst(g, horizon) for r, g in firm.groupby("replicate")})
            for column, firm in (("versus_rmst", a), ("rmst", b))
        }
    ).dropna()  # a replicate in which one firm had no customers has nothing to pair with
    diff = (per_rep["rmst"] - per_rep["versus_rmst"]).to_numpy()
    n = len(diff)
    out.update(replicates=n, rmst=per_rep["rmst"].mean(), versus_rmst=per_rep["versus_rmst"].mean())
    if n:
        out["rmst_diff_mean"] = float(diff.mean())
    if not (a["event"].to_numpy(bool).any() or b["event"].to_numpy(bool).any()):
        return out | {"note": "undefined: no churn events"}
    if n == 0:
        return out | {"note": "undefined: no replicate in which both firms had customers"}
    if n == 1:
        return out | {"note": "undefined: one replicate; a paired test needs two or more"}
    _, low, high = t_interval(diff)
    out.update(rmst_diff_ci_low=low, rmst_diff_ci_high=high)
    # identical differences leave no spread to test (scipy would warn of precision loss)
    if np.ptp(diff) <= 1e-9 * max(1.0, float(np.abs(diff).max())):
        return out | {"note": "undefined: the difference is the same in every replicate"}
    result = stats.ttest_rel(per_rep["rmst"].to_numpy(), per_rep["versus_rmst"].to_numpy())
    return out | {"statistic": float(result.statistic), "p_value": float(result.pvalue)}


def logrank_tests(
    spells: pd.DataFrame,
    firms: dict[str, list[str]] | None = None,
    horizon: float | None = None,
) -> pd.DataFrame:
    """Survival tests of each scenario against the first, firm by firm position.

    ``p_value`` (with ``statistic``, the t statistic) is a paired t-test across replicates of
    the restricted mean survival time up to ``horizon`` (``rmst``; by default the longest spell
    in ``spells``, the run length): customers of one replicate share one simulated market, so
    the replicate, not the customer, is the independent unit, and replicate r of every scenario
    shares its seed, so replicates are paired. ``rmst_diff_*`` is the mean paired difference
    (this scenario minus the first, in weeks) and its 95% t interval. The customer-level
    log-rank test (statsmodels ``survdiff``, stratified by replicate) is kept as
    ``*_customer_level``; it treats every customer as independent and so overstates
    significance.

    ``firms`` gives each scenario's firms in position order (a firm that never had a customer
    has no spells, so the spells alone could pair the wrong firms); by default the order in
    ``spells``. Where a test is undefined (no churn, a firm without customers, one replicate)
    its statistic and p-value are NaN and ``note`` (or ``note_customer_level``) says why.
    """
    in_spells = list(dict.fromkeys(spells["scenario"]))
    if firms is None:
        firms = {
            s: list(dict.fromkeys(spells.loc[spells["scenario"] == s, "firm"])) for s in in_spells
        }
    scenarios = [s for s in firms if s in set(in_spells)]
    if len(scenarios) < 2:
        return pd.DataFrame(columns=LOGRANK_COLUMNS)
    if horizon is None:
        horizon = float(spells["duration"].max())
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
                    **_paired_rmst(a, b, horizon),
                    "statistic_customer_level": stat,
                    "p_value_customer_level": p,
                    "note_customer_level": note or CUSTOMER_LEVEL_CAVEAT,
                }
            )
    return pd.DataFrame(rows, columns=LOGRANK_COLUMNS)
