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
the request provably did not take effect; when the answer to a post or DM is
lost the platform looks for it (the account's recent posts, the conversation's
recent events) before trying again, so nothing is published twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import tenacity

from socialcare._clock import Clock, SystemClock
from socialcare.errors import (
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
    PayloadError,
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
from socialcare.platforms._base import QueryLike, RateLimit, query_text
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
    ambiguous,
    checked_response,
    header_int,
    json_body,
    never_sent,
    reset_at,
    send_mapped,
)
from socialcare.platforms.x._streams import StreamAPI  # filtered and activity streams
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

Expansions = Iterable[str]
"""Expansion names for a read (``"author_id"``, ``"entities.mentions.username"``...)."""

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
        user_token: OAuth 2.0 user-context access token (alternative to OAuth 1.0a).
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
        if not (bearer_token or user_token or all(oauth1)):
            msg = (
                "XPlatform needs credentials: a bearer token, an OAuth 2.0 user token, or the "
                "four OAuth 1.0a credentials (see XPlatform.from_env for SOCIALCARE_X_* variables)"
            )
            raise ConfigurationError(msg)
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
                return idempotent or never_sent(exc)
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
                response = self._send_once(endpoint, send, context)
        return json_body(response, endpoint.name)

    def _send_once(
        self, endpoint: Endpoint, send: Callable[[], requests.Response], context: Context
    ) -> requests.Response:
        return send_mapped(
            endpoint.name, context, send, functools.partial(self._note_limits, endpoint.name)
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
        direct_message_deep_link: str | None = None,
        full: bool = False,
    ) -> Post:
        """Publish a post (see ``Platform``); never publishes it twice.

        The text's weighted length (twitter-text v3, as X counts it) is checked
        first: over 280 raises ``InvalidRequestError`` with ``weighted_length`` and
        ``limit`` set, and no request is made.

        X answers a create with the id, the text and the edit history only. The
        returned post adds what the call established: ``author_id`` (the acting
        user, when known from the credentials or an earlier ``me()``), the
        ``replied_to`` reference, and ``conversation_id``: the post's own id for a
        new thread; for a reply, the parent's, with the parent's author as
        ``in_reply_to_user_id``, when this platform object has read the parent
        (it remembers the last 10,000 posts it read). ``full=True`` reads the new
        post back with ``GET /2/tweets/:id`` (one more request, and one post read,
        $0.005 on pay-per-use) and returns everything X stores: creation time,
        entities, conversation, reply target.

        If X's answer is lost, the account's recent posts are checked for the
        post before trying again.

        Raises:
            InvalidRequestError: the text is longer than X accepts (no request made).
        """
        if not text:
            msg = "text must not be empty"
            raise ValueError(msg)
        weighted = parse_tweet(text).weighted_length
        if weighted > MAX_POST_LENGTH:
            raise _too_long("the post", weighted, MAX_POST_LENGTH, "weighted characters")
        if in_reply_to is not None:
            _check_id(in_reply_to, "in_reply_to")
        client, user_auth = self._writer("create_post")
        context: Context = "reply" if in_reply_to is not None else "post"
        started = self._clock.now()

        def send() -> requests.Response:
            return checked_response(
                client.create_tweet(
                    text=text,
                    in_reply_to_tweet_id=in_reply_to,
                    direct_message_deep_link=direct_message_deep_link,
                    user_auth=user_auth,
                )
            )

        try:
            body = self._call(CREATE_POST, send, context=context, idempotent=False)
        except PlatformUnavailableError as exc:
            if not ambiguous(exc):
                raise
            found = self._find_created(text, in_reply_to, since=started)
            if found is not None:
                return found
            body = self._call(CREATE_POST, send, context=context, idempotent=False)
        created = self._created(body, in_reply_to)
        return self._read_back(created) if full else created

    def _created(self, body: Mapping[str, Any], in_reply_to: str | None) -> Post:
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("expected the created post", field="data")
        post = Post.from_x(data)
        refs = (ReferencedPost(type="replied_to", id=in_reply_to),) if in_reply_to else ()
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

    def _find_created(
        self, text: str, in_reply_to: str | None, *, since: dt.datetime
    ) -> Post | None:
        """The account's post with this text and reply target created since ``since``."""
        window_start = since - dt.timedelta(minutes=1)
        wanted = unicodedata.normalize("NFC", text)
        page = self.user_posts(self._my_user_id(), start_time=window_start, max_results=100)
        for post in page.items:
            same_text = unicodedata.normalize("NFC", post.text) == wanted
            if same_text and post.replied_to_id == in_reply_to:
                return post
        return None

    def delete_post(self, post_id: str) -> None:
        """Delete one of the account's posts (deleting twice raises ``NotFoundError``)."""
        _check_id(post_id, "post_id")
        client, user_auth = self._writer("delete_post")
        body = self._call(
            DELETE_POST,
            lambda: client.delete_tweet(post_id, user_auth=user_auth),
            context="delete",
        )
        data = body.get("data")
        if not (isinstance(data, dict) and data.get("deleted") is True):
            raise NotFoundError(f"X did not delete post {post_id}", endpoint=DELETE_POST.name)

    def send_dm(self, participant_id: str, text: str) -> DirectMessage:
        """Send a one-to-one DM (see ``Platform``); never sends it twice.

        A text over 10,000 characters raises ``InvalidRequestError`` (with
        ``weighted_length`` and ``limit``) before any request. If X's answer is
        lost, the conversation's recent events are checked for the message before
        trying again.
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

        try:
            body = self._call(SEND_DM, send, context="dm", idempotent=False)
        except PlatformUnavailableError as exc:
            if not ambiguous(exc):
                raise
            found = self._find_sent(participant_id, text, since=started)
            if found is not None:
                return found
            body = self._call(SEND_DM, send, context="dm", idempotent=False)
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

    def _find_sent(
        self, participant_id: str, text: str, *, since: dt.datetime
    ) -> DirectMessage | None:
        """This account's DM to ``participant_id`` with this text, sent since ``since``."""
        me = self._my_user_id()
        window_start = since - dt.timedelta(minutes=1)
        for event in self.dm_events(participant_id=participant_id, max_results=100).items:
            recent = event.created_at is None or event.created_at >= window_start
            if event.sender_id == me and event.text == text and recent:
                return event
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
