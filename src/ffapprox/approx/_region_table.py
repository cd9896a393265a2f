"""Exact region solutions of a small network, and a trained choice among them (family
``"regions"``)."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from ..common import check_integer
from ..dynamics import RecurrentNetwork
from ._base import Approximation, uniform_layers

# 2^N regions are enumerated: networks up to this size.
MAX_NEURONS = 12
# A chosen region counts as trusted when it is the only consistent one, or chosen with
# at least this probability.
TRUST_PROBABILITY = 0.99


def stable_regions(network: RecurrentNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Active sets (S, N) of the network's stable regions and the inverses (S, N, N) of
    their ``M = I - W D``: each region's fixed point is ``x_D = M^-1 (i - b)``."""
    n, weights, tau = network.n_neurons, network.weights, network.tau
    masks, inverses = [], []
    for active in itertools.product((0.0, 1.0), repeat=n):
        mask = np.array(active)
        system = np.eye(n) - weights * mask[None, :]
        jacobian = -system / tau[:, None]
        if abs(np.linalg.det(system)) < 1e-12 or np.linalg.eigvals(jacobian).real.max() >= 0:
            continue
        masks.append(mask)
        inverses.append(np.linalg.inv(system))
    return np.array(masks).reshape(-1, n), np.array(inverses).reshape(-1, n, n)


class RegionTable(Approximation):
    r"""Every stable region's exact fixed point, weighted by a trained choice of basin.

    For a network small enough to list its ``2^N`` active sets ``D``, each stable region
    has the affine fixed point ``x_D(i) = (I - W D)^{-1} (i - b)``, a fixed point of the
    network where its signs match ``D`` (consistent). A ReLU classifier scores the
    regions; among the consistent ones the output is

    .. math::
        \mathrm{out} = \sum_D p_D(i) [x_D(i)]^+,\qquad p = \mathrm{softmax}(\text{scores}
        \text{ of consistent regions}),

    which is exact wherever the classifier is sure, and trained end to end on the MSE. Only
    the basin the dynamics reach from rest is learned; the values are exact. Cost: one
    ``N x (S N)`` product and the classifier.

    Arguments:
        n_inputs: N (at most ``MAX_NEURONS``); n_regions: number of stable regions S.
        hidden: the classifier's hidden widths.

    Build from a network with :meth:`from_network`.
    """

    family = "regions"
    seeded = True

    def __init__(self, n_inputs: int, n_outputs: int | None = None, *, n_regions: int = 1,
                 hidden=(64, 64)) -> None:  # fmt: skip
        super().__init__(n_inputs, n_inputs)
        n = check_integer("n_inputs", n_inputs, 1, MAX_NEURONS)
        self.n_regions = check_integer("n_regions", n_regions)
        self.hidden = tuple(check_integer("hidden", h) for h in hidden)
        self.register_buffer("solutions", torch.zeros(n, self.n_regions * n))
        self.register_buffer("signs", torch.zeros(self.n_regions, n))
        self.register_buffer("bias", torch.zeros(n))
        sizes = (n, *self.hidden, self.n_regions)
        self.classifier = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )

    @classmethod
    def from_network(cls, network: RecurrentNetwork, *, hidden=(64, 64)) -> RegionTable:
        if network.form != "threshold-linear":
            raise ValueError(f"region tables need the threshold-linear form, got {network.form!r}")
        if network.n_neurons > MAX_NEURONS:
            raise ValueError(
                f"region tables list 2^N regions: N must be <= {MAX_NEURONS}, "
                f"got {network.n_neurons}"
            )
        masks, inverses = stable_regions(network)
        model = cls(network.n_neurons, n_regions=len(masks), hidden=hidden)
        n = network.n_neurons
        with torch.no_grad():
            # (i - b) @ solutions gives every region's fixed point side by side.
            model.solutions.copy_(torch.as_tensor(inverses.transpose(2, 0, 1).reshape(n, -1)))
            model.signs.copy_(torch.as_tensor(2 * masks - 1))
            model.bias.copy_(torch.from_numpy(network.bias.copy()))
        return model

    def reseed(self, seed: int) -> None:
        """New random classifier weights (PyTorch's default uniform ranges)."""
        uniform_layers(self.classifier, seed)

    def architecture(self) -> dict:
        return {"n_inputs": self.n_inputs, "n_outputs": self.n_outputs,
                "n_regions": self.n_regions, "hidden": list(self.hidden)}  # fmt: skip

    def _candidates(self, inputs: torch.Tensor):
        fixed = ((inputs - self.bias) @ self.solutions).reshape(-1, self.n_regions, self.n_inputs)
        consistent = (fixed * self.signs >= 0).all(2)
        h = inputs
        for k, layer in enumerate(self.classifier):
            h = layer(h) if k == len(self.classifier) - 1 else torch.relu(layer(h))
        scores = torch.where(consistent, h, torch.full_like(h, -1e9))
        return fixed, consistent, torch.softmax(scores, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        fixed, _, weights = self._candidates(inputs)
        return (weights[:, :, None] * torch.relu(fixed)).sum(1)

    @torch.no_grad()
    def trust_tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        """Inputs with exactly one consistent stable region, or one chosen with probability
        at least ``TRUST_PROBABILITY``."""
        _, consistent, weights = self._candidates(inputs)
        sure = (consistent.sum(1) == 1) | (weights.amax(1) >= TRUST_PROBABILITY)
        return sure & consistent.any(1)
