"""Dataset generation into a Zarr store: one vs two single-threaded Dask workers.

Prints figures; never a test. Needs ``pip install -e ".[distributed]"``.

* Throughput: a random 256-neuron Dale's-law network (``random_dale_network(256)``,
  gain 1), ``--samples`` inputs in chunks of ``--chunk-size``, solved (a) in this process
  with one torch thread, (b) on a local cluster of one single-threaded worker and (c) of two.
  Each cluster is started before the clock starts (``scheduler=`` its address), so the
  times are solving and writing only; cluster start-up is printed separately. Median of
  ``--repeats``; every store is checked bit-identical to (a).
* Driver memory: peak Python-traced memory (numpy included) of the driver process during
  ``generate_store`` on a two-worker cluster for growing sample counts, against the same
  for the in-memory ``generate_dataset`` (N = 16: the number of rows is what matters).

Run::

    python benchmarks/bench_distributed.py            # about 4 minutes on 2 cores
    python benchmarks/bench_distributed.py --quick
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from distributed import LocalCluster

from ffapprox import generate_dataset, random_dale_network
from ffapprox.common import machine_info
from ffapprox.data import ARRAYS, ZarrDataset, generate_store

MAX_TIME = 200.0


def _identical(a: Path, b: Path) -> bool:
    first, second = ZarrDataset(a).load(), ZarrDataset(b).load()
    return all(
        np.array_equal(getattr(first, k), getattr(second, k), equal_nan=True) for k in ARRAYS
    )


def _timed(folder: Path, name: str, network, samples: int, chunk: int, **where) -> float:
    path = folder / f"{name}.zarr"
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    generate_store(network, path, samples, chunk_size=chunk, max_time=MAX_TIME, **where)
    return time.perf_counter() - started


def throughput(folder: Path, samples: int, chunk: int, repeats: int) -> None:
    network = random_dale_network(256)
    torch.set_num_threads(1)
    times = {"in-process, 1 thread": []}
    for _ in range(repeats):
        times["in-process, 1 thread"].append(_timed(folder, "reference", network, samples, chunk))
    for workers in (1, 2):
        label = f"{workers} worker{'s' * (workers > 1)} x 1 thread"
        started = time.perf_counter()
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=":0"
        ) as cluster:
            print(f"cluster of {workers} started in {time.perf_counter() - started:.1f} s")
            times[label] = [
                _timed(folder, label, network, samples, chunk, scheduler=cluster.scheduler_address)
                for _ in range(repeats)
            ]
        same = _identical(folder / "reference.zarr", folder / f"{label}.zarr")
        print(f"  store bit-identical to the in-process one: {same}")
    base = statistics.median(times["1 worker x 1 thread"])
    print(f"\nN = 256, {samples} inputs, chunks of {chunk}, median of {repeats}:")
    print(f"{'':26} {'seconds':>8} {'inputs/s':>9} {'vs 1 worker':>12}")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:26} {median:8.1f} {samples / median:9.1f} {base / median:11.2f}x")


def driver_memory(folder: Path, sizes: list[int], chunk: int) -> None:
    network = random_dale_network(16)  # fast to solve: the rows, not N, are the point here
    print(f"\nDriver peak traced memory, N = 16, chunks of {chunk} (MB):")
    print(f"{'samples':>8} {'store, 2 workers':>17} {'in memory':>10}")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        # Warm-up, so that the first row does not count the imports of zarr and distributed.
        generate_store(network, folder / "warm-up.zarr", 64, scheduler=cluster.scheduler_address)
        generate_dataset(network, 64)
        for samples in sizes:
            path = folder / f"memory-{samples}.zarr"
            tracemalloc.start()
            generate_store(
                network, path, samples, chunk_size=chunk, scheduler=cluster.scheduler_address
            )
            store_peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            tracemalloc.start()
            generate_dataset(network, samples, chunk_size=chunk)
            memory_peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"{samples:8} {store_peak:17.1f} {memory_peak:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--samples", type=int, default=480)
    parser.add_argument("--chunk-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    samples, repeats = (96, 1) if args.quick else (args.samples, args.repeats)
    sizes = [2048, 8192] if args.quick else [4096, 16384, 65536]
    info = machine_info()
    print(f"{info['cpu']}, {info['cores']} cores, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp), samples, args.chunk_size, repeats)
        driver_memory(Path(tmp), sizes, 1024)


if __name__ == "__main__":
    main()
