"""Values at the edges: learning rates, empty and overflowing inputs, model metadata, worker
counts and config partitions are refused with one line, or handled, never a traceback."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from test_hostile import assert_one_line, invoke, workspace  # noqa: F401

import ffapprox as ff
from ffapprox import FeedForwardApproximation
from ffapprox.networks import partitioned_network


@pytest.mark.parametrize("rate", ["1e39", "1e300"])
def test_a_learning_rate_beyond_float32_is_refused(workspace, rate):  # noqa: F811
    result = invoke(
        "train", workspace / "data.npz", "-o", workspace / "m", "--learning-rate", rate
    )
    assert_one_line(result, "learning_rate must be in (0, 1000]")
    assert not (workspace / "m").exists()


@pytest.mark.parametrize("family", ["mlp", "regions"])
def test_predicting_no_rows_gives_no_rows(family):
    net = partitioned_network()
    model = ff.FAMILIES[family].build(5, 5, network=net, hidden=[8])
    out = model.predict(np.zeros((0, 5)))
    assert out.shape == (0, 5)
    trust = model.trust(np.zeros((0, 5)))
    assert trust is None or trust.shape == (0,)


def test_predict_on_an_empty_file(workspace):  # noqa: F811
    np.save(workspace / "empty.npy", np.zeros((0, 5)))
    result = invoke(
        "predict", workspace / "model", workspace / "empty.npy", "-o", workspace / "p.npy"
    )
    assert result.exit_code == 0, result.output
    assert np.load(workspace / "p.npy").shape == (0, 5)


def test_inputs_that_overflow_float32_are_named_as_such(workspace):  # noqa: F811
    np.save(workspace / "big.npy", np.full((2, 5), 1e308))
    result = invoke(
        "predict", workspace / "model", workspace / "big.npy", "-o", workspace / "p.npy"
    )
    assert_one_line(result, "inputs must be within +-3.4e+38 in float32")
    with pytest.raises(ValueError, match="within"):
        ff.solve_fixed_points(partitioned_network(), np.full((1, 5), 1e50), dtype=torch.float32)


def test_an_empty_one_dimensional_input_reports_its_own_shape():
    with pytest.raises(ValueError, match=r"got shape \(0,\)"):
        ff.solve_fixed_points(partitioned_network(), np.zeros(0))


def test_inputs_that_require_grad_are_solved():
    net = partitioned_network()
    drive = torch.full((3, 5), 0.5, dtype=torch.float64, requires_grad=True)
    result = ff.solve_fixed_points(net, drive)
    reference = ff.solve_fixed_points(net, np.full((3, 5), 0.5))
    np.testing.assert_array_equal(np.asarray(result.rates), np.asarray(reference.rates))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda x, y: (x + 1j * x, y), "must hold integer or real floating numbers"),
        (lambda x, y: (x.astype(object), y), "must hold integer or real floating numbers"),
        (lambda x, y: (x > 0, y), "must hold integer or real floating numbers"),
        (lambda x, y: (x * 1e300, y), "must be within +-1e+18"),
        (lambda x, y: (x, y * 1e30), "must be within +-1e+18"),
    ],
)
def test_training_pairs_of_other_types_or_scales_are_refused(make, match):
    data = ff.generate_dataset(partitioned_network(), 60, seed=2)
    x, y = data.inputs[data.stable_mask], data.rates[data.stable_mask]
    with pytest.raises(ValueError, match=match.replace("+", r"\+")):
        ff.train(FeedForwardApproximation(5, 4), make(x, y), epochs=1, restarts=1)


def test_a_store_with_huge_training_values_names_the_chunk(tmp_path):
    # stable fixed points all, but their squared errors are beyond float32
    path = tmp_path / "big.zarr"
    store = ff.generate_store(partitioned_network(), path, 40, low=1e29, high=1e30, chunk_size=20)
    with pytest.raises(ValueError, match="chunk 0 must be within"):
        ff.train(FeedForwardApproximation(5, 4), store, epochs=1, restarts=1)


def _edit_model_json(folder, **changes):
    config = json.loads((folder / "model.json").read_text())
    config.update(changes)
    (folder / "model.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"format_version": 99}, "format_version 99"),
        ({"dtype": "complex64"}, "dtype 'complex64', expected one of ['float32', 'float64']"),
        ({"dtype": "float64"}, "holds"),
    ],
)
def test_model_metadata_is_checked(tmp_path, changes, match):
    FeedForwardApproximation(5, 4).save(tmp_path / "m")
    _edit_model_json(tmp_path / "m", **changes)
    with pytest.raises(ValueError, match=match.replace("[", r"\[")):
        FeedForwardApproximation.load(tmp_path / "m")


def test_more_local_workers_than_the_machine_can_run_is_refused(workspace):  # noqa: F811
    limit = 4 * (os.cpu_count() or 1)
    result = invoke(
        "generate",
        workspace / "net.npz",
        "-n",
        40,
        "-o",
        workspace / "w.zarr",
        "--workers",
        limit + 1,
    )
    assert_one_line(result, f"workers must be an integer in [1, {limit}]")
    assert not (workspace / "w.zarr").exists()


def test_overlapping_partitions_in_a_config_are_refused(workspace):  # noqa: F811
    config = workspace / "c.toml"
    config.write_text(
        'name = "x"\n[network]\nbuilder = "file"\npath = "net.npz"\n'
        "partitions = [[0, 1], [1, 2]]\n"
    )
    result = invoke("run", "--config", config, "--out", workspace / "out")
    assert_one_line(result, "network.partitions must not share neurons")
    assert not (workspace / "out").exists()


def test_a_config_that_is_not_text_names_the_file(workspace):  # noqa: F811
    result = invoke("run", "--config", workspace / "net.npz", "--out", workspace / "out")
    assert_one_line(result, "is not UTF-8 text")


def test_malformed_ctln_edges_name_the_argument(workspace):  # noqa: F811
    result = invoke("build", "ctln", "-o", workspace / "c.npz", "-p", 'edges="x"')
    assert_one_line(result, "edges must be (source, target) pairs")
