"""Rollouts and webhook deliveries against real ``rung serve`` processes.

Each test starts the server as a subprocess on a free loopback port (one or
two worker processes), drives it with httpx on 127.0.0.1 only, changes the
rollout in the store from this process (as the CLI or the agent would), and
waits, with a bound that only stops a hang, for the servers to follow.
"""

from __future__ import annotations

import json
import signal
import textwrap
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import rung
from rung.automation import (
    Agent,
    abort_rollout,
    challenger_ledger,
    create_trigger,
    get_rollout,
    ledger,
    rollout_stats,
    sign_webhook,
    start_rollout,
)
from tests.integration.test_serving_load import patience, server
from tests.unit.serving.models import churn_frame, register_churn, row

if TYPE_CHECKING:
    from pathlib import Path

    from rung.workspace import Workspace

pytestmark = pytest.mark.integration

FLOW = """
from rung import pipeline, step


@step
def echo(delivery: str) -> str:
    return delivery


@pipeline
def deploy(delivery: str = "none"):
    echo(delivery)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with rung.open_workspace(tmp_path) as ws:
        register_churn(ws)
    (tmp_path / "flow.py").write_text(textwrap.dedent(FLOW))
    return tmp_path


def _versions(client: httpx.Client, count: int, *, keyed: bool = False) -> list[int]:
    """The version that answered each of ``count`` one-row requests."""
    out = []
    for k in range(count):
        headers = {"X-Rung-Routing-Key": f"customer-{k}"} if keyed else {}
        answer = _until(
            lambda headers=headers: _answered(client, headers),
            "every worker to load the model",
        )
        out.append(int(answer["version"]))
    return out


def _answered(client: httpx.Client, headers: dict[str, str]) -> Any:
    """A request's answer, or None while the worker it reached is loading."""
    answer = client.post("/predict", json={"inputs": [row()]}, headers=headers)
    if answer.status_code == 503 and answer.json()["error"] == "not_ready":
        return None  # with --workers 2, one may be ready before the other
    assert answer.status_code == 200, answer.text
    return answer.json()


def _until(check: Any, what: str, seconds: float = 30.0) -> Any:
    """Poll ``check()`` until it returns something truthy (a bound, not a timing)."""
    deadline = time.monotonic() + patience(seconds)
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"still waiting for {what}")


def _open(project: Path) -> Workspace:
    return rung.open_workspace(project)


@pytest.mark.parametrize("workers", [1, 2])
def test_servers_pick_up_a_canary_route_by_key_and_go_back_on_abort(
    project: Path, workers: int
) -> None:
    with (
        server(project, "--workers", str(workers), "--poll-interval", "0.2") as (
            port,
            _,
        ),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
        _open(project) as ws,
    ):
        assert set(_versions(client, 20)) == {1}
        rollout = start_rollout(ws, "churn", 2, share=0.5, max_error_rate=0.5)
        sweeps: list[list[int]] = [[]]

        def settled() -> list[int] | None:
            # Every worker routes by it once two sweeps in a row agree.
            sweeps.append(_versions(client, 40, keyed=True))
            last, before = sweeps[-1], sweeps[-2]
            return last if 2 in last and last == before else None

        served = _until(settled, "every worker to route to the canary")
        assert 1 in served  # a share, not everything
        for _ in range(3):  # the same key always lands on the same side
            assert _versions(client, 40, keyed=True) == served
        _until(
            lambda: rollout_stats(ws, rollout.id).get("canary", {}).get("requests"),
            "the servers' counters",
        )
        arms = rollout_stats(ws, rollout.id)
        assert arms["canary"]["version"] == 2
        assert arms["canary"]["errors"] == 0
        abort_rollout(ws, rollout.id)
        _until(
            lambda: set(_versions(client, 40, keyed=True)) == {1},
            "every request back on the champion",
        )


