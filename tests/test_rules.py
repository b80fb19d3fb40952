"""Each rule in cxsim.rules against its formula, on scalars and arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxsim import rules


def test_per_week_matches_compounding() -> None:
    weekly = rules.per_week(0.009, 52 / 12)
    assert (1 - weekly) ** (52 / 12) == pytest.approx(1 - 0.009)
    # 0.9% a month is about 89.7% of customers kept over a year
    assert pytest.approx(0.897, abs=5e-4) == (1 - 0.009) ** 12
    assert rules.per_week(0.0, 52) == 0.0
    np.testing.assert_allclose(
        rules.per_week(np.array([0.1, 0.35]), 52), 1 - (1 - np.array([0.1, 0.35])) ** (1 / 52)
    )


def test_fj_step_is_the_formula() -> None:
    rng = np.random.default_rng(0)
    w = rng.random((5, 5))
    w /= w.sum(axis=1, keepdims=True)
    x, x0, lam = rng.random(5), rng.random(5), rng.random(5)
    expected = lam * (w @ x) + (1 - lam) * x0
    np.testing.assert_allclose(rules.fj_step(x, x0, w, lam), expected)
    np.testing.assert_allclose(rules.fj_step(x, x0, w, lam, eta=0.25), x + 0.25 * (expected - x))


def test_stubborn_member_holds_its_anchor() -> None:
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    out = rules.fj_step(np.array([0.2, 0.9]), np.array([0.7, 0.1]), w, np.array([0.0, 1.0]))
    assert out[0] == pytest.approx(0.7)
    assert out[1] == pytest.approx(0.2)


def test_empowerment_needs_an_owning_manager() -> None:
    assert rules.frontline_empowerment(0.6, 0.0) == pytest.approx(0.3)
    assert rules.frontline_empowerment(0.6, 1.0) == pytest.approx(0.6)
    assert rules.frontline_empowerment(0.0, 1.0) == 0.0


def test_invisible_quality_needs_commitment() -> None:
    assert rules.invisible_quality(0.0, 1.0) == 0.0
    assert rules.invisible_quality(0.8, 0.0) == pytest.approx(0.4)
    assert rules.invisible_quality(0.8, 1.0) == pytest.approx(0.8)


def test_visible_quality_and_interaction_quality() -> None:
    assert rules.visible_quality(0.4, 0.8) == pytest.approx(0.6)
    assert rules.interaction_quality(0.6, 0.2, 0.5) == pytest.approx(0.4)
    assert rules.interaction_quality(0.6, 0.2, 1.0) == pytest.approx(0.6)
    np.testing.assert_allclose(
        rules.interaction_quality(
            np.array([0.9, 0.1]), np.array([0.9, 0.1]), 0.5, np.array([0.5, -0.5])
        ),
        [1.0, 0.0],
    )  # clipped


def test_disconfirmation_is_asymmetric() -> None:
    n, gain, loss = 0.8, 1.0, 2.0
    assert rules.disconfirmation_satisfaction(0.5, 0.5, n, gain, loss) == pytest.approx(n)
    up = rules.disconfirmation_satisfaction(0.55, 0.5, n, gain, loss) - n
    down = n - rules.disconfirmation_satisfaction(0.45, 0.5, n, gain, loss)
    assert down == pytest.approx(2 * up)
    assert rules.disconfirmation_satisfaction(0.0, 1.0, n, gain, loss) == 0.0
    assert rules.disconfirmation_satisfaction(1.0, 0.0, n, gain, loss) == 1.0


def test_adapt_and_expectation_target() -> None:
    assert rules.adapt(0.4, 0.8, 0.25) == pytest.approx(0.5)
    no_brand = rules.expectation_target(0.5, 0.9, None, 0.2, 0.3)
    assert no_brand == pytest.approx(0.8 * 0.5 + 0.2 * 0.9)
    assert rules.expectation_target(0.5, 0.9, np.nan, 0.2, 0.3) == pytest.approx(no_brand)
    brand = rules.expectation_target(0.5, 0.9, 0.7, 0.2, 0.3)
    assert brand == pytest.approx(0.5 * 0.5 + 0.2 * 0.9 + 0.3 * 0.7)
    mixed = rules.expectation_target(np.array([0.5, 0.5]), 0.9, np.array([np.nan, 0.7]), 0.2, 0.3)
    np.testing.assert_allclose(mixed, [no_brand, brand])


def test_problems_fall_with_quality() -> None:
    p = rules.problem_probability(np.array([0.0, 0.5, 1.0]), 0.2)
    np.testing.assert_allclose(p, [0.2, 0.1, 0.0])


def test_complaint_funnel_by_severity() -> None:
    p = rules.complaint_probability(np.array([True, False]), 0.6, 0.1)
    np.testing.assert_allclose(p, [0.6, 0.1])
    # the essays' "1 complains, 14 don't" is one setting of the funnel
    share_major = 0.0
    assert rules.complaint_probability(False, 0.5, 1 / 15) * (1 - share_major) == pytest.approx(
        1 / 15
    )


def test_recovery_capability_and_probability() -> None:
    assert rules.recovery_capability(0.0, 0.0) == 0.0
    assert rules.recovery_capability(0.5, 0.5) == pytest.approx(0.75)
    assert rules.recovery_probability(0.0, 0.3, 0.95) == pytest.approx(0.3)
    assert rules.recovery_probability(1.0, 0.3, 0.95) == pytest.approx(0.95)


MINOR = (0.95, 0.70, 0.46, 0.37)
MAJOR = (0.82, 0.54, 0.19, 0.09)


def test_problem_outcome_table() -> None:
    major = np.array([False, False, False, False, True, True, True, True])
    complained = np.array([True, True, True, False, True, True, True, False])
    resolved = np.array([True, True, False, False, True, True, False, False])
    quick = np.array([True, False, False, False, True, False, False, True])
    out = rules.problem_outcome(major, complained, resolved, quick, MINOR, MAJOR)
    np.testing.assert_allclose(out, [0.95, 0.70, 0.46, 0.37, 0.82, 0.54, 0.19, 0.09])


def test_unreported_problems_cannot_be_resolved() -> None:
    out = rules.problem_outcome([False], [False], [True], [True], MINOR, MAJOR)
    assert out[0] == pytest.approx(0.37)


def test_second_failure_removes_the_recovery_paradox() -> None:
    first = rules.problem_outcome([False], [True], [True], [True], MINOR, MAJOR, cap=1.0)
    again = rules.problem_outcome([False], [True], [True], [True], MINOR, MAJOR, cap=0.8)
    assert first[0] == pytest.approx(0.95)
    assert again[0] == pytest.approx(0.8)
    # the cap does not touch unresolved outcomes
    unres = rules.problem_outcome([True], [True], [False], [False], MINOR, MAJOR, cap=0.1)
    assert unres[0] == pytest.approx(0.19)


def test_nps_score_and_definition() -> None:
    np.testing.assert_array_equal(
        rules.nps_score(np.array([0.0, 0.64, 0.65, 0.84, 0.85, 1.0])), [0, 6, 7, 8, 9, 10]
    )
    scores = np.array([10, 9, 8, 7, 6, 0, 3, 9])
    assert rules.net_promoter_score(scores) == pytest.approx(100 * (3 / 8 - 3 / 8))
    assert rules.net_promoter_score([10, 10]) == 100.0
    assert rules.net_promoter_score([0]) == -100.0
    assert math.isnan(rules.net_promoter_score([]))


def test_word_of_mouth_detractors_reach_twice() -> None:
    pos, neg = rules.word_of_mouth(np.array([100]), np.array([100]), 1000, 0.5, 2.0)
    assert pos[0] == pytest.approx(0.05)
    assert neg[0] == pytest.approx(2 * pos[0])


def test_churn_hazard_shape() -> None:
    s = np.linspace(0, 1, 11)
    h = rules.churn_hazard(s, 0.01, 5.0, 0.8, 0.0)
    assert np.all(np.diff(h) < 0)  # less satisfied, more churn
    assert rules.churn_hazard(0.8, 0.01, 5.0, 0.8, 0.0) == pytest.approx(0.01)
    damped = rules.churn_hazard(s, 0.01, 5.0, 0.8, 0.5)
    assert np.all(damped < h)
    assert rules.churn_hazard(0.8, 0.01, 5.0, 0.8, 1.0) == 0.0
    lam = rules.churn_intensity(0.5, 0.01, 5.0, 0.8, 0.3, 0.02)
    assert lam == pytest.approx(0.7 * (-math.log(0.99) * math.exp(1.5) + 0.02))
    assert rules.churn_hazard(0.5, 0.01, 5.0, 0.8, 0.3, 0.02) == pytest.approx(1 - math.exp(-lam))
    assert rules.churn_hazard(0.8, 0.01, 5.0, 0.8, 0.0, 0.1) > 0.01  # word of mouth adds


def test_funded_projects_are_whole() -> None:
    assert rules.funded_projects(1500, 2000) == 0
    assert rules.funded_projects(4000, 2000) == 2
    assert rules.funded_projects(5999, 2000) == 2
    assert rules.funded_projects(0.3 * 3, 0.3) == 3  # not lost to float rounding


def test_lifetime_value_multiple() -> None:
    r = (1 - 0.009) ** 12
    assert rules.lifetime_value_multiple(r, 0.1) == pytest.approx(r / (1.1 - r))
    assert rules.lifetime_value_multiple(0.0, 0.1) == 0.0
