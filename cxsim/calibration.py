"""Calibration targets and how a run is measured against them (ODD §8).

Pattern-oriented calibration (Grimm et al. 2005; Railsback & Grimm 2019): the model's emergent
outputs, measured after the warm-up, are compared with several published figures at once. The
targets are declared once, here, with their sources; ``experiments/calibrate.py`` searches the
unsourced parameters for sets that meet all of them, and ``tests/test_calibration.py`` checks
that the defaults do. P1–P8 are never targets.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import CXModel
from .rules import OUTCOME_PATHS
from .runner import RunResult, RunSpec, failed_result, label_rows
from .schema import Scenario

__all__ = [
    "CALIBRATION_SCENARIOS",
    "SEARCH",
    "STAGES",
    "TARGETS",
    "Measures",
    "Target",
    "central_point",
    "default_market",
    "default_of",
    "measure",
    "measures_of",
    "met",
    "monthly",
    "run_measured",
    "stay_rate_order",
    "stay_rates",
    "summarize",
]

#: the scenarios every calibration point runs: the default market's firms (no file: two
#: firms with every default) and the headline scenarios (``scenarios/<name>.yaml``)
CALIBRATION_SCENARIOS = ("default_market", "cco_only", "ceo_led", "invisible_war")

#: the unsourced parameters the calibration searches, with the ranges of its two stages (ODD
#: §8.2). Stage 1 spans what each parameter's meaning allows (the funnel's rates within TARP's
#: figures); stage 2 narrows each range to where stage 1 came close to every target at once.
STAGES: dict[int, dict[str, tuple[float, float]]] = {
    1: {
        "market.problem_rate": (0.03, 0.2),
        "market.major_problem_share": (0.02, 0.1),
        "market.complaint_rate_major": (0.5, 0.75),
        "market.complaint_rate_minor": (0.02, 0.06),
        "market.problem_salience": (0.3, 1.0),
        "market.satisfaction_adaptation": (0.1, 0.4),
        "market.churn_sensitivity": (1.0, 8.0),
        "market.base_churn_per_month": (0.002, 0.012),
        "market.word_of_mouth_effect": (0.0, 1.0),
        "market.switching_cost": (0.2, 0.6),
        "market.problem_defection": (0.05, 0.6),
        "market.culture_change_rate": (0.02, 0.3),
    },
    2: {
        "market.problem_rate": (0.02, 0.08),
        "market.major_problem_share": (0.02, 0.06),
        "market.complaint_rate_major": (0.5, 0.75),
        "market.complaint_rate_minor": (0.02, 0.045),
        "market.problem_salience": (0.3, 1.0),
        "market.satisfaction_adaptation": (0.1, 0.4),
        "market.churn_sensitivity": (1.0, 8.0),
        "market.base_churn_per_month": (0.002, 0.008),
        "market.word_of_mouth_effect": (0.0, 0.6),
        "market.switching_cost": (0.3, 0.6),
        "market.problem_defection": (0.4, 0.8),
        "market.culture_change_rate": (0.02, 0.3),
    },
}
#: the final search (stage 2), whose accepted set holds the defaults
SEARCH = STAGES[2]


def default_market() -> dict[str, Any]:
    """The default market with two firms that take every default (as JSON-ready data)."""
    scenario = Scenario(name="default_market", firms=[{"name": "A"}, {"name": "B"}])
    return scenario.model_dump(mode="json")


def default_of(key: str) -> float:
    """The schema default of a ``market.<field>`` key of ``SEARCH``."""
    from .schema import Market

    return float(getattr(Market(), key.removeprefix("market.")))


def central_point(
    accepted: pd.DataFrame, search: dict[str, tuple[float, float]] | None = None
) -> pd.Series:
    """The accepted point nearest the median of the accepted set, each parameter scaled by its
    range in ``search`` (default ``SEARCH``): the defaults are set there, well inside the
    region that meets every target rather than on its edge."""
    search = SEARCH if search is None else search
    scaled = pd.DataFrame({k: (accepted[k] - lo) / (hi - lo) for k, (lo, hi) in search.items()})
    distance = np.sqrt(((scaled - scaled.median()) ** 2).sum(axis=1))
    return accepted.loc[distance.idxmin()]


#: weeks after a problem over which a customer's staying is measured (TARP asks about the
#: next purchase; a year is the horizon over which it is measured here)
STAY_WEEKS = 52


@dataclass(frozen=True)
class Target:
    """A published figure an emergent output must fall in: ``low <= value <= high``."""

    name: str
    low: float
    high: float
    unit: str
    source: str
    measured: str  # how the value is measured from runs

    def keys(self, values: Mapping[str, float]) -> list[str]:
        """The keys of :func:`summarize`'s values that measure this target: its name, or its
        ``_min`` and ``_max`` where it is checked over firms."""
        return [
            k for k in values if k == self.name or k in (f"{self.name}_min", f"{self.name}_max")
        ]

    def met(self, value: float) -> bool:
        """Whether ``value`` is within the target (NaN never is)."""
        return bool(self.low <= value <= self.high)


#: the calibration targets (ODD §8.1)
TARGETS: tuple[Target, ...] = (
    Target(
        "monthly_churn",
        0.008,
        0.029,
        "share of customers a month",
        "telecom monthly churn, 0.8–0.9% postpaid to 2.6–2.9% prepaid (DESIGN §3; industry "
        "reports)",
        "every firm: mean weekly churn over the run after warm-up, as 1 − (1 − w)^(52/12)",
    ),
    Target(
        "nps_ordinary",
        -30.0,
        30.0,
        "NPS points",
        "Reichheld 2003, 2006: most firms' NPS lies between about −30 and +30 (a typical firm "
        "5–10)",
        "firms with no programs, no CCO and no champions: mean NPS over the run",
    ),
    Target(
        "nps_best",
        -100.0,
        80.0,
        "NPS points",
        "Reichheld 2003, 2006: the leaders of an industry reach +50 to +80",
        "the highest mean NPS of any firm",
    ),
    Target(
        "silent_per_complaint",
        14.0,
        26.0,
        "silent problems per complaint",
        "essays (1 complains, 14 do not) to TARP 1986 (26 silent per complaint)",
        "all firms: problems not reported over problems reported",
    ),
    Target(
        "escalation_share",
        0.01,
        0.05,
        "share of complaints",
        "TARP: 1–5% of complaints reach management",
        "all firms: escalations over complaints",
    ),
    Target(
        "stay_spread_major",
        0.25,
        1.0,
        "difference in one-year stay rate",
        "TARP repurchase intention after a major problem: 82% resolved quickly vs 9% silent; "
        "behaviour is less extreme than intention (Mittal & Kamakura 2001), so at least a third "
        "of that 73-point spread",
        f"problems at every firm: share of customers still at the firm {STAY_WEEKS} weeks later, "
        "resolved quickly minus did not complain, major problems",
    ),
    Target(
        "stay_order",
        1.0,
        1.0,
        "1 = ordered",
        "TARP: stay rate falls from resolved quickly to resolved to not resolved to did not "
        "complain, for minor and for major problems",
        "1 if the one-year stay rates are so ordered (within two standard errors), else 0",
    ),
)


def monthly(weekly: Any) -> Any:
    """Monthly rate equivalent to a weekly one: ``1 − (1 − w)^(52/12)``."""
    return 1.0 - np.power(1.0 - np.asarray(weekly, dtype=float), 52.0 / 12.0)


@dataclass
class Measures:
    """One run's calibration measures: per-firm figures and the problem stay table."""

    firms: pd.DataFrame  # index firm: monthly_churn, nps, ordinary (bool)
    market: dict[str, float]  # silent_per_complaint, escalation_share
    stays: pd.DataFrame  # index (major, path): problems, stayed

    def values(self) -> dict[str, float]:
        """The value of every target for this run."""
        return summarize([self])


