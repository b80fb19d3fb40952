"""Analytic oracles: Friedkin–Johnsen equilibrium, chain attenuation λ^k, geometric survival."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import cxsim
from cxsim import Level, rules

from .conftest import small_scenario


def _random_network(n: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    np.fill_diagonal(dense, 0)
    dense[np.arange(n), (np.arange(n) + 1) % n] += 0.1  # every row has a tie
    dense /= dense.sum(axis=1, keepdims=True)
    lam = rng.uniform(0.3, 0.95, n)
    lam[:3] = 0.0  # stubborn anchors
    return sp.csr_matrix(dense), lam, rng.random(n)


@pytest.mark.parametrize("eta", [1.0, 0.3])
def test_fj_iteration_reaches_the_closed_form_equilibrium(eta: float) -> None:
    w, lam, x0 = _random_network(40, seed=1)
    x = x0.copy()
    for _ in range(3000):
        x = rules.fj_step(x, x0, w, lam, eta)
    np.testing.assert_allclose(x, rules.fj_equilibrium(w, lam, x0), atol=1e-9)


def test_chain_settles_at_lambda_to_the_k() -> None:
    k_levels, lam_value = 6, 0.7
    n = k_levels + 1
    w = sp.csr_matrix((np.ones(k_levels), (np.arange(1, n), np.arange(k_levels))), shape=(n, n))
    lam = np.r_[0.0, np.full(k_levels, lam_value)]
    x0 = np.r_[1.0, np.zeros(k_levels)]
    eq = rules.fj_equilibrium(w, lam, x0)
    np.testing.assert_allclose(eq, lam_value ** np.arange(n))


def _quiet_org(lam: float, peer_weight: float) -> dict:
    data = small_scenario()
    for firm in data["firms"]:
        firm["programs"] = {}
        firm["organization"].update(
            {
                "peer_weight": peer_weight,
                "initial_culture": 0.0,
                "initial_culture_spread": 0.0,
                "susceptibility": {"executives": lam, "managers": lam, "frontline": lam},
                "turnover_per_year": {"executives": 0, "managers": 0, "frontline": 0},
            }
        )
        firm["leadership"] = {"ceo_commitment": 1.0}
    data["market"]["culture_change_rate"] = 1.0
    return data


def test_real_hierarchy_attenuates_as_lambda_to_the_level() -> None:
    lam = 0.8
    model = cxsim.CXModel(_quiet_org(lam, peer_weight=0.0), rng=0)
    model.run(40)
    org = model.organization
    for level, k in [(Level.EXECUTIVE, 1), (Level.MANAGER, 2), (Level.FRONTLINE, 3)]:
        np.testing.assert_allclose(org.commitment[org.level == level], lam**k, atol=1e-9)


def test_real_network_reaches_its_equilibrium() -> None:
    model = cxsim.CXModel(_quiet_org(0.75, peer_weight=0.7), rng=3)
    org = model.organization
    org.anchor[:] = np.random.default_rng(5).random(org.size)  # arbitrary prejudices
    org.anchor[org.level == Level.CEO] = 1.0
    org.commitment[:] = org.anchor
    model.run(200)
    eq = rules.fj_equilibrium(org.weights, org.susceptibility, org.anchor)
    np.testing.assert_allclose(org.commitment, eq, atol=1e-8)


def test_geometric_survival_under_a_constant_hazard() -> None:
    monthly = 0.05
    data = small_scenario(
        customers=20_000,
        churn_sensitivity=0.0,
        word_of_mouth_reach=0.0,
        switching_cost=0.0,
        base_churn_per_month=monthly,
    )
    data["steps"] = 40
    model = cxsim.CXModel(data, rng=11).run()
    spells = model.customer_spells()
    first = spells[spells.start_step == 0]
    h = float(rules.per_week(monthly, 52 / 12))
    n = len(first)
    for t in (5, 20, 40):
        alive = ((first.end_step.isna()) | (first.end_step > t)).mean()
        expected = (1 - h) ** t
        se = np.sqrt(expected * (1 - expected) / n)
        assert abs(alive - expected) < 4 * se, (t, alive, expected)
