"""draw_figures on degenerate but valid results, on files it must leave alone, and on corrupt
folders.

Every results folder here is made by the real pipeline (the ``cxsim`` command on tiny
scenarios); its figures are then redrawn from the saved tables, as ``cxsim plot`` does. Each
test first checks that the folder really is the degenerate case it is named after.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from typer.testing import CliRunner, Result

import cxsim.cli as cli
from cxsim import job
from cxsim.figures import Saved, derived, draw_figures
from cxsim.results import StoreError

from .conftest import make_spells, small_scenario, write_yaml

RUNNER = CliRunner()
#: the figures over time of a run or comparison
TIME = [
    "customers",
    "churn_rate_weekly",
    "market_share",
    "satisfaction",
    "nps",
    "culture_by_level",
    "quality_visible_invisible",
]
SWEEP = ["retained", "churn_rate_weekly", "market_share", "commitment_frontline"]
#: the figures of the initial customers: retained, and lost by each week (cumulative churn)
RETAINED = ["retained", "cumulative_churn"]
#: market settings under which nobody ever leaves: no base hazard, no word of mouth, and no
#: problem acted on by leaving
NO_CHURN = {"base_churn_per_month": 0.0, "word_of_mouth_effect": 0.0, "problem_defection": 0.0}
SURVIVAL_SKIPPED = "figure survival skipped: no churn events in any replicate"


def scenario(
    name: str = "tiny", steps: int = 8, customers: int = 10, shares: tuple[float, float] = (1, 1)
) -> dict[str, Any]:
    """The shared two-firm test scenario, made smaller still."""
    sc = small_scenario(customers=customers)
    sc["name"], sc["steps"] = name, steps
    for firm, share in zip(sc["firms"], shares, strict=True):
        firm["initial_share"] = share
    return sc


def cxsim(*args: object) -> Result:
    result = RUNNER.invoke(cli.app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def build(
    root: Path, command: str, scenarios: list[dict[str, Any]], *args: object, draw: bool = False
) -> Path:
    """A results folder made by the ``cxsim`` command. Unless ``draw``, the command's own
    figure step is left out: the tests draw (and time) the figures themselves."""
    root.mkdir(parents=True, exist_ok=True)
    files = [write_yaml(root / f"{i}-{s['name']}.yaml", s) for i, s in enumerate(scenarios)]
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        if not draw:
            mp.setattr(job, "draw_figures", lambda *a, **k: [])
        result = cxsim(command, *files, "--workers", "1", "--seed", "42", "--out", out, *args)
    assert result.exit_code == 0, result.output
    return out


def draw(out: Path, **kwargs: Any) -> tuple[set[str], list[str]]:
    """Redraw from scratch; return the files written (relative to ``out``) and the warnings."""
    shutil.rmtree(out / "figures", ignore_errors=True)
    (out / "survival_tests.csv").unlink(missing_ok=True)
    warnings: list[str] = []
    written = draw_figures(out, warn=warnings.append, **kwargs)
    assert len(written) == len(set(written))
    on_disk = {p.relative_to(out).as_posix() for p in (out / "figures").glob("*")}
    on_disk |= {"survival_tests.csv"} if (out / "survival_tests.csv").exists() else set()
    rel = {p.relative_to(out).as_posix() for p in written}
    assert rel == on_disk  # everything written is reported, nothing else is there (no temp)
    return rel, warnings


def figs(*names: str) -> set[str]:
    return {f"figures/{n}.{ext}" for n in names for ext in ("png", "svg")}


def sweep_figs(*params: str) -> set[str]:
    return figs(*(f"sweep_{m}_vs_{p}" for p in params for m in SWEEP))


def events_by_firm(out: Path) -> pd.Series:
    spells = pd.read_parquet(out / "spells.parquet")
    return spells.groupby(["scenario", "firm"])["event"].sum()


def copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(folder, out)
    shutil.rmtree(out / "figures", ignore_errors=True)
    return out


# --------------------------------------------------------------------------- shared folders


@pytest.fixture(scope="module")
def one_firm_no_churn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The reported case: 10 customers, 26 weeks, one replicate; one firm loses nobody.
    Made with the command's own figure step, whose result is kept."""
    root = tmp_path_factory.mktemp("one_firm_no_churn")
    sc = scenario(steps=26)
    file = write_yaml(root / "tiny.yaml", sc)
    out = root / "out"
    result = cxsim("run", file, "-r", "1", "--workers", "1", "--seed", "42", "--out", out)
    return out, result


