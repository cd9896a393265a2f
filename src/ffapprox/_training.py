"""Fitting the feed-forward approximation to fixed-point data (Adam + MSE, with restarts)."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ._batches import InMemory, Streamed
from ._dataset import FixedPointDataset
from ._dynamics import check_device
from ._ensemble import _INIT_ROWS, Ensemble
from ._store import ZarrDataset

SCHEDULES = ("cosine", "constant")
# A run that hit the epoch limit is "still improving" when its best validation MSE fell,
# over the last `patience` epochs, by more than this fraction of the mean predictor's MSE.
IMPROVEMENT_TOLERANCE = 1e-3


class ConvergenceWarning(UserWarning):
    """Training ended before the validation loss settled, or without beating the mean."""


@dataclass
class TrainingHistory:
    """What :func:`train` did.

    Attributes:
        train_loss, validation_loss: per-epoch mean squared error of the rates (in the
            rates' own units) of the winning restart.
        best_epoch: 1-based epoch of the kept weights; ``validation_loss[best_epoch - 1]``
            equals ``best_validation_loss``. 0 when no epoch beat the initial weights,
            which are then kept.
        best_validation_loss: validation MSE of the kept weights (never above that of the
            initial weights).
        wall_time: seconds spent in :func:`train`.
        restarts: one dict per restart (seed, best_validation_loss, best_epoch, epochs_run,
            stopped_early); the winner has the lowest best_validation_loss.
        converged: False when the winner was still improving at the epoch limit or did not
            beat predicting the mean (a :class:`ConvergenceWarning` was then emitted).
    """

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_validation_loss: float = math.inf
    wall_time: float = 0.0
    restarts: list[dict] = field(default_factory=list)
    converged: bool = False


def _stable_rows(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, FixedPointDataset):
        inputs, rates, keep = data.inputs, data.rates, data.stable_mask
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        inputs, rates = (np.asarray(a, dtype=np.float64) for a in data)
        if inputs.ndim != 2 or rates.ndim != 2 or len(inputs) != len(rates):
            raise ValueError(
                f"{name} must be (inputs (S, N), rates (S, M)), got shapes "
                f"{inputs.shape} and {rates.shape}"
            )
        keep = ~np.isnan(rates).any(1)
    else:
        raise ValueError(
            f"{name} must be a FixedPointDataset or an (inputs, rates) pair, got {type(data)}"
        )
    for column, array in (("inputs", inputs), ("rates", rates[keep])):
        bad = ~np.isfinite(array).all(1)
        if bad.any():
            raise ValueError(
                f"{name} {column} must be finite, got NaN or inf in {int(bad.sum())} rows"
            )
    if not keep.any():
        raise ValueError(f"{name} has no stable inputs to train on ({len(inputs)} rows)")
    return inputs[keep], rates[keep]


def _in_memory(dataset, validation, validation_fraction: float, split_seed: int):
    inputs, rates = _stable_rows(dataset, "dataset")
    if validation is not None:
        return InMemory(inputs, rates), *_stable_rows(validation, "validation")
    _check("validation_fraction", validation_fraction, integer=False, low=0.0, high=1.0)
    n_val = max(1, round(validation_fraction * len(inputs)))
    if not 0 < validation_fraction < 1 or n_val >= len(inputs):
        raise ValueError(
            f"validation_fraction must leave training and validation rows, got "
            f"{validation_fraction} of {len(inputs)} stable rows"
        )
    order = np.random.default_rng(split_seed).permutation(len(inputs))
    train_rows, val_rows = order[n_val:], order[:n_val]
    return InMemory(inputs[train_rows], rates[train_rows]), inputs[val_rows], rates[val_rows]


def _streamed(store: ZarrDataset, validation, validation_fraction: float, split_seed: int):
    """Training rows streamed from ``store``; validation rows in memory.

    Without ``validation``, a ``validation_fraction`` of every chunk's rows is held out
    (drawn with the split seed) and at most ``MAX_STREAMED_VALIDATION_ROWS`` of its stable
    rows are read.
    """
    store.require_complete()
    if validation is None:
        _check("validation_fraction", validation_fraction, integer=False, low=0.0, high=1.0)
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
        source = Streamed(store, validation_fraction, split_seed)
        val_inputs, val_rates = source.validation()
        if len(val_inputs) == 0:
            raise ValueError(f"no stable validation rows drawn from {str(store.path)!r}")
    else:
        source = Streamed(store)
        val_inputs, val_rates = _stable_rows(validation, "validation")
    if source.n_rows == 0:
        raise ValueError(f"dataset {str(store.path)!r} has no stable inputs to train on")
    return source, val_inputs, val_rates


def _check(name: str, value, *, integer: bool, low: float, high: float = math.inf) -> None:
    bad = isinstance(value, bool) or not isinstance(value, (int, np.integer, float))
    if bad or (integer and not isinstance(value, (int, np.integer))):
        raise ValueError(
            f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}"
        )
    if not (low <= value <= high) or not math.isfinite(value):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")


def _seeds(seed: int, count: int) -> list[int]:
    children = np.random.SeedSequence(seed).spawn(count)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def train(
    model,
    dataset,
    *,
    validation=None,
    epochs: int = 200,
    batch_size: int = 1024,
    learning_rate: float = 1e-2,
    restarts: int = 4,
    patience: int = 50,
    validation_fraction: float = 0.1,
    schedule: str = "cosine",
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: Callable[[dict], None] | None = None,
) -> TrainingHistory:
    r"""Fit ``model`` to the stable fixed points of ``dataset`` by Adam on the MSE.

    Minimises ``mean ||model(i) - [f(i)]^+||^2`` over the stable rows (Muir 2018: Adam,
    inputs without a stable fixed point discarded). Targets and inputs are rescaled for
    the optimisation and the scaling is folded back into the first and last layer, so the
    model maps raw inputs to raw rates. ``restarts`` models are trained side by side, each
    from its own seed, with hidden units initialised alive on the data (thresholds at
    random quantiles of their input) and the output layer initialised by least squares.
    Every epoch the validation MSE is measured; each restart keeps its best weights and
    stops after ``patience`` epochs without improvement. The best restart's weights are
    loaded into ``model`` in place, and settings and validation metrics are stored in
    ``model.metadata``.

    Arguments:
        model: a :class:`FeedForwardApproximation` (trained in its own dtype).
        dataset: a :class:`FixedPointDataset`, an ``(inputs, rates)`` pair, or a
            :class:`ZarrDataset` (a ``.zarr`` store), which is streamed chunk by chunk
            (chunks in random order, rows shuffled within a chunk) and never loaded whole;
            rows with NaN rates (no stable fixed point) are dropped.
        validation: held-out data (in memory); default: ``validation_fraction`` of the
            stable rows (of a store: of each chunk's rows, at most 100,000 of them read),
            drawn with ``seed``.
        epochs: maximum passes over the training rows.
        batch_size, learning_rate: Adam mini-batch size and initial step size.
        restarts: independent initialisations; the lowest validation loss wins.
        patience: epochs without improvement before a restart stops.
        schedule: learning rate over the epochs, ``"cosine"`` (to 1 % of the initial value)
            or ``"constant"``.
        seed: seeds the split, the initialisations and the mini-batch order; training on
            the CPU is deterministic for a given seed.
        device: where to train; default the model's device.
        progress: called after each epoch with a dict (epoch, epochs, train_loss,
            validation_loss, best_validation_loss, learning_rate).

    Returns:
        A :class:`TrainingHistory`.

    Raises:
        ValueError: for data without stable inputs, non-finite inputs or (non-NaN) rates,
            data whose sizes do not match the model, an unknown or unavailable ``device``,
            or invalid settings.

    Warns:
        ConvergenceWarning: when the kept weights were still improving at the epoch limit
            or do not predict better than the mean rate.

    Example:
        >>> from ffapprox import FeedForwardApproximation
        >>> x = np.random.default_rng(0).uniform(-1, 1, (512, 2))
        >>> model = FeedForwardApproximation(2, 8, 1)
        >>> history = train(model, (x, np.maximum(x.sum(1, keepdims=True), 0)), epochs=100)
        >>> history.best_validation_loss < 1e-3
        True
    """
    started = time.perf_counter()
    for name, value, integer, low in (
        ("epochs", epochs, True, 1),
        ("batch_size", batch_size, True, 1),
        ("restarts", restarts, True, 1),
        ("patience", patience, True, 1),
        ("seed", seed, True, 0),
        ("learning_rate", learning_rate, False, 1e-12),
    ):
        _check(name, value, integer=integer, low=low)
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)}, got {schedule!r}")
    split_seed, order_seed, *init_seeds = _seeds(seed, 2 + restarts)
    if isinstance(dataset, ZarrDataset):
        source, val_inputs, val_rates = _streamed(
            dataset, validation, validation_fraction, split_seed
        )
    else:
        source, val_inputs, val_rates = _in_memory(
            dataset, validation, validation_fraction, split_seed
        )
    inputs, rates = source.head(_INIT_ROWS)
    for name, array, size, what in (
        ("dataset inputs", inputs, model.n_inputs, "n_inputs"),
        ("dataset rates", rates, model.n_outputs, "n_outputs"),
        ("validation inputs", val_inputs, model.n_inputs, "n_inputs"),
        ("validation rates", val_rates, model.n_outputs, "n_outputs"),
    ):
        if array.shape[1] != size:
            raise ValueError(
                f"{name} have {array.shape[1]} columns but the model has {what}={size}"
            )

    device = model.layers[0].weight.device if device is None else check_device(device)
    dtype = model.dtype
    scaling = source.scaling()
    ensemble = Ensemble(
        inputs,
        rates,
        scaling=scaling,
        sizes=(model.n_inputs, *model.hidden, model.n_outputs),
        seeds=init_seeds,
        dtype=dtype,
        device=device,
    )
    val_x = torch.as_tensor(val_inputs, dtype=dtype, device=device)
    val_y = torch.as_tensor(val_rates, dtype=dtype, device=device)
    baseline = float(((val_rates - scaling.rate_mean) ** 2).mean())
    optimizer = torch.optim.Adam(ensemble.parameters, lr=learning_rate)
    shuffle = torch.Generator().manual_seed(order_seed)
    initial = ensemble.validation_loss(val_x, val_y)

    n_restarts = restarts
    # The initial weights are epoch 0: the kept weights are never worse than them.
    best = initial.copy()
    best_epoch = np.zeros(n_restarts, dtype=np.int64)
    epochs_run = np.zeros(n_restarts, dtype=np.int64)
    train_curve, val_curve = [], []
    for epoch in range(1, epochs + 1):
        if schedule == "cosine":
            fraction = (epoch - 1) / max(1, epochs - 1)
            lr = learning_rate * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * fraction)))
            for group in optimizer.param_groups:
                group["lr"] = lr
        else:
            lr = learning_rate
        train_loss = ensemble.epoch(optimizer, source.batches(ensemble, shuffle, batch_size))
        val_loss = ensemble.validation_loss(val_x, val_y)
        train_curve.append(train_loss)
        val_curve.append(val_loss)
        running = epochs_run == 0
        improved = running & (val_loss < best)
        best[improved] = val_loss[improved]
        best_epoch[improved] = epoch
        ensemble.keep(improved)
        epochs_run[running & (epoch - best_epoch >= patience)] = epoch
        if progress is not None:
            leader = int(np.argmin(best))
            progress(
                {
                    "epoch": epoch,
                    "epochs": epochs,
                    "train_loss": float(train_loss[leader]),
                    "validation_loss": float(val_loss[leader]),
                    "best_validation_loss": float(best[leader]),
                    "learning_rate": lr,
                }
            )
        if np.all(epochs_run > 0):
            break
    epochs_run[epochs_run == 0] = epoch
    winner = int(np.argmin(best))
    ensemble.load_into(model, winner)

    run = int(epochs_run[winner])
    curve = [float(v[winner]) for v in val_curve[:run]]
    stopped_early = run - best_epoch[winner] >= patience
    earlier = [float(initial[winner]), *curve[: max(0, run - patience)]]
    still_improving = min(earlier) - best[winner] > IMPROVEMENT_TOLERANCE * baseline
    beats_mean = best[winner] < baseline or best[winner] == 0
    converged = bool(beats_mean and (stopped_early or not still_improving))
    history = TrainingHistory(
        train_loss=[float(v[winner]) for v in train_curve[:run]],
        validation_loss=curve,
        best_epoch=int(best_epoch[winner]),
        best_validation_loss=float(best[winner]),
        wall_time=time.perf_counter() - started,
        restarts=[
            {
                "seed": init_seeds[r],
                "best_validation_loss": float(best[r]),
                "best_epoch": int(best_epoch[r]),
                "epochs_run": int(epochs_run[r]),
                "stopped_early": bool(epochs_run[r] - best_epoch[r] >= patience),
            }
            for r in range(n_restarts)
        ],
        converged=converged,
    )
    rms = math.sqrt(float((val_rates**2).mean()))
    model.metadata = {
        "training": {
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "restarts": restarts,
            "patience": patience,
            "schedule": schedule,
            "seed": seed,
            "n_train": source.n_rows,
            "n_validation": len(val_inputs),
            "best_epoch": history.best_epoch,
            "epochs_run": run,
            "wall_time": history.wall_time,
            "converged": converged,
        },
        "validation": {
            "mse": history.best_validation_loss,
            "rmse": math.sqrt(history.best_validation_loss),
            "relative_rmse": math.sqrt(history.best_validation_loss) / rms if rms else math.nan,
            "mean_predictor_mse": baseline,
        },
    }
    if isinstance(dataset, FixedPointDataset | ZarrDataset):
        model.metadata["dataset"] = {
            k: dataset.metadata[k]
            for k in ("network_fingerprint", "seed", "n_samples", "inputs")
            if k in dataset.metadata
        }
    if not converged:
        reason = (
            "does not beat predicting the mean rate: check the data, or try another "
            "learning rate, more hidden units or more restarts"
            if not beats_mean
            else f"was still improving at the epoch limit ({epochs}): try more epochs"
        )
        warnings.warn(
            f"training did not converge: the best model (validation MSE "
            f"{history.best_validation_loss:.3g}) {reason}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return history
