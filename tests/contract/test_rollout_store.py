"""The ``RolloutStore`` contract (rollouts and their stat rows), every backend.

Each test receives a fresh, empty store: in memory, a SQLite file, and
(marked ``integration``) a PostgreSQL schema of its own, dropped afterwards.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from rung.errors import (
    AmbiguousIdError,
    InvalidRecordError,
    RolloutConflictError,
    RolloutNotFoundError,
)
from rung.serving.records import RolloutRecord, RolloutStatRecord
from rung.serving.store import RolloutStore


def rollout(rollout_id: str = "r" * 32, **fields: Any) -> RolloutRecord:
    values: dict[str, Any] = {
        "id": rollout_id,
        "project": "demo",
        "model": "churn",
        "alias": "production",
        "champion_version": 1,
        "challenger_version": 2,
        "stage": "canary",
        "created_at": 10.0,
        "user": "ada",
        "stage_started_at": 10.0,
        "updated_at": 10.0,
        "share": 0.25,
        "bake_s": 600.0,
        "thresholds": {"max_error_rate": 0.01},
        "stages": ({"stage": "canary", "at": 10.0, "reason": "started"},),
    }
    return RolloutRecord(**{**values, **fields})


def test_store_implements_the_rollout_protocol(store: Any) -> None:
    assert isinstance(store.backend.open_store("rollouts"), RolloutStore)


def test_add_get_by_prefix_and_list(store: Any) -> None:
    store.add_rollout(rollout())
    assert store.get_rollout("demo", "r" * 32) == rollout()
    assert store.get_rollout("demo", "rrrr") == rollout()
    assert store.active_rollout("demo", "churn", "production") == rollout()
    assert store.active_rollout("demo", "churn", "staging") is None
    with pytest.raises(RolloutNotFoundError, match="No rollout 'rrrr' in project 'x'"):
        store.get_rollout("x", "rrrr")
    assert [r.id for r in store.list_rollouts("demo", model="churn")] == ["r" * 32]
    assert store.list_rollouts("demo", stages=["shadow"]) == []


def test_one_active_rollout_per_alias(store: Any) -> None:
    store.add_rollout(rollout())
    with pytest.raises(RolloutConflictError, match="already has a rollout in canary"):
        store.add_rollout(rollout("s" * 32))
    store.add_rollout(rollout("t" * 32, alias="staging"))  # another alias
    ended = store.update_rollout(
        "demo", "r" * 32, {"stage": "aborted", "ended_at": 20.0}
    )
    assert ended.generation == 2
    assert not ended.is_active
    assert store.active_rollout("demo", "churn", "production") is None
    store.add_rollout(rollout("s" * 32, created_at=30.0))
    assert store.active_rollout("demo", "churn", "production").id == "s" * 32
    store.add_rollout(rollout("rrrr" + "a" * 28, alias="canary-two"))
    with pytest.raises(AmbiguousIdError, match="matches several rollouts"):
        store.get_rollout("demo", "rrrr")


def test_concurrent_starts_leave_one_active_rollout(store: Any) -> None:
    if store.url.startswith("memory"):
        pytest.skip("one in-memory connection serialises writers already")
    errors: list[Exception] = []

    def start(k: int) -> None:
        try:
            store.add_rollout(rollout(f"{k:032d}"))
        except RolloutConflictError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 3
    assert len(store.list_rollouts("demo", stages=["canary"])) == 1


def test_update_checks_the_expected_stage_and_the_fields(store: Any) -> None:
    store.add_rollout(rollout())
    moved = store.update_rollout(
        "demo", "r" * 32, {"evidence": {"arms": {}}}, expect_stage="canary"
    )
    assert moved.evidence == {"arms": {}}
    with pytest.raises(RolloutConflictError, match="is canary now, not shadow"):
        store.update_rollout(
            "demo", "r" * 32, {"stage": "canary"}, expect_stage="shadow"
        )
    with pytest.raises(InvalidRecordError, match="Cannot change 'model'"):
        store.update_rollout("demo", "r" * 32, {"model": "other"})
    with pytest.raises(InvalidRecordError, match="Invalid rollout stage 'paused'"):
        store.update_rollout("demo", "r" * 32, {"stage": "paused"})
    with pytest.raises(RolloutNotFoundError):
        store.update_rollout("demo", "z" * 32, {"reason": "x"})
    assert store.get_rollout("demo", "r" * 32).generation == 2


def test_bad_rollouts_are_refused(store: Any) -> None:
    with pytest.raises(InvalidRecordError, match=r"share must be in \(0, 1\]"):
        store.add_rollout(rollout(share=0.0))
    with pytest.raises(InvalidRecordError, match="bake_s > 0"):
        store.add_rollout(rollout(bake_s=0.0))
    assert store.list_rollouts("demo") == []


def test_stat_rows_are_replaced_per_worker_and_arm(store: Any) -> None:
    first = RolloutStatRecord("r" * 32, "w1", "canary", 2, 5, 1, 5, 12.5, (1, 4), 1.0)
    store.put_rollout_stats([first])
    later = RolloutStatRecord("r" * 32, "w1", "canary", 2, 9, 1, 9, 20.0, (3, 6), 2.0)
    other = RolloutStatRecord("r" * 32, "w2", "champion", 1, 7, 0, 7, 9.0, (7, 0), 2.0)
    store.put_rollout_stats([later, other])
    assert store.list_rollout_stats("r" * 32) == [later, other]
    assert store.list_rollout_stats("z" * 32) == []
    with pytest.raises(InvalidRecordError, match="Invalid rollout arm 'left'"):
        store.put_rollout_stats([RolloutStatRecord("r" * 32, "w1", "left", 2)])
