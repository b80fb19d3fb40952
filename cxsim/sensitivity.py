"""Global sensitivity of the pattern effects to the unsourced parameters (issue 9, item 2).

Two steps, each on the project's runner and results folder (parallel, resumable, nothing of a
user's overwritten):

1. **Morris screening** (Morris 1991; mu* of Campolongo et al. 2007, SALib) over every unsourced
   parameter (``FACTORS``: the ranges calibration searched, ``cxsim.calibration.SEARCH``, and
   the modelling assumptions of ODD §7, ``ASSUMPTIONS``). Each design point runs the base
   scenarios of every pattern experiment (``cxsim.patterns``) once, all with one seed (common
   random numbers), and gives each pattern's contrast on the initial customers retained at the
   end of the run. Per pattern: mu*, its bootstrap interval, mu and sigma per factor, and the
   share of points where the effect has the sign the essays predict.
2. **Sobol indices** (Saltelli 2002/2010 estimators; first and total order with bootstrap
   intervals, SALib) of the two headline outcomes, the P1 gap (CEO-led − CCO-only) and the P2
   deficit (copier − copied), over the few factors Morris ranks highest for them; the other
   factors stay at their defaults.

The runs are small (a few thousand customers, one replicate per point): a factor's index
includes the noise of one run, which the bootstrap intervals do not separate from the factor's
effect; the indices rank factors, they do not measure the model's noise.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import calibration as cal
from .experiment import (
    Arm,
    Experiment,
    Workers,
    arm_scenario,
    run_into,
    save_figure,
    size_overrides,
)
from .patterns import EXPERIMENTS
from .runner import make_plan
from .scenario import apply_overrides
from .store import ResultStore

T = TypeVar("T")

__all__ = [
    "ASSUMPTIONS",
    "FACTORS",
    "HEADLINE",
    "effects_at_points",
    "keys_of",
    "morris_table",
    "run_morris",
    "run_sensitivity",
    "run_sobol",
    "sign_table",
    "sobol_table",
    "top_factors",
]

#: the modelling assumptions screened besides the calibrated parameters: factor -> range over
#: what its meaning allows (ODD §7). ``organization.*`` applies to every firm, ``cco.*`` to
#: every firm with a CCO.
ASSUMPTIONS: dict[str, tuple[float, float]] = {
    "market.visible_weight": (0.3, 0.7),
    "market.skill_weight": (0.3, 0.7),
    "market.empowerment_weight": (0.3, 0.7),
    "market.manager_support_weight": (0.2, 0.8),
    "market.training_transfer_support": (0.0, 1.0),
    "market.redesign_ownership": (0.0, 1.0),
    "market.socialization": (0.0, 0.6),
    "market.training_culture_effect": (0.0, 0.05),
    "market.hiring_profile_effect": (0.2, 0.8),
    "market.training_rate": (0.02, 0.1),
    "market.design_improvement_rate": (0.005, 0.02),
    "organization.ceo_visibility": (0.0, 0.5),
    "organization.peer_weight": (0.2, 1.0),
    "cco.accountability": (0.0, 2.0),
}
#: every unsourced parameter and the range it is screened over
FACTORS: dict[str, tuple[float, float]] = {**cal.SEARCH, **ASSUMPTIONS}
#: the headline outcomes whose Sobol indices are estimated: pattern -> what it is
HEADLINE: dict[str, str] = {
    "P1": "P1 gap: CEO-led − CCO-only, initial customers retained",
    "P2": "P2 deficit: copier − copied, initial customers retained",
}
ROOT = Path(__file__).resolve().parent.parent


def keys_of(factor: str, scenario: Mapping[str, Any]) -> list[str]:
    """The scenario key paths a factor sets in ``scenario`` (JSON data): an organization
    factor in every firm, a CCO factor in every firm that has a CCO, a market factor once."""
    firms = scenario["firms"]
    if factor.startswith("organization."):
        return [f"firms.{i}.{factor}" for i in range(len(firms))]
    if factor.startswith("cco."):
        return [f"firms.{i}.{factor}" for i, f in enumerate(firms) if f.get("cco")]
    return [factor]


def _base(
    arm: Arm, size: Mapping[str, Any], root: Path, names: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """An arm's scenario at this size, as data, with a short unique name for its runs."""
    data = arm_scenario(arm, {}, size, root).model_dump(mode="json")
    key = json.dumps([arm.scenario, sorted(arm.overrides.items())], default=str)
    names.setdefault(key, f"{arm.scenario}~{len(names)}")
    return names[key], data


