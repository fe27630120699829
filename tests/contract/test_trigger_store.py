"""The ``TriggerStore`` contract, on SQLite in memory, SQLite on file and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from rung.automation import DispatchRecord, TriggerRecord
from rung.automation.errors import DispatchNotFoundError, TriggerNotFoundError
from rung.errors import InvalidRecordError


def _trigger(name: str = "nightly", **changes: Any) -> TriggerRecord:
    base = TriggerRecord(
        id=f"{abs(hash(name)):032x}"[:32],
        project="p",
        name=name,
        pipeline="flow.py:training",
        kind="schedule",
        created_at=1.0,
        updated_at=1.0,
        spec={"every": 60.0},
        params={"C": 0.5},
        policy={"cooldown": 10.0},
        cursor={"next_at": 61.0},
    )
    return replace(base, **changes)


def _entry(
    outcome: str = "fired", key: str | None = "k1", **changes: Any
) -> DispatchRecord:
    return replace(
        DispatchRecord(0, "p", "nightly", 5.0, outcome, event_key=key), **changes
    )


def test_triggers_round_trip_update_and_delete(store: Any) -> None:
    store.add_trigger(_trigger())
    store.add_trigger(_trigger("adhoc", kind="manual", spec={}))
    assert store.get_trigger("p", "nightly") == _trigger()
    assert [t.name for t in store.list_triggers("p")] == ["adhoc", "nightly"]
    assert store.list_triggers("other") == []
    updated = store.update_trigger(
        "p", "nightly", {"state": "paused", "cursor": {"n": 2}}
    )
    assert (updated.state, updated.cursor) == ("paused", {"n": 2})
    assert store.get_trigger("p", "nightly") == updated
    store.delete_trigger("p", "nightly")
    with pytest.raises(TriggerNotFoundError, match="has no trigger 'nightly'"):
        store.get_trigger("p", "nightly")
    with pytest.raises(TriggerNotFoundError, match="has no trigger 'nightly'"):
        store.delete_trigger("p", "nightly")


def test_triggers_refuse_bad_records(store: Any) -> None:
    store.add_trigger(_trigger())
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_trigger(_trigger(id="f" * 32))
    with pytest.raises(InvalidRecordError, match="trigger kind must be one of"):
        store.add_trigger(_trigger("x", kind="sometimes"))
    with pytest.raises(InvalidRecordError, match="Trigger name '-x' is not valid"):
        store.add_trigger(_trigger("-x"))
    with pytest.raises(InvalidRecordError, match="Cannot change 'kind'"):
        store.update_trigger("p", "nightly", {"kind": "manual"})
    with pytest.raises(InvalidRecordError, match="cannot be stored as JSON"):
        store.update_trigger("p", "nightly", {"params": {"x": object()}})


def test_a_claimed_event_key_is_written_once(store: Any) -> None:
    first = store.add_dispatch(_entry())
    assert first is not None and first.id > 0
    assert store.add_dispatch(_entry()) is None
    assert store.add_dispatch(_entry("queued")) is None
    # Skipped entries do not claim: they may repeat, and do not block a firing.
    skipped = [store.add_dispatch(_entry("skipped", "k2")) for _ in range(2)]
    assert all(s is not None for s in skipped)
    assert store.add_dispatch(_entry("fired", "k2")) is not None
    # The same key of another trigger is another event.
    assert store.add_dispatch(_entry(trigger="other")) is not None


def test_an_errored_firing_frees_its_key_for_an_explicit_retry(store: Any) -> None:
    first = store.add_dispatch(_entry())
    store.update_dispatch(first.id, {"outcome": "error", "reason": "no such file"})
    assert store.add_dispatch(_entry()) is not None


def test_dispatches_list_newest_first_filtered(store: Any) -> None:
    for i, outcome in enumerate(["fired", "skipped", "error"]):
        store.add_dispatch(_entry(outcome, f"k{i}", evaluated_at=float(i)))
    store.add_dispatch(_entry("fired", "z", trigger="other", evaluated_at=9.0))
    assert [d.event_key for d in store.list_dispatches("p")] == ["z", "k2", "k1", "k0"]
    mine = store.list_dispatches("p", trigger="nightly", outcomes=["fired", "error"])
    assert [d.outcome for d in mine] == ["error", "fired"]
    assert [d.event_key for d in store.list_dispatches("p", since=1.0, limit=2)] == [
        "z",
        "k2",
    ]


def test_update_and_get_dispatch(store: Any) -> None:
    entry = store.add_dispatch(_entry(evidence={"drift": 0.4}, params={"C": 1}))
    done = store.update_dispatch(entry.id, {"run_id": "r" * 32, "reason": "ok"})
    assert store.get_dispatch("p", entry.id) == done
    assert done.evidence == {"drift": 0.4} and done.run_id == "r" * 32
    with pytest.raises(InvalidRecordError, match="Cannot change 'trigger'"):
        store.update_dispatch(entry.id, {"trigger": "x"})
    with pytest.raises(DispatchNotFoundError, match="no dispatch 999"):
        store.get_dispatch("p", 999)
    with pytest.raises(InvalidRecordError, match="dispatch outcome must be one of"):
        store.add_dispatch(_entry("maybe"))


def test_the_lease_has_one_holder_until_it_expires_or_is_released(store: Any) -> None:
    assert store.acquire_lease("agent/p", "a", 30.0, 100.0) is not None
    assert store.acquire_lease("agent/p", "b", 30.0, 110.0) is None
    renewed = store.acquire_lease("agent/p", "a", 30.0, 120.0)
    assert renewed is not None and renewed.expires_at == 150.0
    assert renewed.acquired_at == 100.0
    taken = store.acquire_lease("agent/p", "b", 30.0, 151.0)
    assert taken is not None and taken.holder == "b"
    store.release_lease("agent/p", "a")  # not the holder: no effect
    assert store.acquire_lease("agent/p", "a", 30.0, 152.0) is None
    store.release_lease("agent/p", "b")
    assert store.acquire_lease("agent/p", "a", 30.0, 153.0) is not None


def test_concurrent_agents_get_one_lease(store: Any) -> None:
    won: list[str] = []
    barrier = threading.Barrier(4)

    def compete(holder: str) -> None:
        barrier.wait()
        if store.acquire_lease("agent/p", holder, 30.0, 100.0) is not None:
            won.append(holder)

    threads = [threading.Thread(target=compete, args=(f"h{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
