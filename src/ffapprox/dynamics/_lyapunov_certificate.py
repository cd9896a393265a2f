"""Stability verdicts of regions, and a verified Lyapunov-ellipsoid certificate for large ones."""

from __future__ import annotations

import math

import torch

from ._eigen_certificate import EIGEN_MAX_ACTIVE
from ._region_cache import RegionCache
from ._rowwise import unique_first

# Cayley powers: stop squaring once sqrt(||C^m||_1 ||C^m||_inf) is below this ...
CAYLEY_TARGET = 0.7
MAX_SQUARINGS = 40
# ... computed in float32 for blocks of at least this many neurons (float64 confirms).
FLOAT32_MIN_NEURONS = 64
# Unit roundoff of float64 (rounded up), for the rounding margin of the verification.
UNIT_ROUNDOFF = 1.2e-16
# Relative inflation of the gains for the rounding of e^T P e.
GAIN_ROUNDING = 1e-8
# Estimated error of a refined x*, relative to 1 + max|x*| (not a proven bound).
FIXED_POINT_ERROR = 1e-12


class LyapunovCertificate:
    r"""Stability verdict of every region, and ellipsoid data for large stable ones.

    Regions with at most ``EIGEN_MAX_ACTIVE`` active neurons are judged by their computed
    eigenvalues (which also give the margin). Larger ones by the Cayley transform
    ``C = (I - hA)^-1 (I + hA)`` (``h = tau_min``): every eigenvalue of ``A`` has negative
    real part iff ``rho(C) < 1``, and ``rho(C) <= ||C^m||_2 <=
    sqrt(||C^m||_1 ||C^m||_inf)``; ``C`` is squared until that is at most ``CAYLEY_TARGET``
    (float32 from ``FLOAT32_MIN_NEURONS`` neurons, where only a float64 check below or the
    float64 eigenvalues may then call the region stable).

    Certificate (threshold-linear): on the way the discrete Gramian is accumulated by Smith
    doubling, ``P <- P + (C^m)^T P C^m``, so that ``C^T P C - P = -(I - C^mT C^m) < 0``
    and hence ``A^T P + P A = -(1/2h) B^T (I - C^mT C^m) B < 0`` (``B = I - hA``). This is
    verified in float64: with ``Z = A^T P + P A`` and the Rump-style rounding margin
    ``m = 4 (k + 2) u (2 ||A||_F ||P||_F + ||Z||_F)``, Cholesky factorisations of
    ``-Z - m I`` and ``P - m' I`` (``m' = 4 (k + 2) u ||P||_F``) must succeed. Then
    ``V(e) = e^T P e`` never increases along the region's flow, so while a row stays

        ``|e_j(t)| <= sqrt(V(e_0)) g_j``, ``g_j = sqrt((P^-1)_jj)`` (active ``j``),
        ``|(W_US e_S(t))_j| <= sqrt(V(e_0)) sqrt(w_j^T P^-1 w_j)``, ``w_j = W_{j,S}``,

    with the gains taken from ``(P - m' I)^-1 >= P^-1`` (conservative). As for the eigen
    certificate, the row is certified when ``x*_j`` minus its bound is positive (active)
    and ``x*_j`` plus its bound is negative with ``x_j(0) <= 0`` (inactive, effective):
    it can never leave the region. The error of ``x*`` itself enters the bounds as the
    estimate ``FIXED_POINT_ERROR (1 + |x*|)``, not as a proven bound.
    """

    def __init__(self, cache: RegionCache) -> None:
        self.cache = cache
        self.h = float(cache.tau.min())
        self.data: dict[int, tuple] = {}
        self.tried: set[int] = set()
        cache.on_clear(self.clear)

    def clear(self) -> None:
        self.data.clear()
        self.tried.clear()

    def ensure_stability(self, slots, active, build) -> None:
        """Stability verdict (and margin, where eigenvalues are computed) of every slot of
        ``slots`` (R,) not judged yet; ``build`` (R,) asks for certificate data, computed
        once per slot."""
        cache = self.cache
        stable = cache.arrays["stable"]
        unique, first = unique_first(slots)
        for slot, j in zip(unique.tolist(), first.tolist(), strict=True):
            wanted = bool(build[j]) and cache.threshold_linear and slot not in self.tried
            if stable[slot] >= 0 and not (wanted and stable[slot] == 1):
                continue
            a, index = cache.jacobian_block(active[j])
            verdict = -1
            if a.shape[0] > EIGEN_MAX_ACTIVE:
                if wanted:
                    self.tried.add(slot)
                verdict = self._cayley(slot, active[j], a, index, wanted)
            if stable[slot] >= 0:
                continue
            if verdict < 0:
                margin = cache.inactive_margin(active[j][None])[0]
                if a.shape[0]:
                    margin = torch.maximum(torch.linalg.eigvals(a).real.amax(), margin)
                cache.arrays["margin"][slot] = margin
                verdict = int(margin < 0)
            stable[slot] = verdict

    def lacking(self, slots: torch.Tensor) -> bool:
        """Whether some slot of ``slots`` has neither certificate data nor been tried."""
        return any(s not in self.data and s not in self.tried for s in slots.tolist())

    def _cayley(self, slot: int, active, a: torch.Tensor, index, build: bool) -> int:
        """Verdict 1 (stable), 0 (unstable) or -1 (undecided) from the Cayley powers."""
        k = a.shape[0]
        dtype = torch.float32 if k >= FLOAT32_MIN_NEURONS else torch.float64
        eye = torch.eye(k, dtype=dtype, device=a.device)
        lu, pivots, info = torch.linalg.lu_factor_ex(eye - self.h * a.to(dtype))
        if int(info) != 0:
            return -1
        c = torch.linalg.lu_solve(lu, pivots, 2 * eye) - eye
        p = eye.clone() if build else None
        verdict = -1
        for _ in range(MAX_SQUARINGS):
            norm_1 = float(c.abs().sum(0).max())
            norm_inf = float(c.abs().sum(1).max())
            if not (math.isfinite(norm_1) and math.isfinite(norm_inf)):
                return 0
            if min(norm_1, norm_inf) > 1e30:
                return 0
            if math.sqrt(norm_1 * norm_inf) <= CAYLEY_TARGET:
                verdict = 1
                break
            if p is not None:
                p = p + c.T @ (p @ c)
            c = c @ c
        if verdict == 1 and p is not None:
            return 1 if self._verify(slot, active, a, index, p.to(torch.float64)) else -1
        return -1 if dtype == torch.float32 else verdict

    def _verify(self, slot: int, active, a, index, p) -> bool:
        """Check ``A^T P + P A < 0`` and ``P > 0`` in float64 (see the class); on success
        store the slot's gains."""
        cache, k = self.cache, a.shape[0]
        p = 0.5 * (p + p.T)
        pa = p @ a
        z = pa + pa.T
        norm_p = float(torch.linalg.matrix_norm(p))
        margin = (
            4
            * (k + 2)
            * UNIT_ROUNDOFF
            * (
                2 * float(torch.linalg.matrix_norm(a)) * norm_p
                + float(torch.linalg.matrix_norm(z))
            )
        )
        eye = torch.eye(k, dtype=torch.float64, device=a.device)
        _, info_z = torch.linalg.cholesky_ex(-z - margin * eye)
        lower, info_p = torch.linalg.cholesky_ex(p - 4 * (k + 2) * UNIT_ROUNDOFF * norm_p * eye)
        if int(info_z) != 0 or int(info_p) != 0:
            return False
        inverse = torch.linalg.solve_triangular(lower, eye, upper=False)
        gains = inverse.pow(2).sum(0).sqrt()  # sqrt(diag(P^-1)): column norms of L^-1
        inactive = torch.nonzero(~active & cache.effective)[:, 0]
        inputs = cache.weights[inactive[:, None], index]
        gains_inactive = (inverse @ inputs.T).pow(2).sum(0).sqrt()
        scale = 1 + GAIN_ROUNDING
        self.data[slot] = (index, inactive, p, gains * scale, gains_inactive * scale)
        return True

    def certify(self, slots, x, fixed) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows (R) proven never to leave their region (see the class), and the factor by
        which each bound must still shrink (inf without certificate data)."""
        good = torch.zeros(len(slots), dtype=torch.bool, device=x.device)
        need = torch.full((len(slots),), math.inf, dtype=torch.float64, device=x.device)
        for i, slot in enumerate(slots.tolist()):
            data = self.data.get(slot)
            if data is None:
                continue
            index, inactive, p, gains, gains_inactive = data
            e = x[i, index].to(torch.float64) - fixed[i, index]
            radius = (e @ p @ e).clamp_min(0).sqrt()
            error = FIXED_POINT_ERROR * (1 + fixed[i].abs().max())
            bound_active = radius * gains + error
            bound_inactive = radius * gains_inactive + error
            on, off = fixed[i, index], fixed[i, inactive]
            good[i] = (
                (on - bound_active > 0).all()
                & (off + bound_inactive < 0).all()
                & (x[i, inactive] <= 0).all()
            )
            worst = torch.cat(
                [
                    bound_active / on.abs().clamp_min(1e-300),
                    bound_inactive / off.abs().clamp_min(1e-300),
                ]
            )
            need[i] = worst.max() if worst.numel() else 0.0
        return good, need
