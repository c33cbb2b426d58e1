"""Group commit: requests that write at the same moment share a transaction, and each still gets
its own result or its own error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from bluelamp.core.groupcommit import GroupWriter


def _submit_all(writer: GroupWriter[int, int], items: list[int]) -> dict[int, int | BaseException]:
    """Submit each item from a thread of its own; what each thread got back."""
    got: dict[int, int | BaseException] = {}

    def submit(item: int) -> None:
        try:
            got[item] = writer.submit(item)
        except BaseException as error:
            got[item] = error

    threads = [threading.Thread(target=submit, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a request was left waiting"
    return got


def _held_first_batch(write: Callable[[list[int]], list[int]], waiting: int) -> GroupWriter[int, int]:
    """A writer whose first batch waits until ``waiting`` more items are queued behind it, so the
    next batch is known to hold them all."""
    writer: GroupWriter[int, int]
    first = threading.Event()

    def held(items: list[int]) -> list[int]:
        if not first.is_set():
            first.set()
            deadline = time.monotonic() + 10
            while len(writer._waiting) < waiting and time.monotonic() < deadline:
                time.sleep(0.001)
        return write(items)

    writer = GroupWriter(held)
    return writer


def test_requests_arriving_during_a_write_are_written_together() -> None:
    batches: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        batches.append(list(items))
        return [item * 10 for item in items]

    writer = _held_first_batch(write, waiting=7)
    got = _submit_all(writer, list(range(8)))
    assert got == {item: item * 10 for item in range(8)}
    assert len(batches) == 2  # the first, then the 7 that queued behind it
    assert sorted(batches[0] + batches[1]) == list(range(8))


def test_a_bad_item_fails_alone_and_the_others_are_written() -> None:
    batches: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        batches.append(list(items))
        if 3 in items:
            raise ValueError("3 is refused")
        return [item + 100 for item in items]

    writer = _held_first_batch(write, waiting=5)
    got = _submit_all(writer, list(range(6)))
    assert isinstance(got[3], ValueError)
    assert str(got[3]) == "3 is refused"
    assert {item: value for item, value in got.items() if item != 3} == {i: i + 100 for i in range(6) if i != 3}
    assert [3] in batches  # the failed batch was written again one item at a time
    assert sum(1 for batch in batches if batch == [3]) == 1  # and the item alone was tried once, not twice


def test_an_item_written_alone_is_tried_once() -> None:
    calls: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        calls.append(list(items))
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        GroupWriter(write).submit(1)
    assert calls == [[1]]


def test_the_lead_passes_on_so_no_request_waits_for_ever() -> None:
    """Every request is answered even when the leader stops with something that is not an
    ordinary error (as when its thread is being stopped)."""

    class Stop(BaseException):
        pass

    def write(items: list[int]) -> list[int]:
        if 0 in items:
            raise Stop
        return items

    writer = _held_first_batch(write, waiting=4)
    got = _submit_all(writer, list(range(5)))
    assert all(item in got for item in range(5))
    stopped = [item for item, value in got.items() if isinstance(value, BaseException)]
    assert 0 in stopped
    assert all(got[item] == item for item in range(5) if item not in stopped)
    assert writer.submit(9) == 9  # and the writer still works afterwards
