"""Rung's settings: the only module that reads environment variables and config files.

Sources, later ones winning: built-in defaults, ``rung.toml`` in the project
folder, ``RUNG_*`` environment variables, then explicit overrides (CLI flags).

Example:
    >>> from rung.settings import load_settings
    >>> settings = load_settings(create=True)  # doctest: +SKIP
    >>> settings.metadata_url  # doctest: +SKIP
    'sqlite:////home/me/project/.rung/metadata.db'
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rung.errors import ConfigError, WorkspaceNotFoundError

__all__ = ["WORKSPACE_DIRNAME", "Settings", "find_workspace", "load_settings"]

WORKSPACE_DIRNAME = ".rung"
CONFIG_FILENAME = "rung.toml"
_ENV_PREFIX = "RUNG_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved, typed settings.

    Attributes:
        root: the project folder (holds ``.rung/`` and ``rung.toml``).
        metadata_url: SQLAlchemy URL of the metadata store.
        artifact_url: path or fsspec URL of the artifact store.
        project: project name recorded on every record (default: folder name).
        user: user name recorded on every record.
        orchestrator: ``local`` (threads) or another registered orchestrator.
        max_workers: how many steps the local orchestrator runs at once.
        flush_interval: seconds between background flushes of logged metrics.
        heartbeat_interval: seconds between run heartbeats.
        stale_after: seconds without heartbeat after which a run counts as dead.
        openlineage_url: where to send OpenLineage run events: a file path
            (JSON lines) or an http(s) URL; None sends none.
        region: where this workspace's steps run (an ISO 3166 code such as
            ``CA``); residency policies read it for steps without a
            ``region`` label. None: unknown.
        alert_allow_hosts: internal webhook receivers that monitor alerts may
            reach anyway (loopback, private, link-local... addresses are
            refused otherwise): ``host:port``, ``IP``, ``[IPv6]:port`` or a
            CIDR. In ``rung.toml`` a list; in ``RUNG_ALERT_ALLOW_HOSTS``
            comma-separated.
        default_pipeline: the pipeline ``rung run`` and ``rung package`` use
            when given none (``pipelines.py:training``, relative to ``root``).
        default_config: the run configuration they use with it when given no
            ``--config`` (a YAML path relative to ``root``).
    """

    root: Path
    metadata_url: str
    artifact_url: str
    project: str
    user: str
    orchestrator: str = "local"
    max_workers: int = 4
    flush_interval: float = 1.0
    heartbeat_interval: float = 5.0
    stale_after: float = 60.0
    openlineage_url: str | None = None
    region: str | None = None
    alert_allow_hosts: tuple[str, ...] = ()
    default_pipeline: str | None = None
    default_config: str | None = None

    @property
    def workspace_dir(self) -> Path:
        """The ``.rung/`` folder of the project."""
        return self.root / WORKSPACE_DIRNAME


_FIELD_TYPES: dict[str, type] = {
    "metadata_url": str,
    "artifact_url": str,
    "project": str,
    "user": str,
    "orchestrator": str,
    "max_workers": int,
    "flush_interval": float,
    "heartbeat_interval": float,
    "stale_after": float,
    "openlineage_url": str,
    "region": str,
    "alert_allow_hosts": tuple,
    "default_pipeline": str,
    "default_config": str,
}


def find_workspace(start: Path | None = None) -> Path | None:
    """Return the nearest folder at or above ``start`` that holds ``.rung/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_DIRNAME).is_dir():
            return folder
    return None


def load_settings(
    start: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    create: bool = False,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> Settings:
    """Resolve settings for the project at or above ``start``.

    Args:
        start: where to look for the workspace (default: the current folder).
        overrides: values that win over everything else (CLI flags).
        create: when no workspace is found, use ``start`` as the project root
            (the ``.rung/`` folder is created on first write) instead of raising.
        environ: environment to read (default: ``os.environ``).
        root: use this folder as the project root (``rung init PATH``).

    Returns:
        The resolved settings.

    Raises:
        WorkspaceNotFoundError: no ``.rung/`` was found and ``create`` is False
            and no ``RUNG_METADATA_URL`` is set.
        ConfigError: a value in ``rung.toml`` or the environment is invalid.
    """
    env = os.environ if environ is None else environ
    root = root.resolve() if root is not None else _resolve_root(start, env, create)
    values: dict[str, Any] = {}
    values.update(_read_toml(root / CONFIG_FILENAME))
    values.update(_read_env(env))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = sorted(set(values) - set(_FIELD_TYPES))
    if unknown:
        raise ConfigError(
            f"Unknown setting(s) {unknown}. Known settings: {sorted(_FIELD_TYPES)}."
        )
    typed = {key: _coerce(key, value) for key, value in values.items()}
    workspace_dir = root / WORKSPACE_DIRNAME
    typed.setdefault("metadata_url", f"sqlite:///{workspace_dir / 'metadata.db'}")
    typed.setdefault("artifact_url", str(workspace_dir / "artifacts"))
    typed.setdefault("project", root.name or "default")
    typed.setdefault("user", _default_user(env))
    settings = Settings(root=root, **typed)
    if settings.max_workers < 1:
        raise ConfigError(f"max_workers must be >= 1. Got {settings.max_workers}.")
    return settings


def _resolve_root(start: Path | None, env: Mapping[str, str], create: bool) -> Path:
    explicit = env.get(f"{_ENV_PREFIX}ROOT")
    if explicit:
        return Path(explicit).expanduser().resolve()
    found = find_workspace(start)
    if found is not None:
        return found
    here = (start or Path.cwd()).resolve()
    if create or env.get(f"{_ENV_PREFIX}METADATA_URL"):
        return here
    raise WorkspaceNotFoundError(
        f"No Rung workspace ({WORKSPACE_DIRNAME}/) in {here} or any folder above it. "
        "Create one with `rung init`, or set RUNG_METADATA_URL for a team store."
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}. Fix the file's syntax.") from exc
    section = data.get("rung", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [rung] must be a table of settings.")
    return dict(section)


def _read_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in _FIELD_TYPES:
        raw = env.get(_ENV_PREFIX + key.upper())
        if raw is not None and raw != "":
            values[key] = raw
    return values


def _coerce(key: str, value: Any) -> Any:
    kind = _FIELD_TYPES[key]
    if kind is tuple:
        return _string_list(key, value)
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"Setting {key!r} must be {kind.__name__}. Got {value!r} instead."
        ) from exc


def _string_list(key: str, value: Any) -> tuple[str, ...]:
    """A list from TOML, or a comma-separated string (environment, flags)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(item, str) for item in items
    ):
        raise ConfigError(
            f"Setting {key!r} must be a list of strings (in the environment: "
            f"comma-separated). Got {value!r} instead."
        )
    return tuple(item.strip() for item in items if item.strip())


def _default_user(env: Mapping[str, str]) -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return env.get("USER", "unknown")


def replace(settings: Settings, **changes: Any) -> Settings:
    """Return a copy of ``settings`` with ``changes`` applied."""
    return dataclasses.replace(settings, **changes)
