"""The ``MonitorStore`` contract (monitors, evaluations, alerts, the outbox).

Run against every backend: in memory, a SQLite file, and (marked
``integration``) a PostgreSQL schema of its own, dropped afterwards.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import InvalidRecordError, MonitorNotFoundError
from rung.monitoring.records import (
    AlertRecord,
    CheckValueRecord,
    DeliveryRecord,
    EvaluationRecord,
    MonitorRecord,
)
from rung.monitoring.store import MonitorStore

if TYPE_CHECKING:
    from rung.metadata import RunStore

PROJECT = "demo"


def make_monitor(name: str = "churn-drift", **fields: Any) -> MonitorRecord:
    values: dict[str, Any] = {
        "name": name,
        "project": PROJECT,
        "user": "ada",
        "created_at": 1.0,
        "updated_at": 1.0,
    }
    return MonitorRecord(**{**values, **fields})


def evaluation(
    at: float, monitor: str = "churn-drift", **fields: Any
) -> EvaluationRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "monitor": monitor,
        "project": PROJECT,
        "evaluated_at": at,
        "status": "passed",
    }
    return EvaluationRecord(**{**values, **fields})


def breach(check: str, severity: str = "warning", **fields: Any) -> AlertRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "project": PROJECT,
        "monitor": "churn-drift",
        "check": check,
        "severity": severity,
        "status": "open",
        "opened_at": 0.0,
        "updated_at": 0.0,
        "message": f"{check} breached",
        "first_evaluation_id": "",
        "last_evaluation_id": "",
        "evidence": {"features": ["age"], "scores": {"age": 0.4}},
    }
    return AlertRecord(**{**values, **fields})


def value(metric: str, number: float | None, feature: str = "age") -> CheckValueRecord:
    return CheckValueRecord(
        "", "", "", 0.0, "drift", feature, metric, number, 0.1, True
    )


def test_store_implements_the_monitoring_protocol(store: RunStore) -> None:
    assert isinstance(store, MonitorStore)


def test_add_get_list_update_round_trip_every_field(store: RunStore) -> None:
    given = make_monitor(
        model="churn@production",
        reference={"kind": "dataset", "name": "claims", "version": 3},
        current={"kind": "predictions"},
        checks=("drift", "performance"),
        thresholds={"drift_share": 0.3, "accuracy_drop": 0.05},
        window={"seconds": 3600},
        schedule="*/15 * * * *",
        features={"age": {"method": "psi", "threshold": 0.25}},
        sinks=({"type": "webhook", "url": "http://127.0.0.1:1/hook"},),
        description="churn in production",
    )
    store.add_monitor(given)
    store.add_monitor(make_monitor("a-first"))
    assert store.get_monitor(PROJECT, "churn-drift") == given
    assert [m.name for m in store.list_monitors(PROJECT)] == ["a-first", "churn-drift"]
    assert store.list_monitors("other") == []
    changed = store.update_monitor(
        PROJECT, "churn-drift", {"schedule": None, "thresholds": {"psi": 0.2}}
    )
    assert (changed.schedule, changed.thresholds) == (None, {"psi": 0.2})
    assert store.get_monitor(PROJECT, "churn-drift") == changed


def test_add_monitor_refuses_a_taken_name_and_bad_checks(store: RunStore) -> None:
    store.add_monitor(make_monitor())
    with pytest.raises(
        InvalidRecordError, match="Monitor 'churn-drift' already exists"
    ):
        store.add_monitor(make_monitor())
    with pytest.raises(InvalidRecordError, match="has checks \\['drfit'\\]"):
        store.add_monitor(make_monitor("x", checks=("drfit",)))
    with pytest.raises(InvalidRecordError, match="Invalid monitor name"):
        store.add_monitor(make_monitor("bad name"))
    with pytest.raises(InvalidRecordError, match="Cannot change \\['name'\\]"):
        store.update_monitor(PROJECT, "churn-drift", {"name": "y"})


def test_unknown_monitor_raises_not_found(store: RunStore) -> None:
    with pytest.raises(MonitorNotFoundError, match="has no monitor 'nope'"):
        store.get_monitor(PROJECT, "nope")
    with pytest.raises(MonitorNotFoundError, match="has no monitor 'nope'"):
        store.update_monitor(PROJECT, "nope", {"schedule": None})
    with pytest.raises(MonitorNotFoundError, match="has no monitor 'nope'"):
        store.record_evaluation(evaluation(1.0, monitor="nope"), [], [], [])


def test_evaluations_and_values_form_a_time_series(store: RunStore) -> None:
    store.add_monitor(make_monitor())
    first = evaluation(10.0, checks={"drift": {"status": "passed"}}, current_rows=50)
    second = evaluation(20.0, window={"start": 5.0, "end": 20.0}, model_version=3)
    store.record_evaluation(first, [value("psi", 0.05), value("ks", None)], [], [])
    store.record_evaluation(
        second, [value("psi", 0.3), value("js", float("nan"))], [], []
    )
    found = store.list_evaluations(PROJECT, "churn-drift")
    assert [e.id for e in found] == [second.id, first.id]
    assert found[1] == first and found[0] == second
    assert [e.id for e in store.list_evaluations(PROJECT, "churn-drift", since=15)] == [
        second.id
    ]
    series = store.list_check_values(PROJECT, "churn-drift", metric="psi")
    assert [(v.evaluated_at, v.value) for v in series] == [(10.0, 0.05), (20.0, 0.3)]
    assert series[0].evaluation_id == first.id and series[0].breached is True
    everything = store.list_check_values(PROJECT, "churn-drift", check="drift")
    assert [v.value for v in everything] == [0.05, None, 0.3, None]
    assert store.list_check_values(PROJECT, "churn-drift", feature="other") == []
    assert store.get_monitor(PROJECT, "churn-drift").last_evaluated_at == 20.0


def test_breach_opens_one_alert_that_continues_then_resolves(
    store: RunStore,
) -> None:
    store.add_monitor(make_monitor())
    e1, e2, e3 = evaluation(1.0), evaluation(2.0), evaluation(3.0)
    opened = store.record_evaluation(e1, [], [breach("drift")], ["quality"])
    assert [a.check for a in opened.opened] == ["drift"] and not opened.resolved
    alert = opened.opened[0]
    assert (alert.status, alert.first_evaluation_id, alert.opened_at) == (
        "open",
        e1.id,
        1.0,
    )
    again = store.record_evaluation(e2, [], [breach("drift", "critical")], [])
    assert again.opened == [] and [a.id for a in again.continued] == [alert.id]
    assert (again.continued[0].occurrences, again.continued[0].severity) == (
        2,
        "critical",
    )
    assert len(store.list_alerts(PROJECT, status="open")) == 1
    done = store.record_evaluation(e3, [], [], ["drift"])
    assert [a.id for a in done.resolved] == [alert.id]
    [stored] = store.list_alerts(PROJECT, monitor="churn-drift")
    assert (stored.status, stored.resolved_at, stored.last_evaluation_id) == (
        "resolved",
        3.0,
        e3.id,
    )
    assert stored.evidence == {"features": ["age"], "scores": {"age": 0.4}}
    reopened = store.record_evaluation(evaluation(4.0), [], [breach("drift")], [])
    assert reopened.opened[0].id != alert.id
    assert [a.status for a in store.list_alerts(PROJECT)] == ["open", "resolved"]
    assert store.list_alerts(PROJECT, since=3.5, status="open")[0].opened_at == 4.0
    assert store.list_alerts(PROJECT, status="resolved", monitor="other") == []


def test_an_error_evaluation_is_stored_and_leaves_alerts_alone(
    store: RunStore,
) -> None:
    store.add_monitor(make_monitor())
    store.record_evaluation(
        evaluation(1.0, status="breached"), [], [breach("drift")], []
    )
    failed = evaluation(
        2.0, status="error", window={"error": "reference gone", "error_type": "X"}
    )
    store.record_evaluation(failed, [], [], [])
    [latest, _] = store.list_evaluations(PROJECT, "churn-drift")
    assert (latest.status, latest.window["error"]) == ("error", "reference gone")
    assert store.get_monitor(PROJECT, "churn-drift").last_evaluated_at == 2.0
    assert [a.status for a in store.list_alerts(PROJECT)] == ["open"]


def test_record_evaluation_refuses_bad_input(store: RunStore) -> None:
    store.add_monitor(make_monitor())
    with pytest.raises(InvalidRecordError, match="Invalid evaluation status 'meh'"):
        store.record_evaluation(evaluation(1.0, status="meh"), [], [], [])
    with pytest.raises(InvalidRecordError, match="one breach per check"):
        store.record_evaluation(evaluation(1.0), [], [breach("drift")] * 2, [])
    with pytest.raises(InvalidRecordError, match="not the evaluation's"):
        store.record_evaluation(evaluation(1.0), [], [breach("drift", monitor="x")], [])
    twice = evaluation(1.0)
    store.record_evaluation(twice, [], [], [])
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.record_evaluation(twice, [], [], [])
    assert len(store.list_evaluations(PROJECT, "churn-drift")) == 1


def test_delete_monitor_removes_its_history(store: RunStore) -> None:
    store.add_monitor(make_monitor())
    store.add_monitor(make_monitor("other"))
    store.record_evaluation(evaluation(1.0), [value("psi", 0.1)], [breach("drift")], [])
    store.delete_monitor(PROJECT, "churn-drift")
    assert [m.name for m in store.list_monitors(PROJECT)] == ["other"]
    assert store.list_alerts(PROJECT) == []
    assert store.list_check_values(PROJECT, "churn-drift") == []
    with pytest.raises(MonitorNotFoundError, match="has no monitor 'churn-drift'"):
        store.delete_monitor(PROJECT, "churn-drift")


def test_concurrent_breaches_open_a_single_alert(store: RunStore) -> None:
    store.add_monitor(make_monitor())
    errors: list[BaseException] = []

    def evaluate(at: float) -> None:
        try:
            store.record_evaluation(evaluation(at), [], [breach("drift")], [])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=evaluate, args=(float(i),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [alert] = store.list_alerts(PROJECT, status="open")
    assert alert.occurrences == 6
    assert replace(alert, occurrences=6) == alert


# -- the alert outbox ---------------------------------------------------------------

LOG = {"type": "log"}
HOOK = {"type": "webhook", "url": "http://127.0.0.1:1/hook"}
PLUGIN = {"type": "plugin", "entry": "acme.alerts:pager"}


def delivered(delivery: DeliveryRecord, at: float) -> DeliveryRecord:
    return replace(
        delivery,
        status="delivered",
        attempts=delivery.attempts + 1,
        next_attempt_at=None,
        delivered_at=at,
        updated_at=at,
    )


def retry(delivery: DeliveryRecord, at: float, when: float) -> DeliveryRecord:
    return replace(
        delivery,
        attempts=delivery.attempts + 1,
        next_attempt_at=when,
        updated_at=at,
        last_error="answered 500",
    )


def test_alert_changes_enqueue_one_delivery_per_sink(store: RunStore) -> None:
    store.add_monitor(make_monitor(sinks=(LOG, HOOK)))
    opened = store.record_evaluation(evaluation(1.0), [], [breach("drift")], [])
    [alert] = opened.opened
    found = store.list_deliveries(PROJECT)
    assert [(d.event, d.sink, d.status) for d in found] == [
        ("opened", LOG, "pending"),
        ("opened", HOOK, "pending"),
    ]
    first = found[0]
    assert (first.alert_id, first.monitor, first.project) == (
        alert.id,
        "churn-drift",
        PROJECT,
    )
    assert (first.attempts, first.created_at, first.next_attempt_at) == (0, 1.0, 1.0)
    assert first.payload == asdict(alert) and len({d.id for d in found}) == 2
    store.record_evaluation(evaluation(2.0), [], [breach("drift")], [])
    store.record_evaluation(evaluation(2.5), [], [], [])
    assert len(store.list_deliveries(PROJECT)) == 2
    store.record_evaluation(evaluation(3.0), [], [], ["drift"], extra_sinks=[PLUGIN])
    resolved = store.list_deliveries(PROJECT)[2:]
    assert [(d.event, d.sink) for d in resolved] == [
        ("resolved", LOG),
        ("resolved", HOOK),
        ("resolved", PLUGIN),
    ]
    assert resolved[0].payload["status"] == "resolved"


def test_claims_hold_a_lease_and_a_sender_tries_a_delivery_once(
    store: RunStore,
) -> None:
    store.add_monitor(make_monitor(sinks=(LOG, HOOK)))
    store.record_evaluation(evaluation(1.0), [], [breach("drift")], [])
    assert store.claim_deliveries(PROJECT, sender="a", now=0.5, lease_s=10) == []
    log, hook = store.claim_deliveries(PROJECT, sender="a", now=1.0, lease_s=10)
    assert (log.sink, hook.sink) == (LOG, HOOK)
    assert store.claim_deliveries(PROJECT, sender="b", now=2.0, lease_s=10) == []
    assert store.claim_deliveries(PROJECT, sender="a", now=2.0, lease_s=10) == []
    assert store.finish_delivery(retry(log, 2.0, 40.0), "b") is False
    assert store.finish_delivery(retry(log, 2.0, 40.0), "a") is True
    # The hook's lease runs out: another sender takes it over.
    [taken] = store.claim_deliveries(PROJECT, sender="b", now=12.0, lease_s=10)
    assert taken.id == hook.id
    assert store.finish_delivery(delivered(hook, 12.5), "a") is False
    assert store.finish_delivery(delivered(taken, 12.5), "b") is True
    assert store.claim_deliveries(PROJECT, sender="c", now=39.0, lease_s=10) == []
    [waiting] = store.claim_deliveries(
        PROJECT, sender="c", now=39.0, lease_s=10, include_waiting=True
    )
    assert (waiting.id, waiting.attempts, waiting.last_error) == (
        log.id,
        1,
        "answered 500",
    )
    assert store.finish_delivery(delivered(waiting, 39.0), "c") is True
    assert store.finish_delivery(delivered(waiting, 39.5), "c") is False
    assert [(d.status, d.attempts) for d in store.list_deliveries(PROJECT)] == [
        ("delivered", 2),
        ("delivered", 1),
    ]
    assert store.list_deliveries(PROJECT)[0].delivered_at == 39.0


def test_a_resolution_waits_for_its_opening_to_the_same_sink(
    store: RunStore,
) -> None:
    store.add_monitor(make_monitor(sinks=(HOOK,)))
    store.record_evaluation(evaluation(1.0), [], [breach("drift")], [])
    [opening] = store.claim_deliveries(PROJECT, sender="a", now=1.0, lease_s=5)
    store.finish_delivery(retry(opening, 1.0, 31.0), "a")
    store.record_evaluation(evaluation(2.0), [], [], ["drift"], extra_sinks=[LOG])
    [to_log] = store.claim_deliveries(PROJECT, sender="b", now=2.0, lease_s=5)
    assert (to_log.event, to_log.sink) == ("resolved", LOG)
    assert store.finish_delivery(delivered(to_log, 2.0), "b")
    [again] = store.claim_deliveries(PROJECT, sender="c", now=31.0, lease_s=5)
    assert (again.event, again.id) == ("opened", opening.id)
    store.finish_delivery(
        replace(again, status="failed", next_attempt_at=None, updated_at=31.0), "c"
    )
    [closing] = store.claim_deliveries(PROJECT, sender="c", now=31.0, lease_s=5)
    assert (closing.event, closing.sink) == ("resolved", HOOK)


def test_finish_delivery_refuses_impossible_outcomes(store: RunStore) -> None:
    store.add_monitor(make_monitor(sinks=(LOG,)))
    store.record_evaluation(evaluation(1.0), [], [breach("drift")], [])
    [claimed] = store.claim_deliveries(PROJECT, sender="a", now=1.0, lease_s=5)
    with pytest.raises(InvalidRecordError, match="status must be one of pending"):
        store.finish_delivery(replace(claimed, status="sent"), "a")
    with pytest.raises(InvalidRecordError, match="needs next_attempt_at"):
        store.finish_delivery(replace(claimed, next_attempt_at=None), "a")
    with pytest.raises(InvalidRecordError, match="needs next_attempt_at"):
        store.finish_delivery(replace(claimed, status="failed"), "a")
    with pytest.raises(InvalidRecordError, match="needs delivered_at"):
        store.finish_delivery(
            replace(claimed, status="delivered", next_attempt_at=None), "a"
        )
    assert store.list_deliveries(PROJECT) == [claimed]


def test_list_deliveries_filters_and_delete_monitor_removes_them(
    store: RunStore,
) -> None:
    store.add_monitor(make_monitor(sinks=(LOG,)))
    store.add_monitor(make_monitor("other", sinks=(HOOK,)))
    changes = store.record_evaluation(evaluation(1.0), [], [breach("drift")], [])
    store.record_evaluation(
        evaluation(1.0, monitor="other"), [], [breach("drift", monitor="other")], []
    )
    [mine] = store.list_deliveries(PROJECT, monitor="churn-drift")
    assert store.list_deliveries(PROJECT, alert_ids=[changes.opened[0].id]) == [mine]
    assert store.list_deliveries(PROJECT, alert_ids=[]) == []
    assert len(store.list_deliveries(PROJECT, status="pending")) == 2
    assert store.list_deliveries(PROJECT, status="failed") == []
    assert store.list_deliveries("elsewhere") == []
    store.delete_monitor(PROJECT, "churn-drift")
    assert [d.monitor for d in store.list_deliveries(PROJECT)] == ["other"]


def test_concurrent_senders_never_claim_the_same_delivery(store: RunStore) -> None:
    sinks = tuple({"type": "webhook", "url": f"http://127.0.0.1:1/{n}"} for n in "abcd")
    store.add_monitor(make_monitor(sinks=sinks))
    checks = ("drift", "quality", "performance", "prediction_drift", "target_drift")
    store.record_evaluation(evaluation(1.0), [], [breach(c) for c in checks], [])
    claimed: list[str] = []
    errors: list[BaseException] = []

    def send(sender: str) -> None:
        try:
            while found := store.claim_deliveries(
                PROJECT, sender=sender, now=2.0, lease_s=60, limit=3
            ):
                for delivery in found:
                    claimed.append(delivery.id)
                    assert store.finish_delivery(delivered(delivery, 2.0), sender)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"s{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 20
    assert {d.status for d in store.list_deliveries(PROJECT)} == {"delivered"}
