"""Generating a dataset into a Zarr store: in-process, or chunk by chunk on a Dask cluster.

Chunk ``k`` holds rows ``k * chunk_size ..``; its inputs come from the block-seeded input
sequence (see :class:`UniformInputs`), so they depend only on the dataset seed and the row, and
each chunk is solved on its own. The store is therefore the same bits whether the chunks
are solved in this process, on a local cluster or on a remote one, in any order, and after
any number of interruptions: a rerun of the same command solves only the chunks not yet
marked done.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from ..common import check_choice, check_integer
from ..dynamics import DEFAULT_MAX_TIME, DEFAULT_METHOD, SOLVERS, RecurrentNetwork, count_status
from ._generate import check_sampling, dataset_metadata, solve_rows
from ._inputs import DEFAULT_HIGH, DEFAULT_LOW
from ._store import DEFAULT_CHUNK_SIZE, create_store, write_chunk, writer_lock
from ._zarr_dataset import ZarrDataset

# Chunks submitted ahead per worker thread (the rest wait in the driver as chunk numbers).
IN_FLIGHT_PER_THREAD = 2
# Metadata that must match for a store to be resumed (``created`` and version may differ).
_RESUME_KEYS = ("network_fingerprint", "seed", "inputs", "n_samples", "solver", "chunk_size")


@dataclass(frozen=True)
class _ChunkTask:
    """Everything a worker needs to solve and write one chunk (pickled to the worker)."""

    path: str
    network: RecurrentNetwork
    sampler: object
    seed: int
    chunk_size: int
    n_samples: int
    solver: dict
    threads: int | None


def _solve_chunk(task: _ChunkTask, chunk: int) -> dict[str, int]:
    if task.threads is not None:
        torch.set_num_threads(task.threads)
    start = chunk * task.chunk_size
    rows = min(task.chunk_size, task.n_samples - start)
    arrays = solve_rows(task.network, task.sampler, task.seed, start, rows, **task.solver)
    write_chunk(task.path, chunk, arrays)
    return count_status(arrays["status"])


# --workers is refused above this many local worker processes per CPU core
LOCAL_WORKERS_PER_CORE = 4


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None, threads: int):
    """A Dask client on a new local cluster (``workers``) or an existing ``scheduler``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(
            "--workers and --scheduler need Dask: pip install 'ffapprox[distributed]'"
        ) from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise ValueError(
                f"cannot connect to --scheduler {scheduler!r}: {type(err).__name__}: {err}"
            ) from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,  # one chunk at a time per worker; torch gets the threads
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client


def generate_store(
    network: RecurrentNetwork,
    path: str | os.PathLike,
    n_samples: int,
    *,
    inputs=None,
    low: float = DEFAULT_LOW,
    high: float = DEFAULT_HIGH,
    seed: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_time: float = DEFAULT_MAX_TIME,
    dtype: torch.dtype = torch.float64,
    rtol: float | None = None,
    atol: float | None = None,
    method: str = DEFAULT_METHOD,
    workers: int | None = None,
    scheduler: str | None = None,
    threads_per_worker: int = 1,
    progress: Callable[[dict], None] | None = None,
) -> ZarrDataset:
    """Solve ``n_samples`` inputs into the Zarr store ``path``, resuming it if it exists.

    Arguments are those of :func:`generate_dataset` (CPU only), and:

    Arguments:
        path: the ``.zarr`` directory; if it exists it must have been started with the
            same network, seed, inputs, sample count, solver settings and chunk size, and
            only its missing chunks are solved.
        chunk_size: rows per chunk: the unit of work, of storage and of resumption.
        workers: solve on a new local Dask cluster of this many worker processes.
        scheduler: solve on an existing Dask cluster (``"tcp://host:port"``); its workers
            must see ``path`` at the same place (a shared file system).
        threads_per_worker: torch threads of each worker's chunk (each local worker solves
            one chunk at a time).
        progress: called after each chunk with ``{"chunk", "rows", "done", "n_chunks",
            "counts"}``.

    Returns:
        The finished store, opened lazily (:class:`ZarrDataset`).

    Raises:
        ValueError: for invalid arguments, a store made with other settings, both
            ``workers`` and ``scheduler``, a missing Dask or an unreachable scheduler
            (before anything is written).
    """
    sampler = check_sampling(network, n_samples, inputs, low, high, chunk_size, seed)
    path = _check_places(path, method, workers, scheduler, threads_per_worker)
    solver = {"max_time": max_time, "dtype": dtype, "rtol": rtol, "atol": atol, "device": "cpu"}
    solver["method"] = method
    metadata = dataset_metadata(network, sampler, seed, n_samples, solver)
    task = _ChunkTask(str(path), network, sampler, seed, chunk_size, n_samples, solver, None)

    # One input solved now: an infeasible solve (see solve_fixed_points) is refused before
    # a store is created or a cluster started.
    solve_rows(network, sampler, seed, 0, 1, **solver)
    existing = _open_matching(path, metadata, chunk_size) if path.exists() else None
    if existing is not None and existing.complete:
        return existing
    if existing is None and not path.parent.is_dir():
        raise ValueError(f"--output folder {str(path.parent)!r} does not exist")
    distributed = workers is not None or scheduler is not None
    context = _client(workers, scheduler, threads_per_worker) if distributed else None
    with context or contextlib.nullcontext() as client:
        if existing is None:  # only now, so that a failed connection writes nothing
            create_store(path, metadata, chunk_size)
        with writer_lock(path):
            store = ZarrDataset(path)
            tally = _Tally(store, progress)
            todo = [int(k) for k in (~store.done).nonzero()[0]]
            if client is None:
                for chunk in todo:
                    tally.add(chunk, _solve_chunk(task, chunk))
            else:
                _solve_on_cluster(client, replace(task, threads=threads_per_worker), todo, tally)
    return ZarrDataset(path)


