"""``ffapprox generate | train | predict | export``: round trip and one-line errors (exit 2)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ctln_three_cycle

from ffapprox import STATUS_NAMES, FeedForwardApproximation, FixedPointDataset, load_model
from ffapprox.cli import main
from ffapprox.networks import partitioned_network

ONNX_TOLERANCE = 1e-5  # float32 graph in two runtimes


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_bad_input(result, match: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and match in lines[0], lines


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A network, its dataset and a model trained on it, made through the CLI."""
    folder = tmp_path_factory.mktemp("pipeline")
    partitioned_network().save(folder / "net.npz")
    result = invoke("generate", folder / "net.npz", "-n", 600, "-o", folder / "data.npz")
    assert result.exit_code == 0, result.output
    assert "kept 600 stable, discarded 0" in result.output
    result = invoke(
        "train", folder / "data.npz", "-o", folder / "model", "--hidden", 8, "--hidden", 8,
        "--epochs", 40, "--batch-size", 64, "--restarts", 2, "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "relative RMSE" in result.output
    return folder


def test_generate_train_predict_export(trained, tmp_path):
    dataset = FixedPointDataset.load(trained / "data.npz")
    assert len(dataset) == 600 and dataset.metadata["seed"] == 0
    model = FeedForwardApproximation.load(trained / "model")
    assert model.hidden == (8, 8) and model.metadata["training"]["epochs"] == 40
    np.save(tmp_path / "inputs.npy", dataset.inputs[:20])
    result = invoke(
        "predict", trained / "model", tmp_path / "inputs.npy", "-o", tmp_path / "out.npy"
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(
        np.load(tmp_path / "out.npy"), model.predict(dataset.inputs[:20])
    )
    result = invoke("export", trained / "model", "-o", tmp_path / "model.onnx")
    assert result.exit_code == 0, result.output
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    (out,) = session.run(None, {"inputs": dataset.inputs[:20].astype(np.float32)})
    np.testing.assert_allclose(out, np.load(tmp_path / "out.npy"), atol=ONNX_TOLERANCE)
    assert files(tmp_path) == ["inputs.npy", "model.onnx", "out.npy"]


def test_structured_family_from_the_command_line(trained, tmp_path):
    data, model = trained / "data.npz", tmp_path / "regions"
    result = invoke("train", data, "-o", model, "--family", "regions")
    assert_bad_input(result, "--network is required with --family regions")
    ctln_three_cycle().save(tmp_path / "other.npz")
    args = ("train", data, "-o", model, "--architecture", "regions", "--hidden", 8)
    assert_bad_input(
        invoke(*args, "--network", tmp_path / "other.npz"), "not the network DATA was"
    )
    assert files(tmp_path) == ["other.npz"]
    result = invoke(*args, "--network", trained / "net.npz", "--epochs", 3, "--quiet")
    assert result.exit_code == 0, result.output
    inputs = FixedPointDataset.load(data).inputs[:20]
    np.save(tmp_path / "inputs.npy", inputs)
    result = invoke("predict", model, tmp_path / "inputs.npy", "-o", tmp_path / "out.npy")
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), load_model(model).predict(inputs))


def test_generate_reports_discarded_inputs(tmp_path):
    ctln_three_cycle().save(tmp_path / "ctln.npz")
    args = ("generate", tmp_path / "ctln.npz", "-n", 5, "--low", 0.9, "--high", 1.1)
    result = invoke(*args, "-o", tmp_path / "data.npz", "--quiet")
    assert result.exit_code == 0, result.output
    assert "kept 0 stable, discarded 5 (oscillating 5" in result.output
    result = invoke("train", tmp_path / "data.npz", "-o", tmp_path / "model")
    assert_bad_input(result, "no stable inputs")
    assert files(tmp_path) == ["ctln.npz", "data.npz"]


def test_bad_generate_arguments(tmp_path):
    partitioned_network().save(tmp_path / "net.npz")
    assert_bad_input(
        invoke("generate", tmp_path / "net.npz", "-n", 0, "-o", tmp_path / "d.npz"), "n_samples"
    )
    result = invoke("generate", tmp_path / "net.npz", "--low", 1, "-o", tmp_path / "d.npz")
    assert_bad_input(result, "low must be < high")
    assert_bad_input(
        invoke("generate", tmp_path / "missing.npz", "-o", tmp_path / "d.npz"), "exist"
    )
    assert files(tmp_path) == ["net.npz"]