@pytest.fixture(scope="module")
def compare_empty_firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison whose first scenario has a firm that never has a customer."""
    root = tmp_path_factory.mktemp("compare_empty_firm")
    empty = scenario("empty", shares=(1, 0.05))
    empty["market"].update(NO_CHURN)
    churny = scenario("churny")
    churny["market"]["base_churn_per_month"] = 0.3
    return build(root, "compare", [empty, churny], "-r", "2")


@pytest.fixture(scope="module")
def text_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep of a text value against a number (so it has a heatmap)."""
    root = tmp_path_factory.mktemp("text_sweep")
    sc = scenario(steps=3, customers=20)
    args = ["--vary", "description=a,b", "--vary", "firms.0.empowerment_policy=0.2,0.8", "-r", "1"]
    return build(root, "sweep", [sc], *args)


# --------------------------------------------------------------------------- degenerate results


def test_cli_run_succeeds_when_a_firm_loses_no_customer(one_firm_no_churn) -> None:
    out, result = one_firm_no_churn
    events = events_by_firm(out)
    assert (events == 0).any(), events
    assert (events > 0).any(), events
    assert result.exit_code == 0, result.output  # was 1 (IndexError in the Kaplan-Meier step)
    assert "End of run" in result.output
    assert (out / "figures" / "survival.png").exists()


def test_no_churn_at_one_firm_draws_every_figure(one_firm_no_churn) -> None:
    out, _ = one_firm_no_churn
    written, warnings = draw(out)
    assert written == figs(*TIME, "survival", *RETAINED)
    assert warnings == []


def test_no_churn_anywhere_skips_only_survival(tmp_path: Path) -> None:
    sc = scenario(steps=6, customers=20)
    sc["market"].update(NO_CHURN)
    out = build(tmp_path, "run", [sc], "-r", "2")
    assert events_by_firm(out).sum() == 0
    written, warnings = draw(out)
    assert written == figs(*TIME, *RETAINED)
    assert warnings == [SURVIVAL_SKIPPED]


def test_a_firm_without_customers_leaves_its_lines_out(tmp_path: Path) -> None:
    # 10 customers, shares 1 : 0.05: firm B gets none, and without churn never gets one, so
    # its satisfaction, NPS and interaction quality are NaN at every step
    sc = scenario(steps=6, shares=(1, 0.05))
    sc["market"].update(NO_CHURN)
    out = build(tmp_path, "run", [sc], "-r", "2")
    ts = pd.read_parquet(out / "timeseries.parquet")
    b = ts[ts["firm"] == "B"]
    assert (b["customers"] == 0).all()
    assert b["satisfaction"].isna().all()
    assert b["invisible_quality"].isna().all()
    written, warnings = draw(out)
    assert written == figs(*TIME, *RETAINED)
    assert warnings == [SURVIVAL_SKIPPED]


def test_a_firm_with_one_customer(tmp_path: Path) -> None:
    # shares 1 : 0.1 of 10 customers: B starts with one. B delivers nothing but its design
    # (no commitment, skill or empowerment) and churn follows satisfaction steeply, while
    # nobody is kept by a switching cost or moved by word of mouth: B's customer soon leaves,
    # and B is empty until one of A's contented customers moves (about every seed does this)
    sc = scenario(steps=30, shares=(1, 0.1))
    sc["market"].update(
        {
            # a firm that starts week 0 with one customer is the case: no warm-up, whose churn
            # would reshuffle the ten customers before week 0
            "warmup_weeks": 0,
            "base_churn_per_month": 0.05,
            "churn_sensitivity": 30.0,
            "switching_cost": 0.0,
            "word_of_mouth_effect": 0.0,
            "interactions_per_week": 1.0,
        }
    )
    sc["firms"][1].update(
        {
            "organization": {
                **sc["firms"][1]["organization"],
                "initial_culture": 0.0,
                "initial_culture_spread": 0.0,
                "initial_skill": 0.0,
            },
            "leadership": {"ceo_commitment": 0.0},
            "empowerment_policy": 0.0,
        }
    )
    out = build(tmp_path, "run", [sc], "-r", "3")
    spells = pd.read_parquet(out / "spells.parquet")
    first = spells[spells["start_step"] == 0].groupby(["replicate", "firm"]).size()
    assert (first.xs("B", level="firm") == 1).all()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert (ts["customers"] == 0).any()  # some firm is left with no customer at some step
    written, warnings = draw(out)
    assert written == figs(*TIME, "survival", *RETAINED)
    assert warnings == []


