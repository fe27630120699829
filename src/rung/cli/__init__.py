"""The ``rung`` command line. Heavy imports happen inside the commands."""

from __future__ import annotations

import sys
import traceback

import typer

from rung.cli import (
    artifacts,
    datasets,
    demo,
    init,
    lineage,
    models,
    monitor,
    package,
    pipelines,
    policies,
    predictions,
    run,
    runs,
    serve,
)
from rung.cli._common import err_console, state

__all__ = ["app", "main"]

app = typer.Typer(
    name="rung",
    help="Rung: pipelines, tracking, artifacts and lineage for ML teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from rung import __version__

        typer.echo(f"rung {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show tracebacks for errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Rung: pipelines, tracking, artifacts and lineage for ML teams."""
    state.verbose = verbose


init.register(app)
run.register(app)
demo.register(app)
package.register(app)
app.add_typer(runs.app, name="runs")
app.add_typer(artifacts.app, name="artifacts")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(models.app, name="models")
app.add_typer(datasets.app, name="datasets")
app.add_typer(policies.app, name="policies")
app.add_typer(monitor.app, name="monitor")
lineage.register(app)
serve.register(app)
predictions.register(app)


def main() -> None:
    """Entry point: run the app; print Rung errors without a traceback."""
    from rung.errors import RungError

    try:
        app()
    except RungError as exc:
        err_console.print(f"[bold red]Error: {exc.headline}[/]")
        err_console.print(str(exc), markup=False, highlight=False)
        if state.verbose or "--verbose" in sys.argv or "-v" in sys.argv:
            err_console.print(traceback.format_exc(), markup=False)
        else:
            err_console.print("[dim](run with --verbose for the traceback)[/]")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[yellow]Interrupted.[/]")
        sys.exit(130)
    except Exception:
        err_console.print(
            "[bold red]Internal error[/] (a bug in Rung; please report it):"
        )
        err_console.print(traceback.format_exc(), markup=False)
        sys.exit(70)
