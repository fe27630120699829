"""Firing by hand, webhooks, approvals, retries and the ledger.

Manual firings and webhook deliveries are queued in the ledger (the agent
starts them on its next tick, under the trigger's guards). A webhook delivery
is checked against its HMAC-SHA256 signature, and its delivery id is its event
key: delivered twice, it is queued once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rung._internal.ids import new_id
from rung._internal.timeutil import now
from rung.automation._guards import render_params
from rung.automation.errors import (
    AutomationError,
    TriggerDefinitionError,
    WebhookSignatureError,
)
from rung.automation.records import DispatchRecord

if TYPE_CHECKING:
    from rung.workspace import Workspace

__all__ = [
    "approve_dispatch",
    "fire_trigger",
    "ledger",
    "receive_webhook",
    "retry_dispatch",
    "sign_webhook",
]


def fire_trigger(
    workspace: Workspace, name: str, params: Mapping[str, Any] | None = None
) -> DispatchRecord:
    """Queue a firing of a trigger now (any kind); the agent starts it.

    ``params`` override the trigger's own for this firing.
    """
    trigger = workspace.triggers.get_trigger(workspace.project, name)
    given = dict(params or {})
    accepted = set(trigger.params) | _pipeline_params(trigger.pipeline)
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise TriggerDefinitionError(
            f"Pipeline {trigger.pipeline!r} takes no parameter "
            f"{', '.join(map(repr, unknown))}."
        )
    rendered = {**render_params(trigger.params, {"fired_by": workspace.user}), **given}
    key = f"manual:{new_id()}"
    return _queued(workspace, name, key, rendered, {"by": workspace.user})


def sign_webhook(secret: str, body: bytes) -> str:
    """The signature a sender puts in ``X-Rung-Signature``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def receive_webhook(
    workspace: Workspace, name: str, body: bytes, signature: str, delivery_id: str
) -> DispatchRecord | None:
    """Check a delivery's signature and queue it; None when delivered before.

    The body is JSON; its top-level fields are ``{event.payload.FIELD}``.

    Raises:
        WebhookSignatureError: the signature does not match (nothing is queued).
        AutomationError: the trigger is not a webhook, or its secret is unset.
    """
    trigger = workspace.triggers.get_trigger(workspace.project, name)
    if trigger.kind != "webhook":
        raise AutomationError(
            f"Trigger {name!r} is a {trigger.kind} trigger, not a webhook."
        )
    reference = str(trigger.spec["secret"])
    secret = os.environ.get(reference.removeprefix("env:"))
    if not secret:
        raise AutomationError(
            f"Trigger {name!r} signs with {reference}, which is not set in this "
            "process's environment. Set it where the agent runs.",
            trigger=name,
            reason="secret_unset",
        )
    if not hmac.compare_digest(sign_webhook(secret, body), signature.strip()):
        raise WebhookSignatureError(
            f"Webhook delivery {delivery_id!r} for trigger {name!r}: the signature "
            "does not match the body. Sign the exact bytes sent with HMAC-SHA256 "
            "and the shared secret, as 'sha256=<hex>'."
        )
    try:
        payload = json.loads(body or b"{}")
    except ValueError as exc:
        raise AutomationError(f"Webhook body is not JSON: {exc}.") from None
    data = {"delivery_id": delivery_id, "payload": payload}
    params = render_params(trigger.params, data)
    return _queue(workspace, name, f"webhook:{delivery_id}", params, data, strict=False)


def approve_dispatch(workspace: Workspace, dispatch_id: int) -> DispatchRecord:
    """Approve a firing held for approval: the agent starts it next tick."""
    entry = workspace.triggers.get_dispatch(workspace.project, dispatch_id)
    if entry.outcome != "awaiting_approval":
        raise AutomationError(
            f"Dispatch {dispatch_id} is {entry.outcome}, not awaiting approval."
        )
    return workspace.triggers.update_dispatch(
        dispatch_id, {"outcome": "queued", "reason": f"approved by {workspace.user}"}
    )


def retry_dispatch(workspace: Workspace, dispatch_id: int) -> DispatchRecord:
    """Queue a failed firing again, with the same parameters."""
    entry = workspace.triggers.get_dispatch(workspace.project, dispatch_id)
    if entry.outcome not in ("error", "fired"):
        raise AutomationError(
            f"Dispatch {dispatch_id} is {entry.outcome}: only a firing that errored, "
            "or whose run failed, can be retried."
        )
    if entry.outcome == "fired" and entry.run_id is not None:
        run = workspace.runs.get_run(entry.run_id)
        if run.status not in ("failed", "cancelled"):
            raise AutomationError(
                f"Dispatch {dispatch_id} started run {run.id[:12]}, which is "
                f"{run.status}: only failed runs are retried."
            )
    key = f"retry:{dispatch_id}:{new_id()[:8]}"
    return _queued(
        workspace,
        entry.trigger,
        key,
        dict(entry.params),
        {"retry_of": dispatch_id},
    )


def ledger(
    workspace: Workspace, name: str | None = None, *, limit: int | None = 50
) -> list[DispatchRecord]:
    """Why it fired, and why it did not: the newest ledger entries first."""
    if name is not None:
        workspace.triggers.get_trigger(workspace.project, name)  # exists?
    return workspace.triggers.list_dispatches(
        workspace.project, trigger=name, limit=limit
    )


def _queue(
    workspace: Workspace,
    name: str,
    key: str,
    params: Mapping[str, Any],
    evidence: Mapping[str, Any],
    *,
    strict: bool = True,
) -> DispatchRecord | None:
    entry = workspace.triggers.add_dispatch(
        DispatchRecord(
            0,
            workspace.project,
            name,
            now(),
            "queued",
            reason="queued by hand" if key.startswith("manual:") else "",
            event_key=key,
            evidence=dict(evidence),
            params=dict(params),
        )
    )
    if entry is None and strict:
        raise AutomationError(f"Event {key!r} of trigger {name!r} was queued already.")
    return entry


def _queued(
    workspace: Workspace,
    name: str,
    key: str,
    params: Mapping[str, Any],
    evidence: Mapping[str, Any],
) -> DispatchRecord:
    entry = _queue(workspace, name, key, params, evidence)
    if entry is None:  # a fresh key: only a clash of random ids could get here
        raise AutomationError(f"Event {key!r} of trigger {name!r} was queued already.")
    return entry


def _pipeline_params(pipeline: str) -> set[str]:
    from rung.pipelines import load_pipeline

    return set(load_pipeline(pipeline).signature.parameters)
