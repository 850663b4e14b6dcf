"""httpx adapters for hosted shorteners: Bitly v4, Shlink (REST v3), YOURLS and TinyURL.

Every adapter maps the service's failures at one choke point (``HTTPShortener._send`` and
each service's ``_describe``) to :class:`~socialcare.ShortenerError`, then applies its
``on_error`` policy: ``"fallback"`` posts the long URL (a URL counts 23 in a post whatever
its length, so nothing else changes) and reports why, ``"raise"`` raises.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
import httpx

from socialcare._text_repr import clip
from socialcare.errors import LinkError, ShortenerError
from socialcare.links._codes import check_code, check_target

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DEFAULT_TIMEOUT",
    "Bitly",
    "HTTPShortener",
    "OnError",
    "Shlink",
    "ShortenResult",
    "TinyURL",
    "Yourls",
]

_log = logging.getLogger("socialcare.links")

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
"""Adapters wait at most 3 s to connect and 5 s for each read, write or pool slot."""

OnError = Literal["fallback", "raise"]
"""What an adapter does when the service fails: post the long URL, or raise."""

_TAKEN_WORDS = ("already", "taken", "not available", "exists", "in use")
_HTTP_ERROR = 400
_SERVER_ERROR = 500
_TOO_MANY = 429


@attrs.frozen
class ShortenResult:
    """What a shortening attempt gave.

    Attributes:
        url: the URL to post: the short one, or the long one after a fallback.
        long_url: the URL that was to be shortened.
        service: the service's name.
        error: why the service failed (``None`` on success); ``error.reason`` is
            ``"timeout"``, ``"rate_limited"``, ``"auth"``, ...
    """

    url: str
    long_url: str
    service: str
    error: ShortenerError | None = attrs.field(default=None, eq=False)

    @property
    def fell_back(self) -> bool:
        """Whether the long URL is posted because the service failed."""
        return self.error is not None


def _on_error(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in {"fallback", "raise"}:
        msg = f"{attribute.name} must be 'fallback' or 'raise', got {clip(value)}"
        raise ValueError(msg)


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not (isinstance(value, int | float) and 0 <= value < math.inf):
        msg = f"{attribute.name} must be a finite number >= 0, got {clip(value)}"
        raise ValueError(msg)


def _not_empty(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        msg = f"{attribute.name} must be a non-empty str"  # never echo a credential
        raise ValueError(msg)


def _base_url(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    try:
        check_target(value)
    except LinkError as exc:
        msg = f"{attribute.name} must be an absolute http(s) URL, got {clip(value)}"
        raise ValueError(msg) from exc


def _retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _tags(conversation_id: str | None, campaign: str | None) -> list[str]:
    tags = []
    if campaign is not None:
        tags.append(f"campaign:{campaign}")
    if conversation_id is not None:
        tags.append(f"conversation:{conversation_id}")
    return tags


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _field(data: object, *path: str) -> object:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _looks_taken(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _TAKEN_WORDS)


@attrs.frozen(eq=False)
class HTTPShortener:
    """What the four service adapters share: an httpx client, timeouts, a failure policy.

    An adapter is a :class:`~socialcare.links.Shortener`; it is safe to use from several
    threads (an ``httpx.Client`` is). Credentials never appear in its ``repr`` or in error
    messages.

    Attributes:
        client: an ``httpx.Client`` to send with (its own timeouts are overridden by
            ``timeout``); one is created, and closed by :meth:`close`, otherwise.
        timeout: per-request timeouts (:data:`DEFAULT_TIMEOUT`: 3 s connect, 5 s read).
        on_error: ``"fallback"`` (default) returns the long URL when the service times
            out, fails on the network, answers 4xx, 429 or 5xx, or answers without the
            documented shape; the failure is logged (logger ``socialcare.links``, warning)
            and reported by :meth:`shorten_result`. ``"raise"`` raises
            :class:`~socialcare.ShortenerError` instead.
        max_retry_wait: a 429 is retried once, and only when its ``Retry-After`` asks
            for at most this many seconds (default 2); otherwise it fails at once. A
            call therefore never sleeps longer than this. ``0`` disables the retry.
        sleep: how to wait before that retry (tests pass a recorder).
    """

    service: ClassVar[str] = "http"

    client: httpx.Client | None = attrs.field(default=None, kw_only=True, repr=False)
    timeout: httpx.Timeout = attrs.field(default=DEFAULT_TIMEOUT, kw_only=True, repr=False)
    on_error: OnError = attrs.field(default="fallback", kw_only=True, validator=_on_error)
    max_retry_wait: float = attrs.field(default=2.0, kw_only=True, validator=_non_negative)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, kw_only=True, repr=False)
    _http: httpx.Client = attrs.field(init=False, repr=False)
    _owns_client: bool = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_owns_client", self.client is None)
        object.__setattr__(self, "_http", self.client or httpx.Client(timeout=self.timeout))

    def close(self) -> None:
        """Close the client if the adapter created it (an injected one is left open)."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def shorten(
        self,
        url: str,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> str:
        """See :class:`~socialcare.links.Shortener`; after a fallback, the long URL."""
        return self.shorten_result(
            url, code=code, conversation_id=conversation_id, campaign=campaign
        ).url

    def shorten_result(
        self,
        url: str,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        campaign: str | None = None,
    ) -> ShortenResult:
        """Shorten ``url`` and say how it went (the fallback and its reason included).

        A target that is not an absolute http(s) URL, or an invalid ``code``, raises
        :class:`~socialcare.LinkError` before any request, whatever the policy.
        Conversation and campaign go to the service as tags where it has them
        (``campaign:<name>``, ``conversation:<id>``).
        """
        check_target(url)
        if code is not None:
            check_code(code)
        try:
            short = self._create(url, code, _tags(conversation_id, campaign))
        except ShortenerError as err:
            if self.on_error == "raise":
                raise
            _log.warning("%s; posting the long URL instead", err)
            return ShortenResult(url=url, long_url=url, service=self.service, error=err)
        return ShortenResult(url=short, long_url=url, service=self.service)

    # -- what each service provides -------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        return ()

    def _create(self, url: str, code: str | None, tags: list[str]) -> str:
        raise NotImplementedError

    def _describe(self, response: httpx.Response, data: object) -> tuple[str, str | None]:
        """The service's error message and, when it says so, a reason."""
        del data
        return response.reason_phrase, None

    # -- the choke point --------------------------------------------------------------------

    def _error(
        self,
        message: str,
        *,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> ShortenerError:
        for secret in self._secrets():
            if secret:
                message = message.replace(secret, "***")
        where = f"HTTP {status}" if status is not None else "no response"
        return ShortenerError(
            f"{self.service}: {reason} ({where}): {message}",
            service=self.service,
            reason=reason,
            status=status,
            retry_after=retry_after,
        )

    def _failure(
        self, response: httpx.Response, *, retry_after: float | None = None
    ) -> ShortenerError:
        status = response.status_code
        message, reason = self._describe(response, _json(response))
        if reason is None:
            if status == _TOO_MANY:
                reason = "rate_limited"
            elif status >= _SERVER_ERROR:
                reason = "server"
            elif status in {401, 403}:
                reason = "auth"
            elif status >= _HTTP_ERROR:
                reason = "invalid"
            else:
                reason = "bad_response"
        if not message:
            message = clip(response.text)
        return self._error(
            clip(message, 200), reason=reason, status=status, retry_after=retry_after
        )

    def _send(
        self, method: str, url: str, *, check: bool = True, **kwargs: object
    ) -> httpx.Response:
        """One request (two after a short 429), transport failures and statuses mapped."""
        retried = False
        while True:
            try:
                response = self._http.request(
                    method,
                    url,
                    timeout=self.timeout,
                    **kwargs,  # type: ignore[arg-type]
                )
            except httpx.TimeoutException as exc:
                msg = f"{type(exc).__name__} after {self.timeout}"
                raise self._error(msg, reason="timeout") from exc
            except httpx.HTTPError as exc:
                msg = f"{type(exc).__name__}: {clip(str(exc))}"
                raise self._error(msg, reason="network") from exc
            if response.status_code == _TOO_MANY:
                wait = _retry_after(response.headers.get("Retry-After"))
                cap = self.max_retry_wait
                if not retried and wait is not None and cap > 0 and wait <= cap:
                    retried = True
                    self.sleep(wait)
                    continue
                raise self._failure(response, retry_after=wait)
            if check and response.status_code >= _HTTP_ERROR:
                raise self._failure(response)
            return response

    def _success(self, response: httpx.Response, *path: str) -> str:
        """The short URL at ``path`` in a JSON answer, or a ``bad_response`` failure."""
        value = _field(_json(response), *path)
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            msg = f"no short URL at {'.'.join(path)} in {clip(response.text)}"
            raise self._error(msg, reason="bad_response", status=response.status_code)
        return value


@attrs.frozen(eq=False)
class Bitly(HTTPShortener):
    """Bitly (API v4): ``POST /v4/bitlinks`` with a bearer token.

    A custom ``code`` is a custom back-half: Bitly sets it on a branded short domain
    (``domain``) with a second call, ``POST /v4/custom_bitlinks``. Bitly's 429s
    (``RATE_LIMIT_EXCEEDED``, ``MONTHLY_RATE_LIMIT_EXCEEDED``) come without a
    ``Retry-After`` and reset each minute, hour or month, so they are not retried.

    Attributes:
        token: the access token (kept out of reprs and messages).
        domain: the short domain (``"bit.ly"`` or a branded one); Bitly's account
            default if ``None``.
        group_guid: the group the links belong to; the account's default if ``None``.
        api_url: Bitly's API root.
    """

    service: ClassVar[str] = "bitly"

    token: str = attrs.field(repr=False, validator=_not_empty)
    domain: str | None = attrs.field(default=None, kw_only=True)
    group_guid: str | None = attrs.field(default=None, kw_only=True)
    api_url: str = attrs.field(
        default="https://api-ssl.bitly.com", kw_only=True, validator=_base_url
    )

    def _secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def _create(self, url: str, code: str | None, tags: list[str]) -> str:
        if code is not None and self.domain is None:
            msg = "custom back-halves need a branded short domain: Bitly(domain=...)"
            raise self._error(msg, reason="invalid")
        body: dict[str, object] = {"long_url": url}
        if self.domain is not None:
            body["domain"] = self.domain
        if self.group_guid is not None:
            body["group_guid"] = self.group_guid
        if tags:
            body["tags"] = tags
        headers = {"Authorization": f"Bearer {self.token}"}
        root = self.api_url.rstrip("/")
        response = self._send("POST", f"{root}/v4/bitlinks", json=body, headers=headers)
        link = self._success(response, "link")
        if code is None:
            return link
        bitlink_id = _field(_json(response), "id")
        custom = {"custom_bitlink": f"{self.domain}/{code}", "bitlink_id": bitlink_id}
        response = self._send("POST", f"{root}/v4/custom_bitlinks", json=custom, headers=headers)
        value = _field(_json(response), "custom_bitlink")
        if not isinstance(value, str) or not value:
            msg = f"no custom_bitlink in {clip(response.text)}"
            raise self._error(msg, reason="bad_response", status=response.status_code)
        return value if value.startswith(("http://", "https://")) else f"https://{value}"

    def _describe(self, response: httpx.Response, data: object) -> tuple[str, str | None]:
        # Bitly's error body: message (an upper-case name), description, resource, errors.
        name = _field(data, "message")
        description = _field(data, "description")
        parts = [p for p in (name, description) if isinstance(p, str) and p]
        message = ": ".join(parts)
        reason = None
        if response.request.url.path.endswith("/custom_bitlinks") and _looks_taken(message):
            reason = "code_taken"
        return message, reason


@attrs.frozen(eq=False)
class Shlink(HTTPShortener):
    """A Shlink server (REST API v3): ``POST /rest/v3/short-urls`` with ``X-Api-Key``.

    A custom ``code`` is Shlink's ``customSlug``; a slug in use answers 400
    ``non-unique-slug`` (reason ``"code_taken"``). With ``find_if_exists`` (default)
    the same long URL and slug give back the existing short URL. Shlink answers errors
    as RFC 7807 problem details; a 429 comes from a proxy in front of it, if any.

    Attributes:
        base_url: the server's root, for example ``"https://s.acme.co"``.
        api_key: the API key (kept out of reprs and messages).
        domain: the short domain to use when the server has several.
    """

    service: ClassVar[str] = "shlink"

    base_url: str = attrs.field(validator=_base_url)
    api_key: str = attrs.field(repr=False, validator=_not_empty)
    domain: str | None = attrs.field(default=None, kw_only=True)
    find_if_exists: bool = attrs.field(default=True, kw_only=True)

    def _secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def _create(self, url: str, code: str | None, tags: list[str]) -> str:
        body: dict[str, object] = {"longUrl": url, "findIfExists": self.find_if_exists}
        if code is not None:
            body["customSlug"] = code
        if self.domain is not None:
            body["domain"] = self.domain
        if tags:
            body["tags"] = tags
        response = self._send(
            "POST",
            f"{self.base_url.rstrip('/')}/rest/v3/short-urls",
            json=body,
            headers={"X-Api-Key": self.api_key, "Accept": "application/json"},
        )
        return self._success(response, "shortUrl")

    def _describe(self, response: httpx.Response, data: object) -> tuple[str, str | None]:
        del response
        kind = str(_field(data, "type") or "").rsplit("/", 1)[-1]
        detail = _field(data, "detail") or _field(data, "title") or ""
        message = str(detail)
        invalid = _field(data, "invalidElements")
        if isinstance(invalid, list) and invalid:
            message += f" (invalid: {', '.join(map(str, invalid))})"
        reasons = {
            "non-unique-slug": "code_taken",
            "invalid-api-key": "auth",
            "missing-authentication": "auth",
            "invalid-data": "invalid",
        }
        return message, reasons.get(kind)


@attrs.frozen(eq=False)
class Yourls(HTTPShortener):
    """A YOURLS server: ``yourls-api.php`` with ``action=shorturl`` and ``format=json``.

    Authenticates with the passwordless ``signature`` token, or ``username`` and
    ``password``; the parameters travel in a POST body, never in the URL. A custom
    ``code`` is YOURLS's ``keyword``: taken, YOURLS answers ``error:keyword``
    (reason ``"code_taken"``). When the server keeps one short URL per long URL and
    answers ``error:url``, its existing short URL is used (if no other ``code`` was
    asked for). YOURLS's flood protection answers 429 (an HTML page).

    Attributes:
        api_url: the full URL of ``yourls-api.php``.
        signature: the signature token (kept out of reprs and messages).
        username: with ``password``, instead of a signature.
        password: kept out of reprs and messages.
    """

    service: ClassVar[str] = "yourls"

    api_url: str = attrs.field(validator=_base_url)
    signature: str | None = attrs.field(default=None, kw_only=True, repr=False)
    username: str | None = attrs.field(default=None, kw_only=True)
    password: str | None = attrs.field(default=None, kw_only=True, repr=False)

    def __attrs_post_init__(self) -> None:
        for name in ("signature", "username", "password"):
            _not_empty(self, attrs.fields_dict(Yourls)[name], getattr(self, name))
        if (self.signature is None) == (self.username is None or self.password is None):
            msg = "give YOURLS either signature= or both username= and password="
            raise ValueError(msg)
        super().__attrs_post_init__()

    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.signature, self.password) if s)

    def _create(self, url: str, code: str | None, tags: list[str]) -> str:
        form = {"action": "shorturl", "format": "json", "url": url}
        if code is not None:
            form["keyword"] = code
        if tags:
            form["title"] = " ".join(tags)
        if self.signature is not None:
            form["signature"] = self.signature
        else:
            form["username"] = self.username or ""
            form["password"] = self.password or ""
        response = self._send("POST", self.api_url, data=form, check=False)
        data = _json(response)
        status = _field(data, "status")
        existing = _field(data, "shorturl")
        keyword = _field(data, "url", "keyword")
        if (
            status == "fail"
            and _field(data, "code") == "error:url"
            and isinstance(existing, str)
            and (code is None or keyword == code)
        ):
            return self._success(response, "shorturl")  # one short URL per long URL
        if status == "fail" or response.status_code >= _HTTP_ERROR:
            raise self._failure(response)
        return self._success(response, "shorturl")

    def _describe(self, response: httpx.Response, data: object) -> tuple[str, str | None]:
        del response
        message = str(_field(data, "message") or "")
        reasons = {
            "error:keyword": "code_taken",
            "error:nourl": "invalid",
            "error:noloop": "invalid",
            "error:url": "invalid",
            "error:db": "server",
            "error:concurrency": "server",
        }
        reason = reasons.get(str(_field(data, "code")))
        if reason is None and str(_field(data, "errorCode")) == "403":
            reason = "auth"
        return message, reason


