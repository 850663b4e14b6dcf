"""The one table of the X API v2 routes socialcare uses.

Each :class:`Endpoint` says, once, everything socialcare knows about a route:
its method and path (``str(endpoint)`` is the name used everywhere, such as
``"GET /2/users/:id/mentions"``), the query parameters X accepts, which of them
page, the expansions X accepts, the fields and expansions ``XPlatform`` asks
for, the rate limits per window for app and user authentication, and the
pay-per-use prices X bills for it (2026 pricing, see ``x-api/constraints.md``).

``XPlatform`` names its calls and asks for fields from here; the sandbox
builds its routes, rate limits and billing from here; the monitor reads its
default budgets from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

import attrs

__all__ = [
    "ACTIVITY_STREAM",
    "CREATE_POST",
    "CREATE_SUBSCRIPTION",
    "CREATE_WEBHOOK",
    "DELETE_POST",
    "DELETE_SUBSCRIPTION",
    "DELETE_WEBHOOK",
    "DM_CONVERSATION_EVENTS",
    "DM_EVENTS",
    "ENDPOINTS",
    "FILTERED_STREAM",
    "GET_POST",
    "GET_POSTS",
    "GET_USERS",
    "HIDE_REPLY",
    "LIST_SUBSCRIPTIONS",
    "LIST_WEBHOOKS",
    "ME",
    "MENTIONS",
    "OAUTH2_AUTHORIZE",
    "OAUTH2_ENDPOINTS",
    "OAUTH2_REVOKE",
    "OAUTH2_TOKEN",
    "PRICES",
    "REPLAY_WEBHOOK",
    "SEARCH_ALL",
    "SEARCH_RECENT",
    "SEND_DM",
    "STREAM_RULES",
    "UPDATE_STREAM_RULES",
    "UPDATE_SUBSCRIPTION",
    "USER_BY_USERNAME",
    "USER_POSTS",
    "VALIDATE_WEBHOOK",
    "Endpoint",
    "Price",
]

WINDOW = dt.timedelta(minutes=15)
"""X's standard rate-limit window."""


@attrs.frozen
class Price:
    """One pay-per-use price: what X bills, in USD, per item of a kind.

    Attributes:
        kind: the billed item, for example ``"post_read"`` or ``"dm_create"``.
        usd: the price of one item.
    """

    kind: str
    usd: Decimal


_POST_READ = Price("post_read", Decimal("0.005"))
_USER_READ = Price("user_read", Decimal("0.010"))
_DM_EVENT_READ = Price("dm_event_read", Decimal("0.010"))
_OWNED_READ = Price("owned_read", Decimal("0.001"))  # own mentions and posts, since 2026-04-20
_POST_CREATE = Price("post_create", Decimal("0.015"))
_POST_CREATE_WITH_URL = Price("post_create_with_url", Decimal("0.200"))
_SUMMONED_REPLY = Price("summoned_reply", Decimal("0.010"))
_DM_CREATE = Price("dm_create", Decimal("0.015"))
# X Activity API, per delivered event: post events $0.005, dm.received $0.010 (X3).
_ACTIVITY_POST_EVENT = Price("activity_post_event", Decimal("0.005"))
_ACTIVITY_DM_EVENT = Price("activity_dm_event", Decimal("0.010"))

# ------------------------------------------------------------------ vocabulary

_FIELD_PARAMS = frozenset(
    {"tweet.fields", "user.fields", "media.fields", "poll.fields", "place.fields", "expansions"}
)
_TIME_WINDOW = frozenset({"since_id", "until_id", "start_time", "end_time", "max_results"})

_POST_EXPANSIONS_KNOWN = frozenset(
    {
        "author_id",
        "in_reply_to_user_id",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
        "entities.mentions.username",
        "attachments.media_keys",
        "attachments.poll_ids",
        "geo.place_id",
        "edit_history_tweet_ids",
    }
)
_USER_EXPANSIONS_KNOWN = frozenset(
    {"pinned_tweet_id", "most_recent_tweet_id", "affiliation.user_id"}
)
_DM_EXPANSIONS_KNOWN = frozenset(
    {"sender_id", "participant_ids", "referenced_tweets.id", "attachments.media_keys"}
)