def test_bad_train_inputs(trained, tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert_bad_input(
        invoke("train", tmp_path / "junk.npz", "-o", tmp_path / "m"), "not a readable"
    )
    result = invoke("train", trained / "data.npz", "-o", tmp_path / "m", "--epochs", 0)
    assert_bad_input(result, "epochs")
    assert files(tmp_path) == ["junk.npz"]


def test_bad_predict_and_export_inputs(trained, tmp_path):
    model = trained / "model"
    np.save(tmp_path / "wide.npy", np.zeros((3, 4)))
    np.save(tmp_path / "nan.npy", np.array([[0.0, np.nan, 0.0, 0.0, 0.0]]))
    out = tmp_path / "out.npy"
    assert_bad_input(invoke("predict", model, tmp_path / "wide.npy", "-o", out), "shape (B, 5)")
    assert_bad_input(invoke("predict", model, tmp_path / "nan.npy", "-o", out), "finite")
    missing = tmp_path / "nomodel"
    assert_bad_input(invoke("predict", missing, tmp_path / "nan.npy", "-o", out), "does not exist")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text("{}")
    (broken / "model.safetensors").write_bytes(b"")
    assert_bad_input(invoke("export", broken, "-o", tmp_path / "m.onnx"), "not a readable model")
    assert files(tmp_path) == ["broken", "nan.npy", "wide.npy"]
    assert files(broken) == ["model.json", "model.safetensors"]


def test_train_on_all_zero_rates(tmp_path):
    partitioned_network().save(tmp_path / "net.npz")
    args = ("generate", tmp_path / "net.npz", "-n", 200, "--low", -1, "--high", -0.5)
    assert invoke(*args, "-o", tmp_path / "neg.npz", "--quiet").exit_code == 0
    assert not FixedPointDataset.load(tmp_path / "neg.npz").rates.any()
    result = invoke(
        "train", tmp_path / "neg.npz", "-o", tmp_path / "m", "--epochs", 3, "--restarts", 1
    )
    assert result.exit_code == 0, result.output
    assert "relative RMSE n/a" in result.stdout
    assert FeedForwardApproximation.load(tmp_path / "m").predict(np.zeros((1, 5))).sum() == 0


def test_train_rejects_non_finite_data(trained, tmp_path):
    dataset = FixedPointDataset.load(trained / "data.npz")
    arrays = {k: getattr(dataset, k).copy() for k in ("inputs", "rates", "state", "status")}
    arrays["rates"][3, 2] = np.nan  # a stable row
    np.savez(
        tmp_path / "nan.npz",
        steps=dataset.steps,
        status_names=np.array(STATUS_NAMES),
        metadata="{}",
        **arrays,
    )
    result = invoke("train", tmp_path / "nan.npz", "-o", tmp_path / "m", "--epochs", 2)
    assert_bad_input(result, "nan.npz")
    assert "must be finite" in result.stderr
    assert files(tmp_path) == ["nan.npz"]


def test_unusable_output_folder_is_refused_before_any_work(trained, tmp_path, monkeypatch):
    import ffapprox.cli._generate as generate_command
    import ffapprox.cli._train as train_command

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(generate_command, "generate_dataset", no_work)
    monkeypatch.setattr(train_command, "train", no_work)
    missing = tmp_path / "missing"
    result = invoke("generate", trained / "net.npz", "-o", missing / "d.npz")
    assert_bad_input(result, "--output")
    assert_bad_input(invoke("train", trained / "data.npz", "-o", missing / "m"), "--output")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    result = invoke("train", trained / "data.npz", "-o", tmp_path / "notes")
    assert_bad_input(result, "holds other files (keep.txt)")
    # Permission bits do not stop root, so the check itself is shown an unwritable folder.
    unwritable = os.fspath(tmp_path)
    monkeypatch.setattr(os, "access", lambda path, mode: os.fspath(path) != unwritable)
    result = invoke("generate", trained / "net.npz", "-o", tmp_path / "d.npz")
    assert_bad_input(result, "--output folder")
    assert "not writable" in result.stderr
    assert_bad_input(invoke("train", trained / "data.npz", "-o", tmp_path / "m"), "not writable")
    assert files(tmp_path) == ["notes"]


def test_train_shows_every_warning(trained, tmp_path, monkeypatch):
    import warnings

    import ffapprox.cli._train as train_command

    original = train_command.train

    def noisy_train(*args, **kwargs):
        warnings.warn("something a user should see", RuntimeWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(train_command, "train", noisy_train)
    result = invoke("train", trained / "data.npz", "-o", tmp_path / "m", "--epochs", 2)
    assert result.exit_code == 0, result.output
    assert "Warning (RuntimeWarning): something a user should see" in result.stderr
    assert "Warning (ConvergenceWarning)" in result.stderr  # two epochs do not converge
