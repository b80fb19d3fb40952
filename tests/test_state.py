"""State declared once, caches behind one door: recounts from scratch after every step, writes
that bypass the door, hires and new spells that follow the declarations, per-firm parameters."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cxsim
from cxsim import rules
from cxsim.customers import CUSTOMER_STATE, Customers
from cxsim.firm import PROGRAMS, FirmParameters
from cxsim.organization import OCCUPANT, SEAT, STAFF_STATE, Newcomers, Staff, StaffMember

from .conftest import ROOT, small_scenario
from .test_model import rich_scenario

# --------------------------------------------------------------------------- recount


def _recount(c: Customers) -> list[str]:
    """What differs between the customers' caches and a count from scratch of their state."""
    m, n_f = c.market, c.n_firms
    answers = np.bincount(c.firm * 11 + rules.nps_score(c.satisfaction), minlength=11 * n_f)
    base = float(rules.per_week(m.base_churn_per_month, 52 / 12))
    hazard = rules.satisfaction_hazard(
        c.satisfaction, base, m.churn_sensitivity, m.satisfaction_neutral
    )
    full = rules.churn_intensity(
        c.satisfaction, base, m.churn_sensitivity, m.satisfaction_neutral, m.switching_cost
    )
    problems = []
    if not np.array_equal(c.answers, answers.reshape(n_f, 11)):
        problems.append("NPS answer histograms")
    if not np.array_equal(c.hazard, hazard):
        problems.append("churn terms")
    if not np.allclose(rules.damped_churn_intensity(c.hazard, m.switching_cost), full, rtol=1e-15):
        problems.append("churn intensity")
    if not np.array_equal(c.counts, np.bincount(c.firm, minlength=n_f)):
        problems.append("customers per firm")
    return problems


def _stepped(model: cxsim.CXModel, steps: int) -> list[str]:
    """Step ``model`` and recount after every step; the problems found, by step."""
    found = []
    for _ in range(steps):
        model.step()
        found += [f"step {model.steps}: {what}" for what in _recount(model.customers)]
    return found


def test_caches_equal_a_recount_after_every_step_of_a_run_using_every_mechanism() -> None:
    model = cxsim.CXModel(rich_scenario(), rng=7)
    assert _recount(model.customers) == []
    start = model.customers.satisfaction.copy()
    assert _stepped(model, model.scenario.steps) == []
    # the run did exercise what moves the caches: interactions, problems, churn, hires, copying
    ts = model.timeseries()
    assert ts.churned.sum() > 0
    assert ts.problems.sum() > ts.recoveries.sum() > 0
    assert not np.array_equal(model.customers.satisfaction, start)
    org = model.organization
    assert (org.tenure_weeks < model.steps).any()  # someone was hired
    assert org.champion.any()
    assert (org.level == cxsim.Level.CCO).any()
    assert model.strategies.intensity_history[:, 1].any()  # the copier copied


class _Burnout(cxsim.CXModel):
    """A new rule that lowers satisfaction, and one that moves customers, through the door."""

    def step(self) -> None:
        super().step()
        c = self.customers
        tired = np.flatnonzero(self.rng.random(c.size) < 0.2)
        c.change(tired, satisfaction=c.satisfaction[tired] * 0.9)
        moved = np.flatnonzero(self.rng.random(c.size) < 0.05)
        c.change(moved, firm=(c.firm[moved] + 1) % len(self.firm_names))


def test_a_new_rule_that_writes_through_the_door_keeps_the_caches() -> None:
    model = _Burnout(rich_scenario(), rng=3)
    assert _stepped(model, 12) == []


# --------------------------------------------------------------------------- the door


@pytest.fixture
def customers() -> Customers:
    return cxsim.CXModel(small_scenario(), rng=1).run(3).customers


@pytest.mark.parametrize("name", ["firm", "satisfaction", "answers", "hazard"])
def test_writing_around_the_door_is_impossible(customers: Customers, name: str) -> None:
    array = getattr(customers, name)
    before = array.copy()
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        array[...] = array  # a slice assignment
    with pytest.raises(ValueError, match="read-only"):
        np.multiply(array, 1, out=array)  # an in-place ufunc
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(customers, name, np.zeros_like(array))  # rebinding
    np.testing.assert_array_equal(getattr(customers, name), before)


