"""Loading scenarios: defaults, YAML 1.2, overrides, and one clear line for every bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cxsim
from cxsim import ScenarioError, apply_overrides, load_scenario
from cxsim.scenario import parse_value
from cxsim.schema import CCO, Firm, Market, Organization, Scenario

from .conftest import ROOT, small_scenario, write_yaml

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
if not SHIPPED:  # an empty glob would make the parametrized test below pass by skipping
    pytest.fail(f"no scenario files found: {ROOT / 'scenarios' / '*.yaml'}", pytrace=False)

TWO_FIRMS: dict[str, Any] = {"firms": [{"name": "A"}, {"name": "B"}]}


# --------------------------------------------------------------------------- shipped files


def test_the_required_scenarios_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    required = {
        "cco_only",
        "ceo_led",
        "invisible_war",
        "service_only",
        "foundational",
        "transformational",
        "boardroom",
        "diagonal",
        "eras",
    }
    assert required <= names, f"missing: {sorted(required - names)}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_runs_and_explains_itself(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = text.split("\nname:", 1)[0]
    assert header.lstrip().startswith("#"), f"{path.name} does not open with comments"
    for word in ("Represents:", "Tests:", "Look at:"):
        assert word in header, f"{path.name} header lacks {word!r}"
    scenario = load_scenario(path)
    assert len(scenario.firms) >= 2
    small = apply_overrides(scenario, {"market.customers": 500, "steps": 4})
    model = cxsim.CXModel(small, rng=1).run()
    ts = model.timeseries()
    assert len(ts) == 4 * len(scenario.firms)
    assert (ts.groupby("step").customers.sum() == 500).all()


def test_headline_files_share_market_and_rival() -> None:
    files = ["cco_only", "ceo_led", "invisible_war"]
    loaded = {f: load_scenario(ROOT / "scenarios" / f"{f}.yaml") for f in files}
    markets = {f: s.market for f, s in loaded.items()}
    assert markets["cco_only"] == markets["ceo_led"] == markets["invisible_war"]
    assert {s.steps for s in loaded.values()} == {loaded["ceo_led"].steps}
    rival = loaded["cco_only"].firms[1]
    assert loaded["ceo_led"].firms[1] == rival
    copier = loaded["invisible_war"].firms[1]
    assert copier.copies is not None
    assert copier.copies.firm == loaded["invisible_war"].firms[0].name
    assert copier.model_copy(update={"copies": None}) == rival
    assert loaded["invisible_war"].firms[0] == loaded["ceo_led"].firms[0]
    assert loaded["cco_only"].firms[0].cco is not None


# --------------------------------------------------------------------------- loading


def test_defaults_from_a_dict_are_the_schema_defaults() -> None:
    s = load_scenario(TWO_FIRMS)
    assert isinstance(s, Scenario)
    assert s.steps == Scenario.model_fields["steps"].default
    assert s.market == Market()
    assert s.firms[0] == Firm(name="A")
    assert s.firms[0].organization == Organization()
    assert s.firms[0].cco is None
    assert s.firms[0].copies is None
    assert s.firms[0].brand_promise is None
    assert all(
        getattr(s.firms[0].programs, p) is None for p in type(s.firms[0].programs).model_fields
    )
    assert load_scenario(s) is s  # a Scenario passes through


def test_a_file_and_its_dict_give_the_same_scenario(tmp_path: Path) -> None:
    data = small_scenario()
    before = repr(data)
    from_dict = load_scenario(data)
    assert repr(data) == before  # the dict is not mutated
    path = write_yaml(tmp_path / "s.yaml", data)
    assert load_scenario(path) == from_dict
    assert load_scenario(str(path)) == from_dict  # a str path works too
    assert from_dict.firms[0].leadership.ceo_commitment == 0.9
    assert from_dict.market.customers == 600


def test_yaml_1_2_semantics(tmp_path: Path) -> None:
    path = tmp_path / "y.yaml"
    path.write_text(
        "name: off\n"
        "steps: 010\n"
        "market:\n"
        "  customers: 1e3\n"
        "  quality_noise: 1e-3\n"
        "firms:\n"
        "  - name: no\n"
        "    brand_promise: ~\n"
        "  - name: yes\n"
        "  - name: on\n"
    )
    s = load_scenario(path)
    assert s.market.quality_noise == pytest.approx(0.001)  # PyYAML would read a string
    assert s.market.customers == 1000
    assert [f.name for f in s.firms] == ["no", "yes", "on"]  # not booleans
    assert s.name == "off"
    assert s.steps == 10  # YAML 1.1 would read octal 8
    assert s.firms[0].brand_promise is None


def test_parse_value_is_yaml_1_2() -> None:
    assert parse_value("1e-3") == pytest.approx(0.001)
    assert isinstance(parse_value("1e-3"), float)
    assert parse_value("no") == "no"
    assert parse_value("0.5") == 0.5
    assert parse_value("null") is None
    assert parse_value("[1, 2]") == [1, 2]


# --------------------------------------------------------------------------- errors


def _error(tmp_path: Path, text: str, name: str = "bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert message.strip() == message
    return message


def _line_of(text: str, fragment: str) -> int:
    """1-based line of the first line of ``text`` that contains ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


