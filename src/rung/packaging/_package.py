"""``package_pipeline``: write a self-contained bundle folder for one pipeline."""

from __future__ import annotations

import inspect
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.errors import PackagingError
from rung.packaging._bundle import (
    FORMAT,
    MANIFEST_NAME,
    RUN_CONFIG_NAME,
    Bundle,
    bundle_from_manifest,
    content_hash,
    file_hashes,
)
from rung.packaging._docker import (
    DOCKERFILE_NAME,
    DOCKERIGNORE_NAME,
    default_base_image,
    dockerfile,
    dockerignore,
)
from rung.packaging._lock import LOCK_NAME, lock_text, locked_versions
from rung.packaging._sources import PipelineSources, find_sources
from rung.packaging._wheel import add_rung_wheel, rung_source, wheel_requirements
from rung.pipelines import (
    load_pipeline,
    load_run_config,
    pipelines_in_file,
    resolve_parameters,
)

if TYPE_CHECKING:
    from rung.pipelines import Pipeline, RunConfig

__all__ = ["PIPELINE_DIR", "package_pipeline"]

PIPELINE_DIR = "pipeline"


def package_pipeline(
    reference: str,
    output_dir: str | Path,
    *,
    config: str | Path | Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    cli_params: Mapping[str, str] | None = None,
    force: bool = False,
    rung_wheel: str | Path | None = None,
    base_image: str | None = None,
) -> Bundle:
    """Write a bundle: sources, resolved config, lock, Rung wheel, Dockerfile.

    The bundle is built in a temporary folder next to ``output_dir`` and
    renamed into place at the end, so a failure never leaves half a bundle.
    A required parameter given nowhere is left to run time (``rung run
    BUNDLE -p NAME=VALUE``): it is not written into ``rung-run.yaml`` and the
    manifest lists it under ``runtime_parameters``.

    Args:
        reference: the pipeline, ``path/to/file.py:name``.
        output_dir: the bundle folder; it must not exist or be empty (or be
            an older bundle, with ``force``).
        config: a YAML run configuration (path or mapping).
        params: parameter values from Python (``config`` wins over them).
        cli_params: raw ``KEY=VALUE`` strings (win over everything).
        force: replace an existing bundle in ``output_dir``.
        rung_wheel: a wheel of Rung to bundle instead of building one.
        base_image: the image to build on (default ``python:X.Y-slim`` of
            this interpreter).

    Returns:
        The bundle written.

    Raises:
        PipelineNotFoundError: the file or the pipeline does not exist.
        ParameterError: a parameter is unknown or mistyped.
        ConfigError: the configuration file is invalid.
        PackagingError: the output folder is taken, or a part of the bundle
            (wheel, lock) cannot be made.

    Example:
        >>> from rung.packaging import package_pipeline
        >>> bundle = package_pipeline(  # doctest: +SKIP
        ...     "pipelines/train.py:training", "dist", cli_params={"C": "0.3"}
        ... )
        >>> bundle.content_hash  # doctest: +SKIP
        '5d52c03fa518…'
    """
    output = Path(output_dir).resolve()
    _check_output(output, force)
    found, attr = _load(reference)
    run_config, runtime = _resolve(found, config, params, cli_params)
    file = Path(inspect.getsourcefile(found.func) or "").resolve()
    sources = find_sources(file)
    output.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        scratch.chmod(0o755)  # mkdtemp makes it private; a bundle is for sharing
        manifest = _write_bundle(
            scratch, found, run_config, runtime, sources, entry=(file, attr)
        )
        manifest.update(
            _write_install_files(scratch, found.name, sources, rung_wheel, base_image)
        )
        _finish(scratch, manifest, f"{file}:{attr}")
        _move_into_place(scratch, output)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return bundle_from_manifest(output, manifest)


def _load(reference: str) -> tuple[Pipeline, str]:
    found = load_pipeline(reference)
    target, _, attr = reference.partition(":")
    if not attr and Path(target).is_file():
        attr = next(iter(pipelines_in_file(Path(target))))
    attr = attr or found.func.__name__
    if inspect.getsourcefile(found.func) is None:
        raise PackagingError(
            f"Pipeline {found.name!r} has no source file, so it cannot be "
            "packaged. Define it in a .py file and give `path/to/file.py:name`."
        )
    return found, attr


def _check_output(output: Path, force: bool) -> None:
    if output.exists() and not output.is_dir():
        raise PackagingError(
            f"Output {output} is a file. Give a folder path for the bundle."
        )
    if not output.is_dir() or not any(output.iterdir()):
        return
    if not (output / MANIFEST_NAME).is_file():
        raise PackagingError(
            f"Output folder {output} is not empty and holds no bundle; refusing to "
            "write into it. Choose a new or empty folder."
        )
    if not force:
        raise PackagingError(
            f"Output folder {output} already holds a bundle. Pass --force "
            "(force=True) to replace it, or choose another folder."
        )


