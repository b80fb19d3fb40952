"""Property-based tests: malformed scenario files and arguments never end in a traceback or a
half-written output folder."""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cxsim
import cxsim.cli as cli

from .conftest import small_scenario, write_yaml

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _load_message(source: Any) -> str | None:
    """None if the scenario loads; the ScenarioError's text if not (any other error fails)."""
    try:
        cxsim.load_scenario(source)
    except cxsim.ScenarioError as err:
        return str(err)
    return None


@SETTINGS
@given(st.data())
def test_mutated_scenarios_load_or_fail_cleanly(data: st.DataObject) -> None:
    scenario = small_scenario()
    paths = [p for p in _paths(scenario) if p]
    target = data.draw(st.sampled_from(paths))
    value = data.draw(junk)
    mutated = copy.deepcopy(scenario)
    node = mutated
    for key in target[:-1]:
        node = node[key]
    node[target[-1]] = value
    message = _load_message(mutated)
    assert message is None or "\n" not in message


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_files_load_or_fail_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(text, encoding="utf-8")
        message = _load_message(path)
        assert message is None or (message.startswith("s.yaml") and "\n" not in message)


keys = st.sampled_from(
    [
        "steps",
        "market.customers",
        "market.visible_weight",
        "market.eras",
        "firms.0.name",
        "firms.0.cco.authority",
        "firms.1.copies.firm",
        "firms.0.programs.service_tools.intensity",
        "firms.9.empowerment_policy",
        "market",
        "firms",
        "nope.nope",
        "",
        "firms.0.leadership",
    ]
)
values = st.sampled_from(
    [
        "1",
        "0",
        "-1",
        "0.5",
        "2",
        "1e9",
        "abc",
        "[]",
        "{}",
        "null",
        "no",
        "[1, 2",
        ":",
        "A",
        "'A'",
        "1e-3",
    ]
)


@settings(max_examples=30, deadline=None)
@given(key=keys, value=values, steps=st.integers(-2, 3))
def test_cli_never_tracebacks_or_half_writes(key: str, value: str, steps: int) -> None:
    data = small_scenario()
    data["market"]["customers"] = 60
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_yaml(Path(tmp) / "s.yaml", data)
        out = Path(tmp) / "out"
        result = CliRunner().invoke(
            cli.app,
            [
                "run",
                str(scenario),
                "--set",
                f"{key}={value}",
                "--steps",
                str(steps),
                "-r",
                "1",
                "--workers",
                "1",
                "--out",
                str(out),
            ],
        )
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            assert not out.exists()
            assert result.output.startswith("error:")
        else:
            assert (out / "runs.csv").exists()
            assert (out / "metadata.json").exists()
            assert not [p for p in os.listdir(out) if p.endswith(".tmp")]
