"""Subcommands loaded on first use, so ``rung --help`` imports none of them.

Each entry names the module that defines a command (a function) or a command
group (a ``typer.Typer`` called ``app``), with the one-line help shown by
``rung --help``; a test checks these lines against the real commands.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
from typer.core import TyperGroup

from rung.cli._coerce import defer_coercion

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter

__all__ = ["COMMANDS", "LazyGroup", "load_command"]


class LazyCommand(NamedTuple):
    """Where a subcommand lives: ``module:attr`` and whether it is a group."""

    module: str
    attr: str
    is_group: bool
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "new": LazyCommand(
        "rung.cli.new",
        "new",
        False,
        "Create a project from a template: pipeline, configs, tests, CI, Docker.",
    ),
    "init": LazyCommand(
        "rung.cli.init",
        "init",
        False,
        "Create a Rung workspace (.rung/: SQLite metadata + artifact folder).",
    ),
    "run": LazyCommand(
        "rung.cli.run",
        "run",
        False,
        "Run a pipeline (parameters: code defaults < --config < -p).",
    ),
    "demo": LazyCommand(
        "rung.cli.demo",
        "demo",
        False,
        "Train, serve, monitor, retrain and promote on 50 years of real weather.",
    ),
    "runs": LazyCommand(
        "rung.cli.runs", "app", True, "List, inspect and compare runs."
    ),
    "artifacts": LazyCommand(
        "rung.cli.artifacts",
        "app",
        True,
        "List, inspect, trace, export and clean up artifacts.",
    ),
    "pipelines": LazyCommand("rung.cli.pipelines", "app", True, "List pipelines."),
    "package": LazyCommand(
        "rung.cli.package",
        "app",
        True,
        "Bundle a pipeline (source, resolved config, package lock, Dockerfile).",
    ),
    "models": LazyCommand(
        "rung.cli.models",
        "app",
        True,
        "Model registry: versions, aliases, gates, approvals, rollback.",
    ),
    "serve": LazyCommand(
        "rung.cli.serve",
        "serve",
        False,
        "Serve a model: POST /predict and /feedback; /healthz, /readyz, /metrics.",
    ),
    "predict": LazyCommand(
        "rung.cli.predictions",
        "predict",
        False,
        "Score a file with a model version; every row goes to the prediction log.",
    ),
    "predictions": LazyCommand(
        "rung.cli.predictions",
        "app",
        True,
        "The prediction log: query it with SQL, list batches and deployments.",
    ),
    "feedback": LazyCommand(
        "rung.cli.feedback",
        "app",
        True,
        "Ground-truth labels: import a filled labelling sheet.",
    ),
    "monitor": LazyCommand(
        "rung.cli.monitor",
        "app",
        True,
        "Monitoring: drift, quality and performance checks, alerts, reports.",
    ),
    "triggers": LazyCommand(
        "rung.cli.triggers",
        "app",
        True,
        "Triggers: start pipelines on schedules, data, alerts and events.",
    ),
    "retune": LazyCommand(
        "rung.cli.retune",
        "app",
        True,
        "Re-tune a model's hyperparameters: an Optuna study warm-started from "
        "its champion.",
    ),
    "challenger": LazyCommand(
        "rung.cli.challenger",
        "app",
        True,
        "Champion and challenger: compare on production data, promote, roll back.",
    ),
    "agent": LazyCommand(
        "rung.cli.agent",
        "app",
        True,
        "The automation agent: triggers, monitors and refreshes in one loop.",
    ),
    "datasets": LazyCommand(
        "rung.cli.datasets",
        "app",
        True,
        "The data catalog: register, refresh, search and inspect datasets.",
    ),
    "lineage": LazyCommand(
        "rung.cli.lineage",
        "lineage",
        False,
        "Show end-to-end lineage: datasets -> steps -> artifacts -> models.",
    ),
    "policies": LazyCommand(
        "rung.cli.policies",
        "app",
        True,
        "Residency and classification policies: apply, inspect, audit, check.",
    ),
}


def load_command(name: str) -> Command:
    """Import the subcommand ``name`` and build its Click command."""
    entry = COMMANDS[name]
    target: Any = getattr(importlib.import_module(entry.module), entry.attr)
    if entry.is_group:
        command: Command = typer.main.get_group(target)
    else:
        wrapper = typer.Typer()
        wrapper.command(name)(target)
        command = typer.main.get_command(wrapper)
    command.name = name
    _escape_markup(command)
    return command


def _escape_markup(command: Command) -> None:
    """Show help texts as written: Rich must not read ``NAME[@V]`` as markup.

    Typer renders subcommand help with Rich, which parses ``[...]`` as style
    tags: ``RUN_ID[/STEP]`` crashes (a closing tag with no opening one) and
    ``NAME[@V]`` silently loses ``[@V]``. Our help texts are plain text.
    """
    if getattr(command, "rich_markup_mode", None) != "rich":
        return
    from rich.markup import escape

    for item in [command, *command.params]:
        for attr in ("help", "short_help", "epilog"):
            text = getattr(item, attr, None)
            if text:
                setattr(item, attr, escape(text))
    for sub in getattr(command, "commands", {}).values():
        _escape_markup(sub)


class LazyGroup(TyperGroup):
    """The root group: commands from :data:`COMMANDS`, imported when invoked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defer_coercion()  # pydantic only for values that need converting

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in COMMANDS:
            return load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(name, entry.help) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