def test_one_step(tmp_path: Path) -> None:
    out = build(tmp_path, "run", [scenario(steps=1, customers=20)], "-r", "2")
    assert pd.read_parquet(out / "timeseries.parquet")["step"].nunique() == 1
    churned = events_by_firm(out).sum() > 0
    written, warnings = draw(out)
    assert written == figs(*TIME, *RETAINED, *(["survival"] if churned else []))
    assert warnings == ([] if churned else [SURVIVAL_SKIPPED])


def test_compare_without_churn_writes_blank_log_rank_tests(tmp_path: Path) -> None:
    scenarios = []
    for name in ("one", "two"):
        sc = scenario(name, steps=5, customers=20)
        sc["market"].update(NO_CHURN)
        scenarios.append(sc)
    out = build(tmp_path, "compare", scenarios, "-r", "2")
    assert events_by_firm(out).sum() == 0
    written, warnings = draw(out)
    assert written == figs(*TIME, *RETAINED) | {"survival_tests.csv"}
    assert warnings == [
        SURVIVAL_SKIPPED,
        "survival_tests.csv: survival test undefined for 2 of 2 firm pair(s) (no churn events);"
        " its p_value is left blank",
    ]
    tests = pd.read_csv(out / "survival_tests.csv")
    assert tests["p_value"].isna().all()
    assert tests["statistic"].isna().all()
    assert list(tests["firm"]) == ["A", "B"]


def test_compare_pairs_firms_by_position_when_one_never_had_customers(
    compare_empty_firm: Path,
) -> None:
    out = compare_empty_firm
    events = events_by_firm(out)
    assert "B" not in events.loc["empty"].index  # no spell at all: B never had a customer
    assert events.loc[("churny", "A")] > 0
    written, warnings = draw(out)
    assert written == figs(*TIME, "survival", *RETAINED) | {"survival_tests.csv"}
    assert warnings == [
        "survival_tests.csv: survival test undefined for 1 of 2 firm pair(s) (a firm had no"
        " customers); its p_value is left blank"
    ]
    tests = pd.read_csv(out / "survival_tests.csv").set_index("firm_position")
    assert list(tests["firm"]) == ["A", "B"]
    assert list(tests["versus_firm"]) == ["A", "B"]
    assert 0 <= tests.loc[0, "p_value"] <= 1
    assert pd.isna(tests.loc[1, "p_value"])


def test_sweep_of_one_point(tmp_path: Path) -> None:
    sc = scenario(steps=3, customers=20)
    out = build(tmp_path, "sweep", [sc], "--vary", "firms.0.empowerment_policy=0.5", "-r", "1")
    assert pd.read_parquet(out / "metrics.parquet")["firms.0.empowerment_policy"].nunique() == 1
    written, warnings = draw(out)
    assert written == sweep_figs("firms.0.empowerment_policy")
    assert warnings == []


def test_sweep_of_a_text_value(text_sweep: Path) -> None:
    metrics = pd.read_parquet(text_sweep / "metrics.parquet")
    assert set(metrics["description"]) == {"a", "b"}
    written, warnings = draw(text_sweep)
    assert written == sweep_figs("description", "firms.0.empowerment_policy") | figs(
        "sweep_heatmap_retained"
    )
    assert warnings == []


def test_sweep_whose_focal_firm_has_no_customers_leaves_its_panel_blank(tmp_path: Path) -> None:
    # the focal firm A never has a customer, so the share of its initial customers retained is
    # undefined everywhere; one of the varied values is null
    sc = scenario(steps=3, shares=(0.05, 1))
    sc["market"].update(NO_CHURN)
    args = [
        "--vary",
        "firms.0.empowerment_policy=0.2,0.8",
        "--vary",
        "firms.1.brand_promise=null,0.5",
    ]
    out = build(tmp_path, "sweep", [sc], *args, "-r", "1")
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert metrics.loc[metrics["firm"] == "A", "retained"].isna().all()
    assert metrics["firms.1.brand_promise"].isna().any()
    written, warnings = draw(out)
    # the heatmap has a panel per firm: A's cells read n/a, B's are drawn (it was skipped when
    # it showed only the focal firm)
    assert written == sweep_figs("firms.0.empowerment_policy", "firms.1.brand_promise") | figs(
        "sweep_heatmap_retained"
    )
    assert warnings == []