@attrs.frozen(eq=False)
class TinyURL(HTTPShortener):
    """TinyURL (API v1): ``POST https://api.tinyurl.com/create`` with a bearer token.

    A custom ``code`` is TinyURL's ``alias``; taken, TinyURL answers 422 "Alias is not
    available." (reason ``"code_taken"``). Errors come as
    ``{"data": [], "code": <n>, "errors": ["..."]}``.

    Attributes:
        token: the API token (kept out of reprs and messages).
        domain: the short domain (``"tinyurl.com"`` or a branded one); TinyURL's
            default if ``None``.
        api_url: TinyURL's API root.
    """

    service: ClassVar[str] = "tinyurl"

    token: str = attrs.field(repr=False, validator=_not_empty)
    domain: str | None = attrs.field(default=None, kw_only=True)
    api_url: str = attrs.field(default="https://api.tinyurl.com", kw_only=True, validator=_base_url)

    def _secrets(self) -> tuple[str, ...]:
        return (self.token,)

    def _create(self, url: str, code: str | None, tags: list[str]) -> str:
        body: dict[str, object] = {"url": url}
        if self.domain is not None:
            body["domain"] = self.domain
        if code is not None:
            body["alias"] = code
        if tags:
            body["tags"] = tags
        response = self._send(
            "POST",
            f"{self.api_url.rstrip('/')}/create",
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        return self._success(response, "data", "tiny_url")

    def _describe(self, response: httpx.Response, data: object) -> tuple[str, str | None]:
        del response
        errors = _field(data, "errors")
        message = "; ".join(map(str, errors)) if isinstance(errors, list) else ""
        reason = None
        if "alias" in message.lower() and _looks_taken(message):
            reason = "code_taken"
        return message, reason
