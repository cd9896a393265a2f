"""Fitting an approximation to fixed-point data (Adam + MSE, restarts side by side).

Minimises ``mean ||model(i) - [f(i)]^+||^2`` over the stable rows (Muir 2018: Adam, inputs
without a stable fixed point discarded). Inputs and targets are rescaled for the
optimisation and the scaling is folded back into the first and last layer, so the model
maps raw inputs to raw rates. The restarts are trained side by side, each from its own
seed, with hidden units initialised alive on the data (thresholds at random quantiles of
their input) and the output layer initialised by least squares. Every epoch the validation
MSE is measured; each restart keeps its best weights and stops after ``patience`` epochs
without improvement.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch

from ..common import check_device, check_integer
from ..data import FixedPointDataset, ZarrDataset
from ._convergence import diagnose, warn_unless_converged
from ._ensemble import INIT_ROWS
from ._families import get_family
from ._history import (
    TRAINING_DEFAULTS,
    RestartSummary,
    TrainingHistory,
    TrainingSettings,
    auto_learning_rate,
)
from ._loop import Curves, run_epochs
from ._sources import check_columns, training_source


def _seeds(seed: int, count: int) -> list[int]:
    children = np.random.SeedSequence(seed).spawn(count)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def train(
    model,
    dataset,
    *,
    validation=None,
    epochs: int = TRAINING_DEFAULTS.epochs,
    batch_size: int = TRAINING_DEFAULTS.batch_size,
    learning_rate: float | None = TRAINING_DEFAULTS.learning_rate,
    restarts: int = TRAINING_DEFAULTS.restarts,
    patience: int = TRAINING_DEFAULTS.patience,
    validation_fraction: float = TRAINING_DEFAULTS.validation_fraction,
    schedule: str = TRAINING_DEFAULTS.schedule,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: Callable[[dict], None] | None = None,
) -> TrainingHistory:
    r"""Fit ``model`` to the stable fixed points of ``dataset`` by Adam on the MSE.

    The best of ``restarts`` initialisations (lowest validation loss) is loaded into
    ``model`` in place; settings and validation metrics go to ``model.metadata``.

    Arguments:
        model: an approximation of a family in ``FAMILIES``, trained in its own dtype.
        dataset: a :class:`FixedPointDataset`, an ``(inputs, rates)`` pair, or a
            :class:`ZarrDataset`, streamed chunk by chunk (chunks in random order, rows
            shuffled within a chunk); rows with NaN rates (no stable fixed point) dropped.
        validation: held-out data; default ``validation_fraction`` of the stable rows (of
            a store: of each chunk's, at most 100,000 read), drawn with ``seed``.
        epochs, batch_size: Adam's passes over the data and mini-batch size.
        learning_rate: Adam's initial step; default :func:`auto_learning_rate` (1e-2,
            smaller for layers wider than 64 units).
        patience: epochs without improvement before a restart stops.
        schedule: ``"cosine"`` (to 1 % of the initial learning rate) or ``"constant"``.
        seed: seeds the split, initialisations and batch order (deterministic on a CPU).
        device: where to train; default the model's device.
        progress: called after each epoch with a dict (epoch, epochs, train_loss,
            validation_loss, best_validation_loss, learning_rate).

    Returns:
        A :class:`TrainingHistory`.

    Raises:
        ValueError: for data without stable inputs, non-finite inputs or rates, sizes
            that do not match the model, a bad ``device`` or invalid settings.

    Warns:
        ConvergenceWarning: the kept weights were still improving at the epoch limit or
            do not beat predicting the mean rate.

    Example:
        >>> from ffapprox import FeedForwardApproximation
        >>> x = np.random.default_rng(0).uniform(-1, 1, (512, 2))
        >>> model = FeedForwardApproximation(2, 8, 1)
        >>> history = train(model, (x, np.maximum(x.sum(1, keepdims=True), 0)), epochs=100)
        >>> history.best_validation_loss < 1e-3
        True
    """
    started = time.perf_counter()
    if validation is not None:  # the fraction is not used: any value is fine
        validation_fraction = TRAINING_DEFAULTS.validation_fraction
    if learning_rate is None:
        learning_rate = auto_learning_rate(model)
    settings = TrainingSettings(
        epochs, batch_size, learning_rate, restarts, patience, validation_fraction, schedule
    )
    check_integer("seed", seed, 0)
    split_seed, order_seed, *init_seeds = _seeds(seed, 2 + restarts)
    source, *held_out = training_source(dataset, validation, validation_fraction, split_seed)
    device = model.device if device is None else check_device(device)
    history, diagnosis, baseline = _fit(
        model, source, held_out, settings, (order_seed, init_seeds), device, progress
    )
    history.wall_time = time.perf_counter() - started
    sizes = (source.n_rows, len(held_out[0]))
    model.metadata = _metadata(dataset, history, settings, seed, sizes)
    model.metadata["validation"] = _validation_metrics(history, held_out[1], baseline)
    warn_unless_converged(diagnosis, history.best_validation_loss)
    return history


def _fit(model, source, held_out, settings: TrainingSettings, seeds, device, progress):
    """Train the family's restarts of ``model``, load the best into it; returns its
    history, the convergence diagnosis and the mean predictor's validation MSE."""
    (val_inputs, val_rates), (order_seed, init_seeds) = held_out, seeds
    inputs, rates = source.head(INIT_ROWS)
    check_columns(model, inputs, rates, val_inputs, val_rates)
    scaling = source.scaling()
    ensemble = get_family(model.family).ensemble(
        model, inputs, rates, scaling=scaling, seeds=init_seeds, dtype=model.dtype, device=device
    )
    validation = tuple(
        torch.as_tensor(a, dtype=model.dtype, device=device) for a in (val_inputs, val_rates)
    )
    curves = run_epochs(
        ensemble, source, validation, epochs=settings.epochs, batch_size=settings.batch_size,
        learning_rate=settings.learning_rate, patience=settings.patience,
        schedule=settings.schedule, shuffle=torch.Generator().manual_seed(order_seed),
        progress=progress,
    )  # fmt: skip
    winner = int(np.argmin(curves.best))
    ensemble.load_into(model, winner)
    baseline = float(((val_rates - scaling.rate_mean) ** 2).mean())
    history = _history(curves, winner, init_seeds, settings.patience)
    run = len(history.validation_loss)
    diagnosis = diagnose(
        history.validation_loss, float(curves.initial[winner]), history.best_validation_loss,
        patience=settings.patience, epochs=settings.epochs, baseline=baseline,
        stopped_early=run - history.best_epoch >= settings.patience,
    )  # fmt: skip
    history.converged = diagnosis.converged
    return history, diagnosis, baseline


