"""The extension points: a builder, a solver method, a model family each one registry entry."""

import numpy as np
import pytest
from click.testing import CliRunner

import ffapprox as ff
from ffapprox.cli import main
from ffapprox.common import check_integer, check_real
from ffapprox.experiments import config_from_dict
from ffapprox.experiments._setup import build_network
from ffapprox.networks import Builder


def chain_network(n_neurons: int = 4, *, w: float = 0.5) -> ff.RecurrentNetwork:
    """A feed-forward chain: neuron j excites neuron j + 1 with weight w."""
    # The README's worked example, word for word.
    n_neurons = check_integer("n_neurons", n_neurons, 2)
    w = check_real("w", w)
    return ff.RecurrentNetwork(np.diag(np.full(n_neurons - 1, w), k=-1))


def test_a_new_builder_is_one_function_and_one_entry(monkeypatch, tmp_path):
    monkeypatch.setitem(ff.BUILDERS, "chain", Builder(chain_network))
    config = config_from_dict({"network": {"builder": "chain", "params": {"w": 0.25}}})
    network, partitions = build_network(config.network, None)
    assert network.fingerprint() == chain_network(w=0.25).fingerprint() and partitions == []
    # Its fixed point is known in closed form: x_{j+1} = i_{j+1} + w x_j from x_0 = i_0.
    result = ff.solve_fixed_points(network, [[1.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(result.rates[0].numpy(), [1.0, 0.25, 0.0625, 0.015625])
    with pytest.raises(ValueError, match="unknown network.params key 'gain'"):
        config_from_dict({"network": {"builder": "chain", "params": {"gain": 2.0}}})
    with pytest.raises(ValueError, match="network.params: n_neurons must be an integer >= 2"):
        config_from_dict({"network": {"builder": "chain", "params": {"n_neurons": 1}}})
    listing = CliRunner().invoke(main, ["build", "--list"])
    assert "chain" in listing.output and "A feed-forward chain" in listing.output
    result = CliRunner().invoke(
        main, ["build", "chain", "-o", str(tmp_path / "c.npz"), "-p", "n_neurons=6"]
    )
    assert result.exit_code == 0, result.output
    assert ff.RecurrentNetwork.load(tmp_path / "c.npz").n_neurons == 6


def test_build_command_writes_the_builders_network(tmp_path):
    out = tmp_path / "net.npz"
    result = CliRunner().invoke(
        main, ["build", "partitioned", "-o", str(out), "-p", "w_E=2.0", "--param", "tau_I=0.4"]
    )
    assert result.exit_code == 0, result.output
    expected = ff.partitioned_network(w_E=2.0, tau_I=0.4)
    assert ff.RecurrentNetwork.load(out).fingerprint() == expected.fingerprint()
    edges = CliRunner().invoke(
        main, ["build", "ctln", "-o", str(tmp_path / "g.npz"), "-p", "edges=[[0, 1], [1, 2]]"]
    )
    assert edges.exit_code == 0, edges.output
    loaded = ff.RecurrentNetwork.load(tmp_path / "g.npz")
    assert loaded.fingerprint() == ff.ctln_network([(0, 1), (1, 2)]).fingerprint()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing", "-o", "n.npz"], "BUILDER must be one of"),
        (["partitioned", "-o", "n.npz", "-p", "w_X=1"], "unknown --param key 'w_X'"),
        (["partitioned", "-o", "n.npz", "-p", "w_E=-1"], "--param: w_E must be"),
        (["partitioned", "-o", "n.npz", "-p", "w_E"], "--param must be KEY=VALUE"),
        (["partitioned", "-o", "n.npz", "-p", "w_E=abc"], "must be a TOML value"),
        (["partitioned", "-o", "n.npz", "-p", 'w_E="2.5"'], "w_E must be a finite real"),
        (["partitioned", "-o", "n.txt"], "--output must end in .npz"),
        (["partitioned"], "give a BUILDER and --output"),
    ],
)
def test_build_command_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_solver_methods_and_families_are_registries():
    assert "rk4" in ff.SOLVERS and "mlp" in ff.FAMILIES
    net = ff.partitioned_network()
    with pytest.raises(ValueError, match="method must be one of"):
        ff.solve_fixed_points(net, np.zeros((1, 5)), method="euler")
    assert ff.FAMILIES["mlp"].model is ff.FeedForwardApproximation
