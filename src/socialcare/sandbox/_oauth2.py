"""OAuth 2.0 user context in the sandbox: authorize, token and revoke, strict as X is.

* ``GET /2/oauth2/authorize`` approves at once (no person in tests) as the user the
  client was registered for, and answers ``302`` to the redirect URI with ``code`` and
  ``state``; an unknown client or redirect URI gets ``400`` and no redirect (RFC 6749
  4.1.2.1). Codes live 30 seconds and are good once.
* ``POST /2/oauth2/token`` (form-encoded): ``authorization_code`` (PKCE verified,
  ``S256`` or ``plain``) and ``refresh_token`` grants. Confidential clients must
  authenticate with HTTP Basic, public clients send ``client_id``. Access tokens live
  two hours on the sandbox clock; a refresh token is issued only for
  ``offline.access``, rotates on each refresh, and a spent one is refused (and counted).
* ``POST /2/oauth2/revoke``: revoking a refresh token ends the whole grant (its access
  tokens too); revoking an access token ends that token.

Expired or revoked access tokens get 401 on every route (through
:meth:`OAuth2Server.user_for`, which the authenticator asks first).
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import urllib.parse
from collections.abc import Mapping

import attrs

from socialcare._clock import Clock
from socialcare.platforms.x import (
    OAUTH2_AUTHORIZE,
    OAUTH2_ENDPOINTS,
    OAUTH2_REVOKE,
    OAUTH2_TOKEN,
)
from socialcare.sandbox._app import SandboxOutcome, SandboxRequest
from socialcare.sandbox._problems import unauthorized
from socialcare.sandbox._world import JSONObject

__all__ = ["OAuth2App", "OAuth2Server", "RefreshRecord"]

ACCESS_TOKEN_LIFETIME = dt.timedelta(hours=2)
CODE_LIFETIME = dt.timedelta(seconds=30)
SCOPES = frozenset(
    {
        "block.read",
        "block.write",
        "bookmark.read",
        "bookmark.write",
        "dm.read",
        "dm.write",
        "follows.read",
        "follows.write",
        "like.read",
        "like.write",
        "list.read",
        "list.write",
        "media.write",
        "mute.read",
        "mute.write",
        "offline.access",
        "space.read",
        "tweet.moderate.write",
        "tweet.read",
        "tweet.write",
        "users.read",
    }
)
"""The scopes X's authorize endpoint accepts."""

_NO_CLIENT = "Missing valid authorization header"
_INVALID_TOKEN = "Value passed for the token was invalid."  # noqa: S105 - X's wording


@attrs.frozen(repr=False)
class OAuth2App:
    """An OAuth 2.0 client registered with the sandbox (``repr`` hides the secret).

    Attributes:
        client_id: the app's client id.
        client_secret: the secret of a confidential client; ``None``: a public client.
        redirect_uri: the one callback URL registered.
        user_id: the account that approves every authorization request (non-interactive).
    """

    client_id: str
    client_secret: str | None
    redirect_uri: str
    user_id: str

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else "'***'"
        return (
            f"OAuth2App(client_id={self.client_id!r}, client_secret={secret}, "
            f"redirect_uri={self.redirect_uri!r}, user_id={self.user_id!r})"
        )


@attrs.frozen
class RefreshRecord:
    """One successful refresh, as the sandbox counted it (for soak tests).

    Attributes:
        at: when, on the sandbox clock.
        grant: the grant's id (one per authorization).
    """

    at: dt.datetime
    grant: str


@attrs.define
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scopes: tuple[str, ...]
    user_id: str
    expires_at: dt.datetime
    used: bool = False


@attrs.define
class _Grant:
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@attrs.define
class _Access:
    grant: str
    expires_at: dt.datetime
    revoked: bool = False


class _OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description


