"""ASGI entry point: Django's own handler, served by uvicorn (``bluelamp serve``, ADR 0015).

Pages and the API run on Django's ASGI handler as any Django project's do; the live streams
(server-sent events) wait on the event loop without holding a thread."""

from __future__ import annotations

import os
import warnings

from bluelamp.cli import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")
# WhiteNoise serves static files with a synchronous iterator; Django warns about it on every file
# under ASGI. Static files are small and cached by browsers, so the warning is noise here.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

with exit_on_config_error():
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
