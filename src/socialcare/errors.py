"""Every error socialcare raises on purpose.

All of them derive from one root, so ``except socialcare.SocialCareError`` catches
everything the library raises deliberately, and nothing else::

    SocialCareError
    ├── ConfigurationError              missing credential, driver or setting
    ├── PayloadError                    a platform payload is malformed (names the field)
    ├── QueryError                      a search query X would reject (also a ValueError)
    │   └── StreamRuleError             filtered stream rules over X's limits (count, length)
    ├── PlatformError                   the platform refused or failed a call
    │   ├── AuthenticationError         401, or 403 for missing access or scope
    │   ├── NotFoundError               404, deleted or never existing resource
    │   ├── RateLimitError              429, with reset_at / limit / remaining
    │   ├── PlatformUnavailableError    5xx, timeouts and network failures (transient;
    │   │                               .ambiguous: a write that may have taken effect)
    │   ├── ReplyNotPermittedError      403: the author did not summon the account
    │   ├── DirectMessageNotPermittedError  403: the user does not accept the DM
    │   ├── DuplicateContentError       403: same text posted recently
    │   └── InvalidRequestError         400: X rejected the request's parameters
    ├── AlertError                      an alert sink could not deliver
    ├── CollisionError                  another agent or bot holds the conversation (holder, expiry)
    ├── ComposeError                    text that cannot be posted as it is
    │   ├── ReplyTooLongError           over the weighted-length limit (where it stops fitting)
    │   ├── TemplateError               a saved reply's syntax or a missing variable (ValueError)
    │   └── PrivateDataError            private data in public text (names the kinds, never values)
    ├── LinkError                       a short link could not be made or followed
    │   ├── ShortCodeTakenError         the custom code already leads somewhere else
    │   └── ShortenerError              a shortening service failed (timeout, 4xx, 429, 5xx)
    ├── StorageError                    the store failed; nothing committed is lost
    │   ├── SchemaVersionError          stored schema is older or newer than the code
    │   └── LeaseError                  a lease is held by another owner or expired
    └── WebhookError                    an incoming X webhook request was refused
        └── WebhookSignatureError       missing or wrong x-twitter-webhooks-signature

Third-party exceptions (tweepy, requests, sqlite3, psycopg) never escape: each
boundary maps them at one choke point with ``raise ... from exc``, so the original
stays reachable as ``__cause__``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = [
    "AlertError",
    "AuthenticationError",
    "CollisionError",
    "ComposeError",
    "ConfigurationError",
    "DirectMessageNotPermittedError",
    "DuplicateContentError",
    "InvalidRequestError",
    "LeaseError",
    "LinkError",
    "NotFoundError",
    "PayloadError",
    "PlatformError",
    "PlatformUnavailableError",
    "PrivateDataError",
    "QueryError",
    "RateLimitError",
    "ReplyNotPermittedError",
    "SchemaVersionError",
    "ShortCodeTakenError",
    "ShortenerError",
    "SocialCareError",
    "StorageError",
    "StreamRuleError",
    "TemplateError",
    "WebhookError",
    "WebhookSignatureError",
]


class SocialCareError(Exception):
    """Root of every error socialcare raises on purpose."""


class ConfigurationError(SocialCareError):
    """Something needed to run is missing or inconsistent: a credential, a driver, a setting."""


class PayloadError(SocialCareError, ValueError):
    """A platform payload does not have the shape the model needs.

    Attributes:
        field: dotted path of the offending field, for example ``"data[3].id"``.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class QueryError(SocialCareError, ValueError):
    """A search query that X would reject: empty, too long, unbalanced, or negation only."""


class StreamRuleError(QueryError):
    """Filtered stream rules X would refuse, found before any request.

    More rules than X allows per app (1,000), a rule longer than X accepts (1,024
    characters), an invalid query or tag, or two rules with the same value.

    Attributes:
        rule: the name (tag) of the offending rule, when one is to blame.
    """

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


