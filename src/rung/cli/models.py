"""``rung models``: register, inspect, promote, approve, roll back, audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from rung.cli._common import console, open_client, print_json, short, to_jsonable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.table import Table

    from rung.registry.records import ModelVersionRecord, RegistryEventRecord

__all__ = ["app"]

app = typer.Typer(
    help="Model registry: versions, aliases, gates, approvals, rollback.",
    no_args_is_help=True,
)
roles_app = typer.Typer(help="Who holds which role (for approval gates).")
app.add_typer(roles_app, name="roles")

_JSON = typer.Option(False, "--json", help="Print JSON.")
_COMMENT = typer.Option("", "--comment", "-m", help="Why (kept in the audit log).")
_ALIAS = typer.Option(..., "--alias", "-a", help="The alias, e.g. production.")


@app.command("list")
def list_models(as_json: bool = _JSON) -> None:
    """List the project's models with their latest version and aliases."""
    with open_client() as client:
        models = client.list_models()
        if as_json:
            print_json(models)
            return
        if not models:
            console.print(
                "No models yet. Register one with `rung models register NAME "
                "--artifact ID` or `rung.register_model(...)`."
            )
            return
        table = _table(
            f"Models ({len(models)})", "name", "latest", "aliases", "updated"
        )
        for m in models:
            table.add_row(
                m.name, f"v{m.latest_version}", _aliases(m.aliases), _time(m.updated_at)
            )
        console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Model name."), as_json: bool = _JSON
) -> None:
    """Show a model: aliases, gates and its versions."""
    with open_client() as client:
        model = client.get_model(name)
        versions = client.list_versions(name)
        inherited = {v.version: client.model_classification(v) for v in versions}
        if as_json:
            rows = [
                {
                    **to_jsonable(v),
                    "classification": inherited[v.version].to_dict(),
                }
                for v in versions
            ]
            print_json({"model": model, "versions": rows})
            return
        console.print(f"[bold]{model.name}[/] ({model.project}) {model.description}")
        console.print(f"aliases: {_aliases(model.aliases) or 'none'}")
        for alias, gates in client.get_gates(name).aliases.items():
            console.print(f"gates for {alias}: {_describe_gates(gates.to_dict())}")
        summaries = {n: c.summary() for n, c in inherited.items()}
        console.print(_versions_table(versions, model.aliases, summaries))


@app.command("versions")
def versions(
    name: str = typer.Argument(..., help="Model name."), as_json: bool = _JSON
) -> None:
    """List a model's versions, newest first."""
    with open_client() as client:
        found = client.list_versions(name)
        if as_json:
            print_json(found)
            return
        model = client.get_model(name)
        console.print(_versions_table(found, model.aliases))


@app.command("compare")
def compare(
    name: str = typer.Argument(..., help="Model name."),
    numbers: list[int] = typer.Argument(..., help="Two or more version numbers."),
    as_json: bool = _JSON,
) -> None:
    """Compare versions: metrics side by side, signature changes, and the stored
    champion/challenger comparison of the two (``rung challenger evaluate``)."""
    from rung.errors import ParameterError

    if len(numbers) < 2:
        raise ParameterError("Give at least two version numbers to compare.")
    with open_client() as client:
        result = client.compare_versions(name, numbers)
        stored = (
            client.find_comparison(name, numbers[0], numbers[1])
            if len(numbers) == 2
            else None
        )
        if as_json:
            print_json({**to_jsonable(result), "challenger_comparison": stored})
            return
        table = _table(f"{name}: versions compared", "", *[f"v{n}" for n in numbers])
        for v_field in ("run_id", "framework_version", "state"):
            table.add_row(
                v_field, *[str(getattr(v, v_field) or "")[:12] for v in result.versions]
            )
        for key, values in result.metrics.items():
            table.add_row(
                f"metric {key}", *["-" if x is None else f"{x:.6g}" for x in values]
            )
        console.print(table)
        for change in result.signature_changes:
            console.print(f"[yellow]signature[/] {change}")
        if stored is not None:
            from rung.cli.challenger import print_comparison

            console.print()
            print_comparison(stored)