def _bases(
    experiments: Sequence[Experiment], size: Mapping[str, Any], root: Path
) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, str, float]]]]:
    """The distinct base scenarios of the experiments, and each experiment's contrast as
    (base name, firm, coefficient) terms."""
    names: dict[str, str] = {}
    bases: dict[str, dict[str, Any]] = {}
    terms: dict[str, list[tuple[str, str, float]]] = {}
    for exp in experiments:
        terms[exp.pattern] = []
        for arm in exp.arms:
            name, data = _base(arm, size, root, names)
            bases[name] = data
            terms[exp.pattern].append((name, arm.firm, arm.coef))
    return bases, terms


def _plan_points(
    bases: Mapping[str, dict[str, Any]], factors: Sequence[str], x: np.ndarray, seed: int
) -> list[Any]:
    """Every (point, base scenario) run, one replicate, one seed for all (common random
    numbers): run names are ``<base>@<point>``."""
    scenarios = []
    for p, row in enumerate(x):
        for name, data in bases.items():
            over = {k: float(v) for f, v in zip(factors, row, strict=True)
                    for k in keys_of(f, data)}  # fmt: skip
            scenario = apply_overrides(data, over)
            scenarios.append(scenario.model_copy(update={"name": f"{name}@{p}"}))
    return make_plan(scenarios, 1, seed, record="final", spells=False)


def _run(
    out: Path, plan: list[Any], workers: Workers, resume: bool, what: str,
    finish: Callable[[ResultStore, pd.DataFrame], T],
) -> T:  # fmt: skip
    """Run ``plan`` into the results folder ``out``, then ``finish(store, metrics)`` (which
    writes its tables through the store, so they are cxsim's own files) and return its value."""
    with ResultStore(out, plan) as store:
        run_into(store, workers, resume, what)
        return finish(store, store.read("metrics", [s.run_id for s in plan]))


def effects_at_points(
    metrics: pd.DataFrame, terms: Mapping[str, list[tuple[str, str, float]]], n_points: int
) -> pd.DataFrame:
    """Each pattern's contrast (retained at the end of the run) at each point: rows points,
    columns patterns."""
    retained = metrics.set_index(["scenario", "firm"])["retained"]
    out = {}
    for pattern, parts in terms.items():
        out[pattern] = [
            sum(c * float(retained[(f"{name}@{p}", firm)]) for name, firm, c in parts)
            for p in range(n_points)
        ]
    return pd.DataFrame(out)


def _problem(factors: Sequence[str]) -> dict[str, Any]:
    return {
        "num_vars": len(factors),
        "names": list(factors),
        "bounds": [list(FACTORS[f]) for f in factors],
    }


