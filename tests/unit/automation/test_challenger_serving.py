"""A comparison window made of real served requests and their feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from rung.automation import compare_challenger
from rung.automation.errors import ChallengerDataError
from rung.server import create_serving_app
from rung.serving import ModelService, ServedModel, ServeOptions, start_deployment
from tests.unit.automation.challenger_models import (
    FEATURES,
    churn_frame,
    serve_and_label,
    weak_and_strong,
)

if TYPE_CHECKING:
    from rung.serving.records import DeploymentRecord
    from rung.workspace import Workspace


def _serve(workspace: Workspace, *, rows: int, feedback: bool) -> DeploymentRecord:
    """Serve churn@production in-process: predict ``rows`` rows, send labels."""
    options = ServeOptions(poll_interval=0.05, flush_seconds=60, flush_rows=100_000)
    served = ServedModel.load(workspace, "churn@production")
    deployment = start_deployment(workspace, served, options)
    service = ModelService(
        workspace,
        "churn@production",
        options,
        served=served,
        deployment_id=deployment.id,
    )
    frame = churn_frame(rows, seed=21)
    records: list[dict[str, Any]] = frame[FEATURES].to_dict("records")
    with TestClient(create_serving_app(service)) as client:
        answer = client.post("/predict", json={"inputs": records})
        assert answer.status_code == 200, answer.text
        ids = answer.json()["prediction_ids"]
        if feedback:
            labels = dict(zip(ids, frame["churned"].tolist(), strict=True))
            sent = client.post("/feedback", json={"labels": labels})
            assert sent.status_code == 200, sent.text
    return deployment


def test_a_deployment_window_holds_its_served_requests_and_their_labels(
    workspace: Workspace,
) -> None:
    weak, _ = weak_and_strong(workspace)
    deployment = _serve(workspace, rows=200, feedback=True)
    serve_and_label(workspace, weak, seed=22)  # batch-scored rows, no deployment
    result = compare_challenger(workspace, "churn", 2, deployment=deployment.name)
    assert result.window["deployment"] == "churn-production"
    assert result.window["deployment_ids"] == [deployment.id]
    assert (result.window["rows"], result.window["labelled_rows"]) == (200, 200)
    assert result.verdict == "promote"
    by_id = compare_challenger(workspace, "churn", 2, deployment=deployment.id[:8])
    assert by_id.window["content_hash"] == result.window["content_hash"]
    everything = compare_challenger(workspace, "churn", 2)
    assert everything.window["labelled_rows"] == 500


def test_a_deployment_without_feedback_is_named_in_the_error(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    _serve(workspace, rows=150, feedback=False)
    with pytest.raises(
        ChallengerDataError,
        match=r"No feedback labels in the last 7d for deployment 'churn-production' "
        r"\(150 prediction\(s\) logged, none labelled\): load labels with the "
        r"feedback API first",
    ):
        compare_challenger(workspace, "churn", 2, deployment="churn-production")
