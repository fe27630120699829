"""The model server app through FastAPI's TestClient (lifespan included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from rung.server import create_serving_app, hash_token
from rung.serving import (
    ModelService,
    ServeOptions,
    query_predictions,
    read_predictions,
)
from tests.unit.serving.models import row

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace

ARROW = "application/vnd.apache.arrow.stream"


@pytest.fixture
def client(service: ModelService) -> Iterator[TestClient]:
    with TestClient(create_serving_app(service, max_body_bytes=20_000)) as c:
        yield c


def arrow_body(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def test_predict_records_returns_predictions_probabilities_and_ids(
    client: TestClient,
) -> None:
    response = client.post("/predict", json={"inputs": [row(), row(tenure=-3.0)]})
    assert response.status_code == 200
    body = response.json()
    assert (body["model"], body["version"]) == ("churn", 1)
    assert body["predictions"] == [1, 0]
    assert body["classes"] == [0, 1]
    assert len(body["probabilities"]) == 2
    assert sum(body["probabilities"][0]) == pytest.approx(1.0)
    assert len(set(body["prediction_ids"])) == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"columns": {"tenure": [0.5], "spend": [-0.2], "calls": [2]}},
        {"columns": ["calls", "tenure", "spend"], "data": [[2, 0.5, -0.2]]},
        {
            "dataframe_split": {
                "columns": ["tenure", "spend", "calls"],
                "data": [[0.5, -0.2, 2]],
            }
        },
        {"dataframe_records": [row()]},
    ],
)
def test_predict_accepts_column_split_and_mlflow_shapes(
    client: TestClient, payload: dict[str, Any]
) -> None:
    response = client.post("/predict", json=payload)
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [1]


def test_predict_arrow_in_and_out(client: TestClient) -> None:
    table = pa.table({"tenure": [0.5, -3.0], "spend": [0.0, 0.0], "calls": [1, 2]})
    response = client.post(
        "/predict",
        content=arrow_body(table),
        headers={"Content-Type": ARROW, "Accept": ARROW},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == ARROW
    result = pa.ipc.open_stream(response.content).read_all()
    assert result.column_names == ["prediction_id", "prediction", "proba_0", "proba_1"]
    assert result.column("prediction").to_pylist() == [1, 0]


def test_invalid_input_gets_422_listing_every_problem(client: TestClient) -> None:
    response = client.post(
        "/predict",
        json={"inputs": [row(tenure="old"), {"spend": None, "calls": 1.5, "zip": 1}]},
    )
    assert response.status_code == 422
    body = response.json()
    found = {(p["column"], p["problem"].split(" (")[0]) for p in body["problems"]}
    assert found == {
        ("tenure", "missing column"),
        ("zip", "unexpected column"),
        ("tenure", "expected float"),
        ("spend", "null in a non-nullable column"),
        ("calls", "expected integer"),
    }
    assert "5 problem(s)" in body["message"]


def test_nan_and_infinity_are_refused_by_default(client: TestClient) -> None:
    body = b'{"inputs": [{"tenure": NaN, "spend": Infinity, "calls": 1}]}'
    response = client.post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    problems = {p["column"]: p["problem"] for p in response.json()["problems"]}
    assert problems == {
        "tenure": "NaN in a non-nullable column",
        "spend": "infinite value",
    }


def test_arrow_input_is_checked_too(client: TestClient) -> None:
    table = pa.table({"tenure": ["a"], "spend": [None], "calls": [1]})
    response = client.post(
        "/predict", content=arrow_body(table), headers={"Content-Type": ARROW}
    )
    assert response.status_code == 422
    columns = {p["column"] for p in response.json()["problems"]}
    assert columns == {"tenure", "spend"}


def test_arrow_unsigned_integers_beyond_int64_are_refused_like_json(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    def send(calls: pa.Array) -> Any:
        table = pa.table({"tenure": [0.5, 0.1], "spend": [1.0, 2.0], "calls": calls})
        return client.post(
            "/predict", content=arrow_body(table), headers={"Content-Type": ARROW}
        )

    refused = send(pa.array([1, 2**63 + 5], pa.uint64()))
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert (problem["column"], problem["rows"]) == ("calls", [1])
    assert "out of the int64 range" in problem["problem"]
    assert send(pa.array([1, 3], pa.uint64())).status_code == 200
    client.post("/predict", json={"inputs": [row(calls=4)]})
    service.log.flush()
    frame = read_predictions(workspace, "churn", with_labels=False)
    assert frame["calls"].dtype.kind == "i"  # not float: one integer type logged
    assert frame["calls"].tolist() == [1, 3, 4]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "words"),
    [
        (b"{nope", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "Expected a JSON object"),
        (b'{"rows": []}', "application/json", 400, "Cannot find rows"),
        (b"[" * 15_000 + b"]" * 15_000, "application/json", 413, "at most"),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400, "nested too deeply"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        (b"not arrow", ARROW, 400, "not an Arrow IPC stream"),
        (b"a=1", "application/x-www-form-urlencoded", 415, "Content-Type"),
        (b"{}", "", 415, "without Content-Type"),
        (b'{"inputs": []}', "application/json", 422, "no rows"),
        (b'{"inputs": [1]}', "application/json", 422, "rows must be JSON objects"),
    ],
)
def test_bad_bodies_get_4xx_with_a_message_never_500(
    client: TestClient, content: bytes, content_type: str, status: int, words: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/predict", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_streamed_body_over_the_limit_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b" " * 1000

    response = client.post(
        "/predict", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "at most 20,000" in response.json()["message"]


def test_feedback_is_accepted_and_joined_last_one_wins(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    ids = client.post("/predict", json={"inputs": [row(), row()]}).json()[
        "prediction_ids"
    ]
    first = [{"prediction_id": ids[0], "label": 0}]
    assert client.post("/feedback", json={"feedback": first}).json() == {
        "accepted": 1,
        "rejected": 0,
        "rejections": [],
    }
    again = {"labels": {ids[0]: 1}, "overwrite": True}
    assert client.post("/feedback", json=again).json()["accepted"] == 1
    service.log.flush()
    frame = read_predictions(workspace, "churn")
    labels = dict(zip(frame["prediction_id"], frame["label"], strict=True))
    assert labels[ids[0]] == 1
    assert labels[ids[1]] is None or str(labels[ids[1]]) == "<NA>"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"feedback": [{"label": 1}]}, "need 'prediction_id' and 'label'"),
        ({"labels": {"a": [1]}}, "must be a number, a string or a boolean"),
        ({"labels": {"a": 1, "b": "x"}}, "the model's labels are integers, got str"),
        ({"labels": {}}, "no labels"),
        ([], "send {"),
    ],
)
def test_bad_feedback_gets_422(client: TestClient, payload: Any, words: str) -> None:
    response = client.post("/feedback", json=payload)
    assert response.status_code == 422
    assert words in response.json()["message"]


def predict_ids(client: TestClient, rows: int) -> list[str]:
    body = {"inputs": [row() for _ in range(rows)]}
    ids: list[str] = client.post("/predict", json=body).json()["prediction_ids"]
    return ids


def send_feedback(client: TestClient, text: str) -> Any:
    # Raw text: Python's json accepts NaN, Infinity and huge integers.
    return client.post(
        "/feedback", content=text, headers={"Content-Type": "application/json"}
    )


def labels_of(workspace: Workspace) -> dict[str, Any]:
    frame = read_predictions(workspace, "churn")
    return {
        pid: None if str(label) == "<NA>" else label
        for pid, label in zip(frame["prediction_id"], frame["label"], strict=True)
    }


def test_a_label_beyond_int64_is_refused_and_later_labels_still_land(
    service: ModelService, workspace: Workspace
) -> None:
    with TestClient(create_serving_app(service)) as c:
        ids = predict_ids(c, 2)
        big = send_feedback(c, f'{{"labels": {{"{ids[0]}": 1180591620717411303424}}}}')
        assert big.status_code == 422
        [problem] = big.json()["problems"]
        assert problem["prediction_id"] == ids[0]
        assert "out of the int64 range" in problem["problem"]
        good = c.post("/feedback", json={"labels": {ids[1]: 1}})
        assert good.json() == {"accepted": 1, "rejected": 0, "rejections": []}
    # Closing the app wrote the buffered label (nothing was stuck behind it).
    assert service.log.pending_rows == 0
    assert labels_of(workspace) == {ids[0]: None, ids[1]: 1}


def test_feedback_reports_unknown_ids_and_refuses_non_finite_labels(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    ids = predict_ids(client, 3)
    body = (
        f'{{"labels": {{"{ids[0]}": NaN, "{ids[1]}": Infinity, "{ids[2]}": 1, '
        '"never-issued": 0}}'
    )
    answer = send_feedback(client, body)
    assert answer.status_code == 200
    assert (answer.json()["accepted"], answer.json()["rejected"]) == (1, 3)
    reasons = {r["prediction_id"]: r["reason"] for r in answer.json()["rejections"]}
    assert "finite number, got nan" in reasons[ids[0]]
    assert "finite number, got inf" in reasons[ids[1]]
    assert reasons["never-issued"].startswith("unknown prediction id")
    only_unknown = client.post("/feedback", json={"labels": {"never-issued": 1}})
    assert only_unknown.status_code == 422
    assert "unknown prediction id" in only_unknown.json()["message"]
    service.log.flush()
    assert labels_of(workspace) == {ids[0]: None, ids[1]: None, ids[2]: 1}


def test_overwriting_a_label_is_explicit_and_recorded(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    [pid] = predict_ids(client, 1)
    assert client.post("/feedback", json={"labels": {pid: 0}}).status_code == 200
    service.log.flush()  # the first label is in the log, no longer buffered
    again = client.post("/feedback", json={"labels": {pid: 1}})
    assert again.status_code == 422
    assert "already labelled (0)" in again.json()["message"]
    forced = client.post("/feedback", json={"labels": {pid: 1}, "overwrite": True})
    assert forced.json()["accepted"] == 1
    service.log.flush()
    assert labels_of(workspace) == {pid: 1}
    history = query_predictions(
        workspace,
        "SELECT label, user, coalesce(previous_label, '-') FROM feedback_history "
        "ORDER BY received_at",
    )
    assert history.values.tolist() == [
        [0, "http:testclient", "-"],
        [1, "http:testclient", "0"],
    ]


def test_feedback_finds_ids_and_labels_of_other_processes_in_the_log(
    client: TestClient, workspace: Workspace
) -> None:
    from rung.serving import log_feedback, log_predictions
    from tests.unit.serving.models import FEATURES, churn_frame

    old = log_predictions(workspace, "churn/1", churn_frame(3)[FEATURES], [0, 1, 0])
    answer = client.post("/feedback", json={"labels": {old[0]: 1, old[1]: 1.0}})
    assert answer.json() == {"accepted": 2, "rejected": 0, "rejections": []}
    log_feedback(workspace, "churn", {old[2]: 1})  # labelled by another process
    again = client.post("/feedback", json={"labels": {old[2]: 0}})
    assert again.status_code == 422
    assert "already labelled (1)" in again.json()["message"]


def test_overwrite_must_be_a_boolean(client: TestClient) -> None:
    [pid] = predict_ids(client, 1)
    answer = client.post("/feedback", json={"labels": {pid: 1}, "overwrite": "yes"})
    assert answer.status_code == 400
    assert "'overwrite' must be true or false" in answer.json()["message"]


def test_feedback_needs_json(client: TestClient) -> None:
    response = client.post(
        "/feedback", content=b"x", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 415


def test_health_ready_and_version(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["version"] == 1
    info = client.get("/version").json()
    assert (info["model"], info["version"], info["alias"]) == ("churn", 1, "production")
    assert info["rung_version"]


def test_metrics_count_requests_errors_and_predictions(client: TestClient) -> None:
    client.post("/predict", json={"inputs": [row(), row(tenure=-3.0)]})
    client.post("/predict", content=b"{", headers={"Content-Type": "application/json"})
    text = client.get("/metrics").text
    ok = 'endpoint="predict",model="churn",status="200",version="1"} 1.0'
    assert f"rung_requests_total{{{ok}" in text
    assert 'rung_request_errors_total{endpoint="predict",status="400"} 1.0' in text
    assert 'rung_predicted_rows_total{model="churn",version="1"} 2.0' in text
    assert 'rung_predicted_class_total{class="1",model="churn",version="1"} 1.0' in text
    assert 'rung_model_info{alias="production",model="churn",version="1"} 1.0' in text
    assert "rung_request_latency_seconds_bucket" in text


def test_token_protects_predict_feedback_and_metrics(service: ModelService) -> None:
    app = create_serving_app(service, token_hash=hash_token("s3cret"))
    with TestClient(app) as c:
        assert c.post("/predict", json={"inputs": [row()]}).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (
            c.post("/predict", json={"inputs": [row()]}, headers=wrong).status_code
            == 401
        )
        assert c.get("/metrics").status_code == 401
        assert c.post("/feedback", json={"labels": {"a": 1}}).status_code == 401
        good = {"Authorization": "Bearer s3cret"}
        assert (
            c.post("/predict", json={"inputs": [row()]}, headers=good).status_code
            == 200
        )
        assert c.get("/metrics", headers=good).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_not_ready_until_the_model_loads(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    options = ServeOptions(poll_interval=0.05)
    svc = ModelService(workspace, "churn@production", options)
    with TestClient(create_serving_app(svc)) as c:
        # The loader thread may already have finished: accept both states,
        # and check that "loading" comes with 503 and "ready" with 200.
        first = c.get("/readyz")
        assert first.status_code in (200, 503)
        if first.status_code == 503:
            assert first.json()["status"] == "loading"
            answer = c.post("/predict", json={"inputs": [row()]})
            assert answer.status_code in (200, 503)
        for _ in range(200):
            if c.get("/readyz").status_code == 200:
                break
            import time

            time.sleep(0.05)
        assert c.get("/readyz").json()["status"] == "ready"


def test_every_prediction_is_logged(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    for _ in range(3):
        client.post("/predict", json={"inputs": [row(), row(calls=4)]})
    service.log.flush()
    frame = read_predictions(workspace, "churn", with_labels=False)
    assert len(frame) == 6
    assert list(frame.columns) == [
        "prediction_id",
        "timestamp",
        "model",
        "version",
        "tenure",
        "spend",
        "calls",
        "prediction",
        "proba_0",
        "proba_1",
    ]
    assert frame["calls"].tolist() == [2, 4] * 3


def test_model_refusal_is_422_not_500(workspace: Workspace) -> None:
    from tests.unit.serving.models import register_mixed

    register_mixed(workspace)
    svc = ModelService(workspace, "mixed@production", ServeOptions())
    with TestClient(create_serving_app(svc)) as c:
        for _ in range(200):
            if c.get("/readyz").status_code == 200:
                break
            import time

            time.sleep(0.05)
        ok = c.post(
            "/predict", json={"inputs": [{"plan": "pro", "age": 30, "spend": None}]}
        )
        assert ok.status_code == 200, ok.text
        bad = c.post(
            "/predict", json={"inputs": [{"plan": "gold", "age": 30, "spend": 1.0}]}
        )
        assert bad.status_code == 422
        assert "refused" in bad.json()["message"]


def test_json_errors_are_json(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert json.loads(response.content)["error"] == "malformed_request"


def test_readyz_reports_a_failed_load_until_the_model_loads(
    workspace: Workspace, churn: list[ModelVersionRecord], tmp_path: Path
) -> None:
    import shutil
    import time

    artifact = workspace.runs.get_artifact(churn[0].artifact_id)
    stored = workspace.artifacts.open_folder(artifact.uri)
    shutil.move(stored, tmp_path / "aside")
    svc = ModelService(workspace, "churn@production", ServeOptions(poll_interval=0.01))
    with TestClient(create_serving_app(svc)) as c:
        for _ in range(3000):
            answer = c.get("/readyz")
            if answer.json()["load_failures"]:
                break
            time.sleep(0.01)
        assert answer.status_code == 503
        (failure,) = answer.json()["load_failures"]
        assert failure["version"] == 1
        assert "ArtifactNotFoundError" in failure["error"]

        shutil.move(tmp_path / "aside", stored)
        for _ in range(3000):
            answer = c.get("/readyz")
            if answer.status_code == 200:
                break
            time.sleep(0.01)
        assert answer.json()["status"] == "ready"
        assert answer.json()["load_failures"] == []


def test_a_full_log_backlog_refuses_predictions_until_it_drains(
    workspace: Workspace, churn: list[ModelVersionRecord]
) -> None:
    from rung.serving import ServedModel

    options = ServeOptions(flush_seconds=60, flush_rows=3, max_backlog_rows=3)
    served = ServedModel.load(workspace, "churn@production")
    svc = ModelService(workspace, "churn@production", options, served=served)
    svc.log.max_rows = 1_000  # keep the rows waiting: the store is "slow"
    with TestClient(create_serving_app(svc)) as c:
        rows = {"inputs": [row(), row(), row()]}
        assert c.post("/predict", json=rows).status_code == 200
        refused = c.post("/predict", json={"inputs": [row()]})
        assert refused.status_code == 503
        assert refused.json()["error"] == "log_behind"
        assert "3 rows waiting" in refused.json()["message"]
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "log_behind"
        assert ready.json()["log"]["refused_requests"] == 1
        assert "rung_log_refused_requests 1.0" in c.get("/metrics").text
        svc.log.flush()  # the store caught up
        assert c.get("/readyz").json()["status"] == "ready"
        assert c.post("/predict", json={"inputs": [row()]}).status_code == 200
    # Everything answered was logged; the refused request predicted nothing.
    assert len(read_predictions(workspace, "churn", with_labels=False)) == 4


def test_backlog_limit_below_the_flush_size_is_refused() -> None:
    from rung.errors import ServerStartError

    with pytest.raises(ServerStartError, match="--max-backlog-rows must be >="):
        ServeOptions(flush_rows=10, max_backlog_rows=5)
