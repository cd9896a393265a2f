"""Typed results of a scaling study (``[scale]``), rendered by ``_scale_views``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

from ._results import DatasetSummary, SettleMetrics


@dataclass
class ScalePoint:
    """One model trained on one number of samples, judged on the network's test inputs."""

    model: str
    family: str
    n_train: int
    relative_rmse: float
    evals_per_s: float
    speedup: float
    training_seconds: float
    n_parameters: int
    converged: bool
    trusted_share: float | None = None
    relative_rmse_trusted: float | None = None


@dataclass
class ScaleNetworkMetrics:
    """One network: what the recurrent network does, the solver's cost, every point."""

    n_neurons: int
    builder: str
    params: dict
    inputs: str
    dataset: DatasetSummary
    n_test: int
    solver_fixed_points_per_s: float
    points: list[ScalePoint] = field(default_factory=list)
    settle_predictor: SettleMetrics | None = None


@dataclass
class ScaleResult:
    """A scaling study of the approximation families (``--experiment scale``)."""

    kind: ClassVar[str] = "scale"
    name: str
    networks: dict[str, ScaleNetworkMetrics]
    machine: dict = field(default_factory=dict)
    wall_seconds: float = 0.0

    def to_json(self) -> dict:
        """The content of ``metrics.json``."""
        return {
            "name": self.name,
            "networks": {k: dataclasses.asdict(v) for k, v in self.networks.items()},
            "machine": self.machine,
            "wall_seconds": self.wall_seconds,
        }
