"""The agent: guards, the ledger, one run per event, one leader, recovery."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from rung.automation import (
    Agent,
    DispatchRecord,
    approve_dispatch,
    create_trigger,
    fire_trigger,
    ledger,
    receive_webhook,
    retry_dispatch,
    sign_webhook,
)
from rung.automation.errors import AutomationError, WebhookSignatureError
from rung.catalog import refresh_dataset

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from rung.workspace import Workspace


def _agent(ws: Workspace, name: str = "a1") -> Agent:
    return Agent(ws, holder=name, run_monitors=False, refresh_datasets=False)


def test_an_interval_schedule_fires_once_due_and_starts_the_run(
    workspace: Workspace, flow: str
) -> None:
    trigger = create_trigger(
        workspace,
        "often",
        flow,
        "schedule",
        spec={"every": 60},
        params={"note": "tick"},
    )
    due = float(trigger.cursor["next_at"])
    agent = _agent(workspace)
    assert agent.tick(now=due - 1).dispatches == []
    report = agent.tick(now=due + 1)
    [fired] = report.dispatches
    assert fired.outcome == "fired" and fired.params == {"note": "tick"}
    [entry] = ledger(workspace, "often")
    run = workspace.runs.get_run(str(entry.run_id))
    assert (run.status, run.trigger) == ("completed", "trigger:often")
    assert run.params["note"] == "tick"
    assert run.tags["rung.trigger.chain"] == "often"
    assert agent.tick(now=due + 2).dispatches == []  # next is a minute later


def test_a_new_dataset_version_starts_a_run_on_exactly_that_version(
    workspace: Workspace, flow: str, claims: Path
) -> None:
    create_trigger(
        workspace,
        "on-claims",
        flow,
        "dataset",
        spec={"dataset": "claims"},
        params={"version": "{event.version}"},
    )
    agent = _agent(workspace)
    assert agent.tick().dispatches == []
    claims.write_text("a,b\n1,2\n3,4\n5,6\n7,8\n")
    refresh_dataset(workspace, "claims")
    [fired] = agent.tick().dispatches
    assert fired.event_key == "dataset:claims@v2"
    assert fired.params == {"version": 2}
    assert fired.evidence["new_rows"] == 1
    assert (
        workspace.runs.get_run(str(ledger(workspace)[0].run_id)).params["version"] == 2
    )


def test_min_rows_holds_a_version_once_and_fires_when_rows_accumulate(
    workspace: Workspace, flow: str, claims: Path
) -> None:
    create_trigger(
        workspace, "big", flow, "dataset", spec={"dataset": "claims", "min_rows": 2}
    )
    agent = _agent(workspace)
    claims.write_text("a,b\n1,2\n3,4\n5,6\n7,8\n")
    refresh_dataset(workspace, "claims")
    [held] = agent.tick().dispatches
    assert (held.outcome, held.reason) == ("skipped", "not enough new rows: 1 of 2")
    assert agent.tick().dispatches == []  # recorded once per version
    claims.write_text("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n")
    refresh_dataset(workspace, "claims")
    [fired] = agent.tick().dispatches
    assert fired.outcome == "fired" and fired.evidence["new_rows"] == 2


def test_cooldown_and_daily_cap_skip_with_their_reasons(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(
        workspace,
        "busy",
        flow,
        "schedule",
        spec={"every": 60},
        policy={"cooldown": 3600, "max_per_day": 1},
    )
    agent = _agent(workspace)
    start = float(
        workspace.triggers.get_trigger(workspace.project, "busy").cursor["next_at"]
    )
    outcomes = [agent.tick(now=start + 61 * i).dispatches[0] for i in range(2)]
    assert outcomes[0].outcome == "fired"
    assert outcomes[1].outcome == "skipped"
    assert outcomes[1].reason.startswith("cooldown: fired 1 min ago, cooldown 1.0 h")
    later = agent.tick(now=start + 7200).dispatches[0]
    assert later.reason == "max_per_day: 1 runs in the last 24 h (max 1)"


def test_one_event_seen_concurrently_claims_one_dispatch(workspace: Workspace) -> None:
    results: list[DispatchRecord | None] = []
    barrier = threading.Barrier(5)

    def claim() -> None:
        barrier.wait()
        entry = DispatchRecord(
            0, workspace.project, "t", 1.0, "fired", event_key="dataset:x@v3"
        )
        results.append(workspace.triggers.add_dispatch(entry))

    threads = [threading.Thread(target=claim) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1


def test_a_webhook_delivered_twice_queues_one_run(
    workspace: Workspace, flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    create_trigger(
        workspace,
        "hook",
        flow,
        "webhook",
        spec={"secret": "env:HOOK_SECRET"},
        params={"note": "{event.payload.reason}"},
    )
    body = b'{"reason": "upstream refreshed"}'
    signature = sign_webhook("s3cret", body)
    first = receive_webhook(workspace, "hook", body, signature, "d-1")
    again = receive_webhook(workspace, "hook", body, signature, "d-1")
    assert first is not None and again is None
    assert first.params == {"note": "upstream refreshed"}
    with pytest.raises(WebhookSignatureError, match="signature does not match"):
        receive_webhook(workspace, "hook", body + b" ", signature, "d-2")
    [started] = _agent(workspace).tick().dispatches
    assert started.id == first.id and started.outcome == "fired"
    run = workspace.runs.get_run(str(ledger(workspace, "hook")[0].run_id))
    assert run.params["note"] == "upstream refreshed"


def test_manual_firing_and_approval_go_through_the_queue(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(workspace, "gated", flow, "manual", policy={"approval": True})
    queued = fire_trigger(workspace, "gated", {"version": 7})
    assert queued.outcome == "queued"
    agent = _agent(workspace)
    [started] = agent.tick().dispatches
    assert started.outcome == "fired"
    run = workspace.runs.get_run(str(ledger(workspace, "gated")[0].run_id))
    assert run.params["version"] == 7
    with pytest.raises(AutomationError, match="not awaiting approval"):
        approve_dispatch(workspace, queued.id)


def test_approval_holds_an_event_until_a_person_approves(
    workspace: Workspace, flow: str
) -> None:
    trigger = create_trigger(
        workspace,
        "gated",
        flow,
        "schedule",
        spec={"every": 60},
        policy={"approval": True},
    )
    agent = _agent(workspace)
    due = float(trigger.cursor["next_at"])
    [held] = agent.tick(now=due + 1).dispatches
    assert (held.outcome, held.run_id) == ("awaiting_approval", None)
    approve_dispatch(workspace, held.id)
    [started] = agent.tick(now=due + 2).dispatches
    assert started.id == held.id and started.outcome == "fired"


def test_a_run_that_fails_is_recorded_and_can_be_retried(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(workspace, "fragile", flow.replace(":training", ":broken"), "manual")
    fire_trigger(workspace, "fragile")
    agent = _agent(workspace)
    [fired] = agent.tick().dispatches
    [entry] = ledger(workspace, "fragile")
    assert entry.run_id is not None and entry.reason.startswith("run failed: ")
    assert workspace.runs.get_run(entry.run_id).status == "failed"
    retried = retry_dispatch(workspace, fired.id)
    assert retried.outcome == "queued" and retried.params == fired.params


def test_one_broken_trigger_is_an_error_entry_and_the_others_still_fire(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    create_trigger(workspace, "a-broken", flow, "schedule", spec={"every": 60})
    create_trigger(workspace, "b-fine", flow, "schedule", spec={"every": 60})
    workspace.triggers.update_trigger(
        workspace.project, "a-broken", {"spec": {"every": "soon"}}
    )
    report = _agent(workspace).tick(now=10**10)
    outcomes = {d.trigger: d.outcome for d in report.dispatches}
    assert outcomes == {"a-broken": "error", "b-fine": "fired"}
    assert "ValueError" in ledger(workspace, "a-broken")[0].reason


def test_only_the_lease_holder_acts_and_another_takes_over_when_it_lapses(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(workspace, "often", flow, "schedule", spec={"every": 60})
    first = Agent(workspace, holder="first", lease_ttl=30, run_monitors=False)
    second = Agent(workspace, holder="second", lease_ttl=30, run_monitors=False)
    assert first.tick(now=1000.0).leader
    assert not second.tick(now=1010.0).leader
    assert second.tick(now=1031.0).leader  # the first stopped renewing
    assert not first.tick(now=1040.0).leader
    second.close()
    assert first.tick(now=1041.0).leader  # released: no need to wait


def test_a_firing_left_without_a_run_by_a_killed_agent_starts_once(
    workspace: Workspace, flow: str
) -> None:
    create_trigger(workspace, "t", flow, "manual")
    # What a kill -9 between "claimed" and "run started" leaves behind.
    orphan = workspace.triggers.add_dispatch(
        DispatchRecord(
            0,
            workspace.project,
            "t",
            1000.0,
            "fired",
            event_key="manual:abc",
            params={"version": 3},
            holder="dead-agent",
        )
    )
    assert orphan is not None
    agent = _agent(workspace)
    agent.tick(now=1005.0)  # the dead agent's lease time has not passed
    assert workspace.triggers.get_dispatch(workspace.project, orphan.id).run_id is None
    agent.tick(now=1100.0)
    run_id = workspace.triggers.get_dispatch(workspace.project, orphan.id).run_id
    assert run_id is not None
    assert workspace.runs.get_run(run_id).params["version"] == 3
    agent.tick(now=1200.0)
    runs = workspace.runs.list_runs(pipeline="training", limit=None)
    assert len(runs) == 1


def test_a_pipeline_trigger_chain_that_loops_at_run_time_is_skipped(
    workspace: Workspace, flow: str
) -> None:
    # A run tagged as started by "t" that ends: "t" must not fire on it again.
    create_trigger(
        workspace, "t", flow, "pipeline", spec={"upstream": "broken", "status": "any"}
    )
    broken = flow.replace(":training", ":broken")
    from rung.pipelines import load_pipeline

    with pytest.raises(Exception, match="boom"):
        load_pipeline(broken).run(workspace=workspace, tags={"rung.trigger.chain": "t"})
    [entry] = _agent(workspace).tick().dispatches
    assert entry.outcome == "skipped" and entry.reason.startswith("loop: t -> t")


def test_an_alert_raised_in_a_tick_starts_its_retraining_in_the_same_tick(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    import numpy as np
    import pandas as pd

    from rung.catalog import register_dataset
    from rung.monitoring import create_monitor

    rng = np.random.default_rng(3)
    for name, shift in (("before", 0.0), ("after", 3.0)):
        frame = pd.DataFrame(
            {"x": rng.normal(shift, 1.0, 500), "y": rng.normal(0, 1, 500)}
        )
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        register_dataset(workspace, name, str(tmp_path / f"{name}.csv"))
    create_monitor(
        workspace,
        "drift-watch",
        reference="dataset:before",
        current="dataset:after",
        checks=["drift"],
        thresholds={"drift_share": 0.5},
        schedule="*/5 * * * *",
    )
    create_trigger(
        workspace,
        "retrain",
        flow,
        "monitor",
        spec={"monitor": "drift-watch", "check": "drift"},
        params={"note": "{event.alert_id}"},
    )
    agent = Agent(workspace, holder="a", refresh_datasets=False)
    report = agent.tick(
        now=workspace.monitors.get_monitor(workspace.project, "drift-watch").created_at
        + 600
    )
    assert report.monitors == {"drift-watch": "breached"}
    [fired] = report.dispatches
    assert fired.outcome == "fired" and fired.evidence["check"] == "drift"
    [alert] = workspace.monitors.list_alerts(workspace.project, status="open")
    assert fired.params == {"note": alert.id}
    assert fired.evidence["details"]["features"] == ["x"]


@pytest.fixture
def blocked() -> Iterator[tuple[ThreadPoolExecutor, threading.Event]]:
    """One worker, kept busy until the event is set: firings wait in its queue."""
    pool = ThreadPoolExecutor(1)
    gate = threading.Event()
    pool.submit(gate.wait)
    try:
        yield pool, gate
    finally:  # a failed test must not leave the worker waiting forever
        gate.set()
        pool.shutdown(wait=True)


def _training_runs(workspace: Workspace) -> int:
    return len(workspace.runs.list_runs(pipeline="training", limit=None))


def test_a_firing_waiting_for_a_worker_is_not_started_again_by_its_own_agent(
    workspace: Workspace,
    flow: str,
    blocked: tuple[ThreadPoolExecutor, threading.Event],
) -> None:
    create_trigger(workspace, "t", flow, "manual")
    pool, gate = blocked
    agent = Agent(
        workspace, holder="a", executor=pool, run_monitors=False, lease_ttl=30
    )
    fire_trigger(workspace, "t")
    [fired] = agent.tick().dispatches
    # Later than the lease time: the firing still waits for the busy worker.
    assert agent.tick(now=time.time() + 100).dispatches == []
    gate.set()
    pool.shutdown(wait=True)
    assert _training_runs(workspace) == 1
    entry = workspace.triggers.get_dispatch(workspace.project, fired.id)
    assert entry.run_id is not None and entry.reason == ""


def test_firings_waiting_for_a_worker_count_against_max_concurrent(
    workspace: Workspace,
    flow: str,
    blocked: tuple[ThreadPoolExecutor, threading.Event],
) -> None:
    create_trigger(workspace, "t", flow, "manual", policy={"max_concurrent": 1})
    pool, gate = blocked
    agent = Agent(workspace, holder="a", executor=pool, run_monitors=False)
    fire_trigger(workspace, "t", {"version": 1})
    fire_trigger(workspace, "t", {"version": 2})
    assert agent.tick().count("fired") == 1  # the other stays queued
    gate.set()
    pool.shutdown(wait=True)
    [second] = _agent(workspace, "a").tick().dispatches
    assert second.outcome == "fired" and second.params == {"version": 2}
    assert _training_runs(workspace) == 2


def test_a_firing_taken_over_by_a_new_leader_is_not_started_by_the_old_one(
    workspace: Workspace,
    flow: str,
    blocked: tuple[ThreadPoolExecutor, threading.Event],
) -> None:
    create_trigger(workspace, "t", flow, "manual")
    pool, gate = blocked
    old = Agent(workspace, holder="old", executor=pool, run_monitors=False)
    fire_trigger(workspace, "t")
    [fired] = old.tick().dispatches
    # The old leader stalls past its lease; a new one takes the firing over.
    new = _agent(workspace, "new")
    assert new.tick(now=time.time() + 100).leader
    entry = workspace.triggers.get_dispatch(workspace.project, fired.id)
    assert entry.holder == "new" and entry.run_id is not None
    gate.set()
    pool.shutdown(wait=True)  # the old agent's worker finally gets to it
    assert _training_runs(workspace) == 1


def test_a_tick_reports_a_firing_that_could_not_start_as_an_error(
    workspace: Workspace, flow: str, tmp_path: Path
) -> None:
    create_trigger(workspace, "t", flow, "manual")
    fire_trigger(workspace, "t")
    # The pipeline's file is gone by the time the agent starts the run.
    gone = f"{tmp_path / 'gone.py'}:training"
    workspace.triggers.update_trigger(workspace.project, "t", {"pipeline": gone})
    [entry] = _agent(workspace).tick().dispatches
    assert entry.outcome == "error"
    assert entry.reason.startswith("could not start: PipelineNotFoundError")
    assert entry.run_id is None
    assert ledger(workspace, "t")[0] == entry


def test_an_estimated_drop_starts_a_retraining_before_any_label(
    workspace: Workspace, flow: str
) -> None:
    from rung.monitoring import create_monitor
    from tests.unit.monitoring.conftest import scored

    create_monitor(
        workspace,
        "estimate-watch",
        reference=scored(4000, 2, 2, seed=0),
        current=scored(800, 30, 30, seed=1).drop(columns="label"),
        checks=["performance", "estimated_performance"],
        schedule="*/5 * * * *",
    )
    for name, check in (
        ("on-estimate", "estimated_performance"),
        ("on-labels", "performance"),
    ):
        create_trigger(
            workspace,
            name,
            flow,
            "monitor",
            spec={"monitor": "estimate-watch", "check": check},
            params={"note": "{event.check}"},
        )
    agent = Agent(workspace, holder="a", refresh_datasets=False)
    created = workspace.monitors.get_monitor(workspace.project, "estimate-watch")
    report = agent.tick(now=created.created_at + 600)
    assert report.monitors == {"estimate-watch": "breached"}
    [fired] = report.dispatches  # no labels: the performance trigger waits
    assert (fired.trigger, fired.outcome) == ("on-estimate", "fired")
    assert fired.params == {"note": "estimated_performance"}
    details = fired.evidence["details"]
    assert details["method"] == "cbpe" and "accuracy" in details["estimated"]
    assert details["thresholds"]["accuracy_drop"] == 0.05
    [entry] = ledger(workspace, "on-estimate")
    assert workspace.runs.get_run(str(entry.run_id)).status == "completed"
