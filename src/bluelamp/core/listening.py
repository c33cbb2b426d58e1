"""Listening sockets for several workers: one socket per worker, all on the same port
(``SO_REUSEPORT``), so that the kernel spreads new connections across the workers.

uvicorn's own ``--workers`` shares one listening socket, and a worker that wakes accepts every
connection waiting. Connections that open together (a proxy's, a load generator's, a control
room's screens after a restart) then mostly go to one worker, and stay there: 29-31 of 32 in a
benchmark, where that worker answered nearly every request while the other was idle.

Nothing here imports Django: a worker unpickles its socket before it sets Django up."""

from __future__ import annotations

import socket
from typing import Any


def listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket of this process's own on ``host:port``, which others may share."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


class SocketPerWorker:
    """What uvicorn's supervisor hands to every worker it starts (or restarts) as its listening
    socket: in the worker, where the supervisor's arguments are unpickled, it becomes a socket of
    that worker's own (:func:`listen`)."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host, self.port, self.backlog = host, port, backlog

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return listen, (self.host, self.port, self.backlog)


def check_free(host: str, port: int) -> None:
    """Raise OSError if anything listens on ``host:port`` already: ``SO_REUSEPORT`` would
    otherwise let a second bluelamp share the port with the first, each answering some requests."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
