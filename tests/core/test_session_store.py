"""Sessions (bluelamp.core.session_store): what Django's database engine does, in one statement
per read and per save."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bluelamp.core.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _saved(**values: object) -> str:
    store = SessionStore()
    store.update(values)
    store.create()
    assert store.session_key
    return store.session_key


def test_a_saved_session_reads_back_in_one_statement() -> None:
    key = _saved(draft={"what": "bike stolen"}, step=3)
    with CaptureQueriesContext(connection) as statements:
        store = SessionStore(key)
        assert store["draft"] == {"what": "bike stolen"}
        assert store["step"] == 3
    assert len(statements.captured_queries) == 1


def test_a_change_is_saved_in_one_update_and_kept() -> None:
    key = _saved(step=3)
    store = SessionStore(key)
    store["step"] = 4
    store.set_expiry(600)
    with CaptureQueriesContext(connection) as statements:
        store.save()
    # Its own transaction: in a test's, a savepoint around it.
    (saving,) = [query for query in statements.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert 'UPDATE "django_session"' in saving["sql"]
    assert SessionStore(key)["step"] == 4
    expires = Session.objects.get(session_key=key).expire_date
    assert timezone.now() + dt.timedelta(seconds=590) < expires <= timezone.now() + dt.timedelta(seconds=600)


def test_an_expired_session_is_not_read_and_a_new_key_is_made_when_saved() -> None:
    key = _saved(step=3)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    store = SessionStore(key)
    assert store.get("step") is None
    store["step"] = 1
    store.save()
    assert store.session_key != key
    assert SessionStore(store.session_key)["step"] == 1


def test_saving_a_session_ended_meanwhile_is_refused_not_made_again() -> None:
    key = _saved(step=3)
    store = SessionStore(key)
    store["step"] = 4
    Session.objects.filter(session_key=key).delete()  # signed out in another tab
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=key).exists()


def test_pages_use_it() -> None:
    client = Client()
    client.get("/sign-in/")  # the sign-in page's form keeps nothing in the session yet
    response = client.post("/sign-in/", {"username": "nobody", "password": "wrong"})
    assert response.status_code == 200
    assert client.session.__class__ is SessionStore
