from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from bluelamp import __version__


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"bluelamp_version": __version__, "bluelamp_env": settings.BLUELAMP_ENV}
