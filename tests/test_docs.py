"""Docs that can't drift: ODD.md and README.md are checked against the code and the tree."""

from __future__ import annotations

import inspect
import math
import re
import shlex
import textwrap
from pathlib import Path

import pytest

import cxsim
from cxsim import docs
from cxsim.model import CXModel
from cxsim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "ODD.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _between(text: str, start: str, end: str) -> str:
    assert start in text, f"marker {start!r} missing"
    assert end in text, f"marker {end!r} missing"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_odd_parameter_table_matches_schema() -> None:
    table = _between(ODD, docs.START, docs.END).strip()
    assert table == docs.parameter_table(), "run `python -m cxsim.docs` to regenerate ODD.md"


def test_every_schema_field_has_a_meaning() -> None:
    missing = [row[0] for row in docs.parameter_rows() if not row[1]]
    assert missing == []


def test_sources_name_real_keys() -> None:
    paths = {row[0].removeprefix("firms[].") for row in docs.parameter_rows()}
    assert set(docs.SOURCES) <= paths


def test_odd_process_block_is_step_body() -> None:
    block = _between(ODD, "<!-- step:start -->", "<!-- step:end -->")
    code = block.strip().removeprefix("```python").removesuffix("```").strip()
    src = inspect.getsource(CXModel.step)
    body = textwrap.dedent(src.split('"""', 2)[2]).strip()
    assert code == body


def test_odd_names_every_reporter_column() -> None:
    for col in cxsim.COLUMNS:
        assert f"{col}" in ODD, col


@pytest.mark.parametrize(
    ("start", "end", "table"),
    [
        (docs.OUTPUTS_START, docs.OUTPUTS_END, docs.output_table),
        (docs.METRICS_START, docs.METRICS_END, docs.metric_table),
    ],
)
def test_odd_output_tables_match_the_declaration(start: str, end: str, table) -> None:
    assert _between(ODD, start, end).strip() == table(), "run `python -m cxsim.docs`"


def test_output_table_has_a_row_per_column_in_order() -> None:
    rows = docs.output_table().splitlines()[2:]
    assert [re.match(r"\| `(\w+)` \|", row).group(1) for row in rows] == cxsim.COLUMNS
    metrics = docs.metric_table().splitlines()[2:]
    assert [re.match(r"\| `(\w+)` \|", row).group(1) for row in metrics] == cxsim.outputs.METRICS


def test_update_odd_rewrites_every_generated_table(tmp_path: Path) -> None:
    stale = ODD.replace(docs.output_table(), "| stale |").replace(docs.metric_table(), "")
    stale = stale.replace(docs.parameter_table(), "")
    path = tmp_path / "ODD.md"
    path.write_text(stale, encoding="utf-8")
    assert docs.update_odd(path)
    assert path.read_text(encoding="utf-8") == ODD
    assert not docs.update_odd(path)
    path.write_text(ODD.replace(docs.METRICS_END, ""), encoding="utf-8")
    with pytest.raises(ValueError, match="metrics:end"):
        docs.update_odd(path)


def test_odd_names_every_rule() -> None:
    from cxsim import rules

    for name in rules.__all__:
        assert f"rules.{name}" in ODD, f"ODD.md §7 does not mention rules.{name}"


def test_odd_names_every_top_level_block() -> None:
    for name in Scenario.model_fields:
        assert f"`{name}`" in ODD or name in ODD


# ----------------------------------------------------------------------------- README


def _readme_paths() -> set[str]:
    found = set(
        re.findall(
            r"`((?:scenarios|cxsim|notebooks|experiments|benchmarks|tests|\.ci)"
            r"/[\w./-]+)`",
            README,
        )
    )
    found |= set(re.findall(r"(?<![\w/])((?:scenarios)/[\w-]+\.yaml)", README))
    for name in ("ODD.md", "CHANGELOG.md", "Makefile", "pyproject.toml"):
        if name in README:
            found.add(name)
    return found


