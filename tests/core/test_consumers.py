"""Consumers of the outbox: each reads every committed event once, in id order, at its own
cursor; waits for an event committed after a later one instead of skipping it; retries a
failing event with backoff instead of dropping it; and shows its lag and last error on
``/healthz`` and in ``bluelamp check``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from bluelamp.core import consumers, health
from bluelamp.core.events import emit
from bluelamp.core.models import ConsumerCursor, OutboxEvent
from tests.conftest import HANG_SECONDS

NAME = "test.recording"


class Recording:
    """A consumer that records what it handled, and fails while ``failing`` names a topic."""

    def __init__(self) -> None:
        self.handled: list[int] = []
        self.failing = ""

    def handle(self, event: OutboxEvent) -> None:
        if event.topic == self.failing:
            raise RuntimeError(f"cannot handle {event.topic}")
        self.handled.append(event.pk)

    def run(self, now: dt.datetime | None = None) -> int:
        return consumers.run(consumers.consumer(NAME), now=now)


@pytest.fixture
def recording(settings: Any) -> Iterator[Recording]:
    settings.BLUELAMP_CONSUMERS = "off"  # the test says when the consumer runs
    made = Recording()
    consumers.register(NAME, topics=("test.",), handle=made.handle)
    yield made
    consumers.unregister(NAME)


def cursor() -> ConsumerCursor:
    return ConsumerCursor.objects.get(name=NAME)


@pytest.mark.django_db
def test_each_event_is_handled_once_in_id_order_and_only_its_topics(recording: Recording) -> None:
    first = emit("test.one", n=1)
    emit("other.app.thing")  # not this consumer's: only moves its cursor
    second = emit("test.two", n=2)
    assert recording.run() == 3
    assert recording.handled == [first.pk, second.pk]
    assert cursor().position == second.pk
    assert recording.run() == 0  # nothing twice
    third = emit("test.three")
    recording.run()
    assert recording.handled == [first.pk, second.pk, third.pk]


@pytest.mark.django_db
def test_a_failing_event_is_retried_with_backoff_not_dropped(recording: Recording) -> None:
    before = emit("test.before")
    broken = emit("test.broken")
    after = emit("test.after")
    recording.failing = "test.broken"
    now = timezone.now()
    recording.run(now)
    assert recording.handled == [before.pk]  # stops at the failure: nothing after it is skipped past
    found = cursor()
    assert (found.position, found.failing_event_id, found.attempts) == (before.pk, broken.pk, 1)
    assert found.last_error == f"test.broken #{broken.pk}: RuntimeError: cannot handle test.broken"
    assert found.retry_at == now + consumers.FIRST_RETRY

    assert recording.run(now + consumers.FIRST_RETRY / 2) == 0  # too soon: waits
    recording.run(now + consumers.FIRST_RETRY)  # fails again: waits twice as long
    found = cursor()
    assert found.attempts == 2
    assert found.retry_at == now + consumers.FIRST_RETRY + 2 * consumers.FIRST_RETRY

    recording.failing = ""  # the cause is fixed
    recording.run(now + dt.timedelta(minutes=10))
    assert recording.handled == [before.pk, broken.pk, after.pk]
    found = cursor()
    assert (found.failing_event_id, found.attempts, found.retry_at) == (None, 0, None)
    assert "cannot handle" in found.last_error  # kept, for whoever looks


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [consumers.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert consumers.backoff(30) == dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_an_id_committed_late_is_handled_when_it_appears_not_skipped(recording: Recording) -> None:
    first = emit("test.first")
    recording.run()
    # As PostgreSQL may show them: id first+2 committed while first+1 is still in flight.
    OutboxEvent.objects.create(pk=first.pk + 2, topic="test.third")
    now = timezone.now()
    recording.run(now)
    assert recording.handled == [first.pk, first.pk + 2]
    assert set(cursor().gaps) == {str(first.pk + 1)}
    OutboxEvent.objects.create(pk=first.pk + 1, topic="test.second")  # now it commits
    recording.run(now + dt.timedelta(seconds=1))
    assert recording.handled == [first.pk, first.pk + 2, first.pk + 1]
    assert cursor().gaps == {}


@pytest.mark.django_db
def test_an_id_never_committed_is_given_up_after_the_grace_period(recording: Recording) -> None:
    first = emit("test.first")
    recording.run()
    OutboxEvent.objects.create(pk=first.pk + 2, topic="test.third")  # first+1 was rolled back
    now = timezone.now()
    recording.run(now)
    assert set(cursor().gaps) == {str(first.pk + 1)}
    recording.run(now + consumers.GAP_GRACE / 2)
    assert set(cursor().gaps) == {str(first.pk + 1)}  # still looked for
    recording.run(now + consumers.GAP_GRACE)
    assert cursor().gaps == {}


@pytest.mark.django_db(transaction=True)
def test_two_real_transactions_committing_out_of_id_order_lose_nothing(recording: Recording) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL lets two writers overlap (run with DATABASE_URL=postgresql://…)")
    recording.run()  # a consumer already running, as in production
    earlier = emit("test.earlier")
    recording.run()
    assert recording.handled == [earlier.pk]
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    slow: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                slow.append(emit("test.slow").pk)  # takes its id now...
                written.set()
                release.wait(HANG_SECONDS)  # ...and commits only after a later id has committed
        finally:
            connection.close()
            done.set()

    threading.Thread(target=slow_writer, daemon=True).start()
    assert written.wait(HANG_SECONDS)
    fast = emit("test.fast")  # autocommit: committed at once, with the higher id
    assert fast.pk > slow[0]
    recording.run()
    assert recording.handled == [earlier.pk, fast.pk]  # the slow one is not visible yet
    assert str(slow[0]) in cursor().gaps
    release.set()
    assert done.wait(HANG_SECONDS)
    recording.run()
    assert recording.handled == [earlier.pk, fast.pk, slow[0]]
    assert cursor().gaps == {}


@pytest.mark.django_db
def test_the_health_page_and_check_show_each_consumers_lag_and_last_error(recording: Recording, client: Client) -> None:
    emit("test.ok")
    broken = emit("test.broken")
    recording.failing = "test.broken"
    recording.run()
    emit("test.later")
    report = client.get("/healthz").json()
    assert report["status"] == "ok"  # a lagging consumer does not take the node out of service
    mine = report["consumers"][NAME]
    newest = OutboxEvent.objects.order_by("-pk").first()
    assert newest is not None
    assert mine["behind"] == newest.pk - cursor().position == 2
    assert mine["failing_event_id"] == broken.pk
    assert "cannot handle test.broken" in mine["last_error"]
    finding = health.consumers_finding()
    assert finding.level == "warning"
    assert NAME in finding.message
    assert "cannot handle test.broken" in finding.message


@pytest.mark.django_db
def test_consumers_run_once_the_emitting_transaction_commits(
    recording: Recording, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BLUELAMP_CONSUMERS = "inline"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        made = emit("test.committed")
    assert recording.handled == []  # not before the commit
    for callback in callbacks:
        callback()
    assert recording.handled == [made.pk]


@pytest.mark.django_db(transaction=True)
def test_the_worker_thread_is_woken_by_a_commit(recording: Recording, settings: Any) -> None:
    heard = threading.Event()
    made: list[int] = []

    def handle(event: OutboxEvent) -> None:
        made.append(event.pk)
        heard.set()

    consumers.register(NAME, topics=("test.",), handle=handle)
    consumers.run(consumers.consumer(NAME))  # the cursor starts after what is there
    settings.BLUELAMP_CONSUMERS = "thread"
    worker = consumers.worker()
    worker.poll = 60.0  # only the wake-up can make it run in time
    try:
        emit("test.woken")  # autocommit: committed at once, which wakes this process's worker
        assert heard.wait(HANG_SECONDS)
    finally:
        worker.stop()
        worker.poll = consumers.POLL_SECONDS
    assert len(made) == 1
