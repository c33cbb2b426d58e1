"""Django's WSGI handler on a fixed pool of threads, behind uvicorn's ASGI (ADR 0014).

a2wsgi, which this wraps, hands every message between the event loop and the request's thread:
the request body, the response's start, each chunk of its body and its end, each a wait for the
other side to wake up. Nearly every request here has a body that arrives in one message and an
answer that is one piece of memory (``HttpResponse``), so :class:`PooledWSGI` hands over once:
the body goes in with the request, and the whole answer comes back when the thread is done.
Anything else keeps a2wsgi's way: a body that arrives in parts (an upload) is read as the view
asks for it, and a streamed answer (a file, a CSV export) is sent chunk by chunk as it is made.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi.asgi_typing import HTTPScope, Receive, Send
from a2wsgi.wsgi import WSGIResponder, build_environ
from a2wsgi.wsgi_typing import Environ

# How many messages of an upload's answer may wait to be sent: a2wsgi's own default.
STREAMED_MESSAGES_QUEUED = 10
# status, headers, and the whole body; or None when the answer was streamed from the thread.
Answer = tuple[int, list[tuple[bytes, bytes]], bytes] | None


class PooledWSGI:
    """An ASGI application serving ``app`` (WSGI) on ``workers`` threads that live as long as the
    process, so each keeps its database connection."""

    def __init__(self, app: Callable[..., Any], workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(thread_name_prefix="WSGI", max_workers=workers)

    async def __call__(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        first = await receive()
        if first.get("more_body", False):  # an upload in parts: read as the view asks for it
            await WSGIResponder(self.app, self.executor, STREAMED_MESSAGES_QUEUED)(
                scope, _replaying(first, receive), send
            )
            return
        environ = build_environ(scope, io.BytesIO(first.get("body", b"")))  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        in_context = functools.partial(contextvars.copy_context().run, self._respond, environ, loop, send)
        answer = await loop.run_in_executor(self.executor, in_context)
        if answer is not None:
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

    def _respond(self, environ: Environ, loop: asyncio.AbstractEventLoop, send: Send) -> Answer:
        """In a pool thread: the whole answer, or stream it from here when it is streamed."""
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            started[:] = [int(status.split(" ", 1)[0]), _encoded(headers)]
            return written.append  # WSGI's legacy write(): kept until the answer goes

        response = self.app(environ, start_response)
        try:
            if getattr(response, "streaming", False):
                self._stream(started, written, response, loop, send)
                return None
            body = b"".join([*written, *response])
            status, headers = started
            return status, headers, body
        finally:
            getattr(response, "close", lambda: None)()  # Django's request_finished, in this thread

    @staticmethod
    def _stream(
        started: list[Any], written: list[bytes], chunks: Any, loop: asyncio.AbstractEventLoop, send: Send
    ) -> None:
        def send_now(message: dict[str, Any]) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()  # type: ignore[arg-type]

        status, headers = started
        send_now({"type": "http.response.start", "status": status, "headers": headers})
        for chunk in itertools.chain(written, chunks):
            if chunk:
                send_now({"type": "http.response.body", "body": chunk, "more_body": True})
        send_now({"type": "http.response.body", "body": b"", "more_body": False})


def _encoded(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.strip().lower().encode("latin1"), value.strip().encode("latin1")) for name, value in headers]


def _replaying(first: Any, receive: Receive) -> Receive:
    """``receive`` with the message already taken from it given back first."""
    pending = [first]

    async def replay() -> Any:
        return pending.pop() if pending else await receive()

    return replay
