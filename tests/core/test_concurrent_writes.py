"""Several threads writing at once (as ASGI runs requests): every write lands, none fails with
"database is locked", and the audit chain stays one unbroken line."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bluelamp.core import audit
from bluelamp.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)
THREADS, EACH = 8, 25


def test_concurrent_audit_writes_all_land_in_one_chain() -> None:
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            for i in range(EACH):
                audit.record(operation="collection", actor=None, record_type="test.thing", record_ids=[number, i])
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert AuditEntry.objects.count() == THREADS * EACH
    assert audit.verify_chain().intact
