"""``rung challenger``: compare a new version with the champion, promote, watch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short
from rung.cli.rollout import app as rollout_app

if TYPE_CHECKING:
    from rung.automation import (
        ChallengerComparison,
        ChallengerEventRecord,
        PromotionResult,
        WatchRecord,
    )

__all__ = ["app", "print_comparison"]

app = typer.Typer(
    help="Champion and challenger: compare on production data, promote, roll back.",
    no_args_is_help=True,
)
app.add_typer(rollout_app, name="rollout")

_JSON = typer.Option(False, "--json", help="Print JSON.")
_ALIAS = typer.Option("production", "--alias", "-a", help="The champion's alias.")
_STYLE = {
    "promote": "bold green",
    "keep": "yellow",
    "promoted": "green",
    "kept": "yellow",
    "refused": "red",
    "rolled_back": "bold red",
    "watch_error": "red",
}


@app.command("evaluate")
def evaluate(
    model: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="The challenger's version."),
    alias: str = _ALIAS,
    window: str = typer.Option("7d", "--window", help="Labelled rows of: 7d, 12h..."),
    deployment: str = typer.Option(
        None, "--deployment", help="Only rows this deployment logged (name or id)."
    ),
    metric: str = typer.Option(
        None, "--metric", help="Primary metric (accuracy / rmse by default)."
    ),
    margin: float = typer.Option(0.01, "--margin", help="Better by at least this."),
    slices: list[str] = typer.Option(
        [], "--slice", help="COLUMN=VALUE[:TOLERANCE] that must not get worse."
    ),
    slice_tolerance: float = typer.Option(
        0.02, "--slice-tolerance", help="Default tolerance of a slice."
    ),
    min_slice_rows: int = typer.Option(20, "--min-slice-rows", help="Rows to judge."),
    latency_ceiling_ms: float = typer.Option(
        None, "--latency-ceiling-ms", help="Most ms per 1,000 rows."
    ),
    no_holdout: bool = typer.Option(
        False, "--no-holdout", help="Skip the held-out training rows."
    ),
    target: str = typer.Option(None, "--target", help="Label column (held-out)."),
    holdout_tolerance: float = typer.Option(
        None, "--holdout-tolerance", help="Held-out rows may be worse by this."
    ),
    min_rows: int = typer.Option(100, "--min-rows", help="Fewest labelled rows."),
    promote: bool = typer.Option(
        False, "--promote", help="Promote through the registry if it wins."
    ),
    bake: str = typer.Option(
        None, "--bake", help="With --promote: watch for this long (1h)."
    ),
    metric_floor: float = typer.Option(
        None, "--metric-floor", help="Watch: roll back below this live metric."
    ),
    error_rate_ceiling: float = typer.Option(
        None, "--error-rate-ceiling", help="Watch: roll back above this error rate."
    ),
    watch_latency_ms: float = typer.Option(
        None, "--watch-latency-ceiling-ms", help="Watch: roll back above this."
    ),
    comment: str = typer.Option("", "--comment", "-m", help="Why (audit log)."),
    allow_pickle: bool = typer.Option(False, "--allow-pickle", help="Load pickles."),
    as_json: bool = _JSON,
) -> None:
    """Score a challenger and the champion on the same labelled window."""
    options: dict[str, Any] = {
        "alias": alias,
        "window": window,
        "deployment": deployment,
        "metric": metric,
        "margin": margin,
        "slices": _slices(slices, slice_tolerance),
        "min_slice_rows": min_slice_rows,
        "latency_ceiling_ms": latency_ceiling_ms,
        "holdout": None if no_holdout else "auto",
        "target": target,
        "holdout_tolerance": holdout_tolerance,
        "min_rows": min_rows,
        "allow_pickle": allow_pickle,
    }
    watch = _watch_settings(bake, metric_floor, error_rate_ceiling, watch_latency_ms)
    with open_client() as client:
        if not promote:
            found = client.compare_challenger(model, version, **options)
            if as_json:
                print_json(found)
            else:
                print_comparison(found)
            return
        result = client.promote_if_better(
            model, version, comment=comment, watch=watch, **options
        )
    _print_result(result, as_json)
    if result.outcome == "refused":
        raise typer.Exit(1)


@app.command("show")
def show(
    comparison_id: str = typer.Argument(..., help="Comparison id (or prefix)."),
    as_json: bool = _JSON,
) -> None:
    """Show a stored comparison: window, metrics, slices, checks, verdict."""
    with open_client() as client:
        found = client.get_comparison(comparison_id)
    if as_json:
        print_json(found)
        return
    print_comparison(found)


@app.command("list")
def list_(
    model: str = typer.Argument(None, help="Only this model."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many."),
    as_json: bool = _JSON,
) -> None:
    """List stored comparisons, newest first."""
    from rung._internal.timeutil import format_time

    with open_client() as client:
        found = client.list_comparisons(model, limit=limit)
    if as_json:
        print_json(found)
        return
    table = _table("comparisons", "id", "when", "model", "challenger", "champion")
    table.add_column("metric")
    table.add_column("verdict")
    for c in found:
        metric = _metric_check(c)
        table.add_row(
            short(c.id),
            format_time(c.created_at),
            f"{c.model}@{c.alias}",
            f"v{c.challenger_version} {_num(metric.get('challenger'))}",
            f"v{c.champion_version} {_num(metric.get('champion'))}",
            c.metric,
            _styled(c.verdict),
        )
    console.print(table)


@app.command("watch")
def watch(
    model: str = typer.Argument(..., help="Model name."),
    alias: str = _ALIAS,
    bake: str = typer.Option("1h", "--bake", help="Watch this long after promotion."),
    metric: str = typer.Option("accuracy", "--metric", help="The live metric."),
    metric_floor: float = typer.Option(
        None, "--metric-floor", help="Roll back below this live metric."
    ),
    error_rate_ceiling: float = typer.Option(
        None, "--error-rate-ceiling", help="Roll back above this error rate."
    ),
    latency_ceiling_ms: float = typer.Option(
        None, "--latency-ceiling-ms", help="Roll back above this (ms per 1,000 rows)."
    ),
    min_rows: int = typer.Option(30, "--min-rows", help="Labelled rows to judge."),
    as_json: bool = _JSON,
) -> None:
    """Watch an alias after its promotion; the agent rolls it back on a breach."""
    from rung.monitoring import parse_window

    with open_client() as client:
        found = client.watch_promotion(
            model,
            alias,
            bake_s=float(parse_window(bake)["seconds"]),
            metric=metric,
            metric_floor=metric_floor,
            error_rate_ceiling=error_rate_ceiling,
            latency_ceiling_ms=latency_ceiling_ms,
            min_rows=min_rows,
        )
    if as_json:
        print_json(found)
        return
    console.print(_watch_line(found))


@app.command("watches")
def watches(
    model: str = typer.Argument(None, help="Only this model."),
    show_all: bool = typer.Option(False, "--all", help="Ended watches too."),
    as_json: bool = _JSON,
) -> None:
    """List promotion watches (active ones by default)."""
    with open_client() as client:
        found = client.list_watches(model, active=not show_all)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No promotion watches." if show_all else "No active watches.")
    for item in found:
        console.print(_watch_line(item))


@app.command("check")
def check(as_json: bool = _JSON) -> None:
    """Check the active watches now (the agent does it every tick)."""
    with open_client() as client:
        found = client.check_watches()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No active watches.")
    for item in found:
        w = item.watch
        console.print(f"{w.model}@{w.alias} v{w.version}: {_styled(item.outcome)}")
        for line in item.breaches:
            console.print(f"  [red]breach[/] {line}")
        for line in item.notes:
            console.print(f"  [dim]{line}[/]")


@app.command("ledger")
def ledger(
    model: str = typer.Argument(None, help="Only this model."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many."),
    as_json: bool = _JSON,
) -> None:
    """Every comparison, promotion, refusal, watch and rollback, newest first."""
    with open_client() as client:
        found = client.challenger_ledger(model, limit=limit)
    if as_json:
        print_json(found)
        return
    console.print(_ledger_table(found))


def print_comparison(found: ChallengerComparison) -> None:
    """Print a stored comparison for people."""
    from rung._internal.timeutil import format_time

    window = found.window
    where = (
        f"deployment {window['deployment']}"
        if window.get("deployment")
        else (f"model {found.model}")
    )
    console.print(
        f"[bold]{found.model} v{found.challenger_version}[/] vs champion "
        f"v{found.champion_version} ({found.alias}): {_styled(found.verdict.upper())}"
    )
    console.print(
        f"window: {window.get('span')} up to {format_time(window.get('until'))} UTC, "
        f"{where}, {window.get('labelled_rows')} labelled of {window.get('rows')} "
        f"logged rows, sha256 {short(window.get('content_hash'))}"
    )
    console.print(_metrics_table(found))
    console.print("checks:")
    for line in found.reasons:
        console.print(f"  {line}")
    if found.gates:
        console.print("registry gates (checked again when promoting):")
        for gate in found.gates:
            mark = "ok" if gate.get("passed") else "FAILED"
            console.print(f"  {mark}: {gate.get('detail')}")
    for note in found.notes:
        console.print(f"  [dim]note: {note}[/]")
    console.print(f"comparison {short(found.id)} by {found.user}")


def _metrics_table(found: ChallengerComparison) -> Any:
    table = _table("", "", f"champion v{found.champion_version}")
    table.add_column(f"challenger v{found.challenger_version}")
    for key, value in found.champion_metrics.items():
        table.add_row(key, _num(value), _num(found.challenger_metrics.get(key)))
    for row in found.slices:
        if row.get("checked"):
            name = f"{found.metric} | {row['slice']} ({row['rows']} rows)"
            table.add_row(name, _num(row["champion"]), _num(row["challenger"]))
    held = found.holdout
    if held:
        name = f"{found.metric} | held-out ({held.get('rows')} rows)"
        champion, challenger = held.get("champion", {}), held.get("challenger", {})
        table.add_row(
            name, _num(champion.get(found.metric)), _num(challenger.get(found.metric))
        )
    latency = found.latency
    if latency:
        table.add_row(
            "latency ms / 1,000 rows",
            _num(latency.get("champion_ms_per_1k")),
            _num(latency.get("challenger_ms_per_1k")),
        )
    return table


def _print_result(result: PromotionResult, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    print_comparison(result.comparison)
    console.print(f"promotion: {_styled(result.outcome)}: {result.reason}")
    if result.watch is not None:
        console.print(_watch_line(result.watch))


def _watch_line(item: WatchRecord) -> str:
    from rung._internal.timeutil import format_time

    limits = {k: v for k, v in item.thresholds.items() if v is not None}
    shown = ", ".join(
        f"{k}={v}" for k, v in limits.items() if k not in ("bake_s", "min_rows")
    )
    return (
        f"watch {short(item.id)}: {item.model}@{item.alias} v{item.version} "
        f"({_styled(item.state)}) until {format_time(item.ends_at)} UTC, "
        f"rolls back to v{item.previous_version} on a breach of {shown}"
        + (f"; {item.reason}" if item.reason else "")
    )


def _ledger_table(found: list[ChallengerEventRecord]) -> Any:
    from rung._internal.timeutil import format_time

    table = _table("champion/challenger ledger", "id", "when", "model", "action")
    table.add_column("version")
    table.add_column("comparison")
    table.add_column("reason")
    for e in found:
        table.add_row(
            str(e.id),
            format_time(e.at),
            f"{e.model}@{e.alias}",
            _styled(e.action),
            "" if e.version is None else f"v{e.version}",
            short(e.comparison_id),
            e.reason[:120],
        )
    return table


def _slices(given: list[str], default: float) -> dict[str, float]:
    from rung.errors import ParameterError

    out = {}
    for text in given:
        head, sep, tail = text.rpartition(":")
        if sep:
            try:
                out[head] = float(tail)
                continue
            except ValueError:
                pass
        if "=" not in text:
            raise ParameterError(
                f"--slice {text!r}: write COLUMN=VALUE or COLUMN=VALUE:TOLERANCE, "
                "e.g. region=CA:0.03."
            )
        out[text] = default
    return out


def _watch_settings(
    bake: str | None,
    floor: float | None,
    error_rate: float | None,
    latency: float | None,
) -> dict[str, Any] | None:
    from rung.errors import ParameterError
    from rung.monitoring import parse_window

    if bake is None:
        if any(v is not None for v in (floor, error_rate, latency)):
            raise ParameterError(
                "Watch thresholds need --bake (how long to watch), e.g. --bake 1h."
            )
        return None
    if all(v is None for v in (floor, error_rate, latency)):
        raise ParameterError(
            "--bake needs a threshold to watch: --metric-floor, --error-rate-ceiling "
            "or --watch-latency-ceiling-ms."
        )
    return {
        "bake_s": float(parse_window(bake)["seconds"]),
        "metric_floor": floor,
        "error_rate_ceiling": error_rate,
        "latency_ceiling_ms": latency,
    }


def _metric_check(found: ChallengerComparison) -> dict[str, Any]:
    return next((dict(c) for c in found.checks if c.get("check") == "metric"), {})


def _styled(text: str) -> str:
    style = _STYLE.get(text.lower(), "white")
    return f"[{style}]{text}[/]"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return f"{value:.4g}"
    return str(value)


def _table(title: str, *columns: str) -> Any:
    from rich.table import Table

    table = Table(
        title=title or None,
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
        header_style="bold underline",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table
