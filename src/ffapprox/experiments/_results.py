"""Typed results of a run; ``metrics.json``, the report and the command-line summary are
rendered from these (each in one place)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, Protocol

from matplotlib.figure import Figure

from ..dynamics import RecurrentNetwork
from ._boundary import BoundaryBand
from ._noise import NoiseSummary, NoiseSweep


def percent(value: float | None) -> str:
    """``12.34%``, or a dash for a figure that does not exist."""
    return "-" if value is None else f"{value:.2%}"


def _flat(record) -> dict:
    """A record's fields as a dict, leaving out optional fields that are unset."""
    return {k: v for k, v in dataclasses.asdict(record).items() if v is not None}


@dataclass(frozen=True)
class CompetitionMetrics:
    """Winner agreement between the recurrent network and an approximation (see
    :func:`competition_metrics`)."""

    fraction_with_winner: float
    winner_agreement: float
    winner_agreement_near_boundary: float
    n_near_boundary: int
    silent_agreement: float
    ideal_rule_agreement_recurrent: float
    ideal_rule_agreement_approximation: float
    # The mixture sweep (Fig. 2b): share of mixtures with the recurrent network's winner,
    # and the largest partition-rate error as a share of the largest recurrent rate.
    mixture_winner_agreement: float | None = None
    mixture_max_error: float | None = None


@dataclass(frozen=True)
class OscillationComparison:
    """An approximation against the time-averaged activity on oscillating inputs."""

    n_test_oscillating: int
    oscillating_rmse_to_time_average: float
    oscillating_relative_rmse_to_time_average: float


@dataclass(frozen=True)
class SolverSummary:
    """The data and the exact solver's cost, common to every model of a run."""

    n_train: int
    n_validation: int
    n_test: int
    status_fractions: dict[str, float]
    solver_steps_p50: float
    solver_steps_p99: float
    solver_fixed_points_per_s: float


@dataclass
class ModelMetrics:
    """One approximation on the held-out stable inputs, with what each analysis added."""

    hidden: list[int]
    n_inputs: int
    n_outputs: int
    n_parameters: int
    rmse: float
    relative_rmse: float
    approximation_evals_per_s: float
    speedup: float
    best_validation_loss: float
    training_seconds: float
    training_converged: bool
    family: str = "mlp"
    # Families that flag inputs whose output they can vouch for (see Approximation.trust).
    trusted_share: float | None = None
    relative_rmse_trusted: float | None = None
    relative_rmse_untrusted: float | None = None
    competition: CompetitionMetrics | None = None
    noise: NoiseSummary | None = None
    oscillating: OscillationComparison | None = None
    # Error by distance to the recurrent network's basin boundary (competing partitions).
    boundary_bands: list[BoundaryBand] | None = None

    def block(self, solver: SolverSummary) -> dict:
        """The model's flat entry of ``metrics.json`` (solver figures repeated in it)."""
        parts = {k: getattr(self, k) for k in ("competition", "noise", "oscillating")}
        own = {k: v for k, v in _flat(self).items() if k not in parts}
        for part in parts.values():
            if part is not None:
                own.update(_flat(part))
        return _flat(solver) | own


@dataclass(frozen=True)
class SettleMetrics:
    """The classifier of whether an input settles, on held-out inputs."""

    n_test: int
    fraction_settling: float
    accuracy: float
    recall_settling: float | None  # None without such inputs
    recall_not_settling: float | None
    n_settling: int = 0
    n_not_settling: int = 0

    def recall_text(self) -> str:
        """``96.00% of 25 settling, 75.00% of 4 non-settling inputs`` (counts shown, so
        that a 100 % of four is read as what it is)."""
        parts = []
        for recall, count, kind in (
            (self.recall_settling, self.n_settling, "settling"),
            (self.recall_not_settling, self.n_not_settling, "non-settling"),
        ):
            parts.append(
                f"no {kind} inputs" if recall is None else f"{recall:.2%} of {count} {kind}"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class NetworkSummary:
    n_neurons: int
    form: str
    fingerprint: str
    partitions: list[list[int]]


@dataclass(frozen=True)
class DatasetSummary:
    n_samples: int
    counts: dict[str, int]

    @property
    def stable_fraction(self) -> float:
        return self.counts["stable"] / max(1, self.n_samples)


@dataclass
class RunResult:
    """A single-network run (``competition``, ``capacity``, ``ring``, ``noise-rejection``,
    or a user's network)."""

    kind: ClassVar[str] = "single"

    name: str
    network: NetworkSummary
    dataset: DatasetSummary
    solver: SolverSummary
    models: dict[str, ModelMetrics]
    noise_sweep: NoiseSweep | None = None
    settle_predictor: SettleMetrics | None = None
    machine: dict = field(default_factory=dict)
    wall_seconds: float = 0.0

    def to_json(self) -> dict:
        """The content of ``metrics.json``."""
        return {
            "name": self.name,
            "settle_predictor": self.settle_predictor,
            "network": self.network,
            "dataset": self.dataset,
            "models": {name: m.block(self.solver) for name, m in self.models.items()},
            "noise_sweep": None if self.noise_sweep is None else self.noise_sweep.to_json(),
            "machine": self.machine,
            "wall_seconds": self.wall_seconds,
        }


@dataclass
class SizeMetrics:
    """One size of a size sweep; the approximation fields are unset when the size had
    too few stable inputs to train on (``skipped`` says why)."""

    n_neurons: int
    hidden: list[int]
    n_samples: int
    status_fractions: dict[str, float]
    solver_steps_p50: float
    solver_steps_p99: float
    solver_fixed_points_per_s: float
    rmse: float | None = None
    relative_rmse: float | None = None
    approximation_evals_per_s: float | None = None
    speedup: float | None = None
    approximation_evals_per_s_stable: float | None = None
    approximation_evals_per_s_not_stable: float | None = None
    skipped: str | None = None

    @property
    def fitted(self) -> bool:
        return self.relative_rmse is not None


@dataclass(frozen=True)
class SweepNetwork:
    builder: str
    gain: float
    sizes: list[int]


@dataclass
class SweepResult:
    """A size sweep over random networks (``--experiment random``)."""

    kind: ClassVar[str] = "sweep"

    name: str
    network: SweepNetwork
    dataset: DatasetSummary
    sizes: dict[str, SizeMetrics]
    machine: dict = field(default_factory=dict)
    wall_seconds: float = 0.0

    def to_json(self) -> dict:
        """The content of ``metrics.json`` (the sizes under ``models``, as before)."""
        return {
            "name": self.name,
            "network": self.network,
            "dataset": self.dataset,
            "models": {key: _flat(size) for key, size in self.sizes.items()},
            "settle_predictor": None,
            "machine": self.machine,
            "wall_seconds": self.wall_seconds,
        }


class ExperimentResult(Protocol):
    """What every runner's result has: its ``kind`` (the key in ``RUNNERS``), name, machine,
    duration and the content of ``metrics.json``."""

    kind: ClassVar[str]
    name: str
    machine: dict
    wall_seconds: float

    def to_json(self) -> dict: ...


class Outcome(NamedTuple):
    """What a runner hands back: the typed result, its figures by file name, and the
    network the report shows (the largest one for a sweep)."""

    result: ExperimentResult
    figures: dict[str, Figure]
    network: RecurrentNetwork
