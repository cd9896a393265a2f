"""Experiment configuration: typed dataclasses, validated when built (``_toml`` reads them
from TOML files); the tables are in ``_config_tables``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..common import check_integer, check_real
from ._config_tables import FILE_BUILDER as FILE_BUILDER
from ._config_tables import INPUTS as INPUTS
from ._config_tables import DataConfig as DataConfig
from ._config_tables import EvaluationConfig as EvaluationConfig
from ._config_tables import ModelConfig as ModelConfig
from ._config_tables import NetworkConfig as NetworkConfig
from ._config_tables import TrainingConfig as TrainingConfig
from ._config_tables import check_word


@dataclass(frozen=True)
class SweepConfig:
    """Random Dale's-law networks of growing size instead of one network (``[sweep]``).

    For each size ``sizes[k]``, ``samples[k]`` inputs are solved and the first ``[[models]]``
    architecture is trained; ``gain`` is :func:`random_dale_network`'s.
    """

    sizes: list[int] = field(default_factory=lambda: [5, 16, 64, 256])
    samples: list[int] = field(default_factory=lambda: [20_000, 20_000, 5_000, 1_000])
    gain: float = 1.5

    def __post_init__(self) -> None:
        if not self.sizes:
            raise ValueError("sweep.sizes must be a non-empty list of sizes >= 2, got []")
        for k, size in enumerate(self.sizes):
            check_integer(f"sweep.sizes[{k}]", size, 2)
        if len(self.samples) != len(self.sizes):
            raise ValueError(
                f"sweep.samples must give one count per size ({len(self.sizes)}), "
                f"got {self.samples}"
            )
        for k, count in enumerate(self.samples):
            check_integer(f"sweep.samples[{k}]", count, 50)
        check_real("sweep.gain", self.gain, low=0.0, low_open=True)


@dataclass(frozen=True)
class ScaleNetwork:
    """One network of a ``[scale]`` experiment, with its own input distribution and the
    training-set sizes to try (``samples``, each model is trained once per size)."""

    name: str
    network: NetworkConfig = field(default_factory=NetworkConfig)
    data: DataConfig = field(default_factory=DataConfig)
    samples: list[int] = field(default_factory=lambda: [2_000, 10_000, 50_000])
    test_samples: int = 5_000

    def __post_init__(self) -> None:
        check_word("scale.networks.name", self.name)
        if self.network.builder == FILE_BUILDER:
            raise ValueError("scale.networks.network.builder must be a registered builder")
        if not self.samples:
            raise ValueError("scale.networks.samples must list at least one training size")
        for k, count in enumerate(self.samples):
            check_integer(f"scale.networks.samples[{k}]", count, 20)
        check_integer("scale.networks.test_samples", self.test_samples, 10)


@dataclass(frozen=True)
class ScaleConfig:
    """Approximation error against training samples and cost, per family, on several
    networks (``[scale]``; every ``[[models]]`` entry is trained on every network)."""

    networks: list[ScaleNetwork] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.networks:
            raise ValueError("scale.networks must list at least one network")
        names = [n.name for n in self.networks]
        if len(set(names)) != len(names):
            raise ValueError(f"scale.networks names must be unique, got {names}")


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole run: network -> data -> models -> training -> evaluation.

    ``kind`` picks the runner (a key of ``RUNNERS``); by default a ``[sweep]`` table makes
    the run a size sweep over random networks (``"sweep"``), a ``[scale]`` table a scaling
    study of the approximation families (``"scale"``), otherwise it runs one network
    (``"single"``).
    """

    name: str = "competition"
    seed: int = 0
    network: NetworkConfig = field(default_factory=NetworkConfig)
    data: DataConfig = field(default_factory=DataConfig)
    models: list[ModelConfig] = field(
        default_factory=lambda: [
            ModelConfig("paper", [5], epochs=100),
            ModelConfig("wide", [64, 64, 64], epochs=200, batch_size=4096, restarts=1),
            ModelConfig("regions", [64, 64], "regions", epochs=30, batch_size=4096, restarts=1),
        ]
    )
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    sweep: SweepConfig | None = None
    scale: ScaleConfig | None = None
    kind: str | None = None  # a key of RUNNERS; default "sweep" with [sweep], else "single"

    def __post_init__(self) -> None:
        check_word("name", self.name)
        check_integer("seed", self.seed, 0)
        if not self.models:
            raise ValueError("models must list at least one architecture")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"models names must be unique, got {names}")

    @property
    def runner(self) -> str:
        """The key of the runner in ``RUNNERS``: ``kind``, or by default ``"sweep"`` with a
        ``[sweep]`` table, ``"scale"`` with a ``[scale]`` table, ``"single"`` otherwise."""
        if self.kind:
            return self.kind
        return (
            "sweep" if self.sweep is not None else "scale" if self.scale is not None else "single"
        )

    def to_dict(self) -> dict:
        """The config as TOML-ready data (unset optional keys left out)."""
        return _drop_none(dataclasses.asdict(self))


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
