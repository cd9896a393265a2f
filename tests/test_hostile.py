"""Hostile input and faults against the command line: every case ends in one line on stderr,
exit code 2 (1 for a bug, 130/143 for an interruption), and nothing of the user's lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from ffapprox import FeedForwardApproximation, RecurrentNetwork, generate_dataset
from ffapprox.cli import main
from ffapprox.networks import partitioned_network


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line(result, match: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and match in lines[0], lines


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def workspace(tmp_path):
    """A network, inputs, a small dataset and a trained model, written by the CLI."""
    partitioned_network().save(tmp_path / "net.npz")
    np.save(tmp_path / "in.npy", np.random.default_rng(0).uniform(-1, 1, (20, 5)))
    data = generate_dataset(partitioned_network(), 300, seed=1)
    data.save(tmp_path / "data.npz")
    model = FeedForwardApproximation(5, 8)
    model.save(tmp_path / "model")
    return tmp_path


# --- never destroy what the user did not ask to replace -----------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["solve", "{net}", "{inputs}", "-o", "{net}"],
        ["generate", "{net}", "-n", "10", "-o", "{net}"],
        ["predict", "{model}", "{inputs}", "-o", "{inputs}"],
        ["predict", "{model}", "{inputs}", "-o", "{model}/rates.npy"],
        ["export", "{model}", "-o", "{model}/model.onnx"],
        ["train", "{data}", "-o", "{data}"],
    ],
)
def test_an_output_that_is_an_input_is_refused(workspace, command):
    paths = {
        "net": workspace / "net.npz", "inputs": workspace / "in.npy",
        "model": workspace / "model", "data": workspace / "data.npz",
    }  # fmt: skip
    before = {p: p.read_bytes() for p in workspace.iterdir() if p.is_file()}
    result = invoke(*(part.format(**paths) for part in command))
    # A model folder onto a data file: the command line's own check comes first.
    assert_one_line(result, "is a file" if command[0] == "train" else "would overwrite the input")
    for path, content in before.items():
        assert path.read_bytes() == content
    assert files(workspace / "model") == ["model.json", "model.safetensors"]


def test_train_into_a_folder_with_other_files(workspace):
    folder = workspace / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = invoke("train", workspace / "data.npz", "-o", folder, "--epochs", 2, "--quiet")
    assert_one_line(result, "holds other files (notes.txt)")
    result = invoke(
        "train", workspace / "data.npz", "-o", folder, "--epochs", 2, "--quiet", "--force"
    )
    assert result.exit_code == 0, result.output
    assert files(folder) == ["model.json", "model.safetensors", "notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"


def test_every_command_says_what_it_does_with_an_existing_output():
    for command in ("run", "build", "solve", "generate", "train", "predict", "export"):
        text = " ".join(invoke(command, "--help").output.split())
        assert "existing" in text, command


# --- never serve garbage ---------------------------------------------------------------------


def _store(tmp_path, chunk_size=100):
    path = tmp_path / "d.zarr"
    result = invoke(
        "generate", tmp_path / "net.npz", "-n", 300, "-o", path, "--chunk-size", chunk_size,
        "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def test_a_damaged_store_chunk_is_named_and_never_trained_on(workspace):
    path = _store(workspace)
    chunk_file = path / "rates" / "c" / "1" / "0"
    damaged = bytearray(chunk_file.read_bytes())
    damaged[20:70] = bytes(b ^ 0xFF for b in damaged[20:70])  # 50 flipped bytes
    chunk_file.write_bytes(bytes(damaged))
    result = invoke("train", path, "-o", workspace / "m", "--epochs", 2, "--quiet")
    assert_one_line(result, "array 'rates', chunk 1")
    assert "m" not in files(workspace)


def test_a_missing_chunk_of_a_done_chunk_is_named(workspace):
    path = _store(workspace)
    (path / "inputs" / "c" / "2" / "0").unlink()
    result = invoke("train", path, "-o", workspace / "m", "--epochs", 2, "--quiet")
    assert_one_line(result, "chunk 2")
    assert str(path) in result.stderr


def test_status_codes_out_of_range_in_a_store(workspace):
    import zarr

    path = _store(workspace)
    zarr.open_group(str(path), mode="r+")["status"][5] = 9
    result = invoke("train", path, "-o", workspace / "m", "--epochs", 2, "--quiet")
    assert_one_line(result, "status codes must be in 0..3")


@pytest.mark.parametrize(
    ("attrs", "match"),
    [
        (lambda a: {k: v for k, v in a.items() if k != "chunk_size"}, "chunk_size"),
        (lambda a: {k: v for k, v in a.items() if k != "n_neurons"}, "n_neurons"),
        (lambda a: a | {"n_neurons": 10**9}, "n_neurons = 1000000000 does not match"),
        (lambda a: [1, 2], "metadata must be a table"),
    ],
)
def test_store_metadata_is_checked_before_use(workspace, attrs, match):
    import zarr

    path = _store(workspace)
    group = zarr.open_group(str(path), mode="r+")
    group.attrs["ffapprox"] = attrs(dict(group.attrs["ffapprox"]))
    assert_one_line(invoke("train", path, "-o", workspace / "m", "--quiet"), match)


def test_a_store_whose_metadata_file_is_a_number(workspace):
    path = _store(workspace)
    (path / "zarr.json").write_text("42")
    assert_one_line(invoke("train", path, "-o", workspace / "m"), "not an ffapprox dataset")


def test_a_dataset_whose_rates_are_not_its_states(workspace):
    with np.load(workspace / "data.npz") as data:
        arrays = {k: data[k] for k in data.files}
    stable = np.flatnonzero(arrays["status"] == 0)[0]
    arrays["rates"][stable, 0] = 1e307
    np.savez(workspace / "bad.npz", **arrays)
    result = invoke("train", workspace / "bad.npz", "-o", workspace / "m", "--quiet")
    assert_one_line(result, "rates of stable inputs must equal [state]^+")


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.eye(3) * (1 + 1j), "integer or real"),
        (np.array([["0", "1", "0"], ["1", "0", "0"], ["0", "0", "0"]]), "integer or real"),
        (np.eye(3, dtype=bool), "integer or real"),
    ],
)
def test_networks_of_other_number_types_are_refused(workspace, weights, match):
    np.savez(workspace / "odd.npz", weights=weights)
    result = invoke(
        "solve", workspace / "odd.npz", workspace / "in.npy", "-o", workspace / "r.npz"
    )
    assert_one_line(result, match)


def test_complex_inputs_are_refused(workspace):
    np.save(workspace / "c.npy", np.ones((2, 5)) * 1j)
    result = invoke("solve", workspace / "net.npz", workspace / "c.npy", "-o", workspace / "r.npz")
    assert_one_line(result, "integer or real")


# --- one line, never a traceback --------------------------------------------------------------


def test_zero_dimensional_inputs(workspace):
    np.save(workspace / "s.npy", np.float64(1.0))
    result = invoke("solve", workspace / "net.npz", workspace / "s.npy", "-o", workspace / "r.npz")
    assert_one_line(result, "must hold a 2-d array")


def test_a_npy_header_claiming_terabytes(workspace):
    np.save(workspace / "a.npy", np.zeros((3, 5)))
    raw = (workspace / "a.npy").read_bytes()
    header = raw[10:128].decode("latin1")
    bomb = header.replace("(3, 5)", "(100000000000, 5)")[: len(header) - 1].ljust(len(header) - 1)
    (workspace / "a.npy").write_bytes(raw[:10] + (bomb + "\n").encode("latin1") + raw[128:])
    result = invoke("solve", workspace / "net.npz", workspace / "a.npy", "-o", workspace / "r.npz")
    assert_one_line(result, "claims an array of shape (100000000000, 5)")


def test_an_input_cube_too_wide_to_sample(workspace):
    result = invoke(
        "generate", workspace / "net.npz", "-n", 10, "--low", -1e308, "--high", 1e308,
        "-o", workspace / "d.npz",
    )  # fmt: skip
    assert_one_line(result, "high - low must be a finite number")


def test_dataset_metadata_that_is_a_list(workspace):
    with np.load(workspace / "data.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["metadata"] = np.array("[1, 2, 3]")
    np.savez(workspace / "bad.npz", **arrays)
    result = invoke("train", workspace / "bad.npz", "-o", workspace / "m")
    assert_one_line(result, "metadata that is not a JSON object")


@pytest.mark.parametrize(
    ("key", "value"), [("n_neurons", 10**9), ("n_neurons", 7), ("n_samples", 5)]
)
def test_dataset_metadata_that_disagrees_with_its_arrays(workspace, key, value):
    with np.load(workspace / "data.npz") as data:
        arrays = {k: data[k] for k in data.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata[key] = value
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(workspace / "bomb.npz", **arrays)
    result = invoke("train", workspace / "bomb.npz", "-o", workspace / "m", "--epochs", 2)
    assert_one_line(result, f"metadata {key} = {value} does not match its arrays")
    assert not (workspace / "m").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["train", "{data}", "-o", "{out}", "--hidden", "1000000000"],
        ["build", "ring", "-o", "{out}.npz", "-p", "n_neurons=1000000"],
        ["generate", "{net}", "-n", "1000000000000", "-o", "{out}.npz"],
    ],
)
def test_work_that_cannot_fit_in_memory_is_refused_first(workspace, command):
    paths = {"data": workspace / "data.npz", "net": workspace / "net.npz"}
    paths["out"] = workspace / "out"
    before = files(workspace)
    result = invoke(*(part.format(**paths) for part in command))
    assert_one_line(result, "of memory")
    assert files(workspace) == before


def test_a_huge_config_sample_count_is_refused_before_any_work(workspace):
    (workspace / "big.toml").write_text("[data]\nn_samples = 1000000000000000000\n")
    out = workspace / "runs" / "big"
    result = invoke("run", "--config", workspace / "big.toml", "--out", out)
    assert_one_line(result, "write a chunked .zarr store instead")
    assert not (workspace / "runs").exists()


def test_a_full_disk_names_the_file(workspace, monkeypatch):
    import errno

    real_replace = os.replace

    def full(source, target):
        if str(target).endswith("r.npz"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", full)
    args = [workspace / "net.npz", workspace / "in.npy", "-o", workspace / "r.npz", "--quiet"]
    result = invoke("solve", *args)
    assert_one_line(result, "No space left on device")
    assert "r.npz" in result.stderr and "r.npz" not in files(workspace)
    assert not [p for p in files(workspace) if p.startswith(".r.npz")]


def test_an_unexpected_error_is_one_line_that_says_it_is_a_bug(workspace, monkeypatch):
    import ffapprox.cli._solve as solve_command

    def broken(*args, **kwargs):
        raise TypeError("something nobody foresaw")

    monkeypatch.setattr(solve_command, "solve_fixed_points", broken)
    result = invoke(
        "solve", workspace / "net.npz", workspace / "in.npy", "-o", workspace / "r.npz"
    )
    assert_one_line(result, "This is a bug in ffapprox", code=1)
    assert "Traceback" not in result.output


# --- concurrent writers, failed and interrupted runs ----------------------------------------


def test_a_second_writer_of_a_store_is_refused(workspace):
    path = _store(workspace)
    import zarr

    group = zarr.open_group(str(path), mode="r+")
    group["done"][2] = 0  # as if the last chunk were still to do
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (path / ".ffapprox-writer").write_text(str(holder.pid))
        args = ["generate", workspace / "net.npz", "-n", 300, "-o", path, "--chunk-size", 100]
        assert_one_line(invoke(*args, "--quiet"), f"is being written by process {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    # A lock left by a process that no longer runs is taken over.
    result = invoke(*args, "--quiet")
    assert result.exit_code == 0, result.output
    assert ".ffapprox-writer" not in os.listdir(path)


def test_a_failed_run_leaves_no_folders_it_created(workspace):
    # Self-excitation and a constant drive: every input diverges, so no stable test input.
    RecurrentNetwork(2 * np.eye(3), bias=-10.0).save(workspace / "runaway.npz")
    (workspace / "cycle.toml").write_text(
        '[network]\nbuilder = "file"\npath = "runaway.npz"\n[data]\nn_samples = 50\n'
        "max_time = 60.0\n[[models]]\nname = 'm'\nhidden = [4]\n"
    )
    out = workspace / "a/b/c"
    result = invoke("run", "--config", workspace / "cycle.toml", "--out", out, "--quiet")
    assert_one_line(result, "no stable inputs")
    assert not (workspace / "a").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_run_cleans_up(tmp_path, sent, code):
    command = [sys.executable, "-m", "ffapprox", "run", "--out", str(tmp_path / "out")]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        # a test runner started in the background (`cmd &`) ignores SIGINT, and so would
        # its children; the command's own handling is what is tested
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.partial-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # well into the work
        process.send_signal(sent)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    assert stderr.strip().splitlines()[-1] in ("Terminated.", "Interrupted.")
    assert list(tmp_path.iterdir()) == []


def test_a_later_run_mentions_stale_work_folders(workspace):
    (workspace / ".old.partial-x1y2").mkdir()  # what a SIGKILL left, before owners
    host = socket.gethostname()
    (workspace / f".dead.partial-{_pid_of_ended()}@{host}-ab12").mkdir()
    (workspace / f".live.partial-{os.getpid()}@{host}-cd34").mkdir()  # still running
    (workspace / ".remote.partial-12@another-host-ef56").mkdir()  # not ours to judge
    (workspace / "tiny.toml").write_text(
        "[data]\nn_samples = 300\n[[models]]\nname = 'm'\nhidden = [4]\nepochs = 2\n"
        "[evaluation]\ntiming_repeats = 1\ntiming_inputs = 100\nsweep_points = 5\n"
    )
    result = invoke(
        "run", "--config", workspace / "tiny.toml", "--out", workspace / "r", "--quiet"
    )
    assert result.exit_code == 0, result.output
    assert "safe to delete" in result.stderr and ".old.partial-x1y2" in result.stderr
    assert "2 work folder(s) of runs that were killed" in result.stderr
    assert ".dead.partial" in result.stderr and ".live.partial" not in result.stderr


def _pid_of_ended() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# --- honest statuses at the edges of floating point, feasibility before work ---------------


@pytest.mark.parametrize(
    ("network", "inputs", "kwargs", "match"),
    [
        (RecurrentNetwork(np.zeros((5, 5)), tau=[1e-9, 1, 1, 1, 1]), [0.1] * 5, {},
         "needs about 1.5e\\+11 steps per input"),
        (RecurrentNetwork(-1e6 * np.ones((5, 5))), [0.1] * 5, {}, "weights up to 1e\\+06"),
        (RecurrentNetwork(1e308 * np.eye(3)), [0.1] * 3, {}, "needs about inf steps"),
        (partitioned_network(), [-1e308, 0, 0, 0, 0], {}, "inputs - bias must be at most"),
        (partitioned_network(), [0.5] * 5, {"method": "rk4", "step_size": 100.0},
         "exceeds RK4's stability limit"),
    ],
)  # fmt: skip
def test_infeasible_solves_are_refused_before_any_work(network, inputs, kwargs, match):
    from ffapprox import solve_fixed_points

    with pytest.raises(ValueError, match=match):
        solve_fixed_points(network, inputs, **kwargs)


def test_huge_but_integrable_inputs_are_not_called_diverging():
    from ffapprox import Status, solve_fixed_points

    # x* = i for an inactive neuron: a stable answer, however large, is not a divergence.
    result = solve_fixed_points(partitioned_network(), [[-1e100, 0.0, 0.0, 0.0, 0.0]])
    assert Status(int(result.status[0])) == Status.STABLE
    assert float(result.state[0, 0]) == -1e100
    runaway = solve_fixed_points(RecurrentNetwork(2 * np.eye(2)), [[0.5, 0.5]])
    assert (runaway.status == Status.DIVERGING).all()


def test_an_infeasible_store_is_refused_before_it_is_created(tmp_path):
    RecurrentNetwork(-1e6 * np.ones((5, 5))).save(tmp_path / "stiff.npz")
    result = invoke("generate", tmp_path / "stiff.npz", "-n", 10, "-o", tmp_path / "d.zarr")
    assert_one_line(result, "steps per input")
    assert files(tmp_path) == ["stiff.npz"]
