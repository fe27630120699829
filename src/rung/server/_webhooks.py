"""``POST /webhooks/<trigger>``: signed webhook deliveries, recorded once.

The route refuses everything unless the server was started for the trigger
(``ServeOptions.webhooks``: names, or ``*`` for every webhook trigger); it
is not behind the API token, because the sender proves itself with the
trigger's shared secret instead: ``X-Rung-Signature: sha256=<hex>`` is the
HMAC-SHA256 of the exact body. ``X-Rung-Delivery`` is the delivery's id; the
delivery is queued in the trigger's ledger under that id once (the agent
starts the run), and a delivery seen before is answered ``duplicate``
without a second queue entry, so a sender may retry freely.

Answers: 202 ``queued`` (with the ledger entry), 200 ``duplicate``, 401 bad
or missing signature, 400 no delivery id / not a webhook trigger / body not
JSON, 404 a trigger this server takes no deliveries for, 503 the secret is
not set in the server's environment.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rung.automation.errors import AutomationError, WebhookSignatureError
from rung.errors import RungError
from rung.server.errors import error_body, status_for

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    from rung.workspace import Workspace

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "WebhookEndpoint"]

SIGNATURE_HEADER = "x-rung-signature"
DELIVERY_HEADER = "x-rung-delivery"


class WebhookEndpoint:
    """Takes signed deliveries for the triggers it is allowed to.

    Args:
        workspace: where triggers and their ledger are.
        allowed: trigger names, or ``*`` for every webhook trigger.
        read_body: reads a request's body under the server's size limit.
    """

    def __init__(
        self,
        workspace: Workspace,
        allowed: tuple[str, ...],
        read_body: Callable[[Request], Awaitable[bytes]],
    ) -> None:
        self.workspace = workspace
        self.allowed = frozenset(allowed)
        self.read_body = read_body

    async def receive(self, request: Request) -> Response:
        """Check and record one delivery."""
        name = str(request.path_params["trigger"])
        if "*" not in self.allowed and name not in self.allowed:
            return _json(_refused(name, self.allowed), 404)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        delivery = request.headers.get(DELIVERY_HEADER, "").strip()
        try:
            if not signature:
                raise WebhookSignatureError(
                    f"The delivery for trigger {name!r} is not signed: send the "
                    "header 'X-Rung-Signature: sha256=<hex>', the HMAC-SHA256 of the "
                    "body with the trigger's secret."
                )
            if not delivery:
                return _json(_no_delivery(name), 400)
            body = await self.read_body(request)
            entry = await run_in_threadpool(
                _receive, self.workspace, name, body, signature, delivery
            )
        except WebhookSignatureError as exc:
            return _json(error_body(exc) | {"error": "bad_signature"}, 401)
        except AutomationError as exc:
            status = 503 if exc.details.get("reason") == "secret_unset" else 400
            if isinstance(exc, LookupError):
                status = 404
            return _json(error_body(exc), status)
        except RungError as exc:
            return _json(error_body(exc), status_for(exc)[0])
        if entry is None:
            return _json({"status": "duplicate", "delivery_id": delivery}, 200)
        body_out = {
            "status": "queued",
            "delivery_id": delivery,
            "trigger": name,
            "dispatch_id": entry.id,
        }
        return _json(body_out, 202)


def _receive(
    workspace: Workspace, name: str, body: bytes, signature: str, delivery: str
) -> Any:
    from rung.automation import receive_webhook

    return receive_webhook(workspace, name, body, signature, delivery)


def _refused(name: str, allowed: frozenset[str]) -> dict[str, Any]:
    shown = ", ".join(sorted(allowed)) or "none"
    return {
        "error": "not_found",
        "message": (
            f"This server takes no webhook deliveries for trigger {name!r} (it "
            f"accepts: {shown}). Start the server with --webhook {name}."
        ),
    }


def _no_delivery(name: str) -> dict[str, Any]:
    return {
        "error": "bad_request",
        "message": (
            f"The delivery for trigger {name!r} has no id: send the header "
            "'X-Rung-Delivery: <unique id>' (the same id when retrying, so the "
            "delivery is recorded once)."
        ),
    }


def _json(content: dict[str, Any], status: int) -> Response:
    body = json.dumps(content, separators=(",", ":"), default=str).encode()
    return Response(body, status_code=status, media_type="application/json")
