"""What a run is built from: the configured network, its input distribution, the run folder."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..common import file_mode, logger
from ..data import SignalPlusNoise, UniformInputs
from ..dynamics import RecurrentNetwork
from ..networks import get_builder
from ._config import FILE_BUILDER, DataConfig, NetworkConfig


def build_network(config: NetworkConfig, base: Path | None) -> tuple[RecurrentNetwork, list]:
    """The configured network and its partitions (lists of neuron indices; may be empty)."""
    if config.builder == FILE_BUILDER:
        path = Path(config.path)
        if base is not None and not path.is_absolute():
            path = base / path
        network = RecurrentNetwork.load(path)
        if config.form is not None and config.form != network.form:
            raise ValueError(
                f"network.form {config.form!r} differs from the form in {str(path)!r}, "
                f"{network.form!r}; leave network.form out to use the file's"
            )
        partitions = []
    else:
        builder = get_builder(config.builder, "network.builder")
        network = builder.build(config.params, "network.params")
        if config.form is not None and config.form != network.form:
            network = RecurrentNetwork(network.weights, network.tau, network.bias, config.form)
        partitions = builder.groups(config.params)
    if config.partitions is not None:
        partitions = [list(p) for p in config.partitions]
    for p in partitions:
        if max(p) >= network.n_neurons:
            raise ValueError(
                f"network.partitions entries must be neuron indices in "
                f"[0, {network.n_neurons}), got {partitions}"
            )
    return network, partitions


def build_inputs(config: DataConfig, network_config: NetworkConfig, n_neurons: int):
    """The training input distribution (a :class:`UniformInputs` or :class:`SignalPlusNoise`)."""
    if config.inputs == "uniform":
        return UniformInputs(n_neurons, config.low, config.high)
    if config.inputs == "patterns":
        builder = (
            None if network_config.builder == FILE_BUILDER else get_builder(network_config.builder)
        )
        patterns = None if builder is None else builder.stored_patterns(network_config.params)
        if patterns is None:
            raise ValueError(
                'data.inputs = "patterns" needs a network.builder with stored patterns '
                f'("amplifier"), got {network_config.builder!r}'
            )
        return SignalPlusNoise(
            n_neurons, "pattern", config.amplitude, config.noise, patterns=patterns
        )
    return SignalPlusNoise(
        n_neurons, "bump", config.amplitude, config.noise, width=config.bump_width
    )


def _in_progress(work: Path) -> bool:
    """Whether a work folder's run may still be going: its owner (``pid@host`` in the name)
    is alive on this machine, or runs on another machine (not ours to judge)."""
    owner = work.name.partition(".partial-")[2].rpartition("-")[0]
    pid, _, host = owner.partition("@")
    if not pid.isdigit() or not host:
        return False  # written before owners were recorded
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, another user's
    return True


@contextmanager
def run_folder(out: Path) -> Iterator[Path]:
    """A hidden work folder beside ``out``, renamed to ``out`` when the block completes.

    An interrupted or failed run never leaves a folder that looks finished: the work folder
    is removed, and so are the parents of ``out`` that this call created.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"output folder {str(out)!r} already exists and is not empty")
    stale = [p for p in out.parent.glob(".*.partial-*") if not _in_progress(p)]
    if stale:
        names = ", ".join(sorted(p.name for p in stale)[:3]) + (", ..." if len(stale) > 3 else "")
        logger.warning(
            f"{len(stale)} work folder(s) of runs that were killed lie in "
            f"{str(out.parent)!r} ({names}); they are safe to delete"
        )
    created = [p for p in reversed(out.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        owner = f"{os.getpid()}@{socket.gethostname()}"
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{owner}-", dir=out.parent))
        work.chmod(file_mode(0o777))
    except OSError as err:
        raise ValueError(f"cannot write to output folder {str(out.parent)!r}: {err}") from None
    try:
        yield work
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
            for parent in reversed(created):
                try:
                    parent.rmdir()
                except OSError:
                    break