def test_a_design_sweep_gets_scatters_and_a_map_not_a_heatmap(tmp_path: Path) -> None:
    sc = scenario(steps=3)
    design = tmp_path / "design.csv"
    design.write_text(
        "firms.0.empowerment_policy,firms.1.brand_promise\n0.1,0.9\n0.5,0.2\n0.8,0.6\n"
    )
    out = build(tmp_path, "sweep", [sc], "--design", design, "-r", "2")
    written, warnings = draw(out)
    assert written == sweep_figs("firms.0.empowerment_policy", "firms.1.brand_promise") | figs(
        "sweep_map_retained"
    )
    assert warnings == []


def test_weekly_churn_is_drawn_as_a_rolling_mean() -> None:
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "firm": "F",
            "replicate": 0,
            "step": [3, 1, 2],  # out of order: the mean follows the weeks
            "churn_rate_weekly": [0.0, float("nan"), 0.03],
        }
    )
    (churn,) = [d for d in derived(_saved(timeseries=ts)) if d.name == "churn_rate_weekly"]
    bands = churn.statistic()
    assert bands["step"].tolist() == [1, 2, 3]
    assert pd.isna(bands["mean"].iloc[0])  # week 1 has no value yet: no mean either
    assert bands["mean"].iloc[1:].tolist() == [pytest.approx(0.03), pytest.approx(0.015)]


def test_cumulative_churn_rises_within_0_and_1_with_n() -> None:
    # two replicates far apart (one loses its customers early, one keeps them): the t band of
    # two replicates is wide and overshoots a share at both ends unless clipped
    spells = pd.concat(
        [
            make_spells([1, 2, 2, 3], [True, True, True, True], replicate=0),
            make_spells([4, 4, 3, 4], [False, False, True, False], replicate=1),
            make_spells([1, 4], [True, False], replicate=0, firm="G"),
            make_spells([2, 4], [True, False], replicate=1, firm="G"),
            make_spells([1], [True], replicate=1, firm="G", start=2),  # joined later: not counted
        ],
        ignore_index=True,
    )
    (item,) = [d for d in derived(_saved(spells=spells)) if d.name == "cumulative_churn"]
    bands = item.statistic()
    assert set(bands["firm"]) == {"F", "G"}
    for _, firm in bands.groupby("firm"):
        assert firm["week"].tolist() == list(range(5))
        assert firm["mean"].iloc[0] == 0.0
        assert (firm["mean"].diff().dropna() >= 0).all()  # lost customers never come back
    f = bands[bands["firm"] == "F"].set_index("week")
    assert f["mean"].tolist() == pytest.approx([0, 0.125, 0.375, 0.625, 0.625])
    assert (f["count"] == 2).all()
    for column in ("mean", "low", "high"):
        assert bands[column].between(0.0, 1.0).all(), column
    assert (bands["low"] <= bands["mean"]).all()
    assert (bands["mean"] <= bands["high"]).all()
    assert f.loc[2, "low"] == 0.0  # clipped, not below
    assert f.loc[3, "high"] == 1.0  # nor above
    fig = item.draw(bands)
    try:
        assert "n = 2 replicates" in fig.axes[0].get_title()
        for line in fig.axes[0].get_lines():
            assert ((line.get_ydata() >= 0) & (line.get_ydata() <= 1)).all()
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- what a folder gets


def _saved(**tables: Any) -> Saved:
    """A folder's saved tables by hand: only their presence and a few values matter here."""
    defaults = {"timeseries": None, "spells": None, "metrics": None, "varied": []}
    defaults.update(tables)
    return Saved(Path("out"), steps=4, firms=None, **defaults)


def _applying(saved: Saved) -> list[str]:
    return [item.name for item in derived(saved) if item.applies]


