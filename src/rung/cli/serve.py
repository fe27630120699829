"""``rung serve MODEL_URI``: serve a model version over HTTP, with a prediction log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from rung.cli._common import console, err_console

if TYPE_CHECKING:
    from rung.serving import Endpoint
    from rung.serving.records import DeploymentRecord

__all__ = ["serve"]


def serve(
    uri: str = typer.Argument(
        ..., help="Model URI: NAME@ALIAS (followed when it moves) or NAME/VERSION."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", "-p", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", "-w", help="Server processes."),
    poll_interval: float = typer.Option(
        2.0, "--poll-interval", help="Seconds between checks of the alias."
    ),
    nan_policy: str = typer.Option(
        "reject",
        "--nan-policy",
        help="reject: nulls/NaN only in nullable columns (422 otherwise); allow.",
    ),
    max_body_mb: float = typer.Option(
        16.0, "--max-body-mb", help="Largest request body (bigger get 413)."
    ),
    flush_rows: int = typer.Option(
        10_000, "--flush-rows", help="Write a log batch when this many rows wait."
    ),
    flush_seconds: float = typer.Option(
        5.0, "--flush-seconds", help="...or when the oldest waiting row is this old."
    ),
    max_backlog_rows: int = typer.Option(
        1_000_000,
        "--max-backlog-rows",
        help="Rows the log may hold unwritten; past that /predict answers 503.",
    ),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Load a pickled model (runs code from the file)."
    ),
    allow_remote: bool = typer.Option(
        False, "--allow-remote", help="Allow a non-loopback --host (needs a token)."
    ),
    token: str = typer.Option(
        None,
        "--token",
        envvar="RUNG_SERVE_TOKEN",
        help="API token clients send as 'Authorization: Bearer TOKEN'.",
        show_envvar=True,
    ),
    region: str = typer.Option(
        None, "--region", help="Where this endpoint runs (residency policies)."
    ),
    name: str = typer.Option(None, "--name", help="Deployment name."),
    webhooks: list[str] = typer.Option(
        [],
        "--webhook",
        help="Accept signed deliveries for this webhook trigger on "
        "POST /webhooks/NAME (repeat; * for every webhook trigger).",
    ),
    no_log: bool = typer.Option(
        False, "--no-log", help="Do not log predictions (feedback is still logged)."
    ),
) -> None:
    """Serve a model: POST /predict and /feedback; /healthz, /readyz, /metrics."""
    from rung.cli._common import open_client
    from rung.server import hash_token, run_model_server
    from rung.serving import ServeOptions

    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        poll_interval=poll_interval,
        nan_policy=nan_policy,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        flush_rows=flush_rows,
        flush_seconds=flush_seconds,
        max_backlog_rows=max_backlog_rows,
        allow_pickle=allow_pickle,
        allow_remote=allow_remote,
        token_hash=hash_token(token) if token else None,
        region=region,
        name=name,
        log_predictions=not no_log,
        webhooks=tuple(webhooks),
    )
    with open_client() as client:
        client.serve_deployment(
            uri,
            options,
            run_model_server,
            on_ready=lambda endpoint: _banner(endpoint, uri, has_token=bool(token)),
            on_finish=_finished,
        )


def _banner(endpoint: Endpoint, uri: str, *, has_token: bool) -> None:
    served, url = endpoint.served, endpoint.url
    console.print(f"Serving [bold]{served.name} v{served.version}[/] ({uri}) at {url}")
    console.print(
        f"  deployment {endpoint.deployment.id[:12]}; POST {url}/predict, "
        f"{url}/feedback; GET /healthz /readyz /version /metrics"
    )
    if has_token:
        console.print("  requests need 'Authorization: Bearer <token>'")
    console.print("  Ctrl-C or SIGTERM stops it (buffered predictions are written).")


def _finished(deployment: DeploymentRecord) -> None:
    err_console.print(f"Deployment {deployment.id[:12]} {deployment.status}.")
