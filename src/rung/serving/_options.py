"""Serving options: plain values the CLI builds from flags and settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rung.errors import ServerStartError
from rung.serving._inputs import NAN_POLICIES

__all__ = ["ServeOptions"]

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How ``rung serve`` runs.

    Attributes:
        host / port: where to listen (127.0.0.1 unless told otherwise).
        workers: server processes (each loads the model).
        poll_interval: seconds between checks of the alias (hot swap).
        nan_policy: ``reject`` (nulls/NaN only in nullable columns) or ``allow``.
        max_body_bytes: larger request bodies get 413.
        flush_rows / flush_seconds: when the prediction log writes a batch.
        max_backlog_rows: rows the log may hold unwritten; past that,
            ``/predict`` answers 503 until it has caught up (nothing answered
            goes unlogged).
        allow_pickle: load a pickled model version (runs code from the file).
        allow_remote: bind a non-loopback address (needs a token).
        token_hash: SHA-256 hex of the API token; None: no token.
        region: where the endpoint runs, for residency policies.
        name: the deployment's name (default ``model-alias``).
        log_predictions: write every prediction to the log.
        max_batch_rows: concurrent requests are predicted together up to this.
        webhooks: the webhook triggers whose signed deliveries this server
            accepts on ``POST /webhooks/<trigger>`` (``*``: every webhook
            trigger); none by default, so the route refuses everything.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    poll_interval: float = 2.0
    nan_policy: str = "reject"
    max_body_bytes: int = 16 * _MB
    flush_rows: int = 10_000
    flush_seconds: float = 5.0
    max_backlog_rows: int = 1_000_000
    allow_pickle: bool = False
    allow_remote: bool = False
    token_hash: str | None = None
    region: str | None = None
    name: str | None = None
    log_predictions: bool = True
    max_batch_rows: int = 2048
    webhooks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        checks = [
            (self.workers >= 1, f"--workers must be >= 1, got {self.workers}"),
            (self.poll_interval > 0, "--poll-interval must be > 0 seconds"),
            (
                self.nan_policy in NAN_POLICIES,
                f"--nan-policy must be one of {NAN_POLICIES}",
            ),
            (self.max_body_bytes > 0, "--max-body-mb must be > 0"),
            (
                self.flush_rows > 0 and self.flush_seconds > 0,
                "flush limits must be > 0",
            ),
            (
                self.max_backlog_rows >= self.flush_rows,
                f"--max-backlog-rows must be >= --flush-rows ({self.flush_rows}), "
                f"got {self.max_backlog_rows}",
            ),
            (0 <= self.port <= 65535, f"--port must be 0-65535, got {self.port}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ServerStartError(f"{message}.")

    def public(self) -> dict[str, Any]:
        """The options worth recording on the deployment (no token hash)."""
        data = dataclasses.asdict(self)
        data.pop("token_hash")
        data["auth"] = self.token_hash is not None
        return data

    def to_dict(self) -> dict[str, Any]:
        """Every option as JSON-able data (to hand to worker processes)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServeOptions:
        """The inverse of :meth:`to_dict`."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "webhooks" in values:  # a JSON list after to_dict
            values["webhooks"] = tuple(values["webhooks"])
        return cls(**values)
