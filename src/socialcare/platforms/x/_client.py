"""``XPlatform``: the ``Platform`` protocol on X API v2, through tweepy.

One code path for production and tests: the same ``XPlatform`` talks to
api.x.com, or to :class:`socialcare.sandbox.Sandbox` when a transport adapter
is given (``Sandbox.platform()`` does that for you).

Credentials:

* app reads: an OAuth 2.0 app-only **bearer token**;
* writes, DMs and ``me()``: user context, through **OAuth 1.0a** (consumer key
  and secret plus access token and secret) or an **OAuth 2.0 user token**.

Reads use the bearer token when there is one (app rate limits), else the user
context. Credentials come from arguments or, with :meth:`XPlatform.from_env`,
from ``SOCIALCARE_X_*`` environment variables. They never appear in ``repr``,
in log records (tweepy's debug logs included) or in the request reachable from
a platform error's ``__cause__``.

Failures are mapped at one choke point, ``_errors.send_mapped``, to
:mod:`socialcare.errors`. Transient failures (5xx, timeouts, network errors)
are retried with jittered exponential backoff; a 429 waits for the reset only
when it is within ``max_rate_limit_wait`` seconds. Writes are retried only when
the request provably did not take effect (a 429, a request that never reached X).
Any other failure of a post or DM (a 5xx, a timeout, a connection reset, a lost
answer) is *ambiguous*: the platform looks for it (``find_post``/``find_dm``:
the account's recent posts, the conversation's recent events, matched on what X
stores) before trying again, so nothing is published twice; with
``reconcile=False`` it raises ``PlatformUnavailableError(ambiguous=True)`` instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import attrs
import tenacity

from socialcare._clock import Clock, SystemClock
from socialcare.errors import (
    AuthenticationError,
    ConfigurationError,
    DuplicateContentError,
    InvalidRequestError,
    NotFoundError,
    PayloadError,
    PlatformError,
    PlatformUnavailableError,
    RateLimitError,
)
from socialcare.models import (
    DirectMessage,
    Includes,
    Page,
    Post,
    Problem,
    ReferencedPost,
    User,
)
from socialcare.platforms._base import QueryLike, RateLimit, ReplySettings, query_text
from socialcare.platforms._match import dm_matches, post_matches
from socialcare.platforms.x import _redact
from socialcare.platforms.x._activity import ActivityAPI
from socialcare.platforms.x._endpoints import (
    CREATE_POST,
    DELETE_POST,
    DM_CONVERSATION_EVENTS,
    DM_EVENTS,
    GET_POST,
    GET_POSTS,
    GET_USERS,
    HIDE_REPLY,
    ME,
    MENTIONS,
    SEARCH_ALL,
    SEARCH_RECENT,
    SEND_DM,
    USER_BY_USERNAME,
    USER_POSTS,
    Endpoint,
)
from socialcare.platforms.x._errors import (
    Context,
    checked_response,
    header_int,
    json_body,
    reset_at,
    send_mapped,
)
from socialcare.platforms.x._streams import StreamAPI  # filtered and activity streams
from socialcare.platforms.x._tokens import TokenProvider
from socialcare.platforms.x._usage import Usage
from socialcare.text import parse_tweet

if TYPE_CHECKING:
    import requests
    import requests.adapters

__all__ = ["ENV_VARS", "XPlatform"]

log = logging.getLogger(__name__)

ENV_VARS = {
    "bearer_token": "SOCIALCARE_X_BEARER_TOKEN",
    "consumer_key": "SOCIALCARE_X_CONSUMER_KEY",
    "consumer_secret": "SOCIALCARE_X_CONSUMER_SECRET",
    "access_token": "SOCIALCARE_X_ACCESS_TOKEN",
    "access_token_secret": "SOCIALCARE_X_ACCESS_TOKEN_SECRET",
    "user_token": "SOCIALCARE_X_USER_TOKEN",
}
"""The environment variable read for each credential by :meth:`XPlatform.from_env`."""

BATCH = 100
"""Ids per lookup request (X's limit)."""

MAX_POST_LENGTH = 280
"""The longest post X accepts, in twitter-text v3 weighted characters."""

MAX_DM_LENGTH = 10_000
"""The longest direct message X accepts, in characters."""

_KNOWN_POSTS = 10_000
"""How many posts read lately the client remembers (conversation and author) for replies."""

_FIND_SKEW = dt.timedelta(minutes=2)
"""How far before ``since`` :meth:`XPlatform.find_post`/``find_dm`` look (clock skew)."""

_FIND_PAGES = 5
"""Pages of 100 a reconciliation read walks at most."""

_REPLY_SETTINGS = frozenset(get_args(ReplySettings))

_PENDING = "(set from the token provider before each request)"

_Sent = TypeVar("_Sent", Post, DirectMessage)

Expansions = Iterable[str]
"""Expansion names for a read (``"author_id"``, ``"entities.mentions.username"``...)."""


def _check_credentials(
    oauth1: tuple[str | None, ...],
    bearer_token: str | None,
    user_token: str | None,
    token_provider: TokenProvider | None,
) -> None:
    """Raise ``ConfigurationError`` for an unusable set of credentials."""
    if any(oauth1) and not all(oauth1):
        missing = [
            name
            for name, value in zip(
                ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
                oauth1,
                strict=True,
            )
            if not value
        ]
        msg = f"OAuth 1.0a user context needs all four credentials; missing {missing}"
        raise ConfigurationError(msg)
    if user_token and token_provider is not None:
        msg = "pass either user_token or token_provider, not both"
        raise ConfigurationError(msg)
    if not (bearer_token or user_token or token_provider is not None or all(oauth1)):
        msg = (
            "XPlatform needs credentials: a bearer token, an OAuth 2.0 user token, or the "
            "four OAuth 1.0a credentials (see XPlatform.from_env for SOCIALCARE_X_* variables)"
        )
        raise ConfigurationError(msg)


# ------------------------------------------------------------------- platform


class XPlatform(ActivityAPI, StreamAPI):
    """The :class:`~socialcare.platforms.Platform` protocol on X API v2 via tweepy.

    Real-time delivery is managed here too (see ``docs/realtime.md``): webhooks
    (:meth:`create_webhook`, :meth:`webhooks`, :meth:`validate_webhook`,
    :meth:`delete_webhook`, :meth:`replay_webhook`) and X Activity API
    subscriptions (:meth:`create_subscription`, :meth:`subscriptions`,
    :meth:`update_subscription`, :meth:`delete_subscription`), and the streams
    (``_streams.py``): filtered stream rules (:meth:`sync_stream_rules`,
    :meth:`stream_rules`, :meth:`add_stream_rules`, :meth:`delete_stream_rules`)
    and connections (:meth:`filtered_stream`, :meth:`activity_stream`).

    Args:
        bearer_token: OAuth 2.0 app-only bearer token (app reads).
        consumer_key: OAuth 1.0a consumer (API) key.
        consumer_secret: OAuth 1.0a consumer secret.
        access_token: OAuth 1.0a access token of the acting user.
        access_token_secret: OAuth 1.0a access token secret.
        user_token: OAuth 2.0 user-context access token (alternative to OAuth 1.0a);
            a fixed token stops working when it expires (two hours on X).
        token_provider: where OAuth 2.0 user tokens come from instead of a fixed
            ``user_token``: a :class:`StoredTokens` refreshes them before they expire
            (one worker at a time). A 401 on a user-context request refreshes once
            and retries once; a grant X refuses raises ``AuthenticationError`` saying
            the account must authorise the app again (see ``docs/oauth2.md``).
        clock: time source for rate-limit waits and backoff sleeps; exposed as
            :attr:`clock` (a monitor polling this platform without a clock of its
            own takes it, so a platform on the sandbox's time is polled in that time).
        timeout: seconds to wait for X's answer on each request.
        max_attempts: attempts per call, including the first (1 disables retries).
        max_rate_limit_wait: on 429, wait for the reset only if it is at most this
            many seconds away; otherwise raise ``RateLimitError`` at once.
        backoff: base seconds of the jittered exponential backoff (capped at 30 s).
        transport: a ``requests`` transport adapter mounted for X's hosts instead
            of the network (the sandbox provides one).
        api_host: where requests go: ``https://api.x.com`` (X's documented host)
            or ``https://api.twitter.com`` (the one tweepy hard-codes).
        expansions: the expansions post reads (searches, timelines, lookups) ask
            for unless a call passes its own; ``None``: the endpoint table's
            default (``author_id``, ``entities.mentions.username``,
            ``in_reply_to_user_id``, ``referenced_tweets.id``,
            ``referenced_tweets.id.author_id``). Every expanded object is billed
            as a read (a user $0.010, a post $0.005); see ``docs/platform.md``.
        usage_source: where the app's pay-per-use bill can be read, as a
            :class:`Usage` (``Sandbox.platform()`` passes the sandbox's ledger);
            exposed by :meth:`usage`. X itself reports no bill over the API, so
            ``None`` (the default) for api.x.com.

    One instance may be shared by threads (rate-limit state is locked; tweepy's
    requests session is used as requests supports), though one per thread avoids
    contention on the connection pool.

    Raises:
        ConfigurationError: no usable credential, or an incomplete OAuth 1.0a set.
    """

    def __init__(
        self,
        *,
        bearer_token: str | None = None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        user_token: str | None = None,
        token_provider: TokenProvider | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
        max_attempts: int = 4,
        max_rate_limit_wait: float = 60.0,
        backoff: float = 0.5,
        transport: requests.adapters.BaseAdapter | None = None,
        api_host: str = "https://api.x.com",
        expansions: Expansions | None = None,
        usage_source: Callable[[], Usage] | None = None,
    ) -> None:
        self._usage_source = usage_source
        self._expansions = (
            None if expansions is None else SEARCH_RECENT.checked_expansions(expansions)
        )
        if not api_host.startswith(("https://", "http://")):
            msg = f"api_host must be an http(s) URL, got {api_host!r}"
            raise ValueError(msg)
        self._api_host = api_host
        oauth1 = (consumer_key, consumer_secret, access_token, access_token_secret)
        _check_credentials(oauth1, bearer_token, user_token, token_provider)
        if max_attempts < 1:
            msg = f"max_attempts must be at least 1, got {max_attempts}"
            raise ValueError(msg)
        if timeout <= 0 or max_rate_limit_wait < 0 or backoff < 0:
            msg = "timeout must be positive; max_rate_limit_wait and backoff not negative"
            raise ValueError(msg)
        _redact.REDACTOR.register(bearer_token, user_token, *oauth1)
        _redact.install()
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_rate_limit_wait = max_rate_limit_wait
        self._backoff = tenacity.wait_random_exponential(multiplier=backoff, max=30)
        self._transport = transport
        self._limits: dict[str, RateLimit] = {}
        self._lock = threading.Lock()
        self._auth_kinds: list[str] = []
        self._app: Any = None
        self._user: Any = None
        self._user_auth_flag = False
        self._my_id: str | None = None
        self._user_ids: dict[str, str] = {}
        self._known_posts: OrderedDict[str, Post] = OrderedDict()
        self._tokens = None if all(oauth1) else token_provider
        self._token_lock = threading.Lock()
        if bearer_token:
            self._app = self._client(bearer_token=bearer_token)
            self._auth_kinds.append("app bearer")
        if all(oauth1):
            self._user = self._client(
                consumer_key=consumer_key,
                consumer_secret=consumer_secret,
                access_token=access_token,
                access_token_secret=access_token_secret,
            )
            self._user_auth_flag = True
            self._auth_kinds.append("OAuth 1.0a user")
            prefix = (access_token or "").split("-", 1)[0]
            self._my_id = prefix if prefix.isdigit() else None
        elif user_token:
            self._user = self._client(bearer_token=user_token)
            self._auth_kinds.append("OAuth 2.0 user")
        elif token_provider is not None:
            self._user = self._client(bearer_token=_PENDING)
            self._auth_kinds.append("OAuth 2.0 user, refreshed")

    @property
    def clock(self) -> Clock:
        """The time this platform lives in (read-only): the ``clock`` given, else the system's.

        The optional ``clock`` attribute of the :class:`~socialcare.platforms.Platform`
        contract: a :class:`~socialcare.monitor.Monitor` built without ``clock=``
        uses it, so a platform from ``Sandbox.platform()`` (on the sandbox's clock)
        is polled in sandbox time, and X's windows are judged in that time.
        """
        return self._clock

    def usage(self) -> Usage | None:
        """The app's pay-per-use bill so far, when this platform can read it, else ``None``.

        The optional ``usage`` part of the :class:`~socialcare.platforms.Platform`
        contract. A platform from ``Sandbox.platform()`` reads the sandbox's ledger
        (deduplicated as X bills: each post, user or DM event once per app and UTC
        day); one on api.x.com returns ``None`` (X reports no bill over the API).
        The price of some calls is a difference: ``x.usage() - before``. A
        :class:`~socialcare.monitor.Monitor` reports it as ``CycleReport.cost``.
        """
        return None if self._usage_source is None else self._usage_source()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> XPlatform:
        """Build from ``SOCIALCARE_X_*`` variables (see :data:`ENV_VARS`); ``options`` win.

        Raises:
            ConfigurationError: no usable credential is set.
        """
        source = os.environ if env is None else env
        creds: dict[str, Any] = {name: source.get(var) or None for name, var in ENV_VARS.items()}
        creds.update(options)
        return cls(**creds)

    def _client(self, **credentials: str | None) -> Any:
        # tweepy and requests load here, with the first XPlatform, not on import.
        from socialcare.platforms.x._session import make_client  # noqa: PLC0415

        return make_client(
            timeout=self._timeout,
            api_host=self._api_host,
            transport=self._transport,
            **credentials,
        )

    def __repr__(self) -> str:
        kinds = ", ".join(self._auth_kinds)
        return f"XPlatform(auth=[{kinds}], credentials='***')"

    def close(self) -> None:
        """Close the HTTP sessions."""
        for client in (self._app, self._user):
            if client is not None:
                client.session.close()

    def __enter__(self) -> XPlatform:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- plumbing

    def _reader(self) -> tuple[Any, bool]:
        if self._app is not None:
            return self._app, False
        return self._user, self._user_auth_flag

    def _writer(self, what: str) -> tuple[Any, bool]:
        if self._user is None:
            msg = (
                f"{what} needs user context: pass OAuth 1.0a credentials or an OAuth 2.0 "
                "user token (an app-only bearer token can only read)"
            )
            raise ConfigurationError(msg)
        return self._user, self._user_auth_flag

    def _call(
        self,
        endpoint: Endpoint,
        send: Callable[[], requests.Response],
        *,
        context: Context = "read",
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send with retries; return the JSON body. Errors leave mapped."""

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, RateLimitError):
                return self._rate_limit_wait(exc) is not None
            if isinstance(exc, PlatformUnavailableError):
                return idempotent or not exc.ambiguous
            return False

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(retryable),
            sleep=self._clock.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = self._send_once(endpoint, send, context, write=not idempotent)
        return json_body(response, endpoint.name)

    def auth_problem(self) -> str | None:
        """Why user context no longer works (re-authorisation needed), or ``None``.

        Set when the token provider's grant was refused by X (revoked, or a spent
        refresh token); a :class:`~socialcare.monitor.Monitor` reports it in ``health()``.
        """
        return None if self._tokens is None else self._tokens.problem()

    def _send_once(
        self,
        endpoint: Endpoint,
        send: Callable[[], requests.Response],
        context: Context,
        *,
        write: bool = False,
    ) -> requests.Response:
        tokens = self._tokens
        user_context = self._app is None or endpoint.user_only or context != "read"
        if tokens is None or not user_context:
            return self._send_plain(endpoint, send, context, write=write)
        token = tokens.access_token()
        self._use_token(token)
        try:
            return self._send_plain(endpoint, send, context, write=write)
        except AuthenticationError as exc:
            if exc.status != 401:  # noqa: PLR2004 - Unauthorized
                raise
            log.info("%s: 401 with the OAuth 2.0 user token; refreshing once", endpoint.name)
            self._use_token(tokens.after_unauthorized(token))
            return self._send_plain(endpoint, send, context, write=write)

    def _use_token(self, token: str) -> None:
        with self._token_lock:
            if self._user.bearer_token != token:
                self._user.bearer_token = token

    def _send_plain(
        self,
        endpoint: Endpoint,
        send: Callable[[], requests.Response],
        context: Context,
        *,
        write: bool = False,
    ) -> requests.Response:
        return send_mapped(
            endpoint.name,
            context,
            send,
            functools.partial(self._note_limits, endpoint.name),
            write=write,
        )

    def _rate_limit_wait(self, exc: RateLimitError) -> float | None:
        if exc.reset_at is None:
            return None
        wait = max(0.0, (exc.reset_at - self._clock.now()).total_seconds())
        return wait if wait <= self._max_rate_limit_wait else None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimitError):
            return self._rate_limit_wait(exc) or 0.0
        return float(self._backoff(state))

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "retrying after attempt %d failed: %s",
            state.attempt_number,
            exc,
        )

    def _note_limits(self, endpoint: str, response: requests.Response | None) -> None:
        limit = header_int(response, "x-rate-limit-limit")
        remaining = header_int(response, "x-rate-limit-remaining")
        reset = reset_at(response)
        if limit is None or remaining is None or reset is None:
            return
        state = RateLimit(
            endpoint=endpoint,
            limit=limit,
            remaining=remaining,
            reset_at=reset,
            seen_at=self._clock.now(),
        )
        with self._lock:
            self._limits[endpoint] = state

    def rate_limits(self) -> Mapping[str, RateLimit]:
        """The last rate-limit state seen per endpoint (a snapshot)."""
        with self._lock:
            return dict(self._limits)

    # ------------------------------------------------------------------ reads

    def me(self) -> User:
        """The acting user (needs user context)."""
        client, user_auth = self._writer("me()")
        body = self._call(
            ME,
            lambda: client.get_me(user_auth=user_auth, **self._fields(ME)),
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("expected the user object", field="data")
        user = User.from_x(data)
        self._my_id = user.id
        return user

    def _my_user_id(self) -> str:
        return self._my_id if self._my_id is not None else self.me().id

    def user_by_username(self, username: str) -> User:
        """The user with this handle (``"acme"`` or ``"@acme"``), via ``GET /2/users/by/username``.

        The handle's id is remembered, so :meth:`mentions` and :meth:`user_posts`
        resolve a handle once per platform object.

        Raises:
            ValueError: not a valid X handle (1-15 letters, digits or underscores).
            NotFoundError: no such user.
        """
        handle = _check_handle(username)
        client, user_auth = self._reader()
        body = self._call(
            USER_BY_USERNAME,
            lambda: client.get_user(
                username=handle, user_auth=user_auth, **self._fields(USER_BY_USERNAME)
            ),
        )
        data = body.get("data")
        if not isinstance(data, dict):
            page = Page.users_from_x(body)
            detail = page.errors[0].detail if page.errors else None
            raise NotFoundError(
                f"{USER_BY_USERNAME.name}: no X user @{handle}" + (f": {detail}" if detail else ""),
                status=200,
                detail=detail,
                endpoint=USER_BY_USERNAME.name,
            )
        user = User.from_x(data)
        with self._lock:
            self._user_ids[handle.lower()] = user.id
        return user

    def _user_id_of(self, ref: str | None, name: str) -> str:
        """A user id from an id, a handle (resolved once, cached) or ``None`` (the actor)."""
        if ref is None:
            return self._my_user_id()
        if ref.isascii() and ref.isdigit():
            return ref
        handle = _check_handle(ref, name)
        with self._lock:
            known = self._user_ids.get(handle.lower())
        return known if known is not None else self.user_by_username(handle).id

    def _fields(
        self, endpoint: Endpoint, expansions: Expansions | None = None
    ) -> dict[str, list[str]]:
        """The field keywords for tweepy, with the call's (or the platform's) expansions."""
        if expansions is not None:
            chosen: tuple[str, ...] | None = endpoint.checked_expansions(expansions)
        elif endpoint.reads is not None and endpoint.reads.kind == "post_read":
            chosen = self._expansions
        else:
            chosen = None
        return _fields(endpoint, chosen)

    def _posts(self, body: Mapping[str, Any]) -> Page[Post]:
        """A page of posts; remembers each post's conversation and author for replies."""
        page = Page.posts_from_x(body)
        with self._lock:
            for post in (*page.items, *page.includes.posts):
                self._known_posts[post.id] = post
                self._known_posts.move_to_end(post.id)
            while len(self._known_posts) > _KNOWN_POSTS:
                self._known_posts.popitem(last=False)
        return page

    def search_recent(
        self,
        query: QueryLike,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        expansions: Expansions | None = None,
    ) -> Page[Post]:
        """One page of posts from the last 7 days matching ``query`` (see ``Platform``).

        ``expansions`` chooses what comes back in ``page.includes`` (and is billed):
        ``()`` for nothing, ``("author_id",)`` for the authors; ``None`` for the
        platform's default.
        """
        client, user_auth = self._reader()
        params = _window(since_id, until_id, start_time, end_time, max_results)
        fields = self._fields(SEARCH_RECENT, expansions)
        text = query_text(query, max_length=_query_limit(SEARCH_RECENT))
        body = self._call(
            SEARCH_RECENT,
            lambda: client.search_recent_tweets(
                text,
                user_auth=user_auth,
                next_token=next_token,
                **params,
                **fields,
            ),
        )
        return self._posts(body)

    def search_all(
        self,
        query: QueryLike,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        expansions: Expansions | None = None,
    ) -> Page[Post]:
        """One page of full-archive search (app bearer or OAuth 2.0 token needed).

        ``expansions``: as for :meth:`search_recent`.
        """
        client = self._app
        if client is None:
            if self._user_auth_flag or self._user is None:
                msg = "search_all needs a bearer token (app-only or OAuth 2.0 user token)"
                raise ConfigurationError(msg)
            client = self._user
        params = _window(since_id, until_id, start_time, end_time, max_results)
        fields = self._fields(SEARCH_ALL, expansions)
        text = query_text(query, max_length=_query_limit(SEARCH_ALL))
        body = self._call(
            SEARCH_ALL,
            lambda: client.search_all_tweets(text, next_token=next_token, **params, **fields),
        )
        return self._posts(body)

    def mentions(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        expansions: Expansions | None = None,
    ) -> Page[Post]:
        """One page of posts mentioning a user, newest first (see ``Platform``).

        Args:
            user_id: the user: an id, a handle (``"acme"``/``"@acme"``, resolved once
                with ``GET /2/users/by/username`` and cached), or ``None`` for the
                acting user (known from an OAuth 1.0a token, else one ``me()`` call).
            since_id: see ``Platform.mentions``.
            until_id: see ``Platform.mentions``.
            start_time: see ``Platform.mentions``.
            end_time: see ``Platform.mentions``.
            max_results: 5 to 100.
            next_token: the ``next_token`` of the previous page.
            expansions: as for :meth:`search_recent`.
        """
        params = _window(since_id, until_id, start_time, end_time, max_results)
        fields = self._fields(MENTIONS, expansions)
        who = self._user_id_of(user_id, "user_id")
        return self._timeline(MENTIONS, who, next_token, params, fields)

    def user_posts(
        self,
        user_id: str | None = None,
        *,
        since_id: str | None = None,
        start_time: dt.datetime | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        expansions: Expansions | None = None,
    ) -> Page[Post]:
        """One page of the posts a user wrote, newest first.

        ``user_id`` is an id, a handle or ``None`` (the acting user), as for
        :meth:`mentions`; ``expansions`` as for :meth:`search_recent`.
        """
        params = _window(since_id, None, start_time, None, max_results)
        fields = self._fields(USER_POSTS, expansions)
        who = self._user_id_of(user_id, "user_id")
        return self._timeline(USER_POSTS, who, next_token, params, fields)

    def _timeline(
        self,
        endpoint: Endpoint,
        user_id: str,
        next_token: str | None,
        params: dict[str, Any],
        fields: dict[str, list[str]],
    ) -> Page[Post]:
        _check_id(user_id, "user_id")
        client, user_auth = self._reader()
        method = client.get_users_mentions if endpoint is MENTIONS else client.get_users_tweets
        body = self._call(
            endpoint,
            lambda: method(
                user_id,
                user_auth=user_auth,
                pagination_token=next_token,
                **params,
                **fields,
            ),
        )
        return self._posts(body)

    def get_posts(self, ids: Iterable[str], *, expansions: Expansions | None = None) -> Page[Post]:
        """Posts by id, 100 per request; missing or deleted ids come back in ``errors``.

        ``expansions``: as for :meth:`search_recent`.
        """
        wanted = _ids(ids, "ids")
        fields = self._fields(GET_POSTS, expansions)
        client, user_auth = self._reader()

        def fetch(batch: list[str]) -> requests.Response:
            return checked_response(client.get_tweets(batch, user_auth=user_auth, **fields))

        pages = [
            self._posts(self._call(GET_POSTS, functools.partial(fetch, batch)))
            for batch in _batches(wanted)
        ]
        return _merge(pages)

    def get_users(self, ids: Iterable[str]) -> Page[User]:
        """Users by id, 100 per request; unknown ids come back in ``errors``."""
        wanted = _ids(ids, "ids")
        client, user_auth = self._reader()

        def fetch(batch: list[str]) -> requests.Response:
            return checked_response(
                client.get_users(ids=batch, user_auth=user_auth, **self._fields(GET_USERS))
            )

        pages = [
            Page.users_from_x(self._call(GET_USERS, functools.partial(fetch, batch)))
            for batch in _batches(wanted)
        ]
        return _merge(pages)

    # ----------------------------------------------------------------- writes

    def create_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        reply_settings: ReplySettings | None = None,
        exclude_reply_user_ids: Iterable[str] = (),
        direct_message_deep_link: str | None = None,
        full: bool = False,
        reconcile: bool = True,
    ) -> Post:
        """Publish a post (see ``Platform``); never publishes it twice.

        The text's weighted length (twitter-text v3, as X counts it) is checked
        first: over 280 raises ``InvalidRequestError`` with ``weighted_length`` and
        ``limit`` set, and no request is made.

        X answers a create with the id and the text as it stores it (a reply's
        leading @mentions, ``&amp;``, t.co links). The returned post adds what the
        call established: ``author_id`` (the acting user, when known from the
        credentials or an earlier ``me()``), the ``replied_to``/``quoted``
        references, and ``conversation_id``: the post's own id for a new thread;
        for a reply, the parent's, with the parent's author as
        ``in_reply_to_user_id``, when this platform object has read the parent (it
        remembers the last 10,000 posts it read). ``full=True`` reads the new post
        back with ``GET /2/tweets/:id`` (one more request, and one post read, $0.005
        on pay-per-use) and returns everything X stores: creation time, entities,
        ``display_text_range``, conversation, reply target.

        After an ambiguous failure (5xx, timeout, connection reset, lost answer),
        ``reconcile=True`` looks for the post with :meth:`find_post` (one read of the
        account's recent posts) and sends again only if it is not there, up to
        ``max_attempts`` sends in all, with a lookup before each retry and after the
        last; a retry refused as duplicate content is reconciled the same way.
        ``reconcile=False`` raises the ``PlatformUnavailableError(ambiguous=True)``
        at once.

        Raises:
            ValueError: empty text, a malformed id, an unknown ``reply_settings``, or
                ``exclude_reply_user_ids`` without ``in_reply_to`` (no request made).
            InvalidRequestError: the text is longer than X accepts (no request made).
            PlatformUnavailableError: X failed; ``ambiguous=True`` when the post may
                exist (never sent twice: reconciliation could not settle it).
        """
        excluded = _check_create(
            text, in_reply_to, quote_of, reply_settings, exclude_reply_user_ids
        )
        client, user_auth = self._writer("create_post")
        context: Context = "reply" if in_reply_to is not None else "post"
        started = self._clock.now()

        def send() -> requests.Response:
            return checked_response(
                client.create_tweet(
                    text=text,
                    in_reply_to_tweet_id=in_reply_to,
                    exclude_reply_user_ids=excluded or None,
                    quote_tweet_id=quote_of,
                    reply_settings=reply_settings,
                    direct_message_deep_link=direct_message_deep_link,
                    user_auth=user_auth,
                )
            )

        def publish() -> Post:
            body = self._call(CREATE_POST, send, context=context, idempotent=False)
            created = self._created(body, in_reply_to, quote_of)
            return self._read_back(created) if full else created

        def find() -> Post | None:
            return self.find_post(text, in_reply_to=in_reply_to, quote_of=quote_of, since=started)

        try:
            return publish()
        except PlatformUnavailableError as exc:
            if not (exc.ambiguous and reconcile):
                raise
            return self._reconciled(publish, find, exc, CREATE_POST, "the post")

    def _reconciled(
        self,
        send: Callable[[], _Sent],
        find: Callable[[], _Sent | None],
        failure: PlatformUnavailableError,
        endpoint: Endpoint,
        what: str,
    ) -> _Sent:
        """After an ambiguous failure: find what X holds; send again only if it is not there.

        A retry refused as duplicate content is looked for once more (the first
        attempt was processed after all); a failing lookup is itself ambiguous.
        """
        for _ in range(self._max_attempts - 1):
            found = self._lookup(find, endpoint, what)
            if found is not None:
                return found
            try:
                return send()
            except PlatformUnavailableError as exc:
                if not exc.ambiguous:
                    raise
                failure = exc
            except DuplicateContentError:
                found = self._lookup(find, endpoint, what)
                if found is not None:
                    return found
                raise
        found = self._lookup(find, endpoint, what)
        if found is not None:
            return found
        raise failure

    @staticmethod
    def _lookup(find: Callable[[], _Sent | None], endpoint: Endpoint, what: str) -> _Sent | None:
        try:
            return find()
        except PlatformError as exc:
            raise PlatformUnavailableError(
                f"{endpoint.name}: {what} may have been sent, and looking for it failed: {exc}",
                endpoint=endpoint.name,
                status=exc.status,
                ambiguous=True,
            ) from exc

    def _created(
        self, body: Mapping[str, Any], in_reply_to: str | None, quote_of: str | None = None
    ) -> Post:
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("expected the created post", field="data")
        post = Post.from_x(data)
        refs: tuple[ReferencedPost, ...] = ()
        if in_reply_to is not None:
            refs += (ReferencedPost(type="replied_to", id=in_reply_to),)
        if quote_of is not None:
            refs += (ReferencedPost(type="quoted", id=quote_of),)
        with self._lock:
            parent = None if in_reply_to is None else self._known_posts.get(in_reply_to)
        if in_reply_to is None:
            conversation: str | None = post.id
            replied_user = None
        else:
            conversation = None if parent is None else parent.conversation_id
            replied_user = None if parent is None else parent.author_id
        return attrs.evolve(
            post,
            author_id=post.author_id or self._my_id,
            referenced=post.referenced or refs,
            edit_history_ids=post.edit_history_ids or (post.id,),
            conversation_id=post.conversation_id or conversation,
            in_reply_to_user_id=post.in_reply_to_user_id or replied_user,
        )

    def _read_back(self, created: Post) -> Post:
        """The post as X stores it (``GET /2/tweets/:id``, no expansions)."""
        client, user_auth = self._reader()
        body = self._call(
            GET_POST,
            lambda: client.get_tweet(created.id, user_auth=user_auth, **self._fields(GET_POST, ())),
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise NotFoundError(
                f"{GET_POST.name}: X did not return the post {created.id} just created",
                endpoint=GET_POST.name,
            )
        stored = Post.from_x(data)
        self._posts({"data": [data]})
        return stored

    def find_post(
        self,
        text: str,
        *,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        since: dt.datetime,
    ) -> Post | None:
        """The account's own post carrying ``text``, created since ``since`` (see ``Platform``).

        Reads the account's timeline (``GET /2/users/:id/tweets``, no expansions;
        owned reads, $0.001 a post on pay-per-use) from ``since`` minus two minutes
        of clock skew, newest first, at most 500 posts. A post matches when its
        author is the account, its reply target and quoted post are the ones given
        (``None``: none), and its text as X stores it matches ``text`` as typed:
        the leading @mentions X added set aside (``display_text_range``), HTML
        entities unescaped, t.co links mapped back to their expanded URLs,
        NFC-normalised, whitespace squeezed.

        Raises:
            ValueError: ``since`` is naive, or an id is malformed.
        """
        start = _since(since)
        for name, value in (("in_reply_to", in_reply_to), ("quote_of", quote_of)):
            if value is not None:
                _check_id(value, name)
        me = self._my_user_id()
        token: str | None = None
        for _ in range(_FIND_PAGES):
            page = self.user_posts(
                me, start_time=start, max_results=100, next_token=token, expansions=()
            )
            for post in page.items:
                mine = post.author_id in {None, me}
                recent = post.created_at is None or post.created_at >= start
                target = post.replied_to_id == in_reply_to and post.quoted_id == quote_of
                if mine and recent and target and post_matches(post, text):
                    return post
            token = page.next_token
            if token is None:
                break
        return None

    def delete_post(self, post_id: str) -> None:
        """Delete one of the account's posts.

        Deleting a post that is not there raises ``NotFoundError``, except after a
        failure that may have deleted it (a 5xx, a timeout, a lost answer): a retry
        then finding it gone means the first attempt worked, and the call succeeds.
        """
        _check_id(post_id, "post_id")
        client, user_auth = self._writer("delete_post")

        def delete() -> None:
            body = self._call(
                DELETE_POST,
                lambda: client.delete_tweet(post_id, user_auth=user_auth),
                context="delete",
                idempotent=False,
            )
            data = body.get("data")
            if not (isinstance(data, dict) and data.get("deleted") is True):
                raise NotFoundError(f"X did not delete post {post_id}", endpoint=DELETE_POST.name)

        try:
            delete()
        except PlatformUnavailableError as exc:
            if not exc.ambiguous:
                raise
            self._delete_again(delete, exc)

    def _delete_again(self, delete: Callable[[], None], failure: PlatformUnavailableError) -> None:
        """Retry a delete that may have worked: finding the post gone means it did."""
        for _ in range(self._max_attempts - 1):
            try:
                delete()
            except NotFoundError:
                return
            except PlatformUnavailableError as exc:
                if not exc.ambiguous:
                    raise
                failure = exc
            else:
                return
        raise failure

    def hide_reply(self, post_id: str, *, hidden: bool = True) -> None:
        """Hide (``hidden=False``: unhide) a reply in one of the account's conversations.

        ``PUT /2/tweets/:tweet_id/hidden``; idempotent, so retried like a read.
        Needs the ``tweet.moderate.write`` scope with an OAuth 2.0 user token.

        Raises:
            NotFoundError: no such post.
            AuthenticationError: the post is not a reply in the account's conversations.
        """
        _check_id(post_id, "post_id")
        client, user_auth = self._writer("hide_reply")
        method = client.hide_reply if hidden else client.unhide_reply
        body = self._call(HIDE_REPLY, lambda: method(post_id, user_auth=user_auth), context="hide")
        data = body.get("data")
        if not (isinstance(data, dict) and data.get("hidden") is hidden):
            raise PayloadError(f"expected hidden: {str(hidden).lower()}", field="data.hidden")

    def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True) -> DirectMessage:
        """Send a one-to-one DM (see ``Platform``); never sends it twice.

        A text over 10,000 characters raises ``InvalidRequestError`` (with
        ``weighted_length`` and ``limit``) before any request. After an ambiguous
        failure, ``reconcile=True`` looks for the message with :meth:`find_dm` (one
        read of the conversation's recent events) before sending again;
        ``reconcile=False`` raises ``PlatformUnavailableError(ambiguous=True)`` at once.
        """
        _check_id(participant_id, "participant_id")
        if not text:
            msg = "text must not be empty"
            raise ValueError(msg)
        if len(text) > MAX_DM_LENGTH:
            raise _too_long("the direct message", len(text), MAX_DM_LENGTH, "characters")
        client, user_auth = self._writer("send_dm")
        started = self._clock.now()

        def send() -> requests.Response:
            return checked_response(
                client.create_direct_message(
                    participant_id=participant_id, text=text, user_auth=user_auth
                )
            )

        def deliver() -> DirectMessage:
            body = self._call(SEND_DM, send, context="dm", idempotent=False)
            return self._sent(body, text)

        def find() -> DirectMessage | None:
            return self.find_dm(participant_id, text, since=started)

        try:
            return deliver()
        except PlatformUnavailableError as exc:
            if not (exc.ambiguous and reconcile):
                raise
            return self._reconciled(deliver, find, exc, SEND_DM, "the direct message")

    def _sent(self, body: Mapping[str, Any], text: str) -> DirectMessage:
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("expected the created DM event", field="data")
        event_id = data.get("dm_event_id")
        conversation = data.get("dm_conversation_id")
        if not isinstance(event_id, str) or not isinstance(conversation, str):
            raise PayloadError("expected dm_event_id and dm_conversation_id", field="data")
        return DirectMessage(
            id=event_id,
            text=text,
            dm_conversation_id=conversation,
            sender_id=self._my_id,
        )

    def find_dm(
        self, participant_id: str, text: str, *, since: dt.datetime
    ) -> DirectMessage | None:
        """This account's DM to ``participant_id`` carrying ``text``, sent since ``since``.

        Reads the one-to-one conversation's events (``GET
        /2/dm_conversations/with/:participant_id/dm_events``, $0.010 an event on
        pay-per-use), newest first, back to ``since`` minus two minutes of clock
        skew (at most 500 events), and matches as :meth:`find_post` does.

        Raises:
            ValueError: ``since`` is naive, or ``participant_id`` is malformed.
        """
        start = _since(since)
        _check_id(participant_id, "participant_id")
        me = self._my_user_id()
        token: str | None = None
        for _ in range(_FIND_PAGES):
            page = self.dm_events(participant_id=participant_id, max_results=100, next_token=token)
            for event in page.items:
                if event.created_at is not None and event.created_at < start:
                    return None
                if event.sender_id == me and dm_matches(event, text):
                    return event
            token = page.next_token
            if token is None:
                break
        return None

    def dm_events(
        self,
        *,
        participant_id: str | None = None,
        since_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[DirectMessage]:
        """One page of DM events, newest first (see ``Platform``)."""
        if participant_id is not None:
            _check_id(participant_id, "participant_id")
        if since_id is not None:
            _check_id(since_id, "since_id")
        client, user_auth = self._writer("dm_events")
        endpoint = DM_EVENTS if participant_id is None else DM_CONVERSATION_EVENTS
        body = self._call(
            endpoint,
            lambda: client.get_direct_message_events(
                participant_id=participant_id,
                user_auth=user_auth,
                max_results=max_results,
                pagination_token=next_token,
                **self._fields(endpoint),
            ),
        )
        page = Page.dms_from_x(body)
        if since_id is None:
            return page
        newer = tuple(dm for dm in page.items if int(dm.id) > int(since_id))
        reached = len(newer) < len(page.items)
        return Page(
            items=newer,
            includes=page.includes,
            next_token=None if reached else page.next_token,
            result_count=len(newer),
            newest_id=newer[0].id if newer else None,
            oldest_id=newer[-1].id if newer else None,
            errors=page.errors,
        )


# -------------------------------------------------------------------- helpers


@functools.cache
def _fields(endpoint: Endpoint, expansions: tuple[str, ...] | None) -> dict[str, list[str]]:
    """The endpoint's requested fields and expansions, as tweepy's keyword arguments."""
    return {
        key.replace(".", "_"): value.split(",")
        for key, value in endpoint.field_params(expansions).items()
    }


def _check_handle(value: str, name: str = "username") -> str:
    handle = value.removeprefix("@")
    if not (0 < len(handle) <= 15 and handle.isascii()) or not all(  # noqa: PLR2004 - X's limit
        c.isalnum() or c == "_" for c in handle
    ):
        msg = f"{name} must be an X id or handle (1-15 letters, digits or _), got {value[:40]!r}"
        raise ValueError(msg)
    return handle


def _too_long(what: str, length: int, limit: int, unit: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"{what} is too long: {length} {unit}, X accepts at most {limit} "
        "(checked before sending: no request was made)",
        weighted_length=length,
        limit=limit,
    )


def _query_limit(endpoint: Endpoint) -> int:
    limit = endpoint.max_query_length
    if limit is None:  # pragma: no cover - every search endpoint has one
        msg = f"{endpoint} takes no query"
        raise TypeError(msg)
    return limit


def _check_create(
    text: str,
    in_reply_to: str | None,
    quote_of: str | None,
    reply_settings: str | None,
    exclude_reply_user_ids: Iterable[str],
) -> list[str]:
    """Check ``create_post``'s arguments before any request; the excluded ids, checked."""
    if not text:
        msg = "text must not be empty"
        raise ValueError(msg)
    weighted = parse_tweet(text).weighted_length
    if weighted > MAX_POST_LENGTH:
        raise _too_long("the post", weighted, MAX_POST_LENGTH, "weighted characters")
    for name, value in (("in_reply_to", in_reply_to), ("quote_of", quote_of)):
        if value is not None:
            _check_id(value, name)
    excluded = _ids(exclude_reply_user_ids, "exclude_reply_user_ids")
    if excluded and in_reply_to is None:
        msg = "exclude_reply_user_ids applies to replies only: pass in_reply_to"
        raise ValueError(msg)
    if reply_settings is not None and reply_settings not in _REPLY_SETTINGS:
        msg = (
            f"reply_settings must be one of {sorted(_REPLY_SETTINGS)} (None: everyone), "
            f"got {reply_settings!r}"
        )
        raise ValueError(msg)
    return excluded


def _since(since: dt.datetime) -> dt.datetime:
    """The start of a reconciliation window: ``since`` less the clock skew."""
    if since.utcoffset() is None:
        msg = "since must be timezone-aware"
        raise ValueError(msg)
    return since - _FIND_SKEW


def _check_id(value: str, name: str) -> None:
    if not (value.isascii() and value.isdigit()):
        msg = f"{name} must be a string of digits (an X id), got {value!r}"
        raise ValueError(msg)


def _ids(ids: Iterable[str], name: str) -> list[str]:
    if isinstance(ids, str):
        msg = f"{name} must be an iterable of ids, not a single string"
        raise TypeError(msg)
    out = list(dict.fromkeys(ids))
    for value in out:
        _check_id(value, name)
    return out


def _batches(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def _window(
    since_id: str | None,
    until_id: str | None,
    start_time: dt.datetime | None,
    end_time: dt.datetime | None,
    max_results: int | None,
) -> dict[str, Any]:
    for name, value in (("since_id", since_id), ("until_id", until_id)):
        if value is not None:
            _check_id(value, name)
    for name, when in (("start_time", start_time), ("end_time", end_time)):
        if when is not None and when.utcoffset() is None:
            msg = f"{name} must be timezone-aware"
            raise ValueError(msg)
    return {
        "since_id": since_id,
        "until_id": until_id,
        "start_time": start_time,
        "end_time": end_time,
        "max_results": max_results,
    }


def _merge(pages: list[Page[Any]]) -> Page[Any]:
    """One page out of several lookup batches (no next token)."""
    if len(pages) == 1:
        return pages[0]
    items = tuple(item for page in pages for item in page.items)
    users: dict[str, User] = {}
    posts: dict[str, Post] = {}
    errors: list[Problem] = []
    for page in pages:
        users.update((u.id, u) for u in page.includes.users)
        posts.update((p.id, p) for p in page.includes.posts)
        errors.extend(page.errors)
    return Page(
        items=items,
        includes=Includes(users=tuple(users.values()), posts=tuple(posts.values())),
        result_count=len(items),
        errors=tuple(errors),
    )