# What XPlatform asks for: the fields its models read.
_TWEET_FIELDS = (
    "author_id",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_history_tweet_ids",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "possibly_sensitive",
    "referenced_tweets",
    "reply_settings",
    "withheld",
)
_USER_FIELDS = (
    "created_at",
    "description",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "verified",
)
_POST_EXPANSIONS = (
    "author_id",
    "entities.mentions.username",
    "in_reply_to_user_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
)
_DM_EVENT_FIELDS = (
    "created_at",
    "dm_conversation_id",
    "entities",
    "event_type",
    "id",
    "participant_ids",
    "referenced_tweets",
    "sender_id",
    "text",
)
_DM_EXPANSIONS = ("participant_ids", "sender_id")


@attrs.frozen
class Endpoint:
    """One X API v2 route and what socialcare knows about it.

    ``str(endpoint)`` and :attr:`name` give ``"METHOD /path"`` with X's
    ``:name`` placeholders, the name used in errors, ``RateLimit.endpoint``,
    the sandbox's call records and fault targets.

    Attributes:
        method: the HTTP method.
        path: the path, with ``:id``-style placeholders for ids.
        app_limit: requests per window with app-only (bearer) authentication;
            ``None`` when the route needs user context.
        user_limit: requests per window for each user (user context).
        daily_user_limit: requests per 24 hours for each user, when X caps that too.
        window: the rate-limit window (15 minutes).
        query_params: the query parameters X accepts, pagination tokens excluded.
        pagination: the query parameters that carry a page token.
        known_expansions: the ``expansions`` values X accepts on this route.
        tweet_fields: the ``tweet.fields`` ``XPlatform`` asks for.
        user_fields: the ``user.fields`` ``XPlatform`` asks for.
        dm_event_fields: the ``dm_event.fields`` ``XPlatform`` asks for.
        expansions: the ``expansions`` ``XPlatform`` asks for.
        max_query_length: the longest ``query`` self-serve access accepts (searches).
        reads: the price of each primary resource a successful read returns.
        owned_reads: the lower price of reading one's own timeline, where X offers it.
        writes: the prices a successful write may bill (one of them per call).
        deliveries: the prices of the events X delivers for what this route sets up
            (X Activity API subscriptions: each delivered event is billed).
    """

    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    app_limit: int | None
    user_limit: int | None
    daily_user_limit: int | None = attrs.field(default=None, kw_only=True)
    window: dt.timedelta = attrs.field(default=WINDOW, kw_only=True)
    query_params: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    pagination: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    known_expansions: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    tweet_fields: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    user_fields: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    dm_event_fields: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    expansions: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    max_query_length: int | None = attrs.field(default=None, kw_only=True)
    reads: Price | None = attrs.field(default=None, kw_only=True)
    owned_reads: Price | None = attrs.field(default=None, kw_only=True)
    writes: tuple[Price, ...] = attrs.field(default=(), kw_only=True)
    deliveries: tuple[Price, ...] = attrs.field(default=(), kw_only=True)

    @property
    def name(self) -> str:
        """``"METHOD /path"``, for example ``"GET /2/users/:id/mentions"``."""
        return f"{self.method} {self.path}"

    def __str__(self) -> str:
        return self.name

    @property
    def user_only(self) -> bool:
        """Whether the route needs user context (app-only tokens are refused)."""
        return self.app_limit is None

    @property
    def lowest_limit(self) -> int:
        """Requests per window under whichever authentication allows fewer."""
        return min(n for n in (self.app_limit, self.user_limit) if n is not None)

    @property
    def accepted_params(self) -> frozenset[str]:
        """Every query parameter X accepts here, pagination tokens included."""
        return self.query_params | frozenset(self.pagination)

    def field_params(self, expansions: tuple[str, ...] | None = None) -> dict[str, str]:
        """The fields and expansions ``XPlatform`` asks for, as X query parameters.

        Args:
            expansions: the expansions to ask for instead of :attr:`expansions`
                (``()``: none, and then no ``user.fields`` either when the route's
                primary objects are not users).

        Raises:
            ValueError: an expansion X does not accept on this route.
        """
        chosen = self.expansions if expansions is None else self.checked_expansions(expansions)
        user_fields = self.user_fields
        if not chosen and self.reads is not None and self.reads.kind != "user_read":
            user_fields = ()
        pairs = (
            ("tweet.fields", self.tweet_fields),
            ("user.fields", user_fields),
            ("dm_event.fields", self.dm_event_fields),
            ("expansions", chosen),
        )
        return {key: ",".join(values) for key, values in pairs if values}

    def checked_expansions(self, expansions: Iterable[str]) -> tuple[str, ...]:
        """``expansions``, deduplicated, once each is known to be accepted here.

        Raises:
            ValueError: an expansion X does not accept on this route (named, with the
                accepted ones).
            TypeError: a single string instead of a collection of names.
        """
        if isinstance(expansions, str):
            msg = f"expansions must be a collection of names, not the string {expansions[:40]!r}"
            raise TypeError(msg)
        expansions = tuple(expansions)
        unknown = [value for value in expansions if value not in self.known_expansions]
        if unknown:
            shown = ", ".join(repr(value[:40]) for value in unknown[:5])
            msg = (
                f"{self.name} does not accept the expansions {shown}; "
                f"known: {', '.join(sorted(self.known_expansions))}"
            )
            raise ValueError(msg)
        return tuple(dict.fromkeys(expansions))

    @property
    def prices(self) -> tuple[Price, ...]:
        """Every price this route may bill."""
        billed = (self.reads, self.owned_reads, *self.writes, *self.deliveries)
        return tuple(price for price in billed if price is not None)


