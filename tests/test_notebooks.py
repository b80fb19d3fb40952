"""Teaching notebooks are documentation that runs: each is executed top to bottom, and the claims
in their prose are checked by the cells that print the numbers (an ``assert`` after each)."""

from __future__ import annotations

import itertools
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01_quickstart",
        "02_ceo_vs_cco",
        "03_invisible_war",
        "04_analyst",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_diff_friendly_prose_between_code(path: Path) -> None:
    """Committed without outputs, and every code cell follows a prose cell."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown"
    assert all(a == "markdown" for a, b in itertools.pairwise(kinds) if b == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