@app.command("register")
def register(
    name: str = typer.Argument(..., help="Model name (created on first use)."),
    artifact: str = typer.Option(None, "--artifact", help="Artifact id or prefix."),
    run: str = typer.Option(None, "--run", help="Run id (with --step)."),
    step: str = typer.Option(
        None, "--step", help="The step whose output is the model."
    ),
    output: str = typer.Option(None, "--output", help="Which output of the step."),
    metric: list[str] = typer.Option([], "--metric", help="KEY=NUMBER (repeatable)."),
    tag: list[str] = typer.Option([], "--tag", help="KEY=VALUE (repeatable)."),
    description: str = typer.Option("", "--description", "-d", help="What changed."),
    intended_use: str = typer.Option("", "--intended-use", help="Model card section."),
    limitations: str = typer.Option("", "--limitations", help="Model card section."),
    training_data: str = typer.Option(
        None,
        "--training-data",
        help="The table it was trained on: a CSV/Parquet file or an artifact id.",
    ),
    as_json: bool = _JSON,
) -> None:
    """Register a new version from an artifact or a run's step output."""
    from rung.errors import ParameterError
    from rung.registry import ModelCard

    if (artifact is None) == (run is None):
        raise ParameterError("Give either --artifact ID or --run RUN_ID --step STEP.")
    with open_client() as client:
        source: Any = artifact if artifact is not None else client.run(run)
        version = client.register_model(
            source,
            name,
            step=step,
            output=output,
            metrics={k: _number(k, v) for k, v in _pairs(metric, "--metric").items()}
            or None,
            tags=_pairs(tag, "--tag"),
            description=description,
            card=ModelCard(intended_use=intended_use, limitations=limitations),
            training_data=_training_table(training_data),
        )
        if as_json:
            print_json(version)
            return
        run_id = short(version.run_id) or "-"
        console.print(
            f"Registered [bold]{name}[/] version {version.version} "
            f"(artifact {short(version.artifact_id)}, run {run_id})"
        )


@app.command("promote")
def promote(
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = _ALIAS,
    comment: str = _COMMENT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only check the gates."),
    as_json: bool = _JSON,
) -> None:
    """Point an alias at a version once its gates pass."""
    with open_client() as client:
        if dry_run:
            checks = client.check_promotion(name, version, alias)
            if as_json:
                print_json(checks)
                return
            for c in checks:
                mark = "[green]pass[/]" if c.passed else "[red]FAIL[/]"
                console.print(f"{mark} {c.gate}: {c.detail}", highlight=False)
            if not checks:
                console.print(f"No gates for {alias!r}: the promotion would pass.")
            return
        record = client.promote_model(name, version, alias, comment=comment)
        if as_json:
            print_json(record)
            return
        console.print(f"[green]{name}@{alias}[/] -> version {record.version}")


@app.command("approve")
def approve(
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = _ALIAS,
    comment: str = _COMMENT,
) -> None:
    """Approve moving an alias to a version (the user must hold the gate's role)."""
    _decide(name, version, alias, comment, approve=True)


@app.command("reject")
def reject(
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = _ALIAS,
    comment: str = _COMMENT,
) -> None:
    """Reject moving an alias to a version (needs the gate's role); it blocks it."""
    _decide(name, version, alias, comment, approve=False)


@app.command("rollback")
def rollback(
    name: str = typer.Argument(..., help="Model name."),
    alias: str = _ALIAS,
    to: int = typer.Option(None, "--to", help="Reinstate this version instead."),
    comment: str = _COMMENT,
) -> None:
    """Move an alias back to its previous version (again: further back)."""
    with open_client() as client:
        record = client.rollback_model(name, alias, to=to, comment=comment)
        console.print(
            f"[yellow]{name}@{alias}[/] rolled back to version {record.version}"
        )


@app.command("archive")
def archive(
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    comment: str = _COMMENT,
) -> None:
    """Archive a version: it can no longer be promoted."""
    with open_client() as client:
        client.archive_version(name, version, comment=comment)
        console.print(f"Archived {name} version {version}.")


@app.command("restore")
def restore(
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    comment: str = _COMMENT,
) -> None:
    """Restore an archived version."""
    with open_client() as client:
        client.restore_version(name, version, comment=comment)
        console.print(f"Restored {name} version {version}.")


@app.command("gates")
def gates(
    name: str = typer.Argument(..., help="Model name."),
    file: Path = typer.Option(None, "--file", "-f", help="YAML file of gates to set."),
    clear: bool = typer.Option(False, "--clear", help="Remove every gate."),
    comment: str = _COMMENT,
    as_json: bool = _JSON,
) -> None:
    """Show a model's promotion gates, or set them from a YAML file."""
    with open_client() as client:
        if file is not None or clear:
            client.set_gates(name, file if file is not None else {}, comment=comment)
        current = client.get_gates(name).to_dict()
        if as_json:
            print_json(current)
            return
        if not current:
            console.print(f"Model {name!r} has no promotion gates.")
        for alias, spec in current.items():
            console.print(f"[bold]{alias}[/]: {_describe_gates(spec)}")


