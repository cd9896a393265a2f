"""The tables of an experiment config: network, data, models, training, evaluation."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..approx import FAMILIES, TRAINING_DEFAULTS, TrainingSettings
from ..common import check_choice, check_integer, check_pair, check_real
from ..data import DEFAULT_HIGH, DEFAULT_LOW
from ..dynamics import DEFAULT_MAX_TIME, DEFAULT_METHOD, FORMS, SOLVERS
from ..networks import BUILDERS
from ._metrics import BOUNDARY_BAND
from ._noise import NOISE_INPUTS
from ._probes import SWEEP_POINTS

# network.builder: a key of ffapprox.BUILDERS, or "file" for a saved network.
FILE_BUILDER = "file"
INPUTS = ("uniform", "bumps", "patterns")


def check_word(where: str, value: str) -> str:
    if not value or not value.replace("-", "").replace("_", "").isalnum():
        raise ValueError(
            f"{where} must be a non-empty word (letters, digits, - or _), got {value!r}"
        )
    return value


def _check_widths(where: str, widths: list[int], *, allow_empty: bool = False) -> None:
    if not widths and not allow_empty:
        raise ValueError(f"{where} must be a non-empty list of widths >= 1, got {widths}")
    for k, width in enumerate(widths):
        check_integer(f"{where}[{k}]", width)


@dataclass(frozen=True)
class NetworkConfig:
    """Which recurrent network: a registered builder and its keyword arguments (``params``),
    or a saved ``.npz`` (``builder = "file"``, ``path`` relative to the config file).

    ``partitions`` lists the neuron indices of each competing group; builders that know
    their groups (``"partitioned"``) supply them when it is left out.
    """

    builder: str = "partitioned"
    params: dict[str, object] = field(default_factory=dict)
    form: str | None = None  # default "threshold-linear"; with builder = "file": the file's
    path: str | None = None
    partitions: list[list[int]] | None = None

    def __post_init__(self) -> None:
        check_choice("network.builder", self.builder, [*BUILDERS, FILE_BUILDER])
        if self.form is not None:
            check_choice("network.form", self.form, FORMS)
        if self.builder == FILE_BUILDER:
            if not self.path:
                raise ValueError('network.path is required when network.builder = "file"')
            if self.params:
                raise ValueError('network.params applies to registered builders, not "file"')
        else:
            if self.path is not None:
                raise ValueError(f'network.path applies to builder = "file", not {self.builder!r}')
            BUILDERS[self.builder].build(self.params, "network.params")  # refuse bad params now
        for k, group in enumerate(self.partitions or []):
            if not group or min(group) < 0:
                raise ValueError(
                    f"network.partitions[{k}] must be a non-empty list of neuron indices, "
                    f"got {group}"
                )
        seen = [i for group in self.partitions or [] for i in group]
        if len(seen) != len(set(seen)):
            shared = sorted({i for i in seen if seen.count(i) > 1})
            raise ValueError(
                f"network.partitions must not share neurons, got {self.partitions} "
                f"(neurons {shared} are in more than one)"
            )


@dataclass(frozen=True)
class DataConfig:
    """Training data: inputs drawn, solved exactly, split by seed.

    ``inputs = "uniform"``: uniform in ``(low, high)^N`` (Muir 2018). ``"bumps"`` or
    ``"patterns"``: :class:`SignalPlusNoise` (amplitude, noise and bump width below).
    """

    n_samples: int = 500_000
    inputs: str = "uniform"
    low: float = DEFAULT_LOW
    high: float = DEFAULT_HIGH
    amplitude: list[float] = field(default_factory=lambda: [0.5, 1.5])
    noise: list[float] = field(default_factory=lambda: [0.0, 1.0])
    bump_width: float = 0.5
    split: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    max_time: float = DEFAULT_MAX_TIME
    method: str = DEFAULT_METHOD  # the fixed-point solver, a key of ffapprox.SOLVERS

    def __post_init__(self) -> None:
        check_integer("data.n_samples", self.n_samples, 10)
        check_choice("data.inputs", self.inputs, INPUTS)
        check_pair("data.amplitude", self.amplitude)
        check_pair("data.noise", self.noise, minimum=0.0)
        check_real("data.bump_width", self.bump_width, low=0.0, low_open=True)
        check_real("data.low", self.low)
        check_real("data.high", self.high)
        if self.low >= self.high:
            raise ValueError(f"data.low must be < data.high, got {self.low} >= {self.high}")
        if len(self.split) != 3 or min(self.split) <= 0 or abs(sum(self.split) - 1) > 1e-9:
            raise ValueError(
                f"data.split must be 3 positive fractions summing to 1, got {self.split}"
            )
        check_real("data.max_time", self.max_time, low=0.0, low_open=True)
        check_choice("data.method", self.method, list(SOLVERS))


_TRAINING_KEYS = ("epochs", "batch_size", "learning_rate", "restarts", "patience")


@dataclass(frozen=True)
class TrainingConfig:
    """Adam training settings passed to :func:`ffapprox.train` (its defaults)."""

    epochs: int = TRAINING_DEFAULTS.epochs
    batch_size: int = TRAINING_DEFAULTS.batch_size
    learning_rate: float | None = TRAINING_DEFAULTS.learning_rate  # None: auto, by width
    restarts: int = TRAINING_DEFAULTS.restarts
    patience: int = TRAINING_DEFAULTS.patience

    def __post_init__(self) -> None:
        try:  # the library's own checks, named as config keys
            TrainingSettings(**dataclasses.asdict(self))
        except ValueError as err:
            raise ValueError(f"training.{err}") from None


@dataclass(frozen=True)
class ModelConfig:
    """One approximation: its family (a key of ``ffapprox.FAMILIES``), hidden layer widths
    (the output layer is implied) and the family's other arguments (``params``). Training
    settings given here override the ``[training]`` table for this model."""

    name: str
    hidden: list[int] = field(default_factory=list)  # required for the MLP
    family: str = "mlp"
    params: dict[str, object] = field(default_factory=dict)  # the family's own arguments
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    restarts: int | None = None
    patience: int | None = None

    def __post_init__(self) -> None:
        check_word("models.name", self.name)
        check_choice("models.family", self.family, list(FAMILIES))
        _check_widths("models.hidden", self.hidden, allow_empty=self.family != "mlp")
        TrainingConfig(**self.overrides())  # validates the overrides

    def overrides(self) -> dict:
        return {k: getattr(self, k) for k in _TRAINING_KEYS if getattr(self, k) is not None}

    def build(self, network):
        """A fresh model of this family for ``network``."""
        n = network.n_neurons
        family = FAMILIES[self.family]
        try:
            return family.build(n, n, network=network, hidden=self.hidden, **self.params)
        except (TypeError, ValueError) as err:
            raise ValueError(f"models {self.name!r}: {err}") from None

    def settings(self, training: TrainingConfig) -> dict:
        """Keyword arguments of :func:`ffapprox.train` for this model."""
        return dataclasses.asdict(training) | self.overrides()


@dataclass(frozen=True)
class EvaluationConfig:
    """How the approximations are judged and timed."""

    sweep_points: int = SWEEP_POINTS
    boundary_band: float = BOUNDARY_BAND
    timing_repeats: int = 3
    timing_inputs: int = 100_000
    # Hidden widths of the classifier predicting whether an input settles; [] turns it off.
    settle_predictor: list[int] = field(default_factory=lambda: [32, 32])
    # Noise levels sigma of the noise-rejection sweep (data.inputs "bumps" or "patterns").
    noise_levels: list[float] = field(default_factory=lambda: [0.05, 0.1, 0.2, 0.4, 0.8, 1.0])
    noise_inputs: int = NOISE_INPUTS  # clean signals per noise level
    # Held-out inputs whose distance to the basin boundary is measured (competition only).
    boundary_inputs: int = 2000

    def __post_init__(self) -> None:
        for k, level in enumerate(self.noise_levels):
            check_real(f"evaluation.noise_levels[{k}]", level, low=0.0, low_open=True)
        check_integer("evaluation.noise_inputs", self.noise_inputs)
        check_integer("evaluation.boundary_inputs", self.boundary_inputs, 0)
        _check_widths("evaluation.settle_predictor", self.settle_predictor, allow_empty=True)
        check_integer("evaluation.sweep_points", self.sweep_points, 3)
        check_real("evaluation.boundary_band", self.boundary_band, low=0.0, low_open=True)
        check_integer("evaluation.timing_repeats", self.timing_repeats)
        check_integer("evaluation.timing_inputs", self.timing_inputs)
