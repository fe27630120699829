"""Monitors on a model trained by a real pipeline: create, run, alerts, series."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.cli._hints import with_hint
from rung.errors import (
    InvalidRecordError,
    ModelNotFoundError,
    MonitorDataError,
    MonitorDefinitionError,
    MonitorNotFoundError,
)
from rung.monitoring import (
    AlertEvent,
    create_monitor,
    delete_monitor,
    due_monitors,
    get_monitor,
    list_alerts,
    list_monitors,
    parse_window,
    run_due,
    run_monitor,
    subscribe,
)
from rung.registry import register_model
from tests.unit.monitoring.conftest import production

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


def test_create_defaults_to_lineage_and_the_prediction_log(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    record = create_monitor(
        workspace,
        "churn",
        model="churn@production",
        window="1h",
        schedule="*/15 * * * *",
    )
    assert (record.reference, record.current) == (
        {"kind": "model"},
        {"kind": "predictions"},
    )
    assert record.window == {"seconds": 3600.0} and record.sinks == ({"type": "log"},)
    assert get_monitor(workspace, "churn") == record
    assert [m.name for m in list_monitors(workspace)] == ["churn"]
    with pytest.raises(InvalidRecordError, match="Monitor 'churn' already exists"):
        create_monitor(workspace, "churn", model="churn@production")


def test_run_compares_training_data_with_a_window_and_stores_a_series(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(
        workspace,
        "churn",
        model="churn@production",
        thresholds={"drift_share": 0.3, "accuracy_drop": 0.3},
    )
    calm = run_monitor(workspace, "churn", current=production(seed=4), now=1000.0)
    assert {c: o.status for c, o in calm.outcomes.items()} == {
        "drift": "passed",
        "prediction_drift": "passed",
        "target_drift": "passed",
        "quality": "passed",
        "performance": "passed",
    }
    assert calm.evaluation.reference_rows == 80 and calm.evaluation.model_version == 1
    assert calm.outcomes["drift"].summary["features"]["age"]["method"] == "ks"
    performance = calm.outcomes["performance"].result
    assert performance.baseline == {"accuracy": churn.metrics["accuracy"]}
    shifted = run_monitor(workspace, "churn", current=production(shift=1.5), now=2000.0)
    assert shifted.status == "breached"
    assert shifted.outcomes["drift"].result.drifted_features == ["age", "income"]
    series = workspace.monitors.list_check_values(
        workspace.project, "churn", check="drift", metric="drift_share"
    )
    assert [(v.evaluated_at, v.value) for v in series] == [
        (1000.0, 0.0),
        (2000.0, 2 / 3),
    ]
    assert series[1].threshold == 0.3 and series[1].breached is True
    assert get_monitor(workspace, "churn").last_evaluated_at == 2000.0


def test_alerts_open_once_continue_and_resolve(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(workspace, "churn", model="churn@production", checks=["drift"])
    events: list[AlertEvent] = []
    stop = subscribe(workspace, events.append)
    first = run_monitor(workspace, "churn", current=production(shift=1.5), now=10.0)
    second = run_monitor(workspace, "churn", current=production(shift=1.5), now=20.0)
    assert [a.check for a in first.alerts.opened] == ["drift"]
    assert second.alerts.opened == [] and len(second.alerts.continued) == 1
    [alert] = list_alerts(workspace, status="open")
    assert (alert.severity, alert.occurrences) == ("warning", 2)
    assert alert.evidence["features"] == ["age", "income"]
    assert alert.evidence["drift_share_threshold"] == 0.5
    assert alert.evidence["window"]["rows"] == 300
    assert alert.evidence["reference"] == "training data of churn v1"
    calm = run_monitor(workspace, "churn", current=production(seed=4), now=30.0)
    assert [a.id for a in calm.alerts.resolved] == [alert.id]
    assert list_alerts(workspace, "churn", status="open") == []
    assert list_alerts(workspace, status="resolved", since=25.0)[0].resolved_at == 30.0
    assert [(e.kind, e.alert.check) for e in events] == [
        ("opened", "drift"),
        ("resolved", "drift"),
    ]
    stop()
    run_monitor(workspace, "churn", current=production(shift=1.5), now=40.0)
    assert len(events) == 2


def test_a_failing_subscriber_never_fails_the_evaluation(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(workspace, "churn", model="churn@production", checks=["drift"])

    def broken(event: AlertEvent) -> None:
        raise RuntimeError("retraining service down")

    subscribe(workspace, broken)
    result = run_monitor(workspace, "churn", current=production(shift=1.5))
    assert result.status == "breached"
    assert "retraining service down" in result.delivery_failures[0]


def test_empty_windows_and_missing_labels_are_not_computable(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    create_monitor(workspace, "churn", model="churn@production")
    empty = run_monitor(workspace, "churn", current=production().iloc[:0])
    assert empty.status == "not_computable"
    assert {o.summary["reason"] for o in empty.outcomes.values()} == {
        "the window has no rows (given data)"
    }
    unlabelled = run_monitor(workspace, "churn", current=production(labels=False))
    assert unlabelled.outcomes["performance"].summary["reason"] == (
        "no labels in the current data yet"
    )
    assert unlabelled.outcomes["target_drift"].status == "not_computable"
    assert list_alerts(workspace) == []


def test_references_from_datasets_runs_and_dataframes(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    run_id = str(churn.run_id)
    create_monitor(
        workspace,
        "by-run",
        reference=f"run:{run_id}/make_data",
        current=production(seed=5),
        checks=["drift", "quality"],
        label="churned",
    )
    by_run = run_monitor(workspace, "by-run")
    assert by_run.evaluation.reference_rows == 80 and by_run.status == "passed"
    create_monitor(
        workspace,
        "frames",
        reference=production(seed=1),
        current=production(shift=1.5),
        checks=["drift"],
    )
    assert run_monitor(workspace, "frames").status == "breached"
    with pytest.raises(MonitorDefinitionError, match="needs a reference"):
        create_monitor(workspace, "nothing", current=production())


def test_definitions_are_checked_with_a_fix(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    model = "churn@production"
    with pytest.raises(MonitorDefinitionError, match="Unknown threshold 'drfit_share'"):
        create_monitor(workspace, "m", model=model, thresholds={"drfit_share": 0.3})
    with pytest.raises(MonitorDefinitionError, match="Invalid cron schedule"):
        create_monitor(workspace, "m", model=model, schedule="every hour")
    with pytest.raises(MonitorDefinitionError, match="Unknown checks \\['latency'\\]"):
        create_monitor(workspace, "m", model=model, checks=["latency"])
    with pytest.raises(MonitorDefinitionError, match="Invalid alert sink"):
        create_monitor(workspace, "m", model=model, sinks=[{"type": "pager"}])
    with pytest.raises(MonitorDefinitionError, match="Cannot read the data source"):
        create_monitor(workspace, "m", model=model, reference="s3://bucket")
    with pytest.raises(MonitorDefinitionError, match="Unknown method 'kl' for feature"):
        create_monitor(workspace, "m", model=model, features={"age": {"method": "kl"}})
    with pytest.raises(ModelNotFoundError, match="nope"):
        create_monitor(workspace, "m", model="nope@production")
    with pytest.raises(MonitorNotFoundError, match="has no monitor 'm'"):
        run_monitor(workspace, "m")


def test_a_model_without_training_data_in_lineage_needs_a_reference(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit([[0.0], [1.0]], [0, 1])
    register_model(workspace, model, "plain", metrics={"accuracy": 0.5})
    no_table = "has no training table in its lineage"
    with pytest.raises(MonitorDataError, match=no_table) as missing:
        create_monitor(workspace, "plain", model="plain@latest")
    assert "training_data=<the training DataFrame>" in str(missing.value)
    assert missing.value.details == {
        "model": "plain",
        "version": 1,
        "reason": "no_training_table",
    }
    hint = with_hint(missing.value)
    assert "`rung monitor create`" in hint and "--training-data FILE" in hint
    record = create_monitor(
        workspace, "plain", model="plain@latest", reference=production(seed=1)
    )
    assert record.reference["kind"] == "artifact"


def test_a_model_registered_with_its_training_data_is_monitorable(
    workspace: Workspace,
) -> None:
    """A model fitted in a script (as in the serving guide), with its data."""
    from sklearn.linear_model import LogisticRegression

    data = production(400, seed=2)
    features = data.drop(columns="label")
    model = LogisticRegression().fit(features, data["label"])
    version = register_model(workspace, model, "script", training_data=data)
    assert [c.name for c in version.signature or []] == ["age", "income", "visits"]
    create_monitor(workspace, "script", model="script@latest", checks=["drift"])
    shifted = production(300, seed=5, shift=2.0).drop(columns="label")
    evaluation = run_monitor(workspace, "script", current=shifted)
    assert evaluation.evaluation.reference_rows == 400
    assert evaluation.outcomes["drift"].status == "breached"


def test_parse_window_reads_durations_and_row_counts() -> None:
    assert parse_window("1h30m") == {"seconds": 5400.0}
    assert parse_window(None, 500) == {"rows": 500} and parse_window(None) == {}
    with pytest.raises(MonitorDefinitionError, match="Cannot read the window '1 hour'"):
        parse_window("1 hour")
    with pytest.raises(MonitorDefinitionError, match="not both"):
        parse_window("1h", 10)


def test_due_monitors_follow_their_cron_schedule(
    workspace: Workspace, churn: ModelVersionRecord
) -> None:
    record = create_monitor(
        workspace,
        "nightly",
        reference=production(seed=1),
        current=production(seed=2),
        schedule="0 3 * * *",
        checks=["drift"],
    )
    create_monitor(workspace, "manual", model="churn@production")
    day = 86_400.0
    assert due_monitors(workspace, at=record.created_at) == []
    later = record.created_at + day
    assert [m.name for m in due_monitors(workspace, at=later)] == ["nightly"]
    [result] = run_due(workspace, now=later)
    assert result.evaluation.monitor == "nightly"
    assert due_monitors(workspace, at=later + 60) == []
    delete_monitor(workspace, "manual")
    assert [m.name for m in list_monitors(workspace)] == ["nightly"]


def test_due_monitor_that_fails_is_recorded_and_the_next_still_runs(
    workspace: Workspace, churn: ModelVersionRecord, caplog: pytest.LogCaptureFixture
) -> None:
    broken = create_monitor(
        workspace,
        "a-broken",
        reference=production(seed=1),
        current=production(seed=2),
        schedule="0 3 * * *",
        checks=["drift", "quality"],
    )
    create_monitor(
        workspace,
        "b-fine",
        reference=production(seed=3),
        current=production(seed=4),
        schedule="0 3 * * *",
        checks=["drift"],
    )
    gone = workspace.runs.get_artifact(broken.reference["id"])
    workspace.artifacts.delete(gone.uri)
    later = broken.created_at + 86_400.0

    first, second = run_due(workspace, now=later)

    assert (first.evaluation.monitor, first.status) == ("a-broken", "error")
    assert first.error is not None and gone.id[:12] in first.error
    assert (second.evaluation.monitor, second.status) == ("b-fine", "passed")
    assert second.error is None
    [stored] = workspace.monitors.list_evaluations(workspace.project, "a-broken")
    assert stored.status == "error"
    assert stored.window["error"] == first.error
    assert {c: s["status"] for c, s in stored.checks.items()} == {
        "drift": "error",
        "quality": "error",
    }
    assert get_monitor(workspace, "a-broken").last_evaluated_at == later
    assert due_monitors(workspace, at=later + 60) == []
    assert "Monitor a-broken failed" in caplog.text
    assert first.to_dict()["error"] == first.error
