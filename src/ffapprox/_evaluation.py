"""Comparing an approximation with its recurrent network: errors, winners, cost (no I/O)."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ._dynamics import simulate
from ._fixed_points import count_status, solve_fixed_points
from ._network import RecurrentNetwork

# A partition counts as active when its mean rate exceeds this (rates are O(0.1) here).
WINNER_THRESHOLD = 1e-6


def partition_rates(rates: np.ndarray, partitions: Sequence[Sequence[int]]) -> np.ndarray:
    """Mean rate of each partition, (B, P)."""
    return np.stack([rates[:, list(p)].mean(1) for p in partitions], axis=1)


def winners(rates: np.ndarray, partitions: Sequence[Sequence[int]]) -> np.ndarray:
    """Index of the most active partition per row; -1 where no partition is active."""
    means = partition_rates(rates, partitions)
    best = means.argmax(1)
    return np.where(means.max(1) > WINNER_THRESHOLD, best, -1)


def summed_inputs(inputs: np.ndarray, partitions: Sequence[Sequence[int]]) -> np.ndarray:
    """Total input to each partition, (B, P)."""
    return np.stack([inputs[:, list(p)].sum(1) for p in partitions], axis=1)


def error_metrics(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """RMSE over all entries and relative RMSE, ``rmse / sqrt(mean(target^2))``."""
    rmse = float(np.sqrt(np.mean((predicted - target) ** 2)))
    scale = float(np.sqrt(np.mean(target**2)))
    return {"rmse": rmse, "relative_rmse": rmse / scale if scale > 0 else float("nan")}


def competition_metrics(
    inputs: np.ndarray,
    recurrent_rates: np.ndarray,
    approx_rates: np.ndarray,
    partitions: Sequence[Sequence[int]],
    *,
    boundary_band: float = 0.1,
) -> dict[str, float]:
    """Winner agreement between the recurrent network and the approximation.

    Computed over inputs where the recurrent network has an active partition.
    ``winner_agreement_near_boundary`` restricts to inputs whose two largest summed
    partition inputs differ by less than ``boundary_band``; ``ideal_rule_agreement_*`` is
    how often the winner is the partition with the largest summed input.
    """
    true_winner = winners(recurrent_rates, partitions)
    approx_winner = winners(approx_rates, partitions)
    drive = summed_inputs(inputs, partitions)
    ideal = drive.argmax(1)
    top2 = np.sort(drive, axis=1)[:, -2:] if drive.shape[1] > 1 else np.zeros((len(drive), 2))
    near = np.abs(top2[:, 1] - top2[:, 0]) < boundary_band
    has = true_winner >= 0
    agree = approx_winner == true_winner

    def frac(mask):
        return float(mask.mean()) if mask.size else float("nan")

    return {
        "fraction_with_winner": frac(has),
        "winner_agreement": frac(agree[has]),
        "winner_agreement_near_boundary": frac(agree[has & near]),
        "n_near_boundary": int((has & near).sum()),
        "silent_agreement": frac(approx_winner[~has] == -1),
        "ideal_rule_agreement_recurrent": frac(true_winner[has] == ideal[has]),
        "ideal_rule_agreement_approximation": frac(approx_winner[has] == ideal[has]),
    }


class Sweep(NamedTuple):
    """Mixture sweep: partition A gets ``alpha``, partition B ``1 - alpha``."""

    alpha: np.ndarray  # (K,)
    inputs: np.ndarray  # (K, N)
    recurrent: np.ndarray  # (K, P) partition mean rates, NaN where not stable
    approximation: dict[str, np.ndarray]  # model name -> (K, P)
    status: np.ndarray  # (K,)


def mixture_sweep(
    network: RecurrentNetwork,
    models: dict[str, Callable[[np.ndarray], np.ndarray]],
    partitions: Sequence[Sequence[int]],
    *,
    n_points: int = 201,
    amplitude: float = 1.0,
) -> Sweep:
    """The Fig. 2b experiment of Muir (2018): a linear mixture of input to two partitions.

    Every neuron of partition 0 receives ``amplitude * alpha``, every neuron of partition 1
    ``amplitude * (1 - alpha)``, other neurons 0, for ``alpha`` from 0 to 1.
    """
    alpha = np.linspace(0.0, 1.0, n_points)
    inputs = np.zeros((n_points, network.n_neurons))
    inputs[:, list(partitions[0])] = amplitude * alpha[:, None]
    inputs[:, list(partitions[1])] = amplitude * (1 - alpha[:, None])
    result = solve_fixed_points(network, inputs)
    recurrent = partition_rates(result.rates.numpy(), partitions)
    approximation = {
        name: partition_rates(predict(inputs), partitions) for name, predict in models.items()
    }
    return Sweep(alpha, inputs, recurrent, approximation, result.status.numpy())


def time_averaged_rates(
    network: RecurrentNetwork,
    inputs: np.ndarray,
    *,
    start: float = 50.0,
    stop: float = 150.0,
    samples: int = 400,
) -> np.ndarray:
    """Mean of ``[x(t)]^+`` over ``t`` in ``[start, stop]`` (units of tau) from rest.

    For inputs without a stable fixed point (oscillating), this is the activity the
    approximation is compared with: Muir (2018) notes its output there is a guaranteed
    answer, not an accurate one.
    """
    times = np.linspace(start, stop, samples)
    trajectory = simulate(network, inputs, times)
    return torch.relu(trajectory).mean(0).numpy()


def median_time(func: Callable[[], object], repeats: int = 3) -> float:
    """Median wall time of ``repeats`` calls after one untimed warm-up call."""
    func()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def throughput(
    func: Callable[[np.ndarray], object], inputs: np.ndarray, repeats: int = 3
) -> float:
    """Inputs per second of ``func(inputs)`` (median of ``repeats`` timed calls)."""
    return len(inputs) / median_time(lambda: func(inputs), repeats)


def status_fractions(status: np.ndarray) -> dict[str, float]:
    """Share of entries per status name."""
    total = max(1, len(status))
    return {name: c / total for name, c in count_status(status).items()}


def machine_info() -> dict[str, str | int]:
    """What a timing ran on: CPU model, cores, threads and library versions."""
    from . import __version__

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "ffapprox": __version__,
    }
