"""The command view and the map, over real HTTP requests: who may open them, the figures per
BCU and borough, target compliance today, the boundaries (BCU outlines as unions of boroughs),
the data behind the map and the list beside it, and assigning from the map with a reason when
the recommendation is overridden."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from shapely.geometry import shape

from bluelamp.control import screens
from bluelamp.control.incidents import grading
from bluelamp.control.models import Assignment, IncidentLogEntry, Resource
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core.models import Borough, Force, User
from tests.control.conftest import (
    ALL_LOW,
    HIGH_THREAT,
    ST_PAULS,
    MakeUser,
    clock,
    london_time,
    make_unit,
    new_incident,
    officer,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]

LONG_AGO = dt.date(2020, 1, 1)
MORNING = london_time(2026, 11, 24, 9, 0)
CAMDEN = (51.5390, -0.1426)  # Central North


@pytest.fixture
def commander(met: Force, make_user: MakeUser) -> User:
    return make_user("silver.met", met, "command")


@pytest.fixture
def units(supervisor: User, met: Force) -> dict[str, Resource]:
    driver = {"RESPONSE_DRIVER": (LONG_AGO, None)}
    return {
        "MD21": make_unit(supervisor, "MD21", "IRV", officer(met, "Patel", skills=driver), bcu="CW"),
        "MD22": make_unit(supervisor, "MD22", "IRV", officer(met, "Jones", skills=driver), bcu="CW"),
        "NH11": make_unit(supervisor, "NH11", "FOOT", officer(met, "Brown"), bcu="CN"),
    }


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# The command view ---------------------------------------------------------------------------


def test_only_command_roles_open_the_command_view(
    client: Client, commander: User, supervisor: User, dispatcher: User, handler: User
) -> None:
    for user, expected in ((commander, 200), (supervisor, 200), (dispatcher, 403), (handler, 403)):
        assert signed_in(Client(), user).get(reverse("control:command")).status_code == expected, user


def test_the_command_view_counts_per_bcu_and_borough(
    client: Client, commander: User, handler: User, dispatcher: User, units: dict[str, Resource]
) -> None:
    with clock(MORNING):
        graded = new_incident(handler)  # Trafalgar Square: Westminster, Central West
        grading.assess_incident(actor=handler, incident=graded, levels=HIGH_THREAT)  # I
        waiting = new_incident(handler)
        grading.assess_incident(actor=handler, incident=waiting, levels=ALL_LOW)
        new_incident(handler, where=CAMDEN, address="Camden High Street")  # not graded, Central North
        unit_assignments.assign_unit(actor=dispatcher, incident=graded, unit=units["MD21"])
    with clock(MORNING + dt.timedelta(minutes=20)):
        picture = screens.command_picture(actor=commander)
        page = signed_in(client, commander).get(reverse("control:command")).content.decode()
    west = next(a for a in picture.areas if a.code == "CW")
    north = next(a for a in picture.areas if a.code == "CN")
    assert (west.open_total, west.by_grade["I"], len(west.unresourced)) == (2, 1, 1)
    assert west.oldest_unresourced == 20
    assert (north.open_total, north.ungraded) == (1, 1)
    assert west.available_by_type == {"IRV": 1}  # MD21 is assigned
    assert north.available_by_type == {"FOOT": 1}
    assert west.compliance["I"] == (0, 1)  # I target 15 min passed without arrival
    assert west.i_percent == 0
    assert picture.total.open_total == 3
    assert {b.name for b in picture.boroughs} == {"Westminster", "Camden"}
    assert 'href="/control/incidents/?bcu=CW"' in page
    assert 'href="/control/incidents/?bcu=CW&amp;status=open"' in page
    assert "Wall display" in page


def test_the_wall_layout_and_the_fragment(client: Client, commander: User) -> None:
    signed_in(client, commander)
    wall = client.get(reverse("control:command"), {"wall": "1"}).content.decode()
    assert "bl-wall" in wall
    fragment = client.get(reverse("control:command"), {"fragment": "rows", "bcu": "CW"}).content.decode()
    assert "<h1" not in fragment
    assert 'id="bcu-CW"' in fragment
    assert 'id="bcu-CN"' not in fragment


def test_the_command_view_shows_open_urgent_assistance(
    client: Client, commander: User, dispatcher: User, units: dict[str, Resource]
) -> None:
    urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["NH11"])
    picture = screens.command_picture(actor=commander)
    assert picture.total.urgent == 1
    assert next(a for a in picture.areas if a.code == "CN").urgent == 1
    assert "NH11" in signed_in(client, commander).get(reverse("control:command")).content.decode()


def test_the_command_view_never_counts_another_force(client: Client, commander: User, city_handler: User) -> None:
    new_incident(city_handler, where=ST_PAULS, address="St Paul's Churchyard")
    assert screens.command_picture(actor=commander).total.open_total == 0


# The map ------------------------------------------------------------------------------------


def test_boundaries_give_each_borough_and_each_bcu_as_the_union_of_its_boroughs(
    client: Client, dispatcher: User, met: Force
) -> None:
    response = signed_in(client, dispatcher).get(reverse("control:map-boundaries"))
    assert response.status_code == 200
    features = response.json()["features"]
    boroughs = [f for f in features if f["properties"]["kind"] == "borough"]
    bcus = {f["properties"]["code"]: f for f in features if f["properties"]["kind"] == "bcu"}
    assert len(boroughs) == Borough.objects.filter(force=met).count() == 32
    assert len(bcus) == 12
    west = shape(bcus["CW"]["geometry"])
    for borough in Borough.with_boundary.filter(force=met, bcu__code="CW"):
        inside = shape(borough.boundary)
        assert west.buffer(0.001).contains(inside), borough.name
    assert west.area == pytest.approx(
        sum(shape(b.boundary).area for b in Borough.with_boundary.filter(force=met, bcu__code="CW")), rel=0.02
    )
    assert json.loads(screens.boundaries(actor=dispatcher)) == response.json()  # again, from the cache


def test_the_map_lists_incidents_and_units_beside_it(
    client: Client, dispatcher: User, handler: User, units: dict[str, Resource]
) -> None:
    made = new_incident(handler)
    signed_in(client, dispatcher)
    page = client.get(reverse("control:map")).content.decode()
    assert 'id="map-data"' in page
    assert f'data-select-incident="{made.pk}"' in page
    assert "MD21</a>" in page
    assert "no position: not on the map" in page  # no AVL feed without the dispatch app
    data = client.get(reverse("control:map-data")).json()
    assert [i["reference"] for i in data["incidents"]] == [made.reference]
    assert {u["call_sign"] for u in data["units"]} == {"MD21", "MD22", "NH11"}
    only_north = client.get(reverse("control:map-data"), {"bcu": "CN"}).json()
    assert [u["call_sign"] for u in only_north["units"]] == ["NH11"]
    assert only_north["incidents"] == []


def test_selecting_an_incident_shows_it_with_the_units_one_can_send(
    client: Client, dispatcher: User, handler: User, units: dict[str, Resource]
) -> None:
    made = new_incident(handler)
    signed_in(client, dispatcher)
    fragment = client.get(reverse("control:map"), {"incident": made.pk, "fragment": "selection"}).content.decode()
    assert f"Selected: {made.reference}" in fragment
    assert "Send another unit (override)" in fragment
    assert "MD22 (IRV, Available)" in fragment


def test_assigning_from_the_map_and_overriding_with_a_reason(
    client: Client, dispatcher: User, handler: User, units: dict[str, Resource]
) -> None:
    made = new_incident(handler)
    signed_in(client, dispatcher)
    url = reverse("control:map-assign", args=[made.pk])
    refused = client.post(url, {"unit": units["MD22"].pk, "recommended": units["MD21"].pk})
    assert refused.status_code == 409
    assert "Say why you are sending MD22 instead of the recommended unit." in refused.content.decode()
    assert Assignment.objects.count() == 0
    done = client.post(
        url, {"unit": units["MD22"].pk, "recommended": units["MD21"].pk, "override_reason": "MD21 is low on fuel"}
    )
    assert done.status_code == 302
    assert done["Location"] == f"/control/map/?incident={made.pk}"
    assert Assignment.objects.get().unit == units["MD22"]
    logged = IncidentLogEntry.objects.filter(incident=made, text__startswith="Recommendation overridden").get()
    assert "MD22" in logged.text
    assert "MD21 is low on fuel" in logged.text


def test_a_refused_assignment_from_the_map_says_why(
    client: Client, dispatcher: User, handler: User, supervisor: User, units: dict[str, Resource]
) -> None:
    made = new_incident(handler)
    unit_services.set_unit_status(actor=supervisor, unit=units["MD21"], status_code="OFF")
    response = signed_in(client, dispatcher).post(
        reverse("control:map-assign", args=[made.pk]), {"unit": units["MD21"].pk}
    )
    assert response.status_code == 409
    assert "MD21 was not assigned:" in response.content.decode()
    assert Assignment.objects.count() == 0


def test_the_map_needs_incidents_and_units(client: Client, met: Force, make_user: MakeUser) -> None:
    analyst = make_user("an.met", met, "analyst")  # incidents but not units
    assert signed_in(client, analyst).get(reverse("control:map")).status_code == 403
