"""Probing the recurrent network and its approximations: the mixture sweep of Fig. 2b, and
time-averaged activity where there is no fixed point (no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch

from ..dynamics import RecurrentNetwork, simulate, solve_fixed_points
from ._partitions import WINNER_THRESHOLD, partition_rates

# Mixtures of the Fig. 2b sweep, from all input to partition B to all to partition A.
SWEEP_POINTS = 201


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
    n_points: int = SWEEP_POINTS,
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


def sweep_agreement(sweep: Sweep, name: str) -> tuple[float | None, float | None]:
    """How closely model ``name`` follows the recurrent network along the mixture sweep:
    the share of mixtures (stable ones) where the most active partition is the same (or
    none is active in both), and the largest partition-rate error over the largest
    recurrent partition rate; ``None`` where no mixture is stable (or none is active)."""
    stable = np.isfinite(sweep.recurrent).all(1)
    if not stable.any():
        return None, None
    exact, approx = sweep.recurrent[stable], sweep.approximation[name][stable]

    def winner(rates):
        return np.where(rates.max(1) > WINNER_THRESHOLD, rates.argmax(1), -1)

    agreement = float(np.mean(winner(exact) == winner(approx)))
    peak = exact.max()
    error = float(np.abs(approx - exact).max() / peak) if peak > 0 else None
    return agreement, error


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
