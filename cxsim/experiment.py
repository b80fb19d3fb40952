"""Pattern experiments: each claim of the essays as a declared contrast, measured with replicate
intervals at several horizons, with a boundary sweep, its crossing point and a verdict.

An experiment (``Experiment``) names *arms*, each a (scenario, overrides, firm) triple, and a
*contrast* over them: the effect is ``Σ coef · outcome(arm)``, computed replicate by replicate
(replicate r of every arm shares its seed: common random numbers make the differences paired).
``P1`` is +1 · CEO-led focal − 1 · CCO-only focal; ``P2`` +1 · copier − 1 · copied, both firms
of one run; ``P8`` an interaction of four firms. A *boundary* sweeps one lever on some arms and
finds where the effect's mean crosses zero, with a bootstrap interval over replicates.

The runs go through the project's runner and results folder (parallel, resumable, nothing of a
user's overwritten); ``cxsim experiment NAME|all [--quick]`` runs them. The experiments
themselves are declared in ``cxsim.patterns``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .job import JobError
from .outputs import lifetime_value
from .runner import RunSpec, make_plan, run_plan
from .scenario import Scenario, apply_overrides, load_scenario
from .schema import Market
from .stats import t_interval
from .store import ResultStore

__all__ = [
    "HORIZONS",
    "OUTCOMES",
    "Arm",
    "Boundary",
    "Experiment",
    "Grid",
    "Workers",
    "arm_scenario",
    "boundary_table",
    "crossing",
    "effects_table",
    "figure",
    "grid_folder",
    "grid_tables",
    "outcomes_at",
    "run_experiment",
    "run_grid",
    "run_into",
    "save_figure",
    "size_overrides",
    "verdict",
]

#: weeks at which effects are measured: 1, 3 and 5 years
HORIZONS = (52, 156, 260)
#: the outcomes measured at each horizon, with what each is
OUTCOMES: dict[str, str] = {
    "retained": "share of the firm's customers at week 0 still with it at the horizon",
    "monthly_churn": "mean monthly churn over the year before the horizon",
    "market_share": "market share at the horizon",
    "nps": "mean NPS over the year before the horizon",
    "profit": "mean weekly profit over the year before the horizon, $",
    "lifetime_value": "customer lifetime value from the churn of the year before the horizon, $",
}
#: the outcome and horizon a verdict is read from
VERDICT_OUTCOME, VERDICT_HORIZON = "retained", 260


@dataclass(frozen=True)
class Arm:
    """One term of the contrast: a firm of a scenario with overrides, and its coefficient."""

    scenario: str  # a shipped scenario's name (scenarios/<name>.yaml)
    firm: str  # the firm's name in that scenario
    coef: float = 1.0
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Boundary:
    """A lever swept on some arms (by index): where does the effect vanish or reverse?

    ``key`` is one scenario key, or several set to the same value (one lever held by two
    firms, say)."""

    key: str | tuple[str, ...]
    values: Sequence[Any]
    arms: Sequence[int]  # the arms the lever is set on (the others stay as they are)
    label: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    @property
    def name(self) -> str:
        """The key, or the keys joined, as tables show it."""
        return " = ".join(self.keys)

    def setting(self, value: Any) -> dict[str, Any]:
        return dict.fromkeys(self.keys, value)

    def at(self, values: Sequence[Any]) -> Boundary:
        """The same lever swept on ``values`` (a grid's coarser pass over a boundary)."""
        return replace(self, values=values)


@dataclass(frozen=True)
class Grid:
    """Two levers swept together, each on its own arms: the effect over their plane, where it
    crosses zero along the first lever at each value of the second, and how much of the
    effect changes with the second lever (paired against its first value)."""

    rows: Boundary
    cols: Boundary
    replicates: int = 10


@dataclass(frozen=True)
class Experiment:
    """A pattern's hypothesis as a contrast over arms, with its boundary."""

    name: str
    pattern: str  # P1 ... P8
    hypothesis: str
    arms: Sequence[Arm]
    expect: int  # +1: the hypothesis says the effect is positive; -1: negative
    boundary: Boundary
    advice: str  # one sentence a strategist can act on, if the pattern emerges
    grid: Grid | None = None  # two levers together (issue 9: the two-lever boundaries)


def size_overrides(
    customers: int | None, steps: int | None, warmup: int | None = None
) -> dict[str, Any]:
    """The overrides that set a run's size: customers, weeks, and weeks of warm-up (given
    only for a smoke test such as ``--quick``: results need the full warm-up)."""
    keys = {"market.customers": customers, "steps": steps, "market.warmup_weeks": warmup}
    return {k: v for k, v in keys.items() if v is not None}


def arm_scenario(arm: Arm, extra: Mapping[str, Any], size: Mapping[str, Any],
                 root: Path) -> Scenario:  # fmt: skip
    """An arm's shipped scenario with its overrides, ``extra`` ones (a boundary's, a grid's)
    and the run size, named after what was set (distinct settings, distinct names)."""
    data = load_scenario(root / "scenarios" / f"{arm.scenario}.yaml").model_dump(mode="json")
    over = {**arm.overrides, **extra, **size}
    scenario = apply_overrides(data, over)
    names = json.dumps(sorted(over.items()), default=str)
    return scenario.model_copy(update={"name": f"{arm.scenario} {names}"})


#: one setting of an experiment: a label and, for each arm index, the overrides it gets
Setting = tuple[Any, Mapping[int, Mapping[str, Any]]]


def _boundary_settings(exp: Experiment) -> list[Setting]:
    """The scenario's own setting (label None), then each boundary value on its arms."""
    b = exp.boundary
    return [(None, {})] + [(v, dict.fromkeys(b.arms, b.setting(v))) for v in b.values]


def _grid_settings(grid: Grid) -> list[Setting]:
    """Every (row value, column value) pair, each lever on its own arms."""
    out: list[Setting] = []
    for r in grid.rows.values:
        for c in grid.cols.values:
            arms: dict[int, dict[str, Any]] = {}
            for lever, v in ((grid.rows, r), (grid.cols, c)):
                for i in lever.arms:
                    arms.setdefault(i, {}).update(lever.setting(v))
            out.append(((r, c), arms))
    return out


def _variants(
    exp: Experiment, settings: list[Setting], size: Mapping[str, Any], root: Path
) -> tuple[list[Scenario], dict[tuple[Any, int], int]]:
    """The distinct scenarios to run, and for each (setting label, arm) its index."""
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    where: dict[tuple[Any, int], int] = {}
    for label, arms in settings:
        for i, arm in enumerate(exp.arms):
            scenario = arm_scenario(arm, arms.get(i, {}), size, root)
            key = scenario.model_dump_json()
            if key not in seen:
                seen[key] = len(scenarios)
                scenarios.append(scenario)
            where[(label, i)] = seen[key]
    return scenarios, where


def outcomes_at(
    ts: pd.DataFrame, spells: pd.DataFrame, horizons: Sequence[int], market: Market | None = None
) -> pd.DataFrame:
    """Every ``OUTCOMES`` of every firm of one run at each horizon (index: firm, horizon);
    lifetime value needs the run's ``market`` (NaN without it)."""
    rows = []
    first = spells[spells["start_step"] == 0]
    for h in horizons:
        year = ts[(ts["step"] > h - 52) & (ts["step"] <= h)].groupby("firm", sort=False)
        at = ts[ts["step"] == h].set_index("firm")
        kept = (first["duration"] > h) | ~first["event"].astype(bool)
        retained = kept.groupby(first["firm"].astype(str), sort=False).mean()
        weekly = year["churn_rate_weekly"].mean()
        for firm in at.index:
            rows.append(
                {
                    "firm": str(firm),
                    "horizon": h,
                    "retained": float(retained.get(str(firm), np.nan)),
                    "monthly_churn": float(1 - (1 - weekly[firm]) ** (52 / 12)),
                    "market_share": float(at.loc[firm, "market_share"]),
                    "nps": float(year["nps"].mean()[firm]),
                    "profit": float(year["profit"].mean()[firm]),
                    "lifetime_value": (
                        float(lifetime_value(weekly[firm], market)) if market else np.nan
                    ),
                }
            )
    return pd.DataFrame(rows).set_index(["firm", "horizon"])


def _contrast(
    exp: Experiment, per_run: dict[str, pd.DataFrame], plan: list[RunSpec],
    where: dict[tuple[Any, int], int], value: Any, horizons: Sequence[int],
) -> pd.DataFrame:  # fmt: skip
    """The contrast replicate by replicate: rows (replicate, horizon), columns OUTCOMES."""
    by = {(s.run_id.split("-")[0], s.replicate): s.run_id for s in plan}
    replicates = sorted({s.replicate for s in plan})
    frames = []
    for r in replicates:
        total = None
        for i, arm in enumerate(exp.arms):
            run = by[(f"s{where[(value, i)]}", r)]
            term = arm.coef * per_run[run].xs(arm.firm, level="firm")[list(OUTCOMES)]
            total = term if total is None else total + term
        frame = total.reindex(list(horizons)).reset_index()
        frame.insert(0, "replicate", r)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def effects_table(contrast: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% t interval of the contrast per outcome and horizon, with n."""
    rows = []
    for h, group in contrast.groupby("horizon", sort=True):
        for outcome in OUTCOMES:
            mean, low, high = t_interval(group[outcome].to_numpy(float))
            rows.append({"outcome": outcome, "horizon": int(h), "mean": mean, "low": low,
                         "high": high, "n": int(group[outcome].notna().sum())})  # fmt: skip
    return pd.DataFrame(rows)


def boundary_table(
    values: Sequence[Any], contrasts: Mapping[Any, pd.DataFrame], horizon: int = VERDICT_HORIZON
) -> pd.DataFrame:
    """The verdict outcome's effect at ``horizon`` for each boundary value."""
    rows = []
    for v in values:
        c = contrasts[v]
        x = c.loc[c["horizon"] == horizon, VERDICT_OUTCOME].to_numpy(float)
        mean, low, high = t_interval(x)
        rows.append({"value": v, "mean": mean, "low": low, "high": high, "n": len(x)})
    return pd.DataFrame(rows)


def crossing(
    values: Sequence[float], effects: np.ndarray, n_boot: int = 2000, seed: int = 0
) -> dict[str, float | None]:
    """Where the mean effect crosses zero along ``values`` (linear between grid values), and a
    95% bootstrap interval over replicates; ``effects`` is (values, replicates).

    None where the mean never changes sign on the grid (the crossing, if any, is outside it).
    """
    x = np.asarray(values, dtype=float)

    def cross(mean: np.ndarray) -> float | None:
        sign = np.sign(mean)
        for i in range(len(mean) - 1):
            if sign[i] == 0:
                return float(x[i])
            if sign[i] * sign[i + 1] < 0:
                t = mean[i] / (mean[i] - mean[i + 1])
                return float(x[i] + t * (x[i + 1] - x[i]))
        return float(x[-1]) if sign[-1] == 0 else None

    point = cross(effects.mean(axis=1))
    if point is None:
        return {"crossing": None, "low": None, "high": None, "share_crossing": 0.0}
    rng = np.random.default_rng(seed)
    n = effects.shape[1]
    found = []
    for _ in range(n_boot):
        c = cross(effects[:, rng.integers(0, n, n)].mean(axis=1))
        if c is not None:
            found.append(c)
    low, high = np.percentile(found, [2.5, 97.5]) if found else (np.nan, np.nan)
    return {"crossing": point, "low": float(low), "high": float(high),
            "share_crossing": len(found) / n_boot}  # fmt: skip


def verdict(
    exp: Experiment, effects: pd.DataFrame, boundary: pd.DataFrame, horizon: int = VERDICT_HORIZON
) -> str:
    """``emerges``, ``emerges only under conditions``, ``reversed`` or ``does not emerge``, read
    from the 95% interval of the verdict outcome at ``horizon`` (and along the boundary when it
    does not emerge at the scenario's own settings)."""
    row = effects[(effects["outcome"] == VERDICT_OUTCOME) & (effects["horizon"] == horizon)]
    low, high = float(row["low"].iloc[0]), float(row["high"].iloc[0])
    lo, hi = (low, high) if exp.expect > 0 else (-high, -low)
    if lo > 0:
        return "emerges"
    if hi < 0:
        return "reversed"
    b_lo = boundary["low"] if exp.expect > 0 else -boundary["high"]
    if (b_lo > 0).any():
        return "emerges only under conditions"
    return "does not emerge"


#: where a study's runs go: a number of local worker processes, or an executor (a Dask
#: cluster's, ``cxsim.cluster``); results are the same either way
Workers = int | Executor


def run_into(store: ResultStore, workers: Workers, resume: bool, what: str) -> None:
    """Open the results folder of ``store`` (resuming if asked) and run the runs of its plan
    not yet finished there; a failed run stops the study with one line (``JobError``), the
    finished ones kept for ``--resume``."""
    done = store.open(resume=resume)
    todo = [s for s in store.plan if s.run_id not in done]
    pool = {"workers": workers} if isinstance(workers, int) else {"executor": workers}
    for result in run_plan(todo, **pool):
        store.write(result)
        if result.status != "ok":
            raise JobError(
                f"{what}: run {result.spec.run_id} failed: {result.error}; "
                "run the same command with --resume to redo it"
            )


def _run_all(
    exp: Experiment, out: Path, settings: list[Setting], replicates: int,
    size: Mapping[str, Any], seed: int, workers: Workers, resume: bool, root: Path,
) -> tuple[ResultStore, list[RunSpec], dict[tuple[Any, int], int], dict[str, pd.DataFrame],
           list[int]]:  # fmt: skip
    """Run every setting's arms into the results folder ``out`` (resumable) and read each
    run's outcomes at the horizons; the store is returned open (the caller closes it)."""
    scenarios, where = _variants(exp, settings, size, root)
    plan = make_plan(scenarios, replicates, seed, record="every", spells=True)
    horizons = [h for h in HORIZONS if h <= min(s.steps for s in scenarios)]
    horizons = horizons or [min(s.steps for s in scenarios)]
    store = ResultStore(out, plan)
    try:
        run_into(store, workers, resume, exp.name)
        per_run = {}
        for spec in plan:
            ts = store.read("timeseries", [spec.run_id])
            sp = store.read("spells", [spec.run_id])
            market = Scenario.model_validate(spec.scenario).market
            per_run[spec.run_id] = outcomes_at(ts, sp, horizons, market)
    except BaseException:
        store.close()
        raise
    return store, plan, where, per_run, horizons


def run_experiment(
    exp: Experiment,
    out: Path,
    replicates: int = 30,
    customers: int | None = None,
    steps: int | None = None,
    seed: int = 2026,
    workers: Workers = 1,
    resume: bool = False,
    root: Path | None = None,
    grid_replicates: int | None = None,
    warmup: int | None = None,
) -> dict[str, Any]:
    """Run an experiment into ``out`` (a cxsim results folder) and write its tables:
    ``effects.csv``, ``boundary.csv``, ``result.json`` (crossing and verdict) and a figure;
    with a two-lever grid, also its own results folder ``<out>-grid`` (``grid_replicates``
    replicates, the grid's own number by default)."""
    root = Path(__file__).resolve().parent.parent if root is None else root
    size = size_overrides(customers, steps, warmup)
    store, plan, where, per_run, horizons = _run_all(
        exp, out, _boundary_settings(exp), replicates, size, seed, workers, resume, root
    )
    with store:
        base = _contrast(exp, per_run, plan, where, None, horizons)
        effects = effects_table(base)
        contrasts = {v: _contrast(exp, per_run, plan, where, v, horizons)
                     for v in exp.boundary.values}  # fmt: skip
        verdict_h = VERDICT_HORIZON if VERDICT_HORIZON in horizons else horizons[-1]
        bound = boundary_table(exp.boundary.values, contrasts, verdict_h)
        matrix = np.array([
            c.loc[c["horizon"] == verdict_h, VERDICT_OUTCOME].to_numpy(float)
            for c in contrasts.values()])  # fmt: skip
        numeric = all(isinstance(v, int | float) for v in exp.boundary.values)
        cross = crossing(exp.boundary.values, matrix, seed=seed) if numeric else {}
        result = {
            "name": exp.name,
            "pattern": exp.pattern,
            "hypothesis": exp.hypothesis,
            "expect": exp.expect,
            "boundary_key": exp.boundary.name,
            "boundary_label": exp.boundary.label or exp.boundary.name,
            "crossing": cross,
            "verdict": verdict(exp, effects, bound, verdict_h),
            "verdict_horizon": verdict_h,
            "advice": exp.advice,
            "replicates": replicates,
            "customers": customers,
            "steps": steps,
            "horizons": horizons,
            "grid": None if exp.grid is None else {
                "rows_key": exp.grid.rows.name, "rows_label": exp.grid.rows.label,
                "cols_key": exp.grid.cols.name, "cols_label": exp.grid.cols.label,
                "replicates": grid_replicates or exp.grid.replicates,
            },
        }
        store.write_csv(store.out / "effects.csv", effects)
        store.write_csv(store.out / "boundary.csv", bound)
        store.write_text(store.out / "result.json", json.dumps(result, indent=2))
        fig = figure(result, effects, bound)
        save_figure(store, store.out / "experiment.png", fig)
    if exp.grid is not None:
        n = grid_replicates or exp.grid.replicates
        run_grid(exp, grid_folder(out), n, size, seed, workers, resume, root)
    return result


def save_figure(store: ResultStore, path: Path, fig: Any) -> None:
    """Write ``fig`` as a PNG through the store (atomically, as cxsim's own file) and close it,
    so a long run of experiments keeps no figure open."""
    import matplotlib.pyplot as plt

    try:
        store.write_bytes_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    finally:
        plt.close(fig)


def grid_folder(out: Path) -> Path:
    """The results folder of an experiment's two-lever grid, beside the experiment's own."""
    return out.with_name(out.name + "-grid")


def grid_tables(
    grid: Grid, contrasts: Mapping[tuple[Any, Any], pd.DataFrame], horizon: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The effect at ``horizon`` in every cell with its interval, and its change from the
    second lever's first value (paired by replicate); and, for each value of the second lever,
    where the effect crosses zero along the first (bootstrap interval)."""
    def at(r: Any, c: Any) -> np.ndarray:
        frame = contrasts[(r, c)]
        return frame.loc[frame["horizon"] == horizon, VERDICT_OUTCOME].to_numpy(float)

    first = grid.cols.values[0]
    rows = []
    for r in grid.rows.values:
        for c in grid.cols.values:
            mean, low, high = t_interval(at(r, c))
            d_mean, d_low, d_high = t_interval(at(r, c) - at(r, first))
            rows.append({"row": r, "col": c, "mean": mean, "low": low, "high": high,
                         "change": d_mean, "change_low": d_low, "change_high": d_high,
                         "n": len(at(r, c))})  # fmt: skip
    cells = pd.DataFrame(rows)
    crossings = []
    numeric = all(isinstance(v, int | float) for v in grid.rows.values)
    for c in grid.cols.values:
        matrix = np.array([at(r, c) for r in grid.rows.values])
        found = crossing(grid.rows.values, matrix, seed=seed) if numeric else {}
        crossings.append({"col": c, **{k: found.get(k) for k in ("crossing", "low", "high")}})
    return cells, pd.DataFrame(crossings)


def run_grid(
    exp: Experiment, out: Path, replicates: int, size: Mapping[str, Any], seed: int,
    workers: Workers, resume: bool, root: Path,
) -> pd.DataFrame:  # fmt: skip
    """Run an experiment's two-lever grid into ``out``: ``grid.csv`` (every cell),
    ``grid_crossings.csv`` and ``grid.png``."""
    assert exp.grid is not None
    grid = exp.grid
    settings = _grid_settings(grid)
    store, plan, where, per_run, horizons = _run_all(
        exp, out, settings, replicates, size, seed, workers, resume, root
    )
    with store:
        h = VERDICT_HORIZON if VERDICT_HORIZON in horizons else horizons[-1]
        contrasts = {label: _contrast(exp, per_run, plan, where, label, horizons)
                     for label, _ in settings}  # fmt: skip
        cells, crossings = grid_tables(grid, contrasts, h, seed)
        store.write_csv(store.out / "grid.csv", cells)
        store.write_csv(store.out / "grid_crossings.csv", crossings)
        fig = grid_figure(exp, cells, h)
        save_figure(store, store.out / "grid.png", fig)
    return cells


def grid_figure(exp: Experiment, cells: pd.DataFrame, horizon: int) -> Any:
    """The effect over the two levers' plane: one line per value of the second lever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert exp.grid is not None
    grid = exp.grid
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    x = np.arange(len(grid.rows.values))
    for j, c in enumerate(grid.cols.values):
        part = cells[cells["col"] == c]
        mean = part["mean"].to_numpy(float)
        err = [mean - part["low"].to_numpy(float), part["high"].to_numpy(float) - mean]
        ax.errorbar(x + (j - 1) * 0.06, mean, yerr=err, marker="o", capsize=3,
                    label=f"{c}")  # fmt: skip
    ax.axhline(0, color="0.5", lw=1)
    ax.set_xticks(x, [str(v) for v in grid.rows.values])
    ax.set_xlabel(grid.rows.label or grid.rows.name)
    ax.set_ylabel(f"effect on initial customers retained (week {horizon})")
    ax.legend(title=grid.cols.label or grid.cols.name, fontsize=8, title_fontsize=8)
    n = int(cells["n"].max()) if len(cells) else 0
    ax.set_title(f"{exp.pattern} {exp.name}: two levers (n = {n} per cell)", fontsize=10)
    fig.tight_layout()
    return fig


def figure(result: Mapping[str, Any], effects: pd.DataFrame, boundary: pd.DataFrame) -> Any:
    """The effect on retained at each horizon, and along the boundary, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    e = effects[effects["outcome"] == VERDICT_OUTCOME]
    weeks = e["horizon"].to_numpy(float)
    mean = e["mean"].to_numpy(float)
    err = [mean - e["low"].to_numpy(float), e["high"].to_numpy(float) - mean]
    left.errorbar(weeks, mean, yerr=err, marker="o", capsize=4)
    left.axhline(0, color="0.5", lw=1)
    left.set_xlabel("week")
    left.set_ylabel("effect on initial customers retained")
    left.set_title("effect at each horizon")
    x = np.arange(len(boundary))
    b = boundary["mean"].to_numpy(float)
    b_err = [b - boundary["low"].to_numpy(float), boundary["high"].to_numpy(float) - b]
    right.errorbar(x, b, yerr=b_err, marker="s", capsize=4, color="C1")
    right.set_xticks(x, [str(v) for v in boundary["value"]])
    right.axhline(0, color="0.5", lw=1)
    cross = result.get("crossing") or {}
    if cross.get("crossing") is not None:
        values = np.asarray(boundary["value"], dtype=float)
        at = np.interp(cross["crossing"], values, x)
        right.axvline(at, color="C3", ls="--", label=f"crossing {cross['crossing']:.3g}")
        right.legend(fontsize=8, loc="best")
    right.set_xlabel(result["boundary_label"])
    right.set_title(f"boundary (week {result['verdict_horizon']})")
    n = int(e["n"].max()) if len(e) else 0
    fig.suptitle(f"{result['pattern']} {result['name']}: {result['verdict']} (n = {n})")
    fig.tight_layout()
    return fig
