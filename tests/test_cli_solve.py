"""``ffapprox solve``: the round trip, and one-line errors with exit code 2 for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from conftest import ctln_three_cycle

from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.cli import main
from ffapprox.networks import partitioned_network

RESULT_KEYS = {
    "state",
    "rates",
    "status",
    "status_names",
    "residual",
    "settle_time",
    "steps",
    "stability_margin",
    "accepted_by",
    "acceptance_names",
}


def _invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("form", ["threshold-linear", "rectified-recurrent"])
def test_solve_round_trip(tmp_path, rng, form):
    net = partitioned_network(form=form)
    net.save(tmp_path / "net.npz")
    inputs = rng.uniform(-1, 1, size=(25, 5))
    np.save(tmp_path / "inputs.npy", inputs)
    out = tmp_path / "result.npz"
    result = _invoke("solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert "25 inputs" in result.output
    assert _files(tmp_path) == ["inputs.npy", "net.npz", "result.npz"]
    with np.load(out, allow_pickle=False) as data:
        assert set(data.files) == RESULT_KEYS
        saved = {k: data[k] for k in data.files}
    assert saved["status_names"].tolist() == ["stable", "oscillating", "diverging", "unresolved"]
    assert saved["status"].dtype == np.int8
    assert saved["steps"].dtype == np.int64
    names = saved["acceptance_names"].tolist()
    assert names == ["none", "certified", "converged", "unrecorded"]
    stable = saved["status"] == Status.STABLE
    accepted = np.array(names)[saved["accepted_by"]]
    assert set(accepted[stable]) <= {"certified", "converged"}
    assert set(accepted[~stable]) <= {"none"}
    expected = solve_fixed_points(net, inputs).numpy()
    for key, value in expected.items():
        np.testing.assert_array_equal(saved[key], value, strict=True)


def test_solve_records_non_stable_inputs(tmp_path):
    ctln_three_cycle().save(tmp_path / "net.npz")
    np.save(tmp_path / "inputs.npy", np.ones((2, 3)))
    out = tmp_path / "result.npz"
    args = ("solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", out, "--quiet")
    result = _invoke(*args, "--max-time", "5")
    assert result.exit_code == 0, result.output
    with np.load(out) as data:
        assert data["status"].tolist() == [Status.UNRESOLVED] * 2
        assert np.isnan(data["state"]).all() and np.isnan(data["residual"]).all()


def test_solve_float32(tmp_path, rng):
    net = partitioned_network()
    net.save(tmp_path / "net.npz")
    np.save(tmp_path / "inputs.npy", rng.uniform(-1, 1, size=(5, 5)))
    out = tmp_path / "result.npz"
    args = ("solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", out, "--float32")
    assert _invoke(*args).exit_code == 0
    with np.load(out) as data:
        assert data["rates"].dtype == np.float32


_ZEROS = np.zeros((3, 3))
BAD_NETWORKS = {
    "nan-weights": ({"weights": np.array([[0, np.nan, 0], [0, 0, 0], [0, 0, 0]])}, "weights"),
    "inf-weights": ({"weights": np.full((3, 3), np.inf)}, "weights"),
    "non-square": ({"weights": np.zeros((3, 2))}, "square"),
    "zero-tau": ({"weights": _ZEROS, "tau": np.array(0.0)}, "tau"),
    "negative-tau": ({"weights": _ZEROS, "tau": np.array([1.0, -1.0, 1.0])}, "tau"),
    "tau-shape": ({"weights": _ZEROS, "tau": np.ones(4)}, "tau"),
    "bias-shape": ({"weights": _ZEROS, "bias": np.ones(2)}, "bias"),
    "unknown-form": ({"weights": _ZEROS, "form": np.array("sigmoid")}, "form"),
    "wrong-keys": ({"w": _ZEROS}, "lacks keys"),
}


def _assert_clean_failure(result, match: str, folder, before: list[str]) -> None:
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("Error:"), message
    assert "\n" not in message, message
    assert match in message, message
    assert "Traceback" not in result.output
    assert _files(folder) == before  # no result and no temporary file left behind


@pytest.mark.parametrize("case", BAD_NETWORKS, ids=list(BAD_NETWORKS))
def test_bad_network_file(tmp_path, case):
    arrays, match = BAD_NETWORKS[case]
    path = tmp_path / "net.npz"
    np.savez(path, **arrays)
    np.save(tmp_path / "inputs.npy", np.ones((2, 3)))
    before = _files(tmp_path)
    result = _invoke("solve", path, tmp_path / "inputs.npy", "-o", tmp_path / "out.npz")
    _assert_clean_failure(result, match, tmp_path, before)


def _corrupt(path) -> None:
    path.write_bytes(b"PK\x03\x04 truncated archive")


def _text(path) -> None:
    path.write_text("weights = [[1, 2], [3, 4]]\n")


@pytest.mark.parametrize(
    ("make_inputs", "match"),
    [
        (lambda p: np.save(p, np.array([[1.0, np.nan, 0.0]])), "inputs must be finite"),
        (lambda p: np.save(p, np.array([[1.0, np.inf, 0.0]])), "inputs must be finite"),
        (lambda p: np.save(p, np.ones((2, 4))), "inputs must have shape"),
        (lambda p: np.save(p, np.ones((2, 3, 1))), "must hold a 2-d array, got shape (2, 3, 1)"),
        (lambda p: np.save(p, np.array(["a", "b", "c"])), "integer or real"),
        (lambda p: np.save(p, np.array([[1, None, 2]], dtype=object)), "not a readable"),
        (_corrupt, "not a readable"),
        (_text, "not a readable"),
        (lambda p: None, "does not exist"),
    ],
    ids=[
        "nan",
        "inf",
        "wrong-size",
        "three-dims",
        "strings",
        "pickled",
        "corrupt",
        "text",
        "missing",
    ],
)
def test_bad_inputs_file(tmp_path, make_inputs, match):
    RecurrentNetwork(np.zeros((3, 3))).save(tmp_path / "net.npz")
    make_inputs(tmp_path / "inputs.npy")
    before = _files(tmp_path)
    result = _invoke(
        "solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", tmp_path / "out.npz"
    )
    _assert_clean_failure(result, match, tmp_path, before)


@pytest.mark.parametrize("network_bytes", [b"PK\x03\x04 truncated", b"not a network"])
def test_unreadable_network_file(tmp_path, network_bytes):
    (tmp_path / "net.npz").write_bytes(network_bytes)
    np.save(tmp_path / "inputs.npy", np.ones((2, 3)))
    before = _files(tmp_path)
    result = _invoke(
        "solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", tmp_path / "out.npz"
    )
    _assert_clean_failure(result, "network file", tmp_path, before)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (["--max-time", "0"], "max_time"),
        (["--max-time", "-3"], "max_time"),
        (["--max-time", "nan"], "max_time"),
        (["--max-time", "inf"], "max_time"),
        (["--device", "no-such-device"], "--device"),
        (["-o", "result.txt"], "--output must end in .npz"),
        (["-o", "absent-folder/result.npz"], "does not exist"),
    ],
)
def test_bad_options(tmp_path, monkeypatch, options, match):
    monkeypatch.chdir(tmp_path)
    RecurrentNetwork(np.zeros((3, 3))).save("net.npz")
    np.save("inputs.npy", np.ones((2, 3)))
    args = ["-o", "out.npz", *options] if options[0] != "-o" else options
    before = _files(tmp_path)
    result = _invoke("solve", "net.npz", "inputs.npy", *args)
    _assert_clean_failure(result, match, tmp_path, before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_unavailable(tmp_path):
    RecurrentNetwork(np.zeros((3, 3))).save(tmp_path / "net.npz")
    np.save(tmp_path / "inputs.npy", np.ones((2, 3)))
    before = _files(tmp_path)
    args = (tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", tmp_path / "out.npz")
    result = _invoke("solve", *args, "--device", "cuda")
    _assert_clean_failure(result, "CUDA is not available", tmp_path, before)


def test_existing_output_is_kept_when_solve_fails(tmp_path):
    out = tmp_path / "out.npz"
    out.write_bytes(b"previous result")
    RecurrentNetwork(np.zeros((3, 3))).save(tmp_path / "net.npz")
    np.save(tmp_path / "inputs.npy", np.full((2, 3), np.nan))
    result = _invoke("solve", tmp_path / "net.npz", tmp_path / "inputs.npy", "-o", out)
    assert result.exit_code == 2
    assert out.read_bytes() == b"previous result"


def test_help():
    top = _invoke("--help")
    assert top.exit_code == 0 and "solve" in top.output
    solve = _invoke("solve", "--help")
    assert solve.exit_code == 0
    for word in ("NETWORK.npz", "INPUTS.npy", "--output", "--max-time", "--float32"):
        assert word in solve.output
