"""Approximation families: each a fixed-cost feed-forward module that trains, saves, loads,
exports to ONNX and, where it can, vouches for its answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ffapprox as ff
from ffapprox.approx import FAMILIES, RegionTable, Unrolled, get_family, load_model

STRUCTURED = ("unrolled", "predictor-corrector", "regions")


def _network(family: str, rng) -> ff.RecurrentNetwork:
    if family == "regions":
        return ff.partitioned_network()
    return ff.random_dale_network(12, gain=0.8, seed=int(rng.integers(1 << 16)))


def _build(family: str, network, **params):
    hidden = [16] if family != "unrolled" else None
    small = {"steps": 40, "euler_steps": 5} if family == "unrolled" else {}
    small |= {"steps": 20} if family == "predictor-corrector" else {}
    n = network.n_neurons
    return get_family(family).build(n, n, network=network, hidden=hidden, **(small | params))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_trains_saves_loads_and_exports(family, rng, tmp_path):
    network = _network(family, rng)
    data = ff.generate_dataset(network, 600, seed=int(rng.integers(1 << 16)))
    model = _build(family, network)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ff.ConvergenceWarning)
        history = ff.train(model, data, epochs=3, batch_size=128, restarts=2)
    assert np.isfinite(history.best_validation_loss)
    assert model.metadata["training"]["n_train"] > 0
    x = data.inputs[:9]
    out = model.predict(x)
    assert out.shape == (9, network.n_neurons) and (out >= 0).all()
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(model) and loaded.architecture() == model.architecture()
    np.testing.assert_array_equal(loaded.predict(x), out)
    onnxruntime = pytest.importorskip("onnxruntime")
    ff.export_onnx(model, tmp_path / "m.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    (onnx_out,) = session.run(None, {"inputs": x.astype(np.float32)})
    np.testing.assert_allclose(onnx_out, out, rtol=1e-4, atol=1e-5)


def test_unrolled_before_training_is_the_explicit_integrator(rng):
    network = ff.random_dale_network(10, gain=0.8, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (6, 10))
    model = Unrolled.from_network(network, steps=30, step=0.1, momentum=0.25, euler_steps=8)
    # Written out from the equations, in float64.
    h, weights, drive = 0.1 / network.tau, network.weights, inputs - network.bias
    x = previous = np.zeros_like(inputs)
    for k in range(30):
        field = np.maximum(x, 0) @ weights.T + drive - x
        moved = x + h * field + (0.25 * (x - previous) if k > 8 else 0.0)
        previous, x = x, moved
    np.testing.assert_allclose(model.predict(inputs), np.maximum(x, 0), rtol=1e-4, atol=1e-5)


def test_unrolled_reaches_the_exact_fixed_point_and_vouches_for_it(rng):
    network = ff.random_dale_network(16, gain=0.5, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (40, 16))
    exact = ff.solve_fixed_points(network, inputs)
    model = Unrolled.from_network(network, steps=400, step=0.2, momentum=0.3, euler_steps=20)
    stable = exact.status.numpy() == 0
    error = np.abs(model.predict(inputs)[stable] - exact.rates.numpy()[stable]).max()
    assert error < 1e-3
    assert model.trust(inputs)[stable].mean() > 0.9


def test_region_table_candidates_are_fixed_points(rng):
    network = ff.partitioned_network()
    model = RegionTable.from_network(network)
    inputs = torch.as_tensor(rng.uniform(-1, 1, (50, 5)), dtype=torch.float32)
    fixed, consistent, _ = model._candidates(inputs)
    drive = (inputs - model.bias)[:, None, :].expand_as(fixed)
    # x = W [x]^+ + i - b for every consistent candidate (its region's linear system).
    weights_t = torch.as_tensor(network.weights.T.copy(), dtype=torch.float32)
    residual = torch.relu(fixed) @ weights_t
    residual = (residual + drive - fixed).abs().amax(2)
    assert (residual[consistent] < 1e-4).all()
    # Where only one stable region is consistent, the answer is the exact fixed point.
    only = consistent.sum(1) == 1
    exact = ff.solve_fixed_points(network, inputs.double().numpy()).rates.numpy()
    np.testing.assert_allclose(model.predict(inputs.numpy())[only.numpy()], exact[only.numpy()],
                               atol=1e-5)  # fmt: skip
    assert model.trust(inputs.numpy())[only.numpy()].all()


def test_structured_families_refuse_what_they_cannot_approximate():
    with pytest.raises(ValueError, match="N must be <= 12"):
        RegionTable.from_network(ff.random_dale_network(16))
    rectified = ff.partitioned_network(form="rectified-recurrent")
    with pytest.raises(ValueError, match="threshold-linear form"):
        Unrolled.from_network(rectified)
    with pytest.raises(ValueError, match="built from its recurrent network"):
        get_family("unrolled").build(5, 5)
