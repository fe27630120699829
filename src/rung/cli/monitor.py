"""``rung monitor``: define monitors, run them, read their status and alerts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, err_console, open_client, print_json

if TYPE_CHECKING:
    from rung.monitoring import MonitorEvaluation

__all__ = ["app"]

app = typer.Typer(
    help="Monitoring: drift, quality and performance checks, alerts, reports.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_STYLE = {
    "passed": "green",
    "breached": "red",
    "not_computable": "yellow",
    "error": "bold red",
}


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Monitor name (unique in the project)."),
    model: str = typer.Option(
        None, "--model", "-m", help="Model URI: churn@production."
    ),
    reference: str = typer.Option(
        None,
        "--reference",
        help="dataset:NAME[@V], artifact:ID (default: training data).",
    ),
    reference_run: str = typer.Option(
        None, "--reference-run", help="RUN_ID[/STEP]: a table output of a run."
    ),
    current: str = typer.Option(
        None, "--current", help="dataset:NAME[@V]... (default: the prediction log)."
    ),
    checks: str = typer.Option(
        None,
        "--checks",
        help="Comma-separated: drift,prediction_drift,target_drift,"
        "quality,performance,estimated_performance (default: all but "
        "estimated_performance).",
    ),
    threshold: list[str] = typer.Option(
        [], "--threshold", help="KEY=NUMBER, e.g. drift_share=0.3 (repeatable)."
    ),
    feature: list[str] = typer.Option(
        [], "--feature", help="NAME=METHOD[:THRESHOLD], e.g. age=psi:0.25 (repeatable)."
    ),
    window: str = typer.Option(None, "--window", help="Time window: 15m, 1h, 7d."),
    window_rows: int = typer.Option(
        None, "--window-rows", help="Or the newest N rows."
    ),
    schedule: str = typer.Option(None, "--schedule", help="Cron: '*/15 * * * *'."),
    webhook: list[str] = typer.Option(
        [], "--webhook", help="POST alerts to URL (or env:NAME holding the URL)."
    ),
    webhook_header: list[str] = typer.Option(
        [],
        "--webhook-header",
        help="NAME=env:VAR or NAME=file:/path, sent with every --webhook "
        "(repeatable), e.g. Authorization=env:HOOK_AUTH.",
    ),
    email: list[str] = typer.Option([], "--email", help="E-mail alerts to ADDRESS."),
    smtp: str = typer.Option(
        "localhost:25", "--smtp", help="SMTP HOST:PORT for --email."
    ),
    smtp_user: str = typer.Option(None, "--smtp-user", help="SMTP login name."),
    smtp_password: str = typer.Option(
        None, "--smtp-password", help="env:VAR or file:/path holding the password."
    ),
    starttls: bool = typer.Option(False, "--starttls", help="Use SMTP STARTTLS."),
    sender: str = typer.Option("rung@localhost", "--sender", help="From address."),
    label: str = typer.Option(None, "--label", help="The reference's label column."),
    description: str = typer.Option("", "--description", "-d", help="Free text."),
    as_json: bool = _JSON,
) -> None:
    """Define a monitor: reference, current data, checks, thresholds, schedule."""
    from rung.errors import MonitorDefinitionError
    from rung.monitoring import _text as text

    if reference is not None and reference_run is not None:
        raise MonitorDefinitionError("Give --reference or --reference-run, not both.")
    headers = text.parse_pairs(webhook_header)
    if headers and not webhook:
        raise MonitorDefinitionError("--webhook-header needs a --webhook URL.")
    sinks: list[dict[str, Any]] = [{"type": "log"}]
    for url in webhook:
        sinks.append({"type": "webhook", "url": url, **_if(headers=headers)})
    if email:
        host, _, port = smtp.rpartition(":")
        sinks.append(
            {
                "type": "email",
                "host": host or smtp,
                "port": int(port or 25),
                "sender": sender,
                "recipients": list(email),
                **_if(username=smtp_user, password=smtp_password, starttls=starttls),
            }
        )
    with open_client() as client:
        record = client.create_monitor(
            name,
            model=model,
            reference=f"run:{reference_run}" if reference_run else reference,
            current=current,
            checks=[c.strip() for c in checks.split(",") if c.strip()]
            if checks
            else None,
            thresholds={
                k: text.parse_number(k, v)
                for k, v in text.parse_pairs(threshold).items()
            },
            window=window,
            window_rows=window_rows,
            schedule=schedule,
            features=text.parse_feature_rules(feature),
            sinks=sinks,
            label=label,
            description=description,
            alert_allow_hosts=_allow_hosts(),
        )
    if as_json:
        print_json(record)
        return
    console.print(f"Created monitor [bold]{name}[/]: {text.describe_monitor(record)}")


@app.command("run")
def run(
    name: str = typer.Argument(None, help="The monitor (or --due)."),
    due: bool = typer.Option(
        False, "--due", help="Run every monitor whose cron is due."
    ),
    fail: bool = typer.Option(
        False, "--fail-on-breach", help="Exit with status 1 if a check breached."
    ),
    as_json: bool = _JSON,
) -> None:
    """Evaluate a monitor now (or every due one) and record the results.

    With --due, a monitor that fails is reported (and recorded) after the
    others ran; the command then exits with status 1.
    """
    from rung.errors import MonitorDefinitionError
    from rung.monitoring import _text as text

    if due == (name is not None):
        raise MonitorDefinitionError("Give a monitor NAME, or --due (not both).")
    with open_client() as client:
        allow = _allow_hosts()
        results = (
            client.run_due_monitors(alert_allow_hosts=allow)
            if due
            else [client.run_monitor(name, alert_allow_hosts=allow)]
        )
        # Then retries of earlier alerts (every monitor's) that are due now.
        retried = client.deliver_alerts(alert_allow_hosts=allow)
    if as_json:
        print_json([r.to_dict() for r in results])
    elif due and not results:
        console.print("No monitor is due.")
    for result in [] if as_json else results:
        _print_result(result)
    if len(retried) and not as_json:
        console.print(text.report_line(retried), highlight=False)
    failed = [r.evaluation.monitor for r in results if r.error is not None]
    if failed:
        err_console.print(
            f"{len(failed)} of {len(results)} due monitors failed: "
            f"{', '.join(failed)}. Fix them; each runs again when next due.",
            markup=False,
        )
        raise typer.Exit(1)
    if fail and any(r.status == "breached" for r in results):
        raise typer.Exit(1)


@app.command("status")
def status(
    name: str = typer.Argument(..., help="The monitor."), as_json: bool = _JSON
) -> None:
    """Show a monitor: definition, latest evaluation, open alerts."""
    from rung.monitoring import _text as text

    with open_client() as client:
        record = client.get_monitor(name)
        evaluation = client.latest_evaluation(name)
        alerts = client.list_alerts(name, status="open")
    if as_json:
        print_json({"monitor": record, "latest": evaluation, "open_alerts": alerts})
        return
    console.print(f"[bold]{name}[/]: {text.describe_monitor(record)}")
    if evaluation is None:
        console.print(f"Not evaluated yet. Run `rung monitor run {name}`.")
    else:
        console.print(
            f"last evaluated {text.when(evaluation.evaluated_at)}: "
            f"{_styled(evaluation.status)} ({evaluation.current_rows} rows)"
        )
        for check, summary in evaluation.checks.items():
            state = _styled(summary.get("status", ""))
            detail = text.check_detail(summary)
            console.print(f"  {check}: {state} {detail}", highlight=False)
    console.print(f"open alerts: {len(alerts)}")
    for alert in alerts:
        console.print(f"  {text.alert_line(alert)}", highlight=False)


@app.command("list")
def list_command(as_json: bool = _JSON) -> None:
    """List the project's monitors."""
    from rich.table import Table

    from rung.monitoring import _text as text

    with open_client() as client:
        found = client.list_monitors()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print(
            "No monitors yet. Create one with `rung monitor create NAME "
            "--model MODEL@ALIAS`."
        )
        return
    table = Table(title=f"Monitors ({len(found)})", title_justify="left")
    for heading in ("name", "model", "checks", "schedule", "last run"):
        table.add_column(heading)
    for m in found:
        last = text.when(m.last_evaluated_at) if m.last_evaluated_at else "never"
        table.add_row(
            m.name, m.model or "-", ",".join(m.checks), m.schedule or "-", last
        )
    console.print(table)


