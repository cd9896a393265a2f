"""Experiment configuration: typed, validated, read from TOML (unknown keys rejected)."""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ._network import FORMS

BUILDERS = ("partitioned", "ring", "amplifier", "file")
INPUTS = ("uniform", "bumps", "patterns")
# NetworkConfig fields that only the partitioned builder reads.
_PARTITIONED_ONLY = ("n_partitions", "partition_size", "n_inhibitory", "w_E", "w_I", "bias")
_PARTITIONED_ONLY += ("tau_E", "tau_I")


def _positive_int(where: str, value: int, minimum: int = 1) -> None:
    if value < minimum:
        raise ValueError(f"{where} must be >= {minimum}, got {value}")


def _finite(where: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or (positive and value <= 0):
        kind = "a positive finite number" if positive else "finite"
        raise ValueError(f"{where} must be {kind}, got {value}")


@dataclass(frozen=True)
class NetworkConfig:
    """Which recurrent network: a builder (the paper's partitioned one, a ring, an
    amplifier) or a saved ``.npz``. ``params`` are keyword arguments of
    :func:`ring_network` or :func:`amplifier_network`; the flat fields are the partitioned
    builder's."""

    builder: str = "partitioned"
    n_partitions: int = 2
    partition_size: int = 2
    n_inhibitory: int = 1
    w_E: float = 2.5
    w_I: float = 8.0
    bias: float = 0.0
    tau_E: float = 1.0
    tau_I: float = 0.5
    form: str | None = None  # default "threshold-linear"; with builder = "file": the file's
    path: str | None = None  # builder = "file": a network .npz (relative to the config file)
    partitions: list[list[int]] | None = None  # builder = "file": neuron indices per partition
    params: dict[str, int | float] | None = None  # builder = "ring" or "amplifier"

    def __post_init__(self) -> None:
        if self.builder not in BUILDERS:
            raise ValueError(
                f"network.builder must be one of {list(BUILDERS)}, got {self.builder!r}"
            )
        if self.params is not None and self.builder not in ("ring", "amplifier"):
            raise ValueError(
                f'network.params applies to builder = "ring" or "amplifier", not {self.builder!r}'
            )
        if self.builder != "partitioned":
            for name in _PARTITIONED_ONLY:
                if getattr(self, name) != getattr(NetworkConfig, name):
                    raise ValueError(
                        f'network.{name} applies to builder = "partitioned", not {self.builder!r}'
                    )
        if self.form is not None and self.form not in FORMS:
            raise ValueError(f"network.form must be one of {list(FORMS)}, got {self.form!r}")
        if self.builder == "file" and not self.path:
            raise ValueError('network.path is required when network.builder = "file"')
        for name in ("n_partitions", "partition_size"):
            _positive_int(f"network.{name}", getattr(self, name))
        _positive_int("network.n_inhibitory", self.n_inhibitory, 0)
        for name in ("w_E", "w_I", "bias"):
            _finite(f"network.{name}", getattr(self, name))
        for name in ("tau_E", "tau_I"):
            _finite(f"network.{name}", getattr(self, name), positive=True)


@dataclass(frozen=True)
class DataConfig:
    """Training data: inputs drawn, solved exactly, split by seed.

    ``inputs = "uniform"``: uniform in ``(low, high)^N`` (Muir 2018). ``"bumps"`` or
    ``"patterns"``: :class:`SignalPlusNoise` (amplitude, noise and bump width below).
    """

    n_samples: int = 500_000
    inputs: str = "uniform"
    low: float = -1.0
    high: float = 1.0
    amplitude: list[float] = field(default_factory=lambda: [0.5, 1.5])
    noise: list[float] = field(default_factory=lambda: [0.0, 1.0])
    bump_width: float = 0.5
    split: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    max_time: float = 500.0

    def __post_init__(self) -> None:
        _positive_int("data.n_samples", self.n_samples, 10)
        if self.inputs not in INPUTS:
            raise ValueError(f"data.inputs must be one of {list(INPUTS)}, got {self.inputs!r}")
        for name, minimum in (("amplitude", -math.inf), ("noise", 0.0)):
            pair = getattr(self, name)
            if len(pair) != 2 or not all(math.isfinite(v) for v in pair):
                raise ValueError(f"data.{name} must be two finite numbers, got {pair}")
            if not minimum <= pair[0] <= pair[1]:
                raise ValueError(
                    f"data.{name} must be [low, high] with {minimum} <= low <= high, got {pair}"
                )
        _finite("data.bump_width", self.bump_width, positive=True)
        _finite("data.low", self.low)
        _finite("data.high", self.high)
        if self.low >= self.high:
            raise ValueError(f"data.low must be < data.high, got {self.low} >= {self.high}")
        if len(self.split) != 3 or min(self.split) <= 0 or abs(sum(self.split) - 1) > 1e-9:
            raise ValueError(
                f"data.split must be 3 positive fractions summing to 1, got {self.split}"
            )
        _finite("data.max_time", self.max_time, positive=True)


@dataclass(frozen=True)
class ModelConfig:
    """One feed-forward architecture: hidden layer widths (the output layer is implied).

    Training settings given here override the ``[training]`` table for this model.
    """

    name: str
    hidden: list[int]
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    restarts: int | None = None
    patience: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"models.name must be a non-empty word, got {self.name!r}")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(
                f"models.hidden must be a non-empty list of widths >= 1, got {self.hidden}"
            )
        TrainingConfig(**self.overrides())  # validates the overrides

    def overrides(self) -> dict:
        keys = ("epochs", "batch_size", "learning_rate", "restarts", "patience")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


