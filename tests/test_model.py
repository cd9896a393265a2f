"""The feed-forward model: architecture, prediction, save/load and ONNX export."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest
import torch

from ffapprox import FeedForwardApproximation, export_onnx

# float32 graph evaluated by two runtimes: agreement to a few float32 ulps of O(1) outputs.
ONNX_TOLERANCE = 1e-5


def make_model(hidden=(7, 6), seed=0) -> FeedForwardApproximation:
    torch.manual_seed(seed)
    model = FeedForwardApproximation(4, hidden, 3)
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.uniform_(0.0, 0.5)  # keep units active so outputs are not all zero
    model.metadata = {"training": {"epochs": 3}, "validation": {"mse": 0.25}}
    return model


def inputs(n=50, size=4, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, size))


def test_default_architecture_is_the_papers():
    model = FeedForwardApproximation(5)
    assert (model.n_inputs, model.hidden, model.n_outputs) == (5, (5,), 5)
    assert [tuple(layer.weight.shape) for layer in model.layers] == [(5, 5), (5, 5)]
    assert FeedForwardApproximation(3, 8).hidden == (8,)


def test_forward_is_relu_of_every_layer_with_negated_thresholds():
    model = make_model()
    x = inputs()
    expected = x
    for weights, thresholds in zip(
        [layer.weight.detach().double().numpy() for layer in model.layers],
        model.thresholds(),
        strict=True,
    ):
        expected = np.maximum(expected @ weights.T - thresholds, 0.0)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    assert (model.predict(x) >= 0).all()


def test_predict_accepts_tensors_and_batches():
    model = make_model()
    x = inputs(101)
    out = model.predict(x)
    assert out.dtype == np.float32 and out.shape == (101, 3)
    np.testing.assert_array_equal(model.predict(torch.tensor(x)), out)
    np.testing.assert_array_equal(model.predict(x.astype(np.float32)), out)
    # Other batch sizes take other matmul kernels: equal to float32 rounding only.
    np.testing.assert_allclose(model.predict(x, batch_size=7), out, rtol=1e-6, atol=1e-7)
    assert model.predict(x[0]).shape == (1, 3)
    assert model.double().predict(x).dtype == np.float64


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.zeros((3, 5)), r"shape \(B, 4\)"),
        (np.zeros((2, 2, 4)), r"shape \(B, 4\)"),
        (np.array([[0.0, np.nan, 0.0, 0.0]]), "finite"),
        (np.array([[0.0, np.inf, 0.0, 0.0]]), "finite"),
    ],
)
def test_predict_rejects_bad_inputs(bad, match):
    with pytest.raises(ValueError, match=match):
        make_model().predict(bad)


@pytest.mark.parametrize("kwargs", [{"n_inputs": 0}, {"n_inputs": 3, "hidden": (4, 0)}])
def test_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        FeedForwardApproximation(**kwargs)


def test_save_load_round_trip_is_exact(tmp_path):
    model = make_model()
    folder = tmp_path / "model"
    model.save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]
    config = json.loads((folder / "model.json").read_text())
    assert config["hidden"] == [7, 6] and "ffapprox_version" in config
    loaded = FeedForwardApproximation.load(folder)
    assert (loaded.n_inputs, loaded.hidden, loaded.n_outputs) == (4, (7, 6), 3)
    assert loaded.metadata == model.metadata
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(loaded.predict(inputs()), model.predict(inputs()))
    model.save(folder)  # replacing an existing model folder is allowed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_save_refuses_to_clobber_other_things(tmp_path):
    occupied = tmp_path / "notes"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"holds other files \(keep.txt\)"):
        make_model().save(occupied)
    assert sorted(p.name for p in occupied.iterdir()) == ["keep.txt"]
    # Told to, it writes the model's own two files and leaves the rest alone.
    make_model().save(occupied, force=True)
    assert sorted(p.name for p in occupied.iterdir()) == [
        "keep.txt",
        "model.json",
        "model.safetensors",
    ]
    assert (occupied / "keep.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="does not exist"):
        make_model().save(tmp_path / "missing" / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_load_rejects_missing_and_corrupt_folders(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        FeedForwardApproximation.load(tmp_path / "nothing")
    folder = tmp_path / "model"
    make_model().save(folder)
    (folder / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable model"):
        FeedForwardApproximation.load(folder)
    make_model().save(folder)
    (folder / "model.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable model"):
        FeedForwardApproximation.load(folder)
    make_model().save(folder)
    config = json.loads((folder / "model.json").read_text())
    config["hidden"] = [5, 6]
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not a readable model"):
        FeedForwardApproximation.load(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(ValueError, match="lacks model.safetensors"):
        FeedForwardApproximation.load(folder)


def test_load_checks_the_architecture_against_the_weights_first(tmp_path):
    folder = tmp_path / "model"
    make_model().save(folder)
    config = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps(config | {"hidden": [5, 6]}))
    with pytest.raises(ValueError, match="does not match the weights") as caught:
        FeedForwardApproximation.load(folder)
    message = str(caught.value)
    assert "\n" not in message and str(folder) in message and "layers.0.weight" in message
    # This one would need terabytes if the model were built before the checks.
    (folder / "model.json").write_text(json.dumps(config | {"hidden": [7, 10**12]}))
    with pytest.raises(ValueError, match="would need .* of memory"):
        FeedForwardApproximation.load(folder)
    (folder / "model.json").write_text(json.dumps(config | {"hidden": [7, "six"]}))
    with pytest.raises(ValueError, match="hidden must be an integer"):
        FeedForwardApproximation.load(folder)


def test_saved_model_follows_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        make_model().save(tmp_path / "model")
    finally:
        os.umask(previous)
    folder = tmp_path / "model"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for name in ("model.json", "model.safetensors"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o640, name


@pytest.mark.parametrize("failing", ["model.safetensors", "model.json"])
def test_interrupted_replace_never_serves_a_mixed_model(tmp_path, monkeypatch, failing):
    folder = tmp_path / "model"
    old = make_model(seed=1)
    old.save(folder)
    real_replace = os.replace

    def failing_replace(source, target):
        if os.path.basename(os.fspath(target)) == failing:
            raise OSError("simulated rename failure")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ValueError, match="simulated"):
        make_model(seed=2).save(folder)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]
    if failing == "model.safetensors":  # nothing replaced: the old model, intact
        loaded = FeedForwardApproximation.load(folder)
        for a, b in zip(old.state_dict().values(), loaded.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    else:  # new weights beside the old model.json: refused, never served
        with pytest.raises(ValueError, match="not the file model.json was written with"):
            FeedForwardApproximation.load(folder)


def test_non_finite_weights_are_never_saved_or_loaded(tmp_path):
    model = make_model()
    with torch.no_grad():
        model.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        model.save(tmp_path / "nan")
    assert not (tmp_path / "nan").exists()
    good = make_model()
    good.save(tmp_path / "good")
    from safetensors.torch import load_file, save_file

    weights = load_file(tmp_path / "good" / "model.safetensors")
    weights["layers.0.bias"][0] = float("inf")
    save_file(weights, tmp_path / "good" / "model.safetensors")
    config = json.loads((tmp_path / "good" / "model.json").read_text())
    del config["weights_sha256"]  # a hand-edited folder: the values themselves are checked
    (tmp_path / "good" / "model.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="NaN or inf"):
        FeedForwardApproximation.load(tmp_path / "good")


@pytest.mark.parametrize("device", ["foo", "cuda:99"])
def test_predict_rejects_bad_device(device):
    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("only unavailable CUDA is under test")
    with pytest.raises(ValueError, match="device"):
        make_model().predict(inputs(), device=device)


@pytest.mark.parametrize("hidden", [(5,), (16, 16)])
def test_onnx_matches_torch(tmp_path, hidden):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = make_model(hidden)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 37):  # the batch dimension is dynamic
        x = inputs(n).astype(np.float32)
        (out,) = session.run(["rates"], {"inputs": x})
        np.testing.assert_allclose(out, model.predict(x), rtol=0, atol=ONNX_TOLERANCE)


def test_a_model_folder_written_before_families_still_loads(tmp_path):
    # model.json as ffapprox 0.1.0 wrote it: no "family", an "activation" note.
    from safetensors.torch import save_file

    import ffapprox

    model = make_model()
    folder = tmp_path / "old"
    folder.mkdir()
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, folder / "model.safetensors"
    )
    old = {
        "format": "ffapprox.FeedForwardApproximation",
        "format_version": 1,
        "n_inputs": model.n_inputs,
        "hidden": list(model.hidden),
        "n_outputs": model.n_outputs,
        "activation": "relu on every layer, output included; Linear bias = -threshold",
        "dtype": "float32",
        "ffapprox_version": "0.1.0",
        "metadata": {"training": {"epochs": 3}},
    }
    (folder / "model.json").write_text(json.dumps(old))
    x = np.random.default_rng(0).uniform(-1, 1, (7, model.n_inputs))
    for loaded in (FeedForwardApproximation.load(folder), ffapprox.load_model(folder)):
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
        assert loaded.metadata == {"training": {"epochs": 3}}
