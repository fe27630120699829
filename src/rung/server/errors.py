"""Rung errors -> HTTP status codes: the one table the server uses.

Every answer to a refused request is JSON ``{"error": ..., "message": ...}``
(plus ``problems`` for invalid input). Bad input is always a 4xx with a
message; a 5xx means the server or the model failed.
"""

from __future__ import annotations

from typing import Any

from rung.errors import (
    InvalidInputError,
    MalformedPayloadError,
    ModelNotReadyError,
    PayloadTooLargeError,
    PolicyViolationError,
    PredictionLogBehindError,
    RungError,
    ServingAuthError,
    UnsupportedMediaTypeError,
)

__all__ = ["STATUS_BY_ERROR", "error_body", "status_for"]

STATUS_BY_ERROR: tuple[tuple[type[Exception], int, str], ...] = (
    (InvalidInputError, 422, "invalid_input"),
    (MalformedPayloadError, 400, "malformed_request"),
    (UnsupportedMediaTypeError, 415, "unsupported_media_type"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (ServingAuthError, 401, "unauthorized"),
    (ModelNotReadyError, 503, "not_ready"),
    (PredictionLogBehindError, 503, "log_behind"),
    (PolicyViolationError, 403, "policy_violation"),
    (LookupError, 404, "not_found"),
    (ValueError, 400, "bad_request"),
    (RungError, 500, "server_error"),
)
"""(error class, status, code), most specific first."""


def status_for(exc: Exception) -> tuple[int, str]:
    """The HTTP status and error code for an exception."""
    for kind, status, code in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status, code
    return 500, "server_error"


def error_body(exc: Exception) -> dict[str, Any]:
    """The JSON body that reports ``exc``."""
    _, code = status_for(exc)
    body: dict[str, Any] = {"error": code, "message": str(exc)}
    problems = getattr(exc, "problems", None)
    if problems:
        body["problems"] = problems
    return body
