"""``rung triggers``: define triggers, fire them, and read why they fired or not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short

if TYPE_CHECKING:
    from rung.automation import DispatchRecord, TriggerRecord

__all__ = ["app"]

app = typer.Typer(
    help="Triggers: start pipelines on schedules, data, alerts and events.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_STYLE = {
    "fired": "green",
    "skipped": "yellow",
    "error": "bold red",
    "queued": "cyan",
    "awaiting_approval": "magenta",
}


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Trigger name (unique in the project)."),
    pipeline: str = typer.Option(
        ..., "--pipeline", help="What it starts: FILE.py:PIPELINE."
    ),
    on: str = typer.Option(
        ...,
        "--on",
        help="schedule, dataset, monitor, model, pipeline, webhook or manual.",
    ),
    cron: str = typer.Option(None, "--cron", help="Schedule: '0 3 * * *'."),
    timezone: str = typer.Option(None, "--timezone", help="Schedule time zone."),
    every: float = typer.Option(None, "--every", help="Schedule: every N seconds."),
    dataset: str = typer.Option(None, "--dataset", help="Dataset to watch."),
    min_rows: int = typer.Option(None, "--min-rows", help="New rows needed to fire."),
    monitor: str = typer.Option(None, "--monitor", help="Monitor to watch."),
    check: str = typer.Option(None, "--check", help="Only this check's alerts."),
    model: str = typer.Option(None, "--model", help="Model whose events fire it."),
    event: str = typer.Option(None, "--event", help="registered or alias_moved."),
    alias: str = typer.Option(None, "--alias", help="Only moves of this alias."),
    upstream: str = typer.Option(None, "--upstream", help="Pipeline to watch."),
    status: str = typer.Option(None, "--status", help="completed, failed or any."),
    secret: str = typer.Option(None, "--secret", help="Webhook secret: env:NAME."),
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="KEY=VALUE or KEY={event.FIELD} (repeatable).",
    ),
    cooldown: float = typer.Option(None, "--cooldown", help="Seconds between runs."),
    breaches: int = typer.Option(None, "--breaches", help="Alert seen N times first."),
    max_concurrent: int = typer.Option(None, "--max-concurrent", help="Runs at once."),
    on_busy: str = typer.Option(None, "--on-busy", help="skip or queue when busy."),
    max_per_day: int = typer.Option(None, "--max-per-day", help="Runs per 24 h."),
    budget: float = typer.Option(None, "--budget-cpu-hours", help="CPU h per 24 h."),
    approval: bool = typer.Option(False, "--approval", help="A person approves runs."),
    retune_space: Path = typer.Option(
        None, "--retune-space", help="Re-tune in this YAML space when runs lose."
    ),
    retune_metric: str = typer.Option(None, "--retune-metric", help="Metric to tune."),
    retune_model: str = typer.Option(None, "--retune-model", help="Its champion."),
    retune_after: int = typer.Option(None, "--retune-after", help="Lost runs first."),
    retune_trials: int = typer.Option(None, "--retune-trials", help="Trials/round."),
    retune_register: str = typer.Option(
        None, "--retune-register", help="Step whose best output is registered."
    ),
    description: str = typer.Option("", "--description", help="Free text."),
    as_json: bool = _JSON,
) -> None:
    """Create a trigger (checked now: pipeline, parameters, cron, loops...)."""
    from rung.pipelines import parse_cli_params

    spec = _given(
        cron=cron,
        timezone=timezone,
        every=every,
        dataset=dataset,
        min_rows=min_rows,
        monitor=monitor,
        check=check,
        model=model,
        event=event,
        alias=alias,
        upstream=upstream,
        status=status,
        secret=secret,
    )
    policy = _given(
        cooldown=cooldown,
        breaches=breaches,
        max_concurrent=max_concurrent,
        on_busy=on_busy,
        max_per_day=max_per_day,
        budget_cpu_hours=budget,
        approval=approval or None,
        retune_space=_read_yaml(retune_space) if retune_space else None,
        retune_metric=retune_metric,
        retune_model=retune_model,
        retune_after=retune_after,
        retune_trials=retune_trials,
        retune_register=retune_register,
    )
    params = {k: _value(v) for k, v in parse_cli_params(param).items()}
    with open_client() as client:
        trigger = client.create_trigger(
            name,
            pipeline,
            on,
            spec=spec,
            params=params,
            policy=policy,
            description=description,
        )
    if as_json:
        print_json(_trigger_json(trigger))
    else:
        console.print(f"Created trigger [bold]{trigger.name}[/] ({_what(trigger)}).")


@app.command("list")
def list_command(as_json: bool = _JSON) -> None:
    """List the project's triggers."""
    from rich.table import Table

    with open_client() as client:
        found = client.list_triggers()
    if as_json:
        print_json([_trigger_json(t) for t in found])
        return
    if not found:
        console.print("No triggers. Create one with `rung triggers create`.")
        return
    table = Table("name", "state", "on", "pipeline", box=None)
    for trigger in found:
        table.add_row(trigger.name, trigger.state, _what(trigger), trigger.pipeline)
    console.print(table)


@app.command("show")
def show(name: str = typer.Argument(...), as_json: bool = _JSON) -> None:
    """Show a trigger, its guards and its latest ledger entries."""
    with open_client() as client:
        trigger = client.get_trigger(name)
        entries = client.ledger(name, limit=10)
    if as_json:
        print_json({**_trigger_json(trigger), "ledger": [_entry(e) for e in entries]})
        return
    console.print(f"[bold]{trigger.name}[/] ({trigger.state}): {_what(trigger)}")
    console.print(f"  starts   {trigger.pipeline} {dict(trigger.params) or ''}")
    guards = ", ".join(f"{k}={v}" for k, v in trigger.policy.items())
    console.print(f"  guards   {guards}")
    _print_ledger(entries)


