"""RecurrentNetwork: validation, immutability and the .npz round trip."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ffapprox import RecurrentNetwork


def test_scalars_broadcast_to_every_neuron():
    net = RecurrentNetwork(np.zeros((3, 3)), tau=2.0, bias=0.5)
    assert net.n_neurons == 3
    assert net.form == "threshold-linear"
    np.testing.assert_array_equal(net.tau, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(net.bias, [0.5, 0.5, 0.5])
    assert net.weights.dtype == net.tau.dtype == net.bias.dtype == np.float64


def test_network_is_frozen_and_its_arrays_read_only(rng):
    weights = rng.normal(size=(4, 4))
    net = RecurrentNetwork(weights, tau=rng.uniform(0.5, 2, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.weights = np.zeros((4, 4))  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.form = "rectified-recurrent"  # type: ignore[misc]
    for array in (net.weights, net.tau, net.bias):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    # The network holds a copy: changing the caller's array changes nothing.
    before = net.fingerprint()
    weights[0, 0] += 1.0
    assert net.weights[0, 0] != weights[0, 0]
    assert net.fingerprint() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": np.array([[0.0, np.nan], [0.0, 0.0]])}, "weights must be finite"),
        ({"weights": np.array([[0.0, np.inf], [0.0, 0.0]])}, "weights must be finite"),
        ({"weights": np.zeros((2, 3))}, r"weights must be .*square.*\(2, 3\)"),
        ({"weights": np.zeros(4)}, r"weights must be .*square.*\(4,\)"),
        ({"weights": np.zeros((0, 0))}, "weights must be a non-empty"),
        ({"tau": 0.0}, "tau must be positive"),
        ({"tau": -1.0}, "tau must be positive"),
        ({"tau": [1.0, -0.5]}, "tau must be positive"),
        ({"tau": np.nan}, "tau must be finite"),
        ({"tau": [1.0, 1.0, 1.0]}, r"tau must be a scalar or have shape \(2,\), got shape \(3,\)"),
        ({"bias": np.ones((2, 2))}, r"bias must be a scalar or have shape \(2,\)"),
        ({"bias": [0.0, np.inf]}, "bias must be finite"),
        ({"form": "sigmoid"}, "form must be one of .*'sigmoid'"),
    ],
)
def test_invalid_arguments_are_named(kwargs, match):
    arguments = {"weights": np.zeros((2, 2))} | kwargs
    with pytest.raises(ValueError, match=match):
        RecurrentNetwork(**arguments)


def test_tensors_have_requested_dtype(rng):
    net = RecurrentNetwork(rng.normal(size=(3, 3)), tau=[1.0, 2.0, 3.0])
    weights, tau, bias = net.tensors(torch.float32)
    assert weights.dtype == tau.dtype == bias.dtype == torch.float32
    np.testing.assert_array_equal(tau.numpy(), [1.0, 2.0, 3.0])


def test_fingerprint_depends_on_every_field(rng):
    weights = rng.normal(size=(3, 3))
    base = RecurrentNetwork(weights)
    variants = [
        RecurrentNetwork(weights, form="rectified-recurrent"),
        RecurrentNetwork(weights, tau=2.0),
        RecurrentNetwork(weights, bias=0.1),
        RecurrentNetwork(weights + np.eye(3)),
    ]
    assert base.fingerprint() == RecurrentNetwork(weights.copy()).fingerprint()
    assert len({base.fingerprint(), *(v.fingerprint() for v in variants)}) == 5
    assert "form='threshold-linear'" in repr(base)


def test_save_load_round_trip_is_exact(rng, form, tmp_path):
    net = RecurrentNetwork(
        rng.normal(size=(5, 5)), tau=rng.uniform(0.1, 3, 5), bias=rng.normal(size=5), form=form
    )
    path = tmp_path / "net.npz"
    net.save(path)
    loaded = RecurrentNetwork.load(path)
    assert loaded.form == form
    for name in ("weights", "tau", "bias"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(net, name), strict=True)
    assert loaded.fingerprint() == net.fingerprint()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]  # no temporary left


def _assert_one_line_value_error(path, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        RecurrentNetwork.load(path)
    assert "\n" not in str(info.value)


def test_load_wrongly_keyed_file(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, w=np.zeros((2, 2)))
    _assert_one_line_value_error(path, r"lacks keys \['weights'\]")


def test_load_corrupt_file(tmp_path):
    path = tmp_path / "net.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    _assert_one_line_value_error(path, "not a readable")


def test_load_missing_file(tmp_path):
    _assert_one_line_value_error(tmp_path / "absent.npz", "does not exist")


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"weights": np.array([[np.nan]])}, "weights must be finite"),
        ({"weights": np.zeros((2, 3))}, "weights must be"),
        ({"weights": np.zeros((2, 2)), "tau": np.array(0.0)}, "tau must be positive"),
        ({"weights": np.zeros((2, 2)), "form": np.array("tanh")}, "form must be one of"),
    ],
)
def test_load_invalid_network_contents(tmp_path, arrays, match):
    path = tmp_path / "net.npz"
    np.savez(path, **arrays)
    _assert_one_line_value_error(path, match)