def _post_reads(
    path: str,
    app_limit: int,
    user_limit: int,
    query_params: frozenset[str],
    *,
    pagination: tuple[str, ...] = (),
    owned: bool = False,
    max_query_length: int | None = None,
) -> Endpoint:
    return Endpoint(
        "GET",
        path,
        app_limit,
        user_limit,
        query_params=query_params,
        pagination=pagination,
        known_expansions=_POST_EXPANSIONS_KNOWN,
        tweet_fields=_TWEET_FIELDS,
        user_fields=_USER_FIELDS,
        expansions=_POST_EXPANSIONS,
        max_query_length=max_query_length,
        reads=_POST_READ,
        owned_reads=_OWNED_READ if owned else None,
    )


def _user_reads(
    path: str, app_limit: int | None, user_limit: int, query_params: frozenset[str]
) -> Endpoint:
    return Endpoint(
        "GET",
        path,
        app_limit,
        user_limit,
        query_params=query_params,
        known_expansions=_USER_EXPANSIONS_KNOWN,
        user_fields=_USER_FIELDS,
        reads=_USER_READ,
    )


def _dm_reads(path: str) -> Endpoint:
    return Endpoint(
        "GET",
        path,
        None,
        15,
        query_params=_FIELD_PARAMS | {"max_results", "event_types", "dm_event.fields"},
        pagination=("pagination_token",),
        known_expansions=_DM_EXPANSIONS_KNOWN,
        dm_event_fields=_DM_EVENT_FIELDS,
        user_fields=_USER_FIELDS,
        expansions=_DM_EXPANSIONS,
        reads=_DM_EVENT_READ,
    )


def _write(
    method: Literal["POST", "PUT", "DELETE"],
    path: str,
    user_limit: int,
    *prices: Price,
    daily_user_limit: int | None = None,
) -> Endpoint:
    return Endpoint(
        method,
        path,
        None,
        user_limit,
        daily_user_limit=daily_user_limit,
        known_expansions=_POST_EXPANSIONS_KNOWN,
        writes=prices,
    )