@app.command("pause")
def pause(name: str = typer.Argument(...)) -> None:
    """Stop evaluating a trigger (it keeps its place)."""
    with open_client() as client:
        client.pause_trigger(name)
    console.print(f"Paused {name}.")


@app.command("resume")
def resume(name: str = typer.Argument(...)) -> None:
    """Evaluate a paused trigger again."""
    with open_client() as client:
        client.resume_trigger(name)
    console.print(f"Resumed {name}.")


@app.command("delete")
def delete(name: str = typer.Argument(...)) -> None:
    """Delete a trigger (its ledger stays)."""
    with open_client() as client:
        client.delete_trigger(name)
    console.print(f"Deleted {name}.")


@app.command("fire")
def fire(
    name: str = typer.Argument(...),
    param: list[str] = typer.Option([], "--param", "-p", help="KEY=VALUE override."),
    as_json: bool = _JSON,
) -> None:
    """Queue a firing now; the agent starts it on its next tick."""
    from rung.pipelines import parse_cli_params

    params = {k: _value(v) for k, v in parse_cli_params(param).items()}
    with open_client() as client:
        entry = client.fire_trigger(name, params)
    if as_json:
        print_json(_entry(entry))
    else:
        console.print(
            f"Queued dispatch {entry.id} of {name}; `rung agent run --once` starts it."
        )


@app.command("deliver")
def deliver(
    name: str = typer.Argument(...),
    body: Path = typer.Option(..., "--body", help="The delivery's JSON body (file)."),
    signature: str = typer.Option(..., "--signature", help="sha256=<hex> HMAC."),
    delivery_id: str = typer.Option(..., "--delivery-id", help="The delivery id."),
    as_json: bool = _JSON,
) -> None:
    """Hand a webhook delivery to a trigger (checks its HMAC signature)."""
    with open_client() as client:
        entry = client.receive_webhook(name, body.read_bytes(), signature, delivery_id)
    if as_json:
        print_json(None if entry is None else _entry(entry))
    elif entry is None:
        console.print(f"Delivery {delivery_id} was received before: nothing queued.")
    else:
        console.print(f"Queued dispatch {entry.id} of {name}.")


@app.command("approve")
def approve(dispatch_id: int = typer.Argument(..., help="Ledger entry id.")) -> None:
    """Approve a firing held for approval."""
    with open_client() as client:
        entry = client.approve_dispatch(dispatch_id)
    console.print(f"Approved dispatch {entry.id} of {entry.trigger}: queued.")


@app.command("retry")
def retry(dispatch_id: int = typer.Argument(..., help="Ledger entry id.")) -> None:
    """Queue a failed firing again, with the same parameters."""
    with open_client() as client:
        entry = client.retry_dispatch(dispatch_id)
    console.print(f"Queued dispatch {entry.id} of {entry.trigger} (retry).")


@app.command("ledger")
def ledger_command(
    name: str = typer.Argument(None, help="One trigger (default: all)."),
    limit: int = typer.Option(50, "--limit", help="At most this many entries."),
    as_json: bool = _JSON,
) -> None:
    """Why did it (not) fire? Every evaluation, newest first, with its evidence."""
    with open_client() as client:
        entries = client.ledger(name, limit=limit)
    if as_json:
        print_json([_entry(e) for e in entries])
    elif not entries:
        console.print("The ledger is empty: no trigger has been evaluated yet.")
    else:
        _print_ledger(entries)


def _print_ledger(entries: list[DispatchRecord]) -> None:
    from rich.table import Table

    table = Table(
        "id", "when", "trigger", "outcome", "event", "run", "reason", box=None
    )
    for e in entries:
        style = _STYLE.get(e.outcome, "")
        table.add_row(
            str(e.id),
            datetime.fromtimestamp(e.evaluated_at, tz=UTC).strftime("%m-%d %H:%M:%S"),
            e.trigger,
            f"[{style}]{e.outcome}[/]" if style else e.outcome,
            e.event_key or "",
            short(e.run_id, 8),
            e.reason,
        )
    console.print(table)


def _what(trigger: TriggerRecord) -> str:
    spec = {k: v for k, v in trigger.spec.items() if k != "pipeline_name"}
    details = ", ".join(f"{k}={v}" for k, v in spec.items())
    return f"on {trigger.kind}" + (f" ({details})" if details else "")


def _trigger_json(trigger: TriggerRecord) -> dict[str, Any]:
    return {
        "name": trigger.name,
        "state": trigger.state,
        "kind": trigger.kind,
        "pipeline": trigger.pipeline,
        "spec": dict(trigger.spec),
        "params": dict(trigger.params),
        "policy": dict(trigger.policy),
        "cursor": dict(trigger.cursor),
        "created_at": trigger.created_at,
        "description": trigger.description,
    }


def _entry(entry: DispatchRecord) -> dict[str, Any]:
    return {
        "id": entry.id,
        "trigger": entry.trigger,
        "evaluated_at": entry.evaluated_at,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "event_key": entry.event_key,
        "evidence": {k: v for k, v in entry.evidence.items() if not k.startswith("_")},
        "params": dict(entry.params),
        "run_id": entry.run_id,
    }


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _read_yaml(path: Path) -> Any:
    import yaml

    from rung.automation.errors import TriggerDefinitionError

    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TriggerDefinitionError(f"Cannot read {str(path)!r}: {exc}") from None


def _value(raw: str) -> Any:
    """A parameter as typed: JSON if it parses (numbers, booleans), else text."""
    if raw.startswith("{event."):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
