"""``POST /webhooks/<trigger>`` in-process: what each refusal answers."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from rung.automation import create_trigger, ledger, sign_webhook
from rung.server import create_serving_app

if TYPE_CHECKING:
    from pathlib import Path

    from rung.serving import ModelService
    from rung.workspace import Workspace

FLOW = """
from rung import pipeline, step


@step
def echo(note: str) -> str:
    return note


@pipeline
def deploy(note: str = "none"):
    echo(note)
"""

BODY = json.dumps({"ref": "main"}).encode()


@pytest.fixture
def hooks(workspace: Workspace, tmp_path: Path) -> None:
    """A webhook trigger ``hook`` (secret env HOOK_SECRET) and a manual one."""
    (tmp_path / "flow.py").write_text(textwrap.dedent(FLOW))
    pipeline = f"{tmp_path / 'flow.py'}:deploy"
    create_trigger(
        workspace, "hook", pipeline, "webhook", spec={"secret": "env:HOOK_SECRET"}
    )
    create_trigger(workspace, "by-hand", pipeline, "manual")


def _headers(delivery: str = "d-1") -> dict[str, str]:
    signature = sign_webhook("s3cret", BODY)
    return {"X-Rung-Signature": signature, "X-Rung-Delivery": delivery}


@pytest.mark.usefixtures("hooks")
def test_a_server_without_webhooks_has_no_such_route(service: ModelService) -> None:
    with TestClient(create_serving_app(service)) as client:
        answer = client.post("/webhooks/hook", content=BODY, headers=_headers())
    assert answer.status_code == 404


@pytest.mark.usefixtures("hooks")
def test_refusals_say_why(
    service: ModelService, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_serving_app(service, webhooks=("*",))
    with TestClient(app) as client:
        unset = client.post("/webhooks/hook", content=BODY, headers=_headers())
        assert unset.status_code == 503
        assert "HOOK_SECRET, which is not set" in unset.json()["message"]
        monkeypatch.setenv("HOOK_SECRET", "s3cret")
        manual = client.post("/webhooks/by-hand", content=BODY, headers=_headers())
        assert manual.status_code == 400
        assert "is a manual trigger, not a webhook" in manual.json()["message"]
        unknown = client.post("/webhooks/nope", content=BODY, headers=_headers())
        assert unknown.status_code == 404
        not_json = b"not json"
        signed = {
            "X-Rung-Signature": sign_webhook("s3cret", not_json),
            "X-Rung-Delivery": "x",
        }
        bad = client.post("/webhooks/hook", content=not_json, headers=signed)
        assert bad.status_code == 400 and "not JSON" in bad.json()["message"]
        ok = client.post("/webhooks/hook", content=BODY, headers=_headers())
        assert ok.status_code == 202 and ok.json()["status"] == "queued"
    assert [e.event_key for e in ledger(workspace, "hook")] == ["webhook:d-1"]