def test_the_door_changes_state_and_caches_together(customers: Customers) -> None:
    who = np.array([0, 5, 17])
    customers.change(who, satisfaction=np.array([0.0, 0.5, 1.0]), firm=np.array([1, 0, 1]))
    np.testing.assert_array_equal(customers.satisfaction[who], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(customers.firm[who], [1, 0, 1])
    assert _recount(customers) == []


@pytest.mark.parametrize("who", [[3, 3], [5, 2]], ids=["repeated", "unordered"])
def test_the_door_wants_distinct_ids_in_order(customers: Customers, who: list[int]) -> None:
    with pytest.raises(ValueError, match="distinct"):
        customers.change(np.array(who), satisfaction=np.array([0.1, 0.2]))


# --------------------------------------------------------------------------- declarations


def test_staff_and_customers_declare_every_per_entity_array() -> None:
    model = cxsim.CXModel(rich_scenario(), rng=2)
    org, c = model.organization, model.customers
    assert {v.name for v in STAFF_STATE} == {f.name for f in dataclasses.fields(Staff)} - {
        "ties",
        "frontline_of",
    }
    assert {v.name for v in SEAT} | {v.name for v in OCCUPANT} == {v.name for v in STAFF_STATE}
    for var in STAFF_STATE:
        array = getattr(org, var.name)
        assert array.dtype == var.dtype, var.name
        assert array.shape == (org.size,), var.name
    for var in CUSTOMER_STATE:
        array = getattr(c, var.name)
        assert array.dtype == var.dtype, var.name
        assert array.shape == (c.size,), var.name


def _odd_table(heading: str) -> str:
    odd = (ROOT / "ODD.md").read_text(encoding="utf-8")
    return odd.split(heading, 1)[1].split("\n\n", 2)[1]


@pytest.mark.parametrize(
    ("heading", "declared"),
    [("**Staff seats**", STAFF_STATE), ("**Customer**", CUSTOMER_STATE)],
    ids=["staff", "customers"],
)
def test_odd_lists_every_declared_state_variable(heading: str, declared: Any) -> None:
    rows = re.findall(r"^\| `(\w+)`", _odd_table(heading), flags=re.M)
    assert rows == [v.name for v in declared]


def test_a_hire_takes_the_declared_values_and_keeps_the_seat() -> None:
    data = rich_scenario()
    data["firms"][0]["organization"]["turnover_per_year"] = {
        "executives": 0.0,
        "managers": 0.0,
        "frontline": 1.0,  # every frontline member leaves every week
    }
    model = cxsim.CXModel(data, rng=4)
    model.run(3)
    org, params = model.organization, model.firm_params
    seats = {v.name: getattr(org, v.name).copy() for v in SEAT}
    gone = np.flatnonzero((org.firm == 0) & (org.level == cxsim.Level.FRONTLINE))
    stayed = np.flatnonzero((org.firm == 0) & (org.level == cxsim.Level.MANAGER))
    org.skill[:] = 0.99
    model._turnover(np.zeros(params.size))
    for name, values in seats.items():
        np.testing.assert_array_equal(getattr(org, name), values, err_msg=name)
    np.testing.assert_array_equal(org.tenure_weeks[gone], 0)
    assert (org.tenure_weeks[stayed] == 4).all()
    np.testing.assert_array_equal(org.skill[gone], params.initial_skill[0])
    np.testing.assert_array_equal(org.skill[stayed], 0.99)
    np.testing.assert_array_equal(org.anchor[gone], org.commitment[gone])
    champions = gone[org.champion[gone]]
    assert champions.size  # a champion's seat is filled by a champion
    np.testing.assert_array_equal(org.commitment[champions], params.champion_commitment[0])


def test_hire_sets_every_occupant_variable_from_its_rule() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1)
    org = model.organization
    seat = np.array([3, 7])
    for var in OCCUPANT:
        getattr(org, var.name)[seat] = 9
    org.hire(Newcomers(seat, org.firm[seat], np.array([0.25, 0.75]), model.firm_params))
    np.testing.assert_array_equal(org.anchor[seat], [0.25, 0.75])
    np.testing.assert_array_equal(org.commitment[seat], [0.25, 0.75])
    np.testing.assert_array_equal(org.skill[seat], 0.5)
    np.testing.assert_array_equal(org.tenure_weeks[seat], 0)


