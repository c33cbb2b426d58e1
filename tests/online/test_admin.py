"""Django admin shows failing deliveries (with the last error) and lets an administrator retry
them; reports are read-only there and never show the reporter's details."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bluelamp.core.models import Force, User
from bluelamp.online import delivery
from bluelamp.online.models import Delivery, Destination
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


def test_failing_deliveries_are_listed_and_can_be_retried(walk: Walk, sites: dict[str, Force]) -> None:
    Destination.objects.filter(force=sites["met"]).update(kind="https", url="http://127.0.0.1:9/down")
    reference = walk.report("crime")
    delivery.deliver_due()
    admin = User.objects.create_superuser(username="root", password="a-long-test-password")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/online/delivery/").content.decode()
    assert reference in page
    assert "ConnectError" in page
    assert client.get("/admin/online/destination/").status_code == 200
    report_page = client.get("/admin/online/report/").content.decode()
    assert reference in report_page
    failing = Delivery.objects.get()
    assert failing.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    client.post("/admin/online/delivery/", {"action": "retry_now", "_selected_action": [failing.pk]})
    assert Delivery.objects.get().next_attempt_at <= timezone.now()
    detail = client.get(f"/admin/online/report/{failing.report_id}/change/").content.decode()
    assert "sam@example.com" not in detail
