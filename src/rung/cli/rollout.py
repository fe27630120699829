"""``rung challenger rollout``: shadow, canary, promotion, rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short

if TYPE_CHECKING:
    from rung.serving.records import RolloutRecord

__all__ = ["app"]

app = typer.Typer(
    help="Roll a challenger out: shadow, canary, then promotion or rollback.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_ID = typer.Argument(
    ..., help="Rollout id (or prefix), or a model name for its newest rollout."
)
_STYLE = {
    "shadow": "cyan",
    "canary": "bold yellow",
    "promoted": "green",
    "rolled_back": "bold red",
    "aborted": "red",
    "refused": "red",
}


@app.command("start")
def start(
    model: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="The challenger's version."),
    alias: str = typer.Option(
        "production", "--alias", "-a", help="The alias whose traffic is rolled out."
    ),
    shadow: str = typer.Option(
        None,
        "--shadow",
        help="Mirror traffic to the challenger first, this long (30m).",
    ),
    canary: str = typer.Option(
        "10%", "--canary", help="The canary's share of live traffic (10% or 0.1)."
    ),
    bake: str = typer.Option("1h", "--bake", help="Canary this long, then promote."),
    metric: str = typer.Option(None, "--metric", help="The live metric (accuracy)."),
    min_metric: float = typer.Option(
        None, "--min-metric", help="Roll back below this live metric."
    ),
    max_error_rate: float = typer.Option(
        None, "--max-error-rate", help="Roll back above this share of failed requests."
    ),
    max_latency_ms: float = typer.Option(
        None, "--max-latency-ms", help="Roll back above this p95 predict time (ms)."
    ),
    min_rows: int = typer.Option(30, "--min-rows", help="Labelled rows to judge."),
    min_requests: int = typer.Option(
        20, "--min-requests", help="Requests to judge error rate and latency."
    ),
    watch: str = typer.Option(
        None, "--watch", help="Watch after the promotion this long (default: --bake)."
    ),
    comparison: str = typer.Option(
        None, "--comparison", help="The comparison behind it (default: the newest)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Start a rollout; servers of the alias pick it up, the agent moves it on."""
    settings: dict[str, Any] = {
        "alias": alias,
        "shadow_s": 0.0 if shadow is None else _seconds(shadow, "--shadow"),
        "share": _share(canary),
        "bake_s": _seconds(bake, "--bake"),
        "metric": metric,
        "min_metric": min_metric,
        "max_error_rate": max_error_rate,
        "max_latency_ms": max_latency_ms,
        "min_rows": min_rows,
        "min_requests": min_requests,
        "watch_s": None if watch is None else _seconds(watch, "--watch"),
        "comparison": comparison,
    }
    with open_client() as client:
        found = client.start_rollout(model, version, **settings)
    if as_json:
        print_json(found)
        return
    console.print(_line(found))


@app.command("status")
def status(rollout_id: str = _ID, as_json: bool = _JSON) -> None:
    """Show a rollout: stage, thresholds, what the servers counted, its history."""
    with open_client() as client:
        found = client.get_rollout(rollout_id)
        arms = client.rollout_stats(found.id)
    if as_json:
        print_json({"rollout": found, "arms": arms})
        return
    _print_status(found, arms)