def _ordinary(firm: Any) -> bool:
    programs = [getattr(firm.programs, name) for name in type(firm.programs).model_fields]
    return firm.cco is None and firm.champions is None and all(p is None for p in programs)


def measure(model: CXModel, steps: int | None = None) -> Measures:
    """Run ``model`` for ``steps`` weeks (the scenario's by default) and measure it.

    Stay rates follow every problem of the first ``steps − STAY_WEEKS`` weeks for a year: the
    customer stayed if it is still in the same spell at the same firm ``STAY_WEEKS`` later.
    """
    steps = model.scenario.steps if steps is None else steps
    n_paths = len(OUTCOME_PATHS)
    problems = np.zeros((2, n_paths))
    stayed = np.zeros((2, n_paths))
    queue: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    c = model.customers
    for _ in range(steps):
        model.step()
        k, wk = model.steps, model.week
        if k + STAY_WEEKS <= steps:
            p = wk.problems
            who = wk.who[p]
            cell = wk.major.astype(int) * n_paths + wk.path
            queue.append((k, who, wk.firm[p], cell))
        if queue and queue[0][0] + STAY_WEEKS == k:
            k0, who, firm, cell = queue.pop(0)
            kept = (c.firm[who] == firm) & (c.start_step[who] < k0)
            problems += np.bincount(cell, minlength=2 * n_paths).reshape(2, n_paths)
            stayed += np.bincount(cell, kept, 2 * n_paths).reshape(2, n_paths)
    ts = model.timeseries()
    by_firm = ts.groupby("firm", sort=False)
    firms = pd.DataFrame(
        {
            "monthly_churn": monthly(by_firm["churn_rate_weekly"].mean()),
            "nps": by_firm["nps"].mean(),
            "ordinary": [_ordinary(f) for f in model.scenario.firms],
        }
    )
    complaints = ts["complaints"].sum()
    market = {
        "silent_per_complaint": ts["silent_problems"].sum() / max(complaints, 1),
        "escalation_share": ts["escalations"].sum() / max(complaints, 1),
    }
    index = pd.MultiIndex.from_product([[False, True], OUTCOME_PATHS], names=["major", "path"])
    stays = pd.DataFrame({"problems": problems.ravel(), "stayed": stayed.ravel()}, index=index)
    return Measures(firms, market, stays)


