"""A tiny web app that connects a brand's X account with OAuth 2.0 (PKCE) and keeps it connected.

``/login`` sends the browser to X's authorize page; ``/callback`` checks the
``state``, trades the code (with its PKCE verifier, once) for tokens and stores them
in the care store; from then on every worker builds an ``XPlatform`` on
``StoredTokens``, which refreshes the two-hour token before it expires. ``/revoke``
disconnects the account.

Offline, the sandbox plays X (and approves at once, as the account holder would),
and a scripted browser follows the redirects::

    python examples/oauth2_web_app.py

With a real app, build the ``OAuth2Client`` with your client id and secret and the
callback URL registered in the X developer portal, and serve ``CareConnectApp`` with
any WSGI server.
"""

from __future__ import annotations

import http.cookies
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, make_server

from socialcare import ManualClock
from socialcare.errors import AuthenticationError
from socialcare.platforms.x import AuthorizationRequest, OAuth2Client, StoredTokens, XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

KEY = "x:brand"


class CareConnectApp:
    """WSGI: ``/login``, ``/callback``, ``/revoke`` and ``/`` (is the account connected?)."""

    def __init__(self, client: OAuth2Client, store: Store) -> None:
        self.client = client
        self.store = store
        self._pending: dict[str, AuthorizationRequest] = {}  # by session id
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        cookie = http.cookies.SimpleCookie(environ.get("HTTP_COOKIE", ""))
        session = cookie["sid"].value if "sid" in cookie else None
        if path == "/login":
            return self._login(start_response)
        if path == "/callback":
            query = environ.get("QUERY_STRING", "")
            return self._callback(session, f"{self.client.redirect_uri}?{query}", start_response)
        if path == "/revoke":
            return self._revoke(start_response)
        record = self.store.get_token(KEY)
        connected = record is not None and record.problem is None
        return _text(start_response, "200 OK", "connected" if connected else "not connected")

    def _login(self, start_response: StartResponse) -> Iterable[bytes]:
        request = self.client.authorization()
        session = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[session] = request
        start_response(
            "302 Found",
            [
                ("Location", request.url),
                ("Set-Cookie", f"sid={session}; HttpOnly; SameSite=Lax; Path=/"),
            ],
        )
        return [b""]

    def _callback(
        self, session: str | None, callback_url: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        with self._lock:
            request = self._pending.pop(session or "", None)  # each request is used once
        if request is None:
            return _text(start_response, "400 Bad Request", "no authorization in progress")
        try:
            token = self.client.exchange(request, callback_url)
        except AuthenticationError as exc:
            return _text(start_response, "403 Forbidden", str(exc))
        self.store.put_token(token.record(KEY))
        return _text(start_response, "200 OK", "connected: the bot can answer now")

    def _revoke(self, start_response: StartResponse) -> Iterable[bytes]:
        record = self.store.get_token(KEY)
        if record is not None:
            self.client.revoke(record.refresh_token or record.access_token)
            self.store.delete_token(KEY)
        return _text(start_response, "200 OK", "disconnected")


def _text(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode()]


def _not_yet(_environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    return _text(start_response, "503 Service Unavailable", "starting")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """No access log on stderr."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Let the scripted browser see each redirect."""


def main() -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acmehelp", name="Acme Support")
    store = MemoryStore(clock=clock)
    web = make_server("127.0.0.1", 0, _not_yet, handler_class=_Quiet)
    base = f"http://127.0.0.1:{web.server_port}"
    registered = sandbox.register_oauth2_app("acmehelp", redirect_uri=f"{base}/callback")
    client = OAuth2Client(
        registered.client_id,
        client_secret=registered.client_secret,
        redirect_uri=registered.redirect_uri,
        transport=sandbox.transport(),  # offline: the token endpoint is the sandbox's
        clock=clock,
    )
    web.set_app(CareConnectApp(client, store))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    browser = urllib.request.build_opener(_NoRedirects())
    try:
        # 1. The brand's admin clicks "Connect X account".
        try:
            browser.open(f"{base}/login")
        except urllib.error.HTTPError as found:
            authorize_url = found.headers["Location"]
            session = found.headers["Set-Cookie"].split(";")[0]
        print("authorize at:", urllib.parse.urlsplit(authorize_url)._replace(query="...").geturl())
        # 2. X asks the account holder and redirects back (the sandbox approves at once).
        callback = sandbox.approve(authorize_url)
        assert callback.startswith(base)
        answer = browser.open(urllib.request.Request(callback, headers={"Cookie": session}))  # noqa: S310 - http on 127.0.0.1
        print("callback:", answer.read().decode())
        # 3. Every worker: an XPlatform on the stored, self-refreshing token.
        x = XPlatform(
            token_provider=StoredTokens(client, store, KEY),
            transport=sandbox.transport(),
            clock=clock,
        )
        print("acting as @" + x.me().username)
        clock.advance(hours=5)  # the first access token expired three hours ago
        print(f"five hours later, still @{x.me().username}")
        print(f"refreshes X counted: {len(sandbox.oauth2.refreshes)}")
        # 4. Disconnect.
        print(browser.open(f"{base}/revoke").read().decode())
        try:
            x.me()
        except AuthenticationError as exc:
            print("after revocation:", str(exc).split(";")[-1].strip())
    finally:
        web.shutdown()
        web.server_close()


if __name__ == "__main__":
    main()
