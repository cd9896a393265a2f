"""``ffapprox bench`` at tiny sizes, and the Anderson peer against the exact solver."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from ffapprox import RecurrentNetwork, solve_fixed_points
from ffapprox.bench._peers import anderson, fixed_point_map, relative_residual
from ffapprox.cli import main

# The exact solver's answer solves its linear system to rounding error.
EXACT_RESIDUAL = 1e-10
# Anderson stops at relative residual 1e-8; on a contraction with gain <= 0.5 the distance
# to the fixed point is at most residual / (1 - gain), so 1e-7 absolute is ample.
ANDERSON_AGREEMENT = 1e-7
TINY_SIZES = {
    "n_inputs": 40,
    "n_scipy": 3,
    "n_train": 300,
    "epochs": 1,
    "batch_sizes": [1, 10],
    "network_sizes": [5],
    "approx_rows": 1024,
    "bandwidth_bytes": 1 << 20,
    "matmul_size": 64,
    "cap": 1.0,
    "repeats": 1,
}
METHODS = {
    "ffapprox float64",
    "ffapprox float32",
    "scipy solve_ivp RK45, per input",
    "torchdiffeq odeint dopri5, batched",
    "fixed-point iteration",
    "Anderson m=5 (DEQ-style)",
    "torchdeq Anderson m=5",
    "approximation torch float32",
    "approximation onnxruntime",
}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """One tiny bench run with torchdeq hidden, shared by the checks below."""
    out = tmp_path_factory.mktemp("bench")
    patch = pytest.MonkeyPatch()
    patch.setitem(sys.modules, "torchdeq", None)  # import fails as if not installed
    patch.setitem(sys.modules, "torchdeq.solver", None)
    try:
        result = CliRunner().invoke(
            main,
            ["bench", "--quick", "--quiet", "--threads", "1", "--out", str(out),
             "--sizes", json.dumps(TINY_SIZES), "--skip-missing"],
        )  # fmt: skip
        refused = CliRunner().invoke(main, ["bench", "--quick", "--out", str(out / "no")])
    finally:
        patch.undo()
    # Without --skip-missing a missing package of the extra is a one-line error naming it.
    assert refused.exit_code == 2, refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert "torchdeq" in refused.output and "ffapprox[bench]" in refused.output
    assert not (out / "no").exists()
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out, json.loads((out / "bench.json").read_text()), result.output


def test_bench_writes_every_method(bench_run):
    out, results, output = bench_run
    assert {m["name"] for m in results["methods"]} == METHODS
    assert (out / "fig_bench.png").stat().st_size > 0
    assert not list(out.glob(".*"))  # no temporary files left behind
    for key in ("machine", "sizes", "summary", "batch_scaling", "size_scaling", "roofline"):
        assert key in results
    for method in results["methods"]:
        if method["available"]:
            assert method["throughput"] > 0
            assert set(method["accuracy"]) >= {"max_residual", "max_abs_error", "fraction_within"}
            assert set(method["outcomes"]) >= {"converged", "failed"}
    assert "ffapprox float64" in output


def test_exact_solver_is_exact(bench_run):
    _, results, _ = bench_run
    exact = next(m for m in results["methods"] if m["name"] == "ffapprox float64")
    assert exact["accuracy"]["max_residual"] <= EXACT_RESIDUAL
    assert exact["accuracy"]["fraction_within"] == 1.0
    assert exact["outcomes"]["failed"] == 0


def test_missing_peer_is_reported_unavailable(bench_run):
    _, results, output = bench_run
    deq = next(m for m in results["methods"] if m["name"] == "torchdeq Anderson m=5")
    assert deq["available"] is False
    assert deq["unavailable_reason"].startswith("torchdeq unavailable:")
    assert "torchdeq" in results["unavailable"]
    assert "torchdeq unavailable" in output


def test_scaling_and_roofline_are_measured(bench_run):
    _, results, _ = bench_run
    sizes = {(e["method"], e["size"]) for e in results["batch_scaling"]}
    assert sizes == {
        (m, b) for m in ("ffapprox float64", "approximation float32") for b in (1, 10)
    }
    roofline = results["roofline"]
    assert roofline["memory_bandwidth_bytes_per_second"] > 0
    assert roofline["variants"][0]["fraction_of_bandwidth_bound"] > 0


def test_anderson_matches_exact_fixed_point_on_a_contraction(rng):
    n, gain = 8, 0.5
    weights = rng.normal(size=(n, n))
    weights *= gain / np.linalg.norm(weights, 2)
    network = RecurrentNetwork(weights, bias=rng.uniform(-0.2, 0.2, n))
    inputs = torch.as_tensor(rng.uniform(-1, 1, (64, n)))
    g = fixed_point_map(network, inputs)
    result = anderson(g, torch.zeros_like(inputs))
    assert bool(result.converged.all())
    assert float(relative_residual(result.state, g(result.state)).max()) < 1e-8
    exact = solve_fixed_points(network, inputs)
    np.testing.assert_allclose(result.state, exact.state, rtol=0, atol=ANDERSON_AGREEMENT)


def test_anderson_closed_form_without_recurrence():
    drive = torch.tensor([[0.3, -0.7, 1.2]], dtype=torch.float64)
    result = anderson(lambda x: drive.clone(), torch.zeros_like(drive))
    assert bool(result.converged.all())
    torch.testing.assert_close(result.state, drive)


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "gpu"])
def test_bad_device_is_a_one_line_error(device, tmp_path):
    result = CliRunner().invoke(
        main, ["bench", "--quick", "--device", device, "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "--device" in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["bench", "--device", "cuda", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "CUDA is not available" in result.output
