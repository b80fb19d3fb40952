"""The customer step's passes, compiled: one loop over the week's interactions or customers in
place of a chain of numpy passes, each making a fresh temporary.

Why: a vectorized step spends most of its time making and filling temporaries (about 30 numpy
passes a week over the interacting customers, six over every customer), not in arithmetic. The
loops here do the same arithmetic once per customer, in the same order, calling the very rules
of :mod:`cxsim.rules` (compiled by numba; :func:`rules.floats` is the identity on a number in
compiled code), so the formulas live in one place and their unit tests cover both paths.

The model draws its random numbers in bulk, in the order it always has, and passes them in, so
results are the same draw for draw. The one draw made here, :func:`normal`, is numba's port of
numpy's ziggurat on the same generator: the same numbers, about 3.5 times as fast as
``Generator.normal`` (a test checks they are equal). Sums run in the order
``np.bincount`` sums (index order), so per-firm sums are bit-identical to it; the one
difference is ``exp`` (the churn hazard), whose last bit numpy's vector code and the C
library's may round differently (``tests/test_kernels.py`` bounds it at 1 ulp-scale, 1e-15).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload
from numpy.typing import ArrayLike

from . import rules

__all__ = ["change_values", "churn", "interact", "normal", "update"]


@overload(rules.floats)
def _floats(x):
    """In compiled code ``rules.floats`` is the identity on a number or a float array."""
    if isinstance(x, (types.Float, types.Integer)):
        return lambda x: float(x)
    if isinstance(x, types.Array):
        return lambda x: x.astype(np.float64)
    return None


@overload(rules.whole)
def _whole(x):
    """In compiled code ``rules.whole`` truncates a number as ``astype(np.int64)`` does."""
    if isinstance(x, (types.Float, types.Integer)):
        return lambda x: np.int64(x)
    return None


@overload(rules.unit)
def _unit(x: ArrayLike):
    """``rules.unit`` compiled as it is written (a rule the other rules call)."""
    return rules.unit


_jit = njit(cache=True, nogil=True)
_visible_quality = _jit(rules.visible_quality)
_interaction_quality = _jit(rules.interaction_quality)
_disconfirmation = _jit(rules.disconfirmation_satisfaction)
_adapt = _jit(rules.adapt)
_expectation_target = _jit(rules.expectation_target)
_nps_score = _jit(rules.nps_score)
_satisfaction_hazard = _jit(rules.satisfaction_hazard)
_damped_churn_intensity = _jit(rules.damped_churn_intensity)


@_jit
def normal(rng: np.random.Generator, loc: float, scale: float, size: int) -> np.ndarray:
    """``rng.normal(loc, scale, size)``, the same numbers drawn from ``rng``, faster."""
    return rng.normal(loc, scale, size)


@_jit
def interact(
    who: np.ndarray,
    firm: np.ndarray,
    u: np.ndarray,
    r: np.ndarray,
    noise: np.ndarray,
    traffic_cdf: np.ndarray,
    front_start: np.ndarray,
    front_count: np.ndarray,
    design: np.ndarray,
    skill: np.ndarray,
    invisible: np.ndarray,
    skill_weight: float,
    visible_weight: float,
    n_firms: int,
) -> tuple[np.ndarray, ...]:
    """Each interacting customer ``who[j]`` meets a touchpoint (``u[j]`` against the traffic's
    cumulative shares) and a frontline member of its firm (``r[j]`` uniform over the firm's
    frontline): ``(firm, touchpoint, staff, visible, invisible, quality)`` per interaction, and
    per firm the interactions and the sums of ``(quality, visible, invisible)`` over them."""
    k = who.size
    f = np.empty(k, np.int64)
    tp = np.empty(k, np.int64)
    staff = np.empty(k, np.int64)
    visible = np.empty(k)
    inv = np.empty(k)
    quality = np.empty(k)
    counts = np.zeros(n_firms, np.int64)
    sums = np.zeros((3, n_firms))
    edges = traffic_cdf.size - 1
    for j in range(k):
        fj = firm[who[j]]
        t = 0
        for e in range(edges):
            t += u[j] >= traffic_cdf[e]
        s = front_start[fj] + np.int64(r[j] * front_count[fj])
        v = _visible_quality(design[fj, t], skill[s], skill_weight)
        q = _interaction_quality(v, invisible[s], visible_weight, noise[j])
        f[j], tp[j], staff[j], visible[j], inv[j], quality[j] = fj, t, s, v, invisible[s], q
        counts[fj] += 1
        sums[0, fj] += q
        sums[1, fj] += v
        sums[2, fj] += invisible[s]
    return f, tp, staff, visible, inv, quality, counts, sums


@_jit
def update(
    who: np.ndarray,
    firm: np.ndarray,
    quality: np.ndarray,
    problem: np.ndarray,
    outcome: np.ndarray,
    satisfaction: np.ndarray,
    expectation: np.ndarray,
    promise: np.ndarray,
    best: float,
    neutral: float,
    gain: float,
    loss: float,
    satisfaction_rate: float,
    problem_salience: float,
    best_weight: float,
    brand_weight: float,
    expectation_rate: float,
) -> tuple[np.ndarray, ...]:
    """What the week's interactions do to their customers (ODD §7.7–7.8): the satisfaction felt
    (the problem's outcome where there was one, in the order of ``problem.nonzero()``), and the
    expectation's move toward its target: ``(satisfaction, expectation)`` per interaction."""
    k = who.size
    s_new = np.empty(k)
    e_new = np.empty(k)
    p = 0
    for j in range(k):
        i, f, q = who[j], firm[j], quality[j]
        s, e = satisfaction[i], expectation[i]
        if problem[j]:
            s_new[j] = _adapt(s, outcome[p], problem_salience)
            p += 1
        else:
            felt = _disconfirmation(q, e, neutral, gain, loss)
            s_new[j] = _adapt(s, felt, satisfaction_rate)
        target = _expectation_target(q, best, promise[f], best_weight, brand_weight)
        e_new[j] = _adapt(e, target, expectation_rate)
    return s_new, e_new


@_jit
def change_values(
    who: np.ndarray,
    firm: np.ndarray,
    s_new: np.ndarray,
    e_new: np.ndarray,
    satisfaction: np.ndarray,
    expectation: np.ndarray,
    answers: np.ndarray,
    hazard: np.ndarray,
    totals: np.ndarray,
    base_hazard: float,
    sensitivity: float,
    neutral: float,
) -> None:
    """Customers ``who`` (at their current firms) take satisfaction ``s_new`` and expectation
    ``e_new``; their firms' answer histograms, sums and their churn hazards follow (the caches
    of :class:`cxsim.customers.Customers`, updated as its ``change`` does)."""
    n_firms = totals.shape[1]
    ds = np.zeros(n_firms)
    de = np.zeros(n_firms)
    for j in range(who.size):
        i = who[j]
        f = firm[i]
        s0, s1 = satisfaction[i], s_new[j]
        ds[f] += s1 - s0
        de[f] += e_new[j] - expectation[i]
        answers[f, _nps_score(s1)] += 1
        answers[f, _nps_score(s0)] -= 1
        satisfaction[i] = s1
        expectation[i] = e_new[j]
        hazard[i] = _satisfaction_hazard(s1, base_hazard, sensitivity, neutral)
    totals[0] += ds
    totals[1] += de


@_jit
def churn(
    firm: np.ndarray,
    hazard: np.ndarray,
    budget: np.ndarray,
    pull: np.ndarray,
    switching_cost: float,
    had: np.ndarray,
    defection: np.ndarray,
    leaving: np.ndarray,
) -> int:
    """Every customer spends this week's churn intensity from its Exp(1) budget (ODD §7.10):
    ``λ = (1 − c)(h + pull[firm])``, plus ``(1 − c) defection`` for the customers ``had``
    (increasing) whose problem this week adds one. Writes the customers whose budget ran out
    into ``leaving`` and returns how many."""
    n_left = 0
    p = 0
    damp = 1.0 - switching_cost
    for i in range(firm.size):
        lam = _damped_churn_intensity(hazard[i], switching_cost, pull[firm[i]])
        if p < had.size and had[p] == i:
            lam += damp * defection[p]
            p += 1
        budget[i] -= lam
        if budget[i] < 0.0:
            leaving[n_left] = i
            n_left += 1
    return n_left