def test_readme_names_only_real_files() -> None:
    paths = _readme_paths()
    assert paths, "README names no files?"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_readme_two_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    commands = re.findall(r"^\s*make ([\w-]+)\s*$", README, flags=re.M)
    assert {"demo", "test"} <= set(commands)
    assert set(commands) <= targets


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\s*make test\s*$", ci, flags=re.M)


def test_readme_cxsim_commands_are_real() -> None:
    from cxsim.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    used = re.findall(r"^\s*(?:\$ )?(?:\.venv/bin/)?cxsim (\w+)", README, flags=re.M)
    assert used, "README shows no cxsim command"
    assert set(used) <= names, set(used) - names


@pytest.mark.parametrize("scenario", sorted(set(re.findall(r"scenarios/[\w-]+\.yaml", README))))
def test_readme_scenarios_load(scenario: str) -> None:
    cxsim.load_scenario(ROOT / scenario)


def test_readme_set_keys_are_valid() -> None:
    """Every `--set key=value` shown in README or scenario headers is a valid override."""
    texts = [README] + [p.read_text(encoding="utf-8") for p in (ROOT / "scenarios").glob("*.yaml")]
    pairs = set()
    for text in texts:
        for m in re.finditer(r"--set ([\w.\[\]]+)=(\S+?)\)?(?:\s|$)", text):
            pairs.add((m.group(1), m.group(2).rstrip(").,`")))
    assert pairs
    base = cxsim.load_scenario(ROOT / "scenarios" / "ceo_led.yaml")
    for key, value in sorted(pairs):
        cxsim.apply_overrides(base, {key: cxsim.scenario.parse_value(shlex.split(value)[0])})


def test_readme_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "README has no Python example"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_readme_error_example_is_what_the_loader_says(tmp_path: Path) -> None:
    shown = re.search(r"`(ceo_led\.yaml:\d+: [^`]+)`", README)
    assert shown, "README lost its error example"
    text = (ROOT / "scenarios" / "ceo_led.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "ceo_led.yaml"
    bad.write_text(text.replace("ceo_commitment: 0.9", "ceo_commitment: 1.5", 1), encoding="utf-8")
    with pytest.raises(cxsim.ScenarioError) as err:
        cxsim.load_scenario(bad)
    assert str(err.value) == shown.group(1)


def test_readme_states_the_limits_and_options_in_force() -> None:
    """The output-folder section's numbers and options are the code's."""
    from typer.testing import CliRunner

    from cxsim import limits
    from cxsim.bounded_yaml import BYTES_ENV, _Limits
    from cxsim.cli import app

    section = README[README.index("### The output folder") :]
    assert f"{limits.DEFAULT_MAX_RUNS:,} runs (`--max-runs`)" in section
    exponent = round(math.log10(limits.DEFAULT_MAX_CUSTOMER_WEEKS))
    assert 10.0**exponent == limits.DEFAULT_MAX_CUSTOMER_WEEKS
    assert f"10^{exponent} customer-weeks" in section
    assert f"about {limits.BYTES_PER_WORKER // 2**20} MB per worker" in section
    assert _Limits().bytes == 2**20
    assert f"over 1 MiB (`{BYTES_ENV}`)" in section
    help_text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    for option in re.findall(r"`(--[\w-]+)", section):
        assert option in help_text, option
    for name in re.findall(r"`(\.cxsim[\w.-]*)`", section):
        assert name in {".cxsim-results", ".cxsim-manifest", ".cxsim.lock"}
    from cxsim.store import LOCK, MANIFEST, MARKER

    assert {MARKER, MANIFEST, LOCK} == set(re.findall(r"`(\.cxsim[\w.-]*)`", section))


def test_package_changelog_and_pyproject_agree_on_the_version() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{cxsim.__version__}"' in pyproject
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(cxsim.__version__)} ", changelog, flags=re.M)
    odd = (ROOT / "ODD.md").read_text(encoding="utf-8")
    assert f"Model version: {cxsim.__version__} " in odd
