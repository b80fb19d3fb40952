"""Reading scenarios: YAML 1.2 files or dicts into a validated ``Scenario``, and overrides.

Errors carry the file, the line, the key path and what is wrong, e.g.
``ceo_led.yaml:13: firms.0.leadership.ceo_commitment: must be <= 1, got 1.5``. The schema is in
``cxsim.schema``; the bounds on what a small input may cost are in ``cxsim.bounded_yaml``.

(A little over 350 lines: reading, error messages with file and line, renamed keys and
overrides all walk the same key paths and are kept together.)
"""

from __future__ import annotations

import copy
import difflib
import io
import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml.error import MarkedYAMLError

from .bounded_yaml import (
    BYTES_ENV,
    _check_limits,
    _Limits,
    _limits,
    _Refused,
    _too_deep_for_python,
    _yaml,
)
from .schema import (
    RENAMED_KEYS,
    ByLevel,
    Firm,
    Scenario,
    ScenarioDeprecation,
    ScenarioError,
    _FieldError,
    _num,
    _shown,
)

__all__ = [  # ByLevel and Firm are re-exported for modules that import them from here
    "ByLevel",
    "Firm",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "current_key",
    "load_scenario",
    "parse_value",
    "scenario_path",
    "shipped_scenarios",
]


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest key in ``loc`` that exists in the ruamel document."""
    line = None
    node = doc
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and key in node:
                if lc is not None:
                    line = lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                if lc is not None:  # an alias item has its anchor's line: not before the list's
                    line = max(lc.item(key)[0], lc.line or 0) + 1
                node = node[key]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    return line


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Known field names of the model at a key path (for 'did you mean')."""
    model: Any = Scenario
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        for cand in (*getattr(ann, "__args__", ()), ann):
            inner = getattr(cand, "__args__", None)
            if inner:
                cand = inner[0]
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                model = cand
                break
        else:
            return []
    return list(getattr(model, "model_fields", {}))


def _key(key: Any) -> str:
    """One key as text on one line: quoted if it holds a line break or other control character."""
    text = str(key)
    if not text.isprintable():
        text = repr(text)
    return text if len(text) <= 40 else text[:37] + "..."


def _path(loc: tuple[Any, ...], most: int = 8) -> str:
    """``firms.0.name``; a long path (deep nesting) is cut after ``most`` keys."""
    if not loc:
        return "(top level)"
    keys = [_key(k) for k in loc[:most]]
    return ".".join(keys) + ("..." if len(loc) > most else "")


def _message(source: str | None, line: int | None, loc: tuple[Any, ...], what: str) -> str:
    """``source:line: key.path: what`` (no ``source:line: `` for overrides)."""
    where = "" if source is None else f"{source}:{line}: " if line else f"{source}: "
    return f"{where}{_path(loc)}: {what}"


