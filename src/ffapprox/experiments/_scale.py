"""The scaling runner (``ffapprox run --experiment scale``): every approximation family on
several networks, error against training samples and against cost per input."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from ..approx import ConvergenceWarning, FeedForwardApproximation, train
from ..common import ProgressFactory, logger, machine_info, throughput
from ..data import check_dataset_memory, generate_dataset
from ..dynamics import RecurrentNetwork, solve_fixed_points
from ._config import ExperimentConfig, ScaleNetwork
from ._metrics import error_metrics
from ._results import DatasetSummary, Outcome, SettleMetrics
from ._scale_results import ScaleNetworkMetrics, ScalePoint, ScaleResult
from ._scale_views import scale_figure
from ._setup import build_inputs, build_network

# Held-out rows of each training set used for validation (early stopping, restarts).
VALIDATION_SHARE = 0.1


class ScaleRunner:
    """Runs ``[scale]``: for each network, one dataset (the largest training size plus
    the test inputs, drawn from the network's own input distribution), then every
    ``[[models]]`` entry trained on the first ``n`` stable rows for each ``n`` of its
    ``samples``, and timed against the exact solver on the same test inputs."""

    def __init__(self, config: ExperimentConfig, base: Path | None) -> None:
        if config.scale is None:
            raise ValueError('kind = "scale" needs a [scale] table')
        self.config = config
        self.networks = {}
        for entry in config.scale.networks:
            network, _ = build_network(entry.network, base)
            sampler = build_inputs(entry.data, entry.network, network.n_neurons)
            check_dataset_memory(max(entry.samples) + entry.test_samples, network.n_neurons)
            self.networks[entry.name] = (entry, network, sampler)

    def run(self, work: Path, progress: ProgressFactory) -> Outcome:
        started = time.perf_counter()
        networks = {
            name: self._network(name, entry, network, sampler, progress)
            for name, (entry, network, sampler) in self.networks.items()
        }
        result = ScaleResult(self.config.name, networks, machine=machine_info())
        result.wall_seconds = time.perf_counter() - started
        last = list(self.networks.values())[-1][1]
        return Outcome(result, {"fig_scale.png": scale_figure(result)}, last)

    def _network(self, name, entry: ScaleNetwork, network, sampler, progress):
        count = max(entry.samples) + entry.test_samples
        logger.info(f"{name}: solving {count} inputs ({entry.data.inputs})")
        with progress(count, name) as update:
            data = generate_dataset(
                network, count, inputs=sampler, seed=self.config.seed,
                max_time=entry.data.max_time, method=entry.data.method, progress=update,
            )  # fmt: skip
        train_rows, test = data.subset(slice(0, max(entry.samples))), data.subset(
            slice(max(entry.samples), count)
        )  # fmt: skip
        stable = test.stable_mask
        solver_rate = throughput(
            lambda u: solve_fixed_points(network, u, method=entry.data.method), test.inputs, 1
        )
        metrics = ScaleNetworkMetrics(
            n_neurons=network.n_neurons, builder=entry.network.builder,
            params=dict(entry.network.params), inputs=entry.data.inputs,
            dataset=DatasetSummary(len(data), data.counts()), n_test=int(stable.sum()),
            solver_fixed_points_per_s=solver_rate,
        )  # fmt: skip
        if not stable.all():
            metrics.settle_predictor = _settle(network, train_rows, test, self.config.seed)
        for spec in self.config.models:
            for n_train in sorted(entry.samples):
                point = self._point(name, spec, network, train_rows, test, n_train, solver_rate)
                if point is not None:
                    metrics.points.append(point)
        return metrics

    def _point(self, name, spec, network, train_rows, test, n_train, solver_rate):
        rows = train_rows.subset(slice(0, n_train))
        if rows.stable_mask.sum() < 20:
            logger.info(f"{name}: {spec.name} on {n_train} samples: too few stable rows")
            return None
        logger.info(f"{name}: training {spec.name} ({spec.family}) on {n_train} samples")
        model = spec.build(network)
        cut = max(1, int(VALIDATION_SHARE * len(rows)))
        settings = spec.settings(self.config.training)
        with warnings.catch_warnings():  # recorded per point instead ("converged")
            warnings.simplefilter("ignore", ConvergenceWarning)
            history = train(
                model, rows.subset(slice(cut, None)), validation=rows.subset(slice(0, cut)),
                seed=self.config.seed, **settings,
            )  # fmt: skip
        stable = test.stable_mask
        inputs, rates = test.inputs[stable], test.rates[stable]
        predicted = model.predict(inputs).astype(np.float64)
        rate = throughput(model.predict, test.inputs, 3)
        point = ScalePoint(
            model=spec.name, family=spec.family, n_train=int(rows.stable_mask.sum()),
            relative_rmse=error_metrics(predicted, rates).relative_rmse, evals_per_s=rate,
            speedup=rate / solver_rate, training_seconds=history.wall_time,
            n_parameters=model.n_parameters, converged=history.converged,
        )  # fmt: skip
        trusted = model.trust(inputs)
        if trusted is not None:
            point.trusted_share = float(trusted.mean())
            if trusted.any():
                point.relative_rmse_trusted = error_metrics(
                    predicted[trusted], rates[trusted]
                ).relative_rmse
        return point


def _settle(network: RecurrentNetwork, train_rows, test, seed: int) -> SettleMetrics:
    """A small classifier of whether an input settles, as the single-network runs train."""
    model = FeedForwardApproximation(network.n_neurons, [32, 32], 1)
    labels = train_rows.stable_mask[:, None].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        train(model, (train_rows.inputs, labels), epochs=40, restarts=1, seed=seed,
              batch_size=1024)  # fmt: skip
    predicted = model.predict(test.inputs)[:, 0] > 0.5
    truth = test.stable_mask
    return SettleMetrics(
        n_test=int(len(truth)), fraction_settling=float(truth.mean()),
        accuracy=float((predicted == truth).mean()),
        recall_settling=float(predicted[truth].mean()) if truth.any() else None,
        recall_not_settling=float((~predicted[~truth]).mean()) if (~truth).any() else None,
        n_settling=int(truth.sum()), n_not_settling=int((~truth).sum()),
    )  # fmt: skip