class PlatformError(SocialCareError):
    """The platform refused or failed a call.

    Attributes:
        status: HTTP status code, or ``None`` when no response arrived.
        title: X's short problem title (``"Forbidden"``), when there was one.
        detail: X's human-readable explanation, when there was one.
        endpoint: the endpoint that failed, for example ``"GET /2/tweets/search/recent"``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.detail = detail
        self.endpoint = endpoint


class AuthenticationError(PlatformError):
    """Credentials are missing, wrong, expired, or lack the access the call needs."""


class NotFoundError(PlatformError):
    """The resource does not exist, was deleted, or is not visible to these credentials."""


class RateLimitError(PlatformError):
    """The endpoint's rate limit is exhausted.

    Attributes:
        reset_at: when the window resets (UTC), if X said.
        limit: requests allowed per window, if X said.
        remaining: requests left in the window (normally 0), if X said.
    """

    def __init__(
        self,
        message: str,
        *,
        reset_at: dt.datetime | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        status: int | None = 429,
        title: str | None = None,
        detail: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, title=title, detail=detail, endpoint=endpoint)
        self.reset_at = reset_at
        self.limit = limit
        self.remaining = remaining


class PlatformUnavailableError(PlatformError):
    """A transient failure: 5xx, timeout or network error. Safe to retry reads.

    Attributes:
        ambiguous: ``True`` when the failed request was a write that may have taken
            effect at X all the same (a 5xx, a timeout or a connection reset after
            the request was sent, or a lost answer): retrying it blindly could
            publish twice, so read what X holds first (``Platform.find_post``,
            ``Platform.find_dm``). ``False`` for reads and for writes that provably
            did not reach X (a connect timeout, a refused connection).
    """

    def __init__(self, message: str, *, ambiguous: bool = False, **platform: Any) -> None:
        super().__init__(message, **platform)
        self.ambiguous = ambiguous


class ReplyNotPermittedError(PlatformError):
    """X refused a reply: the post's author neither mentioned nor quoted the account.

    Since February 2026 self-serve apps may reply only when summoned. Move the
    conversation to DM or wait for the customer to mention the brand.
    """


class DirectMessageNotPermittedError(PlatformError):
    """X refused a direct message: the recipient does not accept DMs from this account."""


class DuplicateContentError(PlatformError):
    """X refused a post whose text duplicates one the account posted recently."""


class InvalidRequestError(PlatformError):
    """X rejected the request's parameters (HTTP 400), for example a malformed query.

    ``XPlatform`` also raises it, before sending anything, for a post or DM text longer
    than X accepts; the numbers are then set.

    Attributes:
        weighted_length: the text's length as X counts it (twitter-text v3 weighted
            characters for a post, characters for a DM); ``None`` otherwise.
        limit: the longest X accepts (280 for a post, 10,000 for a DM); ``None`` otherwise.
    """

    def __init__(
        self,
        message: str,
        *,
        weighted_length: int | None = None,
        limit: int | None = None,
        **platform: Any,
    ) -> None:
        super().__init__(message, **platform)
        self.weighted_length = weighted_length
        self.limit = limit


class AlertError(SocialCareError):
    """An alert sink could not deliver: the webhook, mail server or feed file failed."""


class ComposeError(SocialCareError):
    """Text that cannot be posted as it is."""


class ReplyTooLongError(ComposeError):
    """The text's weighted length (twitter-text v3) is over the limit.

    Attributes:
        weighted_length: the text's weighted length (every URL counts 23).
        limit: the maximum weighted length allowed.
        overflow: ``weighted_length - limit``.
        fits_until: how many characters (code points) of the text fit; the text
            stops fitting at ``text[fits_until:]``.
    """

    def __init__(self, message: str, *, weighted_length: int, limit: int, fits_until: int) -> None:
        super().__init__(message)
        self.weighted_length = weighted_length
        self.limit = limit
        self.overflow = weighted_length - limit
        self.fits_until = fits_until


class TemplateError(ComposeError, ValueError):
    """A saved reply cannot be filled: bad template syntax, or a variable without a value.

    Attributes:
        variable: the variable that has no value (``None`` for a syntax error).
        position: the offset in the template where the problem is.
    """

    def __init__(self, message: str, *, variable: str | None, position: int) -> None:
        super().__init__(message)
        self.variable = variable
        self.position = position


class PrivateDataError(ComposeError):
    """Public text holds private data: a card number, an IBAN, an e-mail address, a password...

    The message names the kinds found and suggests a direct message; it never repeats the
    private values themselves (they would end up in logs).

    Attributes:
        kinds: the kinds found (``"card"``, ``"email"``...), in order of first appearance.
    """

    def __init__(self, message: str, *, kinds: tuple[str, ...]) -> None:
        super().__init__(message)
        self.kinds = kinds


class LinkError(SocialCareError):
    """A short link could not be made or followed."""


class ShortCodeTakenError(LinkError):
    """The custom short code already leads to another target.

    Attributes:
        code: the code that is taken.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class ShortenerError(LinkError):
    """A link-shortening service (Bitly, Shlink, YOURLS, TinyURL) failed.

    Attributes:
        service: the service's name (``"bitly"``, ``"shlink"``, ``"yourls"``, ``"tinyurl"``).
        reason: what went wrong, one of ``"timeout"``, ``"network"``, ``"auth"`` (bad or
            missing credentials), ``"invalid"`` (the service refused the URL or a
            parameter), ``"code_taken"`` (the custom code leads elsewhere),
            ``"rate_limited"`` (429), ``"server"`` (5xx), ``"bad_response"`` (an answer
            without the documented shape).
        status: the HTTP status, or ``None`` when no response arrived.
        retry_after: seconds the service asked to wait (a 429's ``Retry-After``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class StorageError(SocialCareError):
    """The store failed. Whatever was committed before the failure is intact."""


class SchemaVersionError(StorageError):
    """The stored schema's version differs from the version this code needs.

    Attributes:
        found: the version recorded in the store (``None`` when there is no schema).
        expected: the version this code needs.
    """

    def __init__(self, message: str, *, found: int | None, expected: int) -> None:
        super().__init__(message)
        self.found = found
        self.expected = expected


class LeaseError(StorageError):
    """A lease operation was refused: the lease is held by another owner or has expired."""


class CollisionError(SocialCareError):
    """Another agent or bot holds the conversation: answering now would answer it twice.

    Its own branch, not a :class:`StorageError`: the store works, a colleague is on it.
    Code that retries storage failures must not retry this; pick another conversation.

    Attributes:
        conversation_id: the conversation.
        holder: who holds it.
        expires_at: when the holder's lease lapses unless renewed (``None``: unknown).
    """

    def __init__(
        self,
        message: str,
        *,
        conversation_id: str,
        holder: str,
        expires_at: dt.datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.conversation_id = conversation_id
        self.holder = holder
        self.expires_at = expires_at


class WebhookError(SocialCareError):
    """An incoming X webhook request was refused (the receiver answers it with a 4xx).

    Attributes:
        status: the HTTP status the receiver answers with.
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class WebhookSignatureError(WebhookError):
    """A delivery without a valid ``x-twitter-webhooks-signature`` (answered 401 or 403)."""
