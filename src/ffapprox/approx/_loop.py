"""The epoch loop: Adam over mini-batches, every restart side by side, early stopping."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch


def learning_rate_at(epoch: int, epochs: int, initial: float, schedule: str) -> float:
    """``"cosine"``: from ``initial`` down to 1 % of it over the epochs; else constant."""
    if schedule != "cosine":
        return initial
    fraction = (epoch - 1) / max(1, epochs - 1)
    return initial * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * fraction)))


@dataclass
class Curves:
    """Per-restart outcome of the loop; losses are MSE in rate units."""

    initial: np.ndarray  # (R,) validation loss of the initial weights (epoch 0)
    best: np.ndarray  # (R,) best validation loss (never above ``initial``)
    best_epoch: np.ndarray  # (R,) 1-based epoch of the kept weights, 0 for the initial ones
    epochs_run: np.ndarray  # (R,) epochs each restart ran before it stopped
    train: list[np.ndarray] = field(default_factory=list)  # per epoch, (R,)
    validation: list[np.ndarray] = field(default_factory=list)  # per epoch, (R,)


def run_epochs(
    ensemble,
    source,
    validation: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    patience: int,
    schedule: str,
    shuffle: torch.Generator,
    progress: Callable[[dict], None] | None,
) -> Curves:
    """Train ``ensemble`` on ``source``'s batches until every restart stopped.

    Each restart keeps its best weights (``ensemble.keep``) and stops after ``patience``
    epochs without improving its validation loss; the loop ends at ``epochs`` at the latest.
    """
    optimizer = torch.optim.Adam(ensemble.parameters, lr=learning_rate)
    initial = ensemble.validation_loss(*validation)
    n = len(initial)
    curves = Curves(initial, initial.copy(), np.zeros(n, np.int64), np.zeros(n, np.int64))
    for epoch in range(1, epochs + 1):
        lr = learning_rate_at(epoch, epochs, learning_rate, schedule)
        for group in optimizer.param_groups:
            group["lr"] = lr
        train_loss = ensemble.epoch(optimizer, source.batches(ensemble, shuffle, batch_size))
        val_loss = ensemble.validation_loss(*validation)
        curves.train.append(train_loss)
        curves.validation.append(val_loss)
        running = curves.epochs_run == 0
        improved = running & (val_loss < curves.best)
        curves.best[improved] = val_loss[improved]
        curves.best_epoch[improved] = epoch
        ensemble.keep(improved)
        curves.epochs_run[running & (epoch - curves.best_epoch >= patience)] = epoch
        if progress is not None:
            leader = int(np.argmin(curves.best))
            progress(
                {
                    "epoch": epoch,
                    "epochs": epochs,
                    "train_loss": float(train_loss[leader]),
                    "validation_loss": float(val_loss[leader]),
                    "best_validation_loss": float(curves.best[leader]),
                    "learning_rate": lr,
                }
            )
        if np.all(curves.epochs_run > 0):
            break
    curves.epochs_run[curves.epochs_run == 0] = epoch
    return curves
