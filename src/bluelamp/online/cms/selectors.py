"""Reads for force websites. Published pages are public; editing rights are Wagtail's
(group page permissions, see services.py)."""

from __future__ import annotations

from bluelamp.core.models import Force
from bluelamp.online.cms.models import ForceHomePage


def home_for_force(force: Force) -> ForceHomePage | None:
    """The live home page of a force's site, or None if it has none (not onboarded)."""
    home: ForceHomePage | None = ForceHomePage.objects.live().filter(force=force).select_related("force").first()
    return home
