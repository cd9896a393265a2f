"""Input samplers and the noise-rejection measures, against closed forms."""

import numpy as np
import pytest

from ffapprox import RecurrentNetwork, amplifier_patterns
from ffapprox.data import SAMPLE_BLOCK, SignalPlusNoise, UniformInputs, draw_rows
from ffapprox.experiments import angle_error, decode_angle, noise_summary, noise_sweep, snr_db


@pytest.mark.parametrize("kind", ["bump", "pattern"])
def test_rows_do_not_depend_on_how_the_sequence_is_cut(kind, rng):
    patterns = amplifier_patterns(16, 2, pattern_size=4) if kind == "pattern" else None
    sampler = SignalPlusNoise(16, kind, patterns=patterns)
    seed = int(rng.integers(1 << 30))
    full = draw_rows(sampler, SAMPLE_BLOCK + 50, seed=seed)
    start = SAMPLE_BLOCK - int(rng.integers(1, 40))  # the slice crosses a block boundary
    part = draw_rows(sampler, 40, seed=seed, start=start)
    np.testing.assert_array_equal(part, full[start : start + 40])
    assert not np.array_equal(full, draw_rows(sampler, SAMPLE_BLOCK + 50, seed=seed + 1))


def test_noise_free_bumps_peak_at_their_label(rng):
    n = 24
    sampler = SignalPlusNoise(n, "bump", amplitude=(0.5, 1.5), noise=(0.0, 0.0), width=0.4)
    clean, centres, amplitude = sampler.draw_clean(rng, 200)
    np.testing.assert_array_equal(sampler.draw(np.random.default_rng(1), 5), _clean(sampler, 5))
    assert np.all((amplitude >= 0.5) & (amplitude <= 1.5))
    nearest = np.round(centres * n / (2 * np.pi)).astype(int) % n
    np.testing.assert_array_equal(clean.argmax(1), nearest)
    # The population vector of a symmetric bump is its centre, wherever it falls.
    assert angle_error(decode_angle(clean), centres, n).max() < 1e-9


def _clean(sampler, size):
    return sampler.draw_clean(np.random.default_rng(1), size)[0]


def test_input_snr_matches_its_closed_form(rng):
    # Patterns of m ones in N neurons with noise a sigma z: SNR = m / (N sigma^2).
    patterns = amplifier_patterns(40, 4, pattern_size=5)
    sigma = rng.uniform(0.1, 1.0)
    sampler = SignalPlusNoise(40, "pattern", noise=(sigma, sigma), patterns=patterns)
    clean = _clean(sampler, 20_000)
    noisy = sampler.draw(np.random.default_rng(1), 20_000)
    expected = 10 * np.log10(5 / (40 * sigma**2))
    assert abs(snr_db(clean, noisy) - expected) < 0.1  # 0.1 dB: 800,000 noise samples


def test_snr_closed_form_and_limits():
    clean = np.ones((3, 4))
    assert snr_db(clean, clean * 1.1) == pytest.approx(20.0)
    assert snr_db(clean, clean) == np.inf
    assert snr_db(np.zeros((2, 2)), np.ones((2, 2))) == -np.inf


def test_angle_error_wraps_around():
    n = 8
    spacing = 2 * np.pi / n
    error = angle_error(np.array([0.1 * spacing]), np.array([2 * np.pi - 0.2 * spacing]), n)
    assert error == pytest.approx([0.3])


def test_sweep_of_an_uncoupled_network_equals_rectification(rng):
    # W = 0: the fixed point is the input itself, so [i]^+ is an exact "approximation".
    n = 12
    network = RecurrentNetwork(np.zeros((n, n)))
    sampler = SignalPlusNoise(n, "bump")
    levels = [0.1, 0.3, 0.9]
    sweep = noise_sweep(
        network,
        {"relu": lambda u: np.maximum(u, 0)},
        sampler,
        levels,
        n_inputs=50,
        seed=int(rng.integers(1 << 30)),
    )
    np.testing.assert_allclose(sweep.snr_db["relu"], sweep.snr_db["recurrent"], atol=1e-9)
    np.testing.assert_allclose(sweep.position_error["relu"], sweep.position_error["recurrent"])
    flat = sweep.to_json()  # the keys of metrics.json
    np.testing.assert_allclose(flat["relu_snr_db"], flat["recurrent_snr_db"], atol=1e-9)
    summary = noise_summary(sweep, "relu")
    assert summary.snr_gap_db < 1e-9 and summary.position_error_gap < 1e-9
    assert sweep.n_used == [50] * 3
    example = sweep.example
    np.testing.assert_allclose(example.responses["recurrent"], np.maximum(example.input, 0))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "wave"}, "kind must be"),
        ({"noise": (-0.1, 1.0)}, r"noise\[0\] must be a finite number >= 0"),
        ({"amplitude": (2.0, 1.0)}, r"amplitude\[1\] must be a finite number >= 2"),
        ({"width": 0.0}, "width must be"),
        ({"kind": "pattern"}, "patterns must have shape"),
    ],
)
def test_bad_sampler_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SignalPlusNoise(8, **kwargs)


def test_uniform_sampler_checks_bounds():
    with pytest.raises(ValueError, match="low must be < high"):
        UniformInputs(3, 1.0, -1.0)
