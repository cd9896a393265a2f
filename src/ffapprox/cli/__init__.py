"""The ``ffapprox`` command line: one thin function per subcommand."""

from __future__ import annotations

import os
import signal
import sys
import traceback

import click

from ..common import __version__
from ._bench import bench
from ._build import build
from ._generate import generate
from ._predict import export, predict
from ._run import run
from ._solve import solve
from ._train import train_command


class Terminated(KeyboardInterrupt):
    """SIGTERM (what ``timeout``, ``kill`` and batch schedulers send), handled like Ctrl-C:
    temporary files and work folders are removed on the way out."""


def _terminate(signum, frame) -> None:
    raise Terminated()


class _Group(click.Group):
    """Every failure as one line on stderr: usage errors and bad input (``Error: ...``,
    exit 2), interruptions (exit 130 for Ctrl-C, 143 for SIGTERM) and, should one escape,
    an unexpected error, reported as a bug (exit 1; the traceback with ``--debug``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort as err:
            terminated = isinstance(err.__cause__, Terminated)
            click.echo("Terminated." if terminated else "Interrupted.", err=True)
            sys.exit(143 if terminated else 130)
        except click.ClickException as err:
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except MemoryError:
            click.echo("Error: out of memory; try smaller sizes or a .zarr store", err=True)
            sys.exit(2)
        except Exception as err:  # a bug: say so in one line, the traceback on request
            if os.environ.get("FFAPPROX_DEBUG"):
                traceback.print_exc()
            message = str(err).splitlines()[0] if str(err) else ""
            click.echo(
                f"Error: unexpected {type(err).__name__}: {message}. This is a bug in ffapprox; "
                "please report it with the command you ran (FFAPPROX_DEBUG=1 or --debug shows "
                "the traceback)",
                err=True,
            )
            sys.exit(1)
        finally:
            signal.signal(signal.SIGTERM, previous)


def _debug(ctx, param, value) -> None:
    if value:
        os.environ["FFAPPROX_DEBUG"] = "1"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ffapprox")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_debug,
    help="Show the traceback of an unexpected error.",
)
def main() -> None:
    """Feed-forward approximations of recurrent threshold-linear networks (Muir 2018).

    Typical use: `ffapprox run` reproduces the competition experiment end to end;
    `build`, `solve`, `generate`, `train`, `predict` and `export` are the steps one by one.
    """


main.add_command(run)
main.add_command(build)
main.add_command(solve)
main.add_command(generate)
main.add_command(train_command)
main.add_command(predict)
main.add_command(export)
main.add_command(bench)
