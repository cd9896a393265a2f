"""The lines ``ffapprox run`` prints when it finishes, rendered from the typed result
(one function per kind of result; ``RUNNERS`` says which)."""

from __future__ import annotations

from ._results import RunResult, SweepResult, percent


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]


def single_summary(result: RunResult) -> list[str]:
    """Per model: error, winner agreement, speed; then noise and settle lines."""
    rows = [("model", "hidden", "rel. RMSE", "winner agr.", "near bound.", "evals/s", "speed-up")]
    for name, m in result.models.items():
        competition = m.competition
        rows.append(
            (
                name,
                "x".join(map(str, m.hidden)),
                percent(m.relative_rmse),
                percent(competition and competition.winner_agreement),
                percent(competition and competition.winner_agreement_near_boundary),
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
            f"Settle predictor: {settle.accuracy:.2%} accurate on {settle.n_test:,} held-out "
            f"inputs (recall {settle.recall_text()})."
        )
    return lines


def sweep_summary(result: SweepResult) -> list[str]:
    """Per size: outcomes, solver cost, the approximation's error (or why none)."""
    rows = [("N", "stable", "steps p50/p99", "rel. RMSE", "fixed points/s", "speed-up")]
    for s in result.sizes.values():
        rows.append(
            (
                str(s.n_neurons),
                percent(s.status_fractions["stable"]),
                f"{s.solver_steps_p50:.0f}/{s.solver_steps_p99:.0f}",
                percent(s.relative_rmse) if s.fitted else "not fitted",
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
