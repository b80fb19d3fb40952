"""The ODD tables and the data dictionary, generated so that they cannot drift: the parameters
(§7.0) from the scenario schema, the outputs and end-of-run metrics (§4) from their declaration in
``cxsim.outputs``, and ``docs/data.md`` (every column of every results table) from the same
declaration, the runner's labels and the columns ``cxsim.stats`` declares for its tables.

``python -m cxsim.docs`` rewrites the tables between the markers in ODD.md and rewrites
docs/data.md; tests check that both hold exactly what this module generates.

(A little over 400 lines: the ODD tables and the data dictionary share their formatting and
their update-between-markers writing, and are checked together.)
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import outputs
from .runner import RUN_LABELS, SPELL_COLUMNS
from .scenario import Scenario
from .stats import DIFFERENCE_COLUMNS, STEP_COLUMNS, SURVIVAL_TEST_COLUMNS

__all__ = [
    "DATA_FILES",
    "SOURCES",
    "data_dictionary",
    "metric_table",
    "output_table",
    "parameter_rows",
    "parameter_table",
    "update_data",
    "update_odd",
]

START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"
OUTPUTS_START, OUTPUTS_END = "<!-- outputs:start -->", "<!-- outputs:end -->"
METRICS_START, METRICS_END = "<!-- metrics:start -->", "<!-- metrics:end -->"

#: where a default comes from; anything not listed is a modelling assumption (ODD §7)
SOURCES: dict[str, str] = {
    "market.complaint_rate_major": "TARP 1979/1986: 50–75% report money-losing problems",
    "market.complaint_rate_minor": "TARP 1979/1986: 5–30% report mistreatment or poor quality",
    "market.escalation_rate": "TARP: 1–5% of complaints reach management",
    "market.outcome_minor": "TARP repurchase intention, minor problems (95/70/46/37%)",
    "market.outcome_major": "TARP repurchase intention, major problems (82/54/19/9%)",
    "market.shortfall_loss": "Anderson & Sullivan 1993; Mittal, Ross & Baldasare 1998",
    "market.delight_gain": "Anderson & Sullivan 1993; Mittal, Ross & Baldasare 1998",
    "market.base_churn_per_month": "telecom monthly churn 0.8–2.9% (postpaid–prepaid)",
    "market.detractor_reach_ratio": "detractors tell about twice as many people (essays; WOM lit.)",
    "market.expectation_adaptation": "adaptive expectations E += α(P − E) (DESIGN §3)",
    "market.culture_change_rate": "relaxed Friedkin–Johnsen (Friedkin & Johnsen 2011)",
    "market.eras": "essay 000: personal → fast impersonal → fast and personal",
    "organization.susceptibility": "Friedkin–Johnsen susceptibility λ (1 − stubbornness)",
    "organization.turnover_per_year": "frontline service turnover 30–45%/yr (assumption)",
    "cco": "essay 001 #3: a CCO works with the CEO's weight behind it",
    "champions": "essay 004: work on the diagonal, have a big ask",
    "copies": "essay 002: the invisible war",
    "voice_of_customer": "essay 001 #2: boardroom strategies",
    "brand_promise": "essay 003: the brand gap",
    "market.problem_defection": "intention vs behaviour: Mittal & Kamakura 2001",
    "market.training_transfer_support": "Baldwin & Ford 1988; Blume et al. 2010 (share assumed)",
    "market.socialization": "Harrison & Carroll 1991 (strength assumed)",
    "market.manager_support_weight": "Bowen & Lawler 1992 (share assumed)",
    "market.warmup_weeks": "long enough for satisfaction and shares to settle (§5, tested)",
    "organization.ceo_visibility": "Schein 2010: embedding mechanisms (weight assumed)",
    "cco.accountability": "essay 001 #3; Schein 2010: what is measured is attended to (assumed)",
    "market.represented_customers": "scale of money: the simulated customers are a sample",
}


def _unwrap(ann: Any) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model inside an annotation (``X | None``, ``list[X]``) and if it is a list."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(ann):
            model, is_list = _unwrap(arg)
            if model is not None:
                return model, is_list
        return None, False
    if origin is list:
        model, _ = _unwrap(typing.get_args(ann)[0])
        return model, True
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    return None, False


def _range(field: Any) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for meta in field.metadata:
        if isinstance(meta, Ge):
            lo = meta.ge
        elif isinstance(meta, Gt):
            lo, lo_open = meta.gt, True
        elif isinstance(meta, Le):
            hi = meta.le
        elif isinstance(meta, Lt):
            hi, hi_open = meta.lt, True
    if lo is None and hi is None:
        return ""
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    low = "" if lo is None else f"{lo:g}"
    high = "∞" if hi is None else f"{hi:g}"
    return f"{left}{low}, {high}{right}"


def _fmt(value: Any) -> str:
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, list):
        return "[…]" if value else "[]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _default_value(field: Any) -> Any:
    if field.default is not PydanticUndefined:
        return field.default
    if field.default_factory is not None:
        return field.default_factory()
    return PydanticUndefined


def _source(path: str, inherited: str) -> str:
    """Where a default comes from: ``SOURCES``, the block's, or "assumption"; a parameter the
    calibration searches (``calibration.SEARCH``) says so and where its range comes from."""
    from .calibration import SEARCH

    key = path.removeprefix("firms[].")
    source = next((SOURCES[c] for c in (path, key) if c in SOURCES), inherited)
    if path in SEARCH:
        lo, hi = SEARCH[path]
        source = f"{source}; calibrated in [{lo:g}, {hi:g}] (§8)"
    return source


def parameter_rows(
    model: type[BaseModel] = Scenario,
    prefix: str = "",
    defaults: BaseModel | None = None,
    inherited: str = "assumption",
) -> list[tuple[str, str, str, str, str]]:
    """``(key path, meaning, default, range, source)`` for every field of the schema.

    Sub-fields of a block whose default is a filled-in block show that block's values; a
    sub-field without a source of its own inherits its block's.
    """
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub, is_list = _unwrap(field.annotation)
        value = getattr(defaults, name) if defaults is not None else _default_value(field)
        shown = "required" if value is PydanticUndefined else _fmt(value)
        meaning = field.description or ((sub.__doc__ or "").split("\n")[0] if sub else "")
        source = _source(path, inherited)
        rows.append((path, meaning, shown, _range(field), source))
        if sub is not None:
            child_defaults = value if isinstance(value, BaseModel) else None
            child_prefix = f"{path}[]." if is_list else f"{path}."
            rows.extend(parameter_rows(sub, child_prefix, child_defaults, source))
    return rows


def parameter_table() -> str:
    """The markdown table of every scenario key (ODD.md §7.0)."""
    lines = [
        "| key | meaning | default | range | source |",
        "|---|---|---|---|---|",
    ]
    for row in parameter_rows():
        cells = [c.replace("|", "\\|") for c in row]
        lines.append(f"| `{cells[0]}` | {cells[1]} | {cells[2]} | {cells[3]} | {cells[4]} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def output_table() -> str:
    """The markdown table of the weekly reporter columns (ODD.md §4, observation)."""
    lines = [
        "| column | definition | unit | type | kind |",
        "|---|---|---|---|---|",
    ]
    for name, meaning in outputs.KEYS.items():
        lines.append(f"| `{name}` | {_cell(meaning)} | | key | |")
    for o in outputs.OUTPUTS:
        cells = (o.definition, o.unit, o.dtype.__name__, o.kind)
        lines.append(f"| `{o.name}` | " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def metric_table() -> str:
    """The markdown table of the end-of-run metrics (ODD.md §4, observation)."""
    lines = [
        "| metric | from | reduction | in the end-of-run table |",
        "|---|---|---|---|",
    ]
    for m in outputs.END_METRICS:
        source = "the spell log" if m.source == "spells" else f"`{m.source}`"
        shown = "yes" if m.headline else ""
        lines.append(f"| `{m.name}` | {source} | {_cell(outputs.REDUCERS[m.reducer])} | {shown} |")
    return "\n".join(lines)


#: each generated block of ODD.md: (start marker, end marker, what goes between)
BLOCKS = (
    (START, END, parameter_table),
    (OUTPUTS_START, OUTPUTS_END, output_table),
    (METRICS_START, METRICS_END, metric_table),
)


def update_odd(path: Path = Path("ODD.md")) -> bool:
    """Rewrite the generated tables in ODD.md; True if the file changed."""
    text = new = path.read_text(encoding="utf-8")
    for start, end, table in BLOCKS:
        head, found, rest = new.partition(start)
        _, found_end, tail = rest.partition(end)
        if not (found and found_end):
            raise ValueError(f"{path}: markers {start} ... {end} missing")
        new = f"{head}{start}\n{table()}\n{end}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


# --------------------------------------------------------------------------- data dictionary

#: a row of the data dictionary: (column, unit, kind, definition)
Row = tuple[str, str, str, str]
KEY, INPUT, STAT, NOTE = "key", "input", "statistic", "note"
_KINDS = {outputs.STOCK: "state (end of week)", outputs.FLOW: "weekly flow"}
#: the point's varied keys, which follow the run labels in every table of a sweep
_VARIED: Row = (
    "*key.path*",
    "as the key",
    INPUT,
    "one column per key a sweep varies (`--vary`, `--sample`, `--design`): its value at the"
    " point; blank where a design row kept the scenario's value",
)
# runs.csv and summary.csv are assembled by cxsim.store and cxsim.stats, which do not declare
# their columns' meanings; they are declared here, and a test checks them against a real folder
_RUN_STATUS: tuple[Row, ...] = (
    ("seed_entropy", "", INPUT, "the root `SeedSequence` entropy (`--seed`)"),
    ("seed_spawn_key", "", INPUT, "the replicate's spawn key, space-separated"),
)
_RUN_END: tuple[Row, ...] = (
    ("status", "", KEY, "`ok`, `error` (see `error`) or `missing` (not run yet: `--resume`)"),
    ("error", "", KEY, "why the run failed: one line with the file and line, or blank"),
    ("seconds", "s", KEY, "wall time of the run in its worker"),
)
_SUMMARY_STATS: tuple[Row, ...] = (
    ("metric", "", KEY, "the end-of-run metric (a column of metrics.parquet)"),
    ("mean", "the metric's", STAT, "mean over replicates"),
    ("ci_low", "the metric's", STAT, "lower end of the 95% t interval over replicates"),
    ("ci_high", "the metric's", STAT, "upper end of the 95% t interval over replicates"),
    ("n", "replicates", STAT, "replicates in which the metric is defined (not NaN)"),
    ("diff_mean", "the metric's", STAT, "`compare` only: mean paired difference to the first"
     " scenario's firm in the same position, replicate by replicate"),
    ("diff_ci_low", "the metric's", STAT, "`compare` only: lower end of its 95% t interval"),
    ("diff_ci_high", "the metric's", STAT, "`compare` only: upper end of its 95% t interval"),
)  # fmt: skip


def _labels() -> list[Row]:
    return [(name, "", KEY, meaning) for name, meaning in RUN_LABELS.items()]


def _declared(columns: dict[str, tuple[str, str]], keys: tuple[str, ...]) -> list[Row]:
    """Rows of columns declared as ``name: (unit, meaning)`` next to where their table is made:
    ``keys`` label the row, a ``note*`` column says why a statistic is blank, the rest are
    statistics."""
    return [
        (name, unit, KEY if name in keys else NOTE if name.startswith("note") else STAT, meaning)
        for name, (unit, meaning) in columns.items()
    ]


def _metric_rows() -> list[Row]:
    rows = []
    for m in outputs.END_METRICS:
        source = (
            None if m.source == "spells" else next(o for o in outputs.OUTPUTS if o.name == m.source)
        )
        unit = m.unit or (source.unit if source else "")
        of = "the spell log" if source is None else f"`{m.source}`"
        kind = f"end-of-run: {m.reducer} of {of}"
        rows.append((m.name, unit, kind, outputs.REDUCERS[m.reducer]))
    return rows


def data_files() -> dict[str, tuple[str, list[Row]]]:
    """Each results table: (what a row is, its columns in order)."""
    spell_units = {"duration": "weeks", "event": "true/false", "start_step": "week"}
    firm_position = ("firm_position", "", KEY, "the firm's position in the scenario (0: focal)")
    firm = ("firm", "", KEY, "the firm's name")
    scenario = ("scenario", "", KEY, RUN_LABELS["scenario"])
    point = ("point", "", KEY, RUN_LABELS["point"])
    return {
        "timeseries.parquet": (
            "one row per run, week and firm (with `--record final`, the last week only)",
            [
                *_labels(),
                _VARIED,
                *((k, "week" if k == "step" else "", KEY, v) for k, v in outputs.KEYS.items()),
                *((o.name, o.unit, _KINDS[o.kind], o.definition) for o in outputs.OUTPUTS),
            ],
        ),
        "spells.parquet": (
            "one row per customer spell at a firm, in every folder (`run`, `compare` and `sweep`"
            " alike; no command-line option leaves it out, `cxsim.job.Job(spells=False)` does)",
            [
                *_labels(),
                _VARIED,
                *(
                    (k, spell_units.get(k, ""), KEY if k in {"customer", "firm"} else "spell", v)
                    for k, v in SPELL_COLUMNS.items()
                ),
            ],
        ),
        "metrics.parquet": (
            "one row per run and firm: the end-of-run metrics",
            [*_labels(), _VARIED, firm, firm_position, *_metric_rows()],
        ),
        "steps.parquet": (
            "one row per scenario, point, firm, week and weekly column (each column of"
            " timeseries.parquet after `firm`): its mean over replicates with the 95% t interval"
            " (with `--record final`, the last week only)",
            [
                scenario,
                point,
                _VARIED,
                firm,
                ("step", "week", KEY, outputs.KEYS["step"]),
                *_declared(STEP_COLUMNS, ("output",)),
            ],
        ),
        "runs.csv": (
            "one row per planned run, finished or not",
            [*_labels(), *_RUN_STATUS, _VARIED, *_RUN_END],
        ),
        "summary.csv": (
            "one row per scenario, point, firm and metric, over the replicates",
            [scenario, _VARIED, firm_position, firm, *_SUMMARY_STATS],
        ),
        "differences.csv": (
            "`sweep --baseline` only: one row per scenario, point other than the baseline, firm"
            " and metric: the paired difference to the baseline point (named in metadata.json"
            " under `baseline`), over the replicates",
            [
                scenario,
                point,
                _VARIED,
                firm_position,
                firm,
                *_declared(DIFFERENCE_COLUMNS, ("metric",)),
            ],
        ),
        "survival_tests.csv": (
            "`compare` only: one row per scenario after the first and firm position: its firm's"
            " customer survival against the first scenario's firm in the same position, tested"
            " across replicates",
            _declared(
                SURVIVAL_TEST_COLUMNS,
                ("scenario", "versus", "firm_position", "firm", "versus_firm"),
            ),
        ),
    }


#: the tables of a results folder that docs/data.md describes
DATA_FILES = tuple(data_files())


def data_dictionary() -> str:
    """docs/data.md: every column of every results table, its unit and kind."""
    lines = [
        "# Data dictionary",
        "",
        "<!-- generated by `python -m cxsim.docs` from cxsim/outputs.py, cxsim/runner.py and"
        " cxsim/stats.py; do not edit -->",
        "",
        "Every column of the tables in a cxsim results folder (read them all with"
        " `cxsim.load_results(folder)`). *Kind*: a **key** or **input** labels the row; a"
        " **state** is the value at the end of the week; a **weekly flow** is what happened"
        " during the week; an **end-of-run** metric reduces a run to one value per firm with the"
        " reducer named; a **statistic** is computed over replicates, and a **note** says why one"
        " is blank. Every command writes the same tables (differences.csv only for a sweep with"
        " `--baseline`, survival_tests.csv only for `compare`).",
    ]
    for name, (row, columns) in data_files().items():
        lines += ["", f"## `{name}`", "", f"{row[0].upper()}{row[1:]}.", ""]
        lines += ["| column | unit | kind | definition |", "|---|---|---|---|"]
        for column, unit, kind, meaning in columns:
            shown = column if column.startswith("*") else f"`{column}`"
            lines.append(f"| {shown} | {_cell(unit)} | {_cell(kind)} | {_cell(meaning)} |")
    return "\n".join(lines) + "\n"


def update_data(path: Path = Path("docs/data.md")) -> bool:
    """Rewrite docs/data.md; True if it changed."""
    text = data_dictionary()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":  # pragma: no cover - developer convenience
    changed = update_odd(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("ODD.md"))
    print("ODD.md updated" if changed else "ODD.md already up to date")
    changed = update_data(Path(sys.argv[2]) if len(sys.argv) > 2 else Path("docs/data.md"))
    print("docs/data.md updated" if changed else "docs/data.md already up to date")
