"""CXModel: leadership commitment cascades through organizations, shapes every customer
interaction, and so shapes churn. ``step()`` reads as the process list of ODD.md §3.

(Just over 350 lines: the model's schedule is one class and reads top to bottom as ODD §3.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import kernels, outputs, rules
from .collector import Collector
from .customers import Customers, SpellLog
from .finance import weekly_finance
from .firm import FirmParameters, Strategies
from .organization import Level, Newcomers, StaffMember, build_organization
from .scenario import Scenario, load_scenario
from .schema import Market

__all__ = ["COLUMNS", "CXModel"]

#: the weekly reporter columns, one row per step and firm (declared in ``cxsim.outputs``)
COLUMNS = outputs.COLUMNS


#: the per-interaction arrays the interactions' pass writes, in its order: name, dtype
_INTERACTION_ARRAYS = (
    ("firm", np.int64),
    ("touchpoint", np.int64),
    ("staff", np.int64),
    ("visible", np.float64),
    ("invisible", np.float64),
    ("quality", np.float64),
)


@dataclass
class Week:
    """What happened to the interacting customers this week (indices into customer arrays).

    Its per-interaction arrays are views of work arrays the model keeps from week to week
    (fresh arrays of this size each week cost their page faults): valid until the next step,
    so copy what you keep longer.
    """

    who: np.ndarray
    firm: np.ndarray
    touchpoint: np.ndarray
    staff: np.ndarray
    visible: np.ndarray
    invisible: np.ndarray
    quality: np.ndarray
    problem: np.ndarray  # bool per interaction
    problems: np.ndarray  # the interactions with a problem (problem.nonzero()[0])
    complained: np.ndarray  # bool per interaction
    resolved: np.ndarray  # bool per interaction
    outcome: np.ndarray  # outcome level of each problem, in the order of problem.nonzero()
    major: np.ndarray  # bool: each problem cost the customer money (order of problem.nonzero())
    path: np.ndarray  # each problem's path, an index into rules.OUTCOME_PATHS (same order)
    defection: np.ndarray  # churn intensity each problem adds this week (same order)
    # per firm, counted or summed once by the step and read again by the reporters
    counts: np.ndarray | None = None  # interactions (by the interactions' pass)
    sums: np.ndarray | None = None  # their quality, visible, invisible parts (3, F) (same pass)
    problem_counts: np.ndarray | None = None  # problems (by the problem funnel)
    complaint_counts: np.ndarray | None = None  # complaints (by the problem funnel)
    resolved_counts: np.ndarray | None = None  # complaints resolved (by the problem funnel)


def _validated(scenario: Scenario | dict[str, Any]) -> Scenario:
    """A ``Scenario`` as it is, a dict validated in memory; a path is refused: no file I/O here."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return load_scenario(scenario)
    if isinstance(scenario, str | os.PathLike):
        raise TypeError(
            f"CXModel takes a Scenario or a dict, not a path ({scenario!r}): the model reads no "
            "files; load it first with cxsim.CXModel(cxsim.load_scenario(path))"
        )
    raise TypeError(f"CXModel takes a Scenario or a dict, not {type(scenario).__name__}")


