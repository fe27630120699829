"""The ``rung`` command line. Heavy imports happen inside the commands."""

from __future__ import annotations

import sys
import traceback

import typer

from rung.cli._common import err_console, state
from rung.cli._lazy import LazyGroup

__all__ = ["app", "main"]

app = typer.Typer(
    name="rung",
    cls=LazyGroup,
    help="Rung: pipelines, registry, serving, monitoring and governance for ML.",
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
    """Rung: pipelines, registry, serving, monitoring and governance for ML."""
    state.verbose = verbose


def _asks_for_traceback(args: list[str]) -> bool:
    """``--verbose`` anywhere, or ``-v`` before the command name.

    After the command, ``-v`` may be the command's own option (``rung new -v
    KEY=VALUE`` gives a template variable).
    """
    command = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    return "--verbose" in args or "-v" in args[:command]


def main() -> None:
    """Entry point: run the app; print Rung errors without a traceback.

    A Rung error prints as its headline and message, followed by the command
    to run next when ``rung.cli._hints`` has one for it.
    """
    from rung.errors import RungError

    try:
        app()
    except RungError as exc:
        from rung.cli._hints import with_hint

        err_console.print(f"[bold red]Error: {exc.headline}[/]")
        err_console.print(with_hint(exc), markup=False, highlight=False)
        if state.verbose or _asks_for_traceback(sys.argv[1:]):
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
