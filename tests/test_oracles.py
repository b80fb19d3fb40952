"""Analytic oracles: Friedkin–Johnsen equilibrium, chain attenuation λ^k, geometric survival."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import cxsim
from cxsim import Level, rules

from .conftest import small_scenario

# --------------------------------------------------------------------------- (a) FJ on a graph


def _random_network(n: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """A sparse row-stochastic W, susceptibilities with a few stubborn (λ = 0) nodes, and x0."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.1)
    np.fill_diagonal(dense, 0)
    dense[np.arange(n), (np.arange(n) + 1) % n] += 0.1  # every row has a tie
    dense /= dense.sum(axis=1, keepdims=True)
    lam = rng.uniform(0.3, 0.95, n)
    lam[rng.choice(n, size=5, replace=False)] = 0.0  # stubborn anchors
    return sp.csr_matrix(dense), lam, rng.random(n)


def test_random_network_is_what_the_oracle_needs() -> None:
    w, lam, _ = _random_network(60, seed=1)
    np.testing.assert_allclose(np.asarray(w.sum(axis=1)).ravel(), 1.0)
    assert w.nnz < 0.2 * 60 * 60
    assert (lam == 0).sum() == 5


@pytest.mark.parametrize("eta", [1.0, 0.3])
@pytest.mark.parametrize("seed", [1, 2])
def test_fj_iteration_reaches_the_closed_form_equilibrium(eta: float, seed: int) -> None:
    w, lam, x0 = _random_network(60, seed=seed)
    eq = rules.fj_equilibrium(w, lam, x0)
    # the closed form, computed densely and independently of rules.fj_equilibrium
    dense = np.linalg.solve(np.eye(60) - np.diag(lam) @ w.toarray(), (1 - lam) * x0)
    np.testing.assert_allclose(eq, dense, atol=1e-12)
    x = x0.copy()
    for _ in range(3000):
        x = rules.fj_step(x, x0, w, lam, eta)
    np.testing.assert_allclose(x, eq, atol=1e-9)
    stubborn = lam == 0
    np.testing.assert_allclose(x[stubborn], x0[stubborn])
    assert not np.allclose(x, x0)  # the others did move


# --------------------------------------------------------------------------- (b) a chain


def _chain(k_levels: int) -> sp.csr_matrix:
    """Member i listens only to member i − 1; member 0 is the leader."""
    n = k_levels + 1
    return sp.csr_matrix((np.ones(k_levels), (np.arange(1, n), np.arange(k_levels))), shape=(n, n))