def test_a_restarted_server_routes_by_the_stored_rollout_at_once(
    project: Path,
) -> None:
    with _open(project) as ws:
        rollout = start_rollout(ws, "churn", 2, share=1.0, max_error_rate=0.5)
    with server(project, "--poll-interval", "0.2") as (port, proc):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _until(lambda: set(_versions(client, 5)) == {2}, "the canary")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with (
        server(project, "--poll-interval", "0.2") as (port, _),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        # The route is read while the server starts, before it takes requests.
        assert set(_versions(client, 10)) == {2}
    with _open(project) as ws:
        assert get_rollout(ws, rollout.id).stage == "canary"


def test_the_agent_rolls_a_failing_canary_back_and_the_server_follows(
    project: Path,
) -> None:
    with (
        server(project, "--poll-interval", "0.2") as (port, _),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
        _open(project) as ws,
    ):
        rollout = start_rollout(
            ws, "churn", 2, share=1.0, min_metric=0.9, min_rows=20, bake_s=3600
        )
        _until(lambda: set(_versions(client, 5)) == {2}, "the canary")
        frame = churn_frame(40, seed=7)
        wrong = {}
        for record, label in zip(
            frame[["tenure", "spend", "calls"]].to_dict("records"),
            frame["churned"],
            strict=True,
        ):
            answer = client.post("/predict", json={"inputs": [record]}).json()
            if answer["version"] == 2:
                wrong[answer["prediction_ids"][0]] = 1 - int(label)
        assert len(wrong) >= 20
        reply = client.post("/feedback", json={"labels": wrong})
        assert reply.status_code == 200, reply.text
        checks = _until(
            lambda: (
                (r := Agent(ws).tick().rollouts) and "rolled_back" in r.values() and r
            ),
            "the agent to judge the canary (its log is written every flush)",
            seconds=60,
        )
        assert checks == {"churn@production v2": "rolled_back"}
        ended = get_rollout(ws, rollout.id)
        assert ended.stage == "rolled_back"
        assert "live accuracy" in ended.reason
        _until(lambda: set(_versions(client, 20)) == {1}, "the champion again")
        [event] = challenger_ledger(ws, "churn", actions=["rollout_rolled_back"])
        assert event.evidence["rollout_id"] == rollout.id


def test_signed_webhook_deliveries_are_recorded_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_HOOK_SECRET", "s3cret")
    with _open(project) as ws:
        create_trigger(
            ws,
            "deploy-hook",
            f"{project / 'flow.py'}:deploy",
            "webhook",
            spec={"secret": "env:DEPLOY_HOOK_SECRET"},
            params={"delivery": "{event.delivery_id}"},
        )
        create_trigger(
            ws,
            "other-hook",
            f"{project / 'flow.py'}:deploy",
            "webhook",
            spec={"secret": "env:DEPLOY_HOOK_SECRET"},
        )
    body = json.dumps({"ref": "main"}).encode()
    good = {
        "X-Rung-Signature": sign_webhook("s3cret", body),
        "X-Rung-Delivery": "d-1",
        "Content-Type": "application/json",
    }
    with (
        server(project, "--webhook", "deploy-hook") as (port, _),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        first = client.post("/webhooks/deploy-hook", content=body, headers=good)
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "queued"
        again = client.post("/webhooks/deploy-hook", content=body, headers=good)
        assert again.status_code == 200, again.text
        assert again.json() == {"status": "duplicate", "delivery_id": "d-1"}
        forged = {**good, "X-Rung-Signature": sign_webhook("guess", body)}
        refused = client.post("/webhooks/deploy-hook", content=body, headers=forged)
        assert refused.status_code == 401
        assert refused.json()["error"] == "bad_signature"
        assert "signature does not match the body" in refused.json()["message"]
        unsigned = {k: v for k, v in good.items() if k != "X-Rung-Signature"}
        missing = client.post("/webhooks/deploy-hook", content=body, headers=unsigned)
        assert missing.status_code == 401
        assert "is not signed" in missing.json()["message"]
        no_id = {**good, "X-Rung-Delivery": ""}
        anonymous = client.post("/webhooks/deploy-hook", content=body, headers=no_id)
        assert anonymous.status_code == 400
        assert "X-Rung-Delivery" in anonymous.json()["message"]
        other = client.post("/webhooks/other-hook", content=body, headers=good)
        assert other.status_code == 404
        assert "--webhook other-hook" in other.json()["message"]
        predict = client.post("/predict", json={"inputs": [row()]})
        assert predict.status_code == 200  # the model server still serves
    with _open(project) as ws:
        entries = ledger(ws, "deploy-hook")
        assert [(e.outcome, e.event_key) for e in entries] == [
            ("queued", "webhook:d-1")
        ]
        assert entries[0].params == {"delivery": "d-1"}
        assert ledger(ws, "other-hook") == []
