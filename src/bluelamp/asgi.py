"""ASGI entry point (uvicorn).

Two handlers share one process. Live streams (server-sent events) go to Django's ASGI handler,
where each open stream waits on the event loop without holding a thread. Every other request
goes to Django's WSGI handler on a fixed pool of threads (``core.wsgi_pool``, ADR 0009 and 0014):
Django's ASGI handler would start a new thread for each request (asgiref's
ThreadSensitiveContext), and so open a new database connection for each; a fixed pool keeps
both, which is most of the cost of a small request.

Each worker builds the point-to-area index (every borough's boundary, about 150 ms) when it
starts (the ASGI lifespan), so the first call it takes after a restart does not wait for it."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import warnings

from bluelamp.cli import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")
# WhiteNoise serves static files with a synchronous iterator; Django warns about it on every file
# under ASGI. Static files are small and cached by browsers, so the warning is noise here.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

with exit_on_config_error():
    from a2wsgi.asgi_typing import Receive, Scope, Send
    from django.conf import settings
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    from bluelamp.core.wsgi_pool import PooledWSGI

    streams = get_asgi_application()
    pooled = PooledWSGI(get_wsgi_application(), workers=settings.BLUELAMP_REQUEST_THREADS)
    from django.db import DatabaseError, connections
    from django.urls import get_resolver

    from bluelamp.core import selectors
    from bluelamp.core.db.sqlite3 import checkpoints
    from bluelamp.core.db.sqlite3.base import DatabaseWrapper as SQLiteWrapper
    from bluelamp.core.db.sqlite3.base import database_path

    STREAMING_PATHS = tuple(settings.BLUELAMP_STREAMING_PATHS)

logger = logging.getLogger(__name__)
GC_THRESHOLDS = (20_000, 50, 100)  # Python's defaults: 700, 10, 10


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and not scope["path"].startswith(STREAMING_PATHS):
        await pooled(scope, receive, send)
    else:
        await streams(scope, receive, send)  # type: ignore[arg-type]  # two libraries' ASGI types


async def _lifespan(receive: Receive, send: Send) -> None:
    checkpointer = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await asyncio.to_thread(_read_what_every_request_needs)
            checkpointer = _checkpoint_in_background()
            _spare_what_lives_for_ever_from_the_collector()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if checkpointer is not None:
                checkpointer.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _checkpoint_in_background() -> checkpoints.Checkpointer | None:
    """On SQLite, copy the WAL back from a thread of this worker, not in the requests' commits."""
    database = connections["default"]  # not connected by this
    path = database_path(database.settings_dict["NAME"]) if isinstance(database, SQLiteWrapper) else None
    return checkpoints.Checkpointer(path) if path is not None else None


def _spare_what_lives_for_ever_from_the_collector() -> None:
    """Move every object made so far (Django, its URL and template caches, the area index) out
    of the cyclic garbage collector's reach, and collect less often. A collection stops every
    thread of the process, and a full one walked the whole startup heap: 100-500 ms, the worst
    latencies under load. Only what requests make is collected now, after 20,000 allocations
    instead of 700 (reference counting frees nearly all of it before then anyway)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _read_what_every_request_needs() -> None:
    """Load the URL configuration (which imports every view and builds the API's schemas) and
    build this process's area index, before the startup heap is frozen: what the first requests
    would otherwise make lives for ever all the same, and the collector walked it, over 100,000
    objects, in the 100-300 ms collections under load. A database not ready yet (not migrated,
    unreachable) does not stop the worker: the first request that needs the index builds it."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imported on first use otherwise
    resolver.reverse_dict  # noqa: B018 - built on the first reverse() otherwise
    try:
        selectors.area_index()
    except DatabaseError as error:
        logger.warning("area index not built at start (%s): the first request will build it", error)
    finally:
        connections.close_all()  # this thread's connections: it serves no requests
