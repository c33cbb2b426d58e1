"""Wagtail's editor at /cms/ on the staff host, under a relaxed Content Security Policy.

The rest of bluelamp allows no inline script or style at all. Wagtail's admin still uses
inline style attributes and a few inline scripts (and shows page previews in an iframe of
itself), so for these URLs only the policy allows 'unsafe-inline' scripts and styles, blob:
and data: images and framing by our own origin. Everything else stays as strict as elsewhere
(own origin only, no objects, no other site may frame it). Public pages never come from here:
they are served by our own templates under the strict policy. See ADR 0006.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.utils.urlpatterns import decorate_urlpatterns

ADMIN_POLICY = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
    "object-src": [NONE],
}


def _editor_policy(view: Callable[..., Any]) -> Callable[..., Any]:
    return csp_replace(ADMIN_POLICY)(xframe_options_sameorigin(view))


urlpatterns = decorate_urlpatterns(list(wagtailadmin_urls.urlpatterns), _editor_policy)
