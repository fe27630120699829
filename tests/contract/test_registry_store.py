"""The ``ModelStore`` contract (the registry part of the metadata store).

Run against every backend: in memory, a SQLite file, and (marked
``integration``) a PostgreSQL schema of its own, dropped afterwards.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import (
    ArtifactNotFoundError,
    InvalidRecordError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    PromotionRefusedError,
    RegistryConflictError,
    RegistryError,
)
from rung.registry.records import (
    AliasRecord,
    ApprovalRecord,
    AuditNote,
    ModelVersionRecord,
    RoleRecord,
    SignatureColumn,
)
from rung.registry.store import ModelStore
from tests.contract.test_metadata_store import make_artifact

if TYPE_CHECKING:
    from collections.abc import Callable

    from rung.metadata import RunStore

PROJECT = "demo"


@pytest.fixture
def artifact_id(store: RunStore) -> str:
    """The id of an artifact indexed in ``store``."""
    record = make_artifact(type="sklearn.linear_model.LogisticRegression")
    store.add_artifacts([record])
    return record.id


def note(action: str, at: float = 10.0, **fields: Any) -> AuditNote:
    return AuditNote(action, fields.pop("user", "ada"), at, **fields)


def make_version(artifact_id: str, **fields: Any) -> ModelVersionRecord:
    values: dict[str, Any] = {
        "model": "churn",
        "version": 0,
        "project": PROJECT,
        "artifact_id": artifact_id,
        "user": "ada",
        "created_at": 5.0,
    }
    return ModelVersionRecord(**{**values, **fields})


def register(store: RunStore, artifact_id: str, **fields: Any) -> ModelVersionRecord:
    return store.add_model_version(
        make_version(artifact_id, **fields), note("register")
    )


def promote(
    store: RunStore, version: int, expected: int | None, alias: str = "production"
) -> AliasRecord:
    return store.move_alias(
        PROJECT, "churn", alias, version, expected=expected, note=note("promote")
    )


# -- versions ---------------------------------------------------------------------


def test_store_implements_the_registry_protocol(store: RunStore) -> None:
    assert isinstance(store, ModelStore)


def test_add_model_version_round_trips_every_field(
    store: RunStore, artifact_id: str
) -> None:
    given = make_version(
        artifact_id,
        version=99,
        run_id="r" * 32,
        step_run_id="s" * 32,
        description="first",
        metrics={"accuracy": 0.93, "n": 3},
        tags={"team": "churn"},
        signature=(
            SignatureColumn("age", "int64"),
            SignatureColumn("plan", "object", True),
        ),
        framework="sklearn",
        framework_version="1.5.2",
        git_commit="0" * 40,
        source_hash="a" * 64,
        training_data={"data": "d" * 64},
        card={"intended_use": "ranking", "evaluation": {"accuracy": 0.93}},
    )
    stored = store.add_model_version(given, note("register"))
    assert stored == replace(given, version=1, metrics={"accuracy": 0.93, "n": 3.0})
    assert store.get_model_version(PROJECT, "churn", 1) == stored
    assert store.list_model_versions(PROJECT, "churn") == [stored]


def test_versions_are_numbered_per_model_and_project(
    store: RunStore, artifact_id: str
) -> None:
    numbers = [register(store, artifact_id).version for _ in range(3)]
    other = register(store, artifact_id, model="fraud")
    elsewhere = register(store, artifact_id, project="other")
    assert (numbers, other.version, elsewhere.version) == ([1, 2, 3], 1, 1)
    model = store.get_model(PROJECT, "churn")
    assert (model.latest_version, model.user, model.aliases) == (3, "ada", {})
    assert [m.name for m in store.list_models(PROJECT)] == ["churn", "fraud"]
    assert [(m.name, m.project) for m in store.list_models()] == [
        ("churn", PROJECT),
        ("churn", "other"),
        ("fraud", PROJECT),
    ]


def test_add_model_version_rejects_unknown_artifact_and_creates_nothing(
    store: RunStore,
) -> None:
    with pytest.raises(ArtifactNotFoundError, match=r"Unknown artifact id.*'f{64}'"):
        register(store, "f" * 64)
    assert store.list_models() == []
    assert store.list_registry_events(PROJECT) == []


def test_add_model_version_rejects_bad_values(
    store: RunStore, artifact_id: str
) -> None:
    with pytest.raises(InvalidRecordError, match="Invalid model version state 'gone'"):
        register(store, artifact_id, state="gone")
    with pytest.raises(InvalidRecordError, match="must be numbers"):
        register(store, artifact_id, metrics={"accuracy": "high"})
    with pytest.raises(InvalidRecordError, match="Invalid registry action 'bump'"):
        store.add_model_version(make_version(artifact_id), note("bump"))
    assert store.list_models() == []


def test_lookups_of_unknown_models_and_versions_raise(
    store: RunStore, artifact_id: str
) -> None:
    with pytest.raises(ModelNotFoundError, match=r"No model 'churn' in project 'demo'"):
        store.get_model(PROJECT, "churn")
    with pytest.raises(ModelNotFoundError, match="No model 'churn'"):
        store.list_model_versions(PROJECT, "churn")
    register(store, artifact_id)
    register(store, artifact_id)
    with pytest.raises(
        ModelVersionNotFoundError, match=r"no version 7\. Known versions: 1, 2\."
    ):
        store.get_model_version(PROJECT, "churn", 7)
    with pytest.raises(LookupError, match="No model 'churn' in project 'other'"):
        store.get_model("other", "churn")


def test_find_model_versions_by_artifact(store: RunStore, artifact_id: str) -> None:
    other = make_artifact()
    store.add_artifacts([other])
    first = register(store, artifact_id)
    register(store, other.id)
    fraud = register(store, artifact_id, model="fraud")
    assert store.find_model_versions(artifact_id) == [first, fraud]
    assert store.find_model_versions("0" * 64) == []


# -- state changes ----------------------------------------------------------------


def test_update_model_merges_tags_and_replaces_gates(
    store: RunStore, artifact_id: str
) -> None:
    register(store, artifact_id, description="first")
    store.update_model(
        PROJECT, "churn", {"tags": {"a": "1"}, "gates": {"x": {}}}, note("update")
    )
    gates = {"production": {"metrics": ["accuracy >= 0.9"]}}
    model = store.update_model(
        PROJECT, "churn", {"tags": {"b": "2"}, "gates": gates}, note("set_gates", 20.0)
    )
    assert (model.tags, model.gates) == ({"a": "1", "b": "2"}, gates)
    assert (model.description, model.updated_at) == ("first", 20.0)
    assert store.get_model(PROJECT, "churn") == model
    with pytest.raises(InvalidRecordError, match="Cannot change 'name' of a model"):
        store.update_model(PROJECT, "churn", {"name": "x"}, note("update"))
    with pytest.raises(ModelNotFoundError, match="No model 'nope'"):
        store.update_model(PROJECT, "nope", {"tags": {}}, note("update"))


def test_update_model_version_archives_and_restores(
    store: RunStore, artifact_id: str
) -> None:
    register(store, artifact_id, tags={"a": "1"})
    archived = store.update_model_version(
        PROJECT, "churn", 1, {"state": "archived", "tags": {"b": "2"}}, note("archive")
    )
    assert archived.is_archived and archived.tags == {"a": "1", "b": "2"}
    assert store.get_model_version(PROJECT, "churn", 1) == archived
    restored = store.update_model_version(
        PROJECT, "churn", 1, {"state": "ready"}, note("restore")
    )
    assert not restored.is_archived
    with pytest.raises(InvalidRecordError, match="Cannot change 'artifact_id'"):
        store.update_model_version(
            PROJECT, "churn", 1, {"artifact_id": "x"}, note("update")
        )


def test_archiving_a_version_an_alias_points_to_is_refused(
    store: RunStore, artifact_id: str
) -> None:
    register(store, artifact_id)
    promote(store, 1, None)
    with pytest.raises(RegistryError, match=r"alias\(es\) 'production' point to it"):
        store.update_model_version(
            PROJECT, "churn", 1, {"state": "archived"}, note("archive")
        )
    assert not store.get_model_version(PROJECT, "churn", 1).is_archived
    assert [e.action for e in store.list_registry_events(PROJECT)] == [
        "register",
        "promote",
    ]


# -- aliases ----------------------------------------------------------------------


def test_move_alias_creates_then_moves_with_expected_version(
    store: RunStore, artifact_id: str
) -> None:
    for _ in range(2):
        register(store, artifact_id)
    created = promote(store, 1, None)
    moved = promote(store, 2, 1)
    staging = promote(store, 1, None, alias="staging")
    assert created == AliasRecord("churn", "production", 1, PROJECT, "ada", 10.0)
    assert moved.version == 2
    assert store.list_aliases(PROJECT, "churn") == [moved, staging]
    assert store.get_model(PROJECT, "churn").aliases == {"production": 2, "staging": 1}


def test_move_alias_with_stale_expectation_conflicts_and_changes_nothing(
    store: RunStore, artifact_id: str
) -> None:
    for _ in range(3):
        register(store, artifact_id)
    promote(store, 1, None)
    promote(store, 2, 1)
    events = store.list_registry_events(PROJECT)
    with pytest.raises(
        RegistryConflictError,
        match=r"now points to version 2.*expected it to point to version 1",
    ):
        promote(store, 3, 1)
    with pytest.raises(RegistryConflictError, match="expected it not to exist"):
        promote(store, 3, None)
    with pytest.raises(RegistryConflictError, match="now does not exist"):
        promote(store, 3, 2, alias="staging")
    assert store.get_model(PROJECT, "churn").aliases == {"production": 2}
    assert store.list_registry_events(PROJECT) == events


def test_move_alias_refuses_archived_and_unknown_versions(
    store: RunStore, artifact_id: str
) -> None:
    register(store, artifact_id)
    store.update_model_version(
        PROJECT, "churn", 1, {"state": "archived"}, note("archive")
    )
    with pytest.raises(PromotionRefusedError, match=r"version is archived") as refused:
        promote(store, 1, None)
    assert refused.value.details == {
        "model": "churn",
        "version": 1,
        "reason": "archived",
    }
    with pytest.raises(ModelVersionNotFoundError, match="no version 5"):
        promote(store, 5, None)
    with pytest.raises(ModelNotFoundError, match="No model 'nope'"):
        store.move_alias(PROJECT, "nope", "a", 1, expected=None, note=note("promote"))
    assert store.list_aliases(PROJECT, "churn") == []


def test_concurrent_moves_of_one_alias_let_exactly_one_win(
    store: RunStore, artifact_id: str
) -> None:
    for _ in range(5):
        register(store, artifact_id)
    promote(store, 1, None)
    outcomes = _in_threads(4, lambda i: promote(store, i + 2, 1))
    wins = [o for o in outcomes if isinstance(o, AliasRecord)]
    assert len(wins) == 1
    assert all(isinstance(o, RegistryConflictError) for o in outcomes if o not in wins)
    assert store.get_model(PROJECT, "churn").aliases == {"production": wins[0].version}
    moves = [e for e in store.list_registry_events(PROJECT) if e.action == "promote"]
    assert [(e.from_version, e.to_version) for e in moves] == [
        (None, 1),
        (1, wins[0].version),
    ]


def test_concurrent_registrations_get_distinct_numbers(
    store: RunStore, artifact_id: str
) -> None:
    outcomes = _in_threads(
        4, lambda i: [register(store, artifact_id) for _ in range(5)]
    )
    numbers = sorted(v.version for batch in outcomes for v in batch)  # type: ignore[union-attr]
    assert numbers == list(range(1, 21))
    assert [v.version for v in store.list_model_versions(PROJECT, "churn")] == numbers


# -- reviews, roles, events -------------------------------------------------------


def test_approvals_are_recorded_with_events(store: RunStore, artifact_id: str) -> None:
    register(store, artifact_id)
    register(store, artifact_id)
    base = ApprovalRecord("churn", 1, "production", PROJECT, "bob", "approve", 11.0)
    first = store.add_approval(replace(base, comment="ok"))
    second = store.add_approval(replace(base, user="eve", decision="reject"))
    store.add_approval(replace(base, version=2, alias="staging"))
    assert first.id < second.id
    assert store.list_approvals(PROJECT, "churn", version=1, alias="production") == [
        first,
        second,
    ]
    assert len(store.list_approvals(PROJECT, "churn")) == 3
    events = store.list_registry_events(PROJECT, model="churn", alias="production")
    assert [(e.action, e.user, e.version, e.comment) for e in events] == [
        ("approve", "bob", 1, "ok"),
        ("reject", "eve", 1, ""),
    ]
    with pytest.raises(InvalidRecordError, match="Invalid decision 'maybe'"):
        store.add_approval(replace(base, decision="maybe"))
    with pytest.raises(ModelVersionNotFoundError, match="no version 9"):
        store.add_approval(replace(base, version=9))


def test_events_that_change_nothing_else_are_recorded(
    store: RunStore, artifact_id: str
) -> None:
    register(store, artifact_id)
    details = {"gates": [{"gate": "f1 >= 0.9", "passed": False, "detail": "f1 0.8"}]}
    refused = note("promote_refused", 20.0, comment="try", details=details)
    store.add_registry_event(PROJECT, "churn", refused, version=1, alias="production")
    event = store.list_registry_events(PROJECT, model="churn")[-1]
    assert (event.action, event.version, event.alias, event.to_version) == (
        "promote_refused",
        1,
        "production",
        None,
    )
    assert (event.comment, event.details) == ("try", details)
    assert store.get_model(PROJECT, "churn").aliases == {}
    with pytest.raises(ModelNotFoundError, match="No model 'fraud'"):
        store.add_registry_event(PROJECT, "fraud", refused)
    with pytest.raises(InvalidRecordError, match="Invalid registry action 'bump'"):
        store.add_registry_event(PROJECT, "churn", note("bump"))


def test_roles_are_granted_idempotently_and_revoked(store: RunStore) -> None:
    store.set_role(PROJECT, "bob", "reviewer", granted=True, note=note("grant_role"))
    store.set_role(
        PROJECT, "bob", "reviewer", granted=True, note=note("grant_role", 12.0)
    )
    store.set_role(PROJECT, "amy", "owner", granted=True, note=note("grant_role"))
    store.set_role("other", "bob", "owner", granted=True, note=note("grant_role"))
    assert store.list_roles(PROJECT) == [
        RoleRecord(PROJECT, "amy", "owner", "ada", 10.0),
        RoleRecord(PROJECT, "bob", "reviewer", "ada", 10.0),
    ]
    store.set_role(PROJECT, "bob", "reviewer", granted=False, note=note("revoke_role"))
    assert store.list_roles(PROJECT, user="bob") == []
    with pytest.raises(RegistryError, match="'bob' does not hold role 'reviewer'"):
        store.set_role(
            PROJECT, "bob", "reviewer", granted=False, note=note("revoke_role")
        )
    events = store.list_registry_events(PROJECT)
    assert [(e.action, e.model, e.details["subject"]) for e in events] == [
        ("grant_role", None, "bob"),
        ("grant_role", None, "bob"),
        ("grant_role", None, "amy"),
        ("revoke_role", None, "bob"),
    ]


def test_events_record_who_when_what_and_why(store: RunStore, artifact_id: str) -> None:
    register(store, artifact_id)
    register(store, artifact_id, model="fraud")
    store.move_alias(
        PROJECT,
        "churn",
        "production",
        1,
        expected=None,
        note=note("promote", 30.0, user="cy", comment="go", details={"gates": []}),
    )
    churn = store.list_registry_events(PROJECT, model="churn")
    assert [
        (e.action, e.version, e.alias, e.from_version, e.to_version) for e in churn
    ] == [
        ("register", 1, None, None, None),
        ("promote", 1, "production", None, 1),
    ]
    last = churn[-1]
    assert (last.user, last.created_at, last.comment, last.details) == (
        "cy",
        30.0,
        "go",
        {"gates": []},
    )
    every = store.list_registry_events(PROJECT)
    assert [e.id for e in every] == sorted(e.id for e in every)
    assert store.list_registry_events(PROJECT, limit=2) == every[-2:]
    assert store.list_registry_events("other") == []


def _in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    outcomes: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = work(index)
        except Exception as exc:  # reported through outcomes
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    unexpected = [
        o
        for o in outcomes
        if isinstance(o, Exception) and not isinstance(o, RegistryConflictError)
    ]
    assert unexpected == []
    return outcomes


def test_model_names_are_scoped_by_project(store: RunStore, artifact_id: str) -> None:
    register(store, artifact_id, project="a")
    register(store, artifact_id, project="b")
    assert store.get_model("a", "churn").project == "a"
    assert store.get_model_version("b", "churn", 1).project == "b"