def test_each_derived_file_is_declared_once_with_its_condition() -> None:
    ts = pd.DataFrame({"scenario": ["a"], "firm": ["F"]})
    one = pd.DataFrame({"scenario": ["a", "a"], "firm": ["F", "G"]})
    two = pd.DataFrame({"scenario": ["a", "b"], "firm": ["F", "F"]})
    metrics = pd.DataFrame({"scenario": ["a"], "firm": ["F"], "p": [1], "q": [2]})
    every = derived(_saved(timeseries=ts, spells=two, metrics=metrics, varied=["p", "q"]))
    names = [item.name for item in every]
    assert len(names) == len(set(names))
    tables = [item for item in every if item.draw is None]
    assert [t.name for t in tables] == ["survival_tests.csv"]
    assert tables[0].note is not None
    assert _applying(_saved(timeseries=ts)) == [*TIME[:5], "culture_by_level", TIME[-1]]
    assert _applying(_saved(spells=one)) == ["survival", *RETAINED]
    assert _applying(_saved(spells=two)) == ["survival", *RETAINED, "survival_tests.csv"]
    swept = _applying(_saved(metrics=metrics, varied=["p"]))
    assert swept == [f"sweep_{m}_vs_p" for m in SWEEP]
    swept = _applying(_saved(metrics=metrics, varied=["p", "q"]))
    assert swept[-1] == "sweep_heatmap_retained"  # one point is a (1 x 1) grid
    assert len(swept) == 2 * len(SWEEP) + 1
    design = pd.DataFrame({"scenario": "a", "firm": "F", "p": [1, 2, 3], "q": [3, 1, 2]})
    swept = _applying(_saved(metrics=design, varied=["p", "q"]))
    assert swept[-1] == "sweep_map_retained"  # not on a grid: no heatmap of blank cells
    assert len(swept) == 2 * len(SWEEP) + 1
    assert _applying(_saved()) == []


def test_draw_figures_writes_what_is_declared(compare_empty_firm: Path, tmp_path: Path) -> None:
    out = copy(compare_empty_firm, tmp_path)
    (out / "survival_tests.csv").unlink(missing_ok=True)
    written = {p.relative_to(out).as_posix() for p in draw_figures(out, warn=lambda m: None)}
    saved = Saved(
        out,
        pd.read_parquet(out / "timeseries.parquet"),
        pd.read_parquet(out / "spells.parquet"),
        None,
        [],
        steps=8,
        firms=None,
    )
    declared = set()
    for item in derived(saved):
        if item.applies:
            declared |= figs(item.name) if item.draw else {item.name}
    assert written == declared


# --------------------------------------------------------------------------- what it may write


def test_can_write_false_leaves_a_users_file_byte_identical(one_firm_no_churn, tmp_path) -> None:
    out = copy(one_firm_no_churn[0], tmp_path)
    mine = out / "figures" / "churn_rate_weekly.png"
    mine.parent.mkdir()
    mine.write_bytes(b"the user's own figure")
    asked: list[Path] = []

    def can_write(path: Path) -> bool:
        asked.append(path)
        return path != mine

    warnings: list[str] = []
    written = draw_figures(out, warn=warnings.append, can_write=can_write)
    assert mine.read_bytes() == b"the user's own figure"
    assert warnings == [
        "figures/churn_rate_weekly.png: exists and was not written by cxsim; left alone"
    ]
    assert mine not in written
    assert out / "figures" / "churn_rate_weekly.svg" in written
    assert set(asked) == {*written, mine}


def test_can_write_is_asked_for_survival_tests_csv(compare_empty_firm, tmp_path) -> None:
    out = copy(compare_empty_firm, tmp_path)
    mine = out / "survival_tests.csv"
    mine.write_text("my notes\n")
    warnings: list[str] = []
    written = draw_figures(out, warn=warnings.append, can_write=lambda p: p != mine)
    assert mine.read_text() == "my notes\n"
    assert mine not in written
    assert warnings == ["survival_tests.csv: exists and was not written by cxsim; left alone"]