def stay_rates(stays: pd.DataFrame) -> pd.DataFrame:
    """Stay rate and its standard error by (major, path) from pooled counts."""
    n = stays["problems"].to_numpy()
    rate = np.divide(stays["stayed"].to_numpy(), n, out=np.full(len(n), np.nan), where=n > 0)
    se = np.sqrt(rate * (1 - rate) / np.maximum(n, 1))
    return pd.DataFrame({"rate": rate, "se": se, "problems": n}, index=stays.index)


def stay_rate_order(rates: pd.DataFrame) -> bool:
    """Whether stay rates fall along ``OUTCOME_PATHS`` for minor and for major problems: each
    no more than two standard errors above the one before it."""
    for major in (False, True):
        r = rates.loc[major].reindex(list(OUTCOME_PATHS))
        for a, b in itertools.pairwise(OUTCOME_PATHS):
            if not r.loc[b, "rate"] <= r.loc[a, "rate"] + 2 * np.hypot(
                r.loc[a, "se"], r.loc[b, "se"]
            ):
                return False
    return True


def summarize(runs: list[Measures]) -> dict[str, float]:
    """The value of every target over ``runs`` (replicates and scenarios pooled)."""
    firms = pd.concat([r.firms for r in runs])
    market = pd.DataFrame([r.market for r in runs])
    stays = sum((r.stays for r in runs[1:]), runs[0].stays.copy())
    rates = stay_rates(stays)
    major = rates.loc[True, "rate"]
    churn = firms["monthly_churn"]
    ordinary = firms.loc[firms["ordinary"], "nps"]
    return {
        "monthly_churn_min": float(churn.min()),
        "monthly_churn_max": float(churn.max()),
        "nps_ordinary_min": float(ordinary.min()) if len(ordinary) else float("nan"),
        "nps_ordinary_max": float(ordinary.max()) if len(ordinary) else float("nan"),
        "nps_best": float(firms["nps"].max()),
        "silent_per_complaint": float(market["silent_per_complaint"].mean()),
        "escalation_share": float(market["escalation_share"].mean()),
        "stay_spread_major": float(major["resolved_quickly"] - major["did_not_complain"]),
        "stay_order": float(stay_rate_order(rates)),
    }


def met(values: Mapping[str, float]) -> dict[str, bool]:
    """Whether each target is met by ``values`` (from :func:`summarize`)."""
    out = {}
    for t in TARGETS:
        keys = t.keys(values)
        out[t.name] = all(t.met(values[k]) for k in keys) if keys else False
    return out


def run_measured(spec: RunSpec) -> RunResult:
    """The runner's ``run`` for calibration: one run measured (:func:`measure`), its per-firm
    measures as ``metrics`` and its problem stay counts as ``timeseries`` (both labelled), so
    that the results folder, resume and workers are the project's (``runner.run_plan``)."""
    start = time.perf_counter()
    try:
        scenario = Scenario.model_validate(spec.scenario)
        model = CXModel(scenario, rng=np.random.default_rng(spec.seed_sequence()))
        m = measure(model)
        firms = m.firms.reset_index(names="firm")
        for key, value in m.market.items():
            firms[key] = value
        stays = m.stays.reset_index()
        return RunResult(
            spec,
            "ok",
            time.perf_counter() - start,
            timeseries=label_rows(stays, spec),
            metrics=label_rows(firms, spec),
        )
    except Exception as exc:  # recorded as a failed run, like runner.run_one
        return failed_result(spec, start, exc)


def measures_of(metrics: pd.DataFrame, stays: pd.DataFrame) -> Measures:
    """A :class:`Measures` back from the tables :func:`run_measured` wrote (one run or many)."""
    firms = metrics.set_index("firm")[["monthly_churn", "nps", "ordinary"]]
    market = {k: float(metrics[k].mean()) for k in ("silent_per_complaint", "escalation_share")}
    pooled = stays.groupby(["major", "path"], sort=False)[["problems", "stayed"]].sum()
    index = pd.MultiIndex.from_product([[False, True], OUTCOME_PATHS], names=["major", "path"])
    return Measures(firms, market, pooled.reindex(index))
