"""The project's default pipeline and configuration, from ``rung.toml``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_pipeline"]


def default_pipeline(config: Path | None) -> tuple[str, Path | None]:
    """The pipeline (and configuration) to use when a command is given none.

    ``default_pipeline`` and ``default_config`` are read from the settings
    (``rung.toml`` under ``[rung]``, or ``RUNG_DEFAULT_PIPELINE`` /
    ``RUNG_DEFAULT_CONFIG``); paths are relative to the project folder. A
    ``--config`` given on the command line wins over ``default_config``.

    Raises:
        ParameterError: no default pipeline is set.
    """
    from rung.errors import ParameterError
    from rung.settings import load_settings

    settings = load_settings(Path.cwd(), create=True)
    if not settings.default_pipeline:
        raise ParameterError(
            "Give a pipeline (`rung run file.py:training`) or `--resume RUN_ID`, "
            "or name the project's default in rung.toml: "
            '`default_pipeline = "pipelines.py:training"` under [rung].'
        )
    reference = _in_project(settings.root, settings.default_pipeline)
    if config is None and settings.default_config:
        config = _project_path(settings.root, settings.default_config)
    return reference, config


def _in_project(root: Path, reference: str) -> str:
    """``file.py:name`` with the file relative to ``root``; modules unchanged."""
    target, sep, name = reference.partition(":")
    if target.endswith(".py") or (root / target).exists():
        target = str(_project_path(root, target))
    return f"{target}{sep}{name}"


def _project_path(root: Path, path: str) -> Path:
    """``path`` relative to ``root``, shown short when run from ``root``."""
    full = root / Path(path).expanduser()
    return Path(path) if root == Path.cwd().resolve() else full
