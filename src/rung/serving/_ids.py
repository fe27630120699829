"""Prediction ids: a random per-process prefix plus a zero-padded counter.

A UUID per row costs microseconds each, which shows at thousands of rows per
request. Instead a 64-bit random prefix is drawn once per process and each
row gets the next counter value: unique across processes and restarts (in
practice), and a request's ids are one :class:`IdRange` that is turned into
strings only where needed (vectorised by Arrow for the log and Arrow
responses, a list for JSON).

:class:`IssuedIds` remembers which ids a server handed out, as counter
intervals (a few per second of traffic, merged when consecutive), so a label
for one of them is recognised without reading the log.
"""

from __future__ import annotations

import bisect
import functools
import os
import threading
import time
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["IdRange", "IssuedIds", "PredictionIds", "ids_to_arrow"]

_DIGITS = 12
_PREFIX = attrgetter("prefix")
_COUNT = attrgetter("count")
_START = attrgetter("start")


@dataclass(frozen=True, slots=True)
class IdRange:
    """``count`` consecutive prediction ids: ``prefix`` + counter ``start``...."""

    prefix: str
    start: int
    count: int

    def __len__(self) -> int:
        return self.count

    def tolist(self) -> list[str]:
        """The ids as Python strings."""
        prefix = self.prefix
        return [f"{prefix}{n:012d}" for n in range(self.start, self.start + self.count)]

    def to_json(self) -> bytes:
        """The ids as a JSON array, written by NumPy (no Python string per id).

        Ids are ASCII (a hex prefix and digits): nothing to escape.
        """
        if self.count == 0:
            return b"[]"
        if self.start + self.count > 10**_DIGITS or not self.prefix.isascii():
            import json  # a counter past 12 digits: ids get longer

            return json.dumps(self.tolist(), separators=(",", ":")).encode()
        # '"' + id + '",' per id, then the last comma becomes the closing ']'.
        out = self._text(b'"', b'",')
        return b"[" + out.tobytes()[:-1] + b"]"

    def _text(self, before: bytes, after: bytes) -> np.ndarray[Any, Any]:
        """One row of ASCII bytes per id: ``before`` + id + ``after``.

        The digits come three at a time from a table of "000".."999": four
        lookups per id instead of twelve divisions.
        """
        import numpy as np

        head = before + self.prefix.encode("ascii")
        out = np.empty((self.count, len(head) + _DIGITS + len(after)), np.uint8)
        out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
        out[:, len(head) + _DIGITS :] = np.frombuffer(after, dtype=np.uint8)
        numbers = np.arange(self.start, self.start + self.count, dtype=np.int64)
        high, low = np.divmod(numbers, 1_000_000)
        table = _triples()
        groups = [table[part] for half in (high, low) for part in np.divmod(half, 1000)]
        digits = np.stack(groups, axis=1).view(np.uint8)
        out[:, len(head) : len(head) + _DIGITS] = digits.reshape(self.count, _DIGITS)
        return out

    def to_arrow(self) -> pa.Array:
        """The ids as an Arrow string array (no Python string per row)."""
        return ids_to_arrow([self])

    def part(self, offset: int, count: int) -> IdRange:
        """``count`` ids of this range, from ``offset``."""
        return IdRange(self.prefix, self.start + offset, count)