def _failing_savefig(exc: BaseException) -> Callable[..., None]:
    def savefig(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
        Path(fname).write_bytes(b"half a fig")
        raise exc

    return savefig


@pytest.mark.parametrize(
    "exc",
    [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device")],
    ids=["interrupted", "disk-full"],
)
def test_a_failed_write_keeps_the_old_figure_and_leaves_no_temp_file(
    one_firm_no_churn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    out = copy(one_firm_no_churn[0], tmp_path)
    old = out / "figures" / f"{TIME[0]}.png"  # the first figure drawn
    old.parent.mkdir()
    old.write_bytes(b"the previous drawing")
    monkeypatch.setattr(Figure, "savefig", _failing_savefig(exc))
    if isinstance(exc, OSError):
        with pytest.raises(StoreError) as info:
            draw_figures(out, warn=lambda m: None)
        assert str(info.value) == f"{old}: cannot write (No space left on device)"
    else:
        with pytest.raises(KeyboardInterrupt):
            draw_figures(out, warn=lambda m: None)
    assert old.read_bytes() == b"the previous drawing"
    assert [p.name for p in old.parent.iterdir()] == [old.name]


# --------------------------------------------------------------------------- corrupt folders


def _rewrite(name: str, edit: Callable[[Any], Any]) -> Callable[[Path], Path]:
    def corrupt(out: Path) -> Path:
        path = out / name
        if name.endswith(".json"):
            path.write_text(json.dumps(edit(json.loads(path.read_text()))))
        else:
            edit(pd.read_parquet(path)).to_parquet(path)
        return path

    return corrupt


def _bytes(name: str, edit: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def corrupt(out: Path) -> Path:
        path = out / name
        path.write_bytes(edit(path.read_bytes()))
        return path

    return corrupt


def _directory(name: str) -> Callable[[Path], Path]:
    def corrupt(out: Path) -> Path:
        (out / name).unlink()
        (out / name).mkdir()
        return out / name

    return corrupt


def _missing(out: Path) -> Path:
    (out / "metadata.json").unlink()
    return out / "metadata.json"


CORRUPT = {
    "metadata-missing": (_missing, "cannot read (no such file; not a cxsim results folder?)"),
    "metadata-not-json": (_bytes("metadata.json", lambda b: b"{not json"), "cannot read (not"),
    "metadata-truncated": (_bytes("metadata.json", lambda b: b[: len(b) // 2]), "cannot read"),
    "metadata-unreadable": (_directory("metadata.json"), "cannot read (Is a directory)"),
    "metadata-not-object": (_bytes("metadata.json", lambda b: b"[1, 2]"), "cannot read (not a"),
    "metadata-no-scenarios": (
        _rewrite("metadata.json", lambda m: {k: v for k, v in m.items() if k != "scenarios"}),
        "no 'scenarios' with their 'steps'",
    ),
    "timeseries-truncated": (
        _bytes("timeseries.parquet", lambda b: b[: len(b) // 2]),
        "cannot read (Parquet magic bytes not found",
    ),
    "timeseries-empty-file": (_bytes("timeseries.parquet", lambda b: b""), "cannot read ("),
    "spells-not-parquet": (_bytes("spells.parquet", lambda b: b"PAR1 not really"), "cannot read"),
    "timeseries-missing-column": (
        _rewrite("timeseries.parquet", lambda df: df.drop(columns=["satisfaction"])),
        "missing column(s) satisfaction",
    ),
    "spells-missing-columns": (
        _rewrite("spells.parquet", lambda df: df.drop(columns=["event", "duration"])),
        "missing column(s) duration, event",
    ),
    "spells-text-duration": (
        _rewrite("spells.parquet", lambda df: df.assign(duration=df["duration"].astype(str))),
        "column duration is not numeric",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_folder_is_one_line_naming_the_file(one_firm_no_churn, tmp_path, case) -> None:
    corrupt, what = CORRUPT[case]
    out = copy(one_firm_no_churn[0], tmp_path)
    path = corrupt(out)
    with pytest.raises(StoreError) as info:
        draw_figures(out, warn=pytest.fail)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {what}"), message
    assert not (out / "figures").exists()  # the tables are checked before anything is drawn


def test_a_sweep_without_its_varied_column_is_one_line(text_sweep: Path, tmp_path) -> None:
    out = copy(text_sweep, tmp_path)
    path = _rewrite("metrics.parquet", lambda df: df.drop(columns=["description"]))(out)
    with pytest.raises(StoreError, match=r"missing column\(s\) description$") as info:
        draw_figures(out, warn=pytest.fail)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize("case", ["metadata-not-json", "timeseries-truncated"])
def test_cxsim_plot_on_a_corrupt_folder_exits_2_with_one_line(
    one_firm_no_churn, tmp_path, case
) -> None:
    corrupt, what = CORRUPT[case]
    out = copy(one_firm_no_churn[0], tmp_path)
    path = corrupt(out)
    result = cxsim("plot", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {path}: {what}")
