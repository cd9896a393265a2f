"""Shared command-line plumbing: one-line errors with exit code 2, logging, progress."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import click
from tqdm.auto import tqdm

from ..common import check_device, logger
from ..dynamics import DEFAULT_MAX_TIME, DEFAULT_METHOD, SOLVERS

# Seconds between progress lines when stderr is not a terminal (log files, batch jobs).
LOG_EVERY_S = 30.0


def fail(message: str) -> None:
    """Print a one-line error and exit with code 2 (bad input)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"Warning ({category.__name__}): {message}", err=True)


def handle_errors(func):
    """Turn the library's ``ValueError``/``OSError`` into a one-line error and exit 2;
    show every warning as one line."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                return func(*args, **kwargs)
        except OSError as err:  # name the file, which the bare errno text does not
            where = f" ({err.filename})" if err.filename else ""
            fail(f"{err.strerror or err}{where}")
        except ValueError as err:
            fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
        finally:
            warnings.showwarning = previous

    return wrapper


def configure_logging(quiet: bool) -> None:
    """Print the library's log lines (``[HH:MM:SS] message``) on stderr; with ``quiet``
    only its warnings."""
    for handler in list(logger.handlers):
        if getattr(handler, "_ffapprox_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", datefmt="%H:%M:%S"))
    handler._ffapprox_cli = True
    handler.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def resolve_device(device: str | None) -> str:
    """``--device`` checked: a torch device available here."""
    return str(check_device(device, "--device"))


def check_output_folder(output: str) -> None:
    """Refuse, before any work, an --output whose folder is missing or not writable."""
    folder = Path(output).parent
    if not folder.is_dir():
        raise ValueError(f"--output folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"--output folder {str(folder)!r} is not writable")


def refuse_overwriting(output, *inputs) -> None:
    """Refuse an ``--output`` that is one of the command's inputs or lies inside one."""
    out = Path(output).resolve()
    for given in inputs:
        source = Path(given).resolve()
        if out == source or source in out.parents:
            raise ValueError(
                f"--output {str(output)!r} would overwrite the input {str(given)!r}; "
                "choose another output path"
            )


def check_suffix(output: str, suffix: str) -> None:
    if not output.endswith(suffix):
        raise ValueError(f"--output must end in {suffix}, got {output!r}")


class _LogProgress:
    """Progress as a log line every ``LOG_EVERY_S`` seconds and at the end, for stderr
    that is not a terminal. Has the parts of tqdm's interface the commands use."""

    def __init__(self, total: int, description: str, unit: str) -> None:
        self.total, self.description, self.unit = total, description, unit
        self.done, self.started, self.last = 0, time.perf_counter(), None
        self.logged = -1  # the count in the last line
        self.postfix = ""
        self.disable = True

    def update(self, n: int = 1) -> None:
        """Count ``n`` more; a line for the first update, then every ``LOG_EVERY_S``."""
        self.done += n
        now = time.perf_counter()
        if self.last is None or now - self.last >= LOG_EVERY_S:
            self.last = now
            self._line(now)

    def set_postfix(self, refresh: bool = True, **values) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def _line(self, now: float) -> None:
        self.logged = self.done
        rate = self.done / max(now - self.started, 1e-9)
        extra = f", {self.postfix}" if self.postfix else ""
        logger.info(
            f"{self.description}: {self.done:,}/{self.total:,} {self.unit}s ({rate:,.1f}/s{extra})"
        )

    def close(self) -> None:
        if self.logged != self.done:
            self._line(time.perf_counter())


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool = True, unit: str = "input"):
    """A tqdm bar on a terminal's stderr; otherwise a log line now and then (when enabled)."""
    if enabled and not sys.stderr.isatty():
        configure_logging(quiet=False)
        bar = _LogProgress(total, description, unit)
        yield bar
        bar.close()
        return
    with tqdm(
        total=total, desc=description, unit=unit, disable=not enabled, file=sys.stderr,
        dynamic_ncols=True,
    ) as bar:  # fmt: skip
        yield bar


def progress_factory(enabled: bool):
    """A ``ProgressFactory`` for the library: :func:`progress_bar` yielding its update."""

    @contextlib.contextmanager
    def factory(total: int, description: str, unit: str = "input"):
        with progress_bar(total, description, enabled, unit) as bar:
            yield bar.update

    return factory


max_time_option = click.option(
    "--max-time",
    default=DEFAULT_MAX_TIME,
    show_default=True,
    help="Integration time limit (same time units as the network's tau).",
)
method_option = click.option(
    "--method",
    default=DEFAULT_METHOD,
    show_default=True,
    type=click.Choice(sorted(SOLVERS)),
    help="Fixed-point solver method.",
)
device_option = click.option(
    "--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda."
)
quiet_option = click.option("--quiet", is_flag=True, help="No progress output.")
