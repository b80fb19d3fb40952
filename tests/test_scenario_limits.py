"""Hostile or broken scenario input: every number finite, and bounded work for a small input.

Each bad input must end in one ``ScenarioError`` line naming the file (and line), the key path
and what is wrong, quickly and without a traceback or a large allocation.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from cxsim import ScenarioError, apply_overrides, load_scenario
from cxsim.scenario import Scenario, parse_value

from .conftest import ROOT, small_scenario, write_yaml

MIB = 1_048_576


def _error(source: Any) -> str:
    """The one-line ``ScenarioError`` that loading ``source`` raises."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(source)
    message = str(err.value)
    assert "\n" not in message, message
    assert message.strip() == message
    return message


def _override_error(base: Any, overrides: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as err:
        apply_overrides(base, overrides)
    message = str(err.value)
    assert "\n" not in message, message
    return message


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with the default limits, whatever the environment says."""
    for name in (
        "CXSIM_MAX_SCENARIO_BYTES",
        "CXSIM_MAX_SCENARIO_NODES",
        "CXSIM_MAX_SCENARIO_DEPTH",
    ):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- finite numbers

FIRM = """\
name: t
market:
  customers: 1000
  revenue_per_customer_week: {revenue}
  touchpoints:
    - name: buy
      traffic: {traffic}
firms:
  - name: A
    initial_share: {share}
    programs:
      frontline_training: {{cost_per_week: {cost}}}
  - name: B
"""
OK = {"revenue": 15, "traffic": 1, "share": 1, "cost": 100}


@pytest.mark.parametrize(
    ("key", "value", "path", "got"),
    [
        ("share", ".inf", "firms.0.initial_share", "inf"),
        ("share", ".nan", "firms.0.initial_share", "nan"),
        ("share", ".NaN", "firms.0.initial_share", "nan"),
        ("traffic", ".inf", "market.touchpoints.0.traffic", "inf"),
        ("revenue", ".inf", "market.revenue_per_customer_week", "inf"),
        ("revenue", ".Inf", "market.revenue_per_customer_week", "inf"),
        ("cost", "-.inf", "firms.0.programs.frontline_training.cost_per_week", "-inf"),
    ],
)
def test_a_non_finite_number_is_refused_at_load_time(
    tmp_path: Path, key: str, value: str, path: str, got: str
) -> None:
    text = FIRM.format(**{**OK, key: value})
    line = _line_of(text, path.rsplit(".", 1)[-1])
    msg = _error(_write(tmp_path, text, "ceo_led.yaml"))
    assert msg == f"ceo_led.yaml:{line}: {path}: must be a finite number, got {got}"


def test_the_finite_file_loads(tmp_path: Path) -> None:
    s = load_scenario(_write(tmp_path, FIRM.format(**OK)))
    assert s.firms[0].initial_share == 1
    assert s.market.touchpoints[0].traffic == 1


def test_a_whole_number_field_refuses_inf(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, "steps: .inf\nfirms: [{name: A}, {name: B}]\n"))
    assert msg == "bad.yaml:1: steps: must be a finite number, got inf"


def test_a_non_finite_number_in_a_dict() -> None:
    msg = _error(small_scenario(revenue_per_customer_week=math.inf))
    assert msg == "<dict>: market.revenue_per_customer_week: must be a finite number, got inf"


@pytest.mark.parametrize(("text", "got"), [(".inf", "inf"), ("-.inf", "-inf"), (".nan", "nan")])
def test_a_non_finite_override_is_refused(text: str, got: str) -> None:
    base = load_scenario(small_scenario())
    value = parse_value(text)
    assert isinstance(value, float)
    assert not math.isfinite(value)
    msg = _override_error(base, {"firms.0.initial_share": value})
    assert msg == f"firms.0.initial_share: must be a finite number, got {got}"


def _numeric_paths(annotation: Any, path: str) -> Iterator[str]:
    """Key path of every int or float field in ``annotation`` (item 0 of each list)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _numeric_paths(get_args(annotation)[0], path)
    elif origin is list:
        yield from _numeric_paths(get_args(annotation)[0], f"{path}.0")
    elif origin in (Union, UnionType):
        for arg in get_args(annotation):
            yield from _numeric_paths(arg, path)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield from _numeric_paths(field.annotation, f"{path}.{name}" if path else name)
    elif annotation in (int, float):
        yield path


EVERY_BLOCK = {
    "name": "every block",
    "steps": 10,
    "market": {"customers": 100, "eras": [{"start_week": 0}]},
    "firms": [
        {
            "name": "A",
            "cco": {},
            "brand_promise": 0.5,
            "champions": {},
            "copies": {"firm": "B"},
            "programs": {
                "journey_mapping": {},
                "frontline_training": {},
                "hiring_profile": {},
                "service_tools": {},
            },
        },
        {"name": "B"},
    ],
}
NUMERIC_PATHS = sorted(set(_numeric_paths(Scenario, "")))


def test_the_schema_walk_finds_the_numeric_fields() -> None:
    assert len(NUMERIC_PATHS) > 60
    for path in (
        "steps",
        "market.touchpoints.0.traffic",
        "market.eras.0.visible_weight",
        "market.outcome_major.resolved",
        "firms.0.initial_share",
        "firms.0.organization.susceptibility.frontline",
        "firms.0.cco.authority",
        "firms.0.brand_promise",
        "firms.0.champions.budget_per_week",
        "firms.0.copies.lag_weeks",
        "firms.0.programs.service_tools.cost_per_week",
    ):
        assert path in NUMERIC_PATHS, path


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_every_numeric_field_must_be_finite(value: float) -> None:
    base = load_scenario(EVERY_BLOCK)
    got = repr(value)
    wrong = {}
    for path in NUMERIC_PATHS:
        with pytest.raises(ScenarioError) as err:
            apply_overrides(base, {path: value})
        if str(err.value) != f"{path}: must be a finite number, got {got}":
            wrong[path] = str(err.value)
    assert not wrong


# --------------------------------------------------------------------------- file size


def test_a_large_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.truncate(50 * MIB)  # sparse: no disk used

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was opened")

    for method in ("open", "read_text", "read_bytes"):
        monkeypatch.setattr(Path, method, no_reading)
    assert _error(path) == (
        "big.yaml: the file is 52,428,800 bytes, over the 1,048,576-byte limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_BYTES to change it)"
    )


def test_the_size_limit_is_set_by_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_yaml(tmp_path / "s.yaml", small_scenario())
    size = path.stat().st_size
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_BYTES", str(size - 1))
    assert _error(path) == (
        f"s.yaml: the file is {size:,} bytes, over the {size - 1:,}-byte limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_BYTES to change it)"
    )
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_BYTES", str(size))
    assert load_scenario(path) == load_scenario(small_scenario())


def test_a_file_just_under_the_default_limit_is_read(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "ceo_led.yaml").read_text(encoding="utf-8")
    padding = "#" * 99 + "\n"
    path = _write(tmp_path, text + padding * ((MIB - len(text.encode())) // len(padding)))
    assert MIB - 100 < path.stat().st_size <= MIB
    assert load_scenario(path) == load_scenario(ROOT / "scenarios" / "ceo_led.yaml")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_a_file_longer_than_its_stat_size_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = Path("/proc/self/maps")
    assert proc.stat().st_size == 0  # /proc files claim to be empty, but are not
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_BYTES", "100")
    assert _error(proc) == (
        "maps: the file is over the 100-byte limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_BYTES to change it)"
    )


@pytest.mark.parametrize("name", ["CXSIM_MAX_SCENARIO_BYTES", "CXSIM_MAX_SCENARIO_DEPTH"])
@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_a_bad_limit_in_the_environment_is_named(
    small_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert _error(small_file) == f"{name}={value!r}: must be a whole number >= 1"


def test_an_empty_limit_in_the_environment_means_the_default(
    small_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_NODES", "")
    assert load_scenario(small_file).name == "small"


def test_reading_still_reports_bad_utf8_and_counts_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: \xff\n")
    assert _error(path).startswith(f"{path}: cannot read: 'utf-8' codec can't decode byte 0xff")
    path.write_bytes(b"firms:\r\n  - name: A\r\n  - name: B\r\nsteps: 0\r\n")
    assert _error(path) == "bad.yaml:4: steps: must be >= 1, got 0"


# --------------------------------------------------------------------------- alias bombs


def _bomb(levels: int, width: int = 10) -> str:
    """YAML whose anchors and aliases expand to ``width ** levels`` strings ("billion laughs")."""
    lines = [
        "firms: [{name: A}, {name: B}]",
        "market:",
        f"  l0: &l0 [{', '.join(['lol'] * width)}]",
    ]
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    text = _bomb(levels=9)
    start = time.perf_counter()
    msg = _error(_write(tmp_path, text, "bomb.yaml"))
    assert time.perf_counter() - start < 5  # it used to take minutes, then a MemoryError
    # 12 nodes (keys included) up to key l0; then l0 expands to 11 nodes, l1 to 111, ...:
    # 12,361 by l4's list, then 11,111 for each *l3 in it: the 8th (item 7) passes 100,000
    line = _line_of(text, "l4:")
    assert msg == (
        f"bomb.yaml:{line}: market.l4.7: the scenario reaches 101,249 nodes here "
        "(counting aliases in full), over the 100,000-node limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_NODES to change it)"
    )


def test_a_small_expansion_passes_the_node_count_and_fails_as_usual(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, _bomb(levels=3)))
    assert msg == "bad.yaml:3: market.l0: unknown key (and 2 more problems)"


def test_an_alias_bomb_in_an_override_is_refused() -> None:
    base = load_scenario(small_scenario())
    levels = [f"&a0 [{', '.join(['x'] * 10)}]"]
    levels += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    value = parse_value(f"[{', '.join(levels)}]")
    assert value[8][0] is value[8][1]  # shared, not expanded
    msg = _override_error(base, {"market.touchpoints": value})
    assert msg.startswith("market.touchpoints."), msg
    assert msg.endswith(
        "(counting aliases in full), over the 100,000-node limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_NODES to change it)"
    )


def test_shared_references_in_a_dict_are_counted_in_full() -> None:
    lol: Any = ["lol"] * 10
    for _ in range(8):
        lol = [lol] * 10  # 10**9 strings, built in microseconds
    msg = _error({"firms": [{"name": "A"}, {"name": "B"}], "market": {"touchpoints": lol}})
    assert msg == (
        "<dict>: market.touchpoints.0.0.0.0.8: the scenario reaches 100,016 nodes here "
        "(counting aliases in full), over the 100,000-node limit for a scenario "
        "(set CXSIM_MAX_SCENARIO_NODES to change it)"
    )


def test_a_few_anchors_and_aliases_still_work(tmp_path: Path) -> None:
    text = """\
name: anchors
steps: 30
market:
  customers: 600
firms:
  - name: A
    organization: &org {executives: 2, span_of_control: 2, team_size: 4}
    leadership: {ceo_commitment: 0.9}
    programs:
      journey_mapping: &program {intensity: 0.5}
  - name: B
    organization: *org
    programs:
      frontline_training:
        <<: *program
        cost_per_week: 100
"""
    s = load_scenario(_write(tmp_path, text))
    assert s.firms[0].organization == s.firms[1].organization
    assert s.firms[1].organization.team_size == 4
    training = s.firms[1].programs.frontline_training
    assert training is not None
    assert (training.intensity, training.cost_per_week) == (0.5, 100)


def test_the_node_limit_is_set_by_an_environment_variable(
    small_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_NODES", "5")
    # the document, key name, 'small', key steps, 30: the key market is the 6th node
    assert small_file.read_text().splitlines()[2] == "market:"
    assert _error(small_file) == (
        "small.yaml:3: market: the scenario reaches 6 nodes here, over the 5-node limit "
        "for a scenario (set CXSIM_MAX_SCENARIO_NODES to change it)"
    )
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_NODES", "1000")
    assert load_scenario(small_file).name == "small"


def test_many_plain_nodes_stop_being_read_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_NODES", "1000")
    text = "firms: [{name: A}, {name: B}]\nmarket:\n  touchpoints:\n" + "  - 1\n" * 150_000
    start = time.perf_counter()
    msg = _error(_write(tmp_path, text))
    assert time.perf_counter() - start < 3  # reading all 150,000 items takes about 10 s
    # 13 nodes (keys included) before the first item (line 4): item 987 (line 991) is 1,001
    assert msg == (
        "bad.yaml:991: market.touchpoints.987: the scenario reaches 1,001 nodes here, "
        "over the 1,000-node limit for a scenario (set CXSIM_MAX_SCENARIO_NODES to change it)"
    )


# --------------------------------------------------------------------------- nesting


DEEP_END = "over the 50-level limit for a scenario (set CXSIM_MAX_SCENARIO_DEPTH to change it)"


def test_deep_flow_nesting_is_refused_quickly(tmp_path: Path) -> None:
    text = "firms: [{name: A}, {name: B}]\nmarket: " + "[" * 5000 + "]" * 5000 + "\n"
    start = time.perf_counter()
    msg = _error(_write(tmp_path, text, "deep.yaml"))
    assert time.perf_counter() - start < 5
    assert msg == f"deep.yaml:2: market.0.0.0.0.0.0.0...: nested 51 levels deep, {DEEP_END}"


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    body = "".join("  " * (i + 1) + f"k{i}:\n" for i in range(300)) + "  " * 301 + "x: 1\n"
    msg = _error(_write(tmp_path, "firms: [{name: A}, {name: B}]\nmarket:\n" + body))
    # the mapping under k47 is the 50th level, so its key k48 (line 51) is the 51st
    assert msg == f"bad.yaml:51: market.k0.k1.k2.k3.k4.k5.k6...: nested 51 levels deep, {DEEP_END}"


def test_deep_nesting_through_an_alias_is_refused(tmp_path: Path) -> None:
    deep = "[" * 30 + "1" + "]" * 30
    text = f"firms: [{{name: A}}, {{name: B}}]\na: &deep {deep}\nb: {'[' * 25}*deep{']' * 25}\n"
    msg = _error(_write(tmp_path, text))
    assert msg == f"bad.yaml:3: b.0.0.0.0.0.0.0...: nested 57 levels deep, {DEEP_END}"


def test_deep_nesting_in_a_dict_is_refused() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    msg = _error({"firms": [{"name": "A"}, {"name": "B"}], "market": deep})
    assert msg == f"<dict>: market.0.0.0.0.0.0.0...: nested 51 levels deep, {DEEP_END}"


def test_deep_nesting_in_an_override_is_refused() -> None:
    base = load_scenario(small_scenario())
    deep: Any = 1
    for _ in range(10_000):
        deep = {"k": deep}
    msg = _override_error(base, {"market.touchpoints": deep})
    assert msg == f"market.touchpoints.k.k.k.k.k.k...: nested 51 levels deep, {DEEP_END}"


def test_a_dict_that_contains_itself_is_refused() -> None:
    data: dict[str, Any] = copy.deepcopy(small_scenario())
    data["market"]["touchpoints"] = [{"name": "a"}]
    data["market"]["touchpoints"][0]["loop"] = data["market"]
    msg = _error(data)
    assert msg == "<dict>: market.touchpoints.0.loop: contains itself (a reference cycle)"


def test_a_raised_depth_limit_beyond_python_still_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_DEPTH", "100000")
    text = "firms: [{name: A}, {name: B}]\nmarket:\n  " + "- " * 3000 + "1\n"
    msg = _error(_write(tmp_path, text))
    assert msg == (
        "bad.yaml: nested too deeply for Python to read "
        "(CXSIM_MAX_SCENARIO_DEPTH=100000 is too high; lower it)"
    )
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    msg = _error({"firms": [{"name": "A"}, {"name": "B"}], "market": deep})
    assert msg == (
        "<dict>: nested too deeply for Python to read "
        "(CXSIM_MAX_SCENARIO_DEPTH=100000 is too high; lower it)"
    )


def test_the_depth_limit_is_set_by_an_environment_variable(
    small_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_DEPTH", "3")
    # the document, firms, firms.0, then the key name of firms.0 (line 6) is the 4th level
    assert small_file.read_text().splitlines()[5] == "- name: A"
    assert _error(small_file) == (
        "small.yaml:6: firms.0.name: nested 4 levels deep, over the 3-level limit "
        "for a scenario (set CXSIM_MAX_SCENARIO_DEPTH to change it)"
    )
    monkeypatch.setenv("CXSIM_MAX_SCENARIO_DEPTH", "6")
    assert load_scenario(small_file).name == "small"


# --------------------------------------------------------------------------- long values


def test_a_long_wrong_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, f"steps: {'x' * 100_000}\nfirms: [{{name: A}}, {{name: B}}]\n"))
    assert msg.startswith("bad.yaml:1: steps: must be a whole number, got 'xxxx"), msg
    assert msg.endswith("...")
    assert len(msg) < 200


def test_a_long_firm_name_is_shortened_in_a_cross_field_message() -> None:
    name = "n" * 100_000
    data = {"firms": [{"name": name}, {"name": "B", "copies": {"firm": "Z" * 100_000}}]}
    msg = _error(data)
    assert msg.startswith("<dict>: firms.1.copies.firm: no firm named 'ZZZ"), msg
    assert len(msg) < 300
