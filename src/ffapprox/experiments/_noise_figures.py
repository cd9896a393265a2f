"""Figures of the noise experiments: SNR and decoded position against input SNR, and one
example input with the responses to it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ._figures import PARTITION_COLOURS
from ._noise import NoiseExample, NoiseSweep


def _against_methods(ax, x, curves: dict[str, list], models: Sequence[str]) -> None:
    """``curves[method]`` against ``x``: recurrent in black, models coloured."""
    ax.plot(x, curves["recurrent"], "k-o", lw=2, ms=4, label="recurrent (exact)")
    for k, name in enumerate(models):
        colour = PARTITION_COLOURS[k % len(PARTITION_COLOURS)]
        ax.plot(x, curves[name], "--s", color=colour, ms=4, label=name)
    ax.set_xlabel("input SNR (dB)")
    ax.legend(fontsize=8, frameon=False)


def noise_figure(sweep: NoiseSweep, models: Sequence[str]) -> Figure:
    """Output against input SNR per method; for bumps also the decoded position error."""
    bump = sweep.position_error is not None
    fig = Figure(figsize=(11.0 if bump else 5.5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2 if bump else 1, squeeze=False)[0]
    snr_in = np.array(sweep.input_snr_db)
    axes[0].plot(snr_in, snr_in, color="0.6", ls=":", label="no change (input)")
    _against_methods(axes[0], snr_in, sweep.snr_db, models)
    axes[0].set_ylabel("output SNR (dB)")
    axes[0].set_title("Noise rejection: above the dotted line = cleaner output")
    if bump:
        ax = axes[1]
        ax.plot(snr_in, sweep.position_error["input"], ":o", color="0.5", ms=4, label="input")
        _against_methods(ax, snr_in, sweep.position_error, models)
        ax.set_yscale("log")
        ax.set_ylabel("decoded position error (neuron spacings, mean)")
        ax.set_title("Bump position decoded by population vector")
    return fig


def example_figure(example: NoiseExample, models: Sequence[str]) -> Figure:
    """One noisy input and each method's response to it, neuron by neuron."""
    fig = Figure(figsize=(8.0, 4.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    neurons = np.arange(len(example.input))
    top.bar(neurons, example.input, color="0.75", label="noisy input")
    top.plot(neurons, example.clean, "k-", lw=1.5, label="clean signal")
    top.set_ylabel("input")
    top.set_title(f"One input at noise level sigma = {example.noise:g} and the responses")
    top.legend(fontsize=8, frameon=False)
    bottom.plot(
        neurons, example.responses["recurrent"], "k-o", lw=2, ms=3, label="recurrent (exact)"
    )
    for k, name in enumerate(models):
        colour = PARTITION_COLOURS[k % len(PARTITION_COLOURS)]
        bottom.plot(neurons, example.responses[name], "--s", color=colour, ms=3, label=name)
    bottom.set_xlabel("neuron")
    bottom.set_ylabel("rate [x]^+")
    bottom.legend(fontsize=8, frameon=False)
    return fig
