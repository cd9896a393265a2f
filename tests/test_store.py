"""Zarr stores and generation on Dask: bit-identical however split, resumable, streamable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("zarr")
pytest.importorskip("distributed")

from ffapprox import (
    ConvergenceWarning,
    FeedForwardApproximation,
    generate_dataset,
    generate_store,
    random_dale_network,
    train,
)
from ffapprox.cli import main
from ffapprox.data import ARRAYS, ZarrDataset, open_dataset
from ffapprox.networks import partitioned_network


def assert_same(a, b) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.fixture(scope="module")
def network():
    # Mixed outcomes (stable and unresolved rows) at this gain and time limit.
    return random_dale_network(12, gain=1.5, seed=2)


@pytest.mark.slow
def test_store_in_process_and_on_two_workers_equal_the_in_memory_dataset(network, tmp_path, rng):
    seed = int(rng.integers(1 << 20))
    reference = generate_dataset(network, 700, seed=seed, chunk_size=96, max_time=60)
    local = generate_store(
        network, tmp_path / "a.zarr", 700, seed=seed, chunk_size=96, max_time=60
    )
    seen = []
    cluster = generate_store(
        network,
        tmp_path / "b.zarr",
        700,
        seed=seed,
        chunk_size=96,
        max_time=60,
        workers=2,
        progress=seen.append,
    )
    for store in (local, cluster):
        assert store.complete and store.n_chunks == 8 and len(store) == 700
        assert_same(store.load(), reference)
    assert sorted(info["chunk"] for info in seen) == list(range(8))
    assert seen[-1]["done"] == 8 and seen[-1]["counts"] == reference.counts()
    assert sum(info["rows"] for info in seen) == 700


def test_half_written_chunk_is_redone(network, tmp_path):
    import zarr

    path = tmp_path / "c.zarr"
    store = generate_store(network, path, 300, chunk_size=64, max_time=60)
    reference = store.load()
    group = zarr.open_group(str(path), mode="r+")
    group["rates"][64:128] = -1.0  # a writer killed after the data, before the marker
    group["done"][1] = 0
    with pytest.raises(ValueError, match="incomplete .1 of 5 chunks missing"):
        ZarrDataset(path).load()
    assert ZarrDataset(path).chunk(0).inputs.shape == (64, 12)  # done chunks stay readable
    assert sum(ZarrDataset(path).counts().values()) == 300
    seen = []
    generate_store(network, path, 300, chunk_size=64, max_time=60, progress=seen.append)
    assert [info["chunk"] for info in seen] == [1]
    assert_same(ZarrDataset(path).load(), reference)


@pytest.mark.slow
def test_killed_generation_resumes_to_the_same_bits(tmp_path):
    network = random_dale_network(32, gain=1.5, seed=0)
    network.save(tmp_path / "net.npz")
    path = tmp_path / "d.zarr"
    command = [sys.executable, "-m", "ffapprox", "generate", str(tmp_path / "net.npz")]
    command += ["-n", "640", "--chunk-size", "16", "--max-time", "100", "-o", str(path)]
    command += ["--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if ZarrDataset(path).done.sum() >= 2:
                break
        except ValueError:
            pass  # not created yet
        time.sleep(0.01)  # 40 chunks: killed well before the last
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = ZarrDataset(path).done
    assert 2 <= done.sum() < len(done), "the run was not interrupted part-way"
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    # Bit-identity holds per chunk: BLAS results can depend on how many rows are multiplied.
    reference = generate_dataset(network, 640, chunk_size=16, max_time=100)
    assert_same(ZarrDataset(path).load(), reference)


def test_resume_with_other_settings_is_refused(network, tmp_path):
    path = tmp_path / "e.zarr"
    generate_store(network, path, 100, chunk_size=50, max_time=60)
    for change, key in (({"seed": 1}, "seed"), ({"chunk_size": 20}, "chunk_size")):
        settings = {"chunk_size": 50, "max_time": 60} | change
        with pytest.raises(ValueError, match=f"started with {key} ="):
            generate_store(network, path, 100, **settings)


def test_streaming_training_reads_one_chunk_at_a_time(tmp_path, monkeypatch):
    network = partitioned_network()
    path = tmp_path / "f.zarr"
    generate_store(network, path, 2000, chunk_size=128, seed=4)
    store = open_dataset(path)
    assert isinstance(store, ZarrDataset) and store.n_chunks == 16
    sizes = []
    original = ZarrDataset.read_chunk

    def recording(self, chunk):
        arrays = original(self, chunk)
        sizes.append(len(arrays["inputs"]))
        return arrays

    monkeypatch.setattr(ZarrDataset, "read_chunk", recording)
    model = FeedForwardApproximation(5, [16, 16], 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = train(model, store, epochs=15, restarts=1, seed=1)
    assert max(sizes) <= 128
    assert model.metadata["training"]["n_train"] < store.counts()["stable"]
    assert history.best_validation_loss < 0.5 * model.metadata["validation"]["mean_predictor_mse"]
    # The streamed model is as good on held-out data as one trained in memory.
    test = generate_dataset(network, 500, seed=99)
    keep = test.stable_mask
    error = np.mean((model.predict(test.inputs[keep]) - test.rates[keep]) ** 2)
    assert error < 2 * history.best_validation_loss


def test_cli_generate_store_and_errors(network, tmp_path):
    network.save(tmp_path / "net.npz")
    args = ["generate", str(tmp_path / "net.npz"), "-n", "200", "--max-time", "60", "--quiet"]
    out = str(tmp_path / "g.zarr")
    loud = [a for a in args if a != "--quiet"]
    result = CliRunner().invoke(main, [*loud, "-o", out, "--chunk-size", "64"])
    assert result.exit_code == 0, result.output
    assert "200 inputs in 4 chunks: kept" in result.output
    # No terminal here, so no bar: a progress line for the first and the last chunk.
    assert "solving: 64/200 fixed points" in result.output and "chunks=1/4" in result.output
    assert "solving: 200/200 fixed points" in result.output and "chunks=4/4" in result.output
    result = CliRunner().invoke(main, ["train", out, "-o", str(tmp_path / "m"), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    for extra, message in (
        (["-o", str(tmp_path / "h.npz"), "--workers", "2"], "need a .zarr --output"),
        (["-o", str(tmp_path / "i.zarr"), "--workers", "0"], "workers must be"),
        (["-o", str(tmp_path / "j.zarr"), "--workers", "2", "--scheduler", "x"], "either"),
        (["-o", str(tmp_path / "no" / "k.zarr")], "does not exist"),
        (["-o", str(tmp_path / "l.zarr"), "--scheduler", "tcp://127.0.0.1:1"], "cannot connect"),
    ):
        result = CliRunner().invoke(main, [*args, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.zarr", "m", "net.npz"]


@pytest.mark.slow
def test_lost_worker_is_replaced_and_the_store_is_the_same(network, tmp_path):
    from distributed import Client, LocalCluster

    reference = generate_dataset(network, 480, chunk_size=40, max_time=60)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        victim = sorted(client.scheduler_info()["workers"])[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        killed = []

        def kill_one_worker(info: dict) -> None:
            if not killed:  # the nanny restarts it; its chunks in flight are redone
                killed.append(info["chunk"])
                os.kill(pid, signal.SIGKILL)

        store = generate_store(
            network,
            tmp_path / "lost.zarr",
            480,
            chunk_size=40,
            max_time=60,
            scheduler=cluster.scheduler_address,
            progress=kill_one_worker,
        )
    assert killed and store.complete
    assert_same(store.load(), reference)


def test_store_without_acceptance_rules_still_opens(network, tmp_path):
    import zarr

    from ffapprox.dynamics import Acceptance

    data = generate_dataset(network, 100, max_time=60)
    data.save(tmp_path / "old.zarr")
    group = zarr.open_group(str(tmp_path / "old.zarr"), mode="r+")
    del group["accepted_by"]  # as a store written before the array existed
    old = ZarrDataset(tmp_path / "old.zarr").load()
    np.testing.assert_array_equal(old.rates, data.rates)
    expected = np.where(data.stable_mask, Acceptance.UNRECORDED, Acceptance.NONE)
    np.testing.assert_array_equal(old.accepted_by, expected)
    np.testing.assert_array_equal(ZarrDataset(tmp_path / "old.zarr").chunk(0).inputs, data.inputs)
