"""Training: the method recovers a known ReLU network; determinism, warnings, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from ffapprox import (
    ConvergenceWarning,
    FeedForwardApproximation,
    FixedPointDataset,
    Status,
    TrainingHistory,
    train,
)

# A 3-6-2 teacher is inside the student's function class; 5 % relative RMSE is far above
# float32 noise and far below what predicting the mean gives (100 %).
TEACHER_TOLERANCE = 0.05


def teacher_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((6, 3)), rng.uniform(-0.5, 0.5, 6)
    w2, b2 = rng.standard_normal((2, 6)), np.array([0.5, 0.2])
    x = rng.uniform(-1, 1, (n, 3))
    return x, np.maximum(np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, 0)


def relative_rmse(prediction: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(((prediction - target) ** 2).mean() / (target**2).mean()))


def quick(model, data, **kwargs) -> TrainingHistory:
    """Short training whose non-convergence is not under test."""
    settings = {"epochs": 5, "batch_size": 64, "restarts": 2, "patience": 3, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return train(model, data, **settings)


def test_recovers_a_relu_teacher(seed):
    x, y = teacher_data(3000, seed=seed)
    model = FeedForwardApproximation(3, 32, 2)
    history = quick(
        model, (x[:2000], y[:2000]), epochs=150, batch_size=128, patience=50, seed=seed
    )
    assert relative_rmse(model.predict(x[2000:]), y[2000:]) < TEACHER_TOLERANCE
    validation = model.metadata["validation"]
    assert validation["relative_rmse"] < TEACHER_TOLERANCE
    assert validation["mse"] == pytest.approx(history.best_validation_loss)


def test_history_is_consistent():
    x, y = teacher_data(600)
    seen = []
    history = quick(FeedForwardApproximation(3, 8, 2), (x, y), restarts=3, progress=seen.append)
    assert len(history.train_loss) == len(history.validation_loss) >= history.best_epoch >= 1
    assert history.validation_loss[history.best_epoch - 1] == history.best_validation_loss
    assert history.best_validation_loss == min(r.best_validation_loss for r in history.restarts)
    assert len(history.restarts) == 3 and history.wall_time > 0
    assert [info["epoch"] for info in seen] == list(range(1, len(seen) + 1))


def test_same_seed_same_weights():
    x, y = teacher_data(500)
    models = [FeedForwardApproximation(3, 8, 2) for _ in range(3)]
    histories = [quick(m, (x, y), seed=s) for m, s in zip(models, (4, 4, 5), strict=True)]
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)
    assert histories[0].validation_loss == histories[1].validation_loss
    assert not torch.equal(models[0].layers[0].weight, models[2].layers[0].weight)


def test_uses_only_stable_rows_and_explicit_validation():
    x, y = teacher_data(800)
    status = np.zeros(800, dtype=np.int8)
    status[::4] = int(Status.OSCILLATING)
    y_marked = np.where(status[:, None] == 0, y, np.nan)
    dataset = FixedPointDataset(x, y_marked, y_marked, status, np.ones(800, np.int64), {})
    train_part, validation_part = dataset.split((0.75, 0.25), seed=0)
    model = FeedForwardApproximation(3, 8, 2)
    quick(model, train_part, validation=validation_part)
    n_validation = int(validation_part.stable_mask.sum())
    assert model.metadata["training"]["n_validation"] == n_validation
    assert model.metadata["training"]["n_train"] == int(train_part.stable_mask.sum())
    assert np.isfinite(model.predict(x)).all()


def test_warns_when_stopped_while_improving():
    x, y = teacher_data(1000)
    model = FeedForwardApproximation(3, 16, 2)
    with pytest.warns(ConvergenceWarning, match="still improving"):
        history = train(model, (x, y), epochs=3, batch_size=100)
    assert not history.converged
    assert model.metadata["training"]["converged"] is False


def test_rejects_data_without_stable_inputs():
    x = np.zeros((10, 3))
    nan = np.full((10, 3), np.nan)
    status = np.full(10, int(Status.OSCILLATING), dtype=np.int8)
    dataset = FixedPointDataset(x, nan, nan, status, np.zeros(10, np.int64), {})
    with pytest.raises(ValueError, match="no stable inputs"):
        train(FeedForwardApproximation(3), dataset)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (FeedForwardApproximation(4, 8, 2), "n_inputs=4"),
        (FeedForwardApproximation(3, 8, 5), "n_outputs=5"),
    ],
)
def test_rejects_size_mismatch(model, match):
    with pytest.raises(ValueError, match=match):
        train(model, teacher_data(50))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"restarts": 0}, "restarts"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"schedule": "warm"}, "schedule"),
        ({"seed": -3}, "seed"),
    ],
)
def test_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(FeedForwardApproximation(3, 8, 2), teacher_data(50), **kwargs)


def test_all_zero_rates_give_nan_relative_rmse():
    x = np.random.default_rng(0).uniform(-1, 1, (200, 3))
    model = FeedForwardApproximation(3, 8, 2)
    quick(model, (x, np.zeros((200, 2))))
    validation = model.metadata["validation"]
    assert validation["mse"] == 0 and math.isnan(validation["relative_rmse"])


@pytest.mark.parametrize(
    ("column", "value"), [("inputs", np.nan), ("inputs", np.inf), ("rates", -np.inf)]
)
def test_rejects_non_finite_data(column, value):
    # NaN rates mark inputs without a stable fixed point and are dropped; the rest is bad data.
    x, y = teacher_data(100)
    (x if column == "inputs" else y)[7, 1] = value
    with pytest.raises(ValueError, match=f"dataset {column} must be finite"):
        train(FeedForwardApproximation(3, 8, 2), (x, y))
    with pytest.raises(ValueError, match=f"validation {column} must be finite"):
        train(FeedForwardApproximation(3, 8, 2), teacher_data(100), validation=(x, y))


def test_kept_weights_are_never_worse_than_the_initial_ones():
    x, y = teacher_data(600)
    validation = teacher_data(200, seed=1)
    model = FeedForwardApproximation(3, 8, 2)
    # A huge step size throws every restart off its least-squares start at epoch 1.
    history = quick(model, (x, y), validation=validation, learning_rate=1e3, restarts=1)
    assert history.best_epoch == 0
    assert np.isfinite(history.best_validation_loss)
    assert min(history.validation_loss) > history.best_validation_loss
    mse = float(((model.predict(validation[0]) - validation[1]) ** 2).mean())
    assert mse == pytest.approx(history.best_validation_loss, rel=1e-4)


def test_a_run_that_never_beats_its_start_is_not_converged():
    from ffapprox import generate_dataset, partitioned_network

    data = generate_dataset(partitioned_network(), 2000, seed=0)
    model = FeedForwardApproximation(5, [32, 32], 5)
    # The least-squares start beats the mean here; a huge step never improves on it.
    with pytest.warns(ConvergenceWarning, match="never improved.*smaller learning rate"):
        history = train(model, data, learning_rate=1e3, epochs=4, patience=2, restarts=1)
    assert history.best_epoch == 0 and not history.converged
    assert model.metadata["training"]["converged"] is False


def test_wide_models_get_a_smaller_step_by_default():
    from ffapprox.approx import auto_learning_rate

    assert auto_learning_rate(FeedForwardApproximation(5, [64, 64], 5)) == 1e-2
    assert auto_learning_rate(FeedForwardApproximation(5, [256, 128], 5)) == 2.5e-3
    model = FeedForwardApproximation(3, [128], 2)
    quick(model, teacher_data(200))
    assert model.metadata["training"]["learning_rate"] == 5e-3


def test_warning_advice_matches_its_reason():
    x = np.random.default_rng(0).uniform(-1, 1, (400, 3))
    # Constant rates: predicting the mean is exact, so no model can beat it.
    with pytest.warns(ConvergenceWarning, match="does not beat predicting the mean") as caught:
        train(FeedForwardApproximation(3, 8, 1), (x, np.ones((400, 1))), epochs=3)
    assert "more epochs" not in str(caught[0].message)
    with pytest.warns(ConvergenceWarning, match="still improving.*try more epochs"):
        train(FeedForwardApproximation(3, 16, 2), teacher_data(1000), epochs=3, batch_size=100)


@pytest.mark.parametrize("device", ["foo", "cuda:99"])
def test_rejects_bad_device(device):
    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("only unavailable CUDA is under test")
    with pytest.raises(ValueError, match="device"):
        train(FeedForwardApproximation(3, 8, 2), teacher_data(50), device=device)
