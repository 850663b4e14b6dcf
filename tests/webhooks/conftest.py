"""Webhook tests: a receiver served on 127.0.0.1, sandboxes checked against X's OpenAPI."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from tests.sandbox.conftest import new_sandbox, sandbox, x_contract

from socialcare.webhooks import WebhookReceiver

__all__ = ["Served", "new_sandbox", "sandbox", "serve", "x_contract"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """No access log."""


class Served:
    """A WSGI app on 127.0.0.1 in a thread; ``url`` is where it answers."""

    def __init__(self, app: Any) -> None:
        self.server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/x"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def serve() -> Iterator[Callable[[WebhookReceiver], Served]]:
    """Serve receivers on loopback for the test; stopped afterwards."""
    running: list[Served] = []

    def start(receiver: WebhookReceiver) -> Served:
        served = Served(receiver.wsgi_app())
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()