class CXModel(mesa.Model):
    """A market of firms whose staff are Mesa agents and whose customers are arrays.

    Args:
        scenario: a ``Scenario``, or a dict validated as one. The model reads no files: load a
            YAML file with ``cxsim.load_scenario(path)``.
        rng: seed or ``numpy.random.Generator``; the source of all randomness.
        agent_interval: collect the staff agent reporters (firm, level, commitment) into
            ``datacollector`` every this many weeks from step 0; 0 (the default) never.

    Attributes:
        rng: the model's stream: every draw of the mechanisms, in a fixed order (ODD §3).
        observation_rng: a second generator, spawned from ``rng``'s seed sequence without
            drawing from ``rng`` (``outputs.observation_rng``), for draws that only observe
            the model (the ``escalations`` reporter): adding, removing or changing such a draw
            leaves every mechanism's draws, and so the history, as it was.
    """

    def __init__(
        self,
        scenario: Scenario | dict[str, Any],
        rng: Any = None,
        agent_interval: int = 0,
    ) -> None:
        super().__init__(rng=rng)
        self.observation_rng = outputs.observation_rng(self.rng)
        self.scenario = _validated(scenario)
        sc, m = self.scenario, self.scenario.market
        self.firm_names = [f.name for f in sc.firms]
        self._n_firms = len(sc.firms)
        #: every per-firm parameter, gathered once (index = firm)
        self.firm_params = params = FirmParameters.of(sc)

        self.organization = org = build_organization(sc.firms, params, self.rng)
        for i in range(org.size):
            StaffMember(self, i)
        self._front_start = np.array([f[0] for f in org.frontline_of])
        self._front_count = np.array([len(f) for f in org.frontline_of])
        self._frontline = org.level == Level.FRONTLINE
        self._front_staff = np.flatnonzero(self._frontline)  # seats are fixed: found once
        self._front_firm = org.firm[self._front_staff]
        self._executives = np.flatnonzero(org.level == Level.EXECUTIVE)  # seats: fixed
        self._exec_count = np.bincount(org.firm[self._executives], minlength=self._n_firms)

        design = np.array([t.design for t in m.touchpoints])
        traffic = np.array([t.traffic for t in m.touchpoints])
        self._traffic_cdf = cdf = np.cumsum(traffic / traffic.sum())
        self._traffic_share = cdf - np.concatenate([[0.0], cdf[:-1]])  # for the reporters
        self.customers = Customers.create(
            m, params.initial_share, self.rng, self._settled_expectation(design, traffic)
        )
        self.spells = SpellLog()
        self.strategies = Strategies(params, design, self.rng)
        self.best_in_market: float | None = None
        self.week: Week | None = None  # the last week's interactions, until the next step
        self._warm_up()
        self.datacollector = Collector(self.firm_names, agent_interval)
        self.datacollector.record(self, outputs.week_row(self._opening()))  # step 0

    # ------------------------------------------------------------------ before week 0

    def _settled_expectation(self, design: np.ndarray, traffic: np.ndarray) -> np.ndarray:
        """Each firm's expectation target at its starting quality (ODD §5): where its customers'
        expectations would settle if the firms stayed as built, ``rules.expectation_target`` of
        the mean visible and invisible quality its frontline delivers."""
        m, org = self.scenario.market, self.organization
        _, invisible, _ = self._capabilities(np.zeros(self._n_firms))
        front = self._frontline
        n_front = np.bincount(org.firm[front], minlength=self._n_firms)
        skill = np.bincount(org.firm[front], org.skill[front], self._n_firms) / n_front
        inv = np.bincount(org.firm[front], invisible[front], self._n_firms) / n_front
        visible = rules.visible_quality(design @ traffic / traffic.sum(), skill, m.skill_weight)
        quality = rules.interaction_quality(visible, inv, m.visible_weight)
        return rules.expectation_target(
            quality,
            float(quality.max()),
            self.firm_params.brand_promise,
            m.best_in_market_weight,
            m.brand_weight,
        )

    def _warm_up(self) -> None:
        """``market.warmup_weeks`` weeks before week 0 (ODD §3): the firms stay as built (no
        strategy, turnover, training or culture change yet) while their customers interact,
        meet problems, adapt and churn, so that week 0 starts from a settled market. Nothing
        is reported and no spell is logged; every customer's spell then counts from step 0."""
        m, c = self.scenario.market, self.customers
        if m.warmup_weeks == 0:
            return
        _, invisible, capability = self._capabilities(np.zeros(self._n_firms))
        for _ in range(m.warmup_weeks):
            wk = self._interact(invisible)
            self._problems(wk, capability)
            self._update_customers(wk, -1)
            self._churn(wk, log=False)
        c.start_step[:] = 0

    # ------------------------------------------------------------------ schedule

    def step(self) -> None:
        """One week, in the order of ODD.md §3."""
        week = self.steps - 1
        intensity, spend = self.strategies.programs_at(week)  # 1 strategy (copier sees a lag)
        self._turnover(intensity["hiring_profile"])  # 2 staff leave; hires follow the profile
        self._train(intensity["frontline_training"])  # 3 training: skill, a nudge x manager
        self._cascade()  # 4 culture: relaxed Friedkin–Johnsen step
        empowerment, invisible, capability = self._capabilities(intensity["service_tools"])  # 5
        wk = self._interact(invisible)  # 6 customers meet frontline staff at touchpoints
        self._problems(wk, capability)  # 7 problems, complaint funnel, service recovery
        self._update_customers(wk, week)  # 8 satisfaction, expectations, era drift
        self._listen_and_redesign(wk, intensity["journey_mapping"], week)  # 9 voice of customer
        flows = self._churn(wk)  # 10 word of mouth and churn to rivals
        self.week = wk
        self._record(wk, flows, empowerment, spend)  # 11 finance and reporters

    def run(self, steps: int | None = None) -> CXModel:
        """Run ``steps`` weeks (default: the scenario's ``steps``); returns self for chaining."""
        for _ in range(self.scenario.steps if steps is None else steps):
            self.step()
        return self

    # ------------------------------------------------------------------ submodels

    def _turnover(self, hiring: np.ndarray) -> None:
        org, m, p = self.organization, self.scenario.market, self.firm_params
        leave = self.rng.random(org.size) < org.turnover_weekly
        idx = np.flatnonzero(leave)
        org.tenure_weeks += 1
        if idx.size == 0:
            return
        f = org.firm[idx]
        base = p.initial_culture[f]
        mean = base + hiring[f] * m.hiring_profile_effect * (1.0 - base)
        drawn = np.clip(self.rng.normal(mean, p.initial_culture_spread[f]), 0.0, 1.0)
        # socialization: a hire's own view moves toward that of the peers it joins
        # (the prevailing view is the mean of the peers who stay; none stay: nothing to join)
        stay = ~leave
        n_groups = int(org.group.max()) + 1
        sums = np.bincount(org.group[stay], org.commitment[stay], n_groups)[org.group[idx]]
        size = np.bincount(org.group[stay], minlength=n_groups)[org.group[idx]]
        prevailing = np.divide(sums, size, out=drawn.copy(), where=size > 0)
        drawn = drawn + m.socialization * (prevailing - drawn)
        drawn = np.where(org.champion[idx], p.champion_commitment[f], drawn)
        org.hire(Newcomers(idx, f, drawn, p))

    def _train(self, training: np.ndarray) -> None:
        org, m = self.organization, self.scenario.market
        t = np.where(self._frontline, training[org.firm], 0.0)
        skill0 = self.firm_params.initial_skill[org.firm]
        boss = np.maximum(org.boss, 0)
        # what is trained transfers to the job as far as the supervisor supports it (Baldwin &
        # Ford 1988): the skill applied at work tends to the transferred level
        transfer = rules.supported(m.training_transfer_support, org.commitment[boss])
        target = skill0 + t * transfer * (1.0 - skill0)
        org.skill += np.where(t > 0, m.training_rate * (target - org.skill), 0.0)
        nudge = m.training_culture_effect * t * org.commitment[boss]
        org.anchor += nudge * (1.0 - org.anchor)

    def _cascade(self) -> None:
        org = self.organization
        org.commitment = rules.fj_step(
            org.commitment,
            org.anchor,
            org.influence,  # W x in factored form: peer ties are never built
            org.susceptibility,
            # accountability repeats the week's relaxation: η_i = 1 − (1 − η)^accountability
            1.0 - (1.0 - self.scenario.market.culture_change_rate) ** org.accountability,
        )

    def _capabilities(self, tools: np.ndarray) -> tuple[np.ndarray, ...]:
        org, m = self.organization, self.scenario.market
        boss = np.maximum(org.boss, 0)
        policy = self.firm_params.empowerment[org.firm]
        empowerment = rules.frontline_empowerment(
            policy, org.commitment[boss], m.manager_support_weight
        )
        invisible = rules.invisible_quality(org.commitment, empowerment, m.empowerment_weight)
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

    def release_work_arrays(self) -> None:
        """Free the work arrays kept from week to week (about 140 bytes per customer); a
        later step makes them again. For a finished run whose tables are still to be built."""
        self.__dict__.pop("_buffers", None)
        self.week = None  # its arrays are views of them

    def _buffer(self, name: str, n: int, dtype: type) -> np.ndarray:
        """A work array of ``n`` values kept from week to week, for the passes over every customer
        or interaction (a fresh array of a million values each week costs its page faults)."""
        buffers = self.__dict__.setdefault("_buffers", {})
        if name not in buffers or len(buffers[name]) != n:
            buffers[name] = np.empty(n, dtype=dtype)
        return buffers[name]

    def _interact(self, invisible: np.ndarray) -> Week:
        m, c, rng = self.scenario.market, self.customers, self.rng
        n = c.size
        draws = rng.random(out=self._buffer("draws", n, float))  # the same draws, in place
        who = kernels.below(draws, m.interactions_per_week, self._buffer("who", n, np.int64))
        k = who.size
        u = rng.random(out=self._buffer("u", n, float)[:k])  # the touchpoint
        r = rng.random(out=self._buffer("r", n, float)[:k])  # the frontline member met
        noise = self._buffer("noise", n, float)[:k]
        if m.quality_noise > 0:  # rng.normal(0.0, m.quality_noise, k): the same draws
            kernels.normal(rng, 0.0, m.quality_noise, noise)
        else:
            noise[:] = 0.0
        weight, _ = self._era(self.steps - 1)
        out = tuple(self._buffer(name, n, t)[:k] for name, t in _INTERACTION_ARRAYS)
        counts, sums = np.zeros(self._n_firms, np.int64), np.zeros((3, self._n_firms))
        kernels.interact(
            who,
            c.raw("firm"),
            u,
            r,
            noise,
            self._traffic_cdf,
            self._front_start,
            self._front_count,
            self.strategies.design,
            self.organization.skill,
            invisible,
            m.skill_weight,
            weight,
            out,
            counts,
            sums,
        )
        f, tp, staff, visible, inv, quality = out
        none, empty = np.zeros(k, dtype=bool), np.zeros(0)
        return Week(  # the problems' part is filled in by the problem funnel
            who,
            f,
            tp,
            staff,
            visible,
            inv,
            quality,
            problem=none,
            problems=empty.astype(np.int64),
            complained=none.copy(),
            resolved=none.copy(),
            outcome=empty,
            major=none[:0],
            path=empty.astype(np.int64),
            defection=empty,
            counts=counts,
            sums=sums,
        )

    def _outcome_levels(self, m: Market) -> tuple[dict[str, float], dict[str, float]]:
        """The outcome levels of minor and major problems, read once per market's rules (a
        live change may replace them)."""
        cached = self.__dict__.get("_levels")
        if cached is None or cached[0] is not m:
            cached = self._levels = (m, m.outcome_minor.model_dump(), m.outcome_major.model_dump())
        return cached[1], cached[2]

    def _problems(self, wk: Week, capability: np.ndarray) -> None:
        m, rng = self.scenario.market, self.rng
        n, k = self.customers.size, wk.who.size
        draws = rng.random(out=self._buffer("problem_draws", n, float)[:k])
        wk.problem = self._buffer("problem", n, bool)[:k]
        p = kernels.problems(
            draws, wk.quality, m.problem_rate, wk.problem, self._buffer("problems", n, np.int64)
        )
        wk.problems = p  # the funnel runs on the few interactions that failed
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
            *self._outcome_levels(m),
            cap=np.where(self.customers.recovered_before[wk.who[p]], m.satisfaction_neutral, 1.0),
        )
        wk.complained[p] = complained
        wk.resolved[p] = resolved
        firm = wk.firm[p]  # the funnel's counts per firm, over the few problems
        wk.problem_counts = np.bincount(firm, minlength=self._n_firms)
        wk.complaint_counts = np.bincount(firm[complained], minlength=self._n_firms)
        wk.resolved_counts = np.bincount(firm[resolved], minlength=self._n_firms)
        wk.major = major
        wk.path = rules.problem_path(complained, resolved, quick)
        wk.defection = rules.defection_intensity(wk.outcome, m.problem_defection)

    def _update_customers(self, wk: Week, week: int) -> None:
        m, c = self.scenario.market, self.customers
        best = self.best_in_market
        if best is None:
            best = float(wk.quality.mean()) if wk.quality.size else 0.0
        k = wk.who.size
        s_new = self._buffer("s_new", c.size, float)[:k]
        e_new = self._buffer("e_new", c.size, float)[:k]
        kernels.update(
            wk.who,
            wk.firm,
            wk.quality,
            wk.problem,
            wk.outcome,
            c.raw("satisfaction"),
            c.raw("expectation"),
            self.firm_params.brand_promise,
            best,
            m.satisfaction_neutral,
            m.delight_gain,
            m.shortfall_loss,
            m.satisfaction_adaptation,
            m.problem_salience,
            m.best_in_market_weight,
            m.brand_weight,
            m.expectation_adaptation,
            s_new,
            e_new,
        )
        c.recovered_before[wk.who[wk.resolved]] = True
        c.change(wk.who, satisfaction=s_new, expectation=e_new)
        _, drift = self._era(week)
        if drift:
            c.drift_expectations(drift)
        counts, sums = wk.counts, wk.sums[0]
        means = sums[counts > 0] / counts[counts > 0]
        self.best_in_market = float(means.max()) if means.size else best

    def _listen_and_redesign(self, wk: Week, journey: np.ndarray, week: int) -> None:
        m = self.scenario.market
        n_k = len(m.touchpoints)
        p = wk.problems  # complaints and silent problems are among the few problems
        key = wk.firm[p] * n_k + wk.touchpoint[p]
        size = self._n_firms * n_k
        complained = wk.complained[p]
        complaints = np.bincount(key[complained], minlength=size)
        silent = np.bincount(key[~complained], minlength=size)
        survey = self.firm_params.survey_rate[:, None]
        found = self.rng.binomial(silent.reshape(-1, n_k), survey)
        self.strategies.listen(complaints.reshape(-1, n_k) + found, m.voice_of_customer_memory)
        aim = self.strategies.aim(week)
        # redesigns are implemented as far as executives own the touchpoints; a CCO coordinates
        # across silos as far as its effective authority goes
        org = self.organization
        execs = self._executives
        own = np.bincount(org.firm[execs], org.commitment[execs], self._n_firms)
        own /= np.maximum(self._exec_count, 1)
        cco = self.firm_params.cco_authority
        implemented = rules.supported(m.redesign_ownership, own + (1.0 - own) * cco)
        self.strategies.redesign(journey * implemented, aim, m.design_improvement_rate)

    def _churn(self, wk: Week, log: bool = True) -> dict[str, np.ndarray]:
        m, c, rng, n_f = self.scenario.market, self.customers, self.rng, self._n_firms
        before = c.counts
        promoters = c.answers[:, 9:].sum(axis=1)
        detractors = c.answers[:, :7].sum(axis=1)
        pos, neg = rules.word_of_mouth(
            promoters, detractors, c.size, m.word_of_mouth_reach, m.detractor_reach_ratio
        )
        pull = m.word_of_mouth_effect * (neg + (pos.sum() - pos))  # heard by a customer of f
        # rules.churn_intensity from the customers' cached satisfaction hazards, plus, this
        # week, the intensity of acting on a problem's outcome; each customer spends an Exp(1)
        # budget of cumulative intensity and leaves when it runs out: P(leave this week |
        # stayed so far) = 1 − e^(−λ), the churn hazard, exactly (one compiled pass)
        found = self._buffer("leaving", c.size, np.int64)
        n_leaving = kernels.churn(
            c.raw("firm"),
            c.raw("hazard"),
            c.churn_budget,
            pull,
            m.switching_cost,
            wk.who[wk.problems],
            wk.defection,
            found,
        )
        leaving = found[:n_leaving].copy()
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
        if log:
            self.spells.close(leaving, old, c.start_step[leaving], step)
        c.start_spells(leaving, new, step, rng)
        churned = np.bincount(old, minlength=n_f)
        acquired = np.bincount(new, minlength=n_f)
        return {
            "before": before,
            "churned": churned,
            "acquired": acquired,
            "promoters": promoters,
            "detractors": detractors,
        }

    # ------------------------------------------------------------------ observation

    @property
    def _counts(self) -> np.ndarray:
        """Customers per firm now (the customers' own count, for the reporters)."""
        return self.customers.counts

    def _record(
        self, wk: Week, flows: dict[str, np.ndarray], empowerment: np.ndarray, spend: np.ndarray
    ) -> None:
        """Finance (ODD §7.11), then the weekly reporters of ``cxsim.outputs`` into Mesa's
        ``datacollector``, computed once for all firms, after the week's churn: stocks read the
        state now (the end of the week), flows what ``flows`` and ``wk`` say happened; revenue
        and cost to serve are earned by the customers served during the week, those at its
        start (``flows["before"]``)."""
        complaints = wk.complaint_counts
        money = weekly_finance(
            flows["before"],
            complaints,
            spend,
            self.firm_params.champion_budget,
            self.scenario.market,
        )
        ctx = outputs.Context(self, flows, empowerment, wk, complaints, money)
        self.datacollector.record(self, outputs.week_row(ctx))

    def _opening(self) -> outputs.Context:
        """The state before the first week, which the stock reporters see at step 0 (no flows
        yet: the stocks read the state itself, as at the end of every week)."""
        empowerment = self._capabilities(np.zeros(self._n_firms))[0]
        return outputs.Context(self, {}, empowerment)

    def _staff_at(self, levels: tuple[Level, ...]) -> list[np.ndarray]:
        """Each firm's staff at ``levels``, for the reporters (seats are fixed: found once)."""
        found = self.__dict__.setdefault("_staff_at_levels", {})
        if levels not in found:
            org = self.organization
            wanted = np.zeros(len(Level), dtype=bool)
            wanted[list(levels)] = True
            at = wanted[org.level]
            found[levels] = [np.flatnonzero(at & (org.firm == f)) for f in range(self._n_firms)]
        return found[levels]

    def timeseries(self) -> pd.DataFrame:
        """One row per step (from 1) and firm with the reporter columns (see ``COLUMNS``);
        ``datacollector.get_model_vars_dataframe()`` holds the same as ``"<column>@<firm>"``."""
        return self.datacollector.timeseries()

    def customer_spells(self) -> pd.DataFrame:
        """One row per customer spell at a firm: ``customer, firm, start_step, end_step,
        churned`` (``end_step`` is missing while the customer is still there)."""
        return self.spells.frame(self.customers, self.firm_names)

    # ------------------------------------------------------------------ live changes

    #: scenario keys fixed when the model is built: changing one needs a new model
    SET_AT_START = (
        "steps",
        "market.customers",
        "market.touchpoints",
        "market.warmup_weeks",
        "market.initial_expectation",
        "market.expectation_spread",
    )

    def apply_changes(self, overrides: dict[str, Any]) -> Scenario:
        """Change the running model's scenario from the next step on, and return the new one.

        For the classroom app, where a slider moves during a run: ``overrides`` are key paths
        as for ``cxsim run --set`` (``{"firms.0.leadership.ceo_commitment": 0.9}``). The firms'
        parameters and the market's weekly rules are replaced; every firm's seats (ties to the
        CEO and the CCO, the accountability it installs, champions' ties) are rebuilt from the
        model's starting random state (Mesa's ``_rng``), so the seats a change leaves alone keep
        the draws they had (the CCO's reached divisions, the champions); the people in the
        seats keep their state, except the CEO and the CCO, who take the new scenario's own
        commitment, and newly appointed champions, who take a champion's. The organization's
        shape, the CCO's seat, the copying relations and ``SET_AT_START`` cannot change in a
        running model (``ValueError``: build a new one). A model on which this is never called
        runs as before: it only acts when called.
        """
        import scipy.sparse as sp

        from .organization import SEAT
        from .scenario import apply_overrides

        fixed = [k for k in overrides if any(k.startswith(s) for s in self.SET_AT_START)]
        if fixed:
            raise ValueError(f"{', '.join(fixed)}: set when the model is built (start a new one)")
        new = apply_overrides(self.scenario, overrides)
        params = FirmParameters.of(new)
        old = self.firm_params
        if [f.name for f in new.firms] != self.firm_names or not (
            np.array_equal(params.copies, old.copies)
            and np.array_equal(params.copy_lag > 0, old.copy_lag > 0)
        ):
            raise ValueError("the firms and who copies whom are set when the model is built")
        org = self.organization
        # firm f's seats are rebuilt as they were drawn: from the starting state, after the
        # firms before it as they were built, so a change to one firm moves no other's draws
        as_built = self.__dict__.setdefault("_firms_as_built", list(self.scenario.firms))
        parts = []
        for f in range(self._n_firms):
            firms = [*as_built[:f], *new.firms[f:]]
            mixed = new.model_copy(update={"firms": firms})
            replay = np.random.default_rng()
            start = getattr(self, "_rng", None)  # Mesa keeps the generator's starting state
            if isinstance(start, dict):
                replay.bit_generator.state = start
            built = build_organization(firms, FirmParameters.of(mixed), replay)
            if not (
                np.array_equal(built.level, org.level)
                and np.array_equal(built.firm, org.firm)
                and np.array_equal(built.group, org.group)
            ):
                raise ValueError("the organization's shape and its CCO are set when it is built")
            parts.append(built)
        mine = [built.firm == f for f, built in enumerate(parts)]

        def pick(name: str) -> np.ndarray:
            out = getattr(parts[0], name).copy()
            for m, built in zip(mine, parts, strict=True):
                out[m] = getattr(built, name)[m]
            return out

        appointed = pick("champion") & ~org.champion
        for var in SEAT:
            setattr(org, var.name, pick(var.name).astype(var.dtype))
        blocks = [np.flatnonzero(m) for m in mine]  # each firm's seats are one run of ids
        org.ties = sp.vstack(
            [built.ties[b[0] : b[-1] + 1] for built, b in zip(parts, blocks, strict=True)],
            format="csr",
        )
        commitment = pick("commitment")
        top = (org.level == Level.CEO) | (org.level == Level.CCO)
        for who in (top, appointed):
            org.anchor[who] = commitment[who]
            org.commitment[who] = commitment[who]
        self.scenario = new
        self.firm_params = self.strategies.params = params
        return new