REALISTIC = """\
# A scenario with comments above, as the shipped files have.
# Represents: a test.
name: t
steps: 20
market:
  customers: 1000
  # the usual churn
  base_churn_per_month: 0.01
firms:
  - name: Focal
    empowerment_policy: 0.5
    leadership:
      ceo_commitment: {ceo}
    programs:
      journey_mapping: {{start_week: 0, intensity: 0.5}}
  - name: Rival
    organization:
      team_size: {team}
"""


def test_out_of_bounds_names_file_line_and_key_path(tmp_path: Path) -> None:
    text = REALISTIC.format(ceo=1.5, team=10)
    assert _line_of(text, "ceo_commitment") == 13
    msg = _error(tmp_path, text, "x.yaml")
    assert msg == "x.yaml:13: firms.0.leadership.ceo_commitment: must be <= 1, got 1.5"


def test_out_of_bounds_in_a_later_firm(tmp_path: Path) -> None:
    text = REALISTIC.format(ceo=0.5, team=0)
    msg = _error(tmp_path, text, "ceo_led.yaml")
    line = _line_of(text, "team_size")
    assert msg == f"ceo_led.yaml:{line}: firms.1.organization.team_size: must be >= 1, got 0"


def test_out_of_bounds_below(tmp_path: Path) -> None:
    msg = _error(tmp_path, "steps: 0\nfirms: [{name: A}, {name: B}]\n")
    assert msg == "bad.yaml:1: steps: must be >= 1, got 0"


BASE = """\
name: t
firms:
  - name: A
    leadership:
      ceo_commitment: {value}
  - name: B
"""


def test_wrong_type_number(tmp_path: Path) -> None:
    msg = _error(tmp_path, BASE.format(value="high"))
    assert msg == "bad.yaml:5: firms.0.leadership.ceo_commitment: must be a number, got 'high'"


def test_wrong_type_whole_number(tmp_path: Path) -> None:
    msg = _error(tmp_path, "market:\n  customers: 1.5\nfirms: [{name: A}, {name: B}]\n")
    assert msg == "bad.yaml:2: market.customers: must be a whole number, got 1.5"


def test_wrong_type_mapping_and_list(tmp_path: Path) -> None:
    msg = _error(tmp_path, "market: 3\nfirms: [{name: A}, {name: B}]\n")
    assert msg == "bad.yaml:1: market: must be a mapping of keys, got 3"
    msg = _error(tmp_path, "firms: A\n")
    assert msg == "bad.yaml:1: firms: must be a list, got 'A'"


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms:\n  - name: A\n    empowerment_polcy: 0.5\n  - name: B\n")
    assert msg == (
        "bad.yaml:3: firms.0.empowerment_polcy: unknown key (did you mean 'empowerment_policy'?)"
    )
    msg = _error(tmp_path, "market:\n  custmers: 5\nfirms: [{name: A}, {name: B}]\n")
    assert msg == "bad.yaml:2: market.custmers: unknown key (did you mean 'customers'?)"


