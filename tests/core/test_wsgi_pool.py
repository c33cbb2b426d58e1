"""The WSGI pool behind uvicorn (bluelamp.core.wsgi_pool, ADR 0014): what the application sees
and what the client is sent, for the one-piece answers nearly every request gets and for the
uploads in parts and streamed answers that keep a2wsgi's way."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bluelamp.core.wsgi_pool import PooledWSGI
from tests.conftest import run_in_a_thread_of_its_own

StartResponse = Callable[..., Callable[[bytes], None]]


def _scope(method: str = "POST", path: str = "/echo") -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "query_string": b"a=1",
        "headers": [(b"content-type", b"text/plain"), (b"x-force", b"met")],
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.9", 50000),
    }


def _call(
    app: PooledWSGI, body_parts: list[bytes], scope: dict[str, Any] | None = None, log: list[str] | None = None
) -> list[dict[str, Any]]:
    """Serve one request on a loop of its own; the messages sent to the client (each also noted
    in ``log``, when given)."""
    incoming = [
        {"type": "http.request", "body": part, "more_body": i < len(body_parts) - 1}
        for i, part in enumerate(body_parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if log is not None:
            log.append(f"sent {message.get('body', b'start')!r}")

    async def serve() -> None:
        await app(scope or _scope(), receive, send)  # type: ignore[arg-type]

    run_in_a_thread_of_its_own(serve)
    return sent


class Answer:
    """A WSGI response that notes the thread that closed it (Django's request_finished)."""

    def __init__(self, chunks: Iterable[bytes], *, streaming: bool) -> None:
        self.chunks, self.streaming, self.closed_on = chunks, streaming, 0

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed_on = threading.get_ident()


def _echo(seen: list[Any]) -> Callable[[dict[str, Any], StartResponse], Answer]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Answer:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or -1))
        seen.append((environ, body, threading.get_ident()))
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Seen", str(len(body)))])
        answer = Answer([b"got ", body], streaming=False)
        seen.append(answer)
        return answer

    return app


def test_a_one_piece_request_gets_its_whole_answer_in_one_message_from_a_pool_thread() -> None:
    seen: list[Any] = []
    sent = _call(PooledWSGI(_echo(seen), workers=1), [b"a 999 call"])
    assert sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"text/plain"), (b"x-seen", b"10")],
        },
        {"type": "http.response.body", "body": b"got a 999 call", "more_body": False},
    ]
    (environ, body, thread), answer = seen
    assert body == b"a 999 call"
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == ("POST", "/echo", "a=1")
    assert (environ["CONTENT_TYPE"], environ["HTTP_X_FORCE"], environ["REMOTE_ADDR"]) == (
        "text/plain",
        "met",
        "10.0.0.9",
    )
    assert thread != threading.get_ident()
    assert answer.closed_on == thread  # closed where it ran: its database connection lives there


def test_the_pool_keeps_its_threads_from_request_to_request() -> None:
    seen: list[Any] = []
    app = PooledWSGI(_echo(seen), workers=1)
    for _ in range(3):
        _call(app, [b"x"])
    assert len({thread for _, _, thread in seen[::2]}) == 1


def test_an_upload_in_parts_reaches_the_application_whole() -> None:
    seen: list[Any] = []
    sent = _call(PooledWSGI(_echo(seen), workers=1), [b"first part, ", b"second part, ", b"last"])
    assert seen[0][1] == b"first part, second part, last"
    assert sent[0]["status"] == 201
    assert b"".join(message.get("body", b"") for message in sent[1:]) == b"got first part, second part, last"


def test_a_streamed_answer_is_sent_chunk_by_chunk_as_it_is_made() -> None:
    log: list[str] = []

    def chunks() -> Iterator[bytes]:
        for number in range(2):
            log.append(f"made {number}")
            yield f"row {number}\n".encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Answer:
        start_response("200 OK", [("Content-Type", "text/csv")])
        return Answer(chunks(), streaming=True)

    sent = _call(PooledWSGI(app, workers=1), [b""], _scope("GET", "/export.csv"), log)
    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]},
        {"type": "http.response.body", "body": b"row 0\n", "more_body": True},
        {"type": "http.response.body", "body": b"row 1\n", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    assert log == ["sent b'start'", "made 0", "sent b'row 0\\n'", "made 1", "sent b'row 1\\n'", "sent b''"]


def test_what_an_application_writes_comes_before_what_it_returns() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"written, ")
        return [b"returned"]

    sent = _call(PooledWSGI(app, workers=1), [b""], _scope("GET", "/"))
    assert sent[-1] == {"type": "http.response.body", "body": b"written, returned", "more_body": False}
