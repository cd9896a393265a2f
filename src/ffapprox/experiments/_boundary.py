"""Distance to the recurrent network's own basin boundary, and where the approximation's
error sits with respect to it (no I/O).

The boundary between the basins of two competing partitions A and B is not the line
``iota_A = iota_B`` (a single strongly driven neuron can carry its partition). It is found
per input by moving input from one partition to the other, ``i(s) = i + s d`` with
``d = 1_A / |A| - 1_B / |B|`` (normalised), and locating by bisection the smallest
``|s|`` at which the exact solver's winner changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..dynamics import DEFAULT_METHOD, RecurrentNetwork, solve_fixed_points
from ._partitions import winners

# Search range along d and the resolution of the bisection.
MAX_DISTANCE = 2.0
GRID_STEPS = 8
BISECTIONS = 12
# Bands of distance to the boundary the error is broken down into.
BANDS = (0.0, 0.01, 0.03, 0.1, 0.3, np.inf)


def _direction(n_neurons: int, partitions: Sequence[Sequence[int]]) -> np.ndarray:
    d = np.zeros(n_neurons)
    d[list(partitions[0])] = 1.0 / len(partitions[0])
    d[list(partitions[1])] -= 1.0 / len(partitions[1])
    return d / np.linalg.norm(d)


def boundary_distance(
    network: RecurrentNetwork,
    inputs: np.ndarray,
    partitions: Sequence[Sequence[int]],
    *,
    max_distance: float = MAX_DISTANCE,
    method: str = DEFAULT_METHOD,
) -> np.ndarray:
    """Distance of each input to the nearest change of the recurrent network's winner along
    the line that moves input from partition 0 to partition 1, (B,); ``inf`` when the
    winner does not change within ``max_distance`` either way.

    Resolution: ``max_distance / GRID_STEPS / 2**BISECTIONS`` (about 6e-5 by default).
    """
    d = _direction(network.n_neurons, partitions)

    def winner(s: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The winner of rows ``rows`` moved by ``s`` (one value per selected row)."""
        moved = inputs[rows] + s[:, None] * d
        rates = solve_fixed_points(network, moved, method=method).rates.numpy()
        return winners(np.nan_to_num(rates, nan=-1.0), partitions)

    start = winner(np.zeros(len(inputs)), np.arange(len(inputs)))
    best = np.full(len(inputs), np.inf)
    for sign in (1.0, -1.0):
        best = np.minimum(best, _first_change(winner, start, sign, max_distance))
    return best


def _first_change(winner: Callable, start: np.ndarray, sign: float, reach: float) -> np.ndarray:
    """``|s|`` of the first winner change in direction ``sign`` (grid, then bisection);
    only the rows still being searched are solved."""
    low, high = np.zeros(len(start)), np.full(len(start), np.inf)
    for step in np.linspace(0.0, reach, GRID_STEPS + 1)[1:]:
        rows = np.flatnonzero(~np.isfinite(high))
        if not rows.size:
            break
        changed = winner(np.full(rows.size, sign * step), rows) != start[rows]
        high[rows[changed]] = step
        low[rows[~changed]] = step
    rows = np.flatnonzero(np.isfinite(high))
    for _ in range(BISECTIONS if rows.size else 0):
        middle = 0.5 * (low[rows] + high[rows])
        changed = winner(sign * middle, rows) != start[rows]
        high[rows[changed]] = middle[changed]
        low[rows[~changed]] = middle[~changed]
    return high


@dataclass(frozen=True)
class BoundaryBand:
    """The inputs whose distance to the basin boundary lies in ``[low, high)``."""

    low: float
    high: float
    share_of_inputs: float
    share_of_squared_error: float
    relative_rmse: float | None
    winner_agreement: float | None


def boundary_breakdown(
    distance: np.ndarray,
    predicted: np.ndarray,
    target: np.ndarray,
    partitions: Sequence[Sequence[int]],
) -> list[BoundaryBand]:
    """Share of inputs and of squared error, error and winner agreement per distance band."""
    squared = ((predicted - target) ** 2).sum(1)
    total = float(squared.sum()) or 1.0
    agree = winners(predicted, partitions) == winners(target, partitions)
    bands = []
    for low, high in zip(BANDS[:-1], BANDS[1:], strict=True):
        rows = (distance >= low) & (distance < high)
        scale = float(np.sqrt(np.mean(target[rows] ** 2))) if rows.any() else 0.0
        rmse = float(np.sqrt(np.mean(squared[rows] / target.shape[1]))) if rows.any() else None
        bands.append(
            BoundaryBand(
                low=low, high=float(high), share_of_inputs=float(rows.mean()),
                share_of_squared_error=float(squared[rows].sum() / total),
                relative_rmse=rmse / scale if rmse is not None and scale > 0 else None,
                winner_agreement=float(agree[rows].mean()) if rows.any() else None,
            )
        )  # fmt: skip
    return bands
