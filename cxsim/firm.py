"""A firm's strategy over time: which visible programs run, where they are aimed, what they cost.

The copier of the invisible war lives here: it sees only what a rival's customers and the press
could see (which programs run, how hard, and which touchpoints were redesigned), and only after
a lag. It never sees the rival's culture.
"""

from __future__ import annotations

import numpy as np

from .scenario import Scenario

__all__ = ["PROGRAMS", "Strategies"]

PROGRAMS = ("journey_mapping", "frontline_training", "hiring_profile", "service_tools")


class Strategies:
    """Program schedule, voice-of-customer aim and touchpoint design of every firm."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.scenario = scenario
        firms = scenario.firms
        m = scenario.market
        n_f, n_k = len(firms), len(m.touchpoints)
        self.design = np.tile([t.design for t in m.touchpoints], (n_f, 1)).astype(float)
        self.signal = np.zeros((n_f, n_k))
        # without customer signal, investment is aimed at random: one boardroom guess per firm
        self.random_aim = rng.dirichlet(np.ones(n_k), size=n_f)
        self.voice = np.array([f.voice_of_customer for f in firms])
        self.copies = np.array(
            [scenario.firm_index(f.copies.firm) if f.copies else -1 for f in firms]
        )
        self.lag = np.array([f.copies.lag_weeks if f.copies else 0 for f in firms])
        copier = self.copies >= 0
        self._lagged = np.flatnonzero(copier & (self.lag > 0))
        self._same_week = np.flatnonzero(copier & (self.lag == 0))
        self._aim_source = _same_week_sources(self.copies, copier & (self.lag == 0))
        self._intensity: list[np.ndarray] = []  # week -> (F, P) intensity actually run
        self._cost: list[np.ndarray] = []  # week -> (F, P) spend
        self._aim: list[np.ndarray] = []  # week -> (F, K) journey-mapping aim
        own = np.zeros((n_f, len(PROGRAMS), 3))  # start, intensity, cost
        own[:, :, 0] = np.inf
        for i, f in enumerate(firms):
            for p, name in enumerate(PROGRAMS):
                prog = getattr(f.programs, name)
                if prog is not None:
                    own[i, p] = (prog.start_week, prog.intensity, prog.cost_per_week)
        self._own = own

    def programs_at(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Intensity and spend ``(F, P)`` of each program this week.

        A copier runs the maximum of its own programs and what its rival ran ``lag_weeks``
        earlier, at the same intensity and cost; before it has seen anything, it runs its own.
        With no lag it matches what its rival runs this week, including what the rival itself
        copies: otherwise a copier of a copier would copy nothing.
        """
        running = self._own[:, :, 0] <= week
        intensity = np.where(running, self._own[:, :, 1], 0.0)
        cost = np.where(running, self._own[:, :, 2], 0.0)
        for f in self._lagged:
            seen = week - self.lag[f]
            if 0 <= seen < len(self._intensity):
                intensity[f] = np.maximum(intensity[f], self._intensity[seen][self.copies[f]])
                cost[f] = np.maximum(cost[f], self._cost[seen][self.copies[f]])
        # same-week copying, after the lagged copies it may pass on: each pass carries programs
        # one link down a chain of copiers, so as many passes as such copiers settle every chain
        # (and a ring of firms copying one another ends up running the maximum of the ring)
        for _ in range(len(self._same_week)):
            for f in self._same_week:
                intensity[f] = np.maximum(intensity[f], intensity[self.copies[f]])
                cost[f] = np.maximum(cost[f], cost[self.copies[f]])
        self._intensity.append(intensity)
        self._cost.append(cost)
        return intensity, cost

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
        aim = self.voice[:, None] * share + (1.0 - self.voice[:, None]) * self.random_aim
        for f in self._lagged:
            seen = week - self.lag[f]
            if 0 <= seen < len(self._aim):
                aim[f] = self._aim[seen][self.copies[f]]
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
