"""Designs of a sweep: the points to run, from ``--vary`` lists and ranges (a full factorial
grid) or from ``--sample`` (a seeded Latin hypercube, scrambled Sobol' or Morris design over
ranges), and the Morris screening of a finished Morris sweep (:func:`morris_effects`).

Pure functions from text and scenarios to plain point dicts (key path → value); planning and
running the points is :mod:`cxsim.runner`.
"""

from __future__ import annotations

import itertools
import re
import shlex
import types
import typing
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from .scenario import Scenario, ScenarioError

__all__ = [
    "MORRIS_LEVELS",
    "SAMPLERS",
    "grid",
    "integer_keys",
    "morris_effects",
    "parse_range",
    "parse_sample",
    "parse_vary",
    "sample_points",
    "sampled_design",
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
        values = [_clean(float(v)) for v in np.linspace(lo, hi, n)]
        if all(float(v).is_integer() for v in (lo, hi)) and (hi - lo) % max(n - 1, 1) == 0:
            values = [int(v) if float(v).is_integer() else v for v in values]
        return key, values
    if len(parts) == 2 and "," not in spec and _numbers(parts):
        raise ScenarioError(
            f"--vary {key}: the range {spec!r} has no n: give lo:hi:n for a grid, or add"
            f" --sample lhs:N (or sobol:N, morris:N) to sample it"
        )
    hyphen = _HYPHEN_RANGE.fullmatch(spec.strip())
    if hyphen and "," not in spec and not _numbers([spec]) and not _text_key(key):
        lo, hi = hyphen.groups()
        raise ScenarioError(
            f"--vary {key}: {spec!r} is not a number: for a range give {lo}:{hi}:n for a grid,"
            f" or {lo}:{hi} with --sample lhs:N (or sobol:N, morris:N) to sample it"
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


#: two numbers joined by a hyphen (``0.3-0.9``), as a range is often written by mistake
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_HYPHEN_RANGE = re.compile(rf"\s*({_NUMBER})\s*-\s*({_NUMBER})\s*")


def _text_key(key: str) -> bool:
    """True if the scenario field at ``key`` holds text (e.g. a firm's name), per the schema."""
    node: Any = Scenario
    for part in key.split("."):
        while typing.get_origin(node) in (typing.Union, types.UnionType):
            node = next(a for a in typing.get_args(node) if a is not type(None))
        if typing.get_origin(node) is list and part.isdigit():
            node = typing.get_args(node)[0]
            continue
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return False
        field = node.model_fields.get(part)
        if field is None:
            return False
        node = field.annotation
    return node is str


def _numbers(texts: list[str]) -> bool:
    """True if every text is a number."""
    try:
        [float(t) for t in texts]
    except ValueError:
        return False
    return True


#: the designs of ``--sample KIND:N``: ``lhs`` and ``sobol`` from ``scipy.stats.qmc``,
#: ``morris`` (N trajectories of k + 1 points for k ranges) from SALib
SAMPLERS = ("lhs", "sobol", "morris")
#: the grid levels of a Morris design (SALib's default; even, as Morris recommends)
MORRIS_LEVELS = 4


def parse_sample(text: str, max_points: int = 100_000) -> tuple[str, int]:
    """``lhs:N``, ``sobol:N`` or ``morris:N`` → (kind, N).

    Sobol' needs N a power of 2 to keep its balance; Morris needs N >= 2 trajectories (for the
    spread of the effects) and makes N x (k + 1) points, at least 2N, checked here against
    ``max_points`` (the full count, with k, in :func:`sample_points`).
    """
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
    if kind == "morris" and n < 2:
        raise ScenarioError(
            f"--sample {text!r}: a Morris design needs N >= 2 trajectories (try morris:10)"
        )
    _check_points(f"--sample {text!r}", n * (2 if kind == "morris" else 1), max_points)
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
    max_points: int | None = None,
) -> list[dict[str, Any]]:
    """The points of a Latin hypercube or scrambled Sobol' design (``n`` points) or a Morris
    design (``n`` trajectories of ``len(ranges) + 1`` points each, in trajectory order) over
    ``ranges``.

    The design's generator is seeded from ``seed`` (the job's ``--seed``), so the same command
    samples the same points; keys in ``integers`` are rounded to whole numbers. A design of more
    than ``max_points`` points (if given) is refused before it is made.
    """
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    d = len(ranges)
    if kind not in SAMPLERS:
        raise ScenarioError(f"--sample: unknown kind {kind!r}; expected one of {SAMPLERS}")
    if max_points is not None:
        what, count = f"--sample {kind}:{n}", n
        if kind == "morris":
            what, count = f"{what} ({n} trajectories x {d + 1} for {d} ranges)", n * (d + 1)
        _check_points(what, count, max_points)
    lows, highs = zip(*ranges.values(), strict=True)
    if kind == "morris":
        from SALib.sample import morris

        values = morris.sample(_problem(ranges), n, num_levels=MORRIS_LEVELS, seed=rng)
    else:
        if kind == "lhs":
            unit = qmc.LatinHypercube(d, rng=rng).random(n)
        else:
            unit = qmc.Sobol(d, rng=rng).random_base2(int(n).bit_length() - 1)
        values = qmc.scale(unit, lows, highs)
    integers = integers or set()
    return [
        {
            key: int(np.rint(v)) if key in integers else _clean(float(v))
            for key, v in zip(ranges, row, strict=True)
        }
        for row in values
    ]


def grid(varies: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The full factorial grid of the varied values, one dict per point."""
    keys = list(varies)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*varies.values())]


def _clean(value: float) -> float:
    """``value`` to 12 significant digits: ``0.6000000000000001`` (float noise of a range or a
    sampler) becomes ``0.6`` in points, tables and metadata."""
    return float(f"{value:.12g}")


def _problem(ranges: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem definition of the ranges."""
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [[float(lo), float(hi)] for lo, hi in ranges.values()],
    }


def morris_effects(
    points: Sequence[Mapping[str, Any]],
    values: Sequence[float] | pd.Series,
    ranges: Mapping[str, tuple[float, float]],
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris screening of a finished ``--sample morris:N`` sweep (``SALib.analyze.morris``).

    ``points`` are the sweep's points in order (``metadata["options"]["points"]``), ``values``
    the metric's mean per point (a list in point order, or a Series indexed by ``point``) and
    ``ranges`` the ``--vary`` ranges (:func:`sampled_design` reads them back from the metadata).
    Returns one row per parameter: ``mu_star`` (mean absolute elementary effect: the metric's
    change over the parameter's full range), its bootstrap half-width ``mu_star_conf``,
    ``sigma`` (spread of the effects: interaction or curvature), ``mu`` (signed mean) and
    ``trajectories``.
    """
    from SALib.analyze import morris

    names = list(ranges)
    k = len(names)
    if isinstance(values, pd.Series):
        missing = sorted(set(range(len(points))) - set(values.index))
        if missing:
            raise ValueError(f"morris_effects: no value for points {missing[:10]}")
        values = values.loc[list(range(len(points)))]
    y = np.asarray(values, dtype=float)
    x = np.array([[float(p[name]) for name in names] for p in points], dtype=float)
    if len(points) == 0 or len(points) % (k + 1) or len(y) != len(points):
        raise ValueError(
            f"morris_effects: {len(points)} points and {len(y)} values do not make whole"
            f" trajectories of {k + 1} points for {k} ranges"
        )
    steps = np.diff(x.reshape(-1, k + 1, k), axis=1)
    if not ((steps != 0).sum(axis=2) == 1).all():
        raise ValueError(
            "morris_effects: the points are not Morris trajectories (each step must change"
            " exactly one parameter); were they sampled with --sample morris:N?"
        )
    if not np.isfinite(y).all():
        bad = np.flatnonzero(~np.isfinite(y)).tolist()
        raise ValueError(f"morris_effects: no finite value for points {bad[:10]}")
    found = morris.analyze(
        _problem(ranges),
        x,
        y,
        conf_level=conf_level,
        num_levels=MORRIS_LEVELS,
        seed=np.random.default_rng(np.random.SeedSequence(seed)),
    )
    table = pd.DataFrame(
        {
            "mu_star": np.asarray(found["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(found["mu_star_conf"], dtype=float),
            "sigma": np.asarray(found["sigma"], dtype=float),
            "mu": np.asarray(found["mu"], dtype=float),
            "trajectories": len(points) // (k + 1),
        },
        index=pd.Index(names, name="parameter"),
    )
    return table


def sampled_design(
    metadata: Mapping[str, Any],
) -> tuple[str, int, dict[str, tuple[float, float]]] | None:
    """``(kind, N, ranges)`` of a ``--sample`` sweep, read back from its metadata's command line
    (``None`` for a grid or a design table); the ranges are keyed as the points are."""
    from .scenario import current_key

    args = shlex.split(str(metadata.get("command_line", "")))
    sample, varies = None, []
    for i, arg in enumerate(args):
        for flag in ("--sample", "--vary"):
            if arg == flag and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(f"{flag}="):
                value = arg.removeprefix(f"{flag}=")
            else:
                continue
            if flag == "--sample":
                sample = value
            else:
                varies.append(value)
    if sample is None:
        return None
    kind, n = parse_sample(sample, max_points=np.iinfo(np.int64).max)
    ranges = {}
    for item in varies:
        key, bounds = parse_range(item)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ranges[current_key(key, "--vary")] = bounds
    return kind, n, ranges