@app.command("alerts")
def alerts(
    name: str = typer.Argument(None, help="One monitor's alerts (default: all)."),
    state: str = typer.Option(None, "--status", help="open or resolved."),
    since: str = typer.Option(None, "--since", help="Changed in the last 1h, 7d..."),
    as_json: bool = _JSON,
) -> None:
    """List alerts, most recently changed first, with their delivery per sink.

    A delivery is delivered, pending (with its next try) or failed (with
    why); `rung monitor deliver` sends the pending ones that are due.
    """
    from dataclasses import asdict

    from rung._internal.timeutil import now
    from rung.monitoring import _text as text
    from rung.monitoring import parse_window
    from rung.monitoring._outbox import delivery_dict

    start = now() - parse_window(since)["seconds"] if since else None
    with open_client() as client:
        found = client.list_alerts(name, status=state, since=start)
        sent = client.list_deliveries(alerts=found) if found else []
    by_alert: dict[str, list[Any]] = {a.id: [] for a in found}
    for delivery in sent:
        by_alert[delivery.alert_id].append(delivery)
    if as_json:
        print_json(
            [
                {
                    **asdict(a),
                    "deliveries": [delivery_dict(d) for d in by_alert[a.id]],
                }
                for a in found
            ]
        )
        return
    if not found:
        console.print("No alerts.")
    for alert in found:
        console.print(text.alert_line(alert), highlight=False)
        for delivery in by_alert[alert.id]:
            line = f"  {text.delivery_line(delivery)}"
            console.print(line, highlight=False, markup=False)


