"""Timing: wall-clock and process CPU time side by side, medians over repeats.

``torch.utils.benchmark.Timer`` reports wall time only; the machines this runs on are
shared, so process CPU time is recorded beside it (it does not count time the process
spent waiting for a core).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Timing:
    """Median wall and process CPU seconds per call over ``repeats`` timings (each of
    ``calls`` calls in a row)."""

    wall: float
    cpu: float
    repeats: int
    calls: int = 1

    def rate(self, n_items: int) -> float:
        """Items per wall-clock second."""
        return n_items / self.wall if self.wall > 0 else float("inf")


def synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work, so that a timing covers it."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    func: Callable[[], object],
    *,
    repeats: int = 3,
    warmup: bool = True,
    device: torch.device | str | None = None,
    budget: float | None = None,
    min_seconds: float = 0.0,
) -> tuple[Timing, object]:
    """Time ``func()``; returns the median :class:`Timing` and the first call's result.

    With ``warmup`` one untimed call comes first (with ``min_seconds`` it also sets how
    many calls each timing loops over, so that a timing lasts at least that long). With
    ``budget`` (seconds), repeats stop once another one would exceed it; at least one
    timing is always taken.
    """
    calls, result = 1, None
    if warmup:
        started = time.perf_counter()
        result = func()
        synchronize(device)
        first = time.perf_counter() - started
        calls = max(1, math.ceil(min_seconds / max(first, 1e-7))) if min_seconds else 1
    walls, cpus = [], []
    while len(walls) < max(1, repeats):
        if budget is not None and walls and (len(walls) + 1) * walls[0] * calls > budget:
            break
        synchronize(device)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            outcome = func()
        synchronize(device)
        walls.append((time.perf_counter() - wall) / calls)
        cpus.append((time.process_time() - cpu) / calls)
        if result is None:
            result = outcome
    timing = Timing(float(np.median(walls)), float(np.median(cpus)), len(walls), calls)
    return timing, result


def throughput(func: Callable[[np.ndarray], object], inputs, repeats: int = 3) -> float:
    """Inputs per second of ``func(inputs)`` (median wall time of ``repeats`` calls)."""
    timing, _ = measure(lambda: func(inputs), repeats=repeats)
    return timing.rate(len(inputs))
