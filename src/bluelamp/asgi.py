"""ASGI entry point (uvicorn).

Two handlers share one process. Live streams (server-sent events) go to Django's ASGI handler,
where each open stream waits on the event loop without holding a thread. Every other request
goes to Django's WSGI handler on a fixed pool of threads (a2wsgi): Django's ASGI handler would
start a new thread for each request (asgiref's ThreadSensitiveContext), and so open a new
database connection for each; a fixed pool keeps both, which is most of the cost of a small
request."""

from __future__ import annotations

import os
import warnings

from bluelamp.cli import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")
# WhiteNoise serves static files with a synchronous iterator; Django warns about it on every file
# under ASGI. Static files are small and cached by browsers, so the warning is noise here.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

with exit_on_config_error():
    from a2wsgi import WSGIMiddleware
    from a2wsgi.asgi_typing import Receive, Scope, Send
    from django.conf import settings
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    streams = get_asgi_application()
    pooled = WSGIMiddleware(get_wsgi_application(), workers=settings.BLUELAMP_REQUEST_THREADS)  # type: ignore[arg-type]
    STREAMING_PATHS = tuple(settings.BLUELAMP_STREAMING_PATHS)


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and not scope["path"].startswith(STREAMING_PATHS):
        await pooled(scope, receive, send)
    else:
        await streams(scope, receive, send)  # type: ignore[arg-type]  # two libraries' ASGI types
