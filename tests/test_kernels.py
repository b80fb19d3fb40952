"""The compiled passes of ``cxsim.kernels`` against the numpy composition of the rules they
replace: the same numbers, exactly, and the same draws from the generator."""

from __future__ import annotations

import numpy as np
import pytest

from cxsim import kernels, rules
from cxsim.customers import Customers
from cxsim.schema import Market

N_FIRMS = 3


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)


def test_normal_draws_what_numpy_draws(rng: np.random.Generator) -> None:
    twin = np.random.default_rng(2026)
    drawn = kernels.normal(rng, 0.1, 0.08, np.empty(5000))
    assert np.array_equal(drawn, twin.normal(0.1, 0.08, 5000))
    assert rng.random() == twin.random()  # and leaves the generator where numpy leaves it
    loc, scale = rng.random(300), rng.random(300)  # and with a mean and sd per draw
    twin.random(600)
    drawn = kernels.normal(rng, loc, scale, np.empty(300))
    assert np.array_equal(drawn, twin.normal(loc, scale))


def test_below_is_flatnonzero(rng: np.random.Generator) -> None:
    values = rng.random(1000)
    found = kernels.below(values, 0.3, np.empty(1000, dtype=np.int64))
    assert np.array_equal(found, np.flatnonzero(values < 0.3))


def test_interact_is_the_rules(rng: np.random.Generator) -> None:
    n, k = 2000, 700
    firm = rng.integers(0, N_FIRMS, n)
    who = np.sort(rng.choice(n, k, replace=False))
    u, r, noise = rng.random(k), rng.random(k), rng.normal(0, 0.3, k)  # noise: some clipping
    cdf = np.cumsum([0.2, 0.5, 0.3])
    front_count = np.array([5, 9, 4])
    front_start = np.concatenate([[0], np.cumsum(front_count)[:-1]])
    design = rng.random((N_FIRMS, 3))
    skill, invisible = rng.random(18), rng.random(18)
    got = tuple(np.empty(k, dtype=t) for t in (np.int64,) * 3 + (float,) * 3)
    counts, sums = np.zeros(N_FIRMS, dtype=np.int64), np.zeros((3, N_FIRMS))
    kernels.interact(
        who, firm, u, r, noise, cdf, front_start, front_count, design, skill, invisible,
        0.4, 0.6, got, counts, sums,
    )  # fmt: skip
    f = firm[who]
    tp = sum((u >= edge).astype(np.int64) for edge in cdf[:-1])
    staff = front_start[f] + (r * front_count[f]).astype(int)
    visible = rules.visible_quality(design[f, tp], skill[staff], 0.4)
    quality = rules.interaction_quality(visible, invisible[staff], 0.6, noise)
    expected = (f, tp, staff, visible, invisible[staff], quality)
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(counts, np.bincount(f, minlength=N_FIRMS))
    for row, values in zip(sums, (quality, visible, invisible[staff]), strict=True):
        assert np.array_equal(row, np.bincount(f, weights=values, minlength=N_FIRMS))


def test_update_is_the_rules(rng: np.random.Generator) -> None:
    n, k = 1000, 400
    who = np.sort(rng.choice(n, k, replace=False))
    firm = rng.integers(0, N_FIRMS, k)
    q, s, e = rng.random(k), rng.random(n), rng.random(n)
    problem = rng.random(k) < 0.2
    outcome = rng.random(problem.sum())
    promise = np.array([np.nan, 0.9, 0.7])
    p = (0.8, 1.0, 2.0, 0.21, 0.5, 0.2, 0.3, 0.05)
    s_new, e_new = np.empty(k), np.empty(k)
    kernels.update(who, firm, q, problem, outcome, s, e, promise, 0.66, *p, s_new, e_new)
    neutral, gain, loss, s_rate, salience, best_w, brand_w, e_rate = p
    felt = rules.disconfirmation_satisfaction(q, e[who], neutral, gain, loss)
    expected = rules.adapt(s[who], felt, s_rate)
    expected[problem] = rules.adapt(s[who][problem], outcome, salience)
    target = rules.expectation_target(q, 0.66, promise[firm], best_w, brand_w)
    assert np.array_equal(s_new, expected)
    assert np.array_equal(e_new, rules.adapt(e[who], target, e_rate))


def test_change_keeps_the_caches(rng: np.random.Generator) -> None:
    market = Market(customers=3000)
    c = Customers.create(market, np.array([0.5, 0.3, 0.2]), rng)
    for _ in range(20):
        who = np.sort(rng.choice(c.size, 900, replace=False))
        c.change(who, satisfaction=rng.random(900), expectation=rng.random(900))
    fresh = Customers(
        **{name: getattr(c, name).copy() for name in ("firm", "satisfaction", "expectation",
           "start_step", "recovered_before", "churn_budget")},
        market=market, n_firms=N_FIRMS,
    )  # fmt: skip
    assert np.array_equal(c.answers, fresh.answers)
    assert np.array_equal(c.hazard, fresh.hazard)
    np.testing.assert_allclose(c.totals, fresh.totals, rtol=1e-12)


def test_churn_is_the_rules(rng: np.random.Generator) -> None:
    n = 5000
    firm = rng.integers(0, N_FIRMS, n)
    hazard = rng.random(n) * 0.02
    budget = rng.standard_exponential(n) * 0.05
    pull = np.array([0.001, 0.003, 0.0])
    had = np.sort(rng.choice(n, 300, replace=False))
    defection = rng.random(300) * 0.3
    intensity = rules.damped_churn_intensity(hazard, 0.25, pull[firm])
    intensity[had] += (1.0 - 0.25) * defection
    expected = budget - intensity
    leaving = np.empty(n, dtype=np.int64)
    left = kernels.churn(firm, hazard, budget, pull, 0.25, had, defection, leaving)
    assert np.array_equal(budget, expected)
    assert np.array_equal(leaving[:left], np.flatnonzero(expected < 0))
    assert 0 < left < n


def test_change_refuses_ids_out_of_order_and_writes_nothing(rng: np.random.Generator) -> None:
    c = Customers.create(Market(customers=100), np.array([0.5, 0.5]), rng)
    before = {name: getattr(c, name).copy() for name in ("satisfaction", "answers", "totals")}
    with pytest.raises(ValueError, match="increasing order"):
        c.change(np.array([3, 9, 9]), satisfaction=np.zeros(3), expectation=np.zeros(3))
    for name, values in before.items():
        assert np.array_equal(getattr(c, name), values)
