"""Designs of a sweep: the points to run, from ``--vary`` lists and ranges (a full factorial
grid) or from ``--sample`` (a seeded Latin hypercube or scrambled Sobol' design over ranges).

Pure functions from text and scenarios to plain point dicts (key path → value); planning and
running the points is :mod:`cxsim.runner`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np

from .scenario import Scenario, ScenarioError

__all__ = [
    "SAMPLERS",
    "grid",
    "integer_keys",
    "parse_range",
    "parse_sample",
    "parse_vary",
    "sample_points",
]


def parse_vary(text: str, max_points: int = 100_000) -> tuple[str, list[Any]]:
    """``key.path=v1,v2,...`` or ``key.path=lo:hi:n`` (n evenly spaced values) → (key, values).

    A range of more than ``max_points`` values is refused before any is made.
    """
    from .scenario import parse_value

    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise ScenarioError(f"--vary {text!r}: expected key.path=v1,v2,... or key.path=lo:hi:n")
    parts = spec.split(":")
    if len(parts) == 3 and "," not in spec:
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ScenarioError(f"--vary {key}: range {spec!r} must be lo:hi:n numbers") from None
        if n < 1:
            raise ScenarioError(f"--vary {key}: a range needs n >= 1 points, got {n}")
        _check_points(f"--vary {key}", n, max_points)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ScenarioError(f"--vary {key}: range {spec!r} must have finite ends")
        values = [float(v) for v in np.linspace(lo, hi, n)]
        if all(float(v).is_integer() for v in (lo, hi)) and (hi - lo) % max(n - 1, 1) == 0:
            values = [int(v) if float(v).is_integer() else v for v in values]
        return key, values
    if len(parts) == 2 and "," not in spec and _numbers(parts):
        raise ScenarioError(
            f"--vary {key}: the range {spec!r} has no n: give lo:hi:n for a grid, or add"
            f" --sample lhs:N (or sobol:N) to sample it"
        )
    values = [parse_value(v.strip()) for v in spec.split(",") if v.strip()]
    if not values:
        raise ScenarioError(f"--vary {key}: no values")
    return key, values


def _check_points(what: str, n: int, max_points: int) -> None:
    """Refuse ``n`` points past the run limit before any is made."""
    if n > max_points:
        raise ScenarioError(
            f"{what}: {n:,} points is over the limit of {max_points:,} runs"
            " (raise it with --max-runs)"
        )


def _numbers(texts: list[str]) -> bool:
    """True if every text is a number."""
    try:
        [float(t) for t in texts]
    except ValueError:
        return False
    return True


#: the designs of ``--sample KIND:N`` (from ``scipy.stats.qmc``)
SAMPLERS = ("lhs", "sobol")


def parse_sample(text: str, max_points: int = 100_000) -> tuple[str, int]:
    """``lhs:N`` or ``sobol:N`` → (kind, N); Sobol' needs N a power of 2 to keep its balance."""
    kind, sep, count = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in SAMPLERS:
        raise ScenarioError(f"--sample {text!r}: expected KIND:N with KIND one of {SAMPLERS}")
    try:
        n = int(count)
    except ValueError:
        raise ScenarioError(f"--sample {text!r}: N must be a whole number") from None
    if n < 1:
        raise ScenarioError(f"--sample {text!r}: N must be >= 1")
    _check_points(f"--sample {text!r}", n, max_points)
    if kind == "sobol" and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise ScenarioError(
            f"--sample {text!r}: Sobol' points are balanced only for N a power of 2"
            f" (try sobol:{below} or sobol:{below * 2}, or lhs:{n})"
        )
    return kind, n


def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """``key.path=lo:hi`` (a range to sample, without n) → (key, (lo, hi)), finite and lo < hi."""
    key, sep, spec = text.partition("=")
    key = key.strip()
    parts = spec.split(":")
    if not sep or not key or len(parts) != 2:
        raise ScenarioError(f"--vary {text!r}: with --sample, expected key.path=lo:hi")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ScenarioError(f"--vary {key}: range {spec!r} must be lo:hi numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ScenarioError(f"--vary {key}: range {spec!r} must be finite with lo < hi")
    return key, (lo, hi)


def integer_keys(scenario: Scenario, keys: Iterable[str]) -> set[str]:
    """The key paths among ``keys`` whose value in ``scenario`` is a whole number (an int field)."""
    data = scenario.model_dump(mode="json")
    found = set()
    for key in keys:
        node: Any = data
        for part in key.split("."):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                node = None
                break
        if isinstance(node, int) and not isinstance(node, bool):
            found.add(key)
    return found


def sample_points(
    ranges: dict[str, tuple[float, float]],
    kind: str,
    n: int,
    seed: int,
    integers: set[str] | None = None,
) -> list[dict[str, Any]]:
    """``n`` points of a Latin hypercube or scrambled Sobol' design over ``ranges``.

    The design's generator is seeded from ``seed`` (the job's ``--seed``), so the same command
    samples the same points; keys in ``integers`` are rounded to whole numbers.
    """
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    d = len(ranges)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d, rng=rng).random(n)
    elif kind == "sobol":
        unit = qmc.Sobol(d, rng=rng).random_base2(int(n).bit_length() - 1)
    else:
        raise ScenarioError(f"--sample: unknown kind {kind!r}; expected one of {SAMPLERS}")
    lows, highs = zip(*ranges.values(), strict=True)
    values = qmc.scale(unit, lows, highs)
    integers = integers or set()
    return [
        {
            key: int(np.rint(v)) if key in integers else float(v)
            for key, v in zip(ranges, row, strict=True)
        }
        for row in values
    ]


def grid(varies: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The full factorial grid of the varied values, one dict per point."""
    keys = list(varies)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*varies.values())]
