"""update_rows: each row's own values, only the fields named, one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bluelamp.core.db.rows import update_rows
from bluelamp.core.models import Force, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]


def test_each_row_gets_its_own_values_and_nothing_else_changes() -> None:
    met, city = Force.objects.get(code="met"), Force.objects.get(code="city")
    users = [
        User.objects.create_user(username=f"u{i}", force=met, first_name="Old", last_name=f"L{i}") for i in range(4)
    ]
    changed, untouched = users[:3], users[3]
    when = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    for number, user in enumerate(changed):
        user.first_name, user.force, user.last_login = f"New{number}", city, when + dt.timedelta(minutes=number)
        user.last_name = "not saved"  # not among the fields named
    with CaptureQueriesContext(connection) as statements:
        update_rows(changed, ["first_name", "force", "last_login"])
    assert len(statements.captured_queries) == 1
    for number, user in enumerate(changed):
        saved = User.objects.get(pk=user.pk)
        assert (saved.first_name, saved.force_id) == (f"New{number}", city.pk)
        assert saved.last_login == when + dt.timedelta(minutes=number)
        assert saved.last_name == f"L{number}"
    saved = User.objects.get(pk=untouched.pk)
    assert (saved.first_name, saved.force_id, saved.last_login) == ("Old", met.pk, None)


def test_no_rows_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as statements:
        update_rows([], ["first_name"])
    assert statements.captured_queries == []


def test_a_field_without_a_column_of_its_own_is_refused() -> None:
    user = User.objects.create_user(username="u9", force=Force.objects.get(code="met"))
    with pytest.raises(ValueError, match="groups has no column"):
        update_rows([user], ["groups"])