@pytest.mark.parametrize("lam_value", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("eta", [1.0, 0.4])
def test_chain_settles_at_lambda_to_the_k(lam_value: float, eta: float) -> None:
    k_levels = 6
    w = _chain(k_levels)
    lam = np.r_[0.0, np.full(k_levels, lam_value)]
    x0 = np.r_[1.0, np.zeros(k_levels)]
    expected = lam_value ** np.arange(k_levels + 1)
    np.testing.assert_allclose(rules.fj_equilibrium(w, lam, x0), expected)
    x = x0.copy()
    for _ in range(400):
        x = rules.fj_step(x, x0, w, lam, eta)
    np.testing.assert_allclose(x, expected, atol=1e-10)


def test_chain_with_eta_one_is_exact_after_k_steps() -> None:
    k_levels, lam_value = 4, 0.6
    w = _chain(k_levels)
    lam = np.r_[0.0, np.full(k_levels, lam_value)]
    x0 = np.r_[1.0, np.zeros(k_levels)]
    x = x0.copy()
    for step in range(1, k_levels + 1):
        x = rules.fj_step(x, x0, w, lam)
        # after `step` steps, the first `step` levels below the leader have settled
        np.testing.assert_allclose(x[: step + 1], lam_value ** np.arange(step + 1))
        assert np.all(x[step + 1 :] == 0)


# --------------------------------------------------------------------------- (c) the real org


def _quiet(
    lam: tuple[float, float, float] = (0.8, 0.8, 0.8),
    peer_weight: float = 0.5,
    initial_culture: float = 0.0,
    ceo: float = 1.0,
    eta: float | None = None,
    ceo_visibility: float | None = None,
) -> dict[str, Any]:
    """A scenario whose culture has no noise: no turnover, no spread, no programs or training.
    ``ceo_visibility``: the weight of every manager's and frontline member's tie to the CEO
    (None: the default); 0 leaves only the boss ties, a pure chain."""
    data = small_scenario(customers=50)
    for firm in data["firms"]:
        firm["programs"] = {}
        if ceo_visibility is not None:
            firm["organization"]["ceo_visibility"] = ceo_visibility
        firm["organization"].update(
            {
                "peer_weight": peer_weight,
                "initial_culture": initial_culture,
                "initial_culture_spread": 0.0,
                "susceptibility": dict(
                    zip(("executives", "managers", "frontline"), lam, strict=True)
                ),
                "turnover_per_year": {"executives": 0, "managers": 0, "frontline": 0},
            }
        )
        firm["leadership"] = {"ceo_commitment": ceo}
    if eta is not None:
        data["market"]["culture_change_rate"] = eta
    return data


def test_real_organization_reaches_the_fj_equilibrium() -> None:
    data = _quiet(lam=(0.7, 0.8, 0.9), peer_weight=0.6, initial_culture=0.2, ceo=0.9, eta=0.1)
    data["firms"][0]["cco"] = {"commitment": 1.0, "authority": 0.8, "ceo_backing": 0.5}
    data["firms"][0]["champions"] = {"count": 3, "budget_per_week": 4000}
    data["firms"][1]["leadership"] = {"ceo_commitment": 0.3}
    model = cxsim.CXModel(data, rng=3)  # a relaxed step: eta < 1
    org = model.organization
    anchor = org.anchor.copy()
    eq = rules.fj_equilibrium(org.weights, org.susceptibility, org.anchor)
    start = np.abs(org.commitment - eq).max()
    assert start > 0.1  # the run has somewhere to go
    model.run(400)
    np.testing.assert_array_equal(org.anchor, anchor)  # nothing else moved the anchors
    np.testing.assert_allclose(org.commitment, eq, atol=1e-8)


def test_real_network_with_arbitrary_prejudices_reaches_its_equilibrium() -> None:
    model = cxsim.CXModel(_quiet(lam=(0.75, 0.75, 0.75), peer_weight=0.7, eta=1.0), rng=3)
    org = model.organization
    org.anchor[:] = np.random.default_rng(5).random(org.size)  # arbitrary prejudices
    org.anchor[org.level == Level.CEO] = 1.0
    org.commitment[:] = org.anchor
    model.run(200)
    eq = rules.fj_equilibrium(org.weights, org.susceptibility, org.anchor)
    np.testing.assert_allclose(org.commitment, eq, atol=1e-8)


@pytest.mark.parametrize("lam", [0.5, 0.8])
def test_real_hierarchy_attenuates_as_lambda_to_the_level(lam: float) -> None:
    # ceo_visibility 0: only boss ties, so down the chain level k settles at λ^k
    data = _quiet(lam=(lam, lam, lam), peer_weight=0.0, eta=0.1, ceo_visibility=0.0)
    model = cxsim.CXModel(data, rng=0)
    org = model.organization
    model.run(400)  # eta < 1: slower, but the same equilibrium
    np.testing.assert_allclose(org.commitment[org.level == Level.CEO], 1.0)
    for level, k in [(Level.EXECUTIVE, 1), (Level.MANAGER, 2), (Level.FRONTLINE, 3)]:
        np.testing.assert_allclose(org.commitment[org.level == level], lam**k, atol=1e-9)
    ts = model.timeseries()
    last = ts[ts.step == ts.step.max()]
    np.testing.assert_allclose(last.commitment_frontline, lam**3, atol=1e-9)
    np.testing.assert_allclose(last.commitment_managers, lam**2, atol=1e-9)


def test_real_hierarchy_with_a_lambda_per_level_multiplies_them() -> None:
    lam = (0.9, 0.6, 0.5)
    # ceo_visibility 0: only boss ties (the chain formula)
    model = cxsim.CXModel(_quiet(lam=lam, peer_weight=0.0, eta=1.0, ceo_visibility=0.0), rng=0)
    model.run(30)
    org = model.organization
    expected = {
        Level.EXECUTIVE: lam[0],
        Level.MANAGER: lam[0] * lam[1],
        Level.FRONTLINE: lam[0] * lam[1] * lam[2],
    }
    for level, value in expected.items():
        np.testing.assert_allclose(org.commitment[org.level == level], value, atol=1e-12)


@pytest.mark.parametrize("visibility", [0.25, 1.0, 3.0])
def test_ceo_visibility_lifts_each_level_as_the_closed_form_says(visibility: float) -> None:
    # managers and frontline read their boss (weight 1) and the CEO at 1 (weight v), rows
    # normalized: x = λ (x_boss + v) / (1 + v); executives listen to the CEO only: x = λ
    lam, v = (0.9, 0.6, 0.5), visibility
    data = _quiet(lam=lam, peer_weight=0.0, eta=1.0, ceo_visibility=v)
    model = cxsim.CXModel(data, rng=0)
    model.run(30)
    org = model.organization
    executive = lam[0]
    manager = lam[1] * (executive + v) / (1 + v)
    frontline = lam[2] * (manager + v) / (1 + v)
    expected = {Level.EXECUTIVE: executive, Level.MANAGER: manager, Level.FRONTLINE: frontline}
    for level, value in expected.items():
        np.testing.assert_allclose(org.commitment[org.level == level], value, atol=1e-12)
    # and more than the pure chain gives: the CEO is seen past the line
    assert frontline > lam[0] * lam[1] * lam[2]


def test_peer_ties_dilute_the_boss_as_the_closed_form_says() -> None:
    # executives all hold the same view x; the boss tie has weight a = 1 / (1 + peer_weight)
    # of a row, the peers the rest: x = λ (a · 1 + (1 − a) x), so x = λ a / (1 − λ (1 − a))
    lam, peer_weight = 0.7, 2.0
    model = cxsim.CXModel(_quiet(lam=(lam, lam, lam), peer_weight=peer_weight, eta=1.0), rng=0)
    model.run(200)
    org = model.organization
    a = 1 / (1 + peer_weight)
    expected = lam * a / (1 - lam * (1 - a))
    np.testing.assert_allclose(org.commitment[org.level == Level.EXECUTIVE], expected, atol=1e-9)
    assert expected < lam  # peers who have not heard the CEO dilute the CEO's pull


# --------------------------------------------------------------------------- (d) survival


@pytest.mark.parametrize(
    "market",
    [
        # no sensitivity to satisfaction, nobody talks, no problem is acted on by leaving,
        # nothing damps: h = the base hazard
        {
            "churn_sensitivity": 0.0,
            "word_of_mouth_reach": 0.0,
            "problem_defection": 0.0,
            "switching_cost": 0.0,
        },
        # word of mouth is heard but has no effect; switching cost damps the constant hazard
        {
            "churn_sensitivity": 0.0,
            "word_of_mouth_effect": 0.0,
            "problem_defection": 0.0,
            "switching_cost": 0.4,
        },
    ],
    ids=["no-damping", "damped"],
)
def test_geometric_survival_under_a_constant_hazard(market: dict[str, float]) -> None:
    monthly, steps = 0.05, 40
    data = small_scenario(customers=20_000, base_churn_per_month=monthly, **market)
    data["steps"] = steps
    model = cxsim.CXModel(data, rng=11).run()
    spells = model.customer_spells()
    first = spells[spells.start_step == 0]
    n = len(first)
    assert n == 20_000  # every initial customer has exactly one first spell
    h = float(
        rules.churn_hazard(
            0.5, float(rules.per_week(monthly, 52 / 12)), 0.0, 0.8, market["switching_cost"]
        )
    )
    end = first.end_step.to_numpy(dtype=float, na_value=np.inf)
    for t in range(1, steps + 1):
        alive = float(np.mean(end > t))
        expected = (1 - h) ** t
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(alive - expected) < 4 * se, (t, alive, expected)
    # and the weekly churn rate of the whole market is h too
    ts = model.timeseries()
    rate = ts.groupby("step").churned.sum() / n
    assert abs(rate.mean() - h) < 4 * np.sqrt(h * (1 - h) / (n * steps))
