"""Reading experiment configs from TOML: every key type-checked, unknown keys refused."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path

from ._config import ExperimentConfig

# Keys of [network] before builders took their arguments from network.params: the
# partitioned builder's, written flat, with their defaults of then. Configs written that way
# still load; run folders of then wrote all of them, defaults included, for every builder.
LEGACY_PARTITIONED_KEYS = {
    "n_partitions": 2, "partition_size": 2, "n_inhibitory": 1, "w_E": 2.5, "w_I": 8.0,
    "bias": 0.0, "tau_E": 1.0, "tau_I": 0.5,
}  # fmt: skip
_CONFIGS = "experiments/configs"


def _check_type(where: str, value, annotation):
    origin = typing.get_origin(annotation)
    options = typing.get_args(annotation)
    if annotation is object:  # builder params: checked by the builder itself
        return value
    if origin in (types.UnionType, typing.Union) and type(None) in options:
        if value is None:
            return None
        (annotation,) = [a for a in options if a is not type(None)]
        origin = typing.get_origin(annotation)
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be a table, got {value!r}")
        (_, item) = typing.get_args(annotation)
        return {k: _check_type(f"{where}.{k}", v, item) for k, v in value.items()}
    if origin in (types.UnionType, typing.Union):  # e.g. int | float inside a table
        if isinstance(value, bool) or not isinstance(value, typing.get_args(annotation)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        (item,) = typing.get_args(annotation)
        return [_check_type(f"{where}[{k}]", v, item) for k, v in enumerate(value)]
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
        raise ValueError(f"{where} must be of type {annotation.__name__}, got {value!r}")
    return value


def _build(cls, data, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'config'} must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValueError(
            f"unknown config key {prefix}{unknown[0]!s}; allowed keys: {', '.join(allowed)}"
        )
    values = {k: _check_type(f"{where}.{k}" if where else k, v, hints[k]) for k, v in data.items()}
    return cls(**values)


def _upgrade(data: dict) -> dict:
    """Move flat partitioned-builder keys of ``[network]`` into ``network.params``."""
    network = data.get("network")
    if not isinstance(network, dict) or not set(network) & set(LEGACY_PARTITIONED_KEYS):
        return data
    legacy = {k: v for k, v in network.items() if k in LEGACY_PARTITIONED_KEYS}
    rest = {k: v for k, v in network.items() if k not in LEGACY_PARTITIONED_KEYS}
    if network.get("builder", "partitioned") != "partitioned":
        changed = sorted(k for k, v in legacy.items() if v != LEGACY_PARTITIONED_KEYS[k])
        if changed:
            raise ValueError(
                f'network.{changed[0]} applies to builder = "partitioned", '
                f"not {network['builder']!r}"
            )
        return dict(data, network=rest)
    if "params" in network:
        raise ValueError(f"give network.{sorted(legacy)[0]} inside network.params, not beside it")
    return dict(data, network=dict(rest, params=legacy))


def config_from_dict(data: dict) -> ExperimentConfig:
    """Build and validate a config; missing keys take the defaults."""
    return _build(ExperimentConfig, _upgrade(data), "")


def experiments() -> dict[str, str]:
    """The packaged experiments: name -> one-line description (the file's first comment)."""
    found = {}
    for entry in sorted(resources.files("ffapprox").joinpath(_CONFIGS).iterdir(), key=str):
        if entry.name.endswith(".toml"):
            first = entry.read_text().splitlines()[0]
            found[entry.name[: -len(".toml")]] = first.lstrip("# ").strip()
    return found


def load_config(
    path: str | Path | None = None, *, experiment: str | None = None
) -> tuple[ExperimentConfig, Path | None]:
    """Read a TOML config file, or a packaged experiment (default ``"competition"``).

    Returns the config and the folder relative paths in it refer to.
    """
    if path is None:
        name = experiment or "competition"
        known = experiments()
        if name not in known:
            raise ValueError(f"--experiment must be one of {sorted(known)}, got {name!r}")
        text = resources.files("ffapprox").joinpath(f"{_CONFIGS}/{name}.toml").read_text()
        base = None
    else:
        if experiment is not None:
            raise ValueError("give either --config or --experiment, not both")
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"config file {str(path)!r} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"config file {str(path)!r} is not UTF-8 text (TOML)") from None
        base = path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {err}") from None
    return config_from_dict(data), base
