"""Training restarts of any approximation family: copies of the module, side by side."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np
import torch


class ModuleEnsemble:
    """``len(seeds)`` copies of ``model`` trained on the raw data (no rescaling: a family
    that reads the network's own weights works in the network's units).

    Families whose initial weights involve no randomness (``model.seeded`` False) train a
    single copy whatever the number of restarts: identical copies would follow one path.
    """

    def __init__(self, model, *, seeds, dtype, device) -> None:
        self.dtype, self.device = dtype, device
        if not getattr(model, "seeded", False):
            seeds = seeds[:1]
        self.members = []
        for seed in seeds:
            member = copy.deepcopy(model).to(device=device, dtype=dtype)
            if getattr(model, "seeded", False):
                member.reseed(int(seed))
            self.members.append(member)
        self.parameters = [p for m in self.members for p in m.parameters() if p.requires_grad]
        self.best = [copy.deepcopy(m.state_dict()) for m in self.members]

    @classmethod
    def for_model(cls, model, init_inputs, init_rates, *, scaling, seeds, dtype, device):
        return cls(model, seeds=seeds, dtype=dtype, device=device)

    def scaled(self, inputs: np.ndarray, rates: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return (
            torch.as_tensor(inputs, dtype=self.dtype, device=self.device),
            torch.as_tensor(rates, dtype=self.dtype, device=self.device),
        )

    def epoch(self, optimizer, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]):
        """One pass of Adam; mean MSE per member over the pass."""
        total = torch.zeros(len(self.members), dtype=self.dtype, device=self.device)
        n_rows = 0
        for x, y in batches:
            errors = torch.stack([(m(x) - y).square().mean() for m in self.members])
            optimizer.zero_grad(set_to_none=True)
            errors.sum().backward()
            optimizer.step()
            total += errors.detach() * len(x)
            n_rows += len(x)
        return (total / max(1, n_rows)).cpu().numpy()

    def validation_loss(self, inputs: torch.Tensor, rates: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            losses = [(m(inputs) - rates).square().mean() for m in self.members]
        return torch.stack(losses).cpu().numpy()

    def keep(self, members: np.ndarray) -> None:
        for k in np.flatnonzero(members):
            self.best[k] = copy.deepcopy(self.members[k].state_dict())

    def load_into(self, model, member: int) -> None:
        model.load_state_dict(self.best[member])
