"""Rollouts: shadow, canary and promotion through a real in-process server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from rung.automation import (
    Agent,
    abort_rollout,
    challenger_ledger,
    compare_shadow,
    get_rollout,
    list_rollouts,
    list_watches,
    promote_rollout,
    rollout_stats,
    start_rollout,
)
from rung.errors import (
    ModelVersionNotFoundError,
    RolloutConflictError,
    RolloutError,
    RolloutNotFoundError,
)
from rung.registry import get_model
from rung.server import create_serving_app
from rung.serving import ModelService, ServeOptions, read_predictions
from tests.unit.automation.challenger_models import (
    FEATURES,
    churn_frame,
    weak_and_strong,
)

if TYPE_CHECKING:
    from rung.workspace import Workspace

_OPTIONS = ServeOptions(poll_interval=0.05, flush_seconds=60, flush_rows=100_000)


def _traffic(
    workspace: Workspace,
    *,
    requests: int,
    seed: int = 21,
    labels: str = "true",
    keys: bool = False,
) -> list[dict[str, Any]]:
    """Serve churn@production in-process: one row per request, then labels.

    Returns every answer (model version and prediction id). The service is
    closed at the end, so every log row and counter is written.
    """
    service = ModelService(workspace, "churn@production", _OPTIONS)
    frame = churn_frame(requests, seed=seed)
    rows: list[dict[str, Any]] = frame[FEATURES].to_dict("records")
    answers = []
    with TestClient(create_serving_app(service)) as client:
        _wait_ready(client)
        for k, row in enumerate(rows):
            headers = {"X-Rung-Routing-Key": f"user-{k}"} if keys else {}
            answer = client.post("/predict", json={"inputs": [row]}, headers=headers)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
        truth = frame["churned"].tolist()
        if labels == "wrong":
            truth = [1 - y for y in truth]
        if labels != "none":
            sent = {
                a["prediction_ids"][0]: y for a, y in zip(answers, truth, strict=True)
            }
            reply = client.post("/feedback", json={"labels": sent})
            assert reply.status_code == 200, reply.text
    return answers


def _wait_ready(client: TestClient) -> None:
    import time

    for _ in range(400):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.025)
    raise AssertionError("the model did not load")


def test_start_rollout_refuses_bad_settings_and_unknown_versions(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    with pytest.raises(RolloutError, match=r"share must be in \(0, 1\], got 1\.5"):
        start_rollout(workspace, "churn", 2, share=1.5, max_error_rate=0.1)
    with pytest.raises(RolloutError, match="bake_s must be > 0 seconds, got 0"):
        start_rollout(workspace, "churn", 2, bake_s=0, max_error_rate=0.1)
    with pytest.raises(RolloutError, match="at least one threshold"):
        start_rollout(workspace, "churn", 2)
    with pytest.raises(ModelVersionNotFoundError, match="9"):
        start_rollout(workspace, "churn", 9, max_error_rate=0.1)
    with pytest.raises(RolloutError, match="already behind 'production'"):
        start_rollout(workspace, "churn", 1, max_error_rate=0.1)
    with pytest.raises(RolloutError, match="has no 'staging' version"):
        start_rollout(workspace, "churn", 2, alias="staging", max_error_rate=0.1)
    assert list_rollouts(workspace) == []


def test_a_second_rollout_of_the_alias_is_refused_until_the_first_ends(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    first = start_rollout(workspace, "churn", 2, max_error_rate=0.1)
    with pytest.raises(RolloutConflictError, match="already has a rollout in canary"):
        start_rollout(workspace, "churn", 2, max_error_rate=0.1)
    aborted = abort_rollout(workspace, first.id[:8], reason="wrong share")
    assert (aborted.stage, aborted.reason) == ("aborted", "wrong share")
    with pytest.raises(RolloutError, match="ended already"):
        abort_rollout(workspace, first.id)
    second = start_rollout(workspace, "churn", 2, max_error_rate=0.1)
    assert [r.id for r in list_rollouts(workspace, active=True)] == [second.id]
    with pytest.raises(RolloutNotFoundError, match="No rollout 'nope'"):
        get_rollout(workspace, "nope")


def test_shadow_scores_mirrored_traffic_and_the_champion_answers(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    rollout = start_rollout(
        workspace, "churn", 2, shadow_s=3600, min_metric=0.6, min_rows=20
    )
    answers = _traffic(workspace, requests=60)
    assert {a["version"] for a in answers} == {1}  # only the champion answers
    answered = read_predictions(workspace, "churn")
    assert set(answered["version"]) == {1}  # shadow rows stay out of the log
    result = compare_shadow(workspace, rollout.id)
    assert result["rows"] == 60
    assert 0.0 <= result["agreement"] <= 1.0
    assert result["labelled_rows"] == 60
    assert result["metric"] == "accuracy"
    assert result["challenger_metric"] > result["champion_metric"]
    assert set(result["distribution"]["classes"]) == {"0", "1"}
    stats = rollout_stats(workspace, rollout.id)
    assert stats["champion"]["requests"] == 60
    assert stats["shadow"]["requests"] == 60  # none dropped: the queue holds 256
    assert stats["shadow"]["version"] == 2


def test_the_agent_moves_shadow_to_canary_then_promotes_through_the_registry(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    rollout = start_rollout(
        workspace,
        "churn",
        2,
        shadow_s=60,
        share=0.5,
        bake_s=120,
        min_metric=0.6,
        max_error_rate=0.05,
        min_rows=20,
        min_requests=10,
        now=1_000.0,
    )
    _traffic(workspace, requests=40)
    report = Agent(workspace).tick(now=rollout.created_at + 61)
    assert report.rollouts == {"churn@production v2": "canary"}
    canary = get_rollout(workspace, rollout.id)
    assert canary.stage == "canary"
    answers = _traffic(workspace, requests=80, seed=31, keys=True)
    served = [a["version"] for a in answers]
    assert 1 in served and 2 in served  # half and half, by key
    again = _traffic(workspace, requests=80, seed=31, keys=True)
    assert [a["version"] for a in again] == served  # the same keys, the same side
    labelled = read_predictions(workspace, "churn", 2)
    assert len(labelled) == served.count(2) * 2
    report = Agent(workspace).tick(now=canary.stage_started_at + 121)
    assert report.rollouts == {"churn@production v2": "promoted"}
    assert get_model(workspace, "churn").aliases["production"] == 2
    done = get_rollout(workspace, rollout.id)
    assert [s["stage"] for s in done.stages] == ["shadow", "canary", "promoted"]
    [watch] = list_watches(workspace, "churn")
    assert (watch.version, watch.previous_version) == (2, 1)
    actions = [e.action for e in challenger_ledger(workspace, "churn")]
    assert actions[:4] == [
        "watch_started",
        "promoted",
        "rollout_canary",
        "rollout_started",
    ]
    events = workspace.models.list_registry_events(
        workspace.project, model="churn", alias="production"
    )
    assert events[-1].details["rollout_id"] == rollout.id


def test_a_canary_that_breaches_the_live_metric_is_rolled_back(
    workspace: Workspace,
) -> None:
    weak_and_strong(workspace)
    rollout = start_rollout(
        workspace, "churn", 2, share=1.0, bake_s=3600, min_metric=0.9, min_rows=20
    )
    answers = _traffic(workspace, requests=40, labels="wrong")
    assert {a["version"] for a in answers} == {2}
    check = Agent(workspace).tick(now=rollout.created_at + 10)
    assert check.rollouts == {"churn@production v2": "rolled_back"}
    ended = get_rollout(workspace, rollout.id)
    assert ended.stage == "rolled_back"
    assert "live accuracy" in ended.reason and "min 0.9" in ended.reason
    assert get_model(workspace, "churn").aliases["production"] == 1
    [event] = challenger_ledger(workspace, "churn", actions=["rollout_rolled_back"])
    assert event.evidence["rollout_id"] == rollout.id
    after = _traffic(workspace, requests=10, labels="none")
    assert {a["version"] for a in after} == {1}  # every request back on v1


def test_promote_by_hand_goes_through_the_registry_gates(workspace: Workspace) -> None:
    weak_and_strong(workspace)
    rollout = start_rollout(workspace, "churn", 2, max_error_rate=0.1)
    promoted = promote_rollout(workspace, rollout.id)
    assert promoted.stage == "promoted"
    assert get_model(workspace, "churn").aliases["production"] == 2
    with pytest.raises(RolloutError, match="ended already"):
        promote_rollout(workspace, rollout.id)


def test_lineage_shows_comparison_rollout_stages_and_promotion(
    workspace: Workspace,
) -> None:
    from rung.automation import compare_challenger
    from rung.catalog import lineage_graph
    from tests.unit.automation.challenger_models import serve_and_label

    weak, _ = weak_and_strong(workspace)
    serve_and_label(workspace, weak, rows=200)
    comparison = compare_challenger(workspace, "churn", 2)
    rollout = start_rollout(
        workspace, "churn", 2, share=1.0, bake_s=60, max_error_rate=0.1
    )
    assert rollout.comparison_id == comparison.id
    _traffic(workspace, requests=30)
    Agent(workspace).tick(now=rollout.created_at + 61)
    down = lineage_graph(workspace, f"comparison:{comparison.id}", "downstream")
    kinds = {n.id: n.kind for n in down.nodes.values()}
    edges = {(kinds[e.source], e.kind, kinds[e.target]) for e in down.edges}
    assert {
        ("challenger_comparison", "rolled out", "rollout"),
        ("rollout", "canary", "rollout_stage"),
        ("rollout_stage", "promoted", "rollout_stage"),
        ("rollout_stage", "decided", "promotion"),
    } <= edges
    assert ("challenger_comparison", "decided", "promotion") not in edges
    [promotion] = down.of_kind("promotion")
    up = lineage_graph(workspace, promotion.id, "upstream")
    assert f"comparison:{comparison.id}" in up.nodes
    assert {n.attributes["version"] for n in up.of_kind("model_version")} == {1, 2}
    stage = lineage_graph(workspace, f"rollout_stage:{rollout.id}:1", "upstream")
    assert stage.nodes[f"rollout_stage:{rollout.id}:1"].attributes["stage"] == (
        "promoted"
    )


def test_a_canary_that_refuses_what_the_champion_takes_counts_errors_and_rolls_back(
    workspace: Workspace,
) -> None:
    from rung.registry import register_model
    from tests.unit.automation.challenger_models import fit

    weak_and_strong(workspace)
    train = churn_frame(200, seed=4)
    train["age"] = 30.0
    # v3 needs an "age" column the served requests lack.
    wider = fit(train).fit(train[[*FEATURES, "age"]], train["churned"])
    register_model(workspace, wider, name="churn", signature=train[[*FEATURES, "age"]])
    rollout = start_rollout(
        workspace, "churn", 3, share=1.0, max_error_rate=0.05, min_requests=5
    )
    answers = _traffic(workspace, requests=12, labels="none")
    assert {a["version"] for a in answers} == {1}  # the champion answered them all
    arms = rollout_stats(workspace, rollout.id)
    assert (arms["canary"]["requests"], arms["canary"]["errors"]) == (12, 12)
    assert arms["champion"]["requests"] == 12
    report = Agent(workspace).tick(now=rollout.created_at + 5)
    assert report.rollouts == {"churn@production v3": "rolled_back"}
    reason = get_rollout(workspace, rollout.id).reason
    assert reason == "canary error rate 100.00% of 12 requests, max 5.00%"


def test_a_rollout_whose_alias_moved_meanwhile_is_aborted(workspace: Workspace) -> None:
    from rung.registry import promote_model

    weak_and_strong(workspace)
    rollout = start_rollout(workspace, "churn", 2, max_error_rate=0.1)
    promote_model(workspace, "churn", 2, "production")
    report = Agent(workspace).tick()
    assert report.rollouts == {"churn@production v2": "superseded"}
    ended = get_rollout(workspace, rollout.id)
    assert ended.stage == "aborted"
    assert ended.reason == (
        "production moved to v2 outside the rollout (it started against v1)"
    )