def ids_to_arrow(ranges: list[IdRange]) -> pa.Array:
    """The ids of several ranges as one Arrow string array, vectorised."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    prefixes = set(map(_PREFIX, ranges))
    if len(prefixes) > 1:  # ranges of other processes: one conversion each
        return pa.concat_arrays([ids_to_arrow([r]) for r in ranges])
    counts = np.fromiter(map(_COUNT, ranges), np.int64, len(ranges))
    starts = np.fromiter(map(_START, ranges), np.int64, len(ranges))
    offsets = np.cumsum(counts) - counts
    numbers = np.arange(int(counts.sum()), dtype=np.int64)
    numbers += np.repeat(starts - offsets, counts)
    prefix = prefixes.pop() if prefixes else ""
    if int(numbers.max(initial=0)) < 10**_DIGITS:
        # 10**12 + n is "1" and n's 12 digits: the "1" becomes the prefix
        # (one Arrow call where padding and joining took two, at twice the cost)
        text = pc.cast(pa.array(numbers + 10**_DIGITS), pa.string())
        return pc.binary_replace_slice(text, 0, 1, prefix)
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), _DIGITS, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


@functools.cache
def _triples() -> np.ndarray[Any, Any]:
    """The ASCII digits of 0..999, zero-padded, one 3-byte item each."""
    import numpy as np

    text = "".join(f"{n:03d}" for n in range(1000)).encode("ascii")
    return np.frombuffer(text, dtype="V3")


def _new_prefix() -> str:
    """16 random hex digits, the first a letter (``a``-``f``).

    An id of digits only (or digits around one ``e``) reads as a number in
    pandas, spreadsheets and most CSV tools, which round it: the ids of a
    labelling sheet then no longer match the log.
    """
    raw = os.urandom(9)
    return "abcdef"[raw[0] % 6] + raw[1:].hex()[:15]


class PredictionIds:
    """Hands out unique prediction ids, ``n`` at a time, from any thread.

    Example:
        >>> ids = PredictionIds().take(2).tolist()
        >>> len(ids[0]), ids[0] != ids[1]
        (28, True)
    """

    def __init__(self) -> None:
        self._prefix = _new_prefix()
        self._next = 0
        self._lock = threading.Lock()

    def take(self, count: int) -> IdRange:
        """Reserve ``count`` new ids (increasing)."""
        with self._lock:
            start = self._next
            self._next += count
        return IdRange(self._prefix, start, count)


class IssuedIds:
    """The ids recently handed out by one server: bounded, thread-safe.

    Ids are kept as intervals of the counter, with the time the interval
    began; consecutive ranges extend the last interval, so a steady stream of
    requests costs one interval. Past ``max_intervals`` the oldest go: those
    ids are then looked up in the prediction log instead.

    Example:
        >>> issued = IssuedIds()
        >>> ids = PredictionIds().take(3)
        >>> issued.add(ids)
        >>> issued.issued_at(ids.tolist()[1]) is not None
        True
    """

    def __init__(self, max_intervals: int = 100_000) -> None:
        self.max_intervals = max_intervals
        self._prefix: str | None = None
        self._starts: list[int] = []
        self._stops: list[int] = []
        self._times: list[float] = []
        self._lock = threading.Lock()

    def add(self, ids: IdRange, at: float | None = None) -> None:
        """Remember ``ids`` (one process's ranges; another prefix resets)."""
        when = time.time() if at is None else at
        stop = ids.start + ids.count
        with self._lock:
            if ids.prefix != self._prefix:
                self._prefix = ids.prefix
                self._starts, self._stops, self._times = [], [], []
            if self._stops and self._stops[-1] == ids.start:
                self._stops[-1] = stop
                return
            at_index = bisect.bisect_right(self._starts, ids.start)
            self._starts.insert(at_index, ids.start)
            self._stops.insert(at_index, stop)
            self._times.insert(at_index, when)
            if len(self._starts) > 2 * self.max_intervals:  # drop in bulk: amortised
                cut = len(self._starts) - self.max_intervals
                del self._starts[:cut], self._stops[:cut], self._times[:cut]

    def issued_at(self, prediction_id: str) -> float | None:
        """When the interval holding ``prediction_id`` began; None if unknown."""
        prefix, digits = prediction_id[:-_DIGITS], prediction_id[-_DIGITS:]
        if prefix != self._prefix or not (digits.isascii() and digits.isdigit()):
            return None
        number = int(digits)
        with self._lock:
            i = bisect.bisect_right(self._starts, number) - 1
            if i >= 0 and number < self._stops[i]:
                return self._times[i]
        return None
