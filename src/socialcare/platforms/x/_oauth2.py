"""OAuth 2.0 user context for X: the authorization-code flow with PKCE, refresh, revoke.

:class:`OAuth2Client` builds the authorize URL (``state`` and an ``S256`` code
challenge, RFC 7636), exchanges the callback for tokens (``state`` compared in
constant time, each code verifier used once), refreshes and revokes. Confidential
clients authenticate with HTTP Basic (client id and secret); public clients send
``client_id`` in the form.

Every token request goes through one choke point, :meth:`OAuth2Client._post`, which
maps failures: X refusing a grant (a spent, revoked or unknown refresh token or
code: ``400``/``401`` with ``invalid_request``/``invalid_grant``) is an
:class:`~socialcare.errors.AuthenticationError` saying that the account must be
authorised again; 5xx, timeouts and network errors are
:class:`~socialcare.errors.PlatformUnavailableError`. Tokens never appear in a
``repr``, a log record or an error message (they are registered with the
redactor the platform uses).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from socialcare._clock import Clock, SystemClock
from socialcare.errors import AuthenticationError, PlatformError, PlatformUnavailableError
from socialcare.models import TokenRecord
from socialcare.platforms.x import _redact
from socialcare.platforms.x._endpoints import OAUTH2_REVOKE, OAUTH2_TOKEN, Endpoint

if TYPE_CHECKING:
    import requests
    import requests.adapters

__all__ = [
    "AUTHORIZE_URL",
    "CARE_SCOPES",
    "AuthorizationRequest",
    "OAuth2Client",
    "OAuth2Token",
    "authorize_in_notebook",
]

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
"""Where X asks the account holder to approve an app (X's documented authorize page)."""

CARE_SCOPES = (
    "tweet.read",
    "tweet.write",
    "users.read",
    "dm.read",
    "dm.write",
    "offline.access",
)
"""The scopes care work needs; ``offline.access`` makes X issue a refresh token.

Add ``tweet.moderate.write`` to hide replies.
"""

REAUTHORIZE = "the account must authorise the app again (run the authorization flow)"


def _redacted(value: str | None) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen(repr=False)
class AuthorizationRequest:
    """One authorization in progress: the URL to open, its ``state`` and code verifier.

    Keep it (server side, in the session) until the callback arrives; ``repr`` hides
    the verifier and the state.

    Attributes:
        url: the authorize URL to send the account holder to.
        state: the anti-CSRF value X sends back unchanged.
        code_verifier: the PKCE secret proving the callback belongs to this request.
        redirect_uri: the registered callback URL this request names.
    """

    url: str
    state: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:
        return (
            "AuthorizationRequest(url=..., state='***', code_verifier='***', "
            f"redirect_uri={self.redirect_uri!r})"
        )


@attrs.frozen(repr=False)
class OAuth2Token:
    """What X's token endpoint returned: an access token, its expiry, maybe a refresh token.

    ``repr`` never shows a token.

    Attributes:
        access_token: the bearer token for user-context requests (two hours on X).
        expires_at: when the access token stops working.
        refresh_token: the single-use refresh token (only with ``offline.access``).
        scopes: the scopes granted.
    """

    access_token: str
    expires_at: dt.datetime
    refresh_token: str | None = None
    scopes: tuple[str, ...] = ()

    def record(self, key: str, *, account_id: str | None = None) -> TokenRecord:
        """This grant as a store keeps it under ``key`` (not stored yet: ``version`` 0).

        ``store.put_token(token.record("x:acmehelp"))`` after the authorization;
        :class:`~socialcare.platforms.x.StoredTokens` then keeps it refreshed.
        """
        return TokenRecord.issued(
            key,
            access_token=self.access_token,
            expires_at=self.expires_at,
            refresh_token=self.refresh_token,
            scopes=self.scopes,
            account_id=account_id,
        )

    def __repr__(self) -> str:
        return (
            f"OAuth2Token(access_token='***', expires_at={self.expires_at.isoformat()!r}, "
            f"refresh_token={_redacted(self.refresh_token)}, scopes={self.scopes!r})"
        )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuth2Client:
    """An X app's OAuth 2.0 client: authorize URL, code exchange, refresh and revoke.

    Args:
        client_id: the app's OAuth 2.0 client id.
        client_secret: a confidential client's secret (HTTP Basic at the token
            endpoint); ``None`` for a public client.
        redirect_uri: the callback URL registered for the app.
        scopes: what to ask for; :data:`CARE_SCOPES` by default.
        authorize_url: X's authorize page (the sandbox answers any host's
            ``/2/oauth2/authorize`` through :meth:`~socialcare.sandbox.Sandbox.approve`).
        api_host: where ``/2/oauth2/token`` and ``/2/oauth2/revoke`` are.
        transport: a ``requests`` transport adapter instead of the network
            (``Sandbox.transport()``).
        timeout: seconds to wait for X's answer.
        clock: turns ``expires_in`` into ``expires_at``.

    Thread-safe. ``repr`` hides the secret.
    """

    def __init__(
        self,
        client_id: str,
        *,
        redirect_uri: str,
        client_secret: str | None = None,
        scopes: Iterable[str] = CARE_SCOPES,
        authorize_url: str = AUTHORIZE_URL,
        api_host: str = "https://api.x.com",
        transport: requests.adapters.BaseAdapter | None = None,
        timeout: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        if not client_id:
            msg = "client_id must not be empty"
            raise ValueError(msg)
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self.authorize_url = authorize_url
        self.api_host = api_host.rstrip("/")
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._secret = client_secret
        self._transport = transport
        self._timeout = timeout
        self._session: Any = None
        self._used: set[str] = set()
        self._lock = threading.Lock()
        _redact.REDACTOR.register(client_secret)
        _redact.install()

    @property
    def confidential(self) -> bool:
        """Whether the client authenticates with a secret (HTTP Basic)."""
        return self._secret is not None

    def __repr__(self) -> str:
        return (
            f"OAuth2Client(client_id={self.client_id!r}, client_secret="
            f"{_redacted(self._secret)}, redirect_uri={self.redirect_uri!r})"
        )

    # ------------------------------------------------------------ the flow

    def authorization(self) -> AuthorizationRequest:
        """A new authorization request: a fresh ``state`` and PKCE verifier (S256)."""
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(64)[:96]
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
            },
            quote_via=urllib.parse.quote,
        )
        return AuthorizationRequest(
            url=f"{self.authorize_url}?{query}",
            state=state,
            code_verifier=verifier,
            redirect_uri=self.redirect_uri,
        )

    def exchange(self, request: AuthorizationRequest, callback_url: str) -> OAuth2Token:
        """Trade the callback (the URL X redirected to) for tokens.

        The ``state`` of the callback is compared with the request's in constant
        time, and each request's code verifier is sent at most once.

        Raises:
            AuthenticationError: the account denied access, the state does not match,
                the request was already used, or X refused the code.
        """
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback_url).query))
        if "error" in params:
            msg = f"authorization was not granted ({params['error'][:60]})"
            raise AuthenticationError(msg)
        if not hmac.compare_digest(params.get("state", "").encode(), request.state.encode()):
            msg = "the callback's state does not match the authorization request (possible CSRF)"
            raise AuthenticationError(msg)
        code = params.get("code")
        if not code:
            msg = "the callback carries no authorization code"
            raise AuthenticationError(msg)
        with self._lock:
            if request.code_verifier in self._used:
                msg = "this authorization request was already exchanged; start a new one"
                raise AuthenticationError(msg)
            self._used.add(request.code_verifier)
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "code_verifier": request.code_verifier,
            },
            what="code exchange",
        )

    def refresh(self, refresh_token: str, *, timeout: float | None = None) -> OAuth2Token:
        """A new access token (and, as X rotates them, a new refresh token).

        The refresh token given is spent whether or not the answer arrives.
        ``timeout`` (seconds) overrides the client's for this request (``StoredTokens``
        keeps a refresh shorter than its lease).

        Raises:
            AuthenticationError: X refused the refresh token (spent, revoked or
                unknown): the account must authorise the app again.
            PlatformUnavailableError: X failed or did not answer.
        """
        _redact.REDACTOR.register(refresh_token)
        return self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            what="refresh",
            timeout=timeout,
        )

    def revoke(self, token: str, *, hint: str | None = None) -> None:
        """Revoke an access or refresh token (``POST /2/oauth2/revoke``).

        Revoking the refresh token ends the grant: its access tokens stop working too.

        Args:
            token: the token to revoke.
            hint: ``"access_token"`` or ``"refresh_token"`` (optional).
        """
        form = {"token": token}
        if hint is not None:
            form["token_type_hint"] = hint
        self._post(OAUTH2_REVOKE, form, what="revoke")

    # ------------------------------------------------------------ plumbing

    def _token_request(
        self, form: dict[str, str], *, what: str, timeout: float | None = None
    ) -> OAuth2Token:
        body = self._post(OAUTH2_TOKEN, form, what=what, timeout=timeout)
        try:
            access = str(body["access_token"])
            expires_in = float(body.get("expires_in", 7200))
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"oauth2 {what}: X's answer has no usable access token"
            raise PlatformError(msg, endpoint=OAUTH2_TOKEN.name) from exc
        refresh = body.get("refresh_token")
        _redact.REDACTOR.register(access, refresh if isinstance(refresh, str) else None)
        scope = body.get("scope")
        return OAuth2Token(
            access_token=access,
            expires_at=self.clock.now() + dt.timedelta(seconds=expires_in),
            refresh_token=refresh if isinstance(refresh, str) else None,
            scopes=tuple(scope.split()) if isinstance(scope, str) else self.scopes,
        )

    def _http(self) -> Any:
        with self._lock:
            if self._session is None:
                import requests  # noqa: PLC0415 - loaded on first use

                session = requests.Session()
                if self._transport is not None:
                    for host in ("https://api.x.com/", "https://api.twitter.com/"):
                        session.mount(host, self._transport)
                    session.mount(self.api_host + "/", self._transport)
                self._session = session
            return self._session

    def _post(
        self, route: Endpoint, form: dict[str, str], *, what: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """The one choke point: send a token request, map every failure."""
        import requests  # noqa: PLC0415 - loaded on first use

        endpoint, path = route.name, route.path
        auth: tuple[str, str] | None = None
        if self._secret is not None:
            auth = (
                urllib.parse.quote(self.client_id, safe=""),
                urllib.parse.quote(self._secret, safe=""),
            )
        else:
            form = {**form, "client_id": self.client_id}
        try:
            response = self._http().post(
                self.api_host + path,
                data=form,
                auth=auth,
                timeout=self._timeout if timeout is None else timeout,
            )
        except requests.exceptions.RequestException as exc:
            _forget_request(exc)
            msg = f"oauth2 {what}: no answer from X ({type(exc).__name__})"
            raise PlatformUnavailableError(msg, endpoint=endpoint) from exc
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if status >= 500:  # noqa: PLR2004
            msg = f"oauth2 {what}: X is failing ({status})"
            raise PlatformUnavailableError(msg, endpoint=endpoint, status=status)
        if status >= 400:  # noqa: PLR2004
            error = str(body.get("error", "error"))[:40]
            if what in {"refresh", "code exchange"} and status in {400, 401}:
                msg = f"oauth2 {what}: X refused the grant ({status} {error}); {REAUTHORIZE}"
            else:
                msg = f"oauth2 {what}: X refused the request ({status} {error})"
            raise AuthenticationError(msg, endpoint=endpoint, status=status)
        return body


def _forget_request(exc: BaseException) -> None:
    """Drop the form (tokens, code verifier) and credentials of the request behind ``exc``."""
    request = getattr(exc, "request", None)
    if request is not None:
        request.body = None
        headers = getattr(request, "headers", None)
        if headers is not None:
            headers.pop("Authorization", None)


def authorize_in_notebook(
    client: OAuth2Client,
    *,
    ask: Callable[[str], str] = input,
    show: Callable[[str], object] = print,
) -> OAuth2Token:
    """Authorise in a notebook: open the printed URL, approve, paste the redirect URL back.

    Args:
        client: the app's OAuth 2.0 client.
        ask: reads the pasted URL (``input`` by default).
        show: shows the URL to open (``print`` by default).
    """
    request = client.authorization()
    show(
        f"Open this URL, approve the app, then paste the URL you are redirected to:\n{request.url}"
    )
    return client.exchange(request, ask("Redirect URL: ").strip())
