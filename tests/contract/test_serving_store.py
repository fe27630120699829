"""The ``DeploymentStore`` contract (deployments, prediction batches), every backend.

Each test receives a fresh, empty store: in memory, a SQLite file, and
(marked ``integration``) a PostgreSQL schema of its own, dropped afterwards.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import AmbiguousIdError, DeploymentNotFoundError, InvalidRecordError
from rung.serving.records import DeploymentRecord, PredictionBatchRecord
from rung.serving.store import DeploymentStore

if TYPE_CHECKING:
    from rung.metadata import RunStore


def deployment(**fields: Any) -> DeploymentRecord:
    values: dict[str, Any] = {
        "id": "d" * 32,
        "project": "demo",
        "name": "churn-production",
        "model": "churn",
        "alias": "production",
        "version": 1,
        "host": "127.0.0.1",
        "port": 8000,
        "status": "running",
        "user": "ada",
        "started_at": 10.0,
        "updated_at": 10.0,
    }
    return DeploymentRecord(**{**values, **fields})


def batch(batch_id: str, **fields: Any) -> PredictionBatchRecord:
    values: dict[str, Any] = {
        "id": batch_id,
        "project": "demo",
        "kind": "predictions",
        "model": "churn",
        "version": 1,
        "uri": f"predictions/churn/v1/{batch_id}",
        "row_count": 10,
        "first_at": 100.0,
        "last_at": 110.0,
        "created_at": 111.0,
    }
    return PredictionBatchRecord(**{**values, **fields})


def test_store_implements_the_serving_protocol(store: RunStore) -> None:
    assert isinstance(store, DeploymentStore)


def test_deployment_round_trips_and_lists_newest_first(store: RunStore) -> None:
    first = deployment(config={"poll_interval": 2.0}, pid=42, workers=2)
    second = deployment(id="e" * 32, started_at=20.0, model="fraud", alias=None)
    store.add_deployment(first)
    store.add_deployment(second)
    assert store.get_deployment("d" * 32) == replace(first, served_versions=(1,))
    assert store.get_deployment("eeee").id == "e" * 32
    assert [d.id for d in store.list_deployments()] == ["e" * 32, "d" * 32]
    assert [d.id for d in store.list_deployments(model="churn")] == ["d" * 32]
    assert store.list_deployments(project="other") == []
    assert store.list_deployments(status="stopped") == []


def test_update_deployment_appends_served_versions_once(store: RunStore) -> None:
    store.add_deployment(deployment())
    store.update_deployment("d" * 32, {"version": 2, "updated_at": 12.0})
    store.update_deployment("d" * 32, {"version": 1})
    store.update_deployment("d" * 32, {"version": 2})
    stopped = store.update_deployment(
        "d" * 32, {"status": "stopped", "stopped_at": 30.0}
    )
    assert (stopped.version, stopped.served_versions) == (2, (1, 2))
    assert (stopped.status, stopped.stopped_at) == ("stopped", 30.0)
    assert store.get_deployment("d" * 32) == stopped


def test_deployment_errors(store: RunStore) -> None:
    store.add_deployment(deployment())
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_deployment(deployment())
    with pytest.raises(InvalidRecordError, match="Invalid deployment status 'up'"):
        store.add_deployment(deployment(id="f" * 32, status="up"))
    with pytest.raises(InvalidRecordError, match="port must be 0-65535"):
        store.add_deployment(deployment(id="f" * 32, port=70000))
    with pytest.raises(InvalidRecordError, match="Cannot change 'model'"):
        store.update_deployment("d" * 32, {"model": "x"})
    with pytest.raises(DeploymentNotFoundError, match="No deployment has id 'nope'"):
        store.update_deployment("nope", {"status": "stopped"})
    with pytest.raises(LookupError, match="No deployment has id 'abcd'"):
        store.get_deployment("abcd")


def test_ambiguous_deployment_prefix_raises(store: RunStore) -> None:
    store.add_deployment(deployment(id="abcd" + "1" * 28))
    store.add_deployment(deployment(id="abcd" + "2" * 28))
    with pytest.raises(AmbiguousIdError, match="matches several deployments"):
        store.get_deployment("abcd")


def test_batches_filter_by_model_version_kind_and_time(store: RunStore) -> None:
    store.add_prediction_batches(
        [
            batch("a" * 32),
            batch("b" * 32, version=2, first_at=200.0, last_at=210.0),
            batch("c" * 32, model="fraud", deployment_id="d" * 32),
            batch("e" * 32, kind="feedback", version=None, step_run_id="s" * 32),
        ]
    )
    ids = [b.id[0] for b in store.list_prediction_batches()]
    assert ids == ["a", "c", "b"]
    assert [b.id[0] for b in store.list_prediction_batches(model="churn")] == [
        "a",
        "b",
    ]
    assert [b.id[0] for b in store.list_prediction_batches(version=2)] == ["b"]
    assert [b.id[0] for b in store.list_prediction_batches(since=150.0)] == ["b"]
    assert [b.id[0] for b in store.list_prediction_batches(until=105.0)] == [
        "a",
        "c",
    ]
    assert [b.id[0] for b in store.list_prediction_batches(since=105, until=200)] == [
        "a",
        "c",
        "b",
    ]
    assert [b.id[0] for b in store.list_prediction_batches(limit=2)] == ["c", "b"]
    assert [b.id[0] for b in store.list_prediction_batches(deployment_id="d" * 32)] == [
        "c"
    ]
    feedback = store.list_prediction_batches(kind="feedback", step_run_id="s" * 32)
    assert feedback == [
        batch("e" * 32, kind="feedback", version=None, step_run_id="s" * 32)
    ]
    assert store.list_prediction_batches(batch_id="bbbb")[0].id == "b" * 32
    assert store.list_prediction_batches(project="other") == []


def test_add_prediction_batches_is_atomic_and_checked(store: RunStore) -> None:
    store.add_prediction_batches([batch("a" * 32)])
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_prediction_batches([batch("b" * 32), batch("a" * 32)])
    with pytest.raises(InvalidRecordError, match="kind 'labels'"):
        store.add_prediction_batches([batch("c" * 32, kind="labels")])
    with pytest.raises(InvalidRecordError, match="last_at >= first_at"):
        store.add_prediction_batches([batch("c" * 32, last_at=1.0)])
    assert [b.id for b in store.list_prediction_batches()] == ["a" * 32]


def test_concurrent_batch_writes_lose_nothing(store: RunStore) -> None:
    def write(worker: int) -> None:
        for i in range(10):
            store.add_prediction_batches([batch(f"{worker:02d}{i:030d}")])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.list_prediction_batches()) == 40
