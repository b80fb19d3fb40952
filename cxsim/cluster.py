"""Runs on a Dask cluster: the executor behind ``--scheduler``.

``runner.run_plan`` takes any ``concurrent.futures.Executor``; this module supplies a Dask
client's (``Client.get_executor``), connected to an existing cluster (``tcp://HOST:PORT``, a
scheduler started with ``dask scheduler`` and workers with ``dask worker``) or to a cluster
started here on this machine (``local``: one single-threaded worker process per ``--workers``).

Why results are identical to a local run, run for run: a worker receives what a process pool's
worker receives (a ``RunSpec``: the resolved scenario and its seed sequence, plain data) and runs
the same ``runner.run_one``. Every task has a key of its own (``pure=False``), so two runs of the
same spec are never merged; a task whose worker is lost mid-run is run again by Dask on another
worker (a run is a pure function of its spec, so the redo gives the same result), and a run that
fails comes back as a failed result, as from the pool, for ``--resume`` to redo.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

__all__ = ["CONNECT_SECONDS", "LOCAL", "ClusterError", "dask_executor", "executor"]

#: the ``--scheduler`` value that starts a cluster on this machine
LOCAL = "local"
#: how long to keep trying to reach a scheduler before giving up with one line
CONNECT_SECONDS = 10.0


class ClusterError(Exception):
    """The cluster cannot be reached or started: one line, exit code 2."""


def _client(scheduler: str, workers: int) -> tuple[Any, Any]:
    """A connected ``distributed.Client`` and the ``LocalCluster`` it owns (or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise ClusterError(
            "--scheduler needs dask.distributed: pip install 'dask[distributed]'"
        ) from None
    if scheduler == LOCAL:
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,  # one run per process, as the process pool does
                processes=True,
                host="127.0.0.1",  # on loopback: nothing outside this machine reaches it
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        except Exception as exc:  # workers that cannot start, no free port, ...
            reason = _first_line(exc)
            raise ClusterError(f"--scheduler local: cannot start a cluster ({reason})") from None
        try:
            return Client(cluster, set_as_default=False), cluster
        except BaseException:
            cluster.close()
            raise
    _check_reachable(scheduler)
    try:
        return Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False), None
    except (OSError, ValueError, TypeError) as exc:  # unreachable, timed out, bad address
        raise ClusterError(
            f"--scheduler {scheduler}: cannot connect ({_first_line(exc)})"
        ) from None


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n")[0] or type(exc).__name__


def _check_reachable(scheduler: str) -> None:
    """Refuse an address that is not one, or a TCP scheduler that does not answer, in one line
    and at once (a ``Client`` given either keeps retrying, then hangs on its way out)."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
        host, port = parse_host_port(location) if scheme in {"tcp", "tls"} else ("", 0)
    except ValueError as exc:
        raise ClusterError(
            f"--scheduler {scheduler}: not a scheduler address such as tcp://HOST:8786 or"
            f" local ({_first_line(exc)})"
        ) from None
    if port:
        try:
            socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
        except OSError as exc:
            reason = _first_line(exc)
            raise ClusterError(f"--scheduler {scheduler}: cannot connect ({reason})") from None


@contextlib.contextmanager
def dask_executor(scheduler: str, workers: int = 1) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor whose runs go to the Dask cluster at ``scheduler``
    (``tcp://HOST:PORT``, or ``local`` for a cluster of ``workers`` processes started here);
    the client, and a local cluster, are closed on exit."""
    client, cluster = _client(scheduler, workers)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def executor(scheduler: str | None, workers: int) -> Iterator[Executor | None]:
    """The executor for ``--scheduler``: None without one (``run_plan`` then uses this process
    or its own process pool), else :func:`dask_executor`."""
    if scheduler is None:
        yield None
        return
    with dask_executor(scheduler, workers) as pool:
        yield pool
