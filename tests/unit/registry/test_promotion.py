"""Promotion: gates, approvals, archived versions, concurrent promotions."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from rung.cli._hints import with_hint
from rung.errors import (
    ApprovalRefusedError,
    GateDefinitionError,
    InvalidModelReferenceError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    PromotionRefusedError,
    RegistryConflictError,
    RegistryError,
)
from rung.registry import (
    AliasRecord,
    approve_promotion,
    archive_version,
    check_promotion,
    get_gates,
    get_model,
    grant_role,
    model_history,
    promote_model,
    register_model,
    reject_promotion,
    restore_version,
    revoke_role,
    set_gates,
)
from rung.workspace import Workspace

if TYPE_CHECKING:
    from rung.registry.records import ModelVersionRecord
    from rung.tracking import Run

GATES = {
    "production": {
        "metrics": ["accuracy >= 0.90", "accuracy >= champion.accuracy - 0.01"],
        "signature": "compatible",
        "approvals": {"role": "reviewer", "count": 2},
    }
}


def as_user(workspace: Workspace, user: str) -> Workspace:
    """The same stores, recording as another user."""
    return Workspace(
        workspace.backend, workspace.artifacts, project=workspace.project, user=user
    )


def actions(
    workspace: Workspace, name: str = "churn"
) -> list[tuple[str, int | None, int | None]]:
    return [
        (e.action, e.from_version, e.to_version) for e in model_history(workspace, name)
    ]


def test_promote_without_gates_moves_the_alias(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    first = promote_model(workspace, "churn", 1, "production", comment="go")
    again = promote_model(workspace, "churn", 1, "production")
    moved = promote_model(workspace, "churn", 3, "production")
    assert (
        first
        == again
        == AliasRecord(
            "churn", "production", 1, "test-project", "tester", first.updated_at
        )
    )
    assert moved.version == 3
    assert get_model(workspace, "churn").aliases == {"production": 3}
    assert actions(workspace)[-2:] == [("promote", None, 1), ("promote", 1, 3)]
    assert model_history(workspace, "churn")[-2].comment == "go"


def test_failing_gates_are_each_named_with_numbers_and_nothing_changes(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", GATES, comment="policy")
    grant_role(workspace, "bob", "reviewer")
    approve_promotion(as_user(workspace, "bob"), "churn", 1, "production")
    before = model_history(workspace, "churn")
    with pytest.raises(PromotionRefusedError, match="2 gate") as refused:
        promote_model(workspace, "churn", 1, "production", comment="release 1")
    message = str(refused.value)
    assert "accuracy 0.8 < 0.90" in message
    assert "needs 2 approvals from role 'reviewer', has 1" in message
    assert message.endswith("Nothing changed.")
    assert refused.value.details == {
        "model": "churn",
        "version": 1,
        "alias": "production",
        "reason": "gates_failed",
    }
    assert get_model(workspace, "churn").aliases == {}
    assert model_history(workspace, "churn")[:-1] == before


def test_a_refused_promotion_is_audited_with_the_failing_numbers(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", {"production": {"metrics": ["accuracy >= 0.90"]}})
    with pytest.raises(PromotionRefusedError, match=r"accuracy 0\.8 < 0\.90"):
        promote_model(workspace, "churn", 1, "production", comment="release 1")
    event = model_history(workspace, "churn")[-1]
    assert (event.action, event.version, event.alias, event.user) == (
        "promote_refused",
        1,
        "production",
        "tester",
    )
    assert (event.from_version, event.to_version, event.comment) == (
        None,
        None,
        "release 1",
    )
    assert event.details == {
        "gates": [
            {
                "gate": "accuracy >= 0.90",
                "passed": False,
                "detail": "accuracy 0.8 < 0.90",
            }
        ]
    }
    check_promotion(workspace, "churn", 1, "production")
    assert model_history(workspace, "churn")[-1] == event  # a dry run is not audited
    assert promote_model(workspace, "churn", 2, "production").version == 2
    assert [a for a, *_ in actions(workspace)][-2:] == ["promote_refused", "promote"]


def test_approvals_from_role_holders_let_the_promotion_through(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", GATES)
    grant_role(workspace, "bob", "reviewer")
    grant_role(workspace, "eve", "reviewer")
    approve_promotion(as_user(workspace, "bob"), "churn", 2, "production")
    checks = check_promotion(workspace, "churn", 2, "production")
    assert [c.passed for c in checks] == [True, True, True, False]
    approve_promotion(as_user(workspace, "eve"), "churn", 2, "production")
    record = promote_model(workspace, "churn", 2, "production", comment="reviewed")
    assert record.version == 2
    event = model_history(workspace, "churn")[-1]
    gates = [g["gate"] for g in event.details["gates"]]
    assert gates == [
        "accuracy >= 0.90",
        "accuracy >= champion.accuracy - 0.01",
        "signature",
        "approvals (2 x reviewer)",
    ]


def test_approval_without_the_gate_role_is_refused_and_not_recorded(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", GATES)
    grant_role(workspace, "mallory", "auditor")
    mallory = as_user(workspace, "mallory")
    before = model_history(workspace, "churn")
    for decide in (approve_promotion, reject_promotion):
        with pytest.raises(
            ApprovalRefusedError,
            match=r"'mallory' does not; nothing was recorded\. Grant it "
            r"\(rung\.registry\.grant_role\)",
        ) as refused:
            decide(mallory, "churn", 2, "production")
        assert with_hint(refused.value).endswith(
            "Grant it with `rung models roles grant mallory reviewer`."
        )
    assert model_history(workspace, "churn") == before
    grant_role(workspace, "mallory", "reviewer")
    approve_promotion(mallory, "churn", 2, "production")
    assert model_history(workspace, "churn")[-1].action == "approve"


def test_approval_of_an_alias_without_approvals_gate_is_refused(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    grant_role(workspace, "bob", "reviewer")
    with pytest.raises(
        ApprovalRefusedError,
        match=r"Alias 'staging' of model 'churn' has no approvals gate",
    ) as refused:
        approve_promotion(as_user(workspace, "bob"), "churn", 1, "staging")
    assert with_hint(refused.value).endswith(
        "Add one with `rung models gates churn --file FILE`, or promote without "
        "approval: `rung models promote churn 1 --alias staging`."
    )


def test_revoked_roles_and_rejections_block_approvals(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", {"production": {"approvals": {"role": "reviewer"}}})
    grant_role(workspace, "bob", "reviewer")
    grant_role(workspace, "eve", "reviewer")
    bob, eve = as_user(workspace, "bob"), as_user(workspace, "eve")
    approve_promotion(bob, "churn", 3, "production")
    reject_promotion(eve, "churn", 3, "production", comment="needs EU eval")
    with pytest.raises(
        PromotionRefusedError, match="rejected by role 'reviewer': eve: needs EU eval"
    ):
        promote_model(workspace, "churn", 3, "production")
    revoke_role(workspace, "eve", "reviewer")
    assert promote_model(workspace, "churn", 3, "production").version == 3
    with pytest.raises(RegistryError, match="'eve' does not hold role 'reviewer'"):
        revoke_role(workspace, "eve", "reviewer")


def test_champion_gate_compares_with_the_current_alias_target(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    set_gates(
        workspace,
        "churn",
        {"production": {"metrics": ["accuracy >= champion.accuracy"]}},
    )
    promote_model(workspace, "churn", 2, "production")
    with pytest.raises(
        PromotionRefusedError,
        match=r"accuracy 0\.8 < champion\.accuracy = 0\.9 \(champion v2\)",
    ):
        promote_model(workspace, "churn", 1, "production")
    assert promote_model(workspace, "churn", 3, "production").version == 3


def test_signature_gate_refuses_an_incompatible_version(
    workspace: Workspace, trained: Run, versions: list[ModelVersionRecord]
) -> None:
    set_gates(workspace, "churn", {"production": {"signature": True}})
    promote_model(workspace, "churn", 1, "production")
    other = register_model(
        workspace,
        trained,
        "churn",
        step="train",
        signature={"age": "object", "income": "float64"},
    )
    with pytest.raises(
        PromotionRefusedError,
        match=r"column 'visits' is missing.*column 'age' is object",
    ):
        promote_model(workspace, "churn", other.version, "production")


def test_archived_versions_cannot_be_promoted_or_approved(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    archive_version(workspace, "churn", 1, comment="leaky feature")
    with pytest.raises(
        PromotionRefusedError,
        match=r"version 1 to 'staging': the version is archived\.$",
    ):
        promote_model(workspace, "churn", 1, "staging")
    with pytest.raises(
        PromotionRefusedError, match="archived: there is no promotion to approve"
    ):
        approve_promotion(workspace, "churn", 1, "staging")
    restore_version(workspace, "churn", 1)
    assert promote_model(workspace, "churn", 1, "staging").version == 1
    with pytest.raises(RegistryError, match=r"alias\(es\) 'staging' point to it"):
        archive_version(workspace, "churn", 1)
    assert [a for a, *_ in actions(workspace)][-3:] == ["archive", "restore", "promote"]


def test_bad_references_are_clear_errors(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    with pytest.raises(ModelNotFoundError, match="No model 'fraud'"):
        promote_model(workspace, "fraud", 1, "production")
    with pytest.raises(
        ModelVersionNotFoundError, match=r"no version 9\. Known versions: 1, 2, 3"
    ):
        promote_model(workspace, "churn", 9, "production")
    with pytest.raises(InvalidModelReferenceError, match="alias 'latest' is reserved"):
        promote_model(workspace, "churn", 1, "latest")
    with pytest.raises(InvalidModelReferenceError, match="Invalid alias 'prod uction'"):
        promote_model(workspace, "churn", 1, "prod uction")
    with pytest.raises(GateDefinitionError, match=r"metrics\[0\]: No comparison"):
        set_gates(workspace, "churn", {"production": {"metrics": ["accuracy"]}})
    with pytest.raises(ModelNotFoundError, match="No model 'fraud'"):
        set_gates(workspace, "fraud", {})
    assert get_gates(workspace, "churn").to_dict() == {}
    assert get_model(workspace, "churn").aliases == {}


def test_two_threads_promoting_one_alias_exactly_one_wins(
    workspace: Workspace, versions: list[ModelVersionRecord]
) -> None:
    promote_model(workspace, "churn", 1, "production")
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def promote(version: int) -> None:
        # Both read champion v1 and pass the (empty) gates before either moves.
        original = workspace.models.move_alias

        def move_after_both_checked(*args: object, **kwargs: object) -> AliasRecord:
            barrier.wait()
            return original(*args, **kwargs)  # type: ignore[arg-type]

        try:
            outcomes[version] = promote_model(
                _patched(workspace, move_after_both_checked),
                "churn",
                version,
                "production",
            )
        except RegistryConflictError as exc:
            outcomes[version] = exc

    threads = [threading.Thread(target=promote, args=(v,)) for v in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [v for v, o in outcomes.items() if isinstance(o, AliasRecord)]
    losers = [o for o in outcomes.values() if isinstance(o, RegistryConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert "another change moved it first" in str(losers[0])
    assert get_model(workspace, "churn").aliases == {"production": winners[0]}
    assert actions(workspace)[-2:] == [("promote", None, 1), ("promote", 1, winners[0])]


def _patched(workspace: Workspace, move_alias: object) -> Workspace:
    """A workspace whose store's ``move_alias`` is replaced (for this caller only)."""

    class Models:
        def __getattr__(self, name: str) -> object:
            if name == "move_alias":
                return move_alias
            return getattr(workspace.models, name)

    class Backend:
        url = workspace.backend.url

        def open_store(self, name: str) -> object:
            if name == "models":
                return Models()
            return workspace.backend.open_store(name)

        def close(self) -> None:
            """The real backend closes with its own workspace."""

    return Workspace(
        Backend(),
        workspace.artifacts,
        project=workspace.project,
        user=workspace.user,
    )
