"""The ``RunStore`` contract, run against every backend.

Each test receives a fresh, empty store: in memory, a SQLite file in
``tmp_path``, and (marked ``integration``) a PostgreSQL schema of its own that
is dropped afterwards.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import replace
from typing import Any

import pytest

from rung.errors import (
    AmbiguousIdError,
    ArtifactNotFoundError,
    EnvironmentNotFoundError,
    InvalidRecordError,
    MetadataError,
    RunNotFoundError,
    StepRunNotFoundError,
)
from rung.metadata import (
    ArtifactRecord,
    LineageEdge,
    MetricBatch,
    MetricRecord,
    PipelineSummary,
    RunRecord,
    RunStore,
    StepFinish,
    StepRunRecord,
)

# -- fixtures and factories ---------------------------------------------------


def _id() -> str:
    return uuid.uuid4().hex


def make_run(**fields: Any) -> RunRecord:
    values: dict[str, Any] = {
        "id": _id(),
        "name": "training-1",
        "project": "demo",
        "user": "ada",
        "status": "running",
        "started_at": 1000.0,
        "pipeline": "training",
    }
    return RunRecord(**{**values, **fields})


def make_step(run_id: str, **fields: Any) -> StepRunRecord:
    values: dict[str, Any] = {
        "id": _id(),
        "run_id": run_id,
        "name": "train",
        "status": "running",
        "started_at": 1001.0,
    }
    return StepRunRecord(**{**values, **fields})


def make_artifact(**fields: Any) -> ArtifactRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex * 2,
        "type": "pandas.core.frame.DataFrame",
        "materializer": "parquet",
        "uri": "ab/cdef",
        "size_bytes": 1024,
        "created_at": 1002.0,
    }
    return ArtifactRecord(**{**values, **fields})


# -- runs ---------------------------------------------------------------------


def test_store_implements_the_protocol(store: RunStore) -> None:
    assert isinstance(store, RunStore)
    store.close()
    store.close()


def test_create_run_round_trips_every_field(store: RunStore) -> None:
    run = make_run(
        ended_at=1010.5,
        heartbeat_at=1009.25,
        params={"lr": 0.01, "layers": [64, 32], "opt": {"name": "adam"}, "x": None},
        tags={"team": "fraud", "ticket": "ML-12"},
        source="pipelines/train.py:training",
        config={"steps": {"train": {"epochs": 3}}, "seed": 7},
        git_commit="0" * 40,
        git_dirty=True,
        source_hash="a" * 64,
        environment_hash="b" * 64,
        host="worker-1",
        pid=4242,
        orchestrator="ray",
        trigger="schedule",
        error="boom",
        attempt=2,
        status="failed",
    )
    store.create_run(run)
    assert store.get_run(run.id) == run


def test_create_run_stores_params_as_json(store: RunStore) -> None:
    run = make_run(params={"shape": (2, 3), "nan": math.inf}, config={"k": (1,)})
    store.create_run(run)
    got = store.get_run(run.id)
    assert got.params == {"shape": [2, 3], "nan": math.inf}
    assert got.config == {"k": [1]}


def test_create_run_rejects_params_json_cannot_store(store: RunStore) -> None:
    with pytest.raises(InvalidRecordError, match=r"params\['when'\] cannot be stored"):
        store.create_run(make_run(params={"when": object()}))
    assert store.list_runs() == []


def test_create_run_rejects_non_string_tag(store: RunStore) -> None:
    with pytest.raises(
        InvalidRecordError, match=r"tags\['epoch'\] must be a str, got 3"
    ):
        store.create_run(make_run(tags={"epoch": 3}))


def test_create_run_rejects_unknown_status(store: RunStore) -> None:
    with pytest.raises(InvalidRecordError, match=r"Invalid status 'done'.*running"):
        store.create_run(make_run(status="done"))


def test_create_run_rejects_taken_id(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    with pytest.raises(InvalidRecordError, match=f"Run '{run.id}' already exists"):
        store.create_run(make_run(id=run.id, name="other"))
    assert store.get_run(run.id).name == "training-1"


def test_get_run_accepts_unique_prefix(store: RunStore) -> None:
    run = make_run(id="abcd" + "0" * 28)
    store.create_run(run)
    store.create_run(make_run(id="abce" + "0" * 28))
    assert store.get_run("abcd").id == run.id


def test_get_run_rejects_unknown_id(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError, match=r"Run 'feed' not found\.") as found:
        store.get_run("feed")
    assert found.value.details == {"run_id": "feed"}


def test_get_run_rejects_prefix_shorter_than_four(store: RunStore) -> None:
    store.create_run(make_run(id="abc" + "0" * 29))
    with pytest.raises(RunNotFoundError, match="at least 4 characters"):
        store.get_run("abc")


def test_get_run_rejects_ambiguous_prefix(store: RunStore) -> None:
    first, second = "abcd1" + "0" * 27, "abcd2" + "0" * 27
    store.create_run(make_run(id=first))
    store.create_run(make_run(id=second))
    with pytest.raises(AmbiguousIdError, match=f"'abcd' matches.*{first}, {second}"):
        store.get_run("abcd")


def test_update_run_merges_params_and_tags(store: RunStore) -> None:
    run = make_run(params={"lr": 0.1, "bs": 8}, tags={"a": "1"})
    store.create_run(run)
    changes = {
        "params": {"bs": 16, "acc": 0.9},
        "tags": {"b": "2"},
        "status": "completed",
    }
    new = store.update_run(run.id, changes)
    assert new.params == {"lr": 0.1, "bs": 16, "acc": 0.9}
    assert new.tags == {"a": "1", "b": "2"}
    assert new.status == "completed"
    assert store.get_run(run.id) == new


def test_update_run_replaces_other_fields(store: RunStore) -> None:
    run = make_run(config={"a": 1, "b": 2})
    store.create_run(run)
    changes = {
        "config": {"c": [3]},
        "ended_at": 1005.0,
        "error": None,
        "git_dirty": False,
    }
    new = store.update_run(run.id, changes)
    assert (new.config, new.ended_at, new.git_dirty) == ({"c": [3]}, 1005.0, False)
    assert store.get_run(run.id) == new


def test_update_run_rejects_unknown_field(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    with pytest.raises(ValueError, match=r"Cannot change 'colour' of run.*Changeable"):
        store.update_run(run.id, {"colour": "red", "status": "failed"})
    assert store.get_run(run.id).status == "running"


def test_update_run_rejects_id_change(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    with pytest.raises(InvalidRecordError, match="Cannot change 'id'"):
        store.update_run(run.id, {"id": _id()})


def test_update_run_rejects_unknown_run(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError, match="Run 'nope' not found"):
        store.update_run("nope", {"status": "failed"})


def test_list_runs_orders_newest_first_with_filters(store: RunStore) -> None:
    old = make_run(started_at=1.0, params={"p": 1}, tags={"t": "x"})
    mid = make_run(started_at=2.0, pipeline="scoring", status="completed")
    new = make_run(started_at=3.0, project="other")
    adhoc = make_run(started_at=4.0, pipeline=None)
    for run in (mid, old, adhoc, new):
        store.create_run(run)
    assert store.list_runs() == [adhoc, new, mid, old]
    assert store.list_runs(limit=2) == [adhoc, new]
    assert store.list_runs(limit=None, project="demo") == [adhoc, mid, old]
    assert store.list_runs(pipeline="training") == [new, old]
    assert store.list_runs(status="completed") == [mid]
    assert store.list_runs(project="demo", pipeline="training", status="running") == [
        old
    ]
    assert store.list_runs(project="nobody") == []


def test_list_pipelines_summarises_runs_per_pipeline(store: RunStore) -> None:
    first = make_run(started_at=1.0, source="a.py:training")
    last = make_run(started_at=5.0, status="failed", source="b.py:training")
    scoring = make_run(started_at=2.0, pipeline="scoring")
    other = make_run(started_at=3.0, project="other")
    for run in (last, first, scoring, other, make_run(pipeline=None)):
        store.create_run(run)
    assert store.list_pipelines(project="demo") == [
        PipelineSummary("scoring", "demo", 1, scoring.id, "running", 2.0, None),
        PipelineSummary("training", "demo", 2, last.id, "failed", 5.0, "b.py:training"),
    ]
    assert [(p.name, p.project) for p in store.list_pipelines()] == [
        ("scoring", "demo"),
        ("training", "demo"),
        ("training", "other"),
    ]


def test_returned_records_do_not_share_state(store: RunStore) -> None:
    run = make_run(params={"layers": [1, 2]})
    store.create_run(run)
    got = store.get_run(run.id)
    got.params["layers"].append(3)
    assert store.get_run(run.id).params == {"layers": [1, 2]}


# -- step runs ----------------------------------------------------------------


@pytest.fixture
def run(store: RunStore) -> RunRecord:
    """A run stored in ``store``."""
    record = make_run()
    store.create_run(record)
    return record


def test_create_step_run_records_inputs_as_edges(
    store: RunStore, run: RunRecord
) -> None:
    data, model = make_artifact(), make_artifact(type="sklearn.Pipeline")
    store.add_artifacts([data, model])
    step = make_step(
        run.id, inputs={"data": data.id, "model": model.id}, params={"k": 3}
    )
    store.create_step_run(step)
    assert store.list_step_runs(run.id) == [step]
    assert store.step_run_edges(step.id) == [
        LineageEdge(step.id, run.id, "train", data.id, "input", "data"),
        LineageEdge(step.id, run.id, "train", model.id, "input", "model"),
    ]


def test_create_step_run_rejects_unknown_run(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError, match="Run 'gone' not found"):
        store.create_step_run(make_step("gone"))


def test_create_step_run_rejects_unknown_input(store: RunStore, run: RunRecord) -> None:
    step = make_step(run.id, inputs={"data": "f" * 64})
    with pytest.raises(ArtifactNotFoundError, match=r"Unknown artifact id.*'f{64}'"):
        store.create_step_run(step)
    assert store.list_step_runs(run.id) == []


def test_create_step_run_rejects_taken_id(store: RunStore, run: RunRecord) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    with pytest.raises(
        InvalidRecordError, match=f"Step run '{step.id}' already exists"
    ):
        store.create_step_run(step)


def test_finish_step_run_adds_artifacts_and_outputs(
    store: RunStore, run: RunRecord
) -> None:
    known = make_artifact(uri="first")
    store.add_artifacts([known])
    step = make_step(run.id, inputs={"data": known.id})
    store.create_step_run(step)
    model = make_artifact(type="sklearn.Pipeline", metadata={"n_features": 4})
    changes = {
        "status": "completed",
        "ended_at": 1003.5,
        "outputs": {"model": model.id},
    }
    again = make_artifact(id=known.id, uri="second")
    done = store.finish_step_run(
        step.id, {**changes, "cpu_seconds": 1.5}, [model, again]
    )
    assert done.status == "completed"
    assert done.duration == 2.5
    assert done.inputs == {"data": known.id}
    assert done.outputs == {"model": model.id}
    assert store.list_step_runs(run.id) == [done]
    assert store.get_artifact(model.id) == model
    assert store.get_artifact(known.id).uri == "first"
    assert store.lineage(model.id) == [
        LineageEdge(step.id, run.id, "train", model.id, "output", "model")
    ]


def test_finish_step_run_is_atomic_when_an_output_is_unknown(
    store: RunStore, run: RunRecord
) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    model = make_artifact()
    changes = {"status": "completed", "outputs": {"model": model.id, "x": "e" * 64}}
    with pytest.raises(ArtifactNotFoundError, match=r"Unknown artifact id.*'e{64}'"):
        store.finish_step_run(step.id, changes, [model])
    assert store.list_step_runs(run.id) == [step]
    assert store.list_artifacts() == []


def test_finish_step_run_rejects_unknown_step_run(store: RunStore) -> None:
    with pytest.raises(StepRunNotFoundError, match="Step run 'nope' not found"):
        store.finish_step_run("nope", {"status": "failed"})


def test_finish_step_run_rejects_read_only_field(
    store: RunStore, run: RunRecord
) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    with pytest.raises(InvalidRecordError, match="Cannot change 'run_id' of step run"):
        store.finish_step_run(step.id, {"run_id": "other"})
    with pytest.raises(InvalidRecordError, match="Invalid status 'ok' for step run"):
        store.finish_step_run(step.id, {"status": "ok"})


def test_advance_step_runs_finishes_then_starts_in_one_write(
    store: RunStore, run: RunRecord
) -> None:
    first = make_step(run.id, name="first")
    store.create_step_run(first)
    output = make_artifact()
    end = StepFinish(
        first.id,
        {"status": "completed", "ended_at": 1003.0, "outputs": {"out": output.id}},
        (output,),
    )
    # The next step reads the output stored by the same call.
    second = make_step(run.id, name="second", inputs={"x": output.id}, started_at=1004)
    store.advance_step_runs([end], [second])
    done, started = store.list_step_runs(run.id)
    assert (done.status, done.ended_at, done.outputs) == (
        "completed",
        1003.0,
        {"out": output.id},
    )
    assert started == second
    assert store.lineage(output.id) == [
        LineageEdge(first.id, run.id, "first", output.id, "output", "out"),
        LineageEdge(second.id, run.id, "second", output.id, "input", "x"),
    ]
    store.advance_step_runs([], [])  # nothing to do
    assert store.list_step_runs(run.id) == [done, started]


def test_advance_step_runs_is_all_or_nothing(store: RunStore, run: RunRecord) -> None:
    first = make_step(run.id, name="first")
    store.create_step_run(first)
    output = make_artifact()
    end = StepFinish(
        first.id, {"status": "completed", "outputs": {"o": output.id}}, (output,)
    )
    bad = make_step(run.id, name="second", inputs={"x": "d" * 64})
    with pytest.raises(ArtifactNotFoundError, match=r"Unknown artifact id.*'d{64}'"):
        store.advance_step_runs([end], [bad])
    assert store.list_step_runs(run.id) == [first]
    assert store.list_artifacts() == []
    with pytest.raises(RunNotFoundError, match="Run 'gone' not found"):
        store.advance_step_runs([end], [make_step("gone")])
    with pytest.raises(StepRunNotFoundError, match="Step run 'nope' not found"):
        store.advance_step_runs([StepFinish("nope", {"status": "failed"})], [])
    with pytest.raises(StepRunNotFoundError, match="Step run 'nope' not found"):
        store.advance_step_runs([StepFinish("nope", {"outputs": {}})], [])
    with pytest.raises(InvalidRecordError, match="Cannot change 'id'"):
        store.advance_step_runs([StepFinish(first.id, {"id": "x"})], [])
    assert store.list_step_runs(run.id) == [first]


def test_list_step_runs_in_start_order(store: RunStore, run: RunRecord) -> None:
    later = make_step(run.id, name="evaluate", started_at=1005.0, attempt=2)
    first = make_step(run.id, name="load", started_at=1001.0)
    middle = make_step(run.id, name="train", started_at=1003.0, status="failed")
    for step in (later, first, middle):
        store.create_step_run(step)
    assert store.list_step_runs(run.id) == [first, middle, later]
    empty = make_run()
    store.create_run(empty)
    assert store.list_step_runs(empty.id) == []
    with pytest.raises(RunNotFoundError, match="Run 'nope' not found"):
        store.list_step_runs("nope")


def test_list_step_runs_of_one_status(store: RunStore, run: RunRecord) -> None:
    data = make_artifact()
    store.add_artifacts([data])
    later = make_step(run.id, name="evaluate", started_at=1005.0, inputs={"d": data.id})
    first = make_step(run.id, name="load", started_at=1001.0, outputs={"d": data.id})
    done = make_step(run.id, name="train", started_at=1003.0, status="completed")
    for step in (later, first, done):
        store.create_step_run(step)
    assert store.list_step_runs(run.id, status="running") == [first, later]
    assert store.list_step_runs(run.id, status="completed") == [done]
    assert store.list_step_runs(run.id, status="failed") == []
    with pytest.raises(RunNotFoundError, match="Run 'nope' not found"):
        store.list_step_runs("nope", status="running")


def test_find_cached_step_run_returns_newest_completed(
    store: RunStore, run: RunRecord
) -> None:
    out = make_artifact()
    store.add_artifacts([out])
    old = make_step(run.id, cache_key="k", status="completed", started_at=1.0)
    new = make_step(run.id, cache_key="k", status="completed", started_at=2.0)
    new = replace(new, outputs={"out": out.id})
    cached = make_step(run.id, cache_key="k", status="cached", started_at=3.0)
    failed = make_step(run.id, cache_key="k", status="failed", started_at=4.0)
    for step in (old, new, cached, failed, make_step(run.id, cache_key="other")):
        store.create_step_run(step)
    assert store.find_cached_step_run("k") == new
    assert store.find_cached_step_run("unknown") is None


# -- artifacts ----------------------------------------------------------------


def test_add_artifacts_keeps_the_first_version(store: RunStore) -> None:
    art = make_artifact(metadata={"shape": [10, 3], "schema": {"a": "int64"}})
    store.add_artifacts([art, make_artifact(id=art.id, uri="other")])
    store.add_artifacts([make_artifact(id=art.id, size_bytes=1)])
    store.add_artifacts([])
    assert store.get_artifact(art.id) == art
    assert store.list_artifacts() == [art]


def test_get_artifact_by_prefix_and_failures(store: RunStore) -> None:
    one, two = (
        make_artifact(id="beef1" + "0" * 59),
        make_artifact(id="beef2" + "0" * 59),
    )
    store.add_artifacts([one, two])
    assert store.get_artifact("beef1") == one
    with pytest.raises(AmbiguousIdError, match="artifact id prefix 'beef' matches"):
        store.get_artifact("beef")
    with pytest.raises(ArtifactNotFoundError, match="at least 4 characters"):
        store.get_artifact("bee")
    with pytest.raises(ArtifactNotFoundError, match=r"'cafe' not found\.") as unknown:
        store.get_artifact("cafe")
    assert unknown.value.details == {"artifact_id": "cafe", "reason": "unknown_id"}


def test_list_artifacts_filters_by_run_and_type(
    store: RunStore, run: RunRecord
) -> None:
    frame = make_artifact(created_at=1.0)
    model = make_artifact(type="sklearn.pipeline.Pipeline", created_at=2.0)
    other = make_artifact(type="builtins.int", created_at=3.0)
    store.add_artifacts([frame, model, other])
    step = make_step(run.id, inputs={"data": frame.id})
    store.create_step_run(step)
    store.finish_step_run(step.id, {"outputs": {"model": model.id, "n": other.id}})
    assert store.list_artifacts() == [other, model, frame]
    assert store.list_artifacts(limit=1) == [other]
    assert store.list_artifacts(run_id=run.id) == [other, model]
    assert store.list_artifacts(type_contains="PIPELINE") == [model]
    assert store.list_artifacts(run_id=run.id, type_contains="frame") == []
    assert store.list_artifacts(type_contains="100%_") == []


def test_lineage_lists_producer_and_consumers(store: RunStore, run: RunRecord) -> None:
    data = make_artifact()
    make_data = make_step(run.id, name="load", started_at=1.0)
    store.create_step_run(make_data)
    store.finish_step_run(make_data.id, {"outputs": {"df": data.id}}, [data])
    use = make_step(run.id, name="train", started_at=2.0, inputs={"train_df": data.id})
    store.create_step_run(use)
    assert store.lineage(data.id) == [
        LineageEdge(make_data.id, run.id, "load", data.id, "output", "df"),
        LineageEdge(use.id, run.id, "train", data.id, "input", "train_df"),
    ]
    lonely = make_artifact()
    store.add_artifacts([lonely])
    assert store.lineage(lonely.id) == []
    with pytest.raises(ArtifactNotFoundError, match="Artifact 'dead' not found"):
        store.lineage("dead")


def test_step_run_edges_of_unknown_step_run(store: RunStore, run: RunRecord) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    assert store.step_run_edges(step.id) == []
    with pytest.raises(StepRunNotFoundError, match="Step run 'nope' not found"):
        store.step_run_edges("nope")


# -- metrics and environments -------------------------------------------------


def test_get_metrics_returns_history_in_logging_order(
    store: RunStore, run: RunRecord
) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    first = [MetricRecord(run.id, "loss", 1.0 / (i + 1), 10.0 + i, i) for i in range(3)]
    second = [
        MetricRecord(run.id, "acc", 0.5, 20.0),
        MetricRecord(run.id, "loss", 0.1, 5.0, 9, step.id),
    ]
    store.log_metrics(first)
    store.log_metrics(second)
    store.log_metrics([])
    assert store.get_metrics(run.id) == first + second
    assert store.get_metrics(run.id, "loss") == [*first, second[1]]
    assert store.get_metrics(run.id, "nothing") == []


def test_log_metrics_keeps_nan_and_infinity(store: RunStore, run: RunRecord) -> None:
    store.log_metrics(
        [
            MetricRecord(run.id, "loss", math.nan, 1.0),
            MetricRecord(run.id, "x", -math.inf, 1.0),
        ]
    )
    nan, inf = store.get_metrics(run.id)
    assert math.isnan(nan.value)
    assert inf.value == -math.inf
    assert math.isnan(store.latest_metrics([run.id])[run.id]["loss"])


def test_log_metrics_rejects_unknown_run_and_writes_nothing(
    store: RunStore, run: RunRecord
) -> None:
    batch = [
        MetricRecord(run.id, "loss", 1.0, 1.0),
        MetricRecord("ghost", "loss", 1.0, 1.0),
    ]
    with pytest.raises(RunNotFoundError, match="Run 'ghost' not found"):
        store.log_metrics(batch)
    assert store.get_metrics(run.id) == []


def test_log_metrics_rejects_unknown_step_run(store: RunStore, run: RunRecord) -> None:
    with pytest.raises(StepRunNotFoundError, match="Step run 'ghost' not found"):
        store.log_metrics([MetricRecord(run.id, "loss", 1.0, 1.0, step_run_id="ghost")])


def test_log_metrics_rejects_non_numeric_value(store: RunStore, run: RunRecord) -> None:
    bad = MetricRecord(run.id, "loss", "high", 1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="non-numeric value 'high'"):
        store.log_metrics([MetricRecord(run.id, "loss", 1, 1.0), bad])


def test_get_metrics_of_unknown_run_raises(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError, match="Run 'ghost' not found"):
        store.get_metrics("ghost")


def test_latest_metrics_returns_last_logged_value(
    store: RunStore, run: RunRecord
) -> None:
    other, silent = make_run(), make_run()
    store.create_run(other)
    store.create_run(silent)
    store.log_metrics(
        [MetricRecord(run.id, "loss", 0.9, 5.0), MetricRecord(run.id, "acc", 0.5, 1.0)]
    )
    store.log_metrics(
        [
            MetricRecord(run.id, "loss", 0.4, 1.0),
            MetricRecord(other.id, "loss", 2.0, 1.0),
        ]
    )
    assert store.latest_metrics([run.id, other.id, silent.id]) == {
        run.id: {"loss": 0.4, "acc": 0.5},
        other.id: {"loss": 2.0},
        silent.id: {},
    }
    assert store.latest_metrics([]) == {}


def test_log_metric_batches_stores_each_value_in_logging_order(
    store: RunStore, run: RunRecord
) -> None:
    step = make_step(run.id)
    store.create_step_run(step)
    # 40 keys take the one-statement path of SQLite, 2 keys the row path.
    wide = {f"m{i:02d}": i / 7 for i in range(40)}
    odd_keys = {'say "hi"': 1.0, "naïve 😀": 2.0, "a\\b\n": 3.0}
    store.log_metric_batches(
        [
            MetricBatch(run.id, wide, 10.0, 0, step.id),
            MetricBatch(run.id, {"loss": 0.5, "acc": 0.8}, 11.0, 1),
        ]
    )
    store.log_metrics([MetricRecord(run.id, "loss", 0.25, 12.0, 2)])
    store.log_metric_batches(
        [MetricBatch(run.id, {**odd_keys, **{f"n{i}": 1.0 for i in range(20)}}, 13.0)]
    )

    history = store.get_metrics(run.id)
    assert history[:42] == [
        *(MetricRecord(run.id, k, v, 10.0, 0, step.id) for k, v in wide.items()),
        MetricRecord(run.id, "loss", 0.5, 11.0, 1),
        MetricRecord(run.id, "acc", 0.8, 11.0, 1),
    ]
    assert history[42] == MetricRecord(run.id, "loss", 0.25, 12.0, 2)
    assert [m.key for m in history[43:46]] == list(odd_keys)
    assert len(history) == 66
    assert [m.value for m in store.get_metrics(run.id, "loss")] == [0.5, 0.25]
    assert store.get_metrics(run.id, "m07") == [
        MetricRecord(run.id, "m07", 1.0, 10.0, 0, step.id)
    ]
    latest = store.latest_metrics([run.id])[run.id]
    assert (latest["loss"], latest["m39"], latest['say "hi"']) == (0.25, 39 / 7, 1.0)


def test_log_metric_batches_keeps_exact_floats_nan_and_infinity(
    store: RunStore, run: RunRecord
) -> None:
    exact = {
        f"x{i}": v
        for i, v in enumerate(
            [0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -2.5e-300, 2**53 + 1.0] * 4
        )
    }
    special = {f"s{i}": v for i, v in enumerate([math.nan, math.inf, -math.inf] * 8)}
    store.log_metric_batches(
        [MetricBatch(run.id, exact, 1.0), MetricBatch(run.id, special, 2.0)]
    )
    got = store.get_metrics(run.id)
    assert [m.value for m in got[: len(exact)]] == list(exact.values())
    specials = [m.value for m in got[len(exact) :]]
    assert all(math.isnan(v) for v in specials[::3])
    assert specials[1::3] == [math.inf] * 8
    assert specials[2::3] == [-math.inf] * 8


def test_log_metric_batches_converts_numbers_and_skips_empty_batches(
    store: RunStore, run: RunRecord
) -> None:
    store.log_metric_batches(
        [MetricBatch(run.id, {}, 1.0), MetricBatch(run.id, {"n": 3}, 1, 2)]
    )
    store.log_metric_batches([])
    [record] = store.get_metrics(run.id)
    assert record == MetricRecord(run.id, "n", 3.0, 1.0, 2)
    assert isinstance(record.value, float)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"loss": "high"}, "Metric 'loss' of run .* has a non-numeric value 'high'"),
        ({"": 1.0}, "A metric name must be a non-empty string. Got ''"),
        ({"  ": 1.0}, "A metric name must be a non-empty string. Got '  '"),
        ({3: 1.0}, "A metric name must be a non-empty string. Got 3"),
    ],
)
def test_log_metric_batches_rejects_bad_keys_and_values_writing_nothing(
    store: RunStore, run: RunRecord, values: dict[Any, Any], message: str
) -> None:
    good = MetricBatch(run.id, {"ok": 1.0}, 1.0)
    with pytest.raises(InvalidRecordError, match=message):
        store.log_metric_batches([good, MetricBatch(run.id, values, 1.0)])
    assert store.get_metrics(run.id) == []


def test_log_metric_batches_rejects_unknown_run_and_step_run(
    store: RunStore, run: RunRecord
) -> None:
    wide = {f"m{i}": 1.0 for i in range(30)}
    with pytest.raises(RunNotFoundError, match="Run 'ghost' not found"):
        store.log_metric_batches(
            [MetricBatch(run.id, wide, 1.0), MetricBatch("ghost", wide, 1.0)]
        )
    with pytest.raises(StepRunNotFoundError, match="Step run 'ghost' not found"):
        store.log_metric_batches([MetricBatch(run.id, wide, 1.0, step_run_id="ghost")])
    assert store.get_metrics(run.id) == []


def test_record_cache_hits_copies_each_source_metrics_after_the_run_own(
    store: RunStore, run: RunRecord
) -> None:
    source_run = make_run()
    store.create_run(source_run)
    train = make_step(source_run.id, status="completed")
    score = make_step(source_run.id, name="score", status="completed")
    for step in (train, score):
        store.create_step_run(step)
    wide = {f"w{i}": float(i) for i in range(20)}
    store.log_metric_batches(
        [
            MetricBatch(source_run.id, {"loss": 0.5}, 1.0, 0, train.id),
            MetricBatch(source_run.id, {"elsewhere": 9.0}, 1.0),
            MetricBatch(source_run.id, {"auc": 0.9}, 2.0, None, score.id),
            MetricBatch(source_run.id, {"loss": 0.25}, 3.0, 1, train.id),
            MetricBatch(source_run.id, wide, 4.0, 2, train.id),
        ]
    )
    store.log_metrics([MetricRecord(run.id, "own", 1.0, 0.5)])
    hits = [
        make_step(run.id, status="cached", cached_from=train.id),
        make_step(run.id, name="score", status="cached", cached_from=score.id),
    ]
    store.record_cache_hits(hits)

    copied = store.get_metrics(run.id)
    assert [(m.key, m.value, m.step, m.step_run_id) for m in copied[:4]] == [
        ("own", 1.0, None, None),
        ("loss", 0.5, 0, hits[0].id),
        ("loss", 0.25, 1, hits[0].id),
        ("w0", 0.0, 2, hits[0].id),
    ]
    assert [(m.key, m.step_run_id) for m in copied[-1:]] == [("auc", hits[1].id)]
    assert len(copied) == 1 + 22 + 1
    store.log_metric_batches([MetricBatch(run.id, {"after": 1.0}, 9.0)])
    assert store.get_metrics(run.id)[-1].key == "after"
    assert store.latest_metrics([run.id])[run.id]["loss"] == 0.25


def test_environments_round_trip_and_are_idempotent(store: RunStore) -> None:
    store.put_environment("h1", {"numpy": "2.1.0", "pandas": "2.2.3"})
    store.put_environment("h1", {"numpy": "1.0"})
    assert store.get_environment("h1") == {"numpy": "2.1.0", "pandas": "2.2.3"}
    with pytest.raises(EnvironmentNotFoundError, match="Environment 'h2' not found"):
        store.get_environment("h2")
    with pytest.raises(LookupError, match="h2"):
        store.get_environment("h2")


def test_errors_belong_to_rung_families() -> None:
    assert issubclass(StepRunNotFoundError, RunNotFoundError)
    assert issubclass(EnvironmentNotFoundError, MetadataError)
    assert issubclass(InvalidRecordError, ValueError)


# -- threads ------------------------------------------------------------------


def test_store_is_safe_to_share_between_threads(store: RunStore) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                run = make_run()
                store.create_run(run)
                store.log_metrics(
                    [MetricRecord(run.id, "m", 1.0, 1.0, i) for i in range(50)]
                )
                store.update_run(run.id, {"status": "completed", "params": {"a": 1}})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    runs = store.list_runs(limit=None, status="completed")
    assert len(runs) == 40
    assert all(len(store.get_metrics(r.id)) == 50 for r in runs)


def test_threads_logging_into_one_run_lose_nothing_and_keep_their_order(
    store: RunStore, run: RunRecord
) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for b in range(10):
                values = {f"t{worker}.{b}.{i:02d}": float(i) for i in range(20)}
                store.log_metric_batches([MetricBatch(run.id, values, 1.0, b)])
                store.log_metrics([MetricRecord(run.id, f"t{worker}", b, 1.0, b)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = store.get_metrics(run.id)
    assert len(history) == 4 * 10 * 21
    for worker in range(4):
        mine = [m.key for m in history if m.key.startswith(f"t{worker}.")]
        assert mine == sorted(mine)
        steps = [m.step for m in history if m.key == f"t{worker}"]
        assert steps == list(range(10))
