"""The model's rules: small pure functions over numpy arrays (each also works on scalars).

Every rule here is one submodel of ODD.md §7, unit-tested against its formula or an analytic
oracle. None of them reads scenario files, draws random numbers or keeps state: the model
passes arrays in and gets arrays back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import spsolve

__all__ = [
    "adapt",
    "churn_hazard",
    "churn_intensity",
    "complaint_probability",
    "damped_churn_intensity",
    "defection_intensity",
    "disconfirmation_satisfaction",
    "expectation_target",
    "fj_equilibrium",
    "fj_step",
    "frontline_empowerment",
    "funded_projects",
    "interaction_quality",
    "invisible_quality",
    "lifetime_value_multiple",
    "net_promoter_score",
    "nps_score",
    "per_week",
    "problem_outcome",
    "problem_path",
    "problem_probability",
    "recovery_capability",
    "recovery_probability",
    "satisfaction_hazard",
    "supported",
    "visible_quality",
    "word_of_mouth",
]

Array = NDArray[np.float64]


def floats(x: ArrayLike) -> Array:
    """``x`` as floats: ``np.asarray(x, dtype=float)``. In code compiled by ``cxsim.kernels`` it
    is the identity on a number, so the compiled step calls these very rules per customer."""
    return np.asarray(x, dtype=float)


def whole(x: ArrayLike) -> NDArray[np.int64]:
    """``x`` truncated toward zero to integers: ``np.asarray(x).astype(np.int64)`` (in compiled
    code, ``int(x)`` on a number)."""
    return np.asarray(x).astype(np.int64)


def unit(x: ArrayLike) -> Array:
    """``x`` clipped to [0, 1] (``np.clip``'s arithmetic, also on a number in compiled code)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)

#: the paths of a problem through the complaint funnel, by the names of their outcome levels
OUTCOME_PATHS = ("resolved_quickly", "resolved", "not_resolved", "did_not_complain")


# --------------------------------------------------------------------------- time


def per_week(rate: ArrayLike, weeks_per_period: float) -> Array:
    """Weekly probability equivalent to a per-period probability: ``1 - (1 - p)^(1/w)``.

    A 0.9% monthly churn (weeks_per_period = 52/12) is 0.2085% a week and 89.7% a year kept.
    """
    return 1.0 - np.power(1.0 - floats(rate), 1.0 / weeks_per_period)


# --------------------------------------------------------------------------- culture


def fj_step(
    x: Array,
    x0: Array,
    w: sp.spmatrix | Array | Callable[[Array], Array],
    lam: Array,
    eta: float = 1.0,
) -> Array:
    """One relaxed Friedkin–Johnsen update.

    ``x' = x + eta * (Λ W x + (I − Λ) x0 − x)``. With ``eta = 1`` this is the classic
    ``x(t+1) = Λ W x(t) + (I − Λ) x(0)``; a smaller eta slows change without moving the
    equilibrium. Members with ``lam = 0`` are stubborn anchors (they hold ``x0``).

    ``w`` is the matrix W, or a function returning ``W @ x`` (so W need not be built: an
    organization's peer ties are applied in factored form, ``Staff.influence``).

    References: Friedkin & Johnsen (1990, 2011) Social Influence Network Theory.
    """
    wx = w(x) if callable(w) else w @ x
    target = lam * wx + (1.0 - lam) * x0
    return x + eta * (target - x)


def fj_equilibrium(w: sp.spmatrix | Array, lam: Array, x0: Array) -> Array:
    """The Friedkin–Johnsen fixed point ``(I − ΛW)^-1 (I − Λ) x0`` (the oracle for fj_step)."""
    n = len(x0)
    a = sp.identity(n, format="csc") - sp.diags(lam) @ sp.csr_matrix(w)
    return np.asarray(spsolve(a.tocsc(), (1.0 - lam) * x0), dtype=float)


def supported(share: float, support: ArrayLike) -> Array:
    """The factor ``1 − a + a s``: a share ``a`` of an effect happens only as far as ``s``.

    The form of every "multiplied by leadership" link (ODD §7.5, §7.3, §7.9): empowerment by
    manager ownership, training transfer by supervisor support, redesigns by executive
    ownership. ``a = 0`` gives 1 (no dependence), ``a = 1`` gives ``s`` (full dependence).
    """
    return 1.0 - share + share * floats(support)


def frontline_empowerment(
    policy: ArrayLike, manager_commitment: ArrayLike, support_weight: float = 0.5
) -> Array:
    """Empowerment a frontline member actually has: the policy, the ``support_weight`` share of
    it realized only as far as the manager owns the customer outcome:
    ``policy (1 − a + a m)`` (Bowen & Lawler 1992: empowerment is a management practice)."""
    return floats(policy) * supported(support_weight, manager_commitment)


def invisible_quality(
    commitment: ArrayLike, empowerment: ArrayLike, empowerment_weight: float = 0.5
) -> Array:
    """The non-copyable part of an interaction: ``c (1 − w + w e)``.

    Commitment is necessary (zero commitment gives zero); the ``empowerment_weight`` share of
    it needs the empowerment to act on it.
    """
    return floats(commitment) * supported(empowerment_weight, empowerment)


def visible_quality(design: ArrayLike, skill: ArrayLike, skill_weight: float = 0.5) -> Array:
    """The copyable part of an interaction: ``(1 − k) design + k skill``."""
    k = skill_weight
    return (1.0 - k) * floats(design) + k * floats(skill)


def interaction_quality(
    visible: ArrayLike, invisible: ArrayLike, visible_weight: float, noise: ArrayLike = 0.0
) -> Array:
    """Experienced quality ``clip(w v + (1 − w) u + noise, 0, 1)``."""
    q = visible_weight * floats(visible) + (1 - visible_weight) * floats(invisible)
    return unit(q + noise)


# --------------------------------------------------------------------------- customers


def expectation_target(
    quality: ArrayLike,
    best_in_market: float,
    brand_promise: ArrayLike,
    best_weight: float,
    brand_weight: float,
) -> Array:
    """What an expectation moves toward: experienced quality, the market's best and the brand.

    ``(1 − b − p) q + b best + p promise``, with ``p = 0`` where there is no brand promise
    (``brand_promise`` is NaN or None).
    """
    promise = floats(np.nan if brand_promise is None else brand_promise)
    p = brand_weight * np.logical_not(np.isnan(promise))  # 0 where there is no promise
    q = floats(quality)
    return (1.0 - best_weight - p) * q + best_weight * best_in_market + p * np.nan_to_num(promise)


def adapt(current: ArrayLike, target: ArrayLike, rate: float) -> Array:
    """Exponential adaptation ``E + α (P − E)``: expectations, satisfaction memory."""
    current = floats(current)
    return current + rate * (floats(target) - current)


def disconfirmation_satisfaction(
    quality: ArrayLike, expectation: ArrayLike, neutral: float, gain: float, loss: float
) -> Array:
    """Asymmetric expectation disconfirmation (Anderson & Sullivan 1993; Mittal et al. 1998).

    ``clip(neutral + gain max(d, 0) − loss max(−d, 0), 0, 1)`` with ``d = q − E``: falling short
    by an amount hurts ``loss/gain`` times more than exceeding by it helps.
    """
    d = floats(quality) - floats(expectation)
    s = neutral + gain * np.maximum(d, 0.0) - loss * np.maximum(-d, 0.0)
    return unit(s)


def problem_probability(quality: ArrayLike, rate: float) -> Array:
    """Chance that an interaction goes wrong: ``rate (1 − q)``: better quality, fewer problems."""
    return rate * (1.0 - floats(quality))


def complaint_probability(major: ArrayLike, rate_major: float, rate_minor: float) -> Array:
    """The complaint funnel: a problem that costs money is reported far more often (TARP)."""
    return np.where(np.asarray(major, dtype=bool), rate_major, rate_minor)


def recovery_capability(empowerment: ArrayLike, tools: ArrayLike) -> Array:
    """Capacity to fix a reported problem: empowerment or tools, ``1 − (1 − e)(1 − t)``."""
    return 1.0 - (1.0 - floats(empowerment)) * (1.0 - floats(tools))


def recovery_probability(capability: ArrayLike, base: float, best: float) -> Array:
    """P(a complaint is resolved) ``base + (best − base) capability``."""
    return base + (best - base) * floats(capability)


def problem_path(complained: ArrayLike, resolved: ArrayLike, quick: ArrayLike) -> NDArray[np.int64]:
    """Each problem's path through the funnel, as an index into ``OUTCOME_PATHS``: not reported,
    resolved at first contact, resolved later, or reported and not resolved."""
    complained = np.asarray(complained, dtype=bool)
    resolved = np.asarray(resolved, dtype=bool) & complained
    quick = np.asarray(quick, dtype=bool) & resolved
    at = {name: i for i, name in enumerate(OUTCOME_PATHS)}
    path = np.where(resolved, at["resolved"], at["not_resolved"])  # np.select, without its cost
    path = np.where(quick, at["resolved_quickly"], path)
    return np.where(complained, path, at["did_not_complain"]).astype(np.int64)


def problem_outcome(
    major: ArrayLike,
    complained: ArrayLike,
    resolved: ArrayLike,
    quick: ArrayLike,
    minor_levels: Mapping[str, float],
    major_levels: Mapping[str, float],
    cap: ArrayLike | float = 1.0,
) -> Array:
    """Repurchase intention after a problem, by its path through the funnel (TARP).

    Levels map each of ``OUTCOME_PATHS`` (``resolved_quickly``, ``resolved``, ``not_resolved``,
    ``did_not_complain``) to a level. ``cap`` limits the resolved outcomes: a second failure
    removes the recovery paradox (Maxham & Netemeyer 2002), so the model passes the no-problem
    level as cap for customers already recovered once.
    """
    major = np.asarray(major, dtype=bool)
    resolved = np.asarray(resolved, dtype=bool) & np.asarray(complained, dtype=bool)
    path = problem_path(complained, resolved, quick)
    table = np.array(
        [[levels[name] for name in OUTCOME_PATHS] for levels in (minor_levels, major_levels)]
    )
    level = table[major.astype(int), path]
    return np.where(resolved, np.minimum(level, cap), level)


def defection_intensity(outcome: ArrayLike, realization: float) -> Array:
    """The churn intensity a problem adds once, ``−ln(1 − δ (1 − level))``: a customer leaves
    over it with probability ``δ (1 − level)``, the share δ of its intention not to repurchase
    (1 − the outcome level, TARP) that it acts on (intentions overstate behaviour: Mittal &
    Kamakura 2001; Chandon, Morwitz & Reinartz 2005)."""
    p = realization * (1.0 - floats(outcome))
    return -np.log1p(-np.minimum(p, 1.0 - 1e-12))


def nps_score(satisfaction: ArrayLike) -> NDArray[np.int64]:
    """The 0–10 likelihood-to-recommend answer of a customer with satisfaction s in [0, 1]:
    ``floor(10 s + 0.5)`` (rounded half up), so promoters have s ≥ 0.85, detractors s < 0.65."""
    return whole(10.0 * floats(satisfaction) + 0.5)


def net_promoter_score(scores: ArrayLike) -> float:
    """NPS: % of scores 9–10 minus % of scores 0–6 (−100 to 100; NaN for no scores)."""
    scores = np.asarray(scores)
    if scores.size == 0:
        return float("nan")
    return 100.0 * (np.mean(scores >= 9) - np.mean(scores <= 6))


def word_of_mouth(
    promoters: ArrayLike, detractors: ArrayLike, population: int, reach: float, ratio: float
) -> tuple[Array, Array]:
    """Mentions heard per person per week: positive (promoters) and negative (detractors).

    A detractor reaches ``ratio`` times as many people as a promoter (about 2).
    """
    pos = reach * floats(promoters) / population
    neg = reach * ratio * floats(detractors) / population
    return pos, neg


def satisfaction_hazard(
    satisfaction: ArrayLike, base_weekly: float, sensitivity: float, neutral: float
) -> Array:
    """The customer's own part of the churn intensity: ``h0 e^{κ(n − s)}``, ``h0 = −ln(1 − base)``.

    It rises exponentially as satisfaction falls below neutral. It depends on the customer's
    satisfaction only, so the model caches it per customer.
    """
    s = floats(satisfaction)
    h0 = -np.log1p(-base_weekly)
    return h0 * np.exp(sensitivity * (neutral - s))


def damped_churn_intensity(
    hazard: ArrayLike, switching_cost: float, word_of_mouth_pull: ArrayLike = 0.0
) -> Array:
    """Weekly churn intensity ``λ = (1 − c)(h + m)`` from a customer's satisfaction hazard h
    (:func:`satisfaction_hazard`): word of mouth m adds to it, switching cost c damps all of it."""
    return (1.0 - switching_cost) * (
        floats(hazard) + floats(word_of_mouth_pull)
    )


def churn_intensity(
    satisfaction: ArrayLike,
    base_weekly: float,
    sensitivity: float,
    neutral: float,
    switching_cost: float,
    word_of_mouth_pull: ArrayLike = 0.0,
) -> Array:
    """Weekly churn intensity ``λ = (1 − c)(h0 e^{κ(n − s)} + m)``, ``h0 = −ln(1 − base)``.

    The intensity rises exponentially as satisfaction falls below neutral, word of mouth adds to
    it, and switching cost ``c`` damps all of it. The weekly probability is ``1 − e^{−λ}``.
    """
    hazard = satisfaction_hazard(satisfaction, base_weekly, sensitivity, neutral)
    return damped_churn_intensity(hazard, switching_cost, word_of_mouth_pull)


def churn_hazard(
    satisfaction: ArrayLike,
    base_weekly: float,
    sensitivity: float,
    neutral: float,
    switching_cost: float,
    word_of_mouth_pull: ArrayLike = 0.0,
) -> Array:
    """Weekly churn probability ``1 − exp(−λ)`` with λ from :func:`churn_intensity`."""
    lam = churn_intensity(
        satisfaction, base_weekly, sensitivity, neutral, switching_cost, word_of_mouth_pull
    )
    return -np.expm1(-lam)


# --------------------------------------------------------------------------- firm


def funded_projects(budget: float, project_cost: float) -> int:
    """Projects are indivisible: a budget funds ``floor(budget / cost)`` of them, no fractions."""
    return int(np.floor(budget / project_cost + 1e-12))


def lifetime_value_multiple(retention: ArrayLike, discount_rate: ArrayLike) -> Array:
    """Customer lifetime value as a multiple of yearly margin: ``r / (1 + i − r)``."""
    r = floats(retention)
    return r / (1.0 + np.asarray(discount_rate) - r)
