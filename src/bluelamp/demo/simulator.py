"""A living London: calls, online reports, ANPR hits and urgent-assistance alerts arriving on the
Met's daily curve, handled by simulated call handlers and dispatchers, and units driving to them
sending AVL positions. Everything goes through the same services as real users; no back doors.

Time. The simulation keeps its own clock, ``speed`` times faster than the wall clock. Records are
stamped by the services with the real time, as they would be in a control room; positions carry
the simulated time, so that speeds and distances stay plausible. A fast run with a duration starts
its clock that far in the past and ends at "now", so no position is ever from the future.

Nothing here is random without the seed: the same seed and speed give the same stream of work.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import logging
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from bluelamp.control.contacts import services as contact_services
from bluelamp.control.incidents import grading
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.incidents.selectors import haversine_metres, possible_duplicates
from bluelamp.control.models import Assignment, Contact, Incident, Resource
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core import selectors as core_selectors
from bluelamp.core.errors import DomainError, OutsideServiceArea
from bluelamp.demo import scenario

logger = logging.getLogger(__name__)
METRES_PER_DEGREE_LAT = 111_320.0
ARRIVED_WITHIN_METRES = 25.0
RETRY_DISPATCH = dt.timedelta(minutes=2)
MAX_DISPATCH_TRIES = 3
CLOSING_RESULTS = {
    "crime": ["Crime report taken", "Suspect arrested", "Victim advised; crime report taken"],
    "asb": ["Words of advice given", "Area searched; no trace", "Partner agency informed"],
    "public_safety": ["Person found safe", "Handed to ambulance service", "Advice given"],
    "transport": ["Vehicles moved; road reopened", "Details exchanged", "Traffic offence report"],
    "administration": ["Recorded", "Referred to the right service"],
}


@dataclass
class Settings:
    seed: int = 4711
    speed: float = 1.0
    duration: dt.timedelta | None = None  # simulated time; None runs until stopped
    human_share: float = 0.1  # S-grade incidents left for the people at the screens
    load_factor: float = 1.0  # 1.0 = the Met's volume of calls
    strict: bool = False  # tests: an unexpected error stops the run instead of being logged


@dataclass
class Stats:
    contacts: Counter[str] = field(default_factory=Counter)
    incidents: Counter[str] = field(default_factory=Counter)
    resolved: int = 0
    linked: int = 0
    dispatched: int = 0
    arrivals: int = 0
    cleared: int = 0
    closed: int = 0
    i_attended: int = 0
    i_in_target: int = 0
    avl_sent: int = 0
    avl_rejected: int = 0
    urgent_assistance: int = 0
    problems: int = 0
    last_problem: str = ""
    lag_seconds: float = 0.0
    avl_window: deque[tuple[float, int]] = field(default_factory=deque)

    def avl_per_second(self) -> float:
        if len(self.avl_window) < 2:
            return 0.0
        (first, _), (last, _) = self.avl_window[0], self.avl_window[-1]
        sent = sum(count for _, count in itertools.islice(self.avl_window, 1, None))
        return sent / (last - first) if last > first else 0.0


@dataclass
class Trip:
    assignment_id: int
    incident_id: int
    start: tuple[float, float]
    end: tuple[float, float]
    departs: dt.datetime
    arrives: dt.datetime

    def where(self, at: dt.datetime) -> tuple[float, float]:
        span = (self.arrives - self.departs).total_seconds()
        share = 1.0 if span <= 0 else min(1.0, max(0.0, (at - self.departs).total_seconds() / span))
        return (
            self.start[0] + (self.end[0] - self.start[0]) * share,
            self.start[1] + (self.end[1] - self.start[1]) * share,
        )


class Simulator:
    """Advance with :meth:`advance_to` (tests) or :meth:`run` (the command line)."""

    def __init__(self, settings: Settings, *, report: Callable[[Simulator], None] | None = None) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)  # noqa: S311 - a seeded simulation, not a secret
        self.report = report
        self.stats = Stats()
        self.spec = scenario.spec()
        self.handler = scenario.bot("sim-call-handler")
        self.dispatcher = scenario.bot("sim-dispatcher")
        self.supervisor = scenario.bot("sim-supervisor")
        self.avl_feed = scenario.avl_feed()
        now = timezone.now()
        ahead = settings.duration * (1 - 1 / settings.speed) if settings.duration and settings.speed > 1 else None
        self.clock = now - ahead if ahead else now
        self.started = self.clock
        self._queue: list[tuple[dt.datetime, int, str, Any]] = []
        self._arriving = True
        self._sequence = itertools.count()
        self.trips: dict[int, Trip] = {}  # unit id → where it is driving
        self.created: dict[int, dt.datetime] = {}  # incident id → simulated time it was made
        self.positions: dict[int, tuple[float, float]] = {}
        self._points = scenario.crime_points()
        self.crime_points_list = list(self._points)
        self._mix = self.spec["calls"]["mix"]
        self._mix_weights = list(itertools.accumulate(item["weight"] for item in self._mix))
        self._place_units()
        for kind in ("call", "online", "anpr", "urgent_assistance"):
            self._schedule_next(kind)
        self._schedule(self.clock, "avl", "everyone")  # units report where they are as they book on

    # The clock ------------------------------------------------------------------------------

    def _schedule(self, at: dt.datetime, kind: str, payload: Any) -> None:
        heapq.heappush(self._queue, (at, next(self._sequence), kind, payload))

    def _per_second(self, kind: str) -> float:
        calls = self.spec["calls"]
        per_day: float = {
            "call": calls["per_day"],
            "online": calls["online_reports_per_day"],
            "anpr": calls["anpr_hits_per_day"],
            "urgent_assistance": calls["urgent_assistance_per_day"],
        }[kind] * self.settings.load_factor
        hour = timezone.localtime(self.clock).hour
        return float(per_day * calls["hourly_share"][hour] / 100 / 3600)

    def _schedule_next(self, kind: str) -> None:
        rate = self._per_second(kind)
        if rate > 0:
            self._schedule(self.clock + dt.timedelta(seconds=self.rng.expovariate(rate)), kind, None)

    def advance_to(self, target: dt.datetime) -> None:
        """Do everything due up to ``target`` in simulated time."""
        handlers: dict[str, Callable[[Any], None]] = {
            "call": self._call,
            "online": self._online_report,
            "anpr": self._anpr_hit,
            "urgent_assistance": self._urgent_assistance,
            "acknowledge": self._acknowledge,
            "dispatch": self._dispatch,
            "arrive": self._arrive,
            "clear": self._clear,
            "close": self._close,
            "avl": self._send_positions,
            "later": lambda action: action(),
        }
        while self._queue and self._queue[0][0] <= target:
            at, _, kind, payload = heapq.heappop(self._queue)
            self.clock = at
            try:
                handlers[kind](payload)
            except DomainError as error:  # e.g. a person at a screen got there first
                self._problem(f"{kind}: {error.message}")
            except Exception as error:  # one event gone wrong must not stop London
                if self.settings.strict:
                    raise
                logger.exception("simulation: %s failed", kind)
                self._problem(f"{kind} failed: {error}")
            if kind in {"call", "online", "anpr", "urgent_assistance"} and self._arriving:
                self._schedule_next(kind)
        self.clock = max(self.clock, target)

    def run(self, *, should_stop: Callable[[], bool] = lambda: False, tick_seconds: float = 0.25) -> Stats:
        """Run at ``speed`` until the duration has passed or ``should_stop`` says so."""
        real_start = time.monotonic()
        last_report = 0.0
        end = self.started + self.settings.duration if self.settings.duration else None
        while not should_stop():
            elapsed = time.monotonic() - real_start
            target = self.started + dt.timedelta(seconds=elapsed * self.settings.speed)
            if end is not None:
                target = min(target, end)
            # Work in slices of a simulated minute, so that a backlog still reports its progress.
            self.advance_to(min(target, self.clock + dt.timedelta(minutes=1)))
            due = self.started + dt.timedelta(seconds=(time.monotonic() - real_start) * self.settings.speed)
            self.stats.lag_seconds = ((min(due, end) if end else due) - self.clock).total_seconds()
            if self.report and time.monotonic() - last_report >= 1.0:
                self.report(self)
                last_report = time.monotonic()
            if end is not None and self.clock >= end:
                break
            if self.stats.lag_seconds <= 0:
                time.sleep(tick_seconds)
            close_old_connections()
        if self.report:
            self.report(self)
        return self.stats

    def stop_arrivals(self) -> None:
        """No new calls, reports, hits or alerts; what is under way carries on to its end."""
        arrivals = {"call", "online", "anpr", "urgent_assistance", "avl"}
        self._queue = [event for event in self._queue if event[2] not in arrivals]
        heapq.heapify(self._queue)
        self._arriving = False

    def later(self, after: dt.timedelta, action: Callable[[], None]) -> None:
        """Do ``action`` after ``after`` of simulated time."""
        self._schedule(self.clock + after, "later", action)

    def _problem(self, message: str) -> None:
        self.stats.problems += 1
        self.stats.last_problem = message
        logger.info("simulation: %s", message)

    # Where things happen --------------------------------------------------------------------

    def _place_units(self) -> None:
        """Units start at a place of crime in their home BCU (or anywhere, for force-wide ones)."""
        by_bcu: dict[str, list[tuple[float, float]]] = {}
        for point in self._points:
            try:
                area = core_selectors.locate(lat=point.lat, lon=point.lon)
            except OutsideServiceArea:
                continue
            by_bcu.setdefault(area.bcu_code or "", []).append((point.lat, point.lon))
        everywhere = [(p.lat, p.lon) for p in self._points]
        units = Resource.objects.filter(force=self.handler.force_id).select_related("home_bcu").order_by("pk")
        for unit in units:
            choices = by_bcu.get(unit.home_bcu.code if unit.home_bcu else "", everywhere)
            self.positions[unit.pk] = self._jitter(self.rng.choice(choices), 300)

    def _jitter(self, point: tuple[float, float], metres: float) -> tuple[float, float]:
        lat, lon = point
        dlat = self.rng.uniform(-metres, metres) / METRES_PER_DEGREE_LAT
        dlon = self.rng.uniform(-metres, metres) / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
        return round(lat + dlat, 6), round(lon + dlon, 6)

    def _place_for(self, category: str) -> tuple[tuple[float, float], str]:
        wanted = {k for k, v in self.spec["calls"]["crime_type_categories"].items() if v == category}
        points = [p for p in self._points if p.crime_type in wanted] or list(self._points)
        point = self.rng.choice(points)
        return self._jitter((point.lat, point.lon), 40), point.location

    # Arrivals -------------------------------------------------------------------------------

    def _pick_call(self) -> dict[str, Any]:
        number = self.rng.uniform(0, self._mix_weights[-1])
        chosen: dict[str, Any] = self._mix[bisect.bisect_left(self._mix_weights, number)]
        return chosen

    def _grade(self, item: dict[str, Any]) -> str:
        grades: dict[str, float] = item["grades"]
        return self.rng.choices(list(grades), weights=list(grades.values()))[0]

    def _caller(self) -> tuple[str, str]:
        people = self.spec["people"]
        name = f"{self.rng.choice(people['first_names'])} {self.rng.choice(people['last_names'])}"
        return name, f"07700 9{self.rng.randint(0, 99999):05d}"  # Ofcom's numbers for drama

    def _call(self, _: Any) -> None:
        item = self._pick_call()
        grade = self._grade(item)
        channel = "999" if grade == "I" or self.rng.random() < self.spec["calls"]["emergency_share"] / 2 else "101"
        (lat, lon), location = self._place_for(item["category"])
        name, phone = self._caller()
        received = contact_services.receive_contact(
            actor=self.handler,
            contact=contact_services.NewContact(
                channel=channel,
                caller_name=name,
                caller_phone=phone,
                address=location.replace("On or near ", ""),
                lat=lat,
                lon=lon,
                description=f"Caller reports {item['category'].split('.')[-1].replace('_', ' ')} (simulated call)",
                category=item["category"],
                qualifiers=list(item.get("qualifiers", [])),
            ),
        )
        self.stats.contacts[channel] += 1
        self.decide(received.contact, item, grade)

    def decide(self, contact: Contact, item: dict[str, Any], grade: str) -> None:
        duplicates = possible_duplicates(actor=self.handler, contact=contact)
        if duplicates and self.rng.random() < 0.8:
            contact_services.link_contact(actor=self.handler, contact=contact, incident=duplicates[0].incident)
            self.stats.linked += 1
            return
        if self.rng.random() >= item["incident_share"]:
            contact_services.resolve_contact(
                actor=self.handler,
                contact=contact,
                resolution_code=self.rng.choice(["advice", "signposting", "referral", "no_further_action"]),
                note="Handled on the call (simulated).",
            )
            self.stats.resolved += 1
            return
        incident = contact_services.create_incident_from_contact(actor=self.handler, contact=contact)
        levels = self.spec["calls"]["thrive_by_grade"][grade]
        reason = "Referred to a partner agency: no police attendance needed." if grade == "R" else ""
        grading.assess_incident(
            actor=self.handler, incident=incident, levels=levels, grade=grade, override_reason=reason
        )
        self.stats.incidents[grade] += 1
        if grade in {"I", "S"}:
            if grade == "S" and self.rng.random() < self.settings.human_share:
                return  # left in the queue for the dispatcher at the screen
            delay = self.rng.uniform(20, 90) if grade == "I" else self.rng.uniform(120, 600)
            self._schedule(self.clock + dt.timedelta(seconds=delay), "dispatch", (incident.pk, 1, item))
        else:  # E: an appointment is made; R: referred. Neither is attended now.
            later = dt.timedelta(minutes=self.rng.uniform(5, 30))
            self._schedule(self.clock + later, "close", (incident.pk, item))

    def _online_report(self, _: Any) -> None:
        """An online report from the public site (through the Single Online Home when present)."""
        from bluelamp.demo import online_reports

        if online_reports.submit(self):
            self.stats.contacts["online"] += 1

    def _anpr_hit(self, _: Any) -> None:
        plate = scenario.random_plate(self.rng)
        (lat, lon), location = self._place_for("crime.vehicle")
        hotlist, reason = self.rng.choice(
            [("PNC", "Stolen vehicle"), ("DVLA", "No insurance"), ("Local", "Vehicle of interest: drugs supply")]
        )
        received = contact_services.receive_contact(
            actor=self.handler,
            contact=contact_services.NewContact(
                channel="anpr",
                address=location.replace("On or near ", ""),
                lat=lat,
                lon=lon,
                description=f"ANPR hit {plate}: {reason}",
                category="transport.anpr_hit",
                details={"plate": plate, "camera": f"CAM-{self.rng.randint(1000, 9999)}", "hotlist": hotlist},
                source_reference=f"ANPR-{self.settings.seed}-{next(self._sequence)}",
            ),
        )
        self.stats.contacts["anpr"] += 1
        item = {"category": "transport.anpr_hit", "incident_share": 0.3, "on_scene_minutes": [10, 30]}
        self.decide(received.contact, item, "S")

    def _urgent_assistance(self, _: Any) -> None:
        at_scene = list(
            Assignment.objects.filter(incident__force=self.handler.force_id, state=Assignment.State.AT_SCENE)
            .select_related("unit")
            .order_by("pk")[:50]
        )
        if not at_scene:
            return
        unit = self.rng.choice(at_scene).unit
        raised = urgent_services.raise_urgent_assistance(actor=self.dispatcher, unit=unit, position="SIM")
        self.stats.urgent_assistance += 1
        # Left for the people at the screens first; acknowledged by the simulation if nobody does.
        self._schedule(self.clock + dt.timedelta(seconds=90 * max(1.0, self.settings.speed)), "acknowledge", raised)

    def _acknowledge(self, raised: urgent_services.Raised) -> None:
        alert = raised.alert
        alert.refresh_from_db()
        if alert.acknowledged_at is None:
            urgent_services.acknowledge_urgent_assistance(actor=self.supervisor, alert=alert, position="SIM")

    # Dispatch and driving -------------------------------------------------------------------

    def _dispatch(self, payload: tuple[int, int, dict[str, Any]]) -> None:
        from bluelamp.dispatch import services as dispatch

        incident_id, attempt, item = payload
        incident = Incident.objects.get(pk=incident_id)
        if incident.status != Incident.Status.OPEN:
            return  # somebody at a screen resourced or closed it
        try:
            sent = dispatch.dispatch(actor=self.dispatcher, incident=incident, position="SIM")
        except DomainError as error:
            if attempt < MAX_DISPATCH_TRIES:
                self._schedule(self.clock + RETRY_DISPATCH, "dispatch", (incident_id, attempt + 1, item))
            else:
                self._problem(f"{incident.reference} left unresourced: {error.message}")
            return
        self.stats.dispatched += len(sent.assignments)
        for assignment in sent.assignments:
            self._drive(assignment, incident, item)

    def _drive(self, assignment: Assignment, incident: Incident, item: dict[str, Any]) -> None:
        unit_assignments.advance_assignment(
            actor=self.dispatcher, assignment=assignment, to_state="en_route", position="SIM"
        )
        unit_type = assignment.unit.unit_type.code
        driving = self.spec["driving"]
        kmh = driving["kmh"].get(unit_type, 30) * (driving["emergency_factor"] if incident.grade == "I" else 1.0)
        start = self.positions.get(assignment.unit_id) or (incident.lat or 51.5, incident.lon or -0.12)
        end = (incident.lat or start[0], incident.lon or start[1])
        seconds = haversine_metres(*start, *end) * 1.3 / (kmh / 3.6)  # roads are not straight lines
        arrives = self.clock + dt.timedelta(seconds=max(30.0, seconds))
        self.trips[assignment.unit_id] = Trip(assignment.pk, incident.pk, start, end, self.clock, arrives)
        self._schedule(arrives, "arrive", (assignment.pk, item))

    def _arrive(self, payload: tuple[int, dict[str, Any]]) -> None:
        assignment_id, item = payload
        assignment = Assignment.objects.select_related("unit", "incident").get(pk=assignment_id)
        trip = self.trips.pop(assignment.unit_id, None)
        if trip is not None:
            self.positions[assignment.unit_id] = trip.end
        if assignment.state == Assignment.State.CLEARED:
            return
        unit_assignments.advance_assignment(
            actor=self.dispatcher, assignment=assignment, to_state="at_scene", position="SIM"
        )
        self.stats.arrivals += 1
        incident = assignment.incident
        made = self.created.pop(incident.pk, None)  # first arrival: measured in simulated time
        if incident.grade == "I" and made is not None:
            self.stats.i_attended += 1
            self.stats.i_in_target += (self.clock - made) <= dt.timedelta(minutes=15)
        low, high = item["on_scene_minutes"]
        stay = dt.timedelta(minutes=self.rng.uniform(low, high))
        self._schedule(self.clock + stay, "clear", (assignment_id, item))

    def _clear(self, payload: tuple[int, dict[str, Any]]) -> None:
        assignment_id, item = payload
        assignment = Assignment.objects.select_related("unit", "incident").get(pk=assignment_id)
        if assignment.state != Assignment.State.CLEARED:
            unit_assignments.advance_assignment(
                actor=self.dispatcher, assignment=assignment, to_state="cleared", position="SIM"
            )
            self.stats.cleared += 1
        if not assignment.incident.assignments.exclude(state=Assignment.State.CLEARED).exists():
            self._close((assignment.incident_id, item))

    def _close(self, payload: tuple[int, dict[str, Any]]) -> None:
        incident_id, _ = payload
        incident = Incident.objects.get(pk=incident_id)
        if incident.status == Incident.Status.CLOSED:
            return
        family = incident.opening_category.split(".")[0]
        incident_services.transition_incident(
            actor=self.dispatcher,
            incident=incident,
            to=Incident.Status.CLOSED,
            closing_category=incident.opening_category,
            closing_qualifiers=list(incident.opening_qualifiers),
            closing_result=self.rng.choice(CLOSING_RESULTS.get(family, ["Closed"])),
            position="SIM",
        )
        self.stats.closed += 1

    def _send_positions(self, everyone: str | None) -> None:
        """Every unit on the move reports where it is; every other unit reports now and then,
        so that none goes stale."""
        from bluelamp.dispatch import avl

        interval = self.spec["driving"]["avl_interval_seconds"]
        items = []
        for unit_id, (lat, lon) in self.positions.items():
            trip = self.trips.get(unit_id)
            moving = trip is not None
            if trip is not None:
                lat, lon = trip.where(self.clock)
                self.positions[unit_id] = (lat, lon)
            elif everyone is None and self.rng.random() > interval / 60:  # a parked unit: about once a minute
                continue
            items.append(
                {
                    "unit_id": unit_id,
                    "time": self.clock.isoformat(),
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                    "speed": 10.0 if moving else 0.0,
                    "source": "simulation",
                }
            )
        if self._arriving:
            self._schedule(self.clock + dt.timedelta(seconds=interval), "avl", None)
        if items:
            ingested = avl.ingest_positions(actor=self.avl_feed, items=items)
            self.stats.avl_sent += ingested.accepted
            self.stats.avl_rejected += len(ingested.rejected)
            if ingested.rejected:
                self.stats.last_problem = f"AVL refused: {ingested.rejected[0].reason}"
            self.stats.avl_window.append((time.monotonic(), ingested.accepted))
            while len(self.stats.avl_window) > 30:
                self.stats.avl_window.popleft()
