"""Comparing an approximation with its recurrent network: errors and winners (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..dynamics import count_status
from ._partitions import summed_inputs, winners
from ._results import CompetitionMetrics

# Inputs whose two largest summed partition inputs differ by less count as near the boundary.
BOUNDARY_BAND = 0.1


class ErrorMetrics(NamedTuple):
    rmse: float
    relative_rmse: float


def error_metrics(predicted: np.ndarray, target: np.ndarray) -> ErrorMetrics:
    """RMSE over all entries and relative RMSE, ``rmse / sqrt(mean(target^2))`` (NaN when
    every target is zero)."""
    rmse = float(np.sqrt(np.mean((predicted - target) ** 2)))
    scale = float(np.sqrt(np.mean(target**2)))
    return ErrorMetrics(rmse, rmse / scale if scale > 0 else float("nan"))


def competition_metrics(
    inputs: np.ndarray,
    recurrent_rates: np.ndarray,
    approx_rates: np.ndarray,
    partitions: Sequence[Sequence[int]],
    *,
    boundary_band: float = BOUNDARY_BAND,
) -> CompetitionMetrics:
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

    return CompetitionMetrics(
        fraction_with_winner=frac(has),
        winner_agreement=frac(agree[has]),
        winner_agreement_near_boundary=frac(agree[has & near]),
        n_near_boundary=int((has & near).sum()),
        silent_agreement=frac(approx_winner[~has] == -1),
        ideal_rule_agreement_recurrent=frac(true_winner[has] == ideal[has]),
        ideal_rule_agreement_approximation=frac(approx_winner[has] == ideal[has]),
    )


def status_fractions(status: np.ndarray) -> dict[str, float]:
    """Share of entries per status name."""
    total = max(1, len(status))
    return {name: c / total for name, c in count_status(status).items()}
