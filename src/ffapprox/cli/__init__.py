"""The ``ffapprox`` command line: one thin function per subcommand."""

from __future__ import annotations

import sys

import click

from ..common import __version__
from ._bench import bench
from ._build import build
from ._generate import generate
from ._predict import export, predict
from ._run import run
from ._solve import solve
from ._train import train_command


class _Group(click.Group):
    """Usage errors as one line (``Error: ...``) with exit code 2, like the library's."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as err:
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ffapprox")
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
