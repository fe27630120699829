"""Ids: UUID4s, unique, and a forked child never repeats its parent's."""

from __future__ import annotations

import multiprocessing
import uuid

from rung._internal.ids import new_id


def _send_ids(queue: multiprocessing.Queue[list[str]]) -> None:
    queue.put([new_id() for _ in range(300)])


def test_ids_are_distinct_uuid4s() -> None:
    ids = [new_id() for _ in range(3000)]  # several batches of randomness

    parsed = [uuid.UUID(i) for i in ids]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 for i in ids)
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}


def test_a_forked_child_draws_its_own_ids() -> None:
    new_id()  # the parent holds unused randomness when it forks
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[str]] = context.Queue()
    child = context.Process(target=_send_ids, args=(queue,))
    child.start()
    from_child = queue.get(timeout=60)
    child.join(timeout=60)

    from_parent = [new_id() for _ in range(300)]
    assert not set(from_child) & set(from_parent)


def _send_pid(queue: multiprocessing.Queue[tuple[int, int]]) -> None:
    import os

    from rung._internal.process import current_pid

    queue.put((current_pid(), os.getpid()))


def test_current_pid_is_renewed_in_a_forked_child() -> None:
    import os

    from rung._internal.process import current_pid

    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    child = context.Process(target=_send_pid, args=(queue,))
    child.start()
    told, real = queue.get(timeout=60)
    child.join(timeout=60)

    assert told == real != os.getpid()
    assert current_pid() == os.getpid()
