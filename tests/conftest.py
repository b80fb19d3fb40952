"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
SMALL_ORG = {"executives": 2, "span_of_control": 2, "team_size": 4}


def load_script(name: str) -> ModuleType:
    """``experiments/<name>.py`` as a module (experiments/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def small_scenario(**market: Any) -> dict[str, Any]:
    """Two small firms, 600 customers, 30 weeks; ``market`` keys override the market block."""
    return {
        "name": "small",
        "steps": 30,
        "market": {"customers": 600, **market},
        "firms": [
            {
                "name": "A",
                "organization": dict(SMALL_ORG),
                "leadership": {"ceo_commitment": 0.9},
                "programs": {"journey_mapping": {"intensity": 0.5}},
            },
            {"name": "B", "organization": dict(SMALL_ORG)},
        ],
    }


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    yaml = YAML()
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(copy.deepcopy(data), fh)
    return path


@pytest.fixture
def small() -> dict[str, Any]:
    return small_scenario()


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "small.yaml", small_scenario())


def make_spells(durations, events, replicate=0, scenario="s", firm="F", start=0) -> pd.DataFrame:
    """A spells table as the runner writes it, from durations and churn events."""
    n = len(durations)
    return pd.DataFrame(
        {
            "scenario": scenario,
            "firm": firm,
            "replicate": replicate,
            "duration": durations,
            "event": events,
            "start_step": [start] * n,
        }
    )
