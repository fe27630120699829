"""``rung package``: bundle a pipeline for Docker; ``rung package verify``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rung.packaging import Bundle

__all__ = ["app", "bundle_run_target"]


class _BuildByDefault(TyperGroup):
    """Make ``rung package FILE.py:NAME ...`` mean ``rung package build ...``."""

    # ``ctx`` is Any: Typer's Context type moved between versions (click, vendored).
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if (
            args
            and args[0] not in self.commands
            and args[0] not in ctx.help_option_names
        ):
            args = ["build", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_BuildByDefault,
    help=(
        "Bundle a pipeline (source, resolved config, package lock, Dockerfile). "
        "`rung package FILE.py:NAME -o DIR` is short for `rung package build ...`."
    ),
    no_args_is_help=True,
)


@app.command("build")
def build(
    reference: str = typer.Argument(
        None,
        help=(
            "The pipeline: path/to/file.py:name. Default: default_pipeline in "
            "rung.toml, with its default_config."
        ),
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="The bundle folder (new or empty)."
    ),
    config: Path = typer.Option(None, "--config", "-c", help="YAML run configuration."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter KEY=VALUE (repeatable)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace a bundle already in the output folder."
    ),
    rung_wheel: Path = typer.Option(
        None, "--rung-wheel", help="Bundle this wheel of Rung instead of building one."
    ),
    base_image: str = typer.Option(
        None, "--base-image", help="Docker base image (default: python:X.Y-slim)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Write a self-contained bundle of a pipeline, ready for `docker build`."""
    from rung.cli._common import console, format_bytes, print_json
    from rung.cli._defaults import default_pipeline
    from rung.packaging import package_pipeline
    from rung.pipelines import parse_cli_params

    if reference is None:
        reference, config = default_pipeline(config)
    started = time.perf_counter()
    bundle = package_pipeline(
        reference,
        output,
        config=config,
        cli_params=parse_cli_params(param),
        force=force,
        rung_wheel=rung_wheel,
        base_image=base_image,
    )
    seconds = time.perf_counter() - started
    if as_json:
        print_json(_summary(bundle, seconds))
        return
    console.print(
        f"Bundle [bold]{bundle.path}[/] for pipeline [bold]{bundle.name}[/] "
        f"({format_bytes(bundle.size_bytes())}, {seconds:.1f} s), "
        f"hash {bundle.content_hash[:12]}",
        soft_wrap=True,
    )
    _warn_unresolved(bundle)
    _warn_host_paths(bundle)
    given = "".join(f" -p {n}=VALUE" for n in bundle.runtime_parameters)
    if given:
        console.print(
            f"Left to run time: {', '.join(bundle.runtime_parameters)}.",
            highlight=False,
        )
    image = bundle.image_name
    docker_run = f"{image} run /opt/bundle{given}" if given else image
    console.print(
        f"Run it: `rung run {bundle.path}{given}`; as an image: "
        f"`docker build -t {bundle.image_name} {bundle.path}` and "
        f"`docker run {docker_run}`.",
        soft_wrap=True,  # keep paths and commands whole for copy and paste
    )


@app.command("verify")
def verify(
    path: Path = typer.Argument(..., help="The bundle folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the bundle as JSON."),
) -> None:
    """Check a bundle's files against its content hash."""
    from rung.cli._common import console, print_json
    from rung.packaging import open_bundle

    bundle = open_bundle(path)
    if as_json:
        print_json(_summary(bundle, None))
        return
    console.print(
        f"Bundle [bold]{bundle.path}[/] is intact: pipeline [bold]{bundle.name}[/], "
        f"hash {bundle.content_hash[:12]}, built {bundle.created_at} with Rung "
        f"{bundle.rung_version} on Python {bundle.python_version}.",
        soft_wrap=True,
    )
    _warn_unresolved(bundle)


def bundle_run_target(
    target: str, bundle: Path, config: Path, params: Mapping[str, str]
) -> tuple[str, Path, dict[str, str]]:
    """Turn ``rung run DIR`` / ``--bundle DIR`` into (reference, config, tags).

    Anything that is not a bundle passes through unchanged, with no tags.
    Arguments are typed as ``rung run`` declares them; Typer passes None for
    those not given. ``params`` are the ``-p`` values of the run.

    Raises:
        PackagingError: the bundle's files do not match its hash.
        ParameterError: a bundle is combined with a target or ``--config``, or
            a parameter the bundle left to run time is not given.
    """
    if bundle is None and (target is None or not Path(target).is_dir()):
        return target, config, {}
    from rung.errors import ParameterError
    from rung.packaging import open_bundle

    if bundle is not None and target is not None:
        raise ParameterError(
            f"Give either a pipeline ({target}) or --bundle {bundle}, not both."
        )
    if config is not None:
        raise ParameterError(
            "A bundle carries its own configuration (rung-run.yaml), so --config "
            "does not apply. Override values with -p KEY=VALUE, or package again "
            "with `rung package --config`."
        )
    opened = open_bundle(bundle if bundle is not None else Path(target))
    missing = [n for n in opened.runtime_parameters if n not in params]
    if missing:
        given = " ".join(f"-p {n}=VALUE" for n in missing)
        raise ParameterError(
            f"Bundle {opened.path} leaves parameter(s) {', '.join(map(repr, missing))} "
            f"to run time: give them, e.g. `rung run {opened.path} {given}` (in its "
            f"Docker image: `docker run {opened.image_name} run /opt/bundle {given}`)."
        )
    return opened.reference, opened.config_path, opened.run_tags


def _summary(bundle: Bundle, seconds: float | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "path": str(bundle.path),
        "name": bundle.name,
        "pipeline": bundle.pipeline,
        "parameters": dict(bundle.parameters),
        "content_hash": bundle.content_hash,
        "size_bytes": bundle.size_bytes(),
        "rung_version": bundle.rung_version,
        "python_version": bundle.python_version,
        "rung_install": bundle.rung_install,
        "created_at": bundle.created_at,
        "unresolved_imports": list(bundle.unresolved_imports),
        "runtime_parameters": list(bundle.runtime_parameters),
    }
    if seconds is not None:
        summary["seconds"] = round(seconds, 3)
    return summary


def _warn_host_paths(bundle: Bundle) -> None:
    """Warn about parameters that are paths on this machine, pinned in the bundle."""
    from rich.markup import escape

    from rung.cli._common import err_console

    pinned = [
        f"{name}={value}"
        for name, value in bundle.parameters.items()
        if isinstance(value, str) and Path(value).is_absolute() and Path(value).exists()
    ]
    if pinned:
        err_console.print(
            f"[yellow]Warning:[/] {escape(', '.join(pinned))}: a path on this machine, "
            "written into the bundle. Elsewhere (another machine, the Docker "
            "image) give it at run time with -p NAME=VALUE; to leave a required "
            "parameter to run time, do not give it to `rung package`.",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )


def _warn_unresolved(bundle: Bundle) -> None:
    from rung.cli._common import err_console

    if bundle.unresolved_imports:
        err_console.print(
            "[yellow]Warning:[/] the pipeline imports "
            f"{', '.join(bundle.unresolved_imports)}, found neither next to the "
            "pipeline file nor installed here; the bundle may fail where they "
            "are needed. Keep local modules in the pipeline's folder.",
            markup=True,
            highlight=False,
        )