def morris_table(
    problem: dict[str, Any], x: np.ndarray, y: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """mu*, its 95% bootstrap interval (half-width), mu and sigma per pattern and factor."""
    from SALib.analyze import morris

    rows = []
    for pattern in y.columns:
        with warnings.catch_warnings():
            # one trajectory (a smoke test) has no sigma: NaN, not an error
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            res = morris.analyze(
                problem, x, y[pattern].to_numpy(float), conf_level=0.95, num_levels=4, seed=seed
            )
        for i, name in enumerate(problem["names"]):
            rows.append({"pattern": pattern, "factor": name,
                         "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]),
                         "mu": float(res["mu"][i]), "sigma": float(res["sigma"][i])})  # fmt: skip
    table = pd.DataFrame(rows)
    return table.sort_values(["pattern", "mu_star"], ascending=[True, False], ignore_index=True)


def sign_table(y: pd.DataFrame, expect: Mapping[str, int]) -> pd.DataFrame:
    """Per pattern: the share of design points where the effect has its expected sign, and the
    effect's mean, 5th and 95th percentiles over the design."""
    rows = []
    for pattern in y.columns:
        v = y[pattern].to_numpy(float)
        rows.append({"pattern": pattern, "points": len(v),
                     "share_expected_sign": float(np.mean(np.sign(v) == expect[pattern])),
                     "mean": float(v.mean()), "p05": float(np.percentile(v, 5)),
                     "p95": float(np.percentile(v, 95))})  # fmt: skip
    return pd.DataFrame(rows)


def top_factors(morris: pd.DataFrame, patterns: Iterable[str], per_pattern: int) -> list[str]:
    """The union of each pattern's ``per_pattern`` factors of largest mu*, in FACTORS order."""
    chosen: set[str] = set()
    for pattern in patterns:
        t = morris[morris["pattern"] == pattern].sort_values("mu_star", ascending=False)
        chosen.update(t["factor"].head(per_pattern))
    return [f for f in FACTORS if f in chosen]


def sobol_table(
    problem: dict[str, Any], y: pd.DataFrame, seed: int
) -> pd.DataFrame:  # fmt: skip
    """First- and total-order Sobol indices with 95% bootstrap intervals (half-widths)."""
    from SALib.analyze import sobol

    rows = []
    for pattern in y.columns:
        with warnings.catch_warnings():
            # a constant outcome (a tiny smoke-test run) gives NaN indices, not an error
            warnings.filterwarnings("ignore", "Constant values encountered", UserWarning)
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            res = sobol.analyze(problem, y[pattern].to_numpy(float), calc_second_order=False,
                                conf_level=0.95, seed=seed)  # fmt: skip
        for i, name in enumerate(problem["names"]):
            row = {"pattern": pattern, "factor": name}
            row.update({k: float(res[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf")})
            rows.append(row)
    return pd.DataFrame(rows)


def run_morris(
    out: Path, trajectories: int, size: Mapping[str, Any], seed: int, workers: Workers,
    resume: bool, root: Path = ROOT,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Morris screening of every pattern: (morris table, sign table, effects at points)."""
    from SALib.sample import morris

    factors = list(FACTORS)
    problem = _problem(factors)
    x = morris.sample(problem, trajectories, num_levels=4, seed=seed)
    bases, terms = _bases(EXPERIMENTS, size, root)
    plan = _plan_points(bases, factors, x, seed)

    def finish(
        store: ResultStore, metrics: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        y = effects_at_points(metrics, terms, len(x))
        table = morris_table(problem, x, y, seed)
        signs = sign_table(y, {e.pattern: e.expect for e in EXPERIMENTS})
        store.write_csv(store.out / "morris.csv", table)
        store.write_csv(store.out / "signs.csv", signs)
        points = pd.concat([y, pd.DataFrame(x, columns=factors)], axis=1)
        store.write_csv(store.out / "points.csv", points)
        return table, signs, y

    return _run(out, plan, workers, resume, "sensitivity (Morris)", finish)


def run_sobol(
    out: Path, factors: list[str], n: int, size: Mapping[str, Any], seed: int,
    workers: Workers, resume: bool, root: Path = ROOT,
    after: Callable[[ResultStore, pd.DataFrame], None] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Sobol indices of the headline outcomes over ``factors`` (Saltelli sampling, ``n`` base
    points, ``n · (len(factors) + 2)`` design points)."""
    from SALib.sample import sobol as sobol_sample

    problem = _problem(factors)
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    chosen = [e for e in EXPERIMENTS if e.pattern in HEADLINE]
    bases, terms = _bases(chosen, size, root)
    plan = _plan_points(bases, factors, x, seed)

    def finish(store: ResultStore, metrics: pd.DataFrame) -> pd.DataFrame:
        y = effects_at_points(metrics, terms, len(x))
        table = sobol_table(problem, y, seed)
        store.write_csv(store.out / "sobol.csv", table)
        if after is not None:
            after(store, table)
        return table

    return _run(out, plan, workers, resume, "sensitivity (Sobol)", finish)


def run_sensitivity(
    out: Path, customers: int = 3000, steps: int | None = None, trajectories: int = 4,
    sobol_n: int = 64, per_pattern: int = 3, seed: int = 2026, workers: Workers = 1,
    resume: bool = False, root: Path = ROOT, warmup: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Morris over every pattern (results folder ``<out>-morris``), then Sobol of the headline
    outcomes over their top factors (``<out>-sobol``, which also holds the figure and
    ``summary.json``). Returns the summary (what the findings page shows)."""
    size = size_overrides(customers, steps, warmup)
    morris, signs, y = run_morris(out.with_name(out.name + "-morris"), trajectories, size, seed,
                                  workers, resume, root)  # fmt: skip
    factors = top_factors(morris, HEADLINE, per_pattern)
    summary: dict[str, Any] = {
        "customers": customers,
        "steps": steps,
        "trajectories": trajectories,
        "morris_points": len(y),
        "factors": len(FACTORS),
        "sobol_n": sobol_n,
        "sobol_points": sobol_n * (len(factors) + 2),
        "sobol_factors": factors,
        "morris": morris.to_dict(orient="records"),
        "signs": signs.to_dict(orient="records"),
    }

    def after(store: ResultStore, sobol: pd.DataFrame) -> None:
        summary["sobol"] = sobol.to_dict(orient="records")
        fig = figure(morris, sobol, summary)
        save_figure(store, store.out / "sensitivity.png", fig)
        store.write_text(store.out / "summary.json", json.dumps(summary, indent=1) + "\n")

    run_sobol(out.with_name(out.name + "-sobol"), factors, sobol_n, size, seed, workers, resume,
              root, after)  # fmt: skip
    return summary


def figure(morris: pd.DataFrame, sobol: pd.DataFrame, summary: Mapping[str, Any]) -> Any:
    """Left: the headline outcomes' Sobol indices (first and total order, with intervals);
    right: the five largest Morris mu* of every pattern."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 1, 1.3]})
    for ax, pattern in zip(axes[:2], HEADLINE, strict=True):
        t = sobol[sobol["pattern"] == pattern].sort_values("ST")
        at = np.arange(len(t))
        ax.barh(at + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="total order", color="C0")
        ax.barh(at - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order", color="C1")
        ax.set_yticks(at, [str(f) for f in t["factor"]], fontsize=8)
        ax.set_xlabel("Sobol index (95% bootstrap interval)")
        ax.set_title(f"{HEADLINE[pattern]}\n(n = {summary['sobol_points']} points)", fontsize=9)
        ax.axvline(0, color="0.5", lw=1)
        ax.legend(fontsize=8, loc="lower right")
    ax = axes[2]
    labels, values, errors, colors = [], [], [], []
    for k, (pattern, t) in enumerate(morris.groupby("pattern", sort=True)):
        t = t.sort_values("mu_star", ascending=False).head(5).iloc[::-1]
        labels += [f"{pattern} {f}" for f in t["factor"]]
        values += list(t["mu_star"])
        errors += list(t["mu_star_conf"])
        colors += [f"C{k % 10}"] * len(t)
    at = np.arange(len(labels))
    ax.barh(at, values, xerr=errors, color=colors, alpha=0.85)
    ax.set_yticks(at, labels, fontsize=6)
    ax.set_xlabel("Morris mu* (share of initial customers), 95% bootstrap interval")
    ax.set_title(f"Morris: five largest per pattern ({summary['morris_points']} points, "
                 f"{summary['factors']} factors)", fontsize=9)  # fmt: skip
    fig.suptitle(f"Sensitivity of the pattern effects to the unsourced parameters "
                 f"({summary['customers']:,} customers per run, one run per point)")  # fmt: skip
    fig.tight_layout()
    return fig