def test_staff_members_view_their_seat_as_its_occupant_changes() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1)
    org = model.organization
    agents = list(model.agents_by_type[StaffMember])
    seat = int(np.flatnonzero(org.level == cxsim.Level.CEO)[0])  # a CEO never leaves
    agent = next(a for a in agents if a.index == seat)
    model.run(2)
    assert agent.tenure_weeks == 2
    org.hire(Newcomers(np.array([seat]), org.firm[[seat]], np.array([0.123]), model.firm_params))
    assert list(model.agents_by_type[StaffMember]) == agents  # same agents, a new occupant
    assert (agent.commitment, agent.tenure_weeks) == (0.123, 0)
    with pytest.raises(AttributeError):
        agent.commitment = 0.5  # a view: the arrays are the state


def test_a_new_spell_takes_the_declared_values_and_keeps_the_expectation() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1).run(2)
    c, m = model.customers, model.scenario.market
    who = np.array([1, 4, 9])
    expectation = c.expectation[who].copy()
    budget = c.churn_budget[who].copy()
    c.start_spells(who, np.array([1, 1, 0]), 7, np.random.default_rng(0))
    np.testing.assert_array_equal(c.firm[who], [1, 1, 0])
    np.testing.assert_array_equal(c.satisfaction[who], m.satisfaction_neutral)
    np.testing.assert_array_equal(c.start_step[who], 7)
    assert not c.recovered_before[who].any()
    fresh = np.random.default_rng(0).standard_exponential(3)
    np.testing.assert_array_equal(c.churn_budget[who], fresh)
    assert not np.array_equal(c.churn_budget[who], budget)
    np.testing.assert_array_equal(c.expectation[who], expectation)
    assert _recount(c) == []


# --------------------------------------------------------------------------- per-firm parameters


def test_firm_parameters_are_read_by_name_from_the_scenario() -> None:
    scenario = cxsim.load_scenario(rich_scenario())
    p = FirmParameters.of(scenario)
    focal = scenario.firms[0]
    assert p.size == 2
    assert p.copies.tolist() == [-1, 0]
    assert p.copy_lag.tolist() == [0, 5]
    assert p.champion_budget.tolist() == [5000.0, 0.0]
    assert p.brand_promise[0] == 0.9
    assert np.isnan(p.brand_promise[1])
    for j, name in enumerate(PROGRAMS):
        program = getattr(focal.programs, name)
        assert p.program_start[0, j] == program.start_week
        assert p.program_intensity[0, j] == program.intensity
        assert p.program_cost[0, j] == program.cost_per_week
    assert np.isinf(p.program_start[1]).all()
    assert not p.program_intensity[1].any()


def test_programs_this_week_are_named_columns_of_the_history() -> None:
    model = cxsim.CXModel(rich_scenario(), rng=1)
    intensity, spend = model.strategies.programs_at(8)
    assert list(intensity) == list(PROGRAMS)
    history = model.strategies.intensity_history[-1]
    for j, name in enumerate(PROGRAMS):
        np.testing.assert_array_equal(intensity[name], history[:, j])
    assert intensity["service_tools"][0] == 0.4  # started at week 6
    assert spend.shape == (2, len(PROGRAMS))


# --------------------------------------------------------------------------- no file I/O


@pytest.mark.parametrize("path", ["scenarios/ceo_led.yaml", ROOT / "scenarios" / "ceo_led.yaml"])
def test_the_model_reads_no_files(path: str | Path) -> None:
    with pytest.raises(TypeError, match=r"cxsim\.load_scenario\(path\)"):
        cxsim.CXModel(path, rng=1)


def test_the_model_takes_a_scenario_or_a_dict_only() -> None:
    data = small_scenario()
    a = cxsim.CXModel(data, rng=1)
    b = cxsim.CXModel(cxsim.load_scenario(data), rng=1)
    assert a.scenario == b.scenario
    with pytest.raises(TypeError, match="not list"):
        cxsim.CXModel([data], rng=1)
    with pytest.raises(cxsim.ScenarioError, match="firms"):
        cxsim.CXModel({"firms": []}, rng=1)
