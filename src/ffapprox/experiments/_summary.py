"""The lines ``ffapprox run`` prints when it finishes, rendered from the typed result."""

from __future__ import annotations

from ._results import ExperimentResult, RunResult, SweepResult


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _single(result: RunResult) -> list[str]:
    rows = [("model", "hidden", "rel. RMSE", "winner agr.", "near bound.", "evals/s", "speed-up")]
    for name, m in result.models.items():
        competition = m.competition
        rows.append(
            (
                name,
                "x".join(map(str, m.hidden)),
                _pct(m.relative_rmse),
                _pct(competition and competition.winner_agreement),
                _pct(competition and competition.winner_agreement_near_boundary),
                f"{m.approximation_evals_per_s:,.0f}",
                f"{m.speedup:,.0f}x",
            )
        )
    lines = _aligned(rows)
    lines.append(
        f"{result.dataset.counts['stable']:,} of {result.dataset.n_samples:,} inputs stable; "
        f"run took {result.wall_seconds:.0f} s."
    )
    for name, m in result.models.items():
        if m.noise is not None:
            gap = m.noise.position_error_gap
            lines.append(
                f"Noise sweep, {name}: output SNR within {m.noise.snr_gap_db:.2f} dB of the "
                f"recurrent network's (smallest gain {m.noise.snr_gain_db_min:+.1f} dB)"
                + (f"; decoded position error within {gap:.1%}" if gap is not None else "")
                + "."
            )
    settle = result.settle_predictor
    if settle is not None:
        lines.append(
            f"Settle predictor: {settle.accuracy:.2%} accurate on held-out inputs "
            f"({settle.fraction_settling:.1%} of them settle)."
        )
    return lines


def _sweep(result: SweepResult) -> list[str]:
    rows = [("N", "stable", "steps p50/p99", "rel. RMSE", "fixed points/s", "speed-up")]
    for s in result.sizes.values():
        rows.append(
            (
                str(s.n_neurons),
                _pct(s.status_fractions["stable"]),
                f"{s.solver_steps_p50:.0f}/{s.solver_steps_p99:.0f}",
                _pct(s.relative_rmse) if s.fitted else "not fitted",
                f"{s.solver_fixed_points_per_s:,.1f}",
                "-" if s.speedup is None else f"{s.speedup:,.0f}x",
            )
        )
    lines = _aligned(rows)
    for s in result.sizes.values():
        if s.skipped:
            lines.append(f"N = {s.n_neurons}: {s.skipped}.")
    lines.append(
        f"{result.dataset.counts['stable']:,} of {result.dataset.n_samples:,} inputs stable "
        f"over all sizes; run took {result.wall_seconds:.0f} s."
    )
    return lines


def summary_lines(result: ExperimentResult) -> list[str]:
    """What ``ffapprox run`` prints about a finished run (the report's path comes after)."""
    return _single(result) if isinstance(result, RunResult) else _sweep(result)