_SEARCH_PARAMS = _FIELD_PARAMS | _TIME_WINDOW | {"query", "sort_order"}
_SEARCH_PAGING = ("next_token", "pagination_token")
_PAGING = ("pagination_token",)

ME = _user_reads("/2/users/me", None, 75, _FIELD_PARAMS)
GET_USERS = _user_reads("/2/users", 300, 900, _FIELD_PARAMS | {"ids"})
USER_BY_USERNAME = _user_reads("/2/users/by/username/:username", 300, 900, _FIELD_PARAMS)
SEARCH_RECENT = _post_reads(
    "/2/tweets/search/recent",
    450,
    300,
    _SEARCH_PARAMS,
    pagination=_SEARCH_PAGING,
    max_query_length=512,
)
SEARCH_ALL = _post_reads(
    "/2/tweets/search/all",
    300,
    300,
    _SEARCH_PARAMS,
    pagination=_SEARCH_PAGING,
    max_query_length=1024,
)
MENTIONS = _post_reads(
    "/2/users/:id/mentions", 450, 300, _FIELD_PARAMS | _TIME_WINDOW, pagination=_PAGING, owned=True
)
USER_POSTS = _post_reads(
    "/2/users/:id/tweets",
    1500,
    900,
    _FIELD_PARAMS | _TIME_WINDOW | {"exclude"},
    pagination=_PAGING,
    owned=True,
)
GET_POSTS = _post_reads("/2/tweets", 3500, 5000, _FIELD_PARAMS | {"ids"})
GET_POST = _post_reads("/2/tweets/:id", 450, 900, _FIELD_PARAMS)
CREATE_POST = _write("POST", "/2/tweets", 100, _POST_CREATE, _POST_CREATE_WITH_URL, _SUMMONED_REPLY)
DELETE_POST = _write("DELETE", "/2/tweets/:id", 50)
HIDE_REPLY = _write("PUT", "/2/tweets/:tweet_id/hidden", 50)
SEND_DM = _write(
    "POST",
    "/2/dm_conversations/with/:participant_id/messages",
    15,
    _DM_CREATE,
    daily_user_limit=1440,
)
DM_EVENTS = _dm_reads("/2/dm_events")
DM_CONVERSATION_EVENTS = _dm_reads("/2/dm_conversations/with/:participant_id/dm_events")

# X Activity API and webhooks: app rate limits only (X11); app-only bearer token,
# except that webhooks and subscriptions may also be created with user context.
_WEBHOOK_FIELDS = frozenset({"webhook_config.fields"})
CREATE_WEBHOOK = Endpoint("POST", "/2/webhooks", 450, None)
LIST_WEBHOOKS = Endpoint("GET", "/2/webhooks", 450, None, query_params=_WEBHOOK_FIELDS)
VALIDATE_WEBHOOK = Endpoint("PUT", "/2/webhooks/:webhook_id", 450, None)
DELETE_WEBHOOK = Endpoint("DELETE", "/2/webhooks/:webhook_id", 450, None)
REPLAY_WEBHOOK = Endpoint("POST", "/2/webhooks/replay", 100, None)
CREATE_SUBSCRIPTION = Endpoint(
    "POST",
    "/2/activity/subscriptions",
    500,
    None,
    deliveries=(_ACTIVITY_POST_EVENT, _ACTIVITY_DM_EVENT),
)
LIST_SUBSCRIPTIONS = Endpoint(
    "GET",
    "/2/activity/subscriptions",
    500,
    None,
    query_params=frozenset({"max_results"}),
    pagination=_PAGING,
)
UPDATE_SUBSCRIPTION = Endpoint("PUT", "/2/activity/subscriptions/:subscription_id", 500, None)
DELETE_SUBSCRIPTION = Endpoint("DELETE", "/2/activity/subscriptions/:subscription_id", 500, None)

