"""Split JSON bodies for an all-float model, through the app: the fast path.

Rows of numbers for a model whose inputs are all floats are parsed straight
into a matrix; everything else takes the generic checks. Either way the
answer, the error and the logged rows are what the generic path gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rung.registry import promote_model, register_model
from rung.server import create_serving_app
from rung.serving import ModelService, ServedModel, ServeOptions, read_predictions
from tests.unit.serving.models import churn_frame, started_service

if TYPE_CHECKING:
    from rung.workspace import Workspace

FEATURES = ["tenure", "spend"]
LIMIT = 2_000_000


@pytest.fixture
def service(workspace: Workspace) -> Iterator[ModelService]:
    from sklearn.linear_model import LogisticRegression

    data = churn_frame()
    model = LogisticRegression().fit(data[FEATURES], data["churned"])
    record = register_model(workspace, model, name="floats", signature=data[FEATURES])
    promote_model(workspace, "floats", record.version, "production")
    options = ServeOptions(flush_seconds=60, flush_rows=100_000)
    with started_service(workspace, "floats@production", options) as svc:
        yield svc


@pytest.fixture
def client(service: ModelService) -> Iterator[TestClient]:
    with TestClient(create_serving_app(service, max_body_bytes=LIMIT)) as c:
        yield c


def post(client: TestClient, body: bytes) -> Any:
    return client.post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )


def split(data: str, columns: str = '["tenure", "spend"]') -> bytes:
    return f'{{"dataframe_split": {{"columns": {columns}, "data": {data}}}}}'.encode()


def test_split_rows_are_answered_and_logged_as_sent(
    client: TestClient, service: ModelService, workspace: Workspace
) -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(2_000, 2)) * 10.0 ** rng.integers(-30, 30, (2_000, 2))
    data = matrix.tolist()
    data[0] = [-0.0, 2**63]  # a negative zero and an integer past int64
    matrix[0] = [-0.0, 2.0**63]
    body = json.dumps({"columns": ["spend", "tenure"], "data": data}).encode()

    response = post(client, body)

    assert response.status_code == 200, response.text
    answer = response.json()
    model = service.current
    assert model is not None
    frame = matrix[:, [1, 0]]  # the model's order: tenure, spend
    assert answer["predictions"] == model.model.predict(frame).tolist()
    assert answer["probabilities"] == model.model.predict_proba(frame).tolist()
    service.log.flush()
    logged = read_predictions(workspace, "floats", with_labels=False)
    assert logged["prediction_id"].tolist() == answer["prediction_ids"]
    assert logged["spend"].to_numpy().tobytes() == matrix[:, 0].tobytes()
    assert logged["tenure"].to_numpy().tobytes() == matrix[:, 1].tobytes()


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (split("[[1.5]]", '["tenure"]'), [("spend", "missing column", None)]),
        (
            split("[[1, 2, 3]]", '["tenure", "spend", "calls"]'),
            [("calls", "unexpected column (not in the signature)", None)],
        ),
        (split("[[1, 2], [3]]"), [(None, "rows must be lists of 2 values", [1])]),
        (split("[[1, 2, 3], [4]]"), [(None, "rows must be lists of 2 values", [0, 1])]),
        (split("[[[1], 2]]"), [("tenure", "expected float (float64), got list", [0])]),
        (split('[[1, "2"]]'), [("spend", "expected float (float64), got str", [0])]),
        (split("[[true, 2]]"), [("tenure", "expected float (float64), got bool", [0])]),
        (split("[[1, null]]"), [("spend", "null in a non-nullable column", [0])]),
        (split("[[NaN, 1]]"), [("tenure", "NaN in a non-nullable column", [0])]),
        (split("[[1, -Infinity]]"), [("spend", "infinite value", [0])]),
        (split("[[1, 1e400]]"), [("spend", "infinite value", [0])]),
        (split("[]"), [(None, "no rows: send at least one", None)]),
    ],
)
def test_bad_split_rows_get_422_naming_the_problem(
    client: TestClient, body: bytes, problems: list[tuple[Any, str, Any]]
) -> None:
    response = post(client, body)

    assert response.status_code == 422, response.text
    found = [
        (p["column"], p["problem"], p.get("rows")) for p in response.json()["problems"]
    ]
    assert found == problems


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (split("[[1, 2]") + b"}", 400, "not valid JSON"),
        (split("[[1, 2]]")[:-1], 400, "not valid JSON"),
        (split("[" * 3000 + "]" * 3000), 400, "nested too deeply"),
        (split("[[1, 2]]", "[1, 2]"), 400, "'columns' must be a list of column names"),
        (split("[[0.5, 0.25]]" + ", [0.5, 0.25]" * 200_000), 413, "at most"),
    ],
)
def test_malformed_and_huge_split_bodies_get_4xx(
    client: TestClient, body: bytes, status: int, words: str
) -> None:
    response = post(client, body)

    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_nulls_pass_where_the_policy_allows_them(workspace: Workspace) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = churn_frame()
    model = HistGradientBoostingClassifier(max_iter=5).fit(
        data[FEATURES], data["churned"]
    )
    register_model(workspace, model, name="gaps", signature=data[FEATURES])
    options = ServeOptions(nan_policy="allow", flush_seconds=60, flush_rows=100_000)
    service = ModelService(
        workspace,
        "gaps/1",
        options,
        served=ServedModel.load(workspace, "gaps/1", nan_policy="allow"),
    )
    with TestClient(create_serving_app(service)) as client:
        response = post(client, split("[[1, null], [NaN, 2], [0.5, 0.5]]"))
        assert response.status_code == 200, response.text
        assert len(response.json()["predictions"]) == 3
        service.log.flush()
    logged = read_predictions(workspace, "gaps", with_labels=False)
    assert logged["spend"].isna().tolist() == [True, False, False]
    assert logged["tenure"].isna().tolist() == [False, True, False]
