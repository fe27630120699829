"""promote_if_better, post-promotion watches and automatic rollback by the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from rung.automation import (
    Agent,
    challenger_ledger,
    check_watches,
    compare_challenger,
    list_watches,
    promote_if_better,
    watch_promotion,
)
from rung.automation.errors import ChallengerError
from rung.registry import (
    approve_promotion,
    get_model,
    grant_role,
    model_history,
    promote_model,
    rollback_model,
    set_gates,
)
from tests.unit.automation.challenger_models import serve_and_label, weak_and_strong

if TYPE_CHECKING:
    from rung.workspace import Workspace

WATCH = {"bake_s": 3600.0, "metric_floor": 0.8}


@pytest.fixture
def strong(workspace: Workspace) -> Any:
    """churn v1 (weak) in production with 300 labelled rows; v2 is better."""
    weak, model = weak_and_strong(workspace)
    serve_and_label(workspace, weak)
    return model


def _production(workspace: Workspace) -> int:
    return get_model(workspace, "churn").aliases["production"]


def _agent(workspace: Workspace) -> Agent:
    return Agent(workspace, holder="a1", run_monitors=False, refresh_datasets=False)


def test_a_winner_is_promoted_through_the_registry_and_audited(
    workspace: Workspace, strong: Any
) -> None:
    result = promote_if_better(workspace, "churn", 2, comment="nightly retrain")
    assert (result.outcome, result.promoted) == ("promoted", True)
    assert _production(workspace) == 2
    event = model_history(workspace, "churn")[-1]
    assert (event.action, event.to_version, event.comment) == (
        "promote",
        2,
        "nightly retrain",
    )
    assert event.details["comparison_id"] == result.comparison.id
    assert event.details["challenger"] > event.details["champion"]
    actions = [e.action for e in challenger_ledger(workspace, "churn")]
    assert actions == ["promoted", "compared"]
    promoted = challenger_ledger(workspace, actions=["promoted"])[0]
    assert promoted.evidence["registry_event_id"] == event.id


def test_a_keep_verdict_moves_nothing_and_says_why(
    workspace: Workspace, strong: Any
) -> None:
    result = promote_if_better(workspace, "churn", 2, margin=0.5)
    assert result.outcome == "kept" and "needs better by >= 0.5" in result.reason
    assert _production(workspace) == 1
    assert challenger_ledger(workspace)[0].action == "kept"


def test_the_registry_gates_and_approvals_still_apply(
    workspace: Workspace, strong: Any
) -> None:
    gates = {"production": {"approvals": {"role": "reviewer", "count": 1}}}
    set_gates(workspace, "churn", gates)
    comparison = compare_challenger(workspace, "churn", 2)
    assert comparison.verdict == "promote"
    assert comparison.gates[0]["passed"] is False
    refused = promote_if_better(workspace, "churn", 2, comparison=comparison.id)
    assert refused.outcome == "refused"
    assert "needs 1 approval from role 'reviewer', has 0" in refused.reason
    assert _production(workspace) == 1
    entry = challenger_ledger(workspace)[0]
    assert (entry.action, entry.comparison_id) == ("refused", comparison.id)
    assert entry.evidence["checks"][0].startswith("accuracy")
    grant_role(workspace, "alice", "reviewer")
    workspace.user = "alice"
    approve_promotion(workspace, "churn", 2, "production")
    again = promote_if_better(workspace, "churn", 2, comparison=comparison)
    assert again.outcome == "promoted" and _production(workspace) == 2


def test_a_comparison_against_an_old_champion_is_refused(
    workspace: Workspace, strong: Any
) -> None:
    from rung.registry import register_model

    comparison = compare_challenger(workspace, "churn", 2)
    register_model(workspace, strong, name="churn")
    promote_model(workspace, "churn", 3, "production")
    result = promote_if_better(workspace, "churn", 2, comparison=comparison)
    assert result.outcome == "refused"
    assert "champion changed since comparison" in result.reason
    assert "(v1 then, v3 now)" in result.reason
    assert _production(workspace) == 3


def test_a_comparison_of_another_version_or_a_watch_without_limits_is_refused(
    workspace: Workspace, strong: Any
) -> None:
    comparison = compare_challenger(workspace, "churn", 2)
    with pytest.raises(ChallengerError, match="not churn v3"):
        promote_if_better(workspace, "churn", 3, comparison=comparison)
    with pytest.raises(ChallengerError, match="has no threshold"):
        promote_if_better(
            workspace, "churn", 2, comparison=comparison, watch={"bake_s": 60}
        )
    assert _production(workspace) == 1


def test_the_agent_rolls_back_a_promotion_whose_live_metric_breaches(
    workspace: Workspace, strong: Any
) -> None:
    result = promote_if_better(workspace, "churn", 2, watch=WATCH)
    watch = result.watch
    assert watch is not None and watch.previous_version == 1
    assert watch.thresholds["metric"] == "accuracy"
    agent = _agent(workspace)
    assert agent.tick().watches == {"churn@production v2": "ok"}
    # Production labels now say v2 is wrong about almost everything.
    serve_and_label(workspace, strong, "churn/2", seed=12, wrong=True)
    report = agent.tick()
    assert report.watches == {"churn@production v2": "rolled_back"}
    assert _production(workspace) == 1
    rollback = model_history(workspace, "churn")[-1]
    assert (rollback.action, rollback.from_version, rollback.to_version) == (
        "rollback",
        2,
        1,
    )
    assert rollback.details["watch_id"] == watch.id
    assert rollback.details["comparison_id"] == result.comparison.id
    assert rollback.details["evidence"]["accuracy"] < 0.8
    assert "live accuracy" in rollback.details["breaches"][0]
    [entry] = challenger_ledger(workspace, actions=["rolled_back"])
    assert entry.version == 1 and entry.evidence["from_version"] == 2
    assert entry.evidence["registry_event_id"] == rollback.id
    [ended] = list_watches(workspace, active=False)
    assert ended.state == "rolled_back" and "floor 0.8" in ended.reason
    assert agent.tick().watches == {}


def test_the_live_metric_waits_for_enough_labels(
    workspace: Workspace, strong: Any
) -> None:
    promote_if_better(workspace, "churn", 2, watch={**WATCH, "min_rows": 50})
    serve_and_label(
        workspace, strong, "churn/2", seed=12, rows=100, labelled=0.2, wrong=True
    )
    [check] = check_watches(workspace)
    assert check.outcome == "ok" and _production(workspace) == 2
    assert "20 labelled row(s) since the promotion, min_rows=50" in check.notes[0]
    assert check.watch.evidence["labelled_rows"] == 20


def test_a_latency_breach_rolls_back_and_error_rates_are_noted(
    workspace: Workspace, strong: Any
) -> None:
    promote_model(workspace, "churn", 2, "production")
    watch_promotion(
        workspace,
        "churn",
        bake_s=600,
        latency_ceiling_ms=1e-9,
        error_rate_ceiling=0.01,
    )
    [quiet] = check_watches(workspace)
    assert quiet.outcome == "ok"
    assert any("latency not measured" in n for n in quiet.notes)
    assert any("not serving errors" in n for n in quiet.notes)
    serve_and_label(workspace, strong, "churn/2", seed=12, rows=50)
    [check] = check_watches(workspace)
    assert check.outcome == "rolled_back"
    assert check.breaches[0].startswith("latency ")
    assert check.evidence["latency_ms_per_1k"] > 0
    assert _production(workspace) == 1


def test_a_watch_passes_at_the_end_of_its_bake_period(
    workspace: Workspace, strong: Any
) -> None:
    result = promote_if_better(workspace, "churn", 2, watch=WATCH)
    assert result.watch is not None
    serve_and_label(workspace, strong, "churn/2", seed=12)
    [check] = check_watches(workspace, now=result.watch.ends_at + 1)
    assert check.outcome == "passed" and check.evidence["accuracy"] > 0.9
    assert _production(workspace) == 2
    assert challenger_ledger(workspace)[0].action == "watch_passed"
    assert check_watches(workspace) == []


def test_a_watch_ends_when_someone_moves_the_alias(
    workspace: Workspace, strong: Any
) -> None:
    promote_if_better(workspace, "churn", 2, watch=WATCH)
    rollback_model(workspace, "churn", "production")
    [check] = check_watches(workspace)
    assert check.outcome == "superseded"
    assert check.watch.reason == "production moved to v1 (not by this watch)"


def test_a_new_watch_supersedes_the_active_one(
    workspace: Workspace, strong: Any
) -> None:
    promote_if_better(workspace, "churn", 2, watch=WATCH)
    newer = watch_promotion(workspace, "churn", bake_s=60, metric_floor=0.5)
    [active] = list_watches(workspace)
    assert active.id == newer.id
    old = next(w for w in list_watches(workspace, active=False) if w.id != newer.id)
    assert old.state == "superseded" and newer.id[:12] in old.reason


def test_watch_promotion_refuses_what_it_could_not_act_on(
    workspace: Workspace, strong: Any
) -> None:
    with pytest.raises(ChallengerError, match="no earlier version to roll back to"):
        watch_promotion(workspace, "churn", metric_floor=0.5)
    with pytest.raises(ChallengerError, match="has no alias 'staging'"):
        watch_promotion(workspace, "churn", "staging", metric_floor=0.5)
    promote_model(workspace, "churn", 2, "production")
    with pytest.raises(ChallengerError, match="Nothing to watch"):
        watch_promotion(workspace, "churn")
    with pytest.raises(ChallengerError, match="bake_s must be > 0"):
        watch_promotion(workspace, "churn", bake_s=0, metric_floor=0.5)
    promoted = model_history(workspace, "churn")[-1].created_at
    with pytest.raises(
        ChallengerError, match="bake period of churn@production is over"
    ):
        watch_promotion(
            workspace, "churn", bake_s=10, metric_floor=0.5, now=promoted + 11
        )
