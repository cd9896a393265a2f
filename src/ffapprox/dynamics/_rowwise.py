"""Row-wise linear algebra: each row's result is independent of the other rows of a batch.

BLAS ``gemm`` may change its summation order with the number of rows, so the region work
of the adaptive method (fixed points, certificates) uses these kernels instead: a row's
result is then bitwise the same in any batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

# Elements of gathered (R, N, N) temporaries kept at once, bounding memory for large N.
MATRIX_ELEMENTS = 1 << 24


def batched_mv(matrices: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """``matrices[r] @ vectors[r]`` for every row: (R, M, K) and (R, K) -> (R, M), as a
    reduction over the last dimension."""
    return (matrices * vectors[:, None, :]).sum(-1)


def rowwise_mm(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``x @ matrix`` for x (R, K) and matrix (K, M), one row at a time -> (R, M)."""
    r = x.shape[0]
    return torch.bmm(x[:, None, :], matrix.expand(r, *matrix.shape))[:, 0]


def row_chunks(count: int, per_row: int) -> Iterator[slice]:
    """Slices of ``range(count)`` holding about ``MATRIX_ELEMENTS / per_row`` rows each."""
    step = max(1, MATRIX_ELEMENTS // max(per_row, 1))
    for start in range(0, count, step):
        yield slice(start, min(count, start + step))


def unique_first(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted unique values of a 1-d tensor and the index of the first occurrence of each."""
    unique, inverse = torch.unique(values, return_inverse=True)
    first = torch.full((len(unique),), len(values), dtype=torch.int64, device=values.device)
    positions = torch.arange(len(values), device=values.device)
    first.scatter_reduce_(0, inverse, positions, reduce="amin")
    return unique, first


# SIMD width (elements) that every length is padded to by position_invariant.
_SIMD_BLOCK = 64
# Slices short enough for one thread, so that no slice boundary falls inside a SIMD block.
_SIMD_SLICE = 1 << 14


def position_invariant(function, values: torch.Tensor) -> torch.Tensor:
    """``function(values)`` for an elementwise ``function`` of a 1-d tensor, each element's
    result independent of its position.

    On CPU the vectorised (SIMD) and the scalar tail loops of functions such as ``pow``
    differ in the last bit; padding to whole SIMD blocks puts every element through the
    vectorised loop.
    """
    count = values.numel()
    padded_count = -(-count // _SIMD_BLOCK) * _SIMD_BLOCK
    padded = torch.ones(padded_count, dtype=values.dtype, device=values.device)
    padded[:count] = values
    out = torch.empty_like(padded)
    for start in range(0, padded_count, _SIMD_SLICE):
        part = slice(start, start + _SIMD_SLICE)
        out[part] = function(padded[part])
    return out[:count]


def modulus(z: torch.Tensor) -> torch.Tensor:
    """``|z|`` of a complex tensor as ``sqrt(re^2 + im^2)`` (exactly rounded operations, so
    position-invariant unlike the SIMD complex ``abs``; finite for ``|z| < 1e154``)."""
    return torch.view_as_real(z).square().sum(-1).sqrt()
