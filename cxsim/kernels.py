"""The customer step's passes, compiled: one loop over the week's interactions or customers in
place of a chain of numpy passes, each making a fresh temporary.

Why: a vectorized step spends most of its time making and filling temporaries (about 30 numpy
passes a week over the interacting customers, six over every customer), not in arithmetic. The
loops here do the same arithmetic once per customer, in the same order, calling the very rules
of :mod:`cxsim.rules` (compiled by numba; :func:`rules.floats` is the identity on a number in
compiled code), so the formulas live in one place and their unit tests cover both paths.

The model draws its random numbers in bulk, in the order it always has, and passes them in, so
results are the same draw for draw. The one draw made here, :func:`normal`, is numba's port of
numpy's ziggurat on the same generator: the same numbers, two to three times as fast as
``Generator.normal`` (a test checks they are equal). Sums run in the order
``np.bincount`` sums (index order), so per-firm sums are bit-identical to it. ``exp`` is left to
numpy (the churn hazard), whose vector code is several times as fast as the C library's and may
round a last bit otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload
from numpy.typing import ArrayLike

from . import rules

__all__ = ["below", "change", "churn", "interact", "normal", "problems", "update"]


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
_problem_probability = _jit(rules.problem_probability)
_visible_quality = _jit(rules.visible_quality)
_interaction_quality = _jit(rules.interaction_quality)
_disconfirmation = _jit(rules.disconfirmation_satisfaction)
_adapt = _jit(rules.adapt)
_expectation_target = _jit(rules.expectation_target)
_nps_score = _jit(rules.nps_score)
_damped_churn_intensity = _jit(rules.damped_churn_intensity)


@_jit
def normal(rng: np.random.Generator, loc: Any, scale: Any, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with ``rng.normal(loc, scale, out.size)`` (``loc`` and ``scale`` numbers or
    arrays of ``out.size``): the same numbers drawn from ``rng``, faster; returns ``out``."""
    loc, scale = np.broadcast_to(loc, out.shape), np.broadcast_to(scale, out.shape)
    for i in range(out.size):
        out[i] = rng.normal(loc[i], scale[i])
    return out


@_jit
def below(values: np.ndarray, threshold: float, out: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(values < threshold)``, written into ``out``; returns that part of it."""
    k = 0
    for i in range(values.size):  # branch-free: a branch taken at random costs a misprediction
        out[k] = i
        k += values[i] < threshold
    return out[:k]


@_jit
def problems(
    draws: np.ndarray, quality: np.ndarray, rate: float, mask: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Which interactions went wrong: ``draws < rules.problem_probability(quality, rate)``,
    written into ``mask``; their indices written into ``out``, and returned (that part of it)."""
    k = 0
    for j in range(draws.size):
        failed = draws[j] < _problem_probability(quality[j], rate)
        mask[j] = failed
        out[k] = j
        k += failed
    return out[:k]


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
    out: tuple[np.ndarray, ...],
    counts: np.ndarray,
    sums: np.ndarray,
) -> None:
    """Each interacting customer ``who[j]`` meets a touchpoint (``u[j]`` against the traffic's
    cumulative shares) and a frontline member of its firm (``r[j]`` uniform over the firm's
    frontline). Writes ``(firm, touchpoint, staff, visible, invisible, quality)`` per interaction
    into the arrays ``out``, and adds each firm's interactions to ``counts`` and its sums of
    ``(quality, visible, invisible)`` over them to ``sums``."""
    f, tp, staff, visible, inv, quality = out
    edges = traffic_cdf.size - 1
    for j in range(who.size):
        fj = firm[who[j]]
        t = 0  # the number of cumulative shares at or below u (branch-free)
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
    s_new: np.ndarray,
    e_new: np.ndarray,
) -> None:
    """What the week's interactions do to their customers (ODD §7.7–7.8): the satisfaction felt
    (the problem's outcome where there was one, in the order of ``problem.nonzero()``), and the
    expectation's move toward its target: written into ``s_new`` and ``e_new``."""
    p = 0
    for j in range(who.size):
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


@_jit
def change(
    who: np.ndarray,
    new_firm: np.ndarray,
    s_new: np.ndarray,
    e_new: np.ndarray,
    moved: bool,
    firm: np.ndarray,
    satisfaction: np.ndarray,
    expectation: np.ndarray,
    answers: np.ndarray,
    totals: np.ndarray,
) -> None:
    """Customers ``who`` (distinct and increasing, else ValueError and nothing written) take
    firm ``new_firm`` (if ``moved``; else it is not read), satisfaction ``s_new`` and
    expectation ``e_new``; their firms' answer histograms and sums follow (caches of
    :class:`cxsim.customers.Customers`, whose ``change`` this is; it sets the churn hazards
    itself, with numpy's vector ``exp``, five times as fast as the C library's here). A sum
    moves by the sum of the changes when no one moved (small numbers, little rounding), else by
    the new values in and the old values out."""
    n_firms = totals.shape[1]
    added = np.zeros((2, n_firms))
    removed = np.zeros((2, n_firms))
    for j in range(1, who.size):  # checked before anything is written
        if who[j] <= who[j - 1]:
            raise ValueError("Customers.change needs distinct customer ids in increasing order")
    for j in range(who.size):
        i = who[j]
        f0, s0, e0 = firm[i], satisfaction[i], expectation[i]
        f1 = new_firm[j] if moved else f0
        s1, e1 = s_new[j], e_new[j]
        if moved:
            added[0, f1] += s1
            added[1, f1] += e1
            removed[0, f0] += s0
            removed[1, f0] += e0
        else:
            added[0, f0] += s1 - s0
            added[1, f0] += e1 - e0
        answers[f1, _nps_score(s1)] += 1
        answers[f0, _nps_score(s0)] -= 1
        firm[i], satisfaction[i], expectation[i] = f1, s1, e1
    totals += added
    totals -= removed


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
