"""The ``ffapprox`` command line: one thin function per subcommand."""

from __future__ import annotations

import click

from .. import __version__
from ._solve import solve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ffapprox")
def main() -> None:
    """Feed-forward approximations of recurrent threshold-linear networks (Muir 2018).

    Typical use: `ffapprox run` reproduces the competition experiment end to end;
    `solve`, `generate`, `train`, `predict` and `export` are the steps one by one.
    """


main.add_command(solve)
