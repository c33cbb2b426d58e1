"""Group commit: writes that many requests make at the same moment, made in one transaction.

A database takes one writer at a time (SQLite) or serialises writers on shared rows (the audit
chain's head, a CAD counter), and a transaction costs the same fixed work however little it
writes. Under load, requests therefore hand their writes to a :class:`GroupWriter`: one of the
waiting request threads (the leader) writes everything waiting, up to ``most``, in one call of
``write`` — one transaction — and every request gets its own result back. Nothing waits on
purpose: a batch is what arrived while the previous one was being written, so a quiet system
writes each request alone, as before, and a busy one writes larger batches, fewer times.

If a batch fails, each of its items is written again alone (one transaction each), so one bad
item never fails the others and each request gets its own error. No thread of its own is kept:
the leader is a request thread, which uses its own database connection, and after writing the
batch holding its own item it hands the lead to the oldest request still waiting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Slot(Generic[T, R]):
    item: T
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    done: bool = False
    result: R | None = None
    error: BaseException | None = None

    def finish(self, result: R | None = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.woken.set()

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]  # set with done, by finish()


class GroupWriter(Generic[T, R]):
    """Writes items in batches with ``write(items) -> results`` (one result per item, in order),
    which must be one transaction. :meth:`submit` blocks until its item is written."""

    def __init__(self, write: Callable[[list[T]], list[R]], most: int = 50) -> None:
        self._write = write
        self._most = most
        self._mutex = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._leading = False

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._mutex:
            self._waiting.append(slot)
            if not self._leading:
                self._leading = slot.lead = True
        if not slot.lead:
            slot.woken.wait()  # until written by a leader, or made the leader
        if slot.lead:
            self._lead(slot)
        return slot.outcome()

    def _lead(self, own: _Slot[T, R]) -> None:
        try:
            while not own.done:
                with self._mutex:
                    batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                self._write_batch(batch)
        finally:
            with self._mutex:
                successor = self._waiting[0] if self._waiting else None
                self._leading = successor is not None
                if successor is not None:
                    successor.lead = True
                    successor.woken.set()

    def _write_batch(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._write([slot.item for slot in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0].finish(error=error)
                return
            try:
                for slot in batch:  # each alone: its own transaction, its own error
                    self._write_batch([slot])
            finally:
                _abandon(batch)
        except BaseException:
            _abandon(batch)  # the leader is stopping: nobody may wait for ever
            raise
        else:
            for slot, result in zip(batch, results, strict=True):
                slot.finish(result)


def _abandon(batch: list[_Slot[T, R]]) -> None:
    for slot in batch:
        if not slot.done:
            slot.finish(error=RuntimeError("The write stopped before this was saved: send it again."))