@app.command("deliver")
def deliver(
    every: bool = typer.Option(
        False,
        "--all",
        help="Also try deliveries whose next try is later (the receiver is back).",
    ),
    as_json: bool = _JSON,
) -> None:
    """Send the pending alert deliveries that are due (retries with backoff).

    Exits with status 1 if a delivery was given up (too many attempts, or
    too old); it stays visible in `rung monitor alerts`.
    """
    from rung.monitoring import _text as text

    with open_client() as client:
        report = client.deliver_alerts(
            alert_allow_hosts=_allow_hosts(), include_waiting=every
        )
    if as_json:
        print_json(report.to_dict())
    elif not len(report):
        console.print("No alert delivery is due.")
    else:
        console.print(text.report_line(report), highlight=False)
        for line in report.failures:
            console.print(f"  {line}", highlight=False, markup=False)
    if report.failed:
        raise typer.Exit(1)


@app.command("report")
def report(
    name: str = typer.Argument(..., help="The monitor."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write here (default: stdout)."
    ),
    fmt: str = typer.Option("html", "--format", "-f", help="html or json."),
) -> None:
    """Write a self-contained HTML report (or JSON) of a monitor."""
    import json

    from rung.errors import MonitorDefinitionError
    from rung.monitoring import render_html

    if fmt not in ("html", "json"):
        raise MonitorDefinitionError(f"Unknown --format {fmt!r}; use html or json.")
    with open_client() as client:
        data = client.monitor_report(name)
    text = render_html(data) if fmt == "html" else json.dumps(data, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"Wrote the {fmt.upper()} report of [bold]{name}[/] to {output}")


@app.command("delete")
def delete(name: str = typer.Argument(..., help="The monitor.")) -> None:
    """Delete a monitor with its evaluations and alerts."""
    with open_client() as client:
        client.delete_monitor(name)
    console.print(f"Deleted monitor [bold]{name}[/].")


def _print_result(result: MonitorEvaluation) -> None:
    from rung.monitoring import _text as text

    e = result.evaluation
    if result.error is not None:
        from rich.markup import escape

        # One row per failed monitor, unwrapped: easy to grep in a cron log.
        row = f"[bold]{e.monitor}[/]: {_styled(e.status)} - {escape(result.error)}"
        console.print(row, soft_wrap=True, highlight=False)
        return
    console.print(
        f"[bold]{e.monitor}[/]: {_styled(e.status)} ({e.current_rows} rows "
        f"vs {e.reference_rows} reference rows, {e.duration_s:.2f} s)"
    )
    for check, outcome in result.outcomes.items():
        detail = text.check_detail(outcome.summary)
        console.print(f"  {check}: {_styled(outcome.status)} {detail}", highlight=False)
    for kind, changed in (
        ("opened", result.alerts.opened),
        ("resolved", result.alerts.resolved),
    ):
        for alert in changed:
            console.print(f"  alert {kind}: {text.alert_line(alert)}", highlight=False)


def _allow_hosts() -> tuple[str, ...]:
    """The ``alert_allow_hosts`` setting (rung.toml, RUNG_ALERT_ALLOW_HOSTS)."""
    from rung.settings import load_settings

    return load_settings(Path.cwd()).alert_allow_hosts


def _if(**values: Any) -> dict[str, Any]:
    """The options the user gave (None, False and empty left out)."""
    return {key: value for key, value in values.items() if value}


def _styled(status: str) -> str:
    return f"[{_STYLE.get(status, 'white')}]{status}[/]"
