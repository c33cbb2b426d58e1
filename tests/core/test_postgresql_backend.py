"""bluelamp.core.db.postgresql: the statements every request runs (bluelamp.core.db.rows) are
prepared on PostgreSQL from their second run; the ORM's are not; the group commit's INSERTs
number their placeholders; what is logged has the values written in; and a failed transaction
leaves the prepared statements usable. Run in the PostgreSQL run of `make test`."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from bluelamp.core.db.rows import MOST_ROWS_PREPARED, insert_rows, select_rows
from bluelamp.core.models import Force, OutboxEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (this runs in the PostgreSQL run)")


def _prepared(fragment: str) -> list[str]:
    """This connection's prepared statements whose text holds ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return [statement for (statement,) in cursor.fetchall()]


def test_a_hot_read_is_prepared_from_its_second_run_and_an_orm_read_never() -> None:
    assert select_rows(Force, "code = %s", ["met"])[0].code == "met"
    assert _prepared('FROM "core_force" WHERE code') == []  # once: not worth preparing
    for code in ("city", "met"):
        assert select_rows(Force, "code = %s", [code])[0].code == code
    assert _prepared('FROM "core_force" WHERE code = $1') != []

    for _ in range(3):
        Force.objects.get(code="met")
    assert _prepared('"core_force"."code"') == []  # the ORM binds on the client: nothing prepared


def test_a_group_commits_insert_numbers_its_placeholders_and_logs_its_values() -> None:
    with CaptureQueriesContext(connection) as statements:
        events = insert_rows([OutboxEvent(topic="test.numbered", payload={"n": n}) for n in range(3)])
    (logged,) = [s["sql"] for s in statements.captured_queries if s["sql"].startswith("INSERT")]
    assert "'test.numbered'" in logged  # the values written in …
    assert "$" not in logged  # … not the placeholders
    stored = dict(OutboxEvent.objects.filter(topic="test.numbered").values_list("pk", "payload"))
    assert [stored[event.pk] for event in events] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_large_load_is_written_in_statements_of_at_most_the_prepared_size() -> None:
    count = 2 * MOST_ROWS_PREPARED + 50
    with CaptureQueriesContext(connection) as statements:
        insert_rows([OutboxEvent(topic="test.load", payload={"n": n}) for n in range(count)])
    inserts = [s for s in statements.captured_queries if s["sql"].startswith("INSERT")]
    assert len(inserts) == 3
    assert OutboxEvent.objects.filter(topic="test.load").count() == count


def test_a_failed_statement_leaves_the_prepared_ones_usable() -> None:
    for n in range(2):  # prepared now
        insert_rows([OutboxEvent(topic="test.before", payload={"n": n})])
    assert _prepared('INSERT INTO "core_outboxevent"') != []
    with pytest.raises(IntegrityError, match="topic"), transaction.atomic():
        insert_rows([OutboxEvent(topic=None, payload={})])  # the prepared statement, refused: no topic
    insert_rows([OutboxEvent(topic="test.before", payload={"n": 2})])
    assert [row.payload["n"] for row in select_rows(OutboxEvent, "topic = %s ORDER BY id", ["test.before"])] == [
        0,
        1,
        2,
    ]