@app.command("history")
def history(
    name: str = typer.Argument(None, help="Model name (default: the whole project)."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many events."),
    as_json: bool = _JSON,
) -> None:
    """The audit log: who did what, when, from which version to which, why."""
    with open_client() as client:
        events = client.model_history(name, limit=limit)
        if as_json:
            print_json(events)
            return
        table = _table(
            f"Registry events ({len(events)}, UTC)",
            "when",
            "who",
            "action",
            "model",
            "version",
            "alias",
            "comment",
        )
        table.columns[2].no_wrap = True  # actions are read whole: promote_refused
        for e in reversed(events):
            moved = f"v{e.from_version} -> v{e.to_version}" if e.from_version else ""
            change = moved or (f"v{e.version}" if e.version else _subject(e.details))
            table.add_row(
                _time(e.created_at),
                e.user,
                e.action,
                e.model or "",
                change,
                e.alias or "",
                _event_comment(e),
            )
        console.print(table)


@roles_app.command("grant")
def grant(user: str, role: str, comment: str = _COMMENT) -> None:
    """Give USER the ROLE (e.g. reviewer)."""
    with open_client() as client:
        client.grant_role(user, role, comment=comment)
        console.print(f"{user} now holds role {role!r}.")


@roles_app.command("revoke")
def revoke(user: str, role: str, comment: str = _COMMENT) -> None:
    """Take ROLE away from USER."""
    with open_client() as client:
        client.revoke_role(user, role, comment=comment)
        console.print(f"{user} no longer holds role {role!r}.")


@roles_app.command("list")
def roles(as_json: bool = _JSON) -> None:
    """List role grants."""
    with open_client() as client:
        grants = client.list_roles()
        if as_json:
            print_json(grants)
            return
        table = _table(f"Roles ({len(grants)})", "user", "role", "granted by", "when")
        for g in grants:
            table.add_row(g.user, g.role, g.granted_by, _time(g.granted_at))
        console.print(table)


def _decide(
    name: str, version: int, alias: str, comment: str, *, approve: bool
) -> None:
    with open_client() as client:
        decide = client.approve_promotion if approve else client.reject_promotion
        decision = decide(name, version, alias, comment=comment)
        verb = "approved" if approve else "rejected"
        console.print(f"{decision.user} {verb} {name} version {version} for {alias!r}.")
        for check in client.check_promotion(name, version, alias):
            if check.gate.startswith("approvals"):
                console.print(f"approvals gate: {check.detail}")


def _versions_table(
    found: list[ModelVersionRecord],
    aliases: Any,
    classifications: Mapping[int, str] | None = None,
) -> Table:
    from rich.markup import escape

    keys = sorted({k for v in found for k in v.metrics})[:2]
    columns = ("v", "aliases", "state", "created", "run", "framework", *keys)
    extra = ("classification",) if classifications is not None else ()
    table = _table("Versions (times in UTC)", *columns, *extra)
    for v in reversed(found):
        mine = ", ".join(a for a, n in sorted(aliases.items()) if n == v.version)
        framework = f"{v.framework or ''} {v.framework_version or ''}".strip()
        table.add_row(
            str(v.version),
            mine,
            v.state,
            _time(v.created_at)[:11],
            short(v.run_id, 8),
            framework,
            *[f"{v.metrics[k]:.4g}" if k in v.metrics else "" for k in keys],
            *([escape(classifications[v.version])] if classifications else []),
        )
    return table


def _table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
        header_style="bold underline",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _describe_gates(spec: dict[str, Any]) -> str:
    parts = list(spec.get("metrics", []))
    if spec.get("signature"):
        parts.append("signature compatible with the champion")
    rule = spec.get("approvals")
    if rule:
        parts.append(f"{rule['count']} approval(s) from role {rule['role']!r}")
    return "; ".join(parts) or "none"


def _aliases(aliases: Any) -> str:
    return ", ".join(f"{a}=v{n}" for a, n in sorted(aliases.items()))


def _event_comment(event: RegistryEventRecord) -> str:
    """The comment, plus the failing gates' numbers of a refused promotion."""
    if event.action != "promote_refused":
        return event.comment
    failed = [g["detail"] for g in event.details.get("gates", []) if not g["passed"]]
    return "; ".join([*filter(None, [event.comment]), *failed])


def _subject(details: Any) -> str:
    subject, role = details.get("subject"), details.get("role")
    return f"{subject}: {role}" if subject else ""


def _time(ts: float) -> str:
    """``MM-DD HH:MM:SS`` in UTC (the year is rarely needed in a table)."""
    from rung._internal.timeutil import format_time

    return format_time(ts)[5:]


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: write KEY=VALUE.", param_hint=option)
        pairs[key] = value
    return pairs


def _number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(
            f"{key}={value!r}: the value must be a number.", param_hint="--metric"
        ) from None


def _training_table(given: str | None) -> Any:
    """``--training-data``: a CSV or Parquet file read as a table, else an id."""
    import pandas as pd

    from rung.errors import ParameterError

    if given is None or not Path(given).is_file():
        return given
    path = Path(given)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise ParameterError(
        f"--training-data {given}: read only from .csv or .parquet files; give "
        "one of those, or a table artifact's id."
    )
