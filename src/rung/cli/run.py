"""``rung run``: run a pipeline from a file, or resume a run."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, open_client, print_json, short, styled_status

if TYPE_CHECKING:
    from rung.client import Client
    from rung.tracking import Run

__all__ = ["run", "show_run_result"]


def run(
    target: str = typer.Argument(
        None,
        help=(
            "The pipeline: path/to/file.py:name (or module:name). Default: "
            "default_pipeline in rung.toml, with its default_config."
        ),
    ),
    config: Path = typer.Option(None, "--config", "-c", help="YAML run configuration."),
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="A parameter KEY=VALUE (repeatable; wins over --config).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Re-run every step."),
    resume: str = typer.Option(
        None,
        "--resume",
        help="Resume the failed run RUN_ID: re-run only what did not complete.",
    ),
    max_workers: int = typer.Option(
        None,
        "--max-workers",
        help="How many steps may run at once (local orchestrator).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    bundle: Path = typer.Option(
        None, "--bundle", help="Run a bundle from `rung package` (or give its folder)."
    ),
) -> None:
    """Run a pipeline (parameters: code defaults < --config < -p)."""
    from rung.cli._defaults import default_pipeline
    from rung.cli._render import live_progress
    from rung.cli.package import bundle_run_target
    from rung.errors import ParameterError
    from rung.pipelines import parse_cli_params

    cli_params = parse_cli_params(param)
    target, config, tags = bundle_run_target(target, bundle, config, cli_params)

    if target is not None and resume is not None:
        raise ParameterError(
            "Give either a pipeline (`rung run file.py:training`) or `--resume RUN_ID`."
        )
    if target is None and resume is None:
        target, config = default_pipeline(config)
    overrides = {"max_workers": max_workers}
    with open_client(create=True, overrides=overrides) as client:
        # With --json, stdout carries only the JSON: what steps print goes to stderr.
        quiet = (
            contextlib.redirect_stdout(sys.stderr)
            if as_json
            else contextlib.nullcontext()
        )
        try:
            with (
                quiet,
                live_progress(enabled=not as_json and console.is_terminal) as hook,
            ):
                if resume is not None:
                    result = client.resume_run(resume, on_event=hook)
                else:
                    result = client.run_pipeline(
                        target,
                        config=config,
                        cli_params=cli_params,
                        enable_cache=False if no_cache else None,
                        on_event=hook,
                        tags=tags,
                    )
        except Exception as exc:
            run_id = getattr(exc, "run_id", None)
            if run_id and not as_json:
                _show_failed_run(client, run_id)
            raise
        show_run_result(client, result, as_json)


def show_run_result(client: Client, result: Run, as_json: bool) -> None:
    """Print a finished run: header, steps table, metrics."""
    record = client.get_run(result.id)
    steps = client.step_runs(record.id)
    if as_json:
        print_json({"run": record, "steps": steps, "metrics": result.metrics})
        return
    from rung.cli._render import steps_table

    planned = list(record.config.get("steps", []))
    cached = sum(1 for s in steps if s.status == "cached")
    console.print(
        f"Run [bold]{record.name}[/] ({short(record.id)}) "
        f"{styled_status(record.status)}"
        f" — {len(planned)} steps, {cached} from cache"
    )
    console.print(steps_table(steps, planned, client.cache_sources(steps)))
    metrics = result.metrics
    if metrics:
        text = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
        console.print(f"Metrics: {text}")


def _show_failed_run(client: Client, run_id: str) -> None:
    from rung.cli._render import steps_table

    record = client.get_run(run_id)
    console.print(
        f"Run [bold]{record.name}[/] ({short(record.id)}) "
        f"{styled_status(record.status)}"
    )
    console.print(
        steps_table(client.step_runs(record.id), list(record.config.get("steps", [])))
    )
    console.print(
        f"Traceback: `rung runs show {short(record.id)}`; "
        f"resume: `rung run --resume {short(record.id)}`"
    )
