"""``rung agent``: the loop that evaluates triggers, monitors and dataset schedules."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, err_console, open_client, print_json

if TYPE_CHECKING:
    from rung.automation import TickReport

__all__ = ["app"]

app = typer.Typer(
    help="The automation agent: triggers, monitors and refreshes in one loop.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="Evaluate everything once."),
    lease_ttl: float = typer.Option(30.0, "--lease-ttl", help="Leader lease (s)."),
    as_json: bool = typer.Option(False, "--json", help="Print the tick as JSON."),
) -> None:
    """Evaluate everything once (for cron or CI): `rung agent run --once`."""
    from rung.automation import describe

    if not once:
        raise typer.BadParameter("Give --once, or use `rung agent start` to loop.")
    with open_client() as client:
        agent = client.agent(lease_ttl=lease_ttl, alert_allow_hosts=_allow_hosts())
        try:
            report = agent.tick()
        finally:
            agent.close()
    if as_json:
        print_json(describe(report))
    else:
        _print(report)


@app.command("start")
def start(
    interval: float = typer.Option(10.0, "--interval", help="Seconds between ticks."),
    lease_ttl: float = typer.Option(30.0, "--lease-ttl", help="Leader lease (s)."),
    workers: int = typer.Option(2, "--workers", help="Runs started at once."),
) -> None:
    """Run the agent in the foreground until Ctrl-C (one leader per workspace)."""
    from concurrent.futures import ThreadPoolExecutor

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open_client() as client, ThreadPoolExecutor(workers) as pool:
        agent = client.agent(
            lease_ttl=lease_ttl,
            executor=pool,
            alert_allow_hosts=_allow_hosts(),
        )
        err_console.print(
            f"Agent {agent.holder} on project {client.workspace.project}: "
            f"a tick every {interval:g} s. Ctrl-C stops it."
        )
        try:
            agent.run_forever(interval, stop, on_tick=_print_quietly)
        except KeyboardInterrupt:
            stop.set()
            agent.close()
        err_console.print("Agent stopped; lease released.")


def _print_quietly(report: TickReport) -> None:
    if not report.leader:
        return
    quiet = {"ok"}
    watches = any(o not in quiet for o in report.watches.values())
    rollouts = any(o not in quiet for o in report.rollouts.values())
    if report.dispatches or report.failures or report.monitors or watches or rollouts:
        _print(report)


def _print(report: TickReport) -> None:
    if not report.leader:
        console.print(
            f"Another agent leads this workspace; {report.holder} did nothing."
        )
        return
    console.print(
        f"{report.triggers} trigger(s): {report.count('fired')} fired, "
        f"{report.count('skipped')} skipped, {report.count('error')} error(s); "
        f"{len(report.monitors)} monitor(s) run, {len(report.datasets)} dataset(s) "
        f"refreshed in {report.duration_s:.2f} s."
    )
    for entry in report.dispatches:
        run = f" -> run {entry.run_id[:8]}" if entry.run_id else ""
        why = f": {entry.reason}" if entry.reason else ""
        console.print(f"  {entry.trigger}: {entry.outcome}{why}{run}")
    for watched, outcome in report.watches.items():
        console.print(f"  watch {watched}: {outcome}")
    for rolled, outcome in report.rollouts.items():
        console.print(f"  rollout {rolled}: {outcome}")
    for what, reason in report.failures.items():
        console.print(f"  [red]{what}[/]: {reason}")


def _allow_hosts() -> tuple[str, ...]:
    from rung.settings import load_settings

    return load_settings(Path.cwd()).alert_allow_hosts
