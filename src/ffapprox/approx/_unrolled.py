"""The recurrent network's own dynamics, unrolled into a fixed number of layers.

Family ``"unrolled"`` starts from rest; family ``"predictor-corrector"`` starts from a small
MLP's prediction of the fixed point and corrects it with the same steps.
"""

from __future__ import annotations

import numpy as np
import torch

from ..common import check_choice, check_integer, check_real
from ..dynamics import RecurrentNetwork
from ._base import Approximation, uniform_layers

# A per-input trust flag needs |dx/dt| at the output below this, relative to 1 + max rate.
TRUST_RTOL = 1e-3
STARTS = ("rest", "mlp")


class Unrolled(Approximation):
    r"""``steps`` layers, each one heavy-ball Euler step of the network's own dynamics.

    With ``f(x) = -x + W [x]^+ + i - b`` (threshold-linear form; ``W``, ``b`` the network's,
    frozen) and ``x_0`` the start (rest, or a small MLP's prediction),

    .. math::
        x_{k+1} = x_k + a_k \odot f(x_k) + \beta_k (x_k - x_{k-1}),\qquad
        \mathrm{out} = [x_K]^+,

    where the first ``euler_steps`` layers are plain Euler steps ``a = h / tau`` (the early
    transient decides the basin, so it stays time-accurate) and the others start as
    ``a_k = h / tau``, ``beta_k = momentum``: before training the model is exactly
    ``steps`` steps of an explicit integrator. Training adjusts only the per-neuron steps
    ``a_k`` and the momenta ``beta_k`` (and the start MLP), so every layer keeps the
    network's exact fixed points as fixed points. Cost: ``steps`` products with ``W`` per
    input, whatever the input does.

    Arguments:
        n_inputs: N (the network's size).
        steps: K, the number of layers; step: h (units of tau); momentum: initial beta.
        euler_steps: leading plain Euler layers (not trained).
        start: ``"rest"`` (x_0 = 0) or ``"mlp"`` (x_0 from an MLP with ``hidden`` widths).

    Build from a network with :meth:`from_network`.
    """

    family = "unrolled"
    # Measured: 1e-3 for 4-6 epochs trains the schedule; larger steps push inputs into
    # other basins.
    default_learning_rate = 1e-3

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int | None = None,
        *,
        steps: int = 200,
        step: float = 0.2,
        momentum: float = 0.3,
        euler_steps: int = 20,
        start: str = "rest",
        hidden=(64,),
    ) -> None:
        super().__init__(n_inputs, n_inputs)
        if n_outputs not in (None, n_inputs):
            raise ValueError(f"n_outputs of an unrolled network must be N = {n_inputs}")
        self.steps = check_integer("steps", steps)
        self.step = check_real("step", step, low=0.0, low_open=True)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.euler_steps = check_integer("euler_steps", euler_steps, 0, self.steps)
        self.start = check_choice("start", start, STARTS)
        self.hidden = tuple(check_integer("hidden", h) for h in hidden) if start == "mlp" else ()
        n = self.n_inputs
        for name, shape in (("weights_t", (n, n)), ("bias", (n,)), ("euler", (n,))):
            self.register_buffer(name, torch.zeros(shape))
        trained = self.steps - self.euler_steps
        self.rates = torch.nn.Parameter(torch.zeros(trained, n))
        self.momenta = torch.nn.Parameter(torch.full((trained,), self.momentum))
        if self.start == "mlp":
            sizes = (n, *self.hidden, n)
            self.predictor = torch.nn.ModuleList(
                torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )

    @property
    def seeded(self) -> bool:
        """Whether the initial weights are random (the start MLP's hidden layers)."""
        return self.start == "mlp"

    def reseed(self, seed: int) -> None:
        """New random hidden layers of the start MLP (its output layer stays zero)."""
        uniform_layers(self.predictor[:-1], seed)

    @classmethod
    def from_network(cls, network: RecurrentNetwork, **options) -> Unrolled:
        """The model for ``network`` (threshold-linear form), at its initial schedule."""
        if network.form != "threshold-linear":
            raise ValueError(
                f"unrolled models need the threshold-linear form, got {network.form!r}"
            )
        model = cls(network.n_neurons, **options)
        step = model.step / network.tau
        with torch.no_grad():
            model.weights_t.copy_(torch.from_numpy(network.weights.T.copy()))
            model.bias.copy_(torch.from_numpy(network.bias.copy()))
            model.euler.copy_(torch.as_tensor(step))
            model.rates.copy_(torch.as_tensor(np.tile(step, (len(model.rates), 1))))
            if model.start == "mlp":
                model.predictor[-1].weight.zero_()  # starts from rest until trained
                model.predictor[-1].bias.zero_()
        return model

    def architecture(self) -> dict:
        return {
            "n_inputs": self.n_inputs, "n_outputs": self.n_outputs, "steps": self.steps,
            "step": self.step, "momentum": self.momentum, "euler_steps": self.euler_steps,
            "start": self.start, "hidden": list(self.hidden),
        }  # fmt: skip

    def _start(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.start == "rest":
            return inputs * 0.0  # keeps the batch axis dynamic in an ONNX export
        h = inputs
        for k, layer in enumerate(self.predictor):
            h = layer(h) if k == len(self.predictor) - 1 else torch.relu(layer(h))
        return h

    def iterate(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The last two states ``(x_K, x_{K-1})``."""
        drive = inputs - self.bias
        x = previous = self._start(inputs)
        for k in range(self.steps):
            field = torch.relu(x) @ self.weights_t + drive - x
            if k < self.euler_steps:
                previous, x = x, x + self.euler * field
                continue
            j = k - self.euler_steps
            moved = x + self.rates[j] * field
            if k > self.euler_steps:
                moved = moved + self.momenta[j] * (x - previous)
            previous, x = x, moved
        return x, previous

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.iterate(inputs)[0])

    @torch.no_grad()
    def trust_tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        """Inputs whose output is, to ``TRUST_RTOL``, a fixed point of the network reached
        without a change of active set in the last layer. Not caught: an input carried into
        another basin, whose output is then a genuine fixed point of the wrong attractor."""
        x, previous = self.iterate(inputs)
        field = torch.relu(x) @ self.weights_t + (inputs - self.bias) - x
        small = field.abs().amax(1) <= TRUST_RTOL * (1.0 + torch.relu(x).amax(1))
        return small & ((x > 0) == (previous > 0)).all(1)


class PredictorCorrector(Unrolled):
    """An MLP's prediction of the fixed point, corrected by ``steps`` unrolled steps of the
    network's own dynamics (family ``"predictor-corrector"``; see :class:`Unrolled`)."""

    family = "predictor-corrector"

    def __init__(self, n_inputs: int, n_outputs: int | None = None, *, steps: int = 60,
                 step: float = 0.2, momentum: float = 0.3, euler_steps: int = 0,
                 start: str = "mlp", hidden=(128, 128)) -> None:  # fmt: skip
        super().__init__(
            n_inputs, n_outputs, steps=steps, step=step, momentum=momentum,
            euler_steps=euler_steps, start=start, hidden=hidden,
        )  # fmt: skip
