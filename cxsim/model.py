"""CXModel: leadership commitment cascades through organizations, shapes every customer
interaction, and so shapes churn. ``step()`` reads as the process list of ODD.md §3."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import rules
from .customers import Customers, SpellLog
from .firm import PROGRAMS, Strategies
from .organization import Level, StaffMember, build_organization
from .scenario import Scenario, load_scenario

__all__ = ["COLUMNS", "CXModel"]

#: the weekly reporter columns, one row per step and firm (ODD.md §4, observation)
COLUMNS = [
    "step",
    "firm",
    "customers",
    "acquired",
    "churned",
    "churn_rate",
    "market_share",
    "satisfaction",
    "nps",
    "expectation",
    "interactions",
    "problems",
    "complaints",
    "silent_problems",
    "escalations",
    "recoveries",
    "culture_leaders",
    "culture_managers",
    "culture_frontline",
    "empowerment",
    "quality",
    "visible_quality",
    "invisible_quality",
    "design",
    "skill",
    "revenue",
    "cx_spend",
    "profit",
]

_JOURNEY, _TRAINING, _HIRING, _TOOLS = range(len(PROGRAMS))


@dataclass
class Week:
    """What happened to the interacting customers this week (indices into customer arrays)."""

    who: np.ndarray
    firm: np.ndarray
    touchpoint: np.ndarray
    staff: np.ndarray
    visible: np.ndarray
    invisible: np.ndarray
    quality: np.ndarray
    problem: np.ndarray  # bool per interaction
    complained: np.ndarray  # bool per interaction
    resolved: np.ndarray  # bool per interaction
    outcome: np.ndarray  # outcome level of each problem, in the order of problem.nonzero()


class CXModel(mesa.Model):
    """A market of firms whose staff are Mesa agents and whose customers are arrays.

    Args:
        scenario: a ``Scenario``, a path to a YAML scenario file, or a dict.
        rng: seed or ``numpy.random.Generator``; the only source of randomness.
    """

    def __init__(self, scenario: Scenario | str | Path | dict[str, Any], rng: Any = None) -> None:
        super().__init__(rng=rng)
        self.scenario = load_scenario(scenario)
        sc, m = self.scenario, self.scenario.market
        self.firm_names = [f.name for f in sc.firms]
        n_f = len(sc.firms)

        self.organization = org = build_organization(sc.firms, self.rng)
        for i in range(org.size):
            StaffMember(self, i)
        self._front_start = np.array([f[0] for f in org.frontline_of])
        self._front_count = np.array([len(f) for f in org.frontline_of])
        self._leaders = (Level.CEO, Level.CCO, Level.EXECUTIVE)
        # per-member hiring parameters (what a replacement hire looks like)
        culture0 = np.array([f.organization.initial_culture for f in sc.firms])
        self._hire_base = culture0[org.firm]
        self._hire_spread = np.array([f.organization.initial_culture_spread for f in sc.firms])[
            org.firm
        ]
        self._skill0 = np.array([f.organization.initial_skill for f in sc.firms])[org.firm]
        champ = [f.champions.commitment if f.champions else 0.0 for f in sc.firms]
        self._champion_anchor = np.array(champ)[org.firm]
        self._frontline = org.level == Level.FRONTLINE
        self._policy = np.array([f.empowerment for f in sc.firms])
        self._brand = np.array(
            [np.nan if f.brand_promise is None else f.brand_promise for f in sc.firms]
        )

        self.customers = Customers.create(
            m.customers,
            np.array([f.initial_share for f in sc.firms]),
            m.satisfaction_neutral,
            m.initial_expectation,
            m.expectation_spread,
            self.rng,
        )
        self.spells = SpellLog()
        self.strategies = Strategies(sc, self.rng)
        traffic = np.array([t.traffic for t in m.touchpoints])
        self._traffic_cdf = np.cumsum(traffic / traffic.sum())
        self._base_churn = float(rules.per_week(m.base_churn_per_month, 52.0 / 12.0))
        self._n_firms = n_f
        self._counts = np.bincount(self.customers.firm, minlength=n_f)
        # kept up to date for the customers whose satisfaction or firm changes, so the weekly
        # churn step needs no full pass of exp() and no full NPS histogram
        self._answers = self._answer_histogram(self.customers.firm, self.customers.satisfaction)
        self._churn_term = self._satisfaction_hazard(self.customers.satisfaction)
        self.best_in_market: float | None = None
        self.week: Week | None = None  # the last week's interactions, for inspection
        self.datacollector = mesa.DataCollector(tables={"firms": COLUMNS})

    # ------------------------------------------------------------------ schedule

    def step(self) -> None:
        """One week, in the order of ODD.md §3."""
        week = self.steps - 1
        intensity, spend = self.strategies.programs_at(week)  # 1 strategy (copier sees a lag)
        self._turnover(intensity[:, _HIRING])  # 2 staff leave; hires follow the hiring profile
        self._train(intensity[:, _TRAINING])  # 3 training: skill, and a nudge x manager
        self._cascade()  # 4 culture: relaxed Friedkin–Johnsen step
        empowerment, invisible, capability = self._capabilities(intensity[:, _TOOLS])  # 5
        wk = self._interact(invisible)  # 6 customers meet frontline staff at touchpoints
        self._problems(wk, capability)  # 7 problems, complaint funnel, service recovery
        self._update_customers(wk, week)  # 8 satisfaction, expectations, era drift
        self._listen_and_redesign(wk, intensity[:, _JOURNEY], week)  # 9 voice of customer
        flows = self._churn()  # 10 word of mouth and churn to rivals
        self.week = wk
        self._record(wk, flows, empowerment, spend)  # 11 finance and reporters

    def run(self, steps: int | None = None) -> CXModel:
        """Run ``steps`` weeks (default: the scenario's ``steps``); returns self for chaining."""
        for _ in range(self.scenario.steps if steps is None else steps):
            self.step()
        return self

    # ------------------------------------------------------------------ submodels

    def _turnover(self, hiring: np.ndarray) -> None:
        org, m = self.organization, self.scenario.market
        leave = self.rng.random(org.size) < org.turnover_weekly
        idx = np.flatnonzero(leave)
        org.tenure_weeks += 1
        if idx.size == 0:
            return
        f = org.firm[idx]
        base = self._hire_base[idx]
        mean = base + hiring[f] * m.hiring_profile_effect * (1.0 - base)
        drawn = np.clip(self.rng.normal(mean, self._hire_spread[idx]), 0.0, 1.0)
        drawn = np.where(org.champion[idx], self._champion_anchor[idx], drawn)
        org.anchor[idx] = drawn
        org.commitment[idx] = drawn
        org.skill[idx] = self._skill0[idx]
        org.tenure_weeks[idx] = 0

    def _train(self, training: np.ndarray) -> None:
        org, m = self.organization, self.scenario.market
        t = np.where(self._frontline, training[org.firm], 0.0)
        target = self._skill0 + t * (1.0 - self._skill0)
        org.skill += np.where(t > 0, m.training_rate * (target - org.skill), 0.0)
        boss = np.maximum(org.boss, 0)
        nudge = m.training_culture_effect * t * org.commitment[boss]
        org.anchor += nudge * (1.0 - org.anchor)

    def _cascade(self) -> None:
        org = self.organization
        org.commitment = rules.fj_step(
            org.commitment,
            org.anchor,
            org.influence,  # W x in factored form: peer ties are never built
            org.susceptibility,
            self.scenario.market.culture_change_rate,
        )

    def _capabilities(self, tools: np.ndarray) -> tuple[np.ndarray, ...]:
        org = self.organization
        boss = np.maximum(org.boss, 0)
        empowerment = rules.frontline_empowerment(self._policy[org.firm], org.commitment[boss])
        invisible = rules.invisible_quality(org.commitment, empowerment)
        capability = rules.recovery_capability(empowerment, tools[org.firm])
        return empowerment, invisible, capability

    def _era(self, week: int) -> tuple[float, float]:
        """(visible weight, weekly expectation drift) in force this week."""
        m = self.scenario.market
        weight, drift = m.visible_weight, 0.0
        for era in m.eras:
            if era.start_week <= week:
                drift = era.expectation_drift_per_year / 52.0
                if era.visible_weight is not None:
                    weight = era.visible_weight
        return weight, drift

    def _interact(self, invisible: np.ndarray) -> Week:
        m, c, rng = self.scenario.market, self.customers, self.rng
        who = np.flatnonzero(rng.random(c.size) < m.interactions_per_week)
        f = c.firm[who]
        u = rng.random(who.size)
        tp = np.zeros(who.size, dtype=np.int64)
        for edge in self._traffic_cdf[:-1]:  # K touchpoints, not customers: a handful of passes
            tp += u >= edge
        staff = self._front_start[f] + (rng.random(who.size) * self._front_count[f]).astype(int)
        weight, _ = self._era(self.steps - 1)
        visible = rules.visible_quality(
            self.strategies.design[f, tp], self.organization.skill[staff]
        )
        inv = invisible[staff]
        noise = rng.normal(0.0, m.quality_noise, who.size) if m.quality_noise > 0 else 0.0
        quality = rules.interaction_quality(visible, inv, weight, noise)
        none = np.zeros(who.size, dtype=bool)
        empty = np.zeros(0)
        return Week(who, f, tp, staff, visible, inv, quality, none, none.copy(), none.copy(), empty)

    def _problems(self, wk: Week, capability: np.ndarray) -> None:
        m, rng = self.scenario.market, self.rng
        wk.problem = rng.random(wk.who.size) < rules.problem_probability(wk.quality, m.problem_rate)
        p = np.flatnonzero(wk.problem)  # the funnel runs on the few interactions that failed
        u = rng.random((4, p.size))
        major = u[0] < m.major_problem_share
        complained = u[1] < rules.complaint_probability(
            major, m.complaint_rate_major, m.complaint_rate_minor
        )
        cap = capability[wk.staff[p]]
        resolved = complained & (
            u[2] < rules.recovery_probability(cap, m.recovery_base, m.recovery_max)
        )
        quick = resolved & (u[3] < cap)
        wk.outcome = rules.problem_outcome(
            major,
            complained,
            resolved,
            quick,
            tuple(m.outcome_minor.model_dump().values()),
            tuple(m.outcome_major.model_dump().values()),
            cap=np.where(self.customers.recovered_before[wk.who[p]], m.satisfaction_neutral, 1.0),
        )
        wk.complained[p] = complained
        wk.resolved[p] = resolved

    def _update_customers(self, wk: Week, week: int) -> None:
        m, c = self.scenario.market, self.customers
        s = c.satisfaction[wk.who]
        e = c.expectation[wk.who]
        felt = rules.disconfirmation_satisfaction(
            wk.quality, e, m.satisfaction_neutral, m.delight_gain, m.shortfall_loss
        )
        s_new = rules.adapt(s, felt, m.satisfaction_adaptation)
        p = wk.problem
        s_new[p] = rules.adapt(s[p], wk.outcome, m.problem_salience)
        c.satisfaction[wk.who] = s_new
        self._moved(wk.who, wk.firm, s, s_new)
        c.recovered_before[wk.who[wk.resolved]] = True
        best = self.best_in_market
        if best is None:
            best = float(wk.quality.mean()) if wk.quality.size else 0.0
        target = rules.expectation_target(
            wk.quality, best, self._brand[wk.firm], m.best_in_market_weight, m.brand_weight
        )
        c.expectation[wk.who] = rules.adapt(e, target, m.expectation_adaptation)
        _, drift = self._era(week)
        if drift:
            c.expectation += drift
            np.clip(c.expectation, 0.0, 1.0, out=c.expectation)
        sums = np.bincount(wk.firm, weights=wk.quality, minlength=self._n_firms)
        counts = np.bincount(wk.firm, minlength=self._n_firms)
        means = sums[counts > 0] / counts[counts > 0]
        self.best_in_market = float(means.max()) if means.size else best

    def _listen_and_redesign(self, wk: Week, journey: np.ndarray, week: int) -> None:
        m = self.scenario.market
        n_k = len(m.touchpoints)
        key = wk.firm * n_k + wk.touchpoint
        size = self._n_firms * n_k
        complaints = np.bincount(key[wk.complained], minlength=size)
        silent = np.bincount(key[wk.problem & ~wk.complained], minlength=size)
        survey = np.array([f.survey_rate for f in self.scenario.firms])
        found = self.rng.binomial(silent.reshape(-1, n_k), survey[:, None])
        self.strategies.listen(complaints.reshape(-1, n_k) + found, m.voice_of_customer_memory)
        aim = self.strategies.aim(week)
        self.strategies.redesign(journey, aim, m.design_improvement_rate)

    def _answer_histogram(self, firm: np.ndarray, satisfaction: np.ndarray) -> np.ndarray:
        """Each firm's histogram of 0–10 likelihood-to-recommend answers ``(F, 11)``."""
        keys = firm * 11 + rules.nps_score(satisfaction)
        return np.bincount(keys, minlength=11 * self._n_firms).reshape(self._n_firms, 11)

    def _satisfaction_hazard(self, satisfaction: np.ndarray) -> np.ndarray:
        """The satisfaction part of the churn intensity, ``h0 e^{κ(n − s)}``."""
        m = self.scenario.market
        return rules.churn_intensity(
            satisfaction, self._base_churn, m.churn_sensitivity, m.satisfaction_neutral, 0.0
        )

    def _moved(
        self, who: np.ndarray, firm_was: np.ndarray, s_was: np.ndarray, s_now: np.ndarray
    ) -> None:
        """Update the cached answers and churn terms of customers whose state changed."""
        c = self.customers
        self._answers += self._answer_histogram(c.firm[who], s_now)
        self._answers -= self._answer_histogram(firm_was, s_was)
        self._churn_term[who] = self._satisfaction_hazard(s_now)

    def _churn(self) -> dict[str, np.ndarray]:
        m, c, rng, n_f = self.scenario.market, self.customers, self.rng, self._n_firms
        before = self._counts
        promoters = self._answers[:, 9:].sum(axis=1)
        detractors = self._answers[:, :7].sum(axis=1)
        pos, neg = rules.word_of_mouth(
            promoters, detractors, c.size, m.word_of_mouth_reach, m.detractor_reach_ratio
        )
        pull = m.word_of_mouth_effect * (neg + (pos.sum() - pos))  # heard by a customer of f
        # the churn intensity of rules.churn_intensity, from the cached satisfaction terms
        intensity = (1.0 - m.switching_cost) * (self._churn_term + pull[c.firm])
        # each customer spends an Exp(1) budget of cumulative intensity and leaves when it runs
        # out: P(leave this week | stayed so far) = 1 − e^(−λ), the churn hazard, exactly
        c.churn_budget -= intensity
        leaving = np.flatnonzero(c.churn_budget < 0.0)
        old = c.firm[leaving]
        new = np.empty_like(old)
        attraction = before / c.size + promoters / c.size  # presence plus good word of mouth
        for f in range(n_f):
            sel = np.flatnonzero(old == f)
            if sel.size == 0:
                continue
            w = attraction.copy()
            w[f] = 0.0
            if w.sum() <= 0:
                w = np.ones(n_f)
                w[f] = 0.0
            new[sel] = rng.choice(n_f, size=sel.size, p=w / w.sum())
        step = self.steps
        self.spells.close(leaving, old, c.start_step[leaving], step)
        s_was = c.satisfaction[leaving]
        c.firm[leaving] = new
        c.start_step[leaving] = step
        c.satisfaction[leaving] = m.satisfaction_neutral
        c.recovered_before[leaving] = False
        c.churn_budget[leaving] = rng.standard_exponential(leaving.size)
        self._moved(leaving, old, s_was, c.satisfaction[leaving])
        churned = np.bincount(old, minlength=n_f)
        acquired = np.bincount(new, minlength=n_f)
        self._counts = before - churned + acquired
        return {
            "before": before,
            "churned": churned,
            "acquired": acquired,
            "promoters": promoters,
            "detractors": detractors,
        }

    # ------------------------------------------------------------------ observation

    def _record(
        self, wk: Week, flows: dict[str, np.ndarray], empowerment: np.ndarray, spend: np.ndarray
    ) -> None:
        m, c, org, n_f = self.scenario.market, self.customers, self.organization, self._n_firms
        count = self._counts
        n_int = np.bincount(wk.firm, minlength=n_f)
        n_front = self._front_count

        def by_firm(mask: np.ndarray) -> np.ndarray:
            return np.bincount(wk.firm[mask], minlength=n_f)

        def mean_by_firm(values: np.ndarray, firm: np.ndarray, k: np.ndarray) -> np.ndarray:
            total = np.bincount(firm, weights=values, minlength=n_f)
            return np.divide(total, k, out=np.full(n_f, np.nan), where=k > 0)

        problems = by_firm(wk.problem)
        complaints = by_firm(wk.complained)
        before = flows["before"]
        scored = flows["promoters"], flows["detractors"]
        nps = np.divide(
            100.0 * (scored[0] - scored[1]), before, out=np.full(n_f, np.nan), where=before > 0
        )
        rng_esc = self.rng.binomial(complaints.astype(np.int64), m.escalation_rate)
        front = self._frontline
        design_mean = (
            self.strategies.design
            * (self._traffic_cdf - np.concatenate([[0.0], self._traffic_cdf[:-1]]))
        ).sum(axis=1)
        cx_spend = spend.sum(axis=1) + complaints * m.recovery_cost
        cx_spend += np.array(
            [f.champions.budget_per_week if f.champions else 0.0 for f in self.scenario.firms]
        )
        revenue = before * m.revenue_per_customer_week
        profit = revenue - before * m.cost_to_serve_week - cx_spend
        cols = {
            "customers": count,
            "acquired": flows["acquired"],
            "churned": flows["churned"],
            "churn_rate": np.divide(flows["churned"], before, out=np.zeros(n_f), where=before > 0),
            "market_share": count / c.size,
            "satisfaction": mean_by_firm(c.satisfaction, c.firm, count),
            "nps": nps,
            "expectation": mean_by_firm(c.expectation, c.firm, count),
            "interactions": n_int,
            "problems": problems,
            "complaints": complaints,
            "silent_problems": problems - complaints,
            "escalations": rng_esc,
            "recoveries": by_firm(wk.resolved),
            "culture_leaders": [org.mean_by(org.commitment, f, self._leaders) for f in range(n_f)],
            "culture_managers": [
                org.mean_by(org.commitment, f, (Level.MANAGER,)) for f in range(n_f)
            ],
            "culture_frontline": mean_by_firm(org.commitment[front], org.firm[front], n_front),
            "empowerment": mean_by_firm(empowerment[front], org.firm[front], n_front),
            "quality": mean_by_firm(wk.quality, wk.firm, n_int),
            "visible_quality": mean_by_firm(wk.visible, wk.firm, n_int),
            "invisible_quality": mean_by_firm(wk.invisible, wk.firm, n_int),
            "design": design_mean,
            "skill": mean_by_firm(org.skill[front], org.firm[front], n_front),
            "revenue": revenue,
            "cx_spend": cx_spend,
            "profit": profit,
        }
        for f, name in enumerate(self.firm_names):
            row = {"step": self.steps, "firm": name}
            row.update({k: _scalar(v[f]) for k, v in cols.items()})
            self.datacollector.add_table_row("firms", row)

    def timeseries(self) -> pd.DataFrame:
        """One row per step and firm with the reporter columns (see ``COLUMNS``)."""
        df = self.datacollector.get_table_dataframe("firms")
        if df.empty:
            return pd.DataFrame(columns=COLUMNS)
        int_cols = [
            "step",
            "customers",
            "acquired",
            "churned",
            "interactions",
            "problems",
            "complaints",
            "silent_problems",
            "escalations",
            "recoveries",
        ]
        return df.astype(dict.fromkeys(int_cols, "int64"))[COLUMNS]

    def customer_spells(self) -> pd.DataFrame:
        """One row per customer spell at a firm: ``customer, firm, start_step, end_step,
        churned`` (``end_step`` is missing while the customer is still there)."""
        return self.spells.frame(self.customers, self.firm_names)


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