def _check_places(path, method, workers, scheduler, threads_per_worker) -> Path:
    """The store's absolute path, once where and how to solve are valid."""
    check_integer("threads_per_worker", threads_per_worker, 1)
    check_choice("method", method, list(SOLVERS))
    if workers is not None:
        # a local cluster beyond a few processes per core only slows the machine down
        check_integer("workers", workers, 1, LOCAL_WORKERS_PER_CORE * (os.cpu_count() or 1))
    if workers is not None and scheduler is not None:
        raise ValueError("give either --workers or --scheduler, not both")
    path = Path(path).absolute()
    if not str(path).endswith(".zarr"):
        raise ValueError(f"--output store must end in .zarr, got {str(path)!r}")
    return path


class _Tally:
    """Chunks done and rows per status, reported to ``progress`` after every chunk."""

    def __init__(self, store: ZarrDataset, progress: Callable[[dict], None] | None) -> None:
        self.store, self.progress = store, progress
        done = store.done.nonzero()[0]  # chunks done before a resume
        self.done = len(done)
        self.counts = count_status(store.chunk_status(0)[:0])
        for chunk in done:
            self._count(count_status(store.chunk_status(int(chunk))))

    def _count(self, counts: dict[str, int]) -> None:
        for name, value in counts.items():
            self.counts[name] += value

    def add(self, chunk: int, counts: dict[str, int]) -> None:
        self.done += 1
        self._count(counts)
        if self.progress is not None:
            rows = self.store.chunk_rows(chunk)
            self.progress(
                {
                    "chunk": chunk,
                    "rows": rows.stop - rows.start,
                    "done": self.done,
                    "n_chunks": self.store.n_chunks,
                    "counts": dict(self.counts),
                }
            )


def _solve_on_cluster(client, task: _ChunkTask, todo: list[int], tally: _Tally) -> None:
    """Solve chunks ``todo`` on the cluster's workers, a bounded number in flight.

    The network and sampler are shipped to every worker once, not with every chunk. A
    bounded number of chunks in flight keeps the driver's memory independent of the number
    of chunks; topping up to the current thread count after every chunk keeps workers that
    join later busy too.
    """
    from distributed import as_completed

    remote = client.scatter(task, broadcast=True)
    pending = iter(todo)
    futures = {}
    running = as_completed()

    def top_up() -> None:
        target = IN_FLIGHT_PER_THREAD * max(1, sum(client.nthreads().values()))
        for chunk in itertools.islice(pending, max(0, target - len(futures))):
            future = client.submit(_solve_chunk, remote, chunk, pure=False)
            futures[future] = chunk
            running.add(future)

    top_up()
    for future in running:
        tally.add(futures.pop(future), future.result())
        future.release()
        top_up()


def _open_matching(path: Path, metadata: dict, chunk_size: int) -> ZarrDataset:
    store = ZarrDataset(path)
    wanted = dict(metadata, chunk_size=chunk_size)
    started = dict(store.metadata)
    # Stores begun before solver methods existed were solved by the only one there was.
    started["solver"] = {"method": DEFAULT_METHOD} | dict(started.get("solver") or {})
    for key in _RESUME_KEYS:
        if started.get(key) != wanted[key]:
            raise ValueError(
                f"store {str(path)!r} was started with {key} = {started.get(key)!r}, "
                f"not {wanted[key]!r}: resume it with the same settings or write a new store"
            )
    return store
