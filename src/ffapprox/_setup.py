"""What a run is built from: the configured network, its input distribution, the run folder."""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path

import numpy as np

from ._builders import partition_labels, partitioned_network
from ._computing_networks import amplifier_network, amplifier_patterns, ring_network
from ._config import DataConfig, NetworkConfig
from ._inputs import SignalPlusNoise, UniformInputs
from ._io import _umask, load_network
from ._network import RecurrentNetwork

BUILDER_FUNCTIONS = {"ring": ring_network, "amplifier": amplifier_network}


def _from_params(config: NetworkConfig) -> RecurrentNetwork:
    builder = BUILDER_FUNCTIONS[config.builder]
    params = dict(config.params or {})
    allowed = list(inspect.signature(builder).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown network.params key {unknown[0]!r} for builder {config.builder!r}; "
            f"allowed: {', '.join(allowed)}"
        )
    try:
        network = builder(**params)
    except ValueError as err:
        raise ValueError(f"network.params: {err}") from None
    if config.form is not None:
        network = RecurrentNetwork(network.weights, network.tau, network.bias, form=config.form)
    return network


def build_inputs(config: DataConfig, network_config: NetworkConfig, n_neurons: int):
    """The training input distribution (an :mod:`ffapprox._inputs` sampler)."""
    if config.inputs == "uniform":
        return UniformInputs(n_neurons, config.low, config.high)
    if config.inputs == "patterns":
        if network_config.builder != "amplifier":
            raise ValueError(
                'data.inputs = "patterns" needs network.builder = "amplifier" (its stored '
                f"patterns are the signals), got {network_config.builder!r}"
            )
        params = dict(network_config.params or {})
        keys = ("n_neurons", "n_patterns", "pattern_size", "seed")
        patterns = amplifier_patterns(**{k: params[k] for k in keys if k in params})
        return SignalPlusNoise(
            n_neurons, "pattern", config.amplitude, config.noise, patterns=patterns
        )
    return SignalPlusNoise(
        n_neurons, "bump", config.amplitude, config.noise, width=config.bump_width
    )


def build_network(config: NetworkConfig, base: Path | None) -> tuple[RecurrentNetwork, list]:
    """The configured network and its partitions (lists of neuron indices; may be empty)."""
    if config.builder in BUILDER_FUNCTIONS:
        return _from_params(config), []
    if config.builder == "file":
        path = Path(config.path)
        if base is not None and not path.is_absolute():
            path = base / path
        network = load_network(path)
        if config.form is not None and config.form != network.form:
            raise ValueError(
                f"network.form {config.form!r} differs from the form in {str(path)!r}, "
                f"{network.form!r}; leave network.form out to use the file's"
            )
        partitions = [list(p) for p in config.partitions or []]
        for p in partitions:
            if not p or min(p) < 0 or max(p) >= network.n_neurons:
                raise ValueError(
                    f"network.partitions entries must be non-empty neuron indices in "
                    f"[0, {network.n_neurons}), got {config.partitions}"
                )
        return network, partitions
    network = partitioned_network(
        config.n_partitions,
        config.partition_size,
        config.n_inhibitory,
        config.w_E,
        config.w_I,
        config.bias,
        tau_E=config.tau_E,
        tau_I=config.tau_I,
        form=config.form or "threshold-linear",
    )
    labels = partition_labels(config.n_partitions, config.partition_size, config.n_inhibitory)
    partitions = [np.flatnonzero(labels == p).tolist() for p in range(config.n_partitions)]
    return network, partitions


def prepare_output(out: Path) -> Path:
    """Check ``out`` can be created and make the hidden work folder beside it.

    The run is written into the work folder and renamed to ``out`` only when complete, so an
    interrupted run never leaves a folder that looks finished.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"output folder {str(out)!r} already exists and is not empty")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
        work.chmod(0o777 & ~_umask())
        return work
    except OSError as err:
        raise ValueError(f"cannot write to output folder {str(out.parent)!r}: {err}") from None
