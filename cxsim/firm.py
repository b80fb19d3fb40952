"""Each firm's parameters as arrays, and its strategy over time: which visible programs run,
where they are aimed, what they cost.

The copier of the invisible war lives here: it sees only what a rival's customers and the press
could see (which programs run, how hard, and which touchpoints were redesigned), and only after
a lag. It never sees the rival's culture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import Firm, Program, Programs, Scenario

__all__ = ["PROGRAMS", "FirmParameters", "Strategies", "cco_authority"]

#: the visible programs, by the schema's names (and in its order: the last axis of the arrays)
PROGRAMS = tuple(Programs.model_fields)


def cco_authority(firm: Firm) -> float:
    """The CCO's effective authority ``authority x min(ceo_backing, ceo_commitment)`` (ODD §7.4).

    Backing carries only as far as the CEO's own commitment shows: a CEO who does not care
    cannot lend a CCO the weight of caring, however fully it "backs" the role (essay 001 #3;
    Schein 2010: staff read what leaders attend to, measure and reward). It scales all the CCO
    does: its share of the CEO's voice, the accountability it installs, the aim of the voice
    of the customer and the coordination of redesigns across silos. 0 for a firm without one.
    """
    if firm.cco is None:
        return 0.0
    return firm.cco.authority * min(firm.cco.ceo_backing, firm.leadership.ceo_commitment)


@dataclass(frozen=True, eq=False)
class FirmParameters:
    """Every per-firm parameter the model and the strategies use, one array over firms each
    (index = firm, in scenario order), read from the scenario once (:meth:`of`)."""

    initial_share: np.ndarray  # relative starting market share
    initial_culture: np.ndarray  # mean commitment of founders, and of hires before the profile
    initial_culture_spread: np.ndarray  # sd of a newcomer's commitment
    initial_skill: np.ndarray  # skill of founders and of every hire
    champion_commitment: np.ndarray  # a champion's own commitment (0: no champions)
    champion_budget: np.ndarray  # champions' project budget, $ a week (0: no champions)
    empowerment: np.ndarray  # the frontline empowerment policy
    cco_authority: np.ndarray  # the CCO's effective authority (0: no CCO), ``cco_authority``
    brand_promise: np.ndarray  # promised quality (NaN: no promise)
    voice_of_customer: np.ndarray  # share of the aim set by the customer signal, with the CCO's
    survey_rate: np.ndarray  # share of silent problems surveys pick up
    copies: np.ndarray  # int: the firm copied (-1: none)
    copy_lag: np.ndarray  # int: weeks before a copier sees a change (0: none)
    program_start: np.ndarray  # (F, P) first week a program runs (inf: never)
    program_intensity: np.ndarray  # (F, P) how much of it runs (0: never)
    program_cost: np.ndarray  # (F, P) $ a week while it runs (0: never)

    @classmethod
    def of(cls, scenario: Scenario) -> FirmParameters:
        """Gather the parameters of the scenario's firms."""
        firms = scenario.firms
        names = [f.name for f in firms]

        def each(read: Callable[[Firm], Any], dtype: type = float) -> np.ndarray:
            return np.array([read(f) for f in firms], dtype=dtype)

        def program(read: Callable[[Program | None], float]) -> np.ndarray:
            return each(lambda f: [read(getattr(f.programs, name)) for name in PROGRAMS])

        return cls(
            initial_share=each(lambda f: f.initial_share),
            initial_culture=each(lambda f: f.organization.initial_culture),
            initial_culture_spread=each(lambda f: f.organization.initial_culture_spread),
            initial_skill=each(lambda f: f.organization.initial_skill),
            champion_commitment=each(lambda f: f.champions.commitment if f.champions else 0.0),
            champion_budget=each(lambda f: f.champions.budget_per_week if f.champions else 0.0),
            empowerment=each(lambda f: f.empowerment_policy),
            cco_authority=each(cco_authority),
            brand_promise=each(lambda f: np.nan if f.brand_promise is None else f.brand_promise),
            voice_of_customer=each(
                lambda f: f.voice_of_customer + (1.0 - f.voice_of_customer) * cco_authority(f)
            ),
            survey_rate=each(lambda f: f.survey_rate),
            copies=each(lambda f: names.index(f.copies.firm) if f.copies else -1, np.int64),
            copy_lag=each(lambda f: f.copies.lag_weeks if f.copies else 0, np.int64),
            program_start=program(lambda p: np.inf if p is None else p.start_week),
            program_intensity=program(lambda p: 0.0 if p is None else p.intensity),
            program_cost=program(lambda p: 0.0 if p is None else p.cost_per_week),
        )

    @property
    def size(self) -> int:
        """Number of firms."""
        return len(self.initial_share)


