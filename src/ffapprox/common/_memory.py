"""Feasibility before work: refuse what cannot fit in this machine's memory, before
allocating any of it."""

from __future__ import annotations

import os

# Share of the machine's physical memory one array (or one model) may claim.
MEMORY_SHARE = 0.5


def physical_memory() -> int:
    """Bytes of physical memory (a generous constant where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return 1 << 40


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes:.0f} bytes"


def check_memory(what: str, n_bytes: float, hint: str = "") -> None:
    """``ValueError`` naming ``what`` when ``n_bytes`` exceeds ``MEMORY_SHARE`` of memory."""
    limit = MEMORY_SHARE * physical_memory()
    if n_bytes > limit:
        raise ValueError(
            f"{what} would need {_size(n_bytes)} of memory; this machine allows "
            f"{_size(limit)}{'; ' + hint if hint else ''}"
        )


def check_network_size(name: str, n_neurons: int) -> int:
    """``n_neurons``, refused when its weight matrix (and the few copies a build makes)
    cannot fit in memory."""
    check_memory(f"{name} = {n_neurons}: the network's weights", 4 * 8 * n_neurons**2)
    return n_neurons
