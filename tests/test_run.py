"""`ffapprox run` end to end on a tiny config: every output exists and is well formed."""

import json
import tomllib
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from ffapprox import ConvergenceWarning
from ffapprox.cli import main
from ffapprox.experiments import config_from_dict, load_config

TINY = """
name = "tiny"
seed = 3
[data]
n_samples = 1500
[[models]]
name = "paper"
hidden = [5]
[[models]]
name = "deep"
hidden = [8, 8]
[training]
epochs = 5
restarts = 2
patience = 5
[evaluation]
sweep_points = 21
timing_repeats = 1
"""

METRIC_KEYS = {
    "n_train",
    "n_test",
    "status_fractions",
    "rmse",
    "relative_rmse",
    "winner_agreement",
    "winner_agreement_near_boundary",
    "ideal_rule_agreement_recurrent",
    "ideal_rule_agreement_approximation",
    "solver_steps_p50",
    "solver_steps_p99",
    "solver_fixed_points_per_s",
    "approximation_evals_per_s",
    "speedup",
}


def _run_config(tmp_path, text: str, name: str):
    """Write ``text`` as ``name.toml`` and run it into ``tmp_path/out``; must succeed."""
    config = tmp_path / f"{name}.toml"
    config.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs never converge
        result = CliRunner().invoke(
            main, ["run", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet"]
        )
    assert result.exit_code == 0, result.output
    return config, result


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    config = folder / "tiny.toml"
    config.write_text(TINY)
    out = folder / "out"
    # Five epochs cannot converge: the CLI shows that as a one-line warning, not a failure.
    with warnings.catch_warnings():
        warnings.simplefilter("always", ConvergenceWarning)
        result = CliRunner().invoke(
            main, ["run", "--config", str(config), "--out", str(out), "--quiet"]
        )
    assert result.exit_code == 0, result.output
    assert "Warning (ConvergenceWarning)" in result.output
    return out, result.output


def test_run_writes_every_output(tiny_run):
    out, output = tiny_run
    assert str(out / "report.html") in output
    for name in (
        "fig_competition.png",
        "fig_decision_boundary.png",
        "fig_training.png",
        "fig_cost.png",
    ):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for model in ("paper", "deep"):
        assert (out / "models" / model / "model.safetensors").is_file()
        assert (out / "models" / f"{model}.onnx").stat().st_size > 0
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_metrics_are_complete_and_consistent(tiny_run):
    out, _ = tiny_run
    # Strict JSON: NaN or Infinity would make other tools reject the file.
    metrics = json.loads(
        (out / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON")
    )
    assert set(metrics["models"]) == {"paper", "deep"}
    for block in metrics["models"].values():
        assert METRIC_KEYS <= set(block)
        assert np.isclose(sum(block["status_fractions"].values()), 1.0)
        assert 0 <= block["winner_agreement"] <= 1
        assert np.isclose(
            block["speedup"],
            block["approximation_evals_per_s"] / block["solver_fixed_points_per_s"],
        )
    counts = metrics["dataset"]["counts"]
    assert sum(counts.values()) == metrics["dataset"]["n_samples"] == 1500


def test_report_embeds_figures_and_config_reproduces(tiny_run):
    out, _ = tiny_run
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5
    assert "relative RMSE" in page
    saved = config_from_dict(tomllib.loads((out / "config.toml").read_text()))
    assert saved == config_from_dict(tomllib.loads(TINY))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = [\n", "not valid TOML"),
        ("[data]\nn_samples = -1\n", "data.n_samples"),
        ("[training]\nepoch = 3\n", "unknown config key training.epoch"),
        ("[[models]]\nname = 'x'\nhidden = []\n", "models.hidden"),
    ],
)
def test_bad_config_fails_before_any_work(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = CliRunner().invoke(
        main, ["run", "--config", str(config), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_unwritable_or_occupied_output_folder(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)  # should the check regress, the run stays small
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = ["run", "--config", str(config), "--quiet", "--out"]
    result = CliRunner().invoke(main, [*args, str(blocker / "sub")])
    assert result.exit_code == 2 and "output folder" in result.output
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("x")
    result = CliRunner().invoke(main, [*args, str(occupied)])
    assert result.exit_code == 2 and "not empty" in result.output


def test_own_network_file_runs_and_form_mismatch_is_rejected(tmp_path):
    from ffapprox import partitioned_network

    partitioned_network(form="rectified-recurrent").save(tmp_path / "mine.npz")
    own = TINY.replace('name = "tiny"', 'name = "mine"') + (
        '[network]\nbuilder = "file"\npath = "mine.npz"\npartitions = [[0, 1], [2, 3]]\n'
    )
    config, result = _run_config(tmp_path, own, "mine")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["network"]["form"] == "rectified-recurrent"
    assert "winner_agreement" in metrics["models"]["paper"]
    config.write_text(
        own.replace('builder = "file"', 'builder = "file"\nform = "threshold-linear"')
    )
    result = CliRunner().invoke(
        main, ["run", "--config", str(config), "--out", str(tmp_path / "out2"), "--quiet"]
    )
    assert result.exit_code == 2 and "network.form" in result.output
    assert not (tmp_path / "out2").exists()


def test_list_and_packaged_experiments():
    result = CliRunner().invoke(main, ["run", "--list"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.strip().splitlines()]
    assert {"competition", "capacity"} <= set(names)
    for name in names:  # every packaged experiment is a valid config
        load_config(experiment=name)
    result = CliRunner().invoke(main, ["run", "--experiment", "nope"])
    assert result.exit_code == 2 and "--experiment" in result.output


def test_capacity_figure_for_three_or_more_models(tmp_path):
    three = TINY + '[[models]]\nname = "wide"\nhidden = [16]\n'
    config, result = _run_config(tmp_path, three, "three")
    assert (tmp_path / "out" / "fig_capacity.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "out" / "report.html").read_text().count("data:image/png") == 6


def test_oscillating_inputs_are_compared_with_their_time_average(tmp_path):
    slow = TINY + "[network]\ntau_I = 1.0\n"  # about a third of the inputs oscillate
    config, result = _run_config(tmp_path, slow, "slow")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["dataset"]["counts"]["oscillating"] > 0
    for block in metrics["models"].values():
        assert block["n_test_oscillating"] > 0
        assert np.isfinite(block["oscillating_relative_rmse_to_time_average"])
    settle = metrics["settle_predictor"]
    assert settle["n_test"] == 150 and 0 <= settle["accuracy"] <= 1
    assert (tmp_path / "out" / "models" / "settles" / "model.safetensors").is_file()
    assert "Settle predictor" in result.output


def test_random_sweep_experiment(tmp_path):
    sweep = (
        'name = "sweep"\n[sweep]\nsizes = [5, 12]\nsamples = [300, 200]\ngain = 1.5\n'
        '[data]\nmax_time = 100.0\n[[models]]\nname = "mlp"\nhidden = [8]\nepochs = 3\n'
    )
    config, result = _run_config(tmp_path, sweep, "sweep")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"N=5", "N=12"}
    for block in metrics["models"].values():
        assert np.isclose(sum(block["status_fractions"].values()), 1.0)
        assert block["solver_steps_p99"] >= block["solver_steps_p50"] > 0
    assert sum(metrics["dataset"]["counts"].values()) == 500
    assert (tmp_path / "out" / "fig_random.png").read_bytes()[:4] == b"\x89PNG"
    assert "data:image/png" in (tmp_path / "out" / "report.html").read_text()
    bad = sweep.replace("samples = [300, 200]", "samples = [300]")
    config.write_text(bad)
    result = CliRunner().invoke(
        main, ["run", "--config", str(config), "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "sweep.samples" in result.output


SIGNALS = """
name = "{name}"
[network]
builder = "{builder}"
params = {params}
[data]
n_samples = 600
inputs = "{inputs}"
max_time = 2000.0
[[models]]
name = "mlp"
hidden = [16]
epochs = 3
restarts = 1
[evaluation]
noise_levels = [0.1, 0.5, 1.0]
noise_inputs = 40
timing_repeats = 1
settle_predictor = []
"""


@pytest.mark.parametrize(
    "builder, params, inputs",
    [
        ("ring", "{ n_neurons = 16 }", "bumps"),
        ("amplifier", "{ n_neurons = 24, n_patterns = 3, pattern_size = 4 }", "patterns"),
    ],
)
def test_noise_experiments(tmp_path, builder, params, inputs):
    text = SIGNALS.format(name=builder, builder=builder, params=params, inputs=inputs)
    config, result = _run_config(tmp_path, text, builder)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    sweep = metrics["noise_sweep"]
    assert sweep["noise"] == [0.1, 0.5, 1.0]
    assert sweep["n_used"] == [40, 40, 40]  # both networks always settle
    # More noise, lower input SNR; the recurrent networks clean up their input.
    assert np.all(np.diff(sweep["input_snr_db"]) < 0)
    assert np.all(np.array(sweep["recurrent_snr_db"]) > np.array(sweep["input_snr_db"]))
    block = metrics["models"]["mlp"]
    assert block["snr_gap_db"] >= 0 and "improves_snr_where_recurrent_does" in block
    assert ("position_error_gap" in block) == (builder == "ring")
    for figure in ("fig_noise.png", "fig_example.png"):
        assert (tmp_path / "out" / figure).read_bytes()[:4] == b"\x89PNG"
    assert "Noise sweep" in (tmp_path / "out" / "report.html").read_text()
    assert "Noise sweep, mlp" in result.output


@pytest.mark.parametrize(
    "replace, message",
    [
        ("n_neurons = 16", "network.params: n_neurons"),
        ("{ n_neurons = 16 }", "unknown network.params key 'radius'"),
        (
            'inputs = "bumps"',
            'data.inputs = "patterns" needs a network.builder with stored patterns',
        ),
        ('builder = "ring"', 'network.w_E applies to builder = "partitioned"'),
    ],
)
def test_bad_network_params_are_named(tmp_path, replace, message):
    text = SIGNALS.format(name="bad", builder="ring", params="{ n_neurons = 16 }", inputs="bumps")
    text = text.replace(
        replace,
        {
            "n_neurons = 16": "n_neurons = 2",
            "{ n_neurons = 16 }": "{ radius = 16 }",
            'inputs = "bumps"': 'inputs = "patterns"',
            'builder = "ring"': 'builder = "ring"\nw_E = 3.0',
        }[replace],
    )
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = CliRunner().invoke(
        main, ["run", "--config", str(config), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_sweep_with_a_size_too_unstable_to_fit(tmp_path):
    # gain 8 and a short time limit: the larger size has only a handful of stable inputs.
    sweep = (
        'name = "unstable"\n[sweep]\nsizes = [5, 24]\nsamples = [300, 50]\ngain = 8.0\n'
        '[data]\nmax_time = 5.0\n[[models]]\nname = "mlp"\nhidden = [8]\nepochs = 3\n'
    )
    _, result = _run_config(tmp_path, sweep, "unstable")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    small, large = metrics["models"]["N=5"], metrics["models"]["N=24"]
    assert "relative_rmse" in small and "relative_rmse" not in large
    assert "too few to fit" in large["skipped"]
    # The summary has one row per size; the unfitted size says so instead of a figure.
    lines = result.output.splitlines()
    row = next(line for line in lines if line.split()[:1] == ["24"])
    assert "not fitted" in row
    assert f"{small['relative_rmse']:.2%}" in next(
        line for line in lines if line.split()[:1] == ["5"]
    )
    assert any(line.startswith("N = 24: ") and "too few" in line for line in lines)
    # The report's headline is the total over all sizes, not the first size's share.
    counts = metrics["dataset"]["counts"]
    stable_share = counts["stable"] / sum(counts.values())
    assert stable_share != pytest.approx(small["status_fractions"]["stable"])
    report = (tmp_path / "out" / "report.html").read_text()
    assert f"stable (all sizes)<b>{stable_share:.1%}</b>" in report
    assert f"inputs solved (all sizes)<b>{sum(counts.values()):,}</b>" in report
    assert "approximations fitted<b>1 of 2</b>" in report


def test_summary_and_report_show_the_metrics(tiny_run):
    out, output = tiny_run
    metrics = json.loads((out / "metrics.json").read_text())
    page = (out / "report.html").read_text()
    counts = metrics["dataset"]["counts"]
    assert f"stable<b>{counts['stable'] / sum(counts.values()):.1%}</b>" in page
    for name, block in metrics["models"].items():
        row = next(line for line in output.splitlines() if line.split()[:1] == [name])
        assert f"{block['relative_rmse']:.2%}" in row
        assert f"{block['winner_agreement']:.2%}" in row
        assert f"<td>{block['relative_rmse']:.2%}</td>" in page
    assert f"{counts['stable']:,} of 1,500 inputs stable" in output


def test_run_folder_config_reruns_a_saved_network(tmp_path):
    # builder = "file": the run folder keeps the network and a config pointing at it.
    from ffapprox import partitioned_network

    partitioned_network(w_E=2.0).save(tmp_path / "mine.npz")
    text = TINY.replace('name = "tiny"', 'name = "mine"') + (
        '[network]\nbuilder = "file"\npath = "mine.npz"\npartitions = [[0, 1], [2, 3]]\n'
    )
    text = text.replace("n_samples = 1500", "n_samples = 300")
    _run_config(tmp_path, text, "mine")
    saved = tomllib.loads((tmp_path / "out" / "config.toml").read_text())
    assert saved["network"] == {
        "builder": "file", "params": {}, "path": "network.npz", "partitions": [[0, 1], [2, 3]]
    }  # fmt: skip
    (tmp_path / "mine.npz").unlink()  # the rerun must not need the original file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = CliRunner().invoke(
            main,
            ["run", "--config", str(tmp_path / "out" / "config.toml"), "--out",
             str(tmp_path / "again"), "--quiet"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "out" / "metrics.json").read_text())
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["network"] == first["network"]
    assert again["dataset"] == first["dataset"]


def test_legacy_flat_network_keys_still_load():
    # Configs written before network.params: the partitioned builder's keys in [network].
    legacy = config_from_dict({"network": {"builder": "partitioned", "w_E": 2.0, "tau_I": 0.4}})
    assert legacy.network.params == {"w_E": 2.0, "tau_I": 0.4}
    with pytest.raises(ValueError, match="inside network.params, not beside it"):
        config_from_dict({"network": {"w_E": 2.0, "params": {"w_I": 3.0}}})
    # Run folders of then wrote every flat key with its default, for any builder.
    old_defaults = {"n_partitions": 2, "partition_size": 2, "n_inhibitory": 1, "w_E": 2.5}
    old_defaults |= {"w_I": 8.0, "bias": 0.0, "tau_E": 1.0, "tau_I": 0.5}
    ring = {"builder": "ring", "params": {"n_neurons": 16}} | old_defaults
    assert config_from_dict({"network": ring}).network.params == {"n_neurons": 16}
    saved = {"builder": "file", "path": "net.npz"} | old_defaults
    assert config_from_dict({"network": saved}).network.path == "net.npz"
    with pytest.raises(ValueError, match='network.w_E applies to builder = "partitioned"'):
        config_from_dict({"network": ring | {"w_E": 3.0}})


SCALE = """
name = "scale-tiny"
[[scale.networks]]
name = "dale12"
network = { builder = "random-dale", params = { n_neurons = 12, gain = 1.5 } }
data = { max_time = 100.0 }
samples = [150, 400]
test_samples = 120
[[models]]
name = "mlp"
hidden = [8]
epochs = 2
restarts = 1
[[models]]
name = "unrolled"
family = "unrolled"
params = { steps = 20, euler_steps = 4 }
epochs = 2
"""


def test_scale_experiment_reports_every_family_and_size(tmp_path):
    _, result = _run_config(tmp_path, SCALE, "scale")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    network = metrics["networks"]["dale12"]
    assert {(p["model"], p["n_train"] <= 400) for p in network["points"]} == {
        ("mlp", True), ("unrolled", True)
    }  # fmt: skip
    assert len(network["points"]) == 4  # two models, two sizes
    for point in network["points"]:
        assert point["relative_rmse"] > 0 and point["speedup"] > 0
    for point in network["points"]:  # the MLP cannot vouch for its answers, unrolled can
        assert (point["trusted_share"] is None) == (point["family"] == "mlp")
    settle = network["settle_predictor"]
    assert settle is None or 0 <= settle["accuracy"] <= 1
    assert "dale12 (N = 12)" in result.output and "unrolled" in result.output
    assert (tmp_path / "out" / "fig_scale.png").read_bytes()[:4] == b"\x89PNG"
    assert "<td>dale12</td><td>unrolled</td>" in (tmp_path / "out" / "report.html").read_text()
