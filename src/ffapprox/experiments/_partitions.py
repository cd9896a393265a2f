"""Groups of neurons that compete: their mean rates, their winner, their summed input."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