class Strategies:
    """Program schedule, voice-of-customer aim and touchpoint design of every firm."""

    def __init__(
        self, params: FirmParameters, design: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Every firm starts from the market's touchpoint ``design`` ``(K,)``."""
        self.params = params
        n_f, n_k = params.size, len(design)
        self.design = np.tile(design, (n_f, 1)).astype(float)
        self.signal = np.zeros((n_f, n_k))
        # without customer signal, investment is aimed at random: one boardroom guess per firm
        self.random_aim = rng.dirichlet(np.ones(n_k), size=n_f)
        copier = params.copies >= 0
        self._lagged = np.flatnonzero(copier & (params.copy_lag > 0))
        self._same_week = np.flatnonzero(copier & (params.copy_lag == 0))
        self._aim_source = _same_week_sources(params.copies, copier & (params.copy_lag == 0))
        self._intensity: list[np.ndarray] = []  # week -> (F, P) intensity actually run
        self._cost: list[np.ndarray] = []  # week -> (F, P) spend
        self._aim: list[np.ndarray] = []  # week -> (F, K) journey-mapping aim

    def programs_at(self, week: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Intensity of each program this week by name (each ``(F,)``), and spend ``(F, P)``.

        A copier runs the maximum of its own programs and what its rival ran ``lag_weeks``
        earlier, at the same intensity and cost; before it has seen anything, it runs its own.
        With no lag it matches what its rival runs this week, including what the rival itself
        copies: otherwise a copier of a copier would copy nothing.
        """
        p = self.params
        running = p.program_start <= week
        intensity = np.where(running, p.program_intensity, 0.0)
        cost = np.where(running, p.program_cost, 0.0)
        for f in self._lagged:
            seen = week - p.copy_lag[f]
            if 0 <= seen < len(self._intensity):
                intensity[f] = np.maximum(intensity[f], self._intensity[seen][p.copies[f]])
                cost[f] = np.maximum(cost[f], self._cost[seen][p.copies[f]])
        # same-week copying, after the lagged copies it may pass on: each pass carries programs
        # one link down a chain of copiers, so as many passes as such copiers settle every chain
        # (and a ring of firms copying one another ends up running the maximum of the ring)
        for _ in range(len(self._same_week)):
            for f in self._same_week:
                intensity[f] = np.maximum(intensity[f], intensity[p.copies[f]])
                cost[f] = np.maximum(cost[f], cost[p.copies[f]])
        self._intensity.append(intensity)
        self._cost.append(cost)
        return dict(zip(PROGRAMS, intensity.T, strict=True)), cost

    def aim(self, week: int) -> np.ndarray:
        """Where each firm aims its journey-mapping effort ``(F, K)``, rows summing to 1.

        A listening firm aims where its customer signal says problems are; the rest of its aim
        is its fixed boardroom guess. A copier redesigns what its rival redesigned
        ``lag_weeks`` earlier; with no lag, where its rival aims this week, which for a rival
        that copies too is where that rival's own rival aims.
        """
        total = self.signal.sum(axis=1, keepdims=True)
        uniform = np.full_like(self.signal, 1.0 / self.signal.shape[1])
        share = np.divide(self.signal, total, out=uniform.copy(), where=total > 0)
        p = self.params
        voice = p.voice_of_customer[:, None]
        aim = voice * share + (1.0 - voice) * self.random_aim
        for f in self._lagged:
            seen = week - p.copy_lag[f]
            if 0 <= seen < len(self._aim):
                aim[f] = self._aim[seen][p.copies[f]]
        aim = aim[self._aim_source]
        self._aim.append(aim)
        return aim

    @property
    def intensity_history(self) -> np.ndarray:
        """Program intensity each firm ran, by week ``(weeks, F, P)``: what a copier observes."""
        return np.array(self._intensity)

    @property
    def aim_history(self) -> np.ndarray:
        """Where each firm aimed journey mapping, by week ``(weeks, F, K)``."""
        return np.array(self._aim)

    def listen(self, heard: np.ndarray, memory: float) -> None:
        """Update the customer signal ``(F, K)`` with this week's complaints and survey finds."""
        self.signal = memory * self.signal + heard

    def redesign(self, journey_intensity: np.ndarray, aim: np.ndarray, rate: float) -> None:
        """Journey mapping raises design where it is aimed, with diminishing returns."""
        n_k = self.design.shape[1]
        gain = rate * journey_intensity[:, None] * aim * n_k
        self.design += np.minimum(gain, 1.0) * (1.0 - self.design)


def _same_week_sources(copies: np.ndarray, same_week: np.ndarray) -> np.ndarray:
    """For each firm, the firm whose aim it takes this week: itself, unless it copies with no
    lag, then the end of its chain of same-week copying (its rival, or its rival's rival, ...).

    Firms in a ring that copy one another with no lag have no end to copy: they keep their own
    aim, and a copier that leads into the ring takes the aim of the firm where it enters it.
    """
    source = np.arange(len(copies))
    for f in np.flatnonzero(same_week):
        walked, r = set(), int(f)
        while same_week[r] and r not in walked:
            walked.add(r)
            r = int(copies[r])
        source[f] = r  # a firm that does not copy this week, or where the walk enters a ring
    return source
