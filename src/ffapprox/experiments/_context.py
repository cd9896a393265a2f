"""What a single-network run has made so far; the runner and the analyses share it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..approx import Approximation, TrainingHistory
from ..common import ProgressFactory
from ..data import FixedPointDataset
from ..dynamics import RecurrentNetwork
from ._config import ExperimentConfig
from ._results import ModelMetrics, RunResult


@dataclass
class RunContext:
    """Everything a single-network run has made so far; analyses read and add to it."""

    config: ExperimentConfig
    network: RecurrentNetwork
    partitions: list[list[int]]
    sampler: object
    work: Path
    progress: ProgressFactory
    dataset: FixedPointDataset | None = None
    splits: tuple[FixedPointDataset, ...] = ()
    models: dict[str, Approximation] = field(default_factory=dict)
    histories: dict[str, TrainingHistory] = field(default_factory=dict)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    metrics: dict[str, ModelMetrics] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    # Seconds per input of each method (for the cost figure), and what analyses add.
    per_input: dict[str, float] = field(default_factory=dict)
    input_gap: np.ndarray | None = None
    result: RunResult | None = None

    @property
    def test(self) -> FixedPointDataset:
        return self.splits[2]

    @property
    def test_stable(self) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and recurrent rates of the stable test inputs."""
        stable = self.test.stable_mask
        return self.test.inputs[stable], self.test.rates[stable]