def test_unknown_key_without_a_near_miss(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms: [{name: A}, {name: B}]\nzzzz: 1\n")
    assert msg == "bad.yaml:2: zzzz: unknown key"


def test_missing_required_key(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms:\n  - name: A\n  - initial_share: 2\n")
    assert msg == "bad.yaml:3: firms.1.name: required key is missing"
    msg = _error(tmp_path, "name: nothing else\n")
    assert msg == "bad.yaml: firms: required key is missing"


def test_several_problems_are_counted_on_the_one_line(tmp_path: Path) -> None:
    msg = _error(tmp_path, "steps: 0\nmarket: {customers: 1}\nfirms: [{name: A}, {name: B}]\n")
    assert msg.startswith("bad.yaml:1: steps: must be >= 1")
    assert msg.endswith("(and 1 more problem)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "firms:\n  - name: A\n", "bad.yaml:1: firms: needs at least 2 item(s)", id="one-firm"
        ),
        pytest.param("firms: []\n", "bad.yaml:1: firms: needs at least 2 item(s)", id="no-firms"),
        pytest.param(
            "firms:\n  - name: A\n  - name: A\n",
            "bad.yaml:3: firms.1.name: firm names must be unique, 'A' is also the name of firm 0",
            id="duplicate-names",
        ),
        pytest.param(
            "firms:\n  - name: A\n  - name: B\n    copies: {firm: Z}\n",
            "bad.yaml:4: firms.1.copies.firm: no firm named 'Z' (firms: ['A', 'B'])",
            id="copier-unknown-firm",
        ),
        pytest.param(
            "firms:\n  - name: A\n  - name: B\n    copies: {firm: B}\n",
            "bad.yaml:4: firms.1.copies.firm: a firm cannot copy itself",
            id="copier-itself",
        ),
        pytest.param(
            "market:\n  eras:\n    - start_week: 0\n    - start_week: 50\n    - start_week: 10\n"
            "firms: [{name: A}, {name: B}]\n",
            "bad.yaml:5: market.eras.2.start_week: eras must be listed in order of start_week, "
            "got 10 after 50",
            id="eras-out-of-order",
        ),
        pytest.param(
            "firms: [{name: A}, {name: B}]\nmarket:\n  brand_weight: 0.9\n",
            "bad.yaml:3: market.brand_weight: best_in_market_weight + brand_weight must be <= 1, "
            "got 0.2 + 0.9",
            id="weights-over-one",
        ),
        pytest.param(
            "firms: [{name: A}, {name: B}]\nmarket:\n  best_in_market_weight: 0.8\n",
            "bad.yaml:3: market.best_in_market_weight: best_in_market_weight + brand_weight "
            "must be <= 1, got 0.8 + 0.3",
            id="weights-over-one-set-by-the-other-key",
        ),
        pytest.param(
            "firms: [{name: A}, {name: B}]\nmarket:\n  recovery_base: 0.9\n  recovery_max: 0.5\n",
            "bad.yaml:4: market.recovery_max: must be >= recovery_base (0.9), got 0.5",
            id="recovery-range",
        ),
        pytest.param(
            "firms: [{name: A}, {name: B}]\nmarket:\n  recovery_base: 0.99\n",
            "bad.yaml:3: market.recovery_base: must be <= recovery_max (0.95), got 0.99",
            id="recovery-range-set-by-the-base",
        ),
        pytest.param(
            "market:\n  touchpoints:\n    - name: a\n    - name: b\n    - name: a\n"
            "firms: [{name: A}, {name: B}]\n",
            "bad.yaml:5: market.touchpoints.2.name: touchpoint names must be unique, "
            "'a' is also the name of touchpoint 0",
            id="duplicate-touchpoints",
        ),
    ],
)
def test_each_kind_of_invalid_scenario(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == message


def test_copier_error_names_the_key_path_and_line(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms:\n  - name: A\n  - name: B\n    copies: {firm: Z}\n")
    assert msg.startswith("bad.yaml:4: firms.1.copies.firm: "), msg


def test_cross_field_errors_name_the_key_path_in_dicts_and_overrides() -> None:
    data = {"firms": [{"name": "A"}, {"name": "B", "copies": {"firm": "B"}}]}
    with pytest.raises(ScenarioError) as err:
        load_scenario(data)
    assert str(err.value) == "<dict>: firms.1.copies.firm: a firm cannot copy itself"
    with pytest.raises(ScenarioError) as err:
        apply_overrides(load_scenario(TWO_FIRMS), {"firms.1.name": "A"})
    assert (
        str(err.value) == "firms.1.name: firm names must be unique, 'A' is also the name of firm 0"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("firms: [{name: A}, {name: B}\n", "not valid YAML", id="unclosed-bracket"),
        pytest.param("firms:\n  - name: A\n   - name: B\n", "not valid YAML", id="indentation"),
        pytest.param("a: 'unclosed\n", "not valid YAML", id="unclosed-quote"),
        pytest.param(
            "firms: [{name: A}, {name: B}]\nfirms: []\n", "not valid YAML", id="duplicate-key"
        ),
    ],
)
def test_not_yaml(tmp_path: Path, text: str, fragment: str) -> None:
    msg = _error(tmp_path, text)
    assert msg.startswith("bad.yaml")
    assert fragment in msg


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    msg = _error(tmp_path, "name: t\nsteps: 3\nfirms:\n  - name: A\n   - name: B\n")
    assert msg.startswith("bad.yaml:5: not valid YAML"), msg


@pytest.mark.parametrize("text", ["- 1\n- 2\n", "just a string\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    assert _error(tmp_path, text) == "bad.yaml: (top level): must be a mapping of keys"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert _error(tmp_path, text) == "bad.yaml: the file is empty"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: no such scenario file"


def test_scenario_errors_are_value_errors_and_dict_errors_say_dict() -> None:
    with pytest.raises(ValueError, match=r"^<dict>: firms: needs at least 2 item\(s\)$"):
        load_scenario({"firms": [{"name": "A"}]})
    with pytest.raises(ScenarioError) as err:
        load_scenario({**TWO_FIRMS, "market": {"customers": 5}})
    assert str(err.value) == "<dict>: market.customers: must be >= 10, got 5"


# --------------------------------------------------------------------------- overrides


@pytest.fixture
def base() -> Scenario:
    return load_scenario(small_scenario())


def test_apply_overrides_sets_values_and_leaves_the_original(base: Scenario) -> None:
    s = apply_overrides(base, {"firms.0.leadership.ceo_commitment": 0.3, "steps": 10})
    assert s.firms[0].leadership.ceo_commitment == 0.3
    assert s.steps == 10
    assert base.steps == 30  # the original is untouched
    assert base.firms[0].leadership.ceo_commitment == 0.9
    assert s.firms[1] == base.firms[1]


def test_apply_overrides_on_a_dict() -> None:
    data = small_scenario()
    s = apply_overrides(data, {"market.customers": 1234, "firms.1.name": "Z"})
    assert s.market.customers == 1234
    assert s.firms[1].name == "Z"
    assert data["market"]["customers"] == 600  # the dict is not mutated


def test_apply_overrides_creates_an_optional_block_with_defaults(base: Scenario) -> None:
    assert base.firms[1].cco is None
    made = apply_overrides(base, {"firms.1.cco.authority": 1.0})
    assert made.firms[1].cco is not None
    assert made.firms[1].cco.authority == 1.0
    assert made.firms[1].cco == CCO(authority=1.0)
    both = apply_overrides(base, {"firms.1.cco.authority": 0.7, "firms.1.cco.ceo_backing": 0.9})
    assert (both.firms[1].cco.authority, both.firms[1].cco.ceo_backing) == (0.7, 0.9)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"firms.0.leadership.ceo_comitment": 0.3},
            "firms.0.leadership.ceo_comitment: unknown key (did you mean 'ceo_commitment'?)",
            id="unknown-key",
        ),
        pytest.param(
            {"market.visible_weight": 3}, "market.visible_weight: must be <= 1, got 3", id="range"
        ),
        pytest.param(
            {"firms.0.cco.authority": 2},
            "firms.0.cco.authority: must be <= 1, got 2",
            id="range-in-a-created-block",
        ),
        pytest.param(
            {"market.customers": "many"},
            "market.customers: must be a whole number, got 'many'",
            id="wrong-type",
        ),
        pytest.param(
            {"firms.7.empowerment_policy": 0.3},
            "firms.7.empowerment_policy: no item '7' in a list of 2",
            id="index",
        ),
        pytest.param(
            {"firms.\u00b2.empowerment_policy": 0.3},
            "firms.\u00b2.empowerment_policy: no item '\u00b2' in a list of 2",
            id="index-a-superscript-digit",
        ),
        pytest.param(
            {"firms." + "9" * 5000 + ".empowerment_policy": 0.3},
            "firms."
            + "9" * 5000
            + ".empowerment_policy: no item '"
            + "9" * 5000
            + "' in a list of 2",
            id="index-too-long-for-int",
        ),
        pytest.param(
            {"market..customers": 3},
            "market..customers: not a key path (use dots, e.g. market.customers)",
            id="empty-key",
        ),
        pytest.param({"steps.x": 3}, "steps.x: steps is not a mapping or list", id="into-a-number"),
    ],
)
def test_apply_overrides_errors(base: Scenario, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        apply_overrides(base, overrides)
    assert str(err.value) == message


# --------------------------------------------------------------------------- renamed keys


def test_old_keys_are_read_under_their_new_names_with_one_warning_line(tmp_path: Path) -> None:
    from cxsim.schema import ScenarioDeprecation

    text = (
        "market:\n  cost_to_serve_week: 7\nfirms:\n  - name: A\n    empowerment: 0.6\n  - name: B\n"
    )
    path = tmp_path / "old.yaml"
    path.write_text(text)
    with pytest.warns(ScenarioDeprecation) as caught:
        scenario = cxsim.load_scenario(path)
    assert scenario.firms[0].empowerment_policy == 0.6
    assert scenario.market.cost_to_serve_per_customer_week == 7
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "old.yaml:2: market.cost_to_serve_week: renamed 'cost_to_serve_per_customer_week';"
        " the old name is read for now, please use the new one",
        "old.yaml:5: firms.0.empowerment: renamed 'empowerment_policy';"
        " the old name is read for now, please use the new one",
    ]
    with pytest.warns(ScenarioDeprecation, match=r"--set: firms.1.empowerment: renamed"):
        over = cxsim.apply_overrides(scenario, {"firms.1.empowerment": 0.1})
    assert over.firms[1].empowerment_policy == 0.1


def test_an_old_key_and_its_new_name_together_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(
        "firms:\n  - name: A\n    empowerment: 0.6\n    empowerment_policy: 0.5\n  - name: B\n"
    )
    with pytest.raises(ScenarioError, match="both 'empowerment' and its new name"):
        cxsim.load_scenario(path)


def test_the_shipped_scenarios_use_no_old_key() -> None:
    import warnings

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cxsim.load_scenario(path)


def test_a_key_with_a_line_break_stays_on_one_line() -> None:
    data = small_scenario()
    data["firms"][0]["organization"]["\n"] = None
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert "\n" not in str(info.value)
    assert "firms.0.organization.'\\n': unknown key" in str(info.value)
