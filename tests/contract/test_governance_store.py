"""The ``PolicyStore`` contract (policy sets, decision audit), every backend.

Each test receives a fresh, empty store: in memory, a SQLite file in
``tmp_path``, and (marked ``integration``) a PostgreSQL schema of its own that
is dropped afterwards.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from rung.errors import InvalidRecordError, PolicySetNotFoundError
from rung.governance.records import PolicyDecisionRecord
from rung.governance.store import PolicyStore

if TYPE_CHECKING:
    from rung.metadata import RunStore

DOC: dict[str, Any] = {
    "version": 1,
    "regions": {},
    "policies": [{"name": "ca-only", "match": {"tags": ["health"]}}],
}


def decision(**fields: Any) -> PolicyDecisionRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "decided_at": 1000.0,
        "project": "demo",
        "user": "ada",
        "stage": "plan",
        "rule": "ca-only",
        "subject": "pipeline training, step train",
        "verdict": "allow",
        "reason": "train runs in CA; allowed: CA.",
    }
    return PolicyDecisionRecord(**{**values, **fields})


# -- policy sets -------------------------------------------------------------------


def test_store_implements_the_governance_protocol(store: RunStore) -> None:
    assert isinstance(store, PolicyStore)


def test_add_policy_set_numbers_versions_per_project(store: RunStore) -> None:
    first = store.add_policy_set("demo", DOC, user="ada", created_at=1.0, source="x")
    second = store.add_policy_set("demo", {"policies": []}, user="bo", created_at=2.0)
    other = store.add_policy_set("other", DOC, user="ada", created_at=3.0)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.document == DOC
    assert first.source == "x"
    assert len(first.digest) == 64
    assert first.digest != second.digest


def test_get_policy_set_returns_the_newest_or_a_version(store: RunStore) -> None:
    store.add_policy_set("demo", DOC, user="ada", created_at=1.0)
    store.add_policy_set("demo", {"policies": []}, user="bo", created_at=2.0)
    assert store.get_policy_set("demo").version == 2
    old = store.get_policy_set("demo", 1)
    assert old.document == DOC
    assert old.user == "ada"


def test_get_policy_set_of_unknown_project_raises(store: RunStore) -> None:
    with pytest.raises(PolicySetNotFoundError, match=r"has no policy set\.") as none:
        store.get_policy_set("demo")
    assert none.value.details == {"project": "demo", "reason": "none"}


def test_get_policy_set_of_unknown_version_raises(store: RunStore) -> None:
    store.add_policy_set("demo", DOC, user="ada", created_at=1.0)
    with pytest.raises(PolicySetNotFoundError, match="no policy set version 7"):
        store.get_policy_set("demo", 7)


def test_list_policy_sets_is_newest_first_and_limited(store: RunStore) -> None:
    for when in range(3):
        store.add_policy_set("demo", DOC, user="ada", created_at=float(when))
    assert [s.version for s in store.list_policy_sets("demo")] == [3, 2, 1]
    assert [s.version for s in store.list_policy_sets("demo", limit=1)] == [3]
    assert store.list_policy_sets("nobody") == []


def test_returned_documents_are_copies(store: RunStore) -> None:
    record = store.add_policy_set("demo", DOC, user="ada", created_at=1.0)
    record.document["policies"].clear()
    assert store.get_policy_set("demo").document == DOC


def test_add_policy_set_refuses_a_document_json_cannot_hold(
    store: RunStore,
) -> None:
    with pytest.raises(InvalidRecordError, match="cannot be stored as JSON"):
        store.add_policy_set("demo", {"x": object()}, user="ada", created_at=1.0)
    assert store.list_policy_sets("demo") == []


def test_add_policy_set_refuses_an_empty_project(store: RunStore) -> None:
    with pytest.raises(InvalidRecordError, match="needs a project name"):
        store.add_policy_set("", DOC, user="ada", created_at=1.0)


def test_concurrent_applies_get_distinct_versions(store: RunStore) -> None:
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            store.add_policy_set("demo", DOC, user="ada", created_at=1.0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=apply) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(s.version for s in store.list_policy_sets("demo")) == [*range(1, 7)]


# -- decisions ----------------------------------------------------------------------


def test_decisions_round_trip_newest_first(store: RunStore) -> None:
    first = decision(details={"path": ["claims@v3", "train"]}, policy_version=2)
    second = decision(verdict="refuse", run_id="r" * 32, stage="run")
    store.add_policy_decisions([first])
    store.add_policy_decisions([second])
    assert store.list_policy_decisions() == [second, first]


def test_decisions_of_one_batch_keep_their_order(store: RunStore) -> None:
    batch = [decision(rule=f"rule-{i}") for i in range(5)]
    store.add_policy_decisions(batch)
    assert store.list_policy_decisions() == list(reversed(batch))


def test_list_policy_decisions_filters(store: RunStore) -> None:
    allowed = decision()
    refused = decision(verdict="refuse", run_id="a" * 32)
    elsewhere = decision(project="other")
    store.add_policy_decisions([allowed, refused, elsewhere])
    assert store.list_policy_decisions(project="demo", verdict="refuse") == [refused]
    assert store.list_policy_decisions(run_id="a" * 32) == [refused]
    assert store.list_policy_decisions(project="other") == [elsewhere]
    assert len(store.list_policy_decisions(limit=2)) == 2


def test_add_policy_decisions_with_nothing_is_a_no_op(store: RunStore) -> None:
    store.add_policy_decisions([])
    assert store.list_policy_decisions() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"verdict": "maybe"}, "Invalid verdict 'maybe'.*allow, refuse"),
        ({"rule": ""}, "has an empty rule"),
        ({"stage": ""}, "has an empty stage"),
        ({"details": {"x": object()}}, "cannot be stored as JSON"),
    ],
)
def test_add_policy_decisions_refuses_a_bad_decision_atomically(
    store: RunStore, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        store.add_policy_decisions([decision(), decision(**fields)])
    assert store.list_policy_decisions() == []


def test_add_policy_decisions_refuses_a_taken_id(store: RunStore) -> None:
    taken = decision()
    store.add_policy_decisions([taken])
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_policy_decisions([decision(), decision(id=taken.id)])
    assert store.list_policy_decisions() == [taken]
