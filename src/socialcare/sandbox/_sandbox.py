"""``Sandbox``: a simulated X API v2 you can seed, break, serve, and point XPlatform at."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args
from wsgiref.simple_server import WSGIServer

import attrs

from socialcare._clock import Clock, ManualClock
from socialcare._json import format_time
from socialcare.models import DirectMessage, Entities, Post, User
from socialcare.sandbox._app import SandboxApp, SandboxOutcome, SandboxRequest
from socialcare.sandbox._auth import Authenticator, SandboxCredentials
from socialcare.sandbox._billing import Usage
from socialcare.sandbox._faults import Fault, FaultKind, FaultQueue
from socialcare.sandbox._httpserver import make_streaming_server
from socialcare.sandbox._limits import LIMITS, RateLimiter
from socialcare.sandbox._oauth2 import OAuth2App, OAuth2Server
from socialcare.sandbox._seed import TwcsImport, load_twcs, load_x_payload, read_x_jsonl
from socialcare.sandbox._streams import StreamKind
from socialcare.sandbox._webhooks import DeliveryAttempt, DeliveryReport, DeliveryThread
from socialcare.sandbox._world import JSONObject, Principal, World

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from socialcare.platforms.x import XPlatform
    from socialcare.sandbox._transport import SandboxTransport

__all__ = ["CallRecord", "Sandbox", "SandboxServer"]

UserRef = str | User
"""A user: a ``User``, a user id, or a handle (``"acme"`` or ``"@acme"``)."""


@attrs.frozen
class CallRecord:
    """One request the sandbox answered (or dropped).

    Attributes:
        method: HTTP method.
        url: the full URL requested.
        endpoint: the route, for example ``"POST /2/tweets"`` (empty when unknown).
        status: the HTTP status (0 when no answer reached the client).
        dropped: ``"before"``/``"after"`` processing when the answer was lost,
            ``"reset"`` when the connection was reset after processing.
        body: the response body as JSON, if any.
    """

    method: str
    url: str
    endpoint: str
    status: int
    dropped: str | None
    body: Mapping[str, object] | None


class SandboxServer:
    """The sandbox served over HTTP on 127.0.0.1 (``with`` stops it)."""

    def __init__(self, server: WSGIServer, on_stop: Callable[[], object] | None = None) -> None:
        self._server = server
        self._on_stop = on_stop
        self._thread = threading.Thread(target=server.serve_forever, name="socialcare-sandbox")
        self._thread.daemon = True
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port served."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, for example ``http://127.0.0.1:8765``."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving, end open streams, and close the socket."""
        if self._on_stop is not None:
            self._on_stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> SandboxServer:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Sandbox:
    """A simulated X API v2 with 2026 semantics, in-process.

    Args:
        clock: the sandbox's time; defaults to a ``ManualClock`` at 2026-01-01.
        enterprise: behave as Enterprise access: no summoned-reply rule, 4,096-char queries.
        rate_limits: enforce X's per-endpoint limits (headers are sent either way).
        default_lang: ``lang`` given to posts created without one.
        implicit_reply_summons: count a reply to the account's post as summoning it
            even without an explicit @mention. X has not said whether it does (see
            ``x-api/constraints.md``); the default, ``False``, is the strict reading.

    Attributes:
        clock: the sandbox's time; advance a ``ManualClock`` to move X's world on.
        calls: every request answered, in order (:class:`CallRecord`).
        world: the state and rules behind the API (internal; use the methods).

    Example::

        sandbox = Sandbox()
        acme = sandbox.add_user("acme")
        ann = sandbox.add_user("ann")
        sandbox.add_post(ann, "@acme my order is late")
        x = sandbox.platform(acme)
        page = x.mentions(acme.id)
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        enterprise: bool = False,
        rate_limits: bool = True,
        default_lang: str = "en",
        implicit_reply_summons: bool = False,
    ) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        self._world = World(
            clock=self.clock,
            enterprise=enterprise,
            default_lang=default_lang,
            implicit_reply_summons=implicit_reply_summons,
        )
        self._auth = Authenticator()
        self._limiter = RateLimiter(enabled=rate_limits)
        self._faults = FaultQueue()
        self._app = SandboxApp(
            self._world, auth=self._auth, limiter=self._limiter, faults=self._faults
        )
        self.calls: list[CallRecord] = []
        self._app.observers.append(self._record)
        self._oauth2 = OAuth2Server(self.clock)  # /2/oauth2/* (sandbox/_oauth2.py)
        self._auth.oauth2 = self._oauth2.user_for
        self._app.oauth2 = self._oauth2.handle

    def __repr__(self) -> str:
        return (
            f"Sandbox(users={len(list(self._world.users()))}, "
            f"posts={len(self._world.live_posts())}, enterprise={self._world.enterprise})"
        )

    @property
    def enterprise(self) -> bool:
        """Whether the sandbox imitates Enterprise access (no summoned-reply rule)."""
        return self._world.enterprise

    @property
    def app(self) -> WSGIApplication:
        """The WSGI application serving this sandbox (mount it anywhere WSGI runs)."""
        return self._app

    def _record(self, exchange: SandboxRequest, outcome: SandboxOutcome) -> None:
        self.calls.append(
            CallRecord(
                method=exchange.method,
                url=exchange.url,
                endpoint=outcome.endpoint,
                status=0 if outcome.dropped else outcome.status,
                dropped=outcome.dropped,
                body=outcome.payload,
            )
        )

    def advance(self, seconds: float = 0.0, **delta: float) -> dt.datetime:
        """Move the sandbox's ``ManualClock`` forward (``timedelta`` keywords accepted).

        Raises:
            TypeError: the sandbox runs on another clock (time moves by itself).
        """
        if not isinstance(self.clock, ManualClock):
            msg = f"Sandbox.advance needs a ManualClock, this sandbox runs on {self.clock!r}"
            raise TypeError(msg)
        return self.clock.advance(seconds, **delta)

    def observe(self, callback: Callable[[SandboxRequest, SandboxOutcome], None]) -> None:
        """Call ``callback(request, outcome)`` after every request (contract tests use it).

        The callback runs after the request was answered (or dropped), outside the
        sandbox's lock; an exception it raises reaches the client that made the request.
        """
        self._app.observers.append(callback)

    # ---------------------------------------------------------------- seeding

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        user_id: str | None = None,
        receives_dms: bool = True,
        protected: bool = False,
        verified: bool = False,
        followers_count: int = 0,
        description: str = "",
        created_at: dt.datetime | None = None,
    ) -> User:
        """Create an account.

        Args:
            username: the handle, without ``@``.
            name: display name (defaults to the handle).
            user_id: the id (defaults to a fresh snowflake).
            receives_dms: accepts DMs from anyone; if false, only from accounts it
                has itself messaged (X's "Receive messages from anyone" setting).
            protected: protected posts flag.
            verified: verified flag.
            followers_count: reported in ``public_metrics``.
            description: the bio.
            created_at: account creation time (defaults to now).
        """
        handle = username.lstrip("@")
        if not handle or not all(c.isalnum() or c == "_" for c in handle) or len(handle) > 15:  # noqa: PLR2004
            msg = f"invalid X username {username!r}: 1-15 letters, digits or underscores"
            raise ValueError(msg)
        when = created_at if created_at is not None else self.clock.now()
        raw: JSONObject = {
            "id": user_id if user_id is not None else self._world.ids.mint(when),
            "username": handle,
            "name": name if name is not None else handle,
            "created_at": format_time(when),
            "description": description,
            "protected": protected,
            "verified": verified,
            "public_metrics": {
                "followers_count": followers_count,
                "following_count": 0,
                "tweet_count": 0,
                "listed_count": 0,
            },
        }
        return self._world.put_user(raw, dms_from_anyone=receives_dms)

    def add_post(
        self,
        author: UserRef,
        text: str,
        *,
        created_at: dt.datetime | None = None,
        in_reply_to: str | Post | None = None,
        quote_of: str | Post | None = None,
        retweet_of: str | Post | None = None,
        lang: str | None = None,
        post_id: str | None = None,
        entities: Entities | None = None,
        verbatim: bool = False,
    ) -> Post:
        """Publish a post directly, bypassing rate limits and the reply rules.

        The post gets what X would give it: an id minted from ``created_at``,
        entities extracted from the text, and for a reply the parent's
        ``conversation_id`` and author as ``in_reply_to_user_id``. ``quote_of``
        and ``retweet_of`` add ``quoted``/``retweeted`` references.

        ``text`` is what the author typed, stored as X stores it: a reply begins
        with the @mentions X adds (the parent's author and the users it mentioned,
        unless the text already begins with them), ``&<>`` are HTML-escaped and
        links become t.co links (``entities.urls`` keeps the expanded URL), with
        ``display_text_range`` marking the body. So a customer's reply to the
        brand's post mentions the brand, and summons it. ``verbatim=True`` (implied
        by ``entities`` or ``retweet_of``) stores ``text`` exactly as given: a
        text already as X stores it, such as a recorded one.
        """
        author_id = self.user(author).id
        if verbatim or entities is not None or retweet_of is not None:
            raw = self._world.build_post(
                author_id=author_id,
                text=text,
                created_at=created_at,
                post_id=post_id,
                in_reply_to=_post_id(in_reply_to),
                quote_of=_post_id(quote_of),
                retweet_of=_post_id(retweet_of),
                lang=lang,
                entities=entities,
            )
        else:
            raw = self._world.typed_post(
                author_id=author_id,
                text=text,
                created_at=created_at,
                post_id=post_id,
                in_reply_to=_post_id(in_reply_to),
                quote_of=_post_id(quote_of),
                lang=lang,
            )
        return self._world.put_post(raw)

    def add_dm(
        self,
        sender: UserRef,
        recipient: UserRef,
        text: str,
        *,
        created_at: dt.datetime | None = None,
    ) -> DirectMessage:
        """Record a one-to-one DM directly (no permission check)."""
        return self._world.put_dm(
            sender_id=self.user(sender).id,
            recipient_id=self.user(recipient).id,
            text=text,
            created_at=created_at,
        )

    def seed_twcs(
        self,
        path: str | Path,
        *,
        limit: int | None = None,
        rebase: bool = False,
        span: dt.timedelta | None = None,
    ) -> TwcsImport:
        """Import a twcs-format CSV (Kaggle "Customer Support on Twitter").

        Every row becomes a post with a fresh snowflake id minted from its time, so
        ids sort by time as X's do; authors become users (brand handles keep their
        name, anonymised customers are named by their number); replies point at
        their parent, inherit its conversation and its author as
        ``in_reply_to_user_id``. twcs ids are not sandbox ids: the returned
        :class:`TwcsImport` maps them (``result.post(tweet_id)``,
        ``result.user(author_id_or_handle)``), and the API's "not found" errors say
        so when handed a twcs id.

        Args:
            path: the CSV file.
            limit: import at most this many rows (file order).
            rebase: move the whole data set into the recent past of the sandbox
                clock: the newest row lands on "now" and every row keeps its order
                and its relative place in time. A data set spanning more than
                ``span`` is compressed proportionally to fit in it.
            span: the period a rebased data set may span at most (default 6 days,
                inside X's 7-day recent-search window with a day to spare); an
                explicit ``span`` is the period the data set then spans exactly.

        Warns:
            OutsideSearchWindowWarning: some rows are outside the 7-day
                recent-search window of the sandbox clock, so recent search will not
                find them (``TwcsImport.outside_window`` lists them).

        Raises:
            PayloadError: the file lacks a twcs column or a row has a bad value.
            ValueError: ``span`` is not positive, or given without ``rebase``.
        """
        return load_twcs(self._world, Path(path), limit=limit, rebase=rebase, span=span)

    def seed_x(self, payload: Mapping[str, object]) -> tuple[list[str], list[str]]:
        """Seed one recorded X API v2 response; returns the post ids and user ids seeded."""
        return load_x_payload(self._world, payload)

    def seed_x_jsonl(self, path: str | Path) -> list[JSONObject]:
        """Seed every response page of a JSONL file; returns the pages as read."""
        pages = list(read_x_jsonl(Path(path)))
        for page in pages:
            load_x_payload(self._world, page)
        return pages

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        endpoint: str | None = None,
        status: int = 503,
        retry_after: float = 60.0,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls (to ``endpoint``, or any) fail as ``kind``.

        Endpoints are named like ``"POST /2/tweets"`` or ``"GET /2/users/:id/mentions"``.
        """
        if times < 1:
            msg = f"times must be at least 1, got {times}"
            raise ValueError(msg)
        if kind not in get_args(FaultKind):
            msg = f"unknown fault kind {kind!r}; known: {', '.join(get_args(FaultKind))}"
            raise ValueError(msg)
        if endpoint is not None and endpoint not in LIMITS:
            msg = f"unknown endpoint {endpoint!r}; known: {sorted(LIMITS)}"
            raise ValueError(msg)
        self._faults.arm(
            Fault(
                kind, times, endpoint=endpoint, status=status, retry_after=retry_after, delay=delay
            )
        )

    @property
    def pending_faults(self) -> int:
        """How many failing calls armed by :meth:`fail_next` are still to come."""
        return self._faults.pending

    def clear_faults(self) -> None:
        """Disarm every fault armed by :meth:`fail_next`."""
        self._faults.clear()

    def exhaust_rate_limit(self, endpoint: str, *, user: UserRef | None = None) -> None:
        """Use up ``endpoint``'s current window for the app (or for ``user``)."""
        principal = Principal(None if user is None else self.user(user).id)
        self._limiter.exhaust(endpoint, principal.key, now=self.clock.now())

    # ------------------------------------------------------------------ access

    def credentials(self, user: UserRef | None = None) -> SandboxCredentials:
        """Fresh credentials acting as ``user`` (or app-only credentials)."""
        return self._auth.credentials(None if user is None else self.user(user).id)

    def usage(self, user: UserRef | Literal["app"] | None = None) -> Usage:
        """What X's pay-per-use pricing would have billed so far.

        Reads are billed per resource returned, expanded users and posts in
        ``includes`` too (a post $0.005, a user $0.010), and each resource once per
        UTC day for the whole app: the first call that returns it that day pays,
        whichever token made it. Writes are billed per request. The price of some
        calls is the difference of two snapshots::

            before = sandbox.usage()
            x.mentions(max_results=100, expansions=("author_id",))
            cost = (sandbox.usage() - before).total

        Args:
            user: only calls made as this user (``"app"``: app-only calls);
                ``None``: everything.
        """
        if user is None:
            return self._app.ledger.usage()
        principal = "app" if user == "app" else Principal(self.user(user).id).key
        return self._app.ledger.usage(principal)

    def revoke(self, token: str) -> None:
        """Make a bearer, OAuth 2.0 user or OAuth 1.0a access token fail with 401 from now on."""
        self._auth.revoke(token)

    @property
    def oauth2(self) -> OAuth2Server:
        """The OAuth 2.0 authorization server: registered apps, refresh counts (soak tests)."""
        return self._oauth2

    def register_oauth2_app(
        self,
        user: UserRef,
        *,
        redirect_uri: str = "http://127.0.0.1:8000/callback",
        confidential: bool = True,
    ) -> OAuth2App:
        """Register an OAuth 2.0 client whose authorization requests ``user`` approves.

        ``confidential``: the app has a client secret (HTTP Basic at the token
        endpoint); otherwise it is a public client (``client_id`` in the form).
        """
        return self._oauth2.register(
            user_id=self.user(user).id, redirect_uri=redirect_uri, confidential=confidential
        )

    def approve(self, authorize_url: str) -> str:
        """Open ``authorize_url`` as the approving user would; return where X redirects.

        Any host is accepted (``https://x.com/i/oauth2/authorize`` too): the path is
        answered as ``/2/oauth2/authorize``. The redirect carries ``code`` and ``state``,
        or ``error`` and ``state``.

        Raises:
            ValueError: X would not redirect (unknown client or redirect URI).
        """
        query = urllib.parse.urlsplit(authorize_url).query
        exchange = SandboxRequest(
            "GET", f"https://api.x.com/2/oauth2/authorize?{query}", {"Host": "api.x.com"}
        )
        outcome = self._app.handle(exchange)
        location = dict(outcome.headers).get("location")
        if outcome.status != 302 or location is None:  # noqa: PLR2004 - HTTP Found
            msg = f"authorization refused without redirect: {outcome.body.decode()[:200]}"
            raise ValueError(msg)
        return location

    def transport(self) -> SandboxTransport:
        """A ``requests`` transport adapter answering from this sandbox."""
        from socialcare.sandbox._transport import SandboxTransport  # noqa: PLC0415 - requests

        return SandboxTransport(self)

    def platform(
        self,
        user: UserRef | None = None,
        *,
        auth: Literal["oauth1", "oauth2"] = "oauth1",
        app_reads: bool = True,
        max_attempts: int = 4,
        max_rate_limit_wait: float = 60.0,
        timeout: float = 30.0,
        api_host: str = "https://api.x.com",
        expansions: Iterable[str] | None = None,
    ) -> XPlatform:
        """A ready ``XPlatform`` that talks to this sandbox as ``user``.

        Args:
            user: the acting account (``None``: app-only, reads only).
            auth: user context through OAuth 1.0a or an OAuth 2.0 user token.
            app_reads: also hold the app's bearer token, used for reads.
            max_attempts: see ``XPlatform``.
            max_rate_limit_wait: see ``XPlatform``.
            timeout: see ``XPlatform``.
            api_host: see ``XPlatform`` (the sandbox answers for either host).
            expansions: see ``XPlatform`` (what post reads expand, and so bill).

        The platform reads this sandbox's bill: ``platform.usage()`` is
        :meth:`usage` (every principal of the app), so a ``Monitor`` on it reports
        what each cycle was billed (``CycleReport.cost``, ``cost_basis="billed"``).
        """
        from socialcare.platforms.x import XPlatform  # noqa: PLC0415 - x imports tweepy

        creds = self.credentials(user)
        oauth1 = user is not None and auth == "oauth1"
        return XPlatform(
            bearer_token=creds.bearer_token if app_reads or user is None else None,
            consumer_key=creds.consumer_key if oauth1 else None,
            consumer_secret=creds.consumer_secret if oauth1 else None,
            access_token=creds.access_token if oauth1 else None,
            access_token_secret=creds.access_token_secret if oauth1 else None,
            user_token=creds.user_token if auth == "oauth2" else None,
            clock=self.clock,
            transport=self.transport(),
            max_attempts=max_attempts,
            max_rate_limit_wait=max_rate_limit_wait,
            timeout=timeout,
            api_host=api_host,
            expansions=expansions,
            usage_source=self.usage,
        )

    # ---------------------------------------------------- real-time delivery

    def deliver_pending(self) -> DeliveryReport:
        """POST every X Activity API event now due to its webhook; schedule retries.

        Events are queued when a post or DM is created and a subscription matches
        (see ``docs/realtime.md``). A delivery that does not get 200 within 3 seconds
        is due again 3, 27 and 242 seconds (sandbox time) after each failure, then
        given up; advance the clock to make retries due.
        """
        return self._app.webhooks.deliver_pending()

    def deliver_automatically(self, interval: float = 0.05) -> DeliveryThread:
        """Deliver events from a background thread every ``interval`` seconds until stopped.

        Example::

            with sandbox.deliver_automatically():
                ...  # events reach the webhook as posts and DMs are created
        """
        if interval <= 0:
            msg = "interval must be positive"
            raise ValueError(msg)
        return DeliveryThread(self._app.webhooks.deliver_pending, interval)

    # ----------------------------------------------------------------- streams

    @property
    def stream_keepalive(self) -> float:
        """Seconds of wall time between stream keep-alives (X: about 20; tests use less)."""
        return self._app.streams.keepalive

    @stream_keepalive.setter
    def stream_keepalive(self, seconds: float) -> None:
        if seconds <= 0:
            msg = "stream_keepalive must be positive"
            raise ValueError(msg)
        self._app.streams.keepalive = seconds

    def open_streams(self, kind: StreamKind | None = None) -> int:
        """Stream connections delivering now (``"filtered"``, ``"activity"``, or both).

        A connection counts from the moment the sandbox answered 200 until either side
        ends it; a stalled one (:meth:`stall_streams`) no longer counts.
        """
        return self._app.streams.live(kind)

    def drop_streams(self, kind: StreamKind | None = None, *, message: bool = False) -> int:
        """End every open stream connection (of ``kind``) as a network drop would.

        With ``message``, X's ``operational-disconnect`` error line is sent first (X
        asks clients to back off as after an HTTP error). Returns how many ended.
        """
        return self._app.streams.drop(kind, message=message)

    def stall_streams(self, kind: StreamKind | None = None) -> int:
        """Make every open stream connection (of ``kind``) go silent: no data, no keep-alive.

        The client notices only by its read timeout (a *stall*); a stalled connection
        no longer counts against the one-connection limit. Returns how many.
        """
        return self._app.streams.stall(kind)

    def stream_rules(self) -> dict[str, tuple[str, str | None]]:
        """The filtered stream rules: id to (value, tag)."""
        hub = self._app.streams
        with hub._lock:  # noqa: SLF001 - the sandbox's own state
            return {rule_id: (value, tag) for rule_id, (value, tag, _) in hub.rules.items()}

    @property
    def pending_deliveries(self) -> int:
        """X Activity API events queued for their webhook (due now or on a retry)."""
        return self._app.webhooks.pending

    def delivery_attempts(self) -> list[DeliveryAttempt]:
        """Every webhook delivery attempt so far, in order."""
        return list(self._app.webhooks.attempts)

    def serve(self, port: int = 0) -> SandboxServer:
        """Serve the API on ``127.0.0.1:port`` (0 picks a free port) in a thread.

        A thread per connection; the streams are sent in HTTP/1.1 chunks as X sends
        them. Stopping the server ends the streams it serves.
        """
        server = make_streaming_server(self._app, port)
        return SandboxServer(server, on_stop=self.drop_streams)

    # ------------------------------------------------------------------ state

    def user(self, ref: UserRef) -> User:
        """Resolve a ``User``, id or handle to the stored user.

        Raises:
            KeyError: no such user.
        """
        if isinstance(ref, User):
            ref = ref.id
        rec = self._world.user(ref) if ref.isdigit() else None
        if rec is None:
            rec = self._world.user_by_username(ref)
        if rec is None:
            msg = f"no sandbox user {ref!r}"
            raise KeyError(msg)
        return rec.model

    def users(self) -> list[User]:
        """Every user of the simulated X."""
        return list(self._world.users())

    def post(self, post_id: str) -> Post | None:
        """The post with this id (``None`` if unknown or deleted)."""
        rec = self._world.post(post_id)
        return None if rec is None or rec.deleted else rec.model

    def posts(self, *, author: UserRef | None = None, include_deleted: bool = False) -> list[Post]:
        """Posts, newest first, optionally only ``author``'s."""
        with self._world.lock:
            recs = (
                sorted(
                    (r for pid in self._all_ids() if (r := self._world.post(pid)) is not None),
                    key=lambda r: int(r.model.id),
                    reverse=True,
                )
                if include_deleted
                else self._world.live_posts()
            )
        author_id = None if author is None else self.user(author).id
        return [r.model for r in recs if author_id is None or r.model.author_id == author_id]

    def _all_ids(self) -> Iterable[str]:
        return self._world.post_ids()

    def deep_link(self, post_id: str) -> str | None:
        """The DM deep link a post was created with, if any."""
        return self._world.deep_links.get(post_id)

    def dms(self, *, between: tuple[UserRef, UserRef] | None = None) -> list[DirectMessage]:
        """DM events, newest first, optionally only those between two users."""
        events = self._world.dms()
        if between is None:
            return events
        pair = {self.user(between[0]).id, self.user(between[1]).id}
        low, high = sorted(pair, key=int)
        return [dm for dm in events if dm.dm_conversation_id == f"{low}-{high}"]


def _post_id(ref: str | Post | None) -> str | None:
    return ref.id if isinstance(ref, Post) else ref
