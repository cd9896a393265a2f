"""Parts of the "adaptive" method on small networks: each changes speed, never answers.

The region cache's paths for large networks (LU factors, byte keys, clearing when full),
the Lyapunov certificate and the mixed-precision products are switched on here for small
networks by lowering their thresholds; every variant must give the default's statuses
and fixed points.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ffapprox import RecurrentNetwork, Status, solve_fixed_points
from ffapprox.dynamics import (
    Acceptance,
    AdaptiveMethod,
    Dynamics,
    SolverOptions,
    _acceptance,
    _adaptive,
    _eigen_certificate,
    _lyapunov_certificate,
    _region_cache,
)
from ffapprox.dynamics._products import MixedPrecisionField
from ffapprox.networks import random_dale_network

EXACT_TOL = 1e-12
MAX_TIME = 300.0


@pytest.fixture(params=["threshold-linear", "rectified-recurrent"])
def case(request, rng):
    """A network (Dale, or a contraction for the rectified-recurrent form), inputs and
    the default answers."""
    n = 12
    if request.param == "threshold-linear":
        network = random_dale_network(n, gain=1.0, seed=int(rng.integers(1 << 16)))
    else:
        weights = rng.normal(size=(n, n))
        weights *= 0.9 / np.abs(weights).sum(1).max()
        network = RecurrentNetwork(weights, tau=rng.uniform(0.5, 2.0, n), form=request.param)
    inputs = rng.uniform(-1, 1, (16, n))
    return network, inputs, solve_fixed_points(network, inputs, max_time=MAX_TIME)


def _method(network) -> AdaptiveMethod:
    options = SolverOptions.checked(torch.float64, None, None, MAX_TIME, None)
    return AdaptiveMethod(Dynamics(network, torch.float64, None), options)


def _run(method: AdaptiveMethod, network, inputs):
    drive = torch.as_tensor(inputs) - method.dyn.bias
    return method(drive, torch.zeros_like(drive))


def _assert_same_answers(result, default) -> None:
    assert torch.equal(result.status, default.status)
    torch.testing.assert_close(result.state, default.state, rtol=0, atol=EXACT_TOL, equal_nan=True)


def test_lu_factors_and_byte_keys(case, monkeypatch):
    network, inputs, default = case
    monkeypatch.setattr(_region_cache, "DENSE_MAX_NEURONS", 0)
    monkeypatch.setattr(_region_cache, "LOOKUP_MAX_NEURONS", 0)
    result = solve_fixed_points(network, inputs, max_time=MAX_TIME)
    _assert_same_answers(result, default)
    assert torch.equal(result.accepted_by, default.accepted_by)


def test_a_full_cache_is_cleared(case):
    network, inputs, default = case
    method = _method(network)
    cleared = []
    method.accept.cache.on_clear(lambda: cleared.append(True))
    method.accept.cache.capacity = 2
    method.accept.eigen.capacity = 2
    result = _run(method, network, inputs)
    _assert_same_answers(result, default)
    assert cleared


def test_lyapunov_certificate_on_a_small_network(rng, monkeypatch):
    network = random_dale_network(16, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (16, 16))
    default = solve_fixed_points(network, inputs, max_time=MAX_TIME)
    # Regions of more than 2 active neurons get the ellipsoid, from 4 in float32.
    for module in (_acceptance, _adaptive, _eigen_certificate, _lyapunov_certificate):
        monkeypatch.setattr(module, "EIGEN_MAX_ACTIVE", 2)
    monkeypatch.setattr(_lyapunov_certificate, "FLOAT32_MIN_NEURONS", 4)
    method = _method(network)
    result = _run(method, network, inputs)
    _assert_same_answers(result, default)
    assert method.accept.lyapunov.data  # some regions got a verified ellipsoid
    stable = result.status == Status.STABLE
    assert (result.accepted_by[stable] == Acceptance.CERTIFIED).sum() >= 8


def test_mixed_precision_products(rng):
    network = random_dale_network(16, gain=1.0, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (16, 16))
    default = solve_fixed_points(network, inputs, max_time=MAX_TIME)
    method = _method(network)
    method.field = method.integrator.field = MixedPrecisionField(method.dyn)
    result = _run(method, network, inputs)
    _assert_same_answers(result, default)
