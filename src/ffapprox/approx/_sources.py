"""Where :func:`train` reads rows from: the stable rows of the data it is given, split off
a validation set, in memory or streamed from a store."""

from __future__ import annotations

import numpy as np

from ..common import real_array
from ..data import FixedPointDataset, InMemory, Streamed, ZarrDataset, check_training_values

PAIR = ("inputs", "rates")


def stable_rows(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, rates)`` of the rows of ``data`` with a stable fixed point (in a pair,
    the rows whose rates hold no NaN: a dataset's convention for inputs without one)."""
    if isinstance(data, FixedPointDataset):
        inputs, rates, keep = data.inputs, data.rates, data.stable_mask
    elif isinstance(data, tuple | list) and len(data) == 2:
        inputs, rates = (
            real_array(f"{name} {part}", a) for part, a in zip(PAIR, data, strict=True)
        )
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
        check_training_values(f"{name} {column}", array)
    if not keep.any():
        raise ValueError(f"{name} has no stable inputs to train on ({len(inputs)} rows)")
    return inputs[keep], rates[keep]


def _in_memory(dataset, validation, fraction: float, split_seed: int):
    inputs, rates = stable_rows(dataset, "dataset")
    if validation is not None:
        return InMemory(inputs, rates), *stable_rows(validation, "validation")
    n_val = max(1, round(fraction * len(inputs)))
    if not 0 < fraction < 1 or n_val >= len(inputs):
        raise ValueError(
            f"validation_fraction must leave training and validation rows, got "
            f"{fraction} of {len(inputs)} stable rows"
        )
    order = np.random.default_rng(split_seed).permutation(len(inputs))
    train_rows, val_rows = order[n_val:], order[:n_val]
    return InMemory(inputs[train_rows], rates[train_rows]), inputs[val_rows], rates[val_rows]


def _streamed(store: ZarrDataset, validation, fraction: float, split_seed: int):
    """Training rows streamed from ``store``; validation rows in memory.

    Without ``validation``, a ``fraction`` of every chunk's rows is held out (drawn with
    the split seed) and at most ``MAX_STREAMED_VALIDATION_ROWS`` of its stable rows read.
    """
    store.require_complete()
    if validation is None:
        if not 0 < fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction}")
        source = Streamed(store, fraction, split_seed)
        val_inputs, val_rates = source.validation()
        if len(val_inputs) == 0:
            raise ValueError(f"no stable validation rows drawn from {str(store.path)!r}")
    else:
        source = Streamed(store)
        val_inputs, val_rates = stable_rows(validation, "validation")
    if source.n_rows == 0:
        raise ValueError(f"dataset {str(store.path)!r} has no stable inputs to train on")
    return source, val_inputs, val_rates


def training_source(dataset, validation, fraction: float, split_seed: int):
    """``(source, validation inputs, validation rates)``: the batches to train on (an
    :class:`InMemory` or :class:`Streamed`) and the held-out stable rows; ``fraction``
    (checked by :class:`TrainingSettings`) is held out when ``validation`` is None."""
    if isinstance(dataset, ZarrDataset):
        return _streamed(dataset, validation, fraction, split_seed)
    return _in_memory(dataset, validation, fraction, split_seed)


def check_columns(model, inputs, rates, val_inputs, val_rates) -> None:
    """Refuse data whose widths do not match the model's inputs and outputs."""
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