def _history(curves: Curves, winner: int, seeds: list[int], patience: int) -> TrainingHistory:
    run = int(curves.epochs_run[winner])
    restarts = [
        RestartSummary(
            seed=seeds[r],
            best_validation_loss=float(curves.best[r]),
            best_epoch=int(curves.best_epoch[r]),
            epochs_run=int(curves.epochs_run[r]),
            stopped_early=bool(curves.epochs_run[r] - curves.best_epoch[r] >= patience),
        )
        for r in range(len(curves.best))  # a family may train fewer copies than seeds
    ]
    return TrainingHistory(
        train_loss=[float(v[winner]) for v in curves.train[:run]],
        validation_loss=[float(v[winner]) for v in curves.validation[:run]],
        best_epoch=int(curves.best_epoch[winner]),
        best_validation_loss=float(curves.best[winner]),
        restarts=restarts,
    )


def _metadata(dataset, history: TrainingHistory, settings: TrainingSettings, seed, sizes) -> dict:
    """What is stored with the model: the settings, how training went, the data's origin."""
    metadata = {
        "training": {
            "epochs": settings.epochs,
            "batch_size": settings.batch_size,
            "learning_rate": settings.learning_rate,
            "restarts": settings.restarts,
            "patience": settings.patience,
            "schedule": settings.schedule,
            "seed": seed,
            "n_train": sizes[0],
            "n_validation": sizes[1],
            "best_epoch": history.best_epoch,
            "epochs_run": len(history.validation_loss),
            "wall_time": history.wall_time,
            "converged": history.converged,
        },
    }
    if isinstance(dataset, FixedPointDataset | ZarrDataset):
        keys = ("network_fingerprint", "seed", "n_samples", "inputs")
        metadata["dataset"] = {k: dataset.metadata[k] for k in keys if k in dataset.metadata}
    return metadata


def _validation_metrics(history: TrainingHistory, val_rates: np.ndarray, baseline: float) -> dict:
    rms = math.sqrt(float((val_rates**2).mean()))
    mse = history.best_validation_loss
    return {
        "mse": mse,
        "rmse": math.sqrt(mse),
        "relative_rmse": math.sqrt(mse) / rms if rms else math.nan,
        "mean_predictor_mse": baseline,
    }
