"""The history at the point of contact and the justified consultation of a person."""

from __future__ import annotations

import datetime as dt

import pytest

from bluelamp.core.errors import InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import AuditEntry, Force, User
from bluelamp.pole import selectors, services
from tests.pole.conftest import AT, HERE, Scene, backdate, incident_at, place

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def history(actor: User, **options: object) -> selectors.History:
    return selectors.history_at_point(actor=actor, lat=HERE[0], lon=HERE[1], at=AT, **options)  # type: ignore[arg-type]


def refs(found: list[selectors.NearbyEvent]) -> list[str]:
    return [item.event.source_id for item in found]


def test_incidents_within_50_m_in_the_last_12_months_are_shown(handler: User, met: Force, scene: Scene) -> None:
    incident_at(handler, met, place(handler, met, 60, "60 m east"), 300 * DAY, "too far")
    incident_at(handler, met, place(handler, met, 30, "30 m east"), 400 * DAY, "too long ago")
    incident_at(handler, met, place(handler, met, 10, "10 m east"), -DAY, "after the time asked about")
    incident_at(handler, met, place(handler, met, 10, "10 m east"), 10 * DAY, "a report", kind="report")
    incident_at(handler, met, None, 10 * DAY, "nowhere")
    found = history(handler)
    assert refs(found.previous) == ["CAD 101/14AUG25"]
    assert found.previous[0].distance_m == pytest.approx(40, abs=0.5)
    assert found.since == dt.datetime(2025, 7, 14, 12, 0, tzinfo=dt.UTC)


def test_another_forces_incidents_and_markers_are_not_shown(
    handler: User, city_handler: User, city: Force, met: Force, scene: Scene
) -> None:
    theirs = place(city_handler, city, 5, "City record")
    incident_at(city_handler, city, theirs, 5 * DAY, "city")
    backdate(services.add_marker(actor=city_handler, location=theirs, marker_type="firearms"), AT - DAY)
    found = history(handler)
    assert refs(found.previous) == ["CAD 101/14AUG25"]
    assert found.location_markers == []
    assert refs(history(city_handler).previous) == ["city"]


def test_linked_people_are_shown_by_id_with_their_markers_but_no_name(handler: User, scene: Scene) -> None:
    [flag] = history(handler).person_flags
    assert flag.person_id == scene.person.pk
    assert flag.roles == ["caller"]
    assert [m.summary for m in flag.markers] == ["Violence (review 3/2027)"]
    assert not hasattr(flag, "person")


def test_only_markers_current_at_the_time_count(handler: User, met: Force, scene: Scene) -> None:
    ended = services.add_marker(actor=handler, person=scene.person, marker_type="drugs")
    backdate(ended, AT - 100 * DAY, ended_at=AT - DAY)
    later = services.add_marker(actor=handler, person=scene.person, marker_type="mental_health")
    backdate(later, AT + DAY)
    still = services.add_marker(actor=handler, person=scene.person, marker_type="self_harm")
    backdate(still, AT - 100 * DAY, ended_at=AT + DAY)  # ended after the time asked about
    [flag] = history(handler).person_flags
    assert [m.marker_type for m in flag.markers] == ["self_harm", "violence"]


def test_markers_on_places_within_the_radius_with_overdue_reviews_flagged(
    handler: User, met: Force, scene: Scene
) -> None:
    near = place(handler, met, 20, "7 Dean's Yard")
    far = place(handler, met, 80, "Far away")
    due = services.add_marker(
        actor=handler, location=near, marker_type="dogs", detail="Two dogs", review_on=dt.date.today()
    )
    backdate(due, AT - 400 * DAY)
    backdate(services.add_marker(actor=handler, location=far, marker_type="firearms"), AT - DAY)
    [found] = history(handler).location_markers
    assert found.location == near
    [line] = found.markers
    assert (line.label, line.detail, line.review_overdue) == ("Dangerous dog", "Two dogs", False)
    later = selectors.history_at_point(actor=handler, lat=HERE[0], lon=HERE[1], at=AT + 200 * DAY)
    assert later.location_markers[0].markers[0].review_overdue is True


def test_vehicles_linked_to_nearby_incidents_are_shown_with_their_markers(handler: User, scene: Scene) -> None:
    [flag] = history(handler).object_flags
    assert flag.object == scene.car
    assert [(m.label, m.detail) for m in flag.markers] == [("Weapons", "Machete seen in boot")]


def test_open_events_within_250_m_are_shown(handler: User, met: Force, scene: Scene) -> None:
    incident_at(handler, met, place(handler, met, 200, "200 m"), 2 * DAY, "open 200", open=True, status="at scene")
    incident_at(handler, met, place(handler, met, 300, "300 m"), 2 * DAY, "open 300", open=True)
    incident_at(handler, met, place(handler, met, 100, "100 m"), 2 * DAY, "closed 100")
    assert refs(history(handler).open_nearby) == ["open 200"]
    assert refs(history(handler, open_radius_m=400).open_nearby) == ["open 200", "open 300"]


def test_the_history_needs_the_permission_and_sensible_limits(analyst: User, handler: User) -> None:
    with pytest.raises(PermissionDenied):
        history(analyst)
    with pytest.raises(InvalidInput):
        history(handler, radius_m=0)
    with pytest.raises(InvalidInput):
        history(handler, months=0)
    with pytest.raises(InvalidInput):
        selectors.history_at_point(actor=handler, lat=91, lon=0)
    assert history(handler).is_empty


def test_markers_for_a_plate_however_written(handler: User, city_handler: User, scene: Scene) -> None:
    found = selectors.markers_for_plate(actor=handler, plate="ab12cde", at=AT)
    assert found.vehicle == scene.car
    assert [m.marker_type for m in found.markers] == ["weapons"]
    with pytest.raises(NotFound):
        selectors.markers_for_plate(actor=city_handler, plate="AB12CDE")
    with pytest.raises(NotFound):
        selectors.markers_for_plate(actor=handler, plate="ZZ99ZZZ")
    with pytest.raises(NotFound):
        selectors.markers_for_plate(actor=handler, plate="--")


def test_consulting_a_person_needs_a_justification_and_logs_it(handler: User, scene: Scene) -> None:
    with pytest.raises(InvalidInput):
        selectors.consult_person(actor=handler, person_id=scene.person.pk, justification="  ")
    assert not AuditEntry.objects.filter(operation="consultation").exists()
    record = selectors.consult_person(
        actor=handler, person_id=scene.person.pk, justification="Call 4711: checking the caller"
    )
    assert record.person == scene.person
    assert [(link.event, link.role) for link in record.links] == [(scene.incident, "caller")]
    assert [m.marker_type for m in record.markers] == ["violence"]
    [entry] = AuditEntry.objects.filter(operation="consultation")
    assert (entry.actor, entry.record_type, entry.record_ids) == (handler, "pole.person", [str(scene.person.pk)])
    assert entry.justification == "Call 4711: checking the caller"


def test_consulting_needs_the_permission_and_the_own_force(analyst: User, city_handler: User, scene: Scene) -> None:
    with pytest.raises(PermissionDenied):
        selectors.consult_person(actor=analyst, person_id=scene.person.pk, justification="curious")
    with pytest.raises(NotFound):
        selectors.consult_person(actor=city_handler, person_id=scene.person.pk, justification="curious")
    with pytest.raises(NotFound):
        selectors.check_person(actor=city_handler, person_id=scene.person.pk)
    assert not AuditEntry.objects.filter(operation="consultation").exists()
