"""Shared CLI plumbing: one-line errors with exit code 2, progress bars."""

from __future__ import annotations

import functools
import sys
import warnings

import click
import torch


def fail(message: str) -> None:
    """Print a one-line error and exit with code 2 (bad input)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"Warning ({category.__name__}): {message}", err=True)


def handle_errors(func):
    """Turn the library's ``ValueError``/``OSError`` into a one-line error and exit 2;
    show warnings as one line each."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            return func(*args, **kwargs)
        except (ValueError, OSError) as err:
            fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
        finally:
            warnings.showwarning = previous

    return wrapper


def resolve_device(device: str | None) -> str:
    if device in (None, "cpu"):
        return "cpu"
    try:
        torch.device(device)
    except RuntimeError:
        fail(f"--device must be a torch device such as cpu or cuda:0, got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        fail(f"--device {device!r} requested but CUDA is not available on this machine")
    return device


def progress_bar(total: int, description: str, enabled: bool = True):
    """A tqdm bar on stderr; off when stderr is not a terminal or when disabled."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit="input",
        disable=not enabled or not sys.stderr.isatty(),
        file=sys.stderr,
        dynamic_ncols=True,
    )


device_option = click.option(
    "--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda."
)
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")
