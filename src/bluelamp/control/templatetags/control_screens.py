"""Template tags for control-room screens: the urgent-assistance takeover on every page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("control/_urgent.html", takes_context=True)
def urgent_takeover(context: Any) -> dict[str, Any]:
    """The open urgent-assistance alerts for this screen's BCU (all BCUs when it shows all)."""
    from bluelamp.control.units.views import urgent_context

    request = context["request"]
    found = urgent_context(request, str(context.get("screen_bcu") or ""))
    found["next"] = screen_path(context)
    found["csrf_token"] = context.get("csrf_token")
    return found


@register.simple_tag(takes_context=True)
def screen_path(context: Any) -> str:
    """Where to come back to after acknowledging: this page, unless it answered a form (a POST
    address cannot be opened again), then the incident queue."""
    from django.urls import reverse

    request = context["request"]
    return str(request.get_full_path()) if request.method == "GET" else reverse("control:queue")