@app.command("list")
def list_(
    model: str = typer.Argument(None, help="Only this model."),
    running: bool = typer.Option(False, "--running", help="Only shadow and canary."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many."),
    as_json: bool = _JSON,
) -> None:
    """List rollouts, newest first."""
    with open_client() as client:
        found = client.list_rollouts(model, active=running, limit=limit)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No rollouts.")
    for item in found:
        console.print(_line(item))


@app.command("compare")
def compare(rollout_id: str = _ID, as_json: bool = _JSON) -> None:
    """Compare the shadow's predictions with the champion's answers."""
    with open_client() as client:
        found = client.compare_shadow(rollout_id)
    if as_json:
        print_json(found)
        return
    _print_comparison(found)


@app.command("promote")
def promote(
    rollout_id: str = _ID,
    comment: str = typer.Option("", "--comment", "-m", help="Why (audit log)."),
    as_json: bool = _JSON,
) -> None:
    """Promote the challenger now, through the registry's gates."""
    with open_client() as client:
        found = client.promote_rollout(rollout_id, comment=comment)
    if as_json:
        print_json(found)
    else:
        console.print(_line(found))
    if found.stage == "refused":
        raise typer.Exit(1)


@app.command("abort")
def abort(
    rollout_id: str = _ID,
    reason: str = typer.Option("", "--reason", "-m", help="Why (audit log)."),
    as_json: bool = _JSON,
) -> None:
    """Stop a rollout: every request goes back to the champion."""
    with open_client() as client:
        found = client.abort_rollout(rollout_id, reason=reason)
    if as_json:
        print_json(found)
        return
    console.print(_line(found))


@app.command("check")
def check(as_json: bool = _JSON) -> None:
    """Move the running rollouts on now (the agent does it every tick)."""
    with open_client() as client:
        found = client.check_rollouts()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No running rollouts.")
    for item in found:
        r = item.rollout
        console.print(
            f"{short(r.id)} {r.model}@{r.alias} v{r.challenger_version}: "
            f"{_styled(item.outcome)}"
        )
        for line in item.breaches:
            console.print(f"  [red]breach[/] {line}")
        for line in item.notes:
            console.print(f"  [dim]{line}[/]")


def _line(item: RolloutRecord) -> str:
    from rung._internal.timeutil import format_time

    head = (
        f"rollout {short(item.id)}: {item.model}@{item.alias} "
        f"v{item.challenger_version} against v{item.champion_version}, "
        f"{_styled(item.stage)}"
    )
    ends = item.stage_ends_at
    if item.stage == "canary":
        head += f" {item.share:.0%} of traffic"
    if ends is not None:
        return head + f" until {format_time(ends)} UTC"
    return head + (f": {item.reason}" if item.reason else "")


def _print_status(item: RolloutRecord, arms: dict[str, dict[str, Any]]) -> None:
    from rung._internal.timeutil import format_time

    console.print(_line(item))
    keys = ("min_metric", "max_error_rate", "max_latency_ms")
    limits = [f"{k}={item.thresholds[k]}" for k in keys if item.thresholds.get(k)]
    metric = item.thresholds.get("metric") or "default metric"
    console.print(f"rolls back on: {', '.join(limits)} ({metric})")
    if arms:
        table = _table("arm", "version", "requests", "errors", "p95 ms", "workers")
        for name, arm in sorted(arms.items()):
            p95 = arm["latency_p95_ms"]
            table.add_row(
                name,
                f"v{arm['version']}",
                str(arm["requests"]),
                str(arm["errors"]),
                "-" if p95 is None else f"<= {p95:g}",
                str(arm["workers"]),
            )
        console.print(table)
    else:
        console.print("[dim]no server has reported requests for it yet[/]")
    for note in item.evidence.get("notes", []):
        console.print(f"  [dim]{note}[/]")
    for stage in item.stages:
        console.print(
            f"  {format_time(stage.get('at'))} UTC {_styled(str(stage.get('stage')))}: "
            f"{stage.get('reason', '')}"
        )


def _print_comparison(found: dict[str, Any]) -> None:
    console.print(
        f"{found['model']} shadow v{found['challenger_version']} vs champion "
        f"v{found['champion_version']}: {found['rows']} mirrored rows"
    )
    if not found["rows"]:
        console.print("[dim]no mirrored rows logged yet[/]")
        return
    console.print(f"agreement: {found['agreement']:.1%}")
    shares = found["distribution"].get("classes")
    if shares:
        table = _table("prediction", "champion", "challenger")
        for label, pair in shares.items():
            table.add_row(label, f"{pair['champion']:.1%}", f"{pair['challenger']:.1%}")
        console.print(table)
        console.print(
            f"total variation distance: {found['distribution']['total_variation']:.3f}"
        )
    else:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in found["distribution"].items())
        console.print(f"distribution: {shown}")
    if found["metric"] is None:
        console.print("[dim]no feedback labels for the mirrored rows yet[/]")
        return
    console.print(
        f"{found['metric']} on {found['labelled_rows']} labelled rows: champion "
        f"{found['champion_metric']:.4g}, challenger {found['challenger_metric']:.4g}"
    )


def _seconds(text: str, flag: str) -> float:
    from rung.errors import ParameterError
    from rung.monitoring import parse_window

    try:
        return float(parse_window(text)["seconds"])
    except ValueError as exc:
        raise ParameterError(f"{flag} {text!r}: {exc}") from None


def _share(text: str) -> float:
    from rung.errors import ParameterError

    raw = text.strip()
    try:
        value = float(raw.removesuffix("%"))
    except ValueError:
        raise ParameterError(
            f"--canary {text!r} is not a share: write a percentage (10%) or a "
            "fraction (0.1)."
        ) from None
    return value / 100 if raw.endswith("%") else value


def _styled(text: str) -> str:
    return f"[{_STYLE.get(text, 'white')}]{text}[/]"


def _table(*columns: str) -> Any:
    from rich.table import Table

    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    return table
