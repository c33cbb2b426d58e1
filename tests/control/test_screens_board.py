"""The resource board and the urgent-assistance takeover, over real HTTP requests: units by BCU
with their status (tag and words), time in status and status timers, crew skills and incident;
filters; setting a status with clear refusals; the takeover on every control-room screen of the
BCU until acknowledged."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.control.models import Resource, UrgentAssistance
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core.models import Force, User
from tests.control.conftest import MakeUser, clock, london_time, make_unit, new_incident, officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]

LONG_AGO = dt.date(2020, 1, 1)
MORNING = london_time(2026, 11, 24, 9, 0)


def driver(force: Force, name: str) -> object:
    return officer(force, name, skills={"RESPONSE_DRIVER": (LONG_AGO, None)})


@pytest.fixture
def units(supervisor: User, met: Force) -> dict[str, Resource]:
    with clock(MORNING):
        return {
            "MD21": make_unit(supervisor, "MD21", "IRV", driver(met, "Patel"), bcu="CW"),
            "MD22": make_unit(supervisor, "MD22", "IRV", driver(met, "Jones"), bcu="CW", status="UNV"),
            "NH11": make_unit(supervisor, "NH11", "FOOT", officer(met, "Brown"), bcu="CN"),
        }


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row[^"]*" id="unit-\d+">(.*?)</tr>', html, flags=re.S)


def test_the_board_lists_units_by_bcu_with_status_crew_and_skills(
    client: Client, dispatcher: User, units: dict[str, Resource]
) -> None:
    with clock(MORNING + dt.timedelta(minutes=5)):
        page = signed_in(client, dispatcher).get(reverse("control:units")).content.decode()
    captions = re.findall(r'govuk-table__caption--m">([^<]+)<', page)
    assert [c.strip() for c in captions] == ["Central North", "Central West"]
    assert 'govuk-tag--green">AVL Available<' in page
    assert 'govuk-tag--orange">UNV Unavailable<' in page
    assert 'PC Patel <span class="govuk-body-s">(Response driver)</span>' in page
    assert "PC Brown" in page  # no authorisations: the name alone
    assert "5 min" in page
    assert 'aria-current="page">Resource board<' in page


def test_a_status_timer_that_has_run_out_is_highlighted_in_words(
    client: Client, dispatcher: User, supervisor: User, units: dict[str, Resource]
) -> None:
    with clock(MORNING):
        incident = new_incident(supervisor)
        unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=units["MD21"])
        assignment = units["MD21"].assignments.get()
        unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="at_scene")
    with clock(MORNING + dt.timedelta(minutes=46)):
        page = signed_in(client, dispatcher).get(reverse("control:units")).content.decode()
    md21 = next(r for r in rows(page) if "MD21" in r)
    assert "At scene 46 min — check on welfare" in md21
    assert incident.reference in md21
    assert "bl-board__due" in page
    md22 = next(r for r in rows(page) if "MD22" in r)
    assert "check on welfare" not in md22


def test_the_board_filters_by_bcu_type_and_status(client: Client, dispatcher: User, units: dict[str, Resource]) -> None:
    signed_in(client, dispatcher)
    by_bcu = client.get(reverse("control:units"), {"bcu": "CN"}).content.decode()
    assert "NH11" in by_bcu
    assert "MD21" not in by_bcu
    by_type = client.get(reverse("control:units"), {"unit_type": "IRV"}).content.decode()
    assert "MD21" in by_type
    assert "NH11" not in by_type
    by_status = client.get(reverse("control:units"), {"base_type": "unavailable", "fragment": "rows"})
    text = by_status.content.decode()
    assert "MD22" in text
    assert "MD21" not in text
    assert "<h1" not in text  # only the fragment


def test_another_forces_units_are_not_on_the_board(
    client: Client, city_handler: User, units: dict[str, Resource]
) -> None:
    page = signed_in(client, city_handler).get(reverse("control:units")).content.decode()
    assert "MD21" not in page
    assert "No units match." in page


def test_the_board_needs_the_permission(client: Client, met: Force, make_user: MakeUser) -> None:
    assert signed_in(client, make_user("nobody", met)).get(reverse("control:units")).status_code == 403


def test_setting_a_status_from_the_board(client: Client, dispatcher: User, units: dict[str, Resource]) -> None:
    unit = units["MD22"]
    response = signed_in(client, dispatcher).post(
        reverse("control:unit-status", args=[unit.pk]),
        {"status": "AVL", "expected_version": unit.version, "next": "/control/units/?bcu=CW"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/control/units/?bcu=CW"
    assert "MD22 is now AVL Available." in response.content.decode()
    unit.refresh_from_db()
    assert unit.status.code == "AVL"


def test_a_refused_status_change_says_why_and_changes_nothing(
    client: Client, handler: User, dispatcher: User, units: dict[str, Resource]
) -> None:
    unit = units["MD22"]
    before = unit.version
    refused = signed_in(client, handler).post(
        reverse("control:unit-status", args=[unit.pk]), {"status": "AVL", "expected_version": before}
    )
    assert refused.status_code == 403
    assert "MD22&#x27;s status was not changed: Your role does not allow this." in refused.content.decode()
    stale = signed_in(Client(), dispatcher).post(
        reverse("control:unit-status", args=[unit.pk]), {"status": "AVL", "expected_version": before - 1}
    )
    assert stale.status_code == 409
    assert "Someone else changed unit MD22" in stale.content.decode()
    unknown = signed_in(Client(), dispatcher).post(
        reverse("control:unit-status", args=[unit.pk]), {"status": "ZZZ", "expected_version": before}
    )
    assert unknown.status_code == 422
    assert "is not one of your force&#x27;s unit statuses" in unknown.content.decode()
    unit.refresh_from_db()
    assert (unit.version, unit.status.code) == (before, "UNV")


def test_a_status_change_never_redirects_off_the_site(
    client: Client, dispatcher: User, units: dict[str, Resource]
) -> None:
    unit = units["MD22"]
    response = signed_in(client, dispatcher).post(
        reverse("control:unit-status", args=[unit.pk]),
        {"status": "AVL", "expected_version": unit.version, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("control:units")


# Urgent assistance --------------------------------------------------------------------------


def test_an_open_alert_takes_over_the_screens_of_its_bcu_on_page_load(
    client: Client, dispatcher: User, units: dict[str, Resource]
) -> None:
    alert = urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"]).alert  # a CW unit
    signed_in(client, dispatcher)
    for url in ("/control/incidents/", "/control/units/", "/control/units/?bcu=CW", "/control/map/"):
        page = client.get(url).content.decode()
        assert 'role="alertdialog"' in page, url
        assert "Urgent assistance: MD21" in page
        assert f"/control/urgent/{alert.pk}/acknowledge" in page
    for url in ("/control/units/", "/control/incidents/"):
        other_bcu = client.get(url, {"bcu": "CN"}).content.decode()
        assert 'role="alertdialog"' not in other_bcu, url
    fragment = client.get(reverse("control:urgent"), {"bcu": "CW", "next": "/control/units/"}).content.decode()
    assert 'name="next" value="/control/units/"' in fragment


def test_acknowledging_clears_the_alert_on_every_screen(
    client: Client, dispatcher: User, supervisor: User, units: dict[str, Resource]
) -> None:
    alert = urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"]).alert
    response = signed_in(client, supervisor).post(
        reverse("control:acknowledge-urgent", args=[alert.pk]), {"next": "/control/units/"}, follow=True
    )
    assert "Urgent assistance for MD21 acknowledged" in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert alert.acknowledged_by == supervisor
    again = signed_in(Client(), dispatcher)
    assert 'role="alertdialog"' not in again.get("/control/incidents/").content.decode()
    twice = again.post(reverse("control:acknowledge-urgent", args=[alert.pk]), follow=True)
    assert "already acknowledged this alert" in twice.content.decode()


def test_a_call_handler_sees_the_alert_but_cannot_acknowledge_it(
    client: Client, handler: User, dispatcher: User, units: dict[str, Resource]
) -> None:
    alert = urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"]).alert
    page = signed_in(client, handler).get("/control/incidents/").content.decode()
    assert "Urgent assistance: MD21" in page
    assert "Acknowledge MD21" not in page
    assert "data-urgent-minimise" in page
    assert client.post(reverse("control:acknowledge-urgent", args=[alert.pk])).status_code == 403
    assert UrgentAssistance.objects.get(pk=alert.pk).acknowledged_at is None


def test_another_force_never_sees_the_alert(
    client: Client, city_handler: User, dispatcher: User, units: dict[str, Resource]
) -> None:
    alert = urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"]).alert
    signed_in(client, city_handler)
    assert "Urgent assistance" not in client.get("/control/incidents/").content.decode()
    assert client.post(reverse("control:acknowledge-urgent", args=[alert.pk])).status_code == 404


def test_the_board_flags_units_whose_position_is_out_of_date(
    client: Client, dispatcher: User, met: Force, units: dict[str, Resource], django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from bluelamp.core.access import ClientActor
    from bluelamp.dispatch import avl, store

    store.forget()
    feed = ClientActor(token_id=0, name="AVL", force_id=met.pk, permissions=frozenset({avl.SEND_POSITIONS}))
    now = timezone.now()
    items = [
        {"unit": "MD21", "at": now.isoformat(), "lat": 51.509, "lon": -0.128, "source": "avl"},
        {
            "unit": "MD22",
            "at": (now - dt.timedelta(minutes=10)).isoformat(),
            "lat": 51.52,
            "lon": -0.1,
            "source": "avl",
        },
    ]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            avl.ingest_positions(actor=feed, items=items)
        page = signed_in(client, dispatcher).get(reverse("control:units")).content.decode()
    finally:
        store.forget()
    found = {call_sign: next(r for r in rows(page) if f">{call_sign}<" in r) for call_sign in ("MD21", "MD22", "NH11")}
    assert ">Current<" in found["MD21"]
    assert "Out of date" in found["MD22"]
    assert "Not known" in found["NH11"]


def test_after_a_refused_form_acknowledging_goes_back_to_a_page_that_opens(
    client: Client, dispatcher: User, units: dict[str, Resource]
) -> None:
    urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"])
    unit = units["MD22"]
    refused = signed_in(client, dispatcher).post(
        reverse("control:unit-status", args=[unit.pk]), {"status": "ZZZ", "expected_version": unit.version}
    )
    page = refused.content.decode()
    assert 'name="next" value="/control/incidents/"' in page
    assert '&amp;next=/control/incidents/"' in page  # the live refresh of the takeover too


def test_the_alert_says_where_the_unit_was_last_seen(
    client: Client, dispatcher: User, met: Force, units: dict[str, Resource], django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from bluelamp.core.access import ClientActor
    from bluelamp.dispatch import avl, store

    store.forget()
    feed = ClientActor(token_id=0, name="AVL", force_id=met.pk, permissions=frozenset({avl.SEND_POSITIONS}))
    item = {"unit": "MD21", "at": timezone.now().isoformat(), "lat": 51.509, "lon": -0.128, "source": "avl"}
    try:
        with django_capture_on_commit_callbacks(execute=True):
            avl.ingest_positions(actor=feed, items=[item])
        urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"])
        page = signed_in(client, dispatcher).get("/control/incidents/").content.decode()
    finally:
        store.forget()
    assert "Last vehicle position: Westminster, 51.50900, -0.12800" in page
