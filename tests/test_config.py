"""Experiment configs: the packaged default is valid; bad keys and values are named."""

import dataclasses

import pytest

from ffapprox.experiments import ExperimentConfig, config_from_dict, load_config
from ffapprox.experiments._setup import build_network


def test_packaged_default_matches_the_dataclass_defaults():
    config, base = load_config()
    assert base is None
    default = ExperimentConfig()
    # The packaged file spells out the builder's default arguments; the dataclass leaves
    # them to the builder: the same network either way.
    assert config.network.builder == default.network.builder
    assert build_network(config.network, None)[0].fingerprint() == (
        build_network(default.network, None)[0].fingerprint()
    )
    assert dataclasses.replace(config, network=default.network) == default
    assert [(m.family, m.hidden) for m in config.models] == [
        ("mlp", [5]),
        ("mlp", [64, 64, 64]),
        ("regions", [64, 64]),
    ]


def test_round_trip_through_dict():
    config, _ = load_config()
    assert config_from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"data": {"n_sample": 10}}, "unknown config key data.n_sample"),
        ({"colour": "red"}, "unknown config key colour"),
        ({"data": {"n_samples": -5}}, "data.n_samples"),
        ({"data": {"low": 1.0, "high": 0.0}}, "data.low"),
        ({"models": []}, "models"),
        ({"models": [{"name": "a", "hidden": []}]}, "models.hidden"),
        ({"training": {"epochs": "many"}}, "training.epochs"),
        ({"training": {"learning_rate": 0}}, "training.learning_rate"),
        ({"network": {"form": "linear"}}, "network.form"),
        ({"network": {"tau_I": 0}}, "network.params: tau"),
        ({"network": {"builder": "file"}}, "network.path"),
        ({"seed": True}, "seed"),
    ],
)
def test_bad_values_are_rejected_with_their_name(data, message):
    with pytest.raises(ValueError, match=message):
        config_from_dict(data)


def test_malformed_toml_is_a_value_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = [unclosed\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ValueError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