# Streams (constraints.md: filtered stream 50 connects per 15 minutes, 1 connection,
# 1,000 rules of 1,024 characters, POST rules 100 per 15 minutes); app-only bearer token.
# Each streamed post is billed as a post read (its expansions too); each activity
# event as a delivered event. The activity stream's connect limit is not published:
# the filtered stream's is used (inference, see docs/realtime.md).
_STREAM_PARAMS = _FIELD_PARAMS | {"backfill_minutes", "start_time", "end_time"}
FILTERED_STREAM = Endpoint(
    "GET",
    "/2/tweets/search/stream",
    50,
    None,
    query_params=_STREAM_PARAMS,
    known_expansions=_POST_EXPANSIONS_KNOWN,
    tweet_fields=_TWEET_FIELDS,
    user_fields=_USER_FIELDS,
    expansions=_POST_EXPANSIONS,
    reads=_POST_READ,
)
STREAM_RULES = Endpoint(
    "GET",
    "/2/tweets/search/stream/rules",
    450,
    None,
    query_params=frozenset({"ids", "max_results"}),
    pagination=_PAGING,
)
UPDATE_STREAM_RULES = Endpoint(
    "POST",
    "/2/tweets/search/stream/rules",
    100,
    None,
    query_params=frozenset({"dry_run", "delete_all"}),
)
ACTIVITY_STREAM = Endpoint(
    "GET",
    "/2/activity/stream",
    50,
    None,
    query_params=frozenset({"backfill_minutes", "start_time", "end_time"}),
    deliveries=(_ACTIVITY_POST_EVENT, _ACTIVITY_DM_EVENT),
)

ENDPOINTS: Mapping[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        ME,
        GET_USERS,
        USER_BY_USERNAME,
        SEARCH_RECENT,
        SEARCH_ALL,
        MENTIONS,
        USER_POSTS,
        GET_POSTS,
        GET_POST,
        CREATE_POST,
        DELETE_POST,
        HIDE_REPLY,
        SEND_DM,
        DM_EVENTS,
        DM_CONVERSATION_EVENTS,
        CREATE_WEBHOOK,
        LIST_WEBHOOKS,
        VALIDATE_WEBHOOK,
        DELETE_WEBHOOK,
        REPLAY_WEBHOOK,
        CREATE_SUBSCRIPTION,
        LIST_SUBSCRIPTIONS,
        UPDATE_SUBSCRIPTION,
        DELETE_SUBSCRIPTION,
        FILTERED_STREAM,
        STREAM_RULES,
        UPDATE_STREAM_RULES,
        ACTIVITY_STREAM,
    )
}
"""Every route socialcare knows, by name (``"GET /2/users/:id/mentions"``...)."""

OAUTH2_AUTHORIZE = Endpoint("GET", "/2/oauth2/authorize", None, None)
"""Where the account holder approves an app (X serves it as ``https://x.com/i/oauth2/authorize``)."""
OAUTH2_TOKEN = Endpoint("POST", "/2/oauth2/token", None, None)
"""Code exchange and refresh (form-encoded; HTTP Basic for confidential clients)."""
OAUTH2_REVOKE = Endpoint("POST", "/2/oauth2/revoke", None, None)
"""Token revocation."""

OAUTH2_ENDPOINTS: Mapping[str, Endpoint] = {
    endpoint.name: endpoint for endpoint in (OAUTH2_AUTHORIZE, OAUTH2_TOKEN, OAUTH2_REVOKE)
}
"""The OAuth 2.0 authorization server's routes (``docs/oauth2.md``), by name.

Not in :data:`ENDPOINTS`: they are no API v2 resources (no rate-limit table, no
price, no OpenAPI schema), and the sandbox answers them apart (``sandbox/_oauth2.py``).
"""

PRICES: Mapping[str, Price] = {
    price.kind: price for endpoint in ENDPOINTS.values() for price in endpoint.prices
}
"""Every pay-per-use price the table mentions, by kind."""
