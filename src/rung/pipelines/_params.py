"""Pipeline parameters: code defaults < YAML config < CLI, validated by type."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rung.errors import ConfigError, ParameterError

__all__ = ["RunConfig", "load_run_config", "parse_cli_params", "resolve_parameters"]

_CONFIG_KEYS = {"parameters", "enable_cache", "tags", "run_name", "steps"}
_STEP_KEYS = {"cache"}


@dataclass(frozen=True, slots=True)
class RunConfig:
    """A run configuration file (YAML).

    Example file::

        parameters:
          C: 0.5
          path: data/churn.csv
        enable_cache: true
        run_name: nightly
        tags: {team: churn}
        steps:
          train: {cache: false}
    """

    parameters: dict[str, Any] = field(default_factory=dict)
    enable_cache: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_name: str | None = None
    step_cache: dict[str, bool] = field(default_factory=dict)


def load_run_config(source: str | Path | Mapping[str, Any] | None) -> RunConfig:
    """Read and check a run configuration from a YAML file or a mapping.

    Raises:
        ConfigError: the file is missing, is not valid YAML, or has unknown keys.
    """
    if source is None:
        return RunConfig()
    data = _read_yaml(Path(source)) if isinstance(source, str | Path) else dict(source)
    where = str(source) if isinstance(source, str | Path) else "run configuration"
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {unknown}. Allowed top-level keys: "
            f"{sorted(_CONFIG_KEYS)} (pipeline parameters go under `parameters:`)."
        )
    parameters = _mapping(data.get("parameters"), "parameters", where)
    tags = {
        str(k): str(v) for k, v in _mapping(data.get("tags"), "tags", where).items()
    }
    enable_cache = data.get("enable_cache")
    if enable_cache is not None and not isinstance(enable_cache, bool):
        raise ConfigError(
            f"{where}: enable_cache must be true or false. Got {enable_cache!r}."
        )
    run_name = data.get("run_name")
    return RunConfig(
        parameters=parameters,
        enable_cache=enable_cache,
        tags=tags,
        run_name=None if run_name is None else str(run_name),
        step_cache=_step_cache(data.get("steps"), where),
    )


def parse_cli_params(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Split ``["C=0.5", "path=x.csv"]`` into a dict of raw strings.

    Raises:
        ParameterError: an item has no ``=``.
    """
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(
                f"Parameter {pair!r} is not KEY=VALUE. Write it like `-p C=0.5`."
            )
        parsed[key.strip()] = value
    return parsed


def resolve_parameters(
    signature: inspect.Signature,
    pipeline: str,
    code: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    cli: Mapping[str, str] | None = None,
    *,
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Merge parameter sources (CLI wins) and validate every value's type.

    Args:
        signature: the pipeline function's signature (names, defaults, types).
        pipeline: the pipeline's name, for messages.
        code: values given in Python.
        config: values from the YAML file.
        cli: raw strings from ``-p KEY=VALUE``.
        allow_missing: leave required parameters nobody gave out of the
            result instead of refusing (``rung package`` leaves them to run
            time).

    Returns:
        Every parameter with its validated value.

    Raises:
        ParameterError: listing every unknown, missing or mistyped parameter.

    Example:
        >>> import inspect
        >>> def training(path: str, C: float = 1.0): ...
        >>> resolve_parameters(inspect.signature(training), "training", cli={"C": "2"},
        ...                    allow_missing=True)
        {'C': 2.0}
    """
    known = {
        name: p
        for name, p in signature.parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    problems: list[str] = []
    merged: dict[str, tuple[Any, str]] = {
        n: (p.default, "default") for n, p in known.items() if p.default is not p.empty
    }
    for origin, values in (("code", code), ("config", config), ("cli", cli)):
        for name, value in (values or {}).items():
            if name not in known:
                problems.append(f"unknown parameter {name!r} (from {origin})")
                continue
            merged[name] = (value, origin)
    if not allow_missing:
        problems += [
            f"missing required parameter {n!r}" for n in known if n not in merged
        ]
    resolved: dict[str, Any] = {}
    for name, (value, origin) in merged.items():
        try:
            resolved[name] = _validate(known[name].annotation, value, origin)
        except ValueError as exc:
            problems.append(f"parameter {name!r} (from {origin}): {exc}")
    if problems:
        listing = "\n  - ".join(problems)
        raise ParameterError(
            f"Pipeline {pipeline!r} cannot run:\n  - {listing}\n"
            f"Its parameters are: {_describe(known)}."
        )
    return resolved


def _validate(annotation: Any, value: Any, origin: str) -> Any:
    if annotation is inspect.Parameter.empty or annotation is Any:
        return _parse_scalar(value) if origin == "cli" else value
    from pydantic import ValidationError

    adapter = _adapter(annotation)
    candidates = [value]
    if origin == "cli":
        candidates.append(_parse_scalar(value))
    failures: list[ValidationError] = []
    for candidate in candidates:
        try:
            return adapter.validate_python(candidate)
        except ValidationError as exc:
            failures.append(exc)
    detail = "; ".join(e["msg"] for e in failures[0].errors())
    type_name = getattr(annotation, "__name__", str(annotation))
    raise ValueError(f"expected {type_name}, got {value!r} ({detail})")


_ADAPTERS: dict[Any, Any] = {}


def _adapter(annotation: Any) -> Any:
    """A pydantic TypeAdapter for ``annotation``, built once per annotation."""
    from pydantic import TypeAdapter

    try:
        cached = _ADAPTERS.get(annotation)
    except TypeError:  # an unhashable annotation: build it every time
        return TypeAdapter(annotation)
    if cached is None:
        cached = _ADAPTERS[annotation] = TypeAdapter(annotation)
    return cached


def _parse_scalar(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _describe(known: Mapping[str, inspect.Parameter]) -> str:
    parts = []
    for name, p in known.items():
        text = name
        if p.annotation is not p.empty:
            text += f": {getattr(p.annotation, '__name__', p.annotation)}"
        if p.default is not p.empty:
            text += f" = {p.default!r}"
        parts.append(text)
    return ", ".join(parts) or "(none)"


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ConfigError(
            f"Config file {path} does not exist. Check the --config path."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"Config file {path} must hold a mapping (key: value lines). "
            f"Got {type(data).__name__}."
        )
    return data


def _mapping(value: Any, key: str, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a mapping. Got {value!r}.")
    return {str(k): v for k, v in value.items()}


def _step_cache(value: Any, where: str) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for name, options in _mapping(value, "steps", where).items():
        opts = _mapping(options, f"steps.{name}", where)
        unknown = sorted(set(opts) - _STEP_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: steps.{name} has unknown key(s) {unknown}. "
                f"Allowed: {sorted(_STEP_KEYS)}."
            )
        if "cache" in opts:
            if not isinstance(opts["cache"], bool):
                raise ConfigError(f"{where}: steps.{name}.cache must be true or false.")
            result[name] = opts["cache"]
    return result
