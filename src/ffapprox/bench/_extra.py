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
INSTALL_HINT = "pip install 'ffapprox[bench]'"


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False


def missing_bench_packages() -> list[str]:
    """The packages of the ``bench`` extra that are not installed."""
    return [name for name in BENCH_PACKAGES if not _installed(name)]


def require_bench_extra(*, skip_missing: bool = False) -> list[str]:
    """The missing packages of the ``bench`` extra; a one-line ``ValueError`` naming the
    extra when some are missing, unless ``skip_missing`` (their rows are then reported as
    unavailable)."""
    missing = missing_bench_packages()
    if missing and not skip_missing:
        raise ValueError(
            f"the benchmark needs the bench extra (missing: {', '.join(missing)}): "
            f"{INSTALL_HINT}, or pass --skip-missing to leave their rows out"
        )
    return missing
