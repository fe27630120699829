"""``rung retune``: re-tune a model's hyperparameters; follow or reset its study.

``rung retune PIPELINE --model NAME ...`` is short for ``rung retune start
PIPELINE --model NAME ...``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from rung.cli._common import console, open_client, print_json, short

if TYPE_CHECKING:
    from typer._click import Command, Context

    from rung.automation import RetuneResult, RoundStatus, StudyStatus

__all__ = ["app"]


class _StartByDefault(TyperGroup):
    """A group whose first argument, when it names no command, is ``start``'s."""

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["start", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_StartByDefault,
    help="Re-tune a model's hyperparameters: an Optuna study warm-started from "
    "its champion.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("start")
def start(
    pipeline: str = typer.Argument(..., help="FILE.py:PIPELINE or module:name."),
    model: str = typer.Option(..., "--model", help="The model being re-tuned."),
    space: Path = typer.Option(
        ..., "--space", help="YAML: parameter -> {low, high, log, type} or {choices}."
    ),
    metric: str = typer.Option(..., "--metric", help="The metric each run logs."),
    direction: str = typer.Option("maximize", "--direction", help="or minimize."),
    trials: int = typer.Option(20, "--trials", help="Trials in the round."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds for this call."),
    budget: float = typer.Option(
        None, "--budget-cpu-hours", help="CPU hours of the round's runs."
    ),
    narrow: float = typer.Option(
        0.5, "--narrow", help="Fraction of each range searched around the champion."
    ),
    register: str = typer.Option(
        None, "--register", help="Register the best trial's output of this step."
    ),
    champion: str = typer.Option(
        "production", "--champion", help="Alias of the version to start from."
    ),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="KEY=VALUE fixed for every trial (repeatable)."
    ),
    seed: int = typer.Option(0, "--seed", help="The sampler's seed."),
    as_json: bool = _JSON,
) -> None:
    """Run a round of re-tuning (or resume the round a killed process left)."""
    from rung.pipelines import parse_cli_params

    params = {k: _value(v) for k, v in parse_cli_params(param).items()}
    with open_client() as client:
        result = client.retune(
            pipeline,
            model=model,
            space=_read_space(space),
            metric=metric,
            direction=direction,
            n_trials=trials,
            timeout_s=timeout,
            budget_cpu_hours=budget,
            narrow=narrow,
            seed=seed,
            params=params,
            register=register,
            champion=champion,
        )
    if as_json:
        print_json(result)
    else:
        _print_result(result)


@app.command("status")
def status(
    model: str = typer.Argument(..., help="The re-tuned model."),
    as_json: bool = _JSON,
) -> None:
    """Show a model's study: its rounds, trials, best values and stop reasons."""
    with open_client() as client:
        found = client.study_status(model)
    if as_json:
        print_json(found)
    else:
        _print_status(found)


@app.command("reset")
def reset(model: str = typer.Argument(..., help="The re-tuned model.")) -> None:
    """Delete a model's study (its runs and versions stay)."""
    with open_client() as client:
        deleted = client.reset_study(model)
    console.print(
        f"Deleted the re-tuning study of {model}."
        if deleted
        else f"{model} has no re-tuning study."
    )


def _read_space(path: Path) -> Any:
    import yaml

    from rung.automation.errors import SearchSpaceError

    try:
        return yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SearchSpaceError(
            f"Cannot read the search space {str(path)!r}: {exc.strerror}."
        ) from None
    except yaml.YAMLError as exc:
        raise SearchSpaceError(
            f"The search space {str(path)!r} is not valid YAML: {exc}"
        ) from None


def _value(raw: str) -> Any:
    """A parameter as typed: JSON if it parses (numbers, booleans), else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _print_result(result: RetuneResult) -> None:
    how = "resumed" if result.resumed else "ran"
    console.print(
        f"Study [bold]{result.study}[/] ({result.where}): {how} round "
        f"{result.round}, {result.trials} trials ({result.failed} failed), "
        f"stopped: {result.stop_reason}."
    )
    if result.champion_version is not None:
        console.print(
            f"  champion  version {result.champion_version} "
            f"{_number(result.champion_value)}; its parameters scored "
            f"{_number(result.warm_value)} now"
        )
    if result.best_trial is None:
        console.print("  no trial completed")
    else:
        console.print(
            f"  best      trial {result.best_trial}: {_number(result.best_value)} "
            f"{_params(result.best_params)} (run {short(result.best_run or '')})"
        )
    if result.version is not None:
        console.print(f"  version   {result.version} (tag rung.retune.study)")
    for note in result.notes:
        console.print(f"  note      {note}")


def _print_status(found: StudyStatus) -> None:
    from rich.table import Table

    console.print(
        f"Study [bold]{found.name}[/] ({found.where}): {found.direction} {found.metric}"
    )
    table = Table(
        "round", "trials", "best", "trial", "params", "stop", "version", box=None
    )
    for r in found.rounds:
        table.add_row(
            str(r.round),
            _trials(r),
            _number(r.best_value),
            "" if r.best_trial is None else str(r.best_trial),
            _params(r.best_params),
            r.stop_reason or "running or killed",
            "" if r.version is None else str(r.version),
        )
    console.print(table)


def _trials(r: RoundStatus) -> str:
    failed = f", {r.failed} failed" if r.failed else ""
    running = f", {r.running} running" if r.running else ""
    return f"{r.trials}/{r.planned}{failed}{running}"


def _params(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in params.items()
    )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