@dataclass(frozen=True)
class TrainingConfig:
    """Adam training settings passed to :func:`ffapprox.train`."""

    epochs: int = 200
    batch_size: int = 1024
    learning_rate: float = 1e-2
    restarts: int = 4
    patience: int = 50

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "restarts", "patience"):
            _positive_int(f"training.{name}", getattr(self, name))
        _finite("training.learning_rate", self.learning_rate, positive=True)


@dataclass(frozen=True)
class EvaluationConfig:
    sweep_points: int = 201
    boundary_band: float = 0.1
    timing_repeats: int = 3
    timing_inputs: int = 100_000
    # Hidden widths of the classifier predicting whether an input settles; [] turns it off.
    settle_predictor: list[int] = field(default_factory=lambda: [32, 32])
    # Noise levels sigma of the noise-rejection sweep (data.inputs "bumps" or "patterns").
    noise_levels: list[float] = field(default_factory=lambda: [0.05, 0.1, 0.2, 0.4, 0.8, 1.0])
    noise_inputs: int = 1000  # clean signals per noise level

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) and v > 0 for v in self.noise_levels):
            raise ValueError(
                f"evaluation.noise_levels must be finite numbers > 0, got {self.noise_levels}"
            )
        _positive_int("evaluation.noise_inputs", self.noise_inputs)
        if self.settle_predictor and min(self.settle_predictor) < 1:
            raise ValueError(
                "evaluation.settle_predictor must be a list of hidden widths >= 1 (or []), "
                f"got {self.settle_predictor}"
            )
        _positive_int("evaluation.sweep_points", self.sweep_points, 3)
        _finite("evaluation.boundary_band", self.boundary_band, positive=True)
        _positive_int("evaluation.timing_repeats", self.timing_repeats)
        _positive_int("evaluation.timing_inputs", self.timing_inputs)


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
        if not self.sizes or min(self.sizes) < 2:
            raise ValueError(
                f"sweep.sizes must be a non-empty list of sizes >= 2, got {self.sizes}"
            )
        if len(self.samples) != len(self.sizes) or min(self.samples) < 50:
            raise ValueError(
                f"sweep.samples must give one count >= 50 per size ({len(self.sizes)}), "
                f"got {self.samples}"
            )
        _finite("sweep.gain", self.gain, positive=True)


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole run: network -> data -> models -> training -> evaluation."""

    name: str = "competition"
    seed: int = 0
    network: NetworkConfig = field(default_factory=NetworkConfig)
    data: DataConfig = field(default_factory=DataConfig)
    models: list[ModelConfig] = field(
        default_factory=lambda: [
            ModelConfig("paper", [5], epochs=100),
            ModelConfig("wide", [64, 64, 64], epochs=200, batch_size=4096, restarts=1),
        ]
    )
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    sweep: SweepConfig | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(
                f"name must be a non-empty word (letters, digits, - or _), got {self.name!r}"
            )
        _positive_int("seed", self.seed, 0)
        if not self.models:
            raise ValueError("models must list at least one architecture")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"models names must be unique, got {names}")

    def to_dict(self) -> dict:
        return _drop_none(dataclasses.asdict(self))


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _check_type(where: str, value, annotation):
    origin = typing.get_origin(annotation)
    options = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union) and type(None) in options:
        if value is None:
            return None
        (annotation,) = [a for a in options if a is not type(None)]
        origin = typing.get_origin(annotation)
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be a table, got {value!r}")
        (_, item) = typing.get_args(annotation)
        return {k: _check_type(f"{where}.{k}", v, item) for k, v in value.items()}
    if origin in (types.UnionType, typing.Union):  # e.g. int | float inside a table
        if isinstance(value, bool) or not isinstance(value, typing.get_args(annotation)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        (item,) = typing.get_args(annotation)
        return [_check_type(f"{where}[{k}]", v, item) for k, v in enumerate(value)]
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
        raise ValueError(f"{where} must be of type {annotation.__name__}, got {value!r}")
    return value


def _build(cls, data, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'config'} must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValueError(
            f"unknown config key {prefix}{unknown[0]!s}; allowed keys: {', '.join(allowed)}"
        )
    values = {k: _check_type(f"{where}.{k}" if where else k, v, hints[k]) for k, v in data.items()}
    return cls(**values)


def config_from_dict(data: dict) -> ExperimentConfig:
    """Build and validate a config; missing keys take the defaults."""
    return _build(ExperimentConfig, data, "")


def experiments() -> dict[str, str]:
    """The packaged experiments: name -> one-line description (the file's first comment)."""
    found = {}
    for entry in sorted(resources.files("ffapprox").joinpath("configs").iterdir(), key=str):
        if entry.name.endswith(".toml"):
            first = entry.read_text().splitlines()[0]
            found[entry.name[: -len(".toml")]] = first.lstrip("# ").strip()
    return found


def load_config(
    path: str | Path | None = None, *, experiment: str | None = None
) -> tuple[ExperimentConfig, Path | None]:
    """Read a TOML config file, or a packaged experiment (default ``"competition"``).

    Returns the config and the folder relative paths in it refer to.
    """
    if path is None:
        name = experiment or "competition"
        known = experiments()
        if name not in known:
            raise ValueError(f"--experiment must be one of {sorted(known)}, got {name!r}")
        text = resources.files("ffapprox").joinpath(f"configs/{name}.toml").read_text()
        base = None
    else:
        if experiment is not None:
            raise ValueError("give either --config or --experiment, not both")
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"config file {str(path)!r} does not exist")
        text = path.read_text()
        base = path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {err}") from None
    return config_from_dict(data), base
