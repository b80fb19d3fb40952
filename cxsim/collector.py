"""Mesa's view of the outputs: a ``mesa.DataCollector`` whose reporters derive from
``cxsim.outputs``, so ``get_model_vars_dataframe()``, ``get_agent_vars_dataframe()`` and
``mesa.batch_run`` see what ``CXModel.timeseries()`` shows.

Model reporters are ``"<column>@<firm>"``, one per column and firm, collected at step 0 (the
initial state) and after every week; ``CXModel.timeseries()`` is the same values reshaped to
one row per step (from 1) and firm. Staff agent reporters are collected every
``agent_interval`` weeks.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from .outputs import COLUMNS, OUTPUTS

__all__ = ["STAFF_REPORTERS", "Collector", "reporter_name", "timeseries_frame"]


def reporter_name(column: str, firm: str) -> str:
    """The Mesa model reporter of one column for one firm: ``"<column>@<firm>"``."""
    return f"{column}@{firm}"


def _cell(collector: Collector, column: str, f: int, model: mesa.Model) -> Any:
    return collector.row[column][f]


def _level(agent: mesa.Agent) -> str:
    return agent.level.name.lower()


#: the staff agent reporters (Mesa's forms: an attribute name or a function of the agent):
#: the firm's name, the level (ceo, cco, executive, manager, frontline), commitment (0–1)
#: and weeks since the occupant was hired (turnover resets it: the seat is the agent)
STAFF_REPORTERS: dict[str, Any] = {
    "firm": "firm",
    "level": _level,
    "commitment": "commitment",
    "tenure_weeks": "tenure_weeks",
}


class Collector(mesa.DataCollector):
    """Mesa's DataCollector with cxsim's reporters, so ``get_model_vars_dataframe()``,
    ``get_agent_vars_dataframe()`` and ``mesa.batch_run`` see them.

    Model reporters are ``"<column>@<firm>"`` for every column and firm, read from the week's
    row that ``CXModel._record`` computes once for all firms; staff agent reporters are
    collected every ``agent_interval`` weeks from step 0 (0: never, at no cost). Collected
    values are stored where Mesa keeps them (``model_vars``, ``_agent_records``), which is
    where ``batch_run`` and the ``get_*_dataframe`` methods read them.
    """

    def __init__(self, firms: list[str], agent_interval: int = 0) -> None:
        if agent_interval < 0:
            raise ValueError(f"agent_interval must be >= 0, got {agent_interval}")
        self.firms = list(firms)
        self.agent_interval = agent_interval
        self.row: dict[str, list[Any]] = {}
        reporters = {
            reporter_name(o.name, firm): partial(_cell, self, o.name, f)
            for o in OUTPUTS
            for f, firm in enumerate(self.firms)
        }
        staff = STAFF_REPORTERS if agent_interval else None
        super().__init__(model_reporters=reporters, agent_reporters=staff)
        #: each reporter's list of values with the cell of the row it reads (``collect``)
        self._cells = [
            (self.model_vars[name], reporter.args[1], reporter.args[2])
            for name, reporter in reporters.items()
        ]

    def record(self, model: mesa.Model, row: dict[str, list[Any]]) -> None:
        """Collect this step's ``row`` (from ``week_row``) and, when due, the staff."""
        self.row = row
        self.collect(model)

    def collect(self, model: mesa.Model) -> None:
        """Mesa's ``collect`` without its deep copy of every value (the reporters return fresh
        Python numbers), each cell of the week's row appended where its reporter's values are
        kept, without a call per reporter; the staff only every ``agent_interval`` weeks."""
        row = self.row
        for values, column, f in self._cells:
            values.append(row[column][f])
        if self.agent_interval and model.steps % self.agent_interval == 0:
            self._agent_records[model.steps] = list(self._record_agents(model))

    def timeseries(self) -> pd.DataFrame:
        """The model reporters as ``CXModel.timeseries()``: one row per step from 1 and firm."""
        return timeseries_frame(self.model_vars, self.firms)


def timeseries_frame(model_vars: Mapping[str, list[Any]], firms: list[str]) -> pd.DataFrame:
    """Reshape collected ``"<column>@<firm>"`` values (steps 0..T) to rows of step 1..T × firm."""
    n_f = len(firms)
    steps = max(len(model_vars[reporter_name(OUTPUTS[0].name, firms[0])]) - 1, 0)
    data: dict[str, Any] = {
        "step": np.repeat(np.arange(1, steps + 1, dtype=np.int64), n_f),
        "firm": list(firms) * steps,
    }
    for o in OUTPUTS:
        cells = [model_vars[reporter_name(o.name, firm)][1:] for firm in firms]
        data[o.name] = np.array(cells, dtype=o.dtype).reshape(n_f, steps).T.reshape(-1)
    return pd.DataFrame(data, columns=COLUMNS)