def _resolve(
    found: Pipeline,
    config: str | Path | Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    cli_params: Mapping[str, str] | None,
) -> tuple[dict[str, Any], list[str]]:
    """The run configuration to bundle, and the parameters left to run time."""
    cfg = load_run_config(config)
    resolved = resolve_parameters(
        found.signature,
        found.name,
        params,
        cfg.parameters,
        cli_params,
        allow_missing=True,
    )
    runtime = [
        name
        for name, p in found.signature.parameters.items()
        if name not in resolved and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not runtime:
        found.build(resolved)  # with every value known: it must trace as it will run
    return _run_config(found, cfg, resolved), runtime


def _write_bundle(
    root: Path,
    found: Pipeline,
    config: dict[str, Any],
    runtime: list[str],
    sources: PipelineSources,
    *,
    entry: tuple[Path, str],
) -> dict[str, Any]:
    file, attr = entry
    for source in sources.files:
        target = root / PIPELINE_DIR / source.relative_to(sources.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    _write_yaml(root / RUN_CONFIG_NAME, config, found.name, runtime)
    # The bundled config must resolve exactly as packaging resolved it.
    written = load_run_config(root / RUN_CONFIG_NAME).parameters
    resolve_parameters(found.signature, found.name, config=written, allow_missing=True)
    rel = (Path(PIPELINE_DIR) / file.relative_to(sources.folder)).as_posix()
    return {
        "format": FORMAT,
        "name": found.name,
        "pipeline": f"{rel}:{attr}",
        "parameters": config["parameters"],
        "runtime_parameters": runtime,
    }


def _write_install_files(
    root: Path,
    name: str,
    sources: PipelineSources,
    given_wheel: str | Path | None,
    base_image: str | None,
) -> dict[str, Any]:
    source = rung_source()
    wheel = add_rung_wheel(
        source, root / "wheels", Path(given_wheel) if given_wheel else None
    )
    requires = wheel_requirements(wheel) if wheel is not None else None
    versions, unresolved = locked_versions(sources.external, rung_requires=requires)
    wheel_rel = wheel.relative_to(root).as_posix() if wheel is not None else None
    (root / LOCK_NAME).write_text(lock_text(versions, rung_wheel=wheel_rel))
    image = base_image or default_base_image()
    (root / DOCKERFILE_NAME).write_text(
        dockerfile(name=name, base_image=image, lock=LOCK_NAME, rung_wheel=wheel_rel)
    )
    (root / DOCKERIGNORE_NAME).write_text(dockerignore())
    return {
        "rung_install": wheel_rel or f"rung=={source.version}",
        "base_image": image,
        "unresolved_imports": unresolved,
    }


def _finish(root: Path, manifest: dict[str, Any], source: str) -> None:
    from rung import __version__

    manifest.update(
        {
            "source": source,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rung_version": __version__,
            "python_version": ".".join(str(p) for p in sys.version_info[:3]),
            "content_hash": content_hash(root),
            "files": file_hashes(root),
        }
    )
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (root / MANIFEST_NAME).write_text(text, encoding="utf-8")


def _move_into_place(scratch: Path, output: Path) -> None:
    if not output.exists():
        scratch.rename(output)
        return
    # An old bundle (checked by _check_output) or an empty folder: swap.
    old = output.with_name(f".{output.name}.old-{scratch.name.rsplit('-', 1)[-1]}")
    output.rename(old)
    try:
        scratch.rename(output)
    except OSError:
        old.rename(output)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _run_config(
    found: Pipeline, cfg: RunConfig, resolved: Mapping[str, Any]
) -> dict[str, Any]:
    from pydantic_core import to_jsonable_python

    try:
        parameters = to_jsonable_python(dict(resolved))
    except Exception as exc:  # pydantic raises its own serialization errors
        raise PackagingError(
            f"The parameters of pipeline {found.name!r} cannot be written to "
            f"{RUN_CONFIG_NAME}: {exc}. Use plain values (numbers, strings, "
            "lists, mappings)."
        ) from None
    enable_cache = found.enable_cache if cfg.enable_cache is None else cfg.enable_cache
    config: dict[str, Any] = {"parameters": parameters, "enable_cache": enable_cache}
    if cfg.tags:
        config["tags"] = dict(cfg.tags)
    if cfg.run_name:
        config["run_name"] = cfg.run_name
    if cfg.step_cache:
        config["steps"] = {k: {"cache": v} for k, v in cfg.step_cache.items()}
    return config


def _write_yaml(
    path: Path, config: Mapping[str, Any], name: str, runtime: list[str]
) -> None:
    import yaml

    header = (
        f"# The resolved run configuration of pipeline {name!r}, written by\n"
        "# `rung package`. `rung run <bundle>` uses it; -p KEY=VALUE overrides.\n"
    )
    if runtime:
        header += (
            f"# Left to run time: {', '.join(runtime)} (give each with "
            "-p NAME=VALUE).\n"
        )
    body = yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True)
    path.write_text(header + body, encoding="utf-8")
