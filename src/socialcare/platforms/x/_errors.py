"""The one choke point where tweepy and requests errors become socialcare errors.

:func:`send_mapped` sends one request and maps every failure to
:mod:`socialcare.errors` with ``raise ... from exc``. Before raising, the
chained exception is scrubbed: the requests reachable from it (its own,
its response's and their redirect history's) keep their method, URL and
headers, but authorization headers read ``Bearer ***``/``OAuth ***`` and any
registered credential in the URL, headers or body is ``***``.

tweepy and requests are imported on first use (an ``XPlatform`` exists by then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from socialcare.errors import (
    AuthenticationError,
    DirectMessageNotPermittedError,
    DuplicateContentError,
    InvalidRequestError,
    NotFoundError,
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    RateLimitError,
    ReplyNotPermittedError,
)
from socialcare.platforms.x._redact import REDACTOR

if TYPE_CHECKING:
    import requests
    import tweepy

__all__ = [
    "Context",
    "ambiguous",
    "header_int",
    "json_body",
    "never_sent",
    "reset_at",
    "scrub",
    "send_mapped",
]

Context = Literal["read", "post", "reply", "dm", "delete", "hide"]
"""What a call does, which decides how X's prose-only 403s are read."""

_AUTH_PROBLEM_HINTS = ("unsupported-authentication", "client-forbidden", "oauth1-permissions")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def send_mapped(
    endpoint: str,
    context: Context,
    send: Callable[[], object],
    note: Callable[[requests.Response | None], None],
    *,
    write: bool = False,
) -> requests.Response:
    """Send once; ``note`` sees every response (errors included); failures leave mapped.

    ``write``: the request is a non-idempotent write (a post, a DM); a
    ``PlatformUnavailableError`` then says whether it may have taken effect
    (``ambiguous``): every 5xx, read timeout, connection reset or lost answer may
    have; only a request that provably never reached X (a connect timeout, a
    refused connection) may not.
    """
    import requests  # noqa: PLC0415 - loaded with the first XPlatform
    import tweepy  # noqa: PLC0415

    try:
        response = checked_response(send())
    except tweepy.errors.HTTPException as exc:
        note(getattr(exc, "response", None))
        scrub(exc)
        mapped = _from_http(exc, endpoint, context)
        if isinstance(mapped, PlatformUnavailableError):
            mapped.ambiguous = write
        raise mapped from exc
    except requests.exceptions.RequestException as exc:
        scrub(exc)
        unsent = _never_reached(exc)
        how = "the request never reached X" if unsent else "no answer from X"
        raise PlatformUnavailableError(
            f"{endpoint}: {how} ({type(exc).__name__})",
            endpoint=endpoint,
            ambiguous=write and not unsent,
        ) from exc
    except tweepy.errors.TweepyException as exc:
        scrub(exc)
        raise PlatformError(f"{endpoint}: {exc}", endpoint=endpoint) from exc
    note(response)
    return response


def checked_response(value: object) -> requests.Response:
    """The value tweepy returned, checked: ``return_type=requests.Response`` makes it one."""
    import requests  # noqa: PLC0415 - loaded with the first XPlatform

    if not isinstance(value, requests.Response):
        msg = f"tweepy returned {type(value).__name__}, expected requests.Response"
        raise TypeError(msg)
    return value


def json_body(response: requests.Response, endpoint: str) -> dict[str, Any]:
    """The response's JSON object, or ``PayloadError``."""
    try:
        body = response.json()
    except ValueError as exc:
        msg = f"{endpoint}: the response is not JSON"
        raise PayloadError(msg, field="body") from exc
    if not isinstance(body, dict):
        raise PayloadError(f"{endpoint}: expected a JSON object", field="body")
    return body


# -------------------------------------------------------------------- scrubbing


