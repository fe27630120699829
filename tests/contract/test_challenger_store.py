"""The champion/challenger part of the ``TriggerStore`` contract: comparisons,
promotion watches and their ledger, on SQLite in memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from rung.automation import ChallengerComparison, ChallengerEventRecord, WatchRecord
from rung.automation.errors import ComparisonNotFoundError, WatchNotFoundError
from rung.errors import AmbiguousIdError, InvalidRecordError


def _comparison(cid: str = "c" * 32, **changes: Any) -> ChallengerComparison:
    base = ChallengerComparison(
        id=cid,
        project="p",
        model="churn",
        alias="production",
        champion_version=1,
        challenger_version=2,
        created_at=10.0,
        user="ann",
        metric="accuracy",
        verdict="promote",
        window={"since": 1.0, "until": 9.0, "rows": 300, "content_hash": "ab"},
        champion_metrics={"accuracy": 0.8, "roc_auc": None},
        challenger_metrics={"accuracy": 0.9},
        slices=({"slice": "region=CA", "rows": 40, "passed": True},),
        latency={"challenger_ms_per_1k": 1.5},
        holdout={},
        checks=({"check": "metric", "passed": True, "detail": "better"},),
        gates=({"gate": "metrics", "passed": False, "detail": "no"},),
        settings={"margin": 0.01},
        notes=("error rate not checked",),
    )
    return replace(base, **changes)


def _watch(wid: str = "w" * 32, **changes: Any) -> WatchRecord:
    base = WatchRecord(
        id=wid,
        project="p",
        model="churn",
        alias="production",
        version=2,
        previous_version=1,
        started_at=10.0,
        ends_at=3610.0,
        created_at=11.0,
        user="ann",
        thresholds={"metric": "accuracy", "metric_floor": 0.8},
        comparison_id="c" * 32,
    )
    return replace(base, **changes)


def _event(action: str = "compared", **changes: Any) -> ChallengerEventRecord:
    base = ChallengerEventRecord(
        0, "p", "churn", "production", action, 12.0, "ann", version=2
    )
    return replace(base, **changes)


def test_comparisons_round_trip_by_id_and_prefix(store: Any) -> None:
    store.add_comparison(_comparison())
    assert store.get_comparison("p", "c" * 32) == _comparison()
    assert store.get_comparison("p", "cccc") == _comparison()
    with pytest.raises(ComparisonNotFoundError, match="no challenger comparison"):
        store.get_comparison("other", "c" * 32)
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_comparison(_comparison())


def test_comparisons_list_newest_first_by_model_and_version(store: Any) -> None:
    store.add_comparison(_comparison())
    store.add_comparison(_comparison("cd" * 16, created_at=20.0, challenger_version=3))
    store.add_comparison(_comparison("e" * 32, model="other"))
    listed = store.list_comparisons("p", model="churn")
    assert [c.id for c in listed] == ["cd" * 16, "c" * 32]
    assert [c.id for c in store.list_comparisons("p", model="churn", version=3)] == [
        "cd" * 16
    ]
    assert len(store.list_comparisons("p", version=1)) == 3
    assert store.list_comparisons("p", limit=1)[0].id == "cd" * 16
    store.add_comparison(_comparison("cccc" + "f" * 28))
    with pytest.raises(AmbiguousIdError, match="comparison id prefix 'cccc'"):
        store.get_comparison("p", "cccc")


def test_comparisons_refuse_bad_records(store: Any) -> None:
    with pytest.raises(InvalidRecordError, match="comparison verdict must be one of"):
        store.add_comparison(_comparison(verdict="maybe"))
    with pytest.raises(InvalidRecordError, match="challenger_version must be"):
        store.add_comparison(_comparison(challenger_version=0))
    with pytest.raises(InvalidRecordError, match="cannot be stored as JSON"):
        store.add_comparison(_comparison(window={"x": object()}))


def test_watches_round_trip_update_and_filter(store: Any) -> None:
    store.add_watch(_watch())
    store.add_watch(_watch("v" * 32, created_at=12.0, alias="staging"))
    assert store.get_watch("p", "w" * 32) == _watch()
    assert store.get_watch("p", "wwww").id == "w" * 32
    changed = store.update_watch(
        "p",
        "w" * 32,
        {"state": "rolled_back", "evidence": {"accuracy": 0.5}, "ended_at": 99.0},
    )
    assert (changed.state, changed.evidence, changed.ended_at) == (
        "rolled_back",
        {"accuracy": 0.5},
        99.0,
    )
    assert store.get_watch("p", "w" * 32) == changed
    assert [w.id for w in store.list_watches("p")] == ["v" * 32, "w" * 32]
    watching = store.list_watches("p", states=["watching"])
    assert [w.alias for w in watching] == ["staging"]
    assert store.list_watches("p", alias="production", model="churn") == [changed]


def test_watches_refuse_bad_changes(store: Any) -> None:
    store.add_watch(_watch())
    with pytest.raises(InvalidRecordError, match="Cannot change 'version'"):
        store.update_watch("p", "w" * 32, {"version": 3})
    with pytest.raises(InvalidRecordError, match="watch state must be one of"):
        store.update_watch("p", "w" * 32, {"state": "asleep"})
    with pytest.raises(WatchNotFoundError, match="no promotion watch"):
        store.update_watch("p", "x" * 32, {"state": "passed"})
    with pytest.raises(WatchNotFoundError, match="no promotion watch"):
        store.get_watch("p", "x" * 32)
    with pytest.raises(InvalidRecordError, match="already exists"):
        store.add_watch(_watch())


def test_the_ledger_appends_and_filters_newest_first(store: Any) -> None:
    first = store.add_challenger_event(_event(comparison_id="c" * 32))
    second = store.add_challenger_event(
        _event("promoted", comparison_id="c" * 32, evidence={"registry_event": 4})
    )
    third = store.add_challenger_event(_event("rolled_back", watch_id="w" * 32))
    assert 0 < first.id < second.id < third.id
    assert store.get_challenger_event("p", second.id) == second
    assert store.get_challenger_event("p", 999_999) is None
    assert [e.id for e in store.list_challenger_events("p")] == [
        third.id,
        second.id,
        first.id,
    ]
    by_comparison = store.list_challenger_events("p", comparison_id="c" * 32)
    assert [e.action for e in by_comparison] == ["promoted", "compared"]
    assert store.list_challenger_events("p", actions=["rolled_back"]) == [third]
    assert store.list_challenger_events("p", watch_id="w" * 32) == [third]
    assert store.list_challenger_events("other") == []
    with pytest.raises(InvalidRecordError, match="challenger action must be one of"):
        store.add_challenger_event(_event("celebrated"))
