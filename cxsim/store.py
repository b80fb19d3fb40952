"""The results folder as cxsim's own: it writes only there, deletes only what it wrote, and
keeps every finished run through any interruption.

A results folder is recognisable by its marker (``.cxsim-results``, written first). cxsim
writes into a new or empty folder, or into a folder with its marker; it refuses any other
non-empty folder. Every file it writes is recorded in the manifest (``.cxsim-manifest``) before
it is written, and replacing a folder's results deletes exactly the files the manifest lists,
so a user's own files in the folder are never touched. While a job runs it holds a lock
(``.cxsim.lock``, with its process id), so two jobs never write the same folder.

Each finished run's status file is written last and records the plan's hash, the run's own
inputs, and the size and SHA-256 of each of its tables; ``--resume`` redoes any run whose data
fails that check and refuses a folder whose stored plan differs from the command's.

(Over 350 lines on purpose: ownership, manifest, lock and verification are one set of rules
about one folder and are safest read together.)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .runner import RunResult, RunSpec

__all__ = [
    "MANIFEST",
    "MARKER",
    "ResultStore",
    "StoreError",
    "plan_hash",
    "plan_record",
    "temp_path",
    "write_atomic",
]

MARKER = ".cxsim-results"
MANIFEST = ".cxsim-manifest"
LOCK = ".cxsim.lock"
#: files cxsim keeps in a folder for its own bookkeeping (not results)
_OWN = {MARKER, MANIFEST, LOCK}
_TABLES = ("timeseries", "metrics", "spells")
FORMAT = 1


class StoreError(RuntimeError):
    """The output folder cannot be used (one readable line)."""


def plan_record(spec: RunSpec) -> dict[str, Any]:
    """What identifies a run: its label, seed and the digest of its resolved scenario."""
    return {
        "run_id": spec.run_id,
        "scenario": spec.scenario_name,
        "replicate": spec.replicate,
        "entropy": str(spec.entropy),
        "spawn_key": list(spec.spawn_key),
        "point": spec.point,
        "record": spec.record,
        "spells": spec.spells,
        "digest": _digest(spec.scenario)[:16],
    }


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def plan_hash(plan: list[RunSpec]) -> str:
    """One hash of the whole plan: a change of scenarios, values, replicates or seed changes it."""
    return _digest([plan_record(s) for s in plan])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def temp_path(path: Path) -> Path:
    """The temporary sibling a file is written to before it is renamed into place.

    Named after this process, so that a user's own ``.x.tmp`` file is never taken for
    cxsim's (the manifest lists each temporary name before it is used).
    """
    return path.with_name(f".{path.name}.{os.getpid()}.cxsim-tmp")


def write_atomic(path: Path, write: Callable[[Path], None], full_disk_hint: str = "") -> None:
    """Write ``path`` through ``write(tmp)`` then rename, so a reader never sees half a file.

    On any error (a full disk, say) the temporary file is removed and a ``StoreError`` says
    what failed (adding ``full_disk_hint`` when the disk is full); files already written stay.
    """
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        hint = full_disk_hint if exc.errno in {errno.ENOSPC, errno.EDQUOT} else ""
        raise StoreError(f"{path}: cannot write ({_reason(exc)}){hint}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class ResultStore:
    """A results folder: prepared (checked, locked, marked), written run by run, assembled.

    Use as a context manager, or call :meth:`close` to release the lock.
    """

    def __init__(self, out: Path | str, plan: list[RunSpec]) -> None:
        self.out = Path(out)
        self.plan = plan
        self.runs_dir = self.out / "runs"
        self.hash = plan_hash(plan)
        self._records = {s.run_id: plan_record(s) for s in plan}
        self._owned: set[str] = set()
        self._lock_fd: int | None = None
        #: finished runs that failed their data check on resume, and are redone
        self.redone: list[str] = []

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ ownership

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def owns(self, path: Path) -> bool:
        """True if cxsim wrote ``path`` (it is in the manifest)."""
        return self._rel(path) in self._owned

    def claim(self, path: Path) -> bool:
        """Record ``path`` (and its temporary sibling) in the manifest before writing it.

        Returns False, and records nothing, if the file exists and cxsim did not write it:
        such a file is never overwritten.
        """
        path = Path(path)
        new = []
        for p in (path, temp_path(path)):
            rel = self._rel(p)
            if rel in self._owned:
                continue
            if p.exists() or p.is_symlink():
                return False
            new.append(rel)
        if new:
            with (self.out / MANIFEST).open("a", encoding="utf-8") as fh:
                fh.write("".join(f"{rel}\n" for rel in new))
                fh.flush()
                os.fsync(fh.fileno())
            self._owned.update(new)
        return True

    def _claim_or_fail(self, path: Path) -> None:
        if not self.claim(path):
            raise StoreError(
                f"{path}: exists and was not written by cxsim; move it away or use another --out"
            )

    def _mkdir(self, folder: Path) -> None:
        if folder.exists() and not folder.is_dir():
            raise StoreError(
                f"{folder}: is a file, where cxsim keeps a folder; move it away or use another"
                " --out"
            )
        folder.mkdir(parents=True, exist_ok=True)

    def write_bytes_atomic(self, path: Path, write: Callable[[Path], None]) -> None:
        """Claim ``path``, then write it atomically (see :func:`write_atomic`)."""
        self._claim_or_fail(path)
        write_atomic(
            path, write, full_disk_hint="; free some space and run the same command with --resume"
        )

    def write_text(self, path: Path, text: str) -> None:
        self.write_bytes_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_csv(self, path: Path, df: pd.DataFrame) -> None:
        self.write_bytes_atomic(path, lambda tmp: df.to_csv(tmp, index=False))

    def write_parquet(self, path: Path, df: pd.DataFrame) -> None:
        self.write_bytes_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))

    def write_parquet_batches(self, path: Path, frames: Iterable[pd.DataFrame]) -> int:
        """Write frames of one schema as one table, a frame at a time, as
        :meth:`write_parquet` would write them concatenated (the same values and dtypes);
        returns the rows written."""
        import pyarrow as pa
        import pyarrow.parquet as pq  # pandas' parquet engine

        rows = 0

        def write(tmp: Path) -> None:
            nonlocal rows
            rows, writer, schema = 0, None, None
            try:
                for df in frames:
                    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
                    if writer is None:
                        schema = table.schema
                        writer = pq.ParquetWriter(tmp, schema)
                    writer.write_table(table)
                    rows += len(df)
            finally:
                if writer is not None:
                    writer.close()

        self.write_bytes_atomic(path, write)
        return rows

    # ------------------------------------------------------------------ set-up

    def _lock(self) -> None:
        path = self.out / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                other = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            finally:
                os.close(fd)
            raise StoreError(
                f"{self.out}: in use by another cxsim job (process {other}); wait for it to"
                " finish or use another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder's lock (the lock file stays; it is cxsim's)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _marker(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.out / MARKER).read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}

    def _read_manifest(self) -> set[str]:
        try:
            lines = (self.out / MANIFEST).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return set()
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{self.out / MANIFEST}: cannot read ({exc})") from None
        owned = set()
        for line in lines:
            rel = Path(line)
            # only plain relative paths inside the folder: a tampered manifest cannot point out
            if line and not rel.is_absolute() and ".." not in rel.parts:
                owned.add(rel.as_posix())
        return owned

    def open(self, *, resume: bool = False, overwrite: bool = False) -> set[str]:
        """Check, lock and mark the folder; return the ids of verified finished runs.

        * A missing or empty folder becomes cxsim's; any other folder must carry the marker.
        * With ``resume`` the folder's stored plan must be this plan; runs whose data fails its
          check are redone (their files removed).
        * Without ``resume`` earlier results are replaced (only files cxsim wrote are deleted);
          an unfinished job's finished runs are replaced only with ``overwrite``.
        """
        out = self.out
        if out.exists() and not out.is_dir():
            raise StoreError(f"{out}: is a file, not a folder; give a folder as --out")
        marker = self._marker() if out.is_dir() else None
        if marker is None and out.is_dir():
            try:
                foreign = [p.name for p in out.iterdir() if p.name not in _OWN]
            except OSError as exc:
                raise StoreError(f"{out}: cannot read the output folder ({_reason(exc)})") from None
            if foreign:
                raise StoreError(
                    f"{out}: not empty and not a cxsim results folder (it holds"
                    f" {_show(foreign)}); give a new or empty folder as --out"
                )
        try:
            out.mkdir(parents=True, exist_ok=True)
            self._lock()
        except OSError as exc:
            raise StoreError(f"{out}: cannot write the output folder ({_reason(exc)})") from None
        try:
            return self._open_locked(marker, resume, overwrite)
        except BaseException:
            self.close()
            raise

    def _open_locked(
        self, marker: dict[str, Any] | None, resume: bool, overwrite: bool
    ) -> set[str]:
        self._owned = self._read_manifest()
        if marker is not None:
            stored = self._stored_hashes(marker)
            if resume:
                if stored - {self.hash}:
                    raise StoreError(
                        f"{self.out}: --resume needs the same command; this folder holds a"
                        " different plan (other scenarios, values, replicates or seed)"
                    )
            else:
                finished, ended = self._progress()
                if finished and not ended and not overwrite:
                    raise StoreError(
                        f"{self.out}: holds an unfinished job ({finished} finished run(s));"
                        " add --resume to finish it, or --overwrite to replace it (its"
                        f" {finished} finished run(s) would be lost)"
                    )
                self._remove_owned()
        try:
            self._write_marker()
            self._mkdir(self.runs_dir)
            self.write_text(
                self.out / "plan.json",
                json.dumps({"hash": self.hash, "runs": list(self._records.values())}, indent=1),
            )
        except OSError as exc:
            raise StoreError(
                f"{self.out}: cannot write the output folder ({_reason(exc)})"
            ) from None
        return self._verified() if resume else set()

    def _write_marker(self) -> None:
        from . import __version__

        # the marker says "cxsim's folder": it is written before anything else of a new job
        path = self.out / MARKER
        if path.exists() and MARKER not in self._owned:
            self._owned.add(MARKER)  # an older job's marker: cxsim's own by definition
        data = {"cxsim": __version__, "format": FORMAT, "plan_hash": self.hash}
        tmp = temp_path(path)
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)

    def _stored_hashes(self, marker: dict[str, Any]) -> set[str]:
        """Every plan hash the folder records: marker, plan.json and each run's status."""
        hashes = set()
        if marker.get("plan_hash"):
            hashes.add(str(marker["plan_hash"]))
        try:
            plan = json.loads((self.out / "plan.json").read_text(encoding="utf-8"))
            if isinstance(plan, dict) and plan.get("hash"):
                hashes.add(str(plan["hash"]))
        except (OSError, ValueError):
            pass
        for status in self._statuses().values():
            hashes.add(str(status.get("plan_hash", "unknown")))
        return hashes

    def _statuses(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        if not self.runs_dir.is_dir():
            return out
        for status in self.runs_dir.glob("*/status.json"):
            try:
                data = json.loads(status.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                out[status.parent.name] = data
        return out

    def _progress(self) -> tuple[int, bool]:
        """(finished runs, whether the job the folder holds ran to its end)."""
        statuses = self._statuses()
        finished = sum(s.get("status") == "ok" for s in statuses.values())
        try:
            plan = json.loads((self.out / "plan.json").read_text(encoding="utf-8"))
            planned = len(plan["runs"])
        except (OSError, ValueError, KeyError, TypeError):
            return finished, False
        ended = sum(s.get("status") in {"ok", "error"} for s in statuses.values())
        return finished, ended >= planned and (self.out / "metadata.json").exists()

    def _remove_owned(self) -> None:
        """Delete every file cxsim wrote here (and folders it leaves empty); nothing else."""
        keep = {MARKER, MANIFEST, LOCK}
        dirs: set[Path] = set()
        for rel in sorted(self._owned - keep):
            path = self.out / rel
            try:
                if path.is_file() or path.is_symlink():
                    path.unlink()
            except OSError as exc:
                raise StoreError(f"{path}: cannot remove ({_reason(exc)})") from None
            dirs.update(p for p in path.parents if self.out in p.parents)
        for folder in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: a user's file keeps its folder
        self._owned = {rel for rel in self._owned if rel in keep}
        manifest = self.out / MANIFEST
        tmp = temp_path(manifest)
        tmp.write_text("".join(f"{r}\n" for r in sorted(self._owned)), encoding="utf-8")
        os.replace(tmp, manifest)

    # ------------------------------------------------------------------ verification

    def _check(self, run_id: str, status: dict[str, Any]) -> bool:
        """A finished run counts only if its inputs and every table are as written."""
        if status.get("status") != "ok" or status.get("plan_hash") != self.hash:
            return False
        if status.get("run") != self._records.get(run_id):
            return False
        files = status.get("files")
        if not isinstance(files, dict) or not files:
            return False
        for name, info in files.items():
            path = self.runs_dir / run_id / str(name)
            try:
                if path.stat().st_size != info["bytes"] or _sha256(path) != info["sha256"]:
                    return False
            except (OSError, KeyError, TypeError):
                return False
        return True

    def _verified(self) -> set[str]:
        done, bad = set(), []
        for run_id, status in self._statuses().items():
            if run_id not in self._records:
                continue
            if self._check(run_id, status):
                done.add(run_id)
            elif status.get("status") == "ok":
                bad.append(run_id)
        for run_id in bad:  # its data changed or went missing: redo it from scratch
            self._forget(run_id)
        self.redone = sorted(bad)
        return done

    def _forget(self, run_id: str) -> None:
        folder = self.runs_dir / run_id
        for name in ("status.json", *(f"{t}.parquet" for t in _TABLES)):
            path = folder / name
            if self.owns(path):
                path.unlink(missing_ok=True)

    def finished(self) -> set[str]:
        """Runs finished by this store's plan whose data passes the check."""
        return {r for r, s in self._statuses().items() if r in self._records and self._check(r, s)}

    # ------------------------------------------------------------------ per run

    def write(self, result: RunResult) -> None:
        """Write one run's tables, then its status file (so a half-written run never counts)."""
        run_id = result.spec.run_id
        folder = self.runs_dir / run_id
        self._mkdir(folder)
        files = {}
        for name in _TABLES:
            df = getattr(result, name)
            path = folder / f"{name}.parquet"
            if df is not None:
                if name == "spells":  # labelled a batch at a time: millions of rows
                    rows = self.write_parquet_batches(path, result.spell_batches())
                else:
                    self.write_parquet(path, df)
                    rows = len(df)
                files[path.name] = {
                    "bytes": path.stat().st_size,
                    "sha256": _sha256(path),
                    "rows": rows,
                }
            elif self.owns(path):
                path.unlink(missing_ok=True)  # a stale table of an earlier attempt
        status = {
            "run_id": run_id,
            "status": result.status,
            "error": result.error,
            "seconds": round(result.seconds, 3),
            "plan_hash": self.hash,
            "run": self._records[run_id],
            "files": files,
        }
        self.write_text(folder / "status.json", json.dumps(status))

    # ------------------------------------------------------------------ reading

    def read(self, name: str, ids: Iterable[str]) -> pd.DataFrame:
        """One table of the given runs, concatenated in the order given."""
        frames = []
        for run_id in ids:
            path = self.runs_dir / run_id / f"{name}.parquet"
            if path.exists():
                try:
                    frames.append(pd.read_parquet(path))
                except Exception as exc:  # pyarrow raises several types for a damaged file
                    raise StoreError(f"{path}: {_unreadable(exc)}") from None
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def concat_to(self, name: str, ids: Iterable[str], path: Path) -> bool:
        """Write one table of the given runs to ``path`` as :meth:`read` then
        :meth:`write_parquet` would (the same rows, values and dtypes), a batch of rows at a
        time when the runs' tables share one schema: a spell log of millions of rows is never
        held whole (tables that differ in columns or types are read whole, which reconciles
        them). True if written, False if the runs' tables have no row (nothing written)."""
        import pyarrow.parquet as pq  # pandas' parquet engine

        ids = list(ids)
        files = [self.runs_dir / r / f"{name}.parquet" for r in ids]
        files = [f for f in files if f.exists()]
        if not files:
            return False
        schemas, rows = [], 0
        for f in files:
            try:
                meta = pq.read_metadata(f)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise StoreError(f"{f}: {_unreadable(exc)}") from None
            schemas.append(meta.schema.to_arrow_schema())
            rows += meta.num_rows
        if not rows:
            return False
        if any(not s.equals(schemas[0], check_metadata=False) for s in schemas):
            whole = self.read(name, ids)
            self.write_parquet(path, whole)
            return True

        def batches(f: Path) -> Iterator[Any]:  # a read error names the run's file
            try:
                yield from pq.ParquetFile(f).iter_batches(batch_size=_BATCH_ROWS)
            except Exception as exc:  # pyarrow raises several types for a damaged file
                raise StoreError(f"{f}: {_unreadable(exc)}") from None

        def write(tmp: Path) -> None:  # a write error (a full disk) is write_atomic's
            with pq.ParquetWriter(tmp, schemas[0]) as writer:
                for f in files:
                    for batch in batches(f):
                        writer.write_batch(batch)

        self.write_bytes_atomic(path, write)
        return True

    def runs_table(self) -> pd.DataFrame:
        """One row per planned run: inputs, seed, status (ok, error or missing), error, time."""
        statuses = self._statuses()
        rows = []
        for spec in self.plan:
            status = {"status": "missing", "error": "", "seconds": float("nan")}
            found = statuses.get(spec.run_id)
            if found is not None and (
                found.get("status") == "error" or self._check(spec.run_id, found)
            ):
                status.update({k: found[k] for k in ("status", "error", "seconds") if k in found})
            row = {
                "run_id": spec.run_id,
                "scenario": spec.scenario_name,
                "point": spec.point_index,
                "replicate": spec.replicate,
                "seed": spec.seed,
                "seed_entropy": str(spec.entropy),
                "seed_spawn_key": " ".join(map(str, spec.spawn_key)),
            }
            row.update(spec.point)
            row.update(
                {"status": status["status"], "error": status["error"], "seconds": status["seconds"]}
            )
            rows.append(row)
        return pd.DataFrame(rows)


#: rows per batch when a run's table is copied into a consolidated one (``concat_to``)
_BATCH_ROWS = 1 << 16


def _unreadable(exc: Exception) -> str:
    """Why a run's table cannot be read, and what to do."""
    return f"cannot read ({type(exc).__name__}); run the same command with --resume to redo the run"


def _show(names: list[str], most: int = 3) -> str:
    shown = ", ".join(repr(n) for n in sorted(names)[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def open_for_figures(out: Path) -> ResultStore:
    """Lock an existing results folder to redraw its figures (``cxsim plot``)."""
    out = Path(out)
    if not out.is_dir():
        raise StoreError(f"{out}: no such results folder")
    if not (out / MARKER).exists():
        raise StoreError(f"{out}: not a cxsim results folder (no {MARKER} marker)")
    store = ResultStore(out, [])
    try:
        store._lock()
    except OSError as exc:
        raise StoreError(f"{out}: cannot lock the results folder ({_reason(exc)})") from None
    store._owned = store._read_manifest()
    return store
