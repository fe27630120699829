"""Rollback: walking back through an alias' history, and ``to=``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from rung.errors import ModelVersionNotFoundError, PromotionRefusedError
from rung.registry import (
    alias_stack,
    archive_version,
    get_model,
    model_history,
    promote_model,
    rollback_model,
    set_gates,
)

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.workspace import Workspace


def alias_moves(workspace: Workspace) -> list[tuple[str, int | None, int | None]]:
    return [
        (e.action, e.from_version, e.to_version)
        for e in model_history(workspace, "churn")
        if e.alias == "production"
    ]


def test_rollback_walks_back_twice(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    for number in (1, 2, 3):
        promote_model(workspace, "churn", number, "production")
    assert (
        rollback_model(workspace, "churn", "production", comment="bad latency").version
        == 2
    )
    assert rollback_model(workspace, "churn", "production").version == 1
    with pytest.raises(
        ModelVersionNotFoundError,
        match=r"no earlier version to roll back to \(its history: v1\).*--to VERSION",
    ):
        rollback_model(workspace, "churn", "production")
    assert get_model(workspace, "churn").aliases == {"production": 1}
    assert alias_moves(workspace) == [
        ("promote", None, 1),
        ("promote", 1, 2),
        ("promote", 2, 3),
        ("rollback", 3, 2),
        ("rollback", 2, 1),
    ]
    assert model_history(workspace, "churn")[-2].comment == "bad latency"


def test_promotion_after_rollback_starts_a_new_branch(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    for number in (1, 2):
        promote_model(workspace, "churn", number, "production")
    rollback_model(workspace, "churn", "production")
    promote_model(workspace, "churn", 3, "production")
    assert rollback_model(workspace, "churn", "production").version == 1


def test_rollback_to_reinstates_any_version_and_skips_gates(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    promote_model(workspace, "churn", 3, "production")
    set_gates(workspace, "churn", {"production": {"metrics": ["accuracy >= 0.99"]}})
    assert rollback_model(workspace, "churn", "production", to=1).version == 1
    assert rollback_model(workspace, "churn", "production").version == 3
    with pytest.raises(ModelVersionNotFoundError, match="already points to version 3"):
        rollback_model(workspace, "churn", "production", to=3)
    with pytest.raises(ModelVersionNotFoundError, match="no version 8"):
        rollback_model(workspace, "churn", "production", to=8)


def test_rollback_refuses_unset_aliases_and_archived_targets(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    with pytest.raises(ModelVersionNotFoundError, match="has no alias 'production'"):
        rollback_model(workspace, "churn", "production")
    promote_model(workspace, "churn", 1, "production")
    promote_model(workspace, "churn", 2, "production")
    archive_version(workspace, "churn", 1)
    with pytest.raises(PromotionRefusedError, match="version is archived"):
        rollback_model(workspace, "churn", "production")
    assert get_model(workspace, "churn").aliases == {"production": 2}


def test_alias_stack_replays_promotions_and_rollbacks(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    for number in (1, 2, 1, 3):
        promote_model(workspace, "churn", number, "production")
    rollback_model(workspace, "churn", "production")
    events = [e for e in model_history(workspace, "churn") if e.alias == "production"]
    assert alias_stack(events, 1) == [1, 2, 1]
    assert alias_stack([], 4) == [4]
