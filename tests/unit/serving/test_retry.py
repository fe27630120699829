"""LoadRetries: when a version that failed to load is tried again."""

from __future__ import annotations

from rung.serving import LoadFailure
from rung.serving._retry import LoadRetries


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_wait_doubles_after_each_failure_up_to_the_cap() -> None:
    clock = Clock()
    retries = LoadRetries(base=2.0, cap=60.0, clock=clock)
    waits = []
    for _ in range(7):
        failure = retries.failed(3, OSError("artifact missing"))
        waits.append(round(failure.retry_at - failure.failed_at, 6))
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert retries.failures()[0].attempts == 7


def test_a_failed_version_is_due_again_once_its_wait_is_over() -> None:
    clock = Clock()
    retries = LoadRetries(base=2.0, clock=clock)
    assert retries.is_due(3)
    retries.failed(3, OSError("artifact\nmissing"))
    assert not retries.is_due(3)
    assert retries.is_due(4)
    clock.now += 2.0
    assert retries.is_due(3)


def test_failures_are_reported_on_one_line_and_forgotten_when_unwanted() -> None:
    retries = LoadRetries(base=1.0, clock=Clock())
    retries.failed(3, OSError("artifact\nmissing"))
    retries.failed(4, ValueError("bad"))
    (three, four) = retries.failures()
    assert isinstance(three, LoadFailure)
    assert three.error == "OSError: artifact missing"
    assert four.describe()["error"] == "ValueError: bad"
    retries.keep_only(4)
    assert [f.version for f in retries.failures()] == [4]
    retries.keep_only(None)
    assert retries.failures() == []
