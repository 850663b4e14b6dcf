"""The HTTP server behind ``Sandbox.serve()``: threaded, and streams in chunks.

A thread per connection, so a long-lived stream (``/2/tweets/search/stream``,
``/2/activity/stream``) does not block the other routes. Responses without a
``Content-Length`` (the streams) are sent as HTTP/1.1 chunked transfer encoding, as
X sends them, each line and keep-alive in its own chunk, flushed at once, so
clients (requests, urllib3, tweepy) read every line as it arrives.
"""

from __future__ import annotations

from socketserver import ThreadingMixIn
from typing import IO, TYPE_CHECKING, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:
    from wsgiref.headers import Headers

    from _typeshed.wsgi import WSGIApplication

__all__ = ["make_streaming_server"]

_MAX_REQUEST_LINE = 65536


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ChunkedHandler(ServerHandler):
    """wsgiref's handler, speaking HTTP/1.1 and chunking bodies of unknown length."""

    http_version = "1.1"
    headers: Headers  # set by start_response (typeshed leaves both out)
    headers_sent: bool
    _chunked = False

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if "Content-Length" not in self.headers:
            self.headers["Transfer-Encoding"] = "chunked"
            self._chunked = True
        self.headers["Connection"] = "close"

    def write(self, data: bytes) -> None:
        if not self.headers_sent:
            self.bytes_sent = len(data)  # read by set_content_length for one-block bodies
            self.send_headers()
        else:
            self.bytes_sent += len(data)
        if self._chunked:
            if not data:
                return  # an empty chunk would end the body
            data = b"%x\r\n%b\r\n" % (len(data), data)
        self._write(data)
        self._flush()

    def finish_content(self) -> None:
        super().finish_content()
        if self._chunked:
            self._write(b"0\r\n\r\n")
            self._flush()


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Do not write access logs to stderr."""

    def handle(self) -> None:
        """Serve one request with :class:`_ChunkedHandler`."""
        self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > _MAX_REQUEST_LINE:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ChunkedHandler(
            self.rfile,
            cast("IO[bytes]", self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer for logs
        handler.run(self.server.get_app())  # type: ignore[attr-defined]  # a WSGIServer


def make_streaming_server(app: WSGIApplication, port: int) -> WSGIServer:
    """A threaded WSGI server for ``app`` on ``127.0.0.1:port`` (0: a free port)."""
    return make_server(
        "127.0.0.1", port, app, server_class=_ThreadingServer, handler_class=_Handler
    )
