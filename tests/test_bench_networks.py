"""The large-network benchmark's judging: polish, reference agreement, ratio rules."""

import numpy as np
from conftest import integrate_reference

from ffapprox import solve_fixed_points
from ffapprox.bench._network_tables import summary_table
from ffapprox.bench._networks import best_settings
from ffapprox.bench._reference import judge, polish
from ffapprox.networks import random_dale_network


def test_polish_of_a_near_state_is_the_exact_fixed_point(rng):
    network = random_dale_network(12, seed=int(rng.integers(1 << 16)))
    inputs = rng.uniform(-1, 1, (4, 12))
    near = integrate_reference(network, inputs, 200.0)
    polished = polish(network, inputs, near)
    exact = solve_fixed_points(network, inputs)
    stable = exact.status.numpy() == 0
    assert polished.consistent[stable].all() and (polished.max_real[stable] < 0).all()
    np.testing.assert_allclose(polished.state[stable], exact.state.numpy()[stable], atol=1e-10)
    report = judge(network, inputs, polished.state, stable, {
        "state": np.where(stable[:, None], exact.state.numpy(), np.nan),
        "status": exact.status.numpy(),
    })  # fmt: skip
    assert report["status_agreement"] == 1.0 and report["other_basin"] == 0
    assert report["max_residual"] <= 1e-10


def _entry(family, rate, agreement=1.0, basin=0):
    accuracy = {"status_agreement": agreement, "other_basin": basin}
    return {"family": family, "per_s_cpu": rate, "per_s_wall": rate, "accuracy": accuracy}


def test_a_peer_is_compared_at_its_fastest_matching_setting_or_not_at_all():
    entries = {
        "ffapprox adaptive": _entry("ffapprox adaptive", 100.0),
        "scipy RK45 A": _entry("scipy RK45", 50.0, agreement=0.9),  # fast but wrong
        "scipy RK45 C": _entry("scipy RK45", 10.0),
        "diffrax Tsit5 A": _entry("diffrax Tsit5", 80.0, basin=1),  # another basin once
    }
    best = best_settings(entries)
    assert best["scipy RK45"] == "scipy RK45 C" and best["diffrax Tsit5"] is None
    result = {"network": "x", "n_neurons": 3, "n_inputs": 2, "methods": entries, "best": best}
    row = summary_table([result]).splitlines()[-1]
    assert "10x" in row and "no setting matched" in row and "not run" in row
