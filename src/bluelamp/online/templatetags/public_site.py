from __future__ import annotations

from typing import Any

from django import template

from bluelamp.online.sites import site_url as _site_url

register = template.Library()


@register.simple_tag(takes_context=True)
def site_url(context: template.Context, name: str, **kwargs: Any) -> str:
    """``{% site_url 'online:start' journey='crime' %}``: a public URL for this force's site."""
    return _site_url(context["request"], name, **kwargs)
