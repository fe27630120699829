"""``rung demo``: the end-to-end demo on the embedded default workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from rung.cli._common import console, open_client, short, styled_status

__all__ = ["demo"]


def demo(
    path: Path = typer.Option(
        None, "--path", help="Project folder for the demo workspace (default: here)."
    ),
) -> None:
    """Train a model three times: from scratch, fully cached, and with a new C."""
    from rich.table import Table

    from rung.cli._render import live_progress
    from rung.demo import run_demo

    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    with open_client(create=True, root=path) as client:
        console.print(f"Workspace: [bold]{client.workspace.backend.url}[/]")
        with live_progress(enabled=console.is_terminal) as hook:
            results = run_demo(client.workspace, on_event=hook)
        table = Table(
            title="Rung demo: breast-cancer classifier",
            title_justify="left",
            box=None,
            header_style="bold underline",
            pad_edge=False,
        )
        for column in ("run", "why", "status", "cached", "time", "accuracy", "roc_auc"):
            table.add_column(column, no_wrap=True)
        for result in results:
            record = result.run.refresh().record
            metrics = result.run.metrics
            table.add_row(
                short(record.id, 8),
                result.label,
                styled_status(record.status),
                f"{result.cached_steps}/{result.total_steps}",
                f"{result.seconds:.2f} s",
                f"{metrics.get('accuracy', float('nan')):.4f}",
                f"{metrics.get('roc_auc', float('nan')):.4f}",
            )
        console.print(table)
        last = results[-1].run
        console.print(
            f"Next: `rung runs show {short(last.id)}`, "
            f"`rung runs compare {short(results[0].run.id)} {short(last.id)}`, "
            "`rung artifacts list`."
        )
