"""Sessions kept in the database, as Django's ``db`` engine keeps them, read and saved with
statements built once (bluelamp.core.db.rows) rather than compiled by the ORM on every request.

Every page opens its session and most save it: a public report journey's pages each read it
once and write it once, and a member of staff's every request records its activity in it. A
profile of the crime journey found the ORM building those two statements took a quarter of a
page's time; the database ran them in a fraction of that. Making a session, ending one and
clearing the expired ones stay Django's: they happen once a session, not once a page."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import router, transaction
from django.utils import timezone

from bluelamp.core.db.rows import select_rows, update_rows


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = select_rows(Session, "session_key = %s AND expire_date > %s", [self.session_key, timezone.now()])
        if not found:
            self._session_key = None  # as Django's: unknown or expired, so a new one is made when saved
            return None
        return found[0]

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            super().save(must_create=must_create)
            return
        session = self.create_model_instance(self._get_session(no_load=False))  # type: ignore[attr-defined]  # not in the stubs
        # A transaction, as Django's engine saves it: on SQLite a write outside one would skip
        # the queue of writers (bluelamp.core.db.sqlite3) and meet SQLite's busy handler.
        with transaction.atomic(using=router.db_for_write(Session)):
            updated = update_rows([session], ["session_data", "expire_date"])
        if not updated:
            raise UpdateError  # ended meanwhile (signed out in another tab): the middleware says so