def _describe(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    got = _shown(err.get("input"))
    if kind == "less_than_equal":
        return f"must be <= {_num(ctx.get('le'))}, got {got}"
    if kind == "greater_than_equal":
        return f"must be >= {_num(ctx.get('ge'))}, got {got}"
    if kind == "less_than":
        return f"must be < {_num(ctx.get('lt'))}, got {got}"
    if kind == "greater_than":
        return f"must be > {_num(ctx.get('gt'))}, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {want}, got {got}"
    if kind == "string_type":
        return f"must be text, got {got}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in {"model_type", "dict_type"}:
        return f"must be a mapping of keys, got {got}"
    if kind == "list_type":
        return f"must be a list, got {got}"
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _format_errors(exc: ValidationError, source: str | None, doc: Any) -> str:
    """The first error as one line (a cross-field error at the key it names), plus a count."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        loc += cause.loc
    line = _line_of(doc, loc) if doc is not None else None
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return _message(source, line, loc, _describe(err)) + tail


def _guard(data: Any, limits: _Limits, source: str | None, doc: Any) -> None:
    """``_check_limits`` with its refusal as a one-line ``ScenarioError``."""
    try:
        _check_limits(data, limits)
    except _Refused as exc:
        line = exc.line or (_line_of(doc, exc.loc) if doc is not None else None)
        raise ScenarioError(_message(source, line, exc.loc, exc.what)) from None


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_plain(v) for v in obj]
    return obj


def _renamed(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Move old keys to their new names in place; return (old key path, new key) of each."""
    moved = []
    for pattern, new in RENAMED_KEYS.items():
        for loc, parent in _matches(data, pattern[:-1]):
            old = pattern[-1]
            if isinstance(parent, dict) and old in parent:
                if new in parent:
                    where = ".".join(map(str, loc))
                    raise ScenarioError(
                        f"{where}: both {old!r} and its new name {new!r} are given; keep {new!r}"
                    )
                parent[new] = parent.pop(old)
                moved.append(((*loc, old), new))
    return moved


def _matches(node: Any, pattern: tuple[str, ...], loc: tuple[Any, ...] = ()) -> Any:
    """(key path, node) of every node a key pattern reaches (``*``: any list index)."""
    if not pattern:
        yield loc, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*" and isinstance(node, list):
        for i, child in enumerate(node):
            yield from _matches(child, rest, (*loc, i))
    elif isinstance(node, dict) and head in node:
        yield from _matches(node[head], rest, (*loc, head))


def _renamed_path(keys: list[str], source: str = "--set") -> list[str]:
    """An override's key path under the new names (warning if it used an old one)."""
    for pattern, new in RENAMED_KEYS.items():
        if len(keys) >= len(pattern) and all(
            p == k or (p == "*" and k.isdigit()) for p, k in zip(pattern, keys, strict=False)
        ):
            fixed = [*keys[: len(pattern) - 1], new, *keys[len(pattern) :]]
            _warn_renamed([(tuple(keys[: len(pattern)]), new)], source, None)
            return fixed
    return keys


def current_key(path: str, source: str = "--set") -> str:
    """A key path under the current names; an old name gives a ``ScenarioDeprecation``."""
    return ".".join(_renamed_path(path.split("."), source))


def _warn_renamed(moved: list[tuple[tuple[Any, ...], str]], source: str | None, doc: Any) -> None:
    for loc, new in moved:
        line = _line_of(doc, loc) if doc is not None else None
        what = f"renamed {new!r}; the old name is read for now, please use the new one"
        warnings.warn(ScenarioDeprecation(_message(source, line, loc, what)), stacklevel=3)


def _validate(
    data: Any, source: str, limits: _Limits, doc: Any = None, copy_first: bool = False
) -> Scenario:
    """Check the limits, then expand and validate (copying ``data`` first if asked)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): must be a mapping of keys")
    _guard(data, limits, source, doc)
    try:
        plain = _to_plain(copy.deepcopy(data) if copy_first else data)
        _warn_renamed(_renamed(plain), source, doc)
        try:
            return Scenario.model_validate(plain)
        except ValidationError as exc:
            message = _format_errors(exc, source, doc)
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        message = f"{source}: {_too_deep_for_python(limits)}"
    raise ScenarioError(message)


def _read(path: Path, limits: _Limits) -> str:
    """The file's text, refused before reading if it is larger than the byte limit."""
    limit = f"the {limits.bytes:,}-byte limit for a scenario (set {BYTES_ENV} to change it)"
    try:
        size = path.stat().st_size
        if size > limits.bytes:
            raise ScenarioError(f"{path.name}: the file is {size:,} bytes, over {limit}")
        with path.open("rb") as fh:  # a pipe or /proc file has no size: read one byte too many
            raw = fh.read(limits.bytes + 1)
        if len(raw) > limits.bytes:
            raise ScenarioError(f"{path.name}: the file is over {limit}")
        return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None


#: the scenarios shipped with the package (``cxsim/scenarios`` links to the root ``scenarios/``)
SHIPPED = Path(__file__).parent / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """The shipped scenario files by name (the file name without ``.yaml``), sorted by name."""
    return {path.stem: path for path in sorted(SHIPPED.glob("*.yaml"))}


def _bare_name(path: Path) -> str | None:
    """The name a path gives if it is a bare name (no folder), without ``.yaml``/``.yml``."""
    if len(path.parts) != 1:
        return None
    return path.stem if path.suffix in (".yaml", ".yml") else path.name


def scenario_path(source: str | Path) -> Path:
    """The file a scenario argument names: an existing path as given; else a bare name
    (``ceo_led`` or ``ceo_led.yaml``) of a shipped scenario; else the path as given."""
    path = Path(source)
    name = _bare_name(path)
    if path.exists() or name is None:
        return path
    return shipped_scenarios().get(name, path)


def _not_found(path: Path) -> ScenarioError:
    """No such file: for a bare name, say that it is not a shipped scenario either."""
    name = _bare_name(path)
    if name is None:
        return ScenarioError(f"{path}: no such scenario file")
    close = difflib.get_close_matches(name, list(shipped_scenarios()), n=1)
    hint = f"; did you mean {close[0]}?" if close else " (cxsim scenarios lists them)"
    return ScenarioError(f"{path}: no such scenario file, nor a shipped scenario{hint}")


def load_scenario(source: str | Path | dict[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario from a YAML path, a YAML string path, or a dict.

    A bare name that is not a file (``"ceo_led"``) is the shipped scenario of that name.
    Raises ``ScenarioError`` with one line: ``file:line: key.path: what is wrong``, also for a
    file, a document or a dict past the limits on bytes, nodes and depth (see the module doc).
    """
    if isinstance(source, Scenario):
        return source
    limits = _limits()
    if isinstance(source, dict):
        return _validate(source, "<dict>", limits, copy_first=True)
    path = scenario_path(source)
    if not path.exists():
        raise _not_found(path)
    name = path.name
    text = _read(path, limits)
    try:
        doc = _yaml(limits).load(io.StringIO(text))
    except _Refused as exc:
        raise ScenarioError(_message(name, exc.line, exc.loc, exc.what)) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{name}{line}: not valid YAML: {exc.problem or exc}") from None
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        raise ScenarioError(f"{name}: {_too_deep_for_python(limits)}") from None
    except Exception as exc:  # ruamel raises a few unmarked errors (duplicate keys etc.)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{name}: not valid YAML: {first}") from None
    if doc is None:
        raise ScenarioError(f"{name}: the file is empty")
    return _validate(doc, name, limits, doc)


# --------------------------------------------------------------------------- overrides


def parse_value(text: str) -> Any:
    """Parse a command-line value the way YAML 1.2 would (``1e-3`` is a float, ``no`` a string).

    A value that is not YAML, or is nested past the depth limit, stays the text it was.
    """
    try:
        return _yaml(_limits()).load(io.StringIO(text))
    except Exception:
        return text


def _set_path(data: Any, keys: list[str], value: Any, full: str) -> None:
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit()) or len(key) > 18 or int(key) >= len(node):
                raise ScenarioError(f"{full}: no item {key!r} in a list of {len(node)}")
            idx = int(key)
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if node.get(key) is None:
                    node[key] = {}
                node = node[key]
        else:
            raise ScenarioError(f"{full}: {'.'.join(keys[:i])} is not a mapping or list")


def apply_overrides(scenario: Scenario | dict[str, Any], overrides: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with ``{"key.path": value}`` overrides applied.

    Unknown keys, out-of-range or non-finite values, and values past the node or depth limits
    raise ``ScenarioError`` naming the key path. Setting a field inside an optional block that
    is null (``firms.0.cco.authority``) creates the block with its defaults.
    """
    limits = _limits()
    if isinstance(scenario, Scenario):
        data = scenario.model_dump()
    else:
        _guard(scenario, limits, None, None)  # before deepcopy, which recurses per level
        data = copy.deepcopy(scenario)
    _warn_renamed(_renamed(data), None, None)
    for path, value in overrides.items():
        keys = path.split(".")
        if not all(keys):
            raise ScenarioError(f"{path}: not a key path (use dots, e.g. market.customers)")
        keys = _renamed_path(keys)
        _set_path(data, keys, value, path)
    _guard(data, limits, None, None)  # a value may be an alias bomb: --set 'x=[&a [...], ...]'
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, None, None)) from None
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        raise ScenarioError(_too_deep_for_python(limits)) from None