class OAuth2Server:
    """The sandbox's OAuth 2.0 authorization server (thread-safe)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._apps: dict[str, OAuth2App] = {}
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}
        self._refresh: dict[str, tuple[str, bool]] = {}  # token -> (grant, spent)
        self._access: dict[str, _Access] = {}
        self.refreshes: list[RefreshRecord] = []
        self.refresh_token_uses: collections.Counter[str] = collections.Counter()
        self.reused_refresh_tokens = 0

    # ------------------------------------------------------------ registration

    def register(self, *, user_id: str, redirect_uri: str, confidential: bool) -> OAuth2App:
        """A new client app whose authorization requests ``user_id`` approves."""
        app = OAuth2App(
            client_id=f"sbxc{secrets.token_hex(8)}",
            client_secret=f"sbxs{secrets.token_hex(16)}" if confidential else None,
            redirect_uri=redirect_uri,
            user_id=user_id,
        )
        with self._lock:
            self._apps[app.client_id] = app
        return app

    # ------------------------------------------------------------ resource side

    def user_for(self, token: str) -> str | None:
        """The user id behind an OAuth 2.0 access token; ``None`` for a token it never issued.

        Raises:
            ApiError: 401 for an expired or revoked access token, or one of a revoked grant.
        """
        with self._lock:
            access = self._access.get(token)
            if access is None:
                return None
            grant = self._grants[access.grant]
            if access.revoked or grant.revoked or self._clock.now() >= access.expires_at:
                raise unauthorized()
            return grant.user_id

    def live_grants(self) -> int:
        """Grants neither revoked nor dead (one refresh token still unspent)."""
        with self._lock:
            live = {grant for grant, spent in self._refresh.values() if not spent}
            return sum(1 for grant in live if not self._grants[grant].revoked)

    # ------------------------------------------------------------ HTTP

    def handle(self, exchange: SandboxRequest) -> SandboxOutcome:
        """Answer a request under ``/2/oauth2/``."""
        path = exchange.path.rstrip("/")
        route = OAUTH2_ENDPOINTS.get(f"{exchange.method} {path}")
        try:
            if route is OAUTH2_AUTHORIZE:
                return self._authorize(dict(exchange.query))
            form = _form(exchange)
            if route is OAUTH2_TOKEN:
                return _json(200, self._token(exchange, form), route.name)
            if route is OAUTH2_REVOKE:
                return _json(200, self._revoke(exchange, form), route.name)
        except _OAuthError as exc:
            body: JSONObject = {"error": exc.error, "error_description": exc.description}
            return _json(exc.status, body, f"{exchange.method} {path}")
        missing: JSONObject = {
            "errors": [{"message": "Sorry, that page does not exist", "code": 34}]
        }
        return _json(404, missing, "")

    def _authorize(self, params: Mapping[str, str]) -> SandboxOutcome:
        app = self._apps.get(params.get("client_id", ""))
        if app is None or params.get("redirect_uri") != app.redirect_uri:
            body: JSONObject = {
                "error": "invalid_request",
                "error_description": "Invalid client or redirect",
            }
            return _json(400, body, OAUTH2_AUTHORIZE.name)
        state = params.get("state", "")
        scopes = tuple(params.get("scope", "").split())
        error = None
        if params.get("response_type") != "code":
            error = "unsupported_response_type"
        elif not state:
            error = "invalid_request"
        elif not scopes or not set(scopes) <= SCOPES:
            error = "invalid_scope"
        elif not params.get("code_challenge") or params.get("code_challenge_method") not in {
            "S256",
            "plain",
        }:
            error = "invalid_request"
        query: dict[str, str] = {"state": state} if state else {}
        if error is not None:
            query["error"] = error
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Code(
                    client_id=app.client_id,
                    redirect_uri=app.redirect_uri,
                    challenge=params["code_challenge"],
                    method=params["code_challenge_method"],
                    scopes=scopes,
                    user_id=app.user_id,
                    expires_at=self._clock.now() + CODE_LIFETIME,
                )
            query["code"] = code
        sep = "&" if "?" in app.redirect_uri else "?"
        location = app.redirect_uri + sep + urllib.parse.urlencode(query)
        return SandboxOutcome(302, (("location", location),), b"", endpoint=OAUTH2_AUTHORIZE.name)

    def _client(self, exchange: SandboxRequest, form: Mapping[str, str]) -> OAuth2App:
        header = exchange.header("Authorization")
        if header is not None and header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except ValueError:
                raise _OAuthError(
                    401, "unauthorized_client", "Missing valid authorization header"
                ) from None
            client_id, _, secret = decoded.partition(":")
            client_id = urllib.parse.unquote_plus(client_id)
            secret = urllib.parse.unquote_plus(secret)
            app = self._apps.get(client_id)
            if (
                app is None
                or app.client_secret is None
                or not hmac.compare_digest(app.client_secret, secret)
            ):
                raise _OAuthError(401, "unauthorized_client", _NO_CLIENT)
            return app
        app = self._apps.get(form.get("client_id", ""))
        if app is None or app.client_secret is not None:
            raise _OAuthError(401, "unauthorized_client", _NO_CLIENT)
        return app

    def _token(self, exchange: SandboxRequest, form: Mapping[str, str]) -> dict[str, object]:
        app = self._client(exchange, form)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange_code(app, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(app, form)
        raise _OAuthError(400, "invalid_request", "Missing required parameter [grant_type].")

    def _exchange_code(self, app: OAuth2App, form: Mapping[str, str]) -> dict[str, object]:
        code = self._codes.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        if (
            code is None
            or code.used
            or code.client_id != app.client_id
            or self._clock.now() >= code.expires_at
            or form.get("redirect_uri") != code.redirect_uri
        ):
            raise _OAuthError(400, "invalid_request", _INVALID_TOKEN)
        code.used = True  # spent even when the verifier is wrong: a guess costs the code
        expected = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
            if code.method == "S256"
            else verifier
        )
        if not (43 <= len(verifier) <= 128) or not hmac.compare_digest(expected, code.challenge):  # noqa: PLR2004 - RFC 7636
            raise _OAuthError(400, "invalid_request", _INVALID_TOKEN)
        grant = f"g{secrets.token_hex(6)}"
        self._grants[grant] = _Grant(app.client_id, code.user_id, code.scopes)
        return self._issue(grant)

    def _refresh_grant(self, app: OAuth2App, form: Mapping[str, str]) -> dict[str, object]:
        token = form.get("refresh_token", "")
        self.refresh_token_uses[token] += 1
        entry = self._refresh.get(token)
        if entry is None:
            raise _OAuthError(400, "invalid_request", _INVALID_TOKEN)
        grant_id, spent = entry
        grant = self._grants[grant_id]
        if spent:
            self.reused_refresh_tokens += 1
        if spent or grant.revoked or grant.client_id != app.client_id:
            raise _OAuthError(400, "invalid_request", _INVALID_TOKEN)
        self._refresh[token] = (grant_id, True)
        self.refreshes.append(RefreshRecord(self._clock.now(), grant_id))
        return self._issue(grant_id)

    def _issue(self, grant_id: str) -> dict[str, object]:
        grant = self._grants[grant_id]
        access = f"sbxo{secrets.token_urlsafe(24)}"
        self._access[access] = _Access(grant_id, self._clock.now() + ACCESS_TOKEN_LIFETIME)
        body: dict[str, object] = {
            "token_type": "bearer",
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "access_token": access,
            "scope": " ".join(grant.scopes),
        }
        if "offline.access" in grant.scopes:
            refresh = f"sbxr{secrets.token_urlsafe(24)}"
            self._refresh[refresh] = (grant_id, False)
            body["refresh_token"] = refresh
        return body

    def _revoke(self, exchange: SandboxRequest, form: Mapping[str, str]) -> dict[str, object]:
        app = self._client(exchange, form)
        token = form.get("token", "")
        if not token:
            raise _OAuthError(400, "invalid_request", "Missing required parameter [token].")
        with self._lock:
            entry = self._refresh.get(token)
            if entry is not None and self._grants[entry[0]].client_id == app.client_id:
                self._grants[entry[0]].revoked = True
            access = self._access.get(token)
            if access is not None and self._grants[access.grant].client_id == app.client_id:
                access.revoked = True
        return {"revoked": True}


def _form(exchange: SandboxRequest) -> dict[str, str]:
    kind = (exchange.header("Content-Type") or "").split(";")[0].strip().lower()
    if exchange.method == "POST" and kind != "application/x-www-form-urlencoded":
        raise _OAuthError(
            400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
        )
    return dict(urllib.parse.parse_qsl(exchange.body.decode("utf-8", "replace")))


def _json(status: int, payload: JSONObject, endpoint: str) -> SandboxOutcome:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = (("content-type", "application/json;charset=UTF-8"),)
    return SandboxOutcome(status, headers, body, endpoint=endpoint, payload=payload)
