"""Which force a report goes to: the force that polices the place it is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from bluelamp.core.errors import OutsideServiceArea
from bluelamp.core.models import Force
from bluelamp.core.selectors import locate


@dataclass(frozen=True)
class Route:
    """``force`` receives the report; ``outcome`` says how it was decided:
    ``here`` (the site's own force), ``other`` (another force on the platform polices the place),
    ``outside`` (no force on the platform does) or ``not_onboarded`` (a force on the platform
    polices it but does not take online reports: ``force`` names it, to tell the person)."""

    outcome: str
    force: Force | None
    area_force_name: str = ""


TAKES_REPORTS_KEY = "online:takes-reports:{}"
_CACHE_SECONDS = 60  # as long as a site's hostnames are kept (sites.py)


def onboarded(force: Force) -> bool:
    destination = getattr(force, "report_destination", None)
    return bool(destination and destination.enabled)


def takes_reports(force: Force) -> bool:
    """:func:`onboarded`, for a site's own pages: kept in the cache instead of read on every
    page, and forgotten as soon as a destination is saved or deleted (:func:`forget_destination`).
    Another process with its own memory cache (no REDIS_URL) sees a change within a minute, as
    it sees a site's new hostnames."""
    key = TAKES_REPORTS_KEY.format(force.pk)
    found: bool | None = cache.get(key)
    if found is None:
        from bluelamp.online.models import Destination

        found = Destination.objects.filter(force_id=force.pk, enabled=True).exists()
        cache.set(key, found, _CACHE_SECONDS)
    return found


def forget_destination(sender: Any, instance: Any, **_: Any) -> None:
    """post_save and post_delete of a Destination: its force's site reads it again."""
    cache.delete(TAKES_REPORTS_KEY.format(instance.force_id))


def route(site_force: Force, location: dict[str, Any] | None) -> Route:
    lat, lon = (location or {}).get("lat"), (location or {}).get("lon")
    if lat is None or lon is None:
        return Route("here", site_force)  # an address alone: the force whose site it is
    try:
        area = locate(lat=float(lat), lon=float(lon))
    except OutsideServiceArea:
        return Route("outside", None)
    if area.force_code == site_force.code:
        return Route("here", site_force)
    force = Force.objects.select_related("report_destination").filter(code=area.force_code).first()
    if force is None or not onboarded(force):
        return Route("not_onboarded", force, area.force_name)
    return Route("other", force, area.force_name)
