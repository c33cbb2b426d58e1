"""Template tags for control-room screens: the urgent-assistance takeover on every page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("control/_urgent.html", takes_context=True)
def urgent_takeover(context: Any) -> dict[str, Any]:
    """The open urgent-assistance alerts for this screen's BCU (all BCUs when it shows all)."""
    from bluelamp.control.views import urgent_context

    request = context["request"]
    found = urgent_context(request, str(context.get("screen_bcu") or ""))
    found["next"] = request.get_full_path()
    found["csrf_token"] = context.get("csrf_token")
    return found
