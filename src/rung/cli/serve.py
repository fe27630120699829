"""``rung serve MODEL_URI``: serve a model version over HTTP, with a prediction log."""

from __future__ import annotations

import typer

from rung.cli._common import console, err_console

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
    no_log: bool = typer.Option(
        False, "--no-log", help="Do not log predictions (feedback is still logged)."
    ),
) -> None:
    """Serve a model: POST /predict and /feedback; /healthz, /readyz, /metrics."""
    from rung.cli._common import open_client
    from rung.registry import parse_model_uri
    from rung.server import bind_socket, hash_token, run_model_server
    from rung.serving import (
        ServedModel,
        ServeOptions,
        check_bind,
        finish_deployment,
        start_deployment,
    )
    from rung.serving._deploy import endpoint_name, endpoint_read

    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        poll_interval=poll_interval,
        nan_policy=nan_policy,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        flush_rows=flush_rows,
        flush_seconds=flush_seconds,
        allow_pickle=allow_pickle,
        allow_remote=allow_remote,
        token_hash=hash_token(token) if token else None,
        region=region,
        name=name,
        log_predictions=not no_log,
    )
    check_bind(options)
    with open_client() as client:
        ws = client.workspace
        ref = parse_model_uri(uri)
        endpoint = endpoint_name(options, ref.name, ref.alias, ref.version)
        served = ServedModel.load(
            ws,
            ref,
            allow_pickle=allow_pickle,
            nan_policy=nan_policy,
            read=endpoint_read(ws, options, endpoint),
        )
        sock = bind_socket(host, port)
        deployment = start_deployment(ws, served, options)
        _banner(
            f"{served.name} v{served.version}",
            uri,
            f"http://{host}:{sock.getsockname()[1]}",
            deployment.id,
            has_token=token is not None,
        )
        status = "failed"
        try:
            run_model_server(
                ws,
                uri,
                options,
                sock,
                served=served if workers == 1 else None,
                deployment_id=deployment.id,
            )
            status = "stopped"
        finally:
            sock.close()
            finish_deployment(ws, deployment.id, status)
            err_console.print(f"Deployment {deployment.id[:12]} {status}.")


def _banner(
    what: str, uri: str, url: str, deployment_id: str, *, has_token: bool
) -> None:
    console.print(f"Serving [bold]{what}[/] ({uri}) at {url}")
    console.print(
        f"  deployment {deployment_id[:12]}; POST {url}/predict, {url}/feedback; "
        "GET /healthz /readyz /version /metrics"
    )
    if has_token:
        console.print("  requests need 'Authorization: Bearer <token>'")
    console.print("  Ctrl-C or SIGTERM stops it (buffered predictions are written).")
