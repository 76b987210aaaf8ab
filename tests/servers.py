"""Real servers on loopback for tests: uvicorn for an ASGI app, aiosmtpd for email."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def asgi_on_loopback(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) while the block runs; yields its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class SmtpInbox:
    """What a loopback SMTP server (aiosmtpd) received, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email

        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_on_loopback() -> Iterator[tuple[SmtpInbox, int]]:
    """An SMTP server on 127.0.0.1 (a free port) while the block runs: (inbox, port)."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
