"""``ffapprox build``: a network from the builder registry, saved as ``.npz``."""

from __future__ import annotations

import inspect
import tomllib

import click

from ..networks import BUILDERS, get_builder
from ._common import check_output_folder, check_suffix, handle_errors


def parse_params(pairs: tuple[str, ...]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; each VALUE is read as a TOML value (``2.5``, ``[[0, 1]]``,
    ``"text"``)."""
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param must be KEY=VALUE, got {pair!r}")
        try:
            params[key.strip()] = tomllib.loads(f"value = {value}")["value"]
        except tomllib.TOMLDecodeError:
            raise ValueError(
                f"--param {key.strip()} must be a TOML value (a number, a list, a quoted "
                f"string), got {value!r}"
            ) from None
    return params


def _listing() -> list[str]:
    width = max(map(len, BUILDERS))
    lines = []
    for name, builder in BUILDERS.items():
        lines.append(f"{name:{width}}  {builder.summary}")
        arguments = ", ".join(
            k if v is inspect.Parameter.empty else f"{k}={v!r}"
            for k, v in builder.parameters().items()
        )
        lines.append(f"{'':{width}}  parameters: {arguments}")
    return lines


@click.command()
@click.argument("builder", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Network .npz to write.")
@click.option("-p", "--param", "params", multiple=True, help="Builder argument KEY=VALUE; repeat.")
@click.option("--list", "list_builders", is_flag=True, help="List the builders and arguments.")
@handle_errors
def build(builder, output, params, list_builders):
    """Build a network with BUILDER (see --list) and save it as OUTPUT (.npz).

    The network file is what `solve`, `generate` and a config's `builder = "file"` read. An
    existing OUTPUT file is replaced (atomically).
    """
    if list_builders:
        for line in _listing():
            click.echo(line)
        return
    if builder is None or output is None:
        raise ValueError("give a BUILDER and --output (or --list)")
    entry = get_builder(builder, "BUILDER")
    check_suffix(output, ".npz")
    check_output_folder(output)
    network = entry.build(parse_params(params), "--param")
    network.save(output)
    click.echo(f"{network!r}. Wrote {output}")
