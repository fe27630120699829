"""``rung policies apply|show|list|audit|check|classify``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short

if TYPE_CHECKING:
    from rung.governance import PlanReport, PolicySet

__all__ = ["app"]

app = typer.Typer(
    help="Residency and classification policies: apply, inspect, audit, check.",
    no_args_is_help=True,
)

_OUTCOME_STYLE = {"pass": "green", "fail": "bold red", "deferred": "yellow"}


@app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="The YAML policy file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Validate FILE and store it as the project's next policy set version."""
    with open_client(create=True) as client:
        applied = client.apply_policy_file(file)
        found = applied.policy_set
        if as_json:
            print_json({"version": found.version, "created": applied.created})
            return
        count = len(found.policies)
        if applied.created:
            console.print(
                f"Applied policy set [bold]v{found.version}[/] ({count} policies) "
                f"to project {client.workspace.project!r}."
            )
        else:
            console.print(
                f"Unchanged: policy set v{found.version} is already in force."
            )


@app.command("show")
def show(
    version: int = typer.Option(
        None, "--version", help="A version (default: in force)."
    ),
    source: bool = typer.Option(False, "--source", help="Print the file as applied."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the policy set in force (or one version): its rules."""
    from rich.table import Table

    from rung._internal.timeutil import format_time

    with open_client() as client:
        found = client.get_policies(version)
    if as_json:
        print_json({"version": found.version, **found.record.document})
        return
    if source:
        console.print(found.record.source, markup=False, highlight=False)
        return
    record = found.record
    when = format_time(record.created_at)
    console.print(
        f"Policy set [bold]v{found.version}[/], applied {when} UTC by {record.user} "
        f"(digest {short(record.digest)})"
    )
    table = Table(box=None, header_style="bold underline", pad_edge=False)
    for column in ("policy", "match", "allow regions", "egress", "applies to"):
        table.add_column(column, overflow="fold")
    for policy in found.policies:
        match = [*policy.match.tags, *(f"region {r}" for r in policy.match.region)]
        table.add_row(
            policy.name,
            ", ".join(match),
            ", ".join(policy.allow_regions or ()) or "-",
            policy.egress or "-",
            ", ".join(policy.applies_to),
        )
    console.print(table)
    for policy in found.policies:
        if policy.description:
            text = f"{policy.name}: {policy.description}"
            console.print(text, style="dim", markup=False, highlight=False)


@app.command("list")
def list_versions(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the project's policy set versions, newest first."""
    from rich.table import Table

    from rung._internal.timeutil import format_time

    with open_client() as client:
        found = client.list_policy_sets()
    if as_json:
        print_json([_summary(s) for s in found])
        return
    if not found:
        console.print("No policy set yet. Apply one with `rung policies apply FILE`.")
        return
    table = Table(box=None, header_style="bold underline", pad_edge=False)
    for column in ("version", "applied (UTC)", "by", "policies", "digest", ""):
        table.add_column(column)
    for index, item in enumerate(found):
        table.add_row(
            f"v{item.version}",
            format_time(item.record.created_at),
            item.record.user,
            str(len(item.policies)),
            short(item.record.digest),
            "[green]in force[/]" if index == 0 else "",
        )
    console.print(table)


@app.command("audit")
def audit(
    limit: int = typer.Option(50, "--limit", "-n", help="How many decisions."),
    run_id: str = typer.Option(None, "--run", help="Only decisions of this run."),
    verdict: str = typer.Option(None, "--verdict", help="allow or refuse."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show audited policy decisions, newest first."""
    from rich.markup import escape
    from rich.table import Table

    from rung._internal.timeutil import format_time
    from rung.errors import ParameterError

    if verdict is not None and verdict not in ("allow", "refuse"):
        raise ParameterError(f"Unknown verdict {verdict!r}. Use allow or refuse.")
    with open_client() as client:
        found = client.audit_log(run_id=run_id, verdict=verdict, limit=limit)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No policy decision recorded yet.")
        return
    table = Table(box=None, header_style="bold underline", pad_edge=False)
    for column in ("time (UTC)", "verdict", "stage", "rule", "subject", "run", "why"):
        table.add_column(column, overflow="fold")
    for item in found:
        style = "green" if item.verdict == "allow" else "bold red"
        table.add_row(
            format_time(item.decided_at)[5:],
            f"[{style}]{item.verdict}[/]",
            item.stage,
            item.rule,
            escape(item.subject),
            short(item.run_id, 8),
            escape(item.reason),
        )
    console.print(table)


@app.command("check")
def check(
    target: str = typer.Argument(..., help="The pipeline: path/to/file.py:name."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter KEY=VALUE (repeatable)."
    ),
    config: Path = typer.Option(None, "--config", "-c", help="YAML run configuration."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Explain what the policies decide about a pipeline, without running it.

    Exits with status 1 when a rule would refuse it.
    """
    from rung.pipelines import load_pipeline, parse_cli_params

    found = load_pipeline(target)
    plan = found.plan(config=config, cli_params=parse_cli_params(param))
    with open_client() as client:
        policies = client.active_policies()
        report = client.explain_plan(plan, policies)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report, policies)
    if not report.allowed:
        raise typer.Exit(1)


@app.command("classify")
def classify(
    reference: str = typer.Argument(
        ..., help="An artifact id, run:RUN_ID, a model version name/N, dataset@N."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the classification something inherits through lineage, with paths."""
    with open_client() as client:
        found = client.classifications_of(reference)
    if as_json:
        print_json(found.to_dict())
        return
    if not found:
        console.print(f"{reference}: carries no classified data.")
        return
    console.print(
        f"{reference}: tags {', '.join(found.tags) or '-'}; "
        f"regions {', '.join(found.regions) or '-'}",
        markup=False,
        highlight=False,
    )
    for source in found.sources:
        console.print(f"  {source.describe_path()}", markup=False, highlight=False)
    if not found.complete:
        console.print("[yellow]Lineage was cut short: there may be more.[/]")


def _summary(item: PolicySet) -> dict[str, Any]:
    record = item.record
    return {
        "version": item.version,
        "created_at": record.created_at,
        "user": record.user,
        "policies": len(item.policies),
        "digest": record.digest,
    }


def _print_report(report: PlanReport, policies: PolicySet | None) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    if policies is None:
        console.print("No policy set applied: nothing refuses this pipeline.")
        return
    console.print(
        f"Pipeline [bold]{report.pipeline}[/], judged by policy set "
        f"v{report.policy_version} ({len(policies.policies)} policies)\n"
    )
    for node in report.nodes:
        carries = node.classification
        facts = ", ".join([*carries.tags, *carries.regions]) or "nothing classified"
        egress = ", egress" if node.egress else ""
        reads = escape(", ".join(node.reads) or "-")
        table = Table(
            title=escape(f"step {node.name} — {node.location.describe()}{egress}"),
            title_justify="left",
            caption=f"reads: {reads}; carries: {escape(facts)}",
            caption_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for column in ("rule", "result", "why"):
            table.add_column(column, overflow="fold")
        for result in node.results:
            style = _OUTCOME_STYLE.get(result.outcome, "dim")
            why = escape("\n".join([result.reason, *result.paths]))
            table.add_row(result.rule, f"[{style}]{result.outcome}[/]", why)
        console.print(table)
    if report.allowed:
        console.print("[bold green]Verdict: allowed.[/]")
    else:
        count = len(report.violations)
        console.print(
            f"[bold red]Verdict: refused[/] — {count} violation(s); the run would "
            "not start."
        )