def scrub(exc: BaseException) -> None:
    """Remove credentials from every request reachable from ``exc`` and its chain."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for request in _requests_of(current):
            _scrub_request(request)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _requests_of(exc: BaseException) -> list[object]:
    found: list[object] = []
    request = getattr(exc, "request", None)
    if request is not None:
        found.append(request)
    response = getattr(exc, "response", None)
    for answer in (*getattr(response, "history", ()), response):
        request = getattr(answer, "request", None)
        if request is not None:
            found.append(request)
    return found


def _scrub_request(request: object) -> None:
    """Scrub a ``requests.PreparedRequest`` (or ``Request``) in place."""
    headers = getattr(request, "headers", None)
    if headers is not None:
        for key in list(headers):
            value = headers[key]
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if str(key).lower() in _SECRET_HEADERS:
                scheme = text.split(" ", 1)[0] if " " in text else ""
                headers[key] = f"{scheme} ***".strip()
            elif REDACTOR.redact(text) != text:
                headers[key] = REDACTOR.redact(text)
    url = getattr(request, "url", None)
    if isinstance(url, str):
        request.url = REDACTOR.redact(url)  # type: ignore[attr-defined]  # checked above
    body = getattr(request, "body", None)
    if isinstance(body, bytes):
        text = body.decode("utf-8", "surrogateescape")
        if REDACTOR.redact(text) != text:
            request.body = REDACTOR.redact(text).encode("utf-8", "surrogateescape")  # type: ignore[attr-defined]
    elif isinstance(body, str):
        request.body = REDACTOR.redact(body)  # type: ignore[attr-defined]
    if getattr(request, "auth", None) is not None:  # an unprepared Request holds the signer
        request.auth = None  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- mapping


def _problem(response: requests.Response | None) -> tuple[str | None, str | None, str | None]:
    """``(title, detail, type)`` of an X error body, whatever its shape."""
    if response is None:
        return None, None, None
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200] or None, None
    if not isinstance(body, dict):
        return None, None, None
    title = body.get("title")
    detail = body.get("detail")
    kind = body.get("type")
    errors = body.get("errors")
    messages = [
        e["message"]
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict) and isinstance(e.get("message"), str)
    ]
    if messages:
        detail = "; ".join([detail, *messages] if isinstance(detail, str) else messages)
    return (
        title if isinstance(title, str) else None,
        detail if isinstance(detail, str) else None,
        kind if isinstance(kind, str) else None,
    )


def reset_at(response: requests.Response | None) -> dt.datetime | None:
    """``x-rate-limit-reset`` as a UTC time."""
    raw = None if response is None else response.headers.get("x-rate-limit-reset")
    if raw is None or not raw.strip().isdigit():
        return None
    return dt.datetime.fromtimestamp(int(raw), tz=dt.timezone.utc)


def header_int(response: requests.Response | None, name: str) -> int | None:
    """A header holding a whole number, or ``None``."""
    raw = None if response is None else response.headers.get(name)
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _forbidden(context: Context, text: str, kind: str | None, **info: Any) -> PlatformError:
    """Classify a 403: X says why only in prose, so read it in the call's context."""
    lowered = text.lower()
    if kind is not None and any(hint in kind for hint in _AUTH_PROBLEM_HINTS):
        return AuthenticationError(f"X refused the credentials: {text}", **info)
    generic = kind is None or kind == "about:blank"
    if "duplicate" in lowered:
        return DuplicateContentError(f"X rejected duplicate content: {text}", **info)
    if context in {"post", "reply"} and "deleted or not visible" in lowered:
        return NotFoundError(f"the replied-to post is gone: {text}", **info)
    if context in {"post", "reply"} and ("too long" in lowered or "cashtag" in lowered):
        return InvalidRequestError(f"X rejected the text: {text}", **info)
    if context == "reply" and generic:
        return ReplyNotPermittedError(
            f"X refused the reply (the author did not mention or quote this account): {text}",
            **info,
        )
    if context == "dm" and generic:
        return DirectMessageNotPermittedError(f"X refused the direct message: {text}", **info)
    return AuthenticationError(f"X denied access: {text}", **info)


def _from_http(exc: tweepy.errors.HTTPException, endpoint: str, context: Context) -> PlatformError:
    import tweepy  # noqa: PLC0415 - loaded with the first XPlatform

    response: requests.Response | None = getattr(exc, "response", None)
    status = None if response is None else response.status_code
    title, detail, kind = _problem(response)
    text = detail or title or str(exc)
    info: dict[str, Any] = {
        "status": status,
        "title": title,
        "detail": detail,
        "endpoint": endpoint,
    }
    where = f"{endpoint}: "
    if isinstance(exc, tweepy.errors.TooManyRequests):
        reset = reset_at(response)
        when = f" until {reset.isoformat()}" if reset is not None else ""
        return RateLimitError(
            f"{where}rate limit exhausted{when}",
            reset_at=reset,
            limit=header_int(response, "x-rate-limit-limit"),
            remaining=header_int(response, "x-rate-limit-remaining"),
            **info,
        )
    if isinstance(exc, tweepy.errors.BadRequest):
        return InvalidRequestError(f"{where}X rejected the request: {text}", **info)
    if isinstance(exc, tweepy.errors.Unauthorized):
        return AuthenticationError(f"{where}X did not accept the credentials: {text}", **info)
    if isinstance(exc, tweepy.errors.Forbidden):
        mapped = _forbidden(context, text, kind, **info)
        mapped.args = (where + str(mapped),)
        return mapped
    if isinstance(exc, tweepy.errors.NotFound):
        return NotFoundError(f"{where}not found: {text}", **info)
    if isinstance(exc, tweepy.errors.TwitterServerError):
        return PlatformUnavailableError(f"{where}X is failing ({status}): {text}", **info)
    return PlatformError(f"{where}unexpected HTTP {status}: {text}", **info)


def _never_reached(exc: BaseException) -> bool:
    """Whether a requests failure happened before the request could reach X.

    A connect timeout, or a connection that could not be opened (refused, name
    not resolved). A read timeout or a connection reset may come after X
    received, and processed, the request.
    """
    import requests  # noqa: PLC0415 - loaded with the first XPlatform
    import urllib3.exceptions  # noqa: PLC0415

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason: object = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def never_sent(exc: BaseException) -> bool:
    """Whether a failed request provably did not take effect at X.

    A 429 (refused before processing) or a request that never reached X. Any other
    failure, a 5xx included (X answers 502/503 after processing too), may have.
    """
    if isinstance(exc, RateLimitError):
        return True
    if isinstance(exc, PlatformUnavailableError):
        return not exc.ambiguous and exc.status is None and _never_reached_cause(exc)
    return False


def _never_reached_cause(exc: BaseException) -> bool:
    cause = exc.__cause__
    return cause is not None and _never_reached(cause)


def ambiguous(exc: BaseException) -> bool:
    """Whether a failed write may have taken effect: ``PlatformUnavailableError.ambiguous``."""
    return isinstance(exc, PlatformUnavailableError) and exc.ambiguous
