"""Fixed-point datasets: reproducibility, chunking, statuses, file round trips."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ctln_three_cycle

from ffapprox import STATUS_NAMES, FixedPointDataset, Status, generate_dataset
from ffapprox.data import SAMPLE_BLOCK, sample_inputs
from ffapprox.networks import partitioned_network

ARRAYS = ("inputs", "rates", "state", "status", "steps")


@pytest.fixture(scope="module")
def dataset() -> FixedPointDataset:
    return generate_dataset(partitioned_network(), 600, seed=3, chunk_size=256)


def assert_same(a: FixedPointDataset, b: FixedPointDataset) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_same_seed_same_bits(dataset):
    again = generate_dataset(partitioned_network(), 600, seed=3, chunk_size=256)
    assert_same(dataset, again)
    other = generate_dataset(partitioned_network(), 600, seed=4, chunk_size=256)
    assert not np.array_equal(dataset.inputs, other.inputs)


def test_chunk_size_does_not_change_the_result():
    network = partitioned_network()
    small = generate_dataset(network, 1500, seed=1, chunk_size=100)
    large = generate_dataset(network, 1500, seed=1, chunk_size=1000)
    assert_same(small, large)


def test_input_sequence_is_independent_of_how_it_is_cut():
    full = sample_inputs(3, 2 * SAMPLE_BLOCK + 10, seed=5)
    start = SAMPLE_BLOCK - 7
    part = sample_inputs(3, SAMPLE_BLOCK + 9, seed=5, start=start)
    np.testing.assert_array_equal(part, full[start : start + SAMPLE_BLOCK + 9])


def test_contents_and_metadata(dataset):
    assert len(dataset) == 600
    assert dataset.inputs.shape == dataset.rates.shape == dataset.state.shape == (600, 5)
    assert dataset.status.dtype == np.int8 and dataset.steps.dtype == np.int64
    assert np.all((dataset.inputs > -1) & (dataset.inputs < 1))
    stable = dataset.stable_mask
    np.testing.assert_array_equal(dataset.rates[stable], np.maximum(dataset.state[stable], 0))
    meta = dataset.metadata
    assert meta["network_fingerprint"] == partitioned_network().fingerprint()
    assert (meta["n_samples"], meta["seed"], meta["n_neurons"]) == (600, 3, 5)


def test_progress_reports_every_input():
    seen = []
    generate_dataset(partitioned_network(), 300, chunk_size=128, progress=seen.append)
    assert sum(seen) == 300


def test_oscillating_inputs_are_discarded():
    # Slower inhibition makes the winner-take-all network oscillate for part of the cube.
    data = generate_dataset(partitioned_network(tau_I=2.0), 300, seed=0)
    counts = data.counts()
    assert sum(counts.values()) == len(data) == 300
    assert counts["oscillating"] > 0 and counts["stable"] > 0
    unstable = ~data.stable_mask
    assert np.isnan(data.rates[unstable]).all() and np.isnan(data.state[unstable]).all()
    assert np.isfinite(data.rates[~unstable]).all()


def test_ctln_limit_cycle_has_no_stable_inputs():
    data = generate_dataset(ctln_three_cycle(), 20, low=0.9, high=1.1)
    assert data.counts()["oscillating"] == 20
    assert not data.stable_mask.any()


def test_split_is_reproducible_disjoint_and_complete(dataset):
    parts = dataset.split((0.8, 0.1, 0.1), seed=2)
    assert [len(p) for p in parts] == [480, 60, 60]
    rows = np.concatenate([p.inputs for p in parts])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, dataset.inputs))
    again = dataset.split((0.8, 0.1, 0.1), seed=2)
    for a, b in zip(parts, again, strict=True):
        assert_same(a, b)
    assert not np.array_equal(dataset.split(seed=3)[0].inputs, parts[0].inputs)


@pytest.mark.parametrize("fractions", [(0.5, 0.4), (1.2, -0.2), (), (np.nan, 1.0)])
def test_split_rejects_bad_fractions(dataset, fractions):
    with pytest.raises(ValueError, match="fractions"):
        dataset.split(fractions)


def test_subset_selects_rows(dataset):
    part = dataset.subset(dataset.status == int(Status.STABLE))
    assert len(part) == dataset.counts()["stable"]
    np.testing.assert_array_equal(dataset.subset(slice(5, 9)).inputs, dataset.inputs[5:9])


def test_save_load_round_trip_is_exact(dataset, tmp_path):
    path = tmp_path / "data.npz"
    dataset.save(path)
    loaded = FixedPointDataset.load(path)
    assert_same(dataset, loaded)
    assert loaded.metadata == dataset.metadata
    assert [p.name for p in tmp_path.iterdir()] == ["data.npz"]


def test_load_rejects_bad_files(dataset, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        FixedPointDataset.load(tmp_path / "missing.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="not a readable"):
        FixedPointDataset.load(corrupt)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, inputs=dataset.inputs)
    with pytest.raises(ValueError, match="lacks keys"):
        FixedPointDataset.load(wrong)
    renamed = tmp_path / "renamed.npz"
    arrays = {name: getattr(dataset, name) for name in ARRAYS}
    np.savez(renamed, status_names=np.array(STATUS_NAMES[::-1]), metadata="{}", **arrays)
    with pytest.raises(ValueError, match="status names"):
        FixedPointDataset.load(renamed)
    short = tmp_path / "short.npz"
    arrays["rates"] = arrays["rates"][:10]
    np.savez(short, status_names=np.array(STATUS_NAMES), metadata="{}", **arrays)
    with pytest.raises(ValueError, match="inconsistent"):
        FixedPointDataset.load(short)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"low": 1.0, "high": 1.0}, "low must be < high"),
        ({"low": float("nan")}, "low must be a finite"),
        ({"high": float("inf")}, "high must be a finite"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"seed": -1}, "seed"),
    ],
)
def test_generate_rejects_bad_arguments(kwargs, match):
    arguments = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate_dataset(partitioned_network(), **arguments)


@pytest.mark.parametrize(
    ("name", "row", "match"),
    [
        ("inputs", 0, "inputs must be finite"),
        ("inputs", 1, "inputs must be finite"),  # even where the input is not stable
        ("rates", 0, "rates of stable inputs must be finite"),
        ("state", 0, "state of stable inputs must be finite"),
    ],
)
def test_rejects_non_finite_values(dataset, tmp_path, name, row, match):
    arrays = {key: getattr(dataset, key)[:2].copy() for key in ARRAYS}
    arrays["status"][:] = [int(Status.STABLE), int(Status.OSCILLATING)]
    arrays[name][row, 0] = np.inf if name == "inputs" else np.nan
    with pytest.raises(ValueError, match=match):
        FixedPointDataset(metadata={}, **arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, status_names=np.array(STATUS_NAMES), metadata="{}", **arrays)
    with pytest.raises(ValueError, match=match) as caught:
        FixedPointDataset.load(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_dataset_arrays_are_read_only(dataset):
    for name in ("inputs", "rates", "state", "status", "steps"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(dataset, name)[0] = 0


def test_acceptance_rule_is_recorded_for_stable_rows(dataset):
    from ffapprox.dynamics import Acceptance

    stable = dataset.stable_mask
    assert set(dataset.accepted_by[stable]) <= {Acceptance.CERTIFIED, Acceptance.CONVERGED}
    assert (dataset.accepted_by[~stable] == Acceptance.NONE).all()


def test_dataset_file_without_acceptance_rules_still_loads(dataset, tmp_path):
    # Written before the rule was recorded: no accepted_by, no acceptance_names.
    from ffapprox.dynamics import Acceptance

    arrays = {k: getattr(dataset, k) for k in ("inputs", "rates", "state", "status", "steps")}
    np.savez(
        tmp_path / "old.npz",
        status_names=np.array(STATUS_NAMES),
        metadata=np.array('{"seed": 0}'),
        **arrays,
    )
    old = FixedPointDataset.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(old.rates, dataset.rates)
    expected = np.where(dataset.stable_mask, Acceptance.UNRECORDED, Acceptance.NONE)
    np.testing.assert_array_equal(old.accepted_by, expected)
