"""Pre-planned operations: GeoJSON areas checked, incidents inside the area and window tagged
automatically once they are made (the ``dispatch.operations`` consumer of the outbox), reserved
units, the append-only log, running counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.control.models import Incident
from bluelamp.core import consumers
from bluelamp.core.errors import Conflict, InvalidInput, NotFound
from bluelamp.core.models import ConsumerCursor, Force, User
from bluelamp.dispatch import receivers, selectors, services
from bluelamp.dispatch.models import OperationIncident, OperationLogEntry
from tests.control.conftest import new_incident
from tests.dispatch.conftest import crewed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]
# Around Trafalgar Square (where new_incident puts incidents) — a FeatureCollection of two parts.
TRAFALGAR_AREA = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
            [[-0.1310, 51.5060], [-0.1250, 51.5060], [-0.1250, 51.5100], [-0.1310, 51.5100], [-0.1310, 51.5060]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
            [[-0.1400, 51.5000], [-0.1350, 51.5000], [-0.1350, 51.5030], [-0.1400, 51.5030], [-0.1400, 51.5000]]]}},
    ],
}  # fmt: skip
ELSEWHERE = {
    "type": "Polygon",
    "coordinates": [[[-0.2, 51.6], [-0.19, 51.6], [-0.19, 51.61], [-0.2, 51.61], [-0.2, 51.6]]],
}


def operation(
    supervisor: User, area: Any = TRAFALGAR_AREA, *, start: float = -1, end: float = 4, name: str = "Op"
) -> Any:
    now = timezone.now()
    return services.create_operation(
        actor=supervisor, name=name, commander="Ch Supt Gold", area=area,
        starts_at=now + dt.timedelta(hours=start), ends_at=now + dt.timedelta(hours=end),
    )  # fmt: skip


def tag_what_was_made(now: dt.datetime | None = None) -> int:
    """What the consumers' thread does once the incident's transaction commits."""
    return consumers.run(consumers.consumer(receivers.OPERATIONS_CONSUMER), now=now)


def test_an_incident_inside_the_area_during_the_window_is_tagged(met: Force, supervisor: User, handler: User) -> None:
    running = operation(supervisor, name="Running here")
    operation(supervisor, name="Later here", start=2, end=5)
    operation(supervisor, ELSEWHERE, name="Running elsewhere")
    incident = new_incident(handler)
    outside = new_incident(handler, lat=51.55, lon=-0.10)
    tag_what_was_made()
    tags = OperationIncident.objects.filter(incident=incident)
    assert [t.operation.name for t in tags] == ["Running here"]
    assert tags[0].automatic
    assert running.log.filter(kind="incident_tagged").count() == 1
    assert not OperationIncident.objects.filter(incident=outside).exists()
    tag_what_was_made()
    assert OperationIncident.objects.count() == 1  # each incident tagged once


def test_a_failing_tag_never_undoes_the_incident_and_is_tried_again(
    met: Force, supervisor: User, handler: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = operation(supervisor, name="Running here")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("operation log unavailable")

    monkeypatch.setattr(services, "_log", broken)  # after the tag itself is written
    incident = new_incident(handler)
    tag_what_was_made()
    assert Incident.objects.filter(pk=incident.pk, cad_number__isnull=False).exists()
    assert not OperationIncident.objects.exists()  # the tag's writes were rolled back with it
    assert not running.log.filter(kind="incident_tagged").exists()
    assert "operation log unavailable" in ConsumerCursor.objects.get(name=receivers.OPERATIONS_CONSUMER).last_error
    monkeypatch.undo()
    tag_what_was_made(timezone.now() + consumers.LONGEST_WAIT)
    assert [t.incident_id for t in OperationIncident.objects.all()] == [incident.pk]


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ({"type": "Point", "coordinates": [-0.12, 51.5]}, "must be a polygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "Not a GeoJSON geometry"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        ({"type": "Polygon", "coordinates": [[[530000, 180000], [531000, 180000], [531000, 181000], [530000, 180000]]]},
         "longitude/latitude"),
        ("a string", "GeoJSON object"),
    ],
)  # fmt: skip
def test_a_bad_area_is_refused_clearly(met: Force, supervisor: User, area: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        operation(supervisor, area)


def test_the_window_must_make_sense(met: Force, supervisor: User) -> None:
    with pytest.raises(InvalidInput, match="end after it starts"):
        operation(supervisor, start=2, end=1)


def test_a_unit_is_reserved_for_one_operation_at_a_time(met: Force, supervisor: User) -> None:
    unit = crewed(supervisor, "CW1")
    first, second = operation(supervisor, name="First"), operation(supervisor, ELSEWHERE, name="Second")
    services.reserve_units(actor=supervisor, operation=first, unit_ids=[unit.pk])
    with pytest.raises(Conflict, match="already reserved for operation First"):
        services.reserve_units(actor=supervisor, operation=second, unit_ids=[unit.pk])
    services.release_unit(actor=supervisor, operation=first, unit_id=unit.pk)
    services.reserve_units(actor=supervisor, operation=second, unit_ids=[unit.pk])
    assert list(first.log.values_list("kind", flat=True)) == ["created", "unit_reserved", "unit_released"]


def test_another_forces_unit_cannot_be_reserved(met: Force, city: Force, supervisor: User, make_user: Any) -> None:
    city_unit = crewed(make_user("sup.city", city, "control_supervisor"), "CITY1", bcu="")
    with pytest.raises(NotFound):
        services.reserve_units(actor=supervisor, operation=operation(supervisor), unit_ids=[city_unit.pk])


def test_running_operations_with_counts(met: Force, supervisor: User, handler: User, dispatcher: User) -> None:
    unit = crewed(supervisor, "CW1")
    running = operation(supervisor, name="Carnival")
    operation(supervisor, name="Tomorrow", start=20, end=30)
    services.reserve_units(actor=supervisor, operation=running, unit_ids=[unit.pk])
    new_incident(handler)
    tag_what_was_made()
    found = selectors.running_operations(actor=dispatcher)
    assert [(r.operation.name, r.units, r.incidents, r.open_incidents) for r in found] == [("Carnival", 1, 1, 1)]
    later = timezone.now() + dt.timedelta(hours=25)
    assert [r.operation.name for r in selectors.running_operations(actor=dispatcher, at=later)] == ["Tomorrow"]


def test_the_log_is_append_only(met: Force, supervisor: User) -> None:
    op = operation(supervisor)
    entry = services.add_operation_log_entry(actor=supervisor, operation=op, text="Road closures in place")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        OperationLogEntry.objects.filter(pk=entry.pk).update(text="changed")
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_ending_an_operation_frees_its_units(met: Force, supervisor: User) -> None:
    unit = crewed(supervisor, "CW1")
    op = operation(supervisor)
    services.reserve_units(actor=supervisor, operation=op, unit_ids=[unit.pk])
    ended = services.end_operation(actor=supervisor, operation=op)
    assert ended.ends_at <= timezone.now()
    assert not op.resources.filter(until_at__isnull=True).exists()
    with pytest.raises(Conflict, match="already ended"):
        services.end_operation(actor=supervisor, operation=ended)
