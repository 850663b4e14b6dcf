"""Sandbox credentials and request authentication (bearer tokens and real OAuth 1.0a).

OAuth 1.0a signatures are verified exactly as X verifies them (HMAC-SHA1 over
the RFC 5849 signature base string), so a wrong consumer or token secret fails
with 401 in the sandbox just as it would against api.x.com.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping

import attrs

from socialcare.sandbox._problems import ApiError, unauthorized
from socialcare.sandbox._world import Principal

__all__ = ["Authenticator", "SandboxCredentials"]


def _redacted(value: str | None) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen(repr=False)
class SandboxCredentials:
    """The credentials the sandbox issued: app-only, OAuth 1.0a and OAuth 2.0 user tokens.

    ``repr`` never shows a secret.
    """

    user_id: str | None
    bearer_token: str
    consumer_key: str
    consumer_secret: str
    access_token: str | None = None
    access_token_secret: str | None = None
    user_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"SandboxCredentials(user_id={self.user_id!r}, bearer_token='***', "
            f"consumer_key='***', consumer_secret='***', "
            f"access_token={_redacted(self.access_token)}, "
            f"access_token_secret={_redacted(self.access_token_secret)}, "
            f"user_token={_redacted(self.user_token)})"
        )


def _pct(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def _oauth_header(header: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in header[len("OAuth ") :].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        params[urllib.parse.unquote(key)] = urllib.parse.unquote(value.strip('"'))
    return params


def signature_base(
    method: str, url: str, oauth: Mapping[str, str], extra: Iterable[tuple[str, str]]
) -> str:
    """The RFC 5849 signature base string of a request."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    base_url = f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}"
    pairs = [(k, v) for k, v in oauth.items() if k not in {"oauth_signature", "realm"}]
    pairs += urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    pairs += list(extra)
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_pct(k), _pct(v)) for k, v in pairs))
    return "&".join((method.upper(), _pct(base_url), _pct(normalized)))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    """HMAC-SHA1 signature of a base string, base64-encoded."""
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


class Authenticator:
    """Issues credentials and maps a request's ``Authorization`` header to a principal."""

    def __init__(self) -> None:
        salt = secrets.token_hex(6)
        self.bearer_token = f"AAAAsandbox{salt}app"
        self.consumer_key = f"sandbox{salt}ck"
        self.consumer_secret = f"sandbox{salt}cs"
        self._salt = salt
        self._access: dict[str, tuple[str, str]] = {}
        self._user_tokens: dict[str, str] = {}
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self.oauth2: Callable[[str], str | None] | None = None
        """Asked first for a bearer token: OAuth 2.0 user tokens (``sandbox/_oauth2.py``)."""

    def credentials(self, user_id: str | None) -> SandboxCredentials:
        """Credentials acting as ``user_id`` (``None``: app-only)."""
        if user_id is None:
            return SandboxCredentials(
                None, self.bearer_token, self.consumer_key, self.consumer_secret
            )
        with self._lock:
            access = f"{user_id}-sbx{secrets.token_hex(8)}"
            secret = f"sbx{secrets.token_hex(12)}"
            token = f"sbxu{secrets.token_hex(12)}"
            self._access[access] = (user_id, secret)
            self._user_tokens[token] = user_id
        return SandboxCredentials(
            user_id,
            self.bearer_token,
            self.consumer_key,
            self.consumer_secret,
            access_token=access,
            access_token_secret=secret,
            user_token=token,
        )

    def revoke(self, token: str) -> None:
        """Make a bearer, user or access token fail with 401 from now on."""
        with self._lock:
            self._revoked.add(token)

    def authenticate(
        self, *, method: str, url: str, header: str | None, form: Iterable[tuple[str, str]] = ()
    ) -> Principal:
        """The principal behind ``header``.

        Raises:
            ApiError: 401 for a missing, unknown, revoked or badly signed credential.
        """
        if not header:
            raise unauthorized()
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :]
            if token in self._revoked:
                raise unauthorized()
            if hmac.compare_digest(token, self.bearer_token):
                return Principal(None)
            issued = None if self.oauth2 is None else self.oauth2(token)
            if issued is not None:
                return Principal(issued)
            user_id = self._user_tokens.get(token)
            if user_id is None:
                raise unauthorized()
            return Principal(user_id)
        if header.startswith("OAuth "):
            return self._oauth1(method, url, _oauth_header(header), form)
        raise unauthorized()

    def _oauth1(
        self, method: str, url: str, oauth: Mapping[str, str], form: Iterable[tuple[str, str]]
    ) -> Principal:
        token = oauth.get("oauth_token", "")
        entry = self._access.get(token)
        if (
            entry is None
            or token in self._revoked
            or oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_signature_method") != "HMAC-SHA1"
        ):
            raise unauthorized()
        user_id, token_secret = entry
        expected = sign(
            signature_base(method, url, oauth, form), self.consumer_secret, token_secret
        )
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return Principal(user_id)
