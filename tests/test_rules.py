"""Each rule in cxsim.rules against its formula, on scalars and arrays, with edge cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from cxsim import rules
from cxsim.schema import OutcomeLevels

RNG_SEED = 20240601


# --------------------------------------------------------------------------- coverage


def test_every_rule_has_a_test_here() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in rules.__all__ if f"rules.{name}(" not in text]
    assert not untested, f"rules without a test in {Path(__file__).name}: {untested}"


# --------------------------------------------------------------------------- time


def test_per_week_matches_compounding() -> None:
    weekly = rules.per_week(0.009, 52 / 12)
    assert (1 - weekly) ** (52 / 12) == pytest.approx(1 - 0.009)
    assert weekly == pytest.approx(0.002084, abs=1e-6)  # about 0.208% a week


def test_per_week_point_nine_percent_a_month_keeps_89_7_percent_a_year() -> None:
    weekly = rules.per_week(0.009, 52 / 12)
    assert (1 - weekly) ** 52 == pytest.approx(0.897, abs=5e-4)


def test_per_week_edges_and_arrays() -> None:
    assert rules.per_week(0.0, 52) == 0.0
    assert rules.per_week(1.0, 52) == 1.0
    assert rules.per_week(0.3, 1) == pytest.approx(0.3)  # a week is one week
    rates = np.array([0.0, 0.1, 0.35, 0.9])
    out = rules.per_week(rates, 52)
    assert out.shape == rates.shape
    np.testing.assert_allclose(out, 1 - (1 - rates) ** (1 / 52))
    assert np.all(np.diff(out) > 0)
    assert np.all(out <= rates)  # a week's risk is below a year's


# --------------------------------------------------------------------------- culture


def _row_stochastic(n: int, seed: int) -> np.ndarray:
    w = np.random.default_rng(seed).random((n, n))
    return w / w.sum(axis=1, keepdims=True)


def test_fj_step_is_the_formula() -> None:
    rng = np.random.default_rng(RNG_SEED)
    w = _row_stochastic(5, 0)
    x, x0, lam = rng.random(5), rng.random(5), rng.random(5)
    expected = lam * (w @ x) + (1 - lam) * x0
    np.testing.assert_allclose(rules.fj_step(x, x0, w, lam), expected)
    np.testing.assert_allclose(rules.fj_step(x, x0, w, lam, eta=0.25), x + 0.25 * (expected - x))
    np.testing.assert_array_equal(rules.fj_step(x, x0, w, lam, eta=0.0), x)


def test_fj_step_sparse_equals_dense() -> None:
    rng = np.random.default_rng(RNG_SEED)
    w = _row_stochastic(8, 1)
    x, x0, lam = rng.random(8), rng.random(8), rng.random(8)
    np.testing.assert_allclose(
        rules.fj_step(x, x0, sp.csr_matrix(w), lam, 0.4), rules.fj_step(x, x0, w, lam, 0.4)
    )


def test_fj_step_takes_w_as_a_function_applying_it() -> None:
    # an organization passes W as its factored operator x -> W x (Staff.influence)
    rng = np.random.default_rng(RNG_SEED)
    w = _row_stochastic(8, 1)
    x, x0, lam = rng.random(8), rng.random(8), rng.random(8)
    calls: list[np.ndarray] = []

    def apply(v: np.ndarray) -> np.ndarray:
        calls.append(v)
        return w @ v

    np.testing.assert_allclose(
        rules.fj_step(x, x0, apply, lam, 0.4), rules.fj_step(x, x0, w, lam, 0.4), rtol=1e-15
    )
    assert len(calls) == 1
    assert calls[0] is x


def test_stubborn_member_holds_its_anchor_and_full_susceptibility_forgets_it() -> None:
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    out = rules.fj_step(np.array([0.2, 0.9]), np.array([0.7, 0.1]), w, np.array([0.0, 1.0]))
    assert out[0] == pytest.approx(0.7)  # lam = 0: back to its own anchor
    assert out[1] == pytest.approx(0.2)  # lam = 1: copies its only neighbour


def test_fj_equilibrium_two_nodes_closed_form() -> None:
    # x1 = x0_1 (stubborn); x2 = lam x1 + (1 - lam) x0_2
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    lam = np.array([0.0, 0.6])
    eq = rules.fj_equilibrium(w, lam, np.array([0.9, 0.2]))
    np.testing.assert_allclose(eq, [0.9, 0.6 * 0.9 + 0.4 * 0.2])
    # it is a fixed point of fj_step
    np.testing.assert_allclose(rules.fj_step(eq, np.array([0.9, 0.2]), w, lam), eq)


def test_fj_equilibrium_all_stubborn_is_the_anchor() -> None:
    x0 = np.array([0.1, 0.5, 0.8])
    eq = rules.fj_equilibrium(sp.csr_matrix(_row_stochastic(3, 2)), np.zeros(3), x0)
    np.testing.assert_allclose(eq, x0)


def test_supported_is_one_minus_share_plus_share_times_support() -> None:
    # 1 − a + a s, on scalars and arrays
    assert rules.supported(0.5, 0.2) == pytest.approx(0.6)
    assert rules.supported(0.3, 0.0) == pytest.approx(0.7)
    np.testing.assert_allclose(
        rules.supported(0.25, np.array([0.0, 0.4, 1.0])), [0.75, 0.85, 1.0], rtol=1e-15
    )
    support = np.array([0.0, 0.1, 0.55, 1.0])
    # a = 0: no dependence on the support; a = 1: all of it; s = 1: the whole effect
    np.testing.assert_array_equal(rules.supported(0.0, support), np.ones(4))
    np.testing.assert_allclose(rules.supported(1.0, support), support, rtol=0, atol=1e-15)
    for a in (0.0, 0.2, 0.7, 1.0):
        assert rules.supported(a, 1.0) == pytest.approx(1.0)
        assert rules.supported(a, 0.0) == pytest.approx(1.0 - a)


def test_empowerment_needs_an_owning_manager() -> None:
    assert rules.frontline_empowerment(0.6, 0.0) == pytest.approx(0.3)
    assert rules.frontline_empowerment(0.6, 1.0) == pytest.approx(0.6)
    assert rules.frontline_empowerment(0.0, 1.0) == 0.0
    np.testing.assert_allclose(
        rules.frontline_empowerment(np.array([1.0, 0.4]), np.array([0.5, 0.5])), [0.75, 0.3]
    )


def test_invisible_quality_needs_commitment() -> None:
    assert rules.invisible_quality(0.0, 1.0) == 0.0
    assert rules.invisible_quality(0.8, 0.0) == pytest.approx(0.4)
    assert rules.invisible_quality(0.8, 1.0) == pytest.approx(0.8)
    np.testing.assert_allclose(
        rules.invisible_quality(np.array([0.2, 1.0]), np.array([0.5, 0.5])), [0.15, 0.75]
    )


def test_visible_quality_is_the_mean_of_design_and_skill() -> None:
    assert rules.visible_quality(0.4, 0.8) == pytest.approx(0.6)
    np.testing.assert_allclose(
        rules.visible_quality(np.array([0.0, 1.0, 0.3]), np.array([1.0, 1.0, 0.1])),
        [0.5, 1.0, 0.2],
    )


def test_empowerment_support_weight_is_the_share_that_needs_the_manager() -> None:
    # policy (1 − a + a m)
    assert rules.frontline_empowerment(0.8, 0.25, support_weight=0.4) == pytest.approx(
        0.8 * (0.6 + 0.4 * 0.25)
    )
    m = np.array([0.0, 0.3, 1.0])
    np.testing.assert_allclose(rules.frontline_empowerment(0.6, m, support_weight=0.0), 0.6)
    np.testing.assert_allclose(rules.frontline_empowerment(0.6, m, support_weight=1.0), 0.6 * m)
    assert rules.frontline_empowerment(0.6, 0.0, 0.5) == rules.frontline_empowerment(0.6, 0.0)


def test_invisible_quality_empowerment_weight_is_the_share_that_needs_empowerment() -> None:
    # c (1 − w + w e)
    assert rules.invisible_quality(0.9, 0.5, empowerment_weight=0.2) == pytest.approx(
        0.9 * (0.8 + 0.2 * 0.5)
    )
    e = np.array([0.0, 0.4, 1.0])
    np.testing.assert_allclose(rules.invisible_quality(0.7, e, empowerment_weight=0.0), 0.7)
    np.testing.assert_allclose(rules.invisible_quality(0.7, e, empowerment_weight=1.0), 0.7 * e)
    # commitment stays necessary whatever the weight
    for w in (0.0, 0.5, 1.0):
        assert rules.invisible_quality(0.0, 1.0, empowerment_weight=w) == 0.0


def test_visible_quality_skill_weight_mixes_design_and_skill() -> None:
    # (1 − k) design + k skill
    assert rules.visible_quality(0.2, 0.9, skill_weight=0.3) == pytest.approx(0.7 * 0.2 + 0.3 * 0.9)
    design, skill = np.array([0.1, 0.5, 0.9]), np.array([0.8, 0.2, 0.4])
    np.testing.assert_allclose(rules.visible_quality(design, skill, skill_weight=0.0), design)
    np.testing.assert_allclose(rules.visible_quality(design, skill, skill_weight=1.0), skill)
    np.testing.assert_allclose(
        rules.visible_quality(design, skill, 0.5), rules.visible_quality(design, skill)
    )


def test_interaction_quality_weights_and_clips() -> None:
    assert rules.interaction_quality(0.6, 0.2, 0.5) == pytest.approx(0.4)
    assert rules.interaction_quality(0.6, 0.2, 1.0) == pytest.approx(0.6)
    assert rules.interaction_quality(0.6, 0.2, 0.0) == pytest.approx(0.2)
    assert rules.interaction_quality(0.6, 0.2, 0.25, 0.1) == pytest.approx(0.25 * 0.6 + 0.15 + 0.1)
    np.testing.assert_allclose(
        rules.interaction_quality(
            np.array([0.9, 0.1]), np.array([0.9, 0.1]), 0.5, np.array([0.5, -0.5])
        ),
        [1.0, 0.0],
    )


# --------------------------------------------------------------------------- customers


def test_adapt_moves_a_share_of_the_gap() -> None:
    assert rules.adapt(0.4, 0.8, 0.25) == pytest.approx(0.5)
    assert rules.adapt(0.4, 0.8, 0.0) == pytest.approx(0.4)
    assert rules.adapt(0.4, 0.8, 1.0) == pytest.approx(0.8)
    np.testing.assert_allclose(
        rules.adapt(np.array([0.0, 1.0]), np.array([1.0, 0.0]), 0.1), [0.1, 0.9]
    )


def test_expectation_target_without_a_brand_promise() -> None:
    no_brand = rules.expectation_target(0.5, 0.9, None, 0.2, 0.3)
    assert no_brand == pytest.approx(0.8 * 0.5 + 0.2 * 0.9)
    assert rules.expectation_target(0.5, 0.9, np.nan, 0.2, 0.3) == pytest.approx(no_brand)
    assert rules.expectation_target(0.5, 0.9, float("nan"), 0.2, 0.3) == pytest.approx(no_brand)
    # no promise and no market pull: the target is what was experienced
    assert rules.expectation_target(0.37, 0.9, None, 0.0, 0.3) == pytest.approx(0.37)


def test_expectation_target_with_a_brand_promise() -> None:
    brand = rules.expectation_target(0.5, 0.9, 0.7, 0.2, 0.3)
    assert brand == pytest.approx(0.5 * 0.5 + 0.2 * 0.9 + 0.3 * 0.7)
    # a promise of 0 is a promise (it pulls down), not "no promise"
    zero = rules.expectation_target(0.5, 0.9, 0.0, 0.2, 0.3)
    assert zero == pytest.approx(0.5 * 0.5 + 0.2 * 0.9)
    no_brand = rules.expectation_target(0.5, 0.9, None, 0.2, 0.3)
    assert zero < no_brand
    mixed = rules.expectation_target(np.array([0.5, 0.5]), 0.9, np.array([np.nan, 0.7]), 0.2, 0.3)
    np.testing.assert_allclose(mixed, [no_brand, brand])


def test_disconfirmation_meets_expectation_at_neutral() -> None:
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(rules.disconfirmation_satisfaction(q, q, 0.8, 1.0, 2.0), 0.8)


@pytest.mark.parametrize(("gain", "loss"), [(1.0, 2.0), (0.5, 2.0), (1.0, 1.0), (0.8, 3.5)])
def test_disconfirmation_shortfall_hurts_loss_over_gain_times_more(
    gain: float, loss: float
) -> None:
    n = 0.6
    d = np.array([0.01, 0.05, 0.1])
    e = 0.5
    up = rules.disconfirmation_satisfaction(e + d, e, n, gain, loss) - n
    down = n - rules.disconfirmation_satisfaction(e - d, e, n, gain, loss)
    np.testing.assert_allclose(up, gain * d)
    np.testing.assert_allclose(down, loss * d)
    np.testing.assert_allclose(down / up, loss / gain)


def test_disconfirmation_is_clipped_to_the_unit_interval() -> None:
    n, gain, loss = 0.8, 1.0, 2.0
    assert rules.disconfirmation_satisfaction(0.0, 1.0, n, gain, loss) == 0.0
    assert rules.disconfirmation_satisfaction(1.0, 0.0, n, gain, loss) == 1.0
    s = rules.disconfirmation_satisfaction(
        np.random.default_rng(RNG_SEED).random(1000), 0.5, n, 5.0, 9.0
    )
    assert s.min() >= 0.0
    assert s.max() <= 1.0


def test_problems_fall_with_quality() -> None:
    p = rules.problem_probability(np.array([0.0, 0.5, 1.0]), 0.2)
    np.testing.assert_allclose(p, [0.2, 0.1, 0.0])
    assert rules.problem_probability(0.3, 0.0) == 0.0
    q = np.linspace(0, 1, 21)
    assert np.all(np.diff(rules.problem_probability(q, 0.12)) < 0)


def test_complaint_funnel_by_severity() -> None:
    p = rules.complaint_probability(np.array([True, False, True]), 0.6, 0.1)
    np.testing.assert_allclose(p, [0.6, 0.1, 0.6])
    assert rules.complaint_probability(True, 0.6, 0.1) == pytest.approx(0.6)
    assert rules.complaint_probability(False, 0.6, 0.1) == pytest.approx(0.1)
    # ints are severities too (nonzero = major)
    np.testing.assert_allclose(rules.complaint_probability(np.array([1, 0]), 0.6, 0.1), [0.6, 0.1])


def test_complaint_funnel_one_complains_fourteen_do_not() -> None:
    # the essays' "1 complains, 14 don't" is one setting of the funnel, not a constant:
    # overall complaint share = share_major * rate_major + (1 - share_major) * rate_minor
    share_major, rate_major = 0.02, 0.3
    rate_minor = (1 / 15 - share_major * rate_major) / (1 - share_major)
    major = np.r_[np.ones(2, dtype=bool), np.zeros(98, dtype=bool)]
    overall = rules.complaint_probability(major, rate_major, rate_minor).mean()
    assert overall == pytest.approx(1 / 15)


def test_recovery_capability_is_empowerment_or_tools() -> None:
    assert rules.recovery_capability(0.0, 0.0) == 0.0
    assert rules.recovery_capability(0.5, 0.5) == pytest.approx(0.75)
    assert rules.recovery_capability(1.0, 0.0) == 1.0
    assert rules.recovery_capability(0.0, 1.0) == 1.0
    e, t = np.array([0.2, 0.7]), np.array([0.4, 0.1])
    np.testing.assert_allclose(rules.recovery_capability(e, t), rules.recovery_capability(t, e))
    np.testing.assert_allclose(rules.recovery_capability(e, t), [1 - 0.8 * 0.6, 1 - 0.3 * 0.9])


def test_recovery_probability_interpolates_base_to_best() -> None:
    assert rules.recovery_probability(0.0, 0.3, 0.95) == pytest.approx(0.3)
    assert rules.recovery_probability(1.0, 0.3, 0.95) == pytest.approx(0.95)
    np.testing.assert_allclose(
        rules.recovery_probability(np.array([0.0, 0.5, 1.0]), 0.2, 0.8), [0.2, 0.5, 0.8]
    )


MINOR = dict(zip(rules.OUTCOME_PATHS, (0.95, 0.70, 0.46, 0.37), strict=True))
MAJOR = dict(zip(rules.OUTCOME_PATHS, (0.82, 0.54, 0.19, 0.09), strict=True))


def test_outcome_paths_are_the_schemas_outcome_levels() -> None:
    # the model passes ``market.outcome_minor.model_dump()``: a level is found by its name
    assert set(rules.OUTCOME_PATHS) == set(OutcomeLevels.model_fields)


def test_problem_outcome_reads_levels_by_name_not_position() -> None:
    shuffled = {name: MINOR[name] for name in reversed(rules.OUTCOME_PATHS)}
    args = ([False] * 4, [True, True, True, False], [True, True, False, False])
    quick = [True, False, False, False]
    out = rules.problem_outcome(*args, quick, shuffled, MAJOR)
    np.testing.assert_allclose(out, [0.95, 0.70, 0.46, 0.37])
    missing = {name: level for name, level in MINOR.items() if name != "did_not_complain"}
    with pytest.raises(KeyError, match="did_not_complain"):
        rules.problem_outcome(*args, quick, missing, MAJOR)


def test_problem_path() -> None:
    # a resolution without a complaint, or a quick one without a resolution, cannot happen
    complained = [False, True, True, True, False, True]
    resolved = [False, True, True, False, True, False]
    quick = [False, True, False, False, True, True]
    names = [rules.OUTCOME_PATHS[i] for i in rules.problem_path(complained, resolved, quick)]
    assert names == [
        "did_not_complain", "resolved_quickly", "resolved", "not_resolved",
        "did_not_complain", "not_resolved",
    ]  # fmt: skip


def test_problem_outcome_table() -> None:
    major = np.array([False, False, False, False, True, True, True, True])
    complained = np.array([True, True, True, False, True, True, True, False])
    resolved = np.array([True, True, False, False, True, True, False, False])
    quick = np.array([True, False, False, False, True, False, False, False])
    out = rules.problem_outcome(major, complained, resolved, quick, MINOR, MAJOR)
    np.testing.assert_allclose(out, [0.95, 0.70, 0.46, 0.37, 0.82, 0.54, 0.19, 0.09])


@pytest.mark.parametrize("major", [False, True])
def test_problem_outcome_scalars(major: bool) -> None:
    levels = MAJOR if major else MINOR
    paths = [
        ((True, True, True), levels["resolved_quickly"]),
        ((True, True, False), levels["resolved"]),
        ((True, False, False), levels["not_resolved"]),
        ((False, False, False), levels["did_not_complain"]),
    ]
    for (complained, resolved, quick), level in paths:
        out = rules.problem_outcome(major, complained, resolved, quick, MINOR, MAJOR)
        assert float(out) == pytest.approx(level)


def test_unreported_problems_cannot_be_resolved() -> None:
    out = rules.problem_outcome(
        [False, True], [False, False], [True, True], [True, True], MINOR, MAJOR
    )
    np.testing.assert_allclose(out, [0.37, 0.09])


def test_quick_needs_resolved() -> None:
    out = rules.problem_outcome(
        [False, True], [True, True], [False, False], [True, True], MINOR, MAJOR
    )
    np.testing.assert_allclose(out, [0.46, 0.19])


def test_a_recovered_complainer_beats_a_silent_one() -> None:
    # the recovery paradox in the TARP table: resolved > did not complain, for both severities
    for levels in (MINOR, MAJOR):
        quickly, resolved, unresolved, silent = (levels[name] for name in rules.OUTCOME_PATHS)
        assert quickly > resolved > unresolved > silent


def test_second_failure_removes_the_recovery_paradox() -> None:
    first = rules.problem_outcome([False], [True], [True], [True], MINOR, MAJOR, cap=1.0)
    again = rules.problem_outcome([False], [True], [True], [True], MINOR, MAJOR, cap=0.8)
    assert first[0] == pytest.approx(0.95)
    assert again[0] == pytest.approx(0.8)
    # the cap does not touch unresolved or silent outcomes
    unres = rules.problem_outcome(
        [True, True], [True, False], [False, False], [False, False], MINOR, MAJOR, cap=0.01
    )
    np.testing.assert_allclose(unres, [0.19, 0.09])
    # a cap above the level changes nothing
    loose = rules.problem_outcome([False], [True], [True], [False], MINOR, MAJOR, cap=0.9)
    assert loose[0] == pytest.approx(0.70)


def test_problem_outcome_cap_per_customer() -> None:
    n = 4
    out = rules.problem_outcome(
        np.zeros(n, dtype=bool),
        np.ones(n, dtype=bool),
        np.ones(n, dtype=bool),
        np.ones(n, dtype=bool),
        MINOR,
        MAJOR,
        cap=np.array([1.0, 0.8, 1.0, 0.5]),
    )
    np.testing.assert_allclose(out, [0.95, 0.8, 0.95, 0.5])


def test_nps_score_buckets() -> None:
    np.testing.assert_array_equal(
        rules.nps_score(np.array([0.0, 0.04, 0.05, 0.64, 0.65, 0.84, 0.85, 1.0])),
        [0, 0, 1, 6, 7, 8, 9, 10],
    )
    assert rules.nps_score(0.9) == 9
    scores = rules.nps_score(np.random.default_rng(RNG_SEED).random(1000))
    assert scores.min() >= 0
    assert scores.max() <= 10


def test_net_promoter_score_definition() -> None:
    scores = np.array([10, 9, 8, 7, 6, 0, 3, 9])
    assert rules.net_promoter_score(scores) == pytest.approx(100 * (3 / 8 - 3 / 8))
    assert rules.net_promoter_score([10, 9, 9, 7]) == pytest.approx(75.0)
    assert rules.net_promoter_score([8, 7]) == 0.0  # passives count in the denominator only
    assert rules.net_promoter_score([6, 8, 9, 10]) == pytest.approx(25.0)  # 6 is a detractor
    assert rules.net_promoter_score([10, 10]) == 100.0
    assert rules.net_promoter_score([0]) == -100.0
    assert math.isnan(rules.net_promoter_score([]))


def test_net_promoter_score_agrees_with_a_count() -> None:
    scores = np.random.default_rng(RNG_SEED).integers(0, 11, 997)
    promoters = sum(1 for s in scores if s in (9, 10))
    detractors = sum(1 for s in scores if s <= 6)
    assert rules.net_promoter_score(scores) == pytest.approx(
        100 * (promoters - detractors) / len(scores)
    )


def test_word_of_mouth_detractors_reach_ratio_times_more() -> None:
    pos, neg = rules.word_of_mouth(np.array([100]), np.array([100]), 1000, 0.5, 2.0)
    assert pos[0] == pytest.approx(0.05)
    assert neg[0] == pytest.approx(2 * pos[0])
    pos, neg = rules.word_of_mouth(np.array([30, 0]), np.array([10, 40]), 200, 1.5, 3.0)
    np.testing.assert_allclose(pos, [1.5 * 30 / 200, 0.0])
    np.testing.assert_allclose(neg, [1.5 * 3 * 10 / 200, 1.5 * 3 * 40 / 200])
    pos, neg = rules.word_of_mouth(50, 50, 100, 0.0, 2.0)
    assert pos == 0.0
    assert neg == 0.0


def test_churn_hazard_is_base_at_neutral() -> None:
    assert rules.churn_hazard(0.8, 0.01, 5.0, 0.8, 0.0) == pytest.approx(0.01)
    assert rules.churn_intensity(0.8, 0.01, 5.0, 0.8, 0.0) == pytest.approx(-math.log(0.99))


def test_churn_hazard_falls_as_satisfaction_rises() -> None:
    s = np.linspace(0, 1, 21)
    h = rules.churn_hazard(s, 0.01, 5.0, 0.8, 0.0)
    assert np.all(np.diff(h) < 0)  # less satisfied, more churn
    assert np.all((h > 0) & (h < 1))


def test_churn_hazard_without_sensitivity_is_constant() -> None:
    s = np.linspace(0, 1, 11)
    np.testing.assert_allclose(rules.churn_hazard(s, 0.02, 0.0, 0.8, 0.0), 0.02)


@pytest.mark.parametrize("satisfaction", [0.1, 0.5, 0.8, 1.0])
def test_switching_cost_damps_the_hazard(satisfaction: float) -> None:
    costs = np.linspace(0, 1, 11)
    h = np.array([rules.churn_hazard(satisfaction, 0.01, 5.0, 0.8, c, 0.05) for c in costs])
    assert np.all(np.diff(h) < 0)
    assert h[-1] == 0.0  # prohibitive switching cost: nobody leaves
    lam0 = rules.churn_intensity(satisfaction, 0.01, 5.0, 0.8, 0.0, 0.05)
    lam = rules.churn_intensity(satisfaction, 0.01, 5.0, 0.8, 0.4, 0.05)
    assert lam == pytest.approx(0.6 * lam0)


def test_satisfaction_hazard_is_the_undamped_intensity_without_word_of_mouth() -> None:
    s = np.array([0.0, 0.5, 0.8, 1.0])
    h = rules.satisfaction_hazard(s, 0.01, 5.0, 0.8)
    np.testing.assert_allclose(h, -math.log(0.99) * np.exp(5.0 * (0.8 - s)), rtol=1e-15)
    np.testing.assert_array_equal(h, rules.churn_intensity(s, 0.01, 5.0, 0.8, 0.0))
    assert rules.satisfaction_hazard(0.8, 0.01, 5.0, 0.8) == pytest.approx(-math.log(0.99))


def test_damped_churn_intensity_composes_to_churn_intensity() -> None:
    s, pull = np.array([0.2, 0.6, 0.9]), np.array([0.0, 0.03, 0.1])
    h = rules.satisfaction_hazard(s, 0.02, 4.0, 0.8)
    lam = rules.damped_churn_intensity(h, 0.3, pull)
    np.testing.assert_allclose(lam, 0.7 * (h + pull), rtol=1e-15)
    np.testing.assert_array_equal(lam, rules.churn_intensity(s, 0.02, 4.0, 0.8, 0.3, pull))
    assert rules.damped_churn_intensity(0.5, 1.0, 0.2) == 0.0  # prohibitive switching cost


def test_churn_intensity_formula_and_word_of_mouth() -> None:
    lam = rules.churn_intensity(0.5, 0.01, 5.0, 0.8, 0.3, 0.02)
    assert lam == pytest.approx(0.7 * (-math.log(0.99) * math.exp(1.5) + 0.02))
    assert rules.churn_hazard(0.5, 0.01, 5.0, 0.8, 0.3, 0.02) == pytest.approx(1 - math.exp(-lam))
    assert rules.churn_hazard(0.8, 0.01, 5.0, 0.8, 0.0, 0.1) > 0.01  # word of mouth adds
    pull = np.array([0.0, 0.1, 0.3])
    h = rules.churn_hazard(np.full(3, 0.8), 0.01, 5.0, 0.8, 0.0, pull)
    assert np.all(np.diff(h) > 0)


def test_defection_intensity_leaves_with_the_acted_on_share_of_the_intention() -> None:
    # −ln(1 − δ (1 − level)): the probability of leaving over it is δ (1 − level)
    assert rules.defection_intensity(0.19, 0.3) == pytest.approx(-math.log(1 - 0.3 * 0.81))
    levels = np.array([0.09, 0.37, 0.54, 0.95])
    for delta in (0.1, 0.3, 1.0):
        lam = rules.defection_intensity(levels, delta)
        np.testing.assert_allclose(1 - np.exp(-lam), delta * (1 - levels), rtol=1e-12)
    # nothing acted on, or nothing to act on: no intensity
    np.testing.assert_array_equal(rules.defection_intensity(levels, 0.0), 0.0)
    assert rules.defection_intensity(1.0, 1.0) == 0.0
    # a certain departure is a large, finite intensity (the probability is capped below 1)
    sure = rules.defection_intensity(0.0, 1.0)
    assert np.isfinite(sure)
    assert 1 - math.exp(-sure) == pytest.approx(1.0, abs=1e-11)
    assert sure > rules.defection_intensity(0.01, 1.0)


def test_churn_hazard_is_a_probability_even_when_extreme() -> None:
    h = rules.churn_hazard(np.array([0.0, 1.0]), 0.5, 30.0, 1.0, 0.0, 10.0)
    assert np.all((h >= 0) & (h <= 1))
    assert h[0] == pytest.approx(1.0)


def test_funded_projects_are_whole() -> None:
    assert rules.funded_projects(0, 2000) == 0
    assert rules.funded_projects(1500, 2000) == 0
    assert rules.funded_projects(1999.99, 2000) == 0
    assert rules.funded_projects(2000, 2000) == 1
    assert rules.funded_projects(4000, 2000) == 2
    assert rules.funded_projects(5999, 2000) == 2
    assert rules.funded_projects(0.3 * 3, 0.3) == 3  # not lost to float rounding
    assert isinstance(rules.funded_projects(4000, 2000), int)


def test_lifetime_value_multiple() -> None:
    assert rules.lifetime_value_multiple(0.9, 0.1) == pytest.approx(4.5)
    assert rules.lifetime_value_multiple(0.5, 0.0) == pytest.approx(1.0)
    assert rules.lifetime_value_multiple(0.0, 0.1) == 0.0
    r = (1 - 0.009) ** 12
    assert rules.lifetime_value_multiple(r, 0.1) == pytest.approx(r / (1.1 - r))
    rs = np.array([0.5, 0.6, 0.7, 0.8, 0.9])
    out = rules.lifetime_value_multiple(rs, 0.1)
    np.testing.assert_allclose(out, rs / (1.1 - rs))
    assert np.all(np.diff(out) > 0)  # retention is worth more than linearly
    assert np.all(np.diff(np.diff(out)) > 0)
    assert rules.lifetime_value_multiple(0.9, 0.2) < rules.lifetime_value_multiple(0.9, 0.1)
