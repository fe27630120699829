"""Prediction ids, and the ids a server remembers issuing."""

from __future__ import annotations

import pytest

from rung.serving import _ids
from rung.serving._ids import IdRange, IssuedIds, PredictionIds, ids_to_arrow


def test_issued_ids_know_their_ranges_and_when_they_began() -> None:
    ids, issued = PredictionIds(), IssuedIds()
    first = ids.take(3)
    issued.add(first, at=10.0)
    issued.add(ids.take(2), at=11.0)  # consecutive: extends the interval
    skipped = ids.take(4)  # e.g. batch scoring in the same process
    last = ids.take(1)
    issued.add(last, at=12.0)
    assert [issued.issued_at(i) for i in first.tolist()] == [10.0, 10.0, 10.0]
    assert issued.issued_at(last.tolist()[0]) == 12.0
    assert {issued.issued_at(i) for i in skipped.tolist()} == {None}
    assert issued.issued_at("0" * 28) is None
    assert issued.issued_at("short") is None
    assert issued.issued_at(first.prefix + "x" * 12) is None


def test_issued_ids_forget_the_oldest_intervals_past_the_bound() -> None:
    ids, issued = PredictionIds(), IssuedIds(max_intervals=2)
    ranges = []
    for n in range(6):
        ranges.append(ids.take(1))
        ids.take(1)  # a gap: one interval each
        issued.add(ranges[-1], at=float(n))
    known = [issued.issued_at(r.tolist()[0]) for r in ranges]
    assert known[-2:] == [4.0, 5.0]
    assert known[0] is None


@pytest.mark.parametrize(
    "ranges",
    [
        [IdRange("0123456789abcdef", 0, 3)],
        [IdRange("ab", 999, 3), IdRange("ab", 5_000, 0), IdRange("ab", 10**12 - 2, 2)],
        [IdRange("ab", 10**12 - 1, 3)],  # past 12 digits: longer ids
        [IdRange("p", 1, 2), IdRange("q", 7, 1)],  # ids of two processes
        [IdRange("x", 3, 0)],
        [],
    ],
)
def test_ids_as_arrow_are_their_strings(ranges: list[IdRange]) -> None:
    array = ids_to_arrow(ranges)
    array.validate(full=True)
    assert str(array.type) == "string"
    assert array.to_pylist() == [i for r in ranges for i in r.tolist()]
    for one in ranges:
        assert one.to_arrow().to_pylist() == one.tolist()


def test_ids_never_read_as_numbers_in_csv_tools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    import pandas as pd

    # Random bytes whose hex is all digits: ids that pandas would read as
    # (rounded) numbers, were the prefix that hex.
    monkeypatch.setattr(_ids.os, "urandom", lambda n: bytes([0x12] * n))
    ids = PredictionIds().take(3).tolist()

    read = pd.read_csv(io.StringIO("prediction_id\n" + "\n".join(ids)))

    assert read["prediction_id"].tolist() == ids
    assert ids[0][0] in "abcdef" and len(ids[0]) == 28
