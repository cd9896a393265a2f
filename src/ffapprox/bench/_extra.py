"""The benchmark's optional dependencies: the ``bench`` extra."""

from __future__ import annotations

import importlib.util

# Import name -> what it is for; all installed by ``pip install 'ffapprox[bench]'``.
BENCH_PACKAGES = {
    "scipy": "per-input ODE peers (solve_ivp), the reference",
    "torchdiffeq": "the batched ODE peer",
    "torchdeq": "the DEQ Anderson peer",
    "onnxruntime": "the ONNX approximation",
}
# Without these the benchmark has no reference to compare with; the others are single
# rows of the table, reported as unavailable when missing.
REQUIRED = ("scipy",)
INSTALL_HINT = "pip install 'ffapprox[bench]'"


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False


def require_bench_extra() -> None:
    """One-line ``ValueError`` naming the extra when a required package is missing."""
    missing = [name for name in REQUIRED if not _installed(name)]
    if missing:
        raise ValueError(f"the benchmark needs {', '.join(missing)}: {INSTALL_HINT}")
