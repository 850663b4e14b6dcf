"""The sandbox's state and X's rules: users, posts, DMs, search, replies, limits.

Everything here works on plain JSON objects (X's wire format) plus socialcare
models for matching. Requests arrive already authenticated (a ``Principal``);
failures are raised as :class:`~socialcare.sandbox._problems.ApiError` and
rendered by the HTTP layer.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal

import attrs

from socialcare._clock import Clock
from socialcare._json import format_time, parse_time
from socialcare.errors import QueryError
from socialcare.models import DirectMessage, Entities, Post, User
from socialcare.platforms.x import SEARCH_ALL, SEARCH_RECENT
from socialcare.sandbox import _semantics, _xtext
from socialcare.sandbox._ids import IdMinter, snowflake_time
from socialcare.sandbox._problems import (
    ApiError,
    forbidden,
    invalid_request,
    not_found_problem,
    resource_missing,
)

__all__ = ["JSONObject", "Principal", "Slice", "World"]

JSONObject = dict[str, object]

RECENT_WINDOW = dt.timedelta(days=7)
DM_WINDOW = dt.timedelta(days=30)
DUPLICATE_WINDOW = dt.timedelta(hours=24)
MENTIONS_CAP = 800
MAX_POST_LENGTH = 280
MAX_DM_LENGTH = 10_000
SELF_SERVE_QUERY_LIMITS: Mapping[str, int] = {
    archive: endpoint.max_query_length
    for archive, endpoint in (("recent", SEARCH_RECENT), ("all", SEARCH_ALL))
    if endpoint.max_query_length is not None
}
ENTERPRISE_QUERY_LIMIT = 4096
END_TIME_MARGIN = dt.timedelta(seconds=10)

REPLY_NOT_PERMITTED = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
REPLY_SETTINGS = (
    "You are not allowed to reply to this post: its author limited who can reply (reply_settings)."
)
QUOTE_TARGET_GONE = "You attempted to quote a Tweet that is deleted or not visible to you."
HIDE_NOT_ALLOWED = (
    "You are not allowed to hide or unhide this reply: it is not in your conversation."
)
DUPLICATE_CONTENT = "You are not allowed to create a Tweet with duplicate content."
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
DM_NOT_PERMITTED = "You are not permitted to send Direct Messages to this user."
TOO_MANY_CASHTAGS = "Posts created with self-serve access may contain at most 1 cashtag."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)


@attrs.frozen
class Principal:
    """Who is calling: the app alone (bearer token) or a user (user-context token)."""

    user_id: str | None

    @property
    def key(self) -> str:
        """The rate-limit bucket: ``app`` or ``user:<id>``."""
        return "app" if self.user_id is None else f"user:{self.user_id}"


@attrs.define
class _UserRec:
    raw: JSONObject
    model: User
    dms_from_anyone: bool


@attrs.define
class _PostRec:
    raw: JSONObject
    model: Post
    created: dt.datetime
    deleted: bool = False
    view: _semantics.PostView | None = None
    sent: str | None = None
    """What the author sent (posts created through the API), for duplicate checks."""
    hidden: bool = False


@attrs.define
class _DmRec:
    raw: JSONObject
    participants: frozenset[str]
    created: dt.datetime


@attrs.frozen
class Slice:
    """One page of a reverse-chronological list."""

    items: tuple[JSONObject, ...]
    next_token: str | None
    previous_token: str | None = None


def _token(value: int) -> str:
    """A pagination token naming the id to resume at (base36, at least 16 characters)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
        if value == 0:
            break
    return "sbx" + out.rjust(16, "0")


def _untoken(token: str, parameter: str) -> int:
    if not token.startswith("sbx") or len(token) < 4:  # noqa: PLR2004 - prefix plus a digit
        raise invalid_request(
            f"The `{parameter}` query parameter value [{token}] is not valid", **{parameter: token}
        )
    try:
        return int(token[3:], 36)
    except ValueError:
        raise invalid_request(
            f"The `{parameter}` query parameter value [{token}] is not valid", **{parameter: token}
        ) from None


def _snowflake_created(raw: Mapping[str, object], post_id: str) -> dt.datetime:
    created = raw.get("created_at")
    if isinstance(created, str):
        return parse_time(created)
    return snowflake_time(int(post_id))


class World:
    """Users, posts and DMs, and every rule X applies to them.

    Thread-safe: every public method holds one re-entrant lock.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        enterprise: bool = False,
        default_lang: str = "en",
        implicit_reply_summons: bool = False,
    ) -> None:
        self.clock = clock
        self.enterprise = enterprise
        self.implicit_reply_summons = implicit_reply_summons
        self.default_lang = default_lang
        self.ids = IdMinter()
        self.lock = threading.RLock()
        self._users: dict[str, _UserRec] = {}
        self._by_username: dict[str, str] = {}
        self._posts: dict[str, _PostRec] = {}
        self._order: list[str] | None = []
        self._dms: list[_DmRec] = []
        self.user_models: dict[str, User] = {}
        self.deep_links: dict[str, str] = {}
        self._imported: dict[str, dict[str, str]] = {"tweet": {}, "user": {}}
        # Called with ("post", raw) / ("dm", raw) after each post or DM is stored
        # (the webhook deliveries of sandbox/_webhooks.py listen here).
        self.listeners: list[Callable[[str, JSONObject], None]] = []

    # ---------------------------------------------------------- imported ids

    def remember_imported(self, kind: Literal["tweet", "user"], ids: Mapping[str, str]) -> None:
        """Note ids of another system (twcs) and the sandbox ids they became."""
        with self.lock:
            self._imported[kind].update(ids)

    def id_hint(self, value: str) -> str:
        """A sentence for a "not found" detail when ``value`` is an imported, unmapped id."""
        with self.lock:
            user = self._imported["user"].get(value)
            tweet = self._imported["tweet"].get(value)
        found = [
            f"a twcs {what}, not a sandbox id: it was imported as {kind} {sandbox_id}"
            for what, kind, sandbox_id in (
                ("author_id", "user", user),
                ("tweet_id", "post", tweet),
            )
            if sandbox_id is not None
        ]
        if not found:
            return ""
        return (
            f" [{value}] is {' and '.join(found)} (map twcs ids with the TwcsImport that "
            "Sandbox.seed_twcs returned: result.user(author_id), result.post(tweet_id))."
        )

    def missing(self, resource_type: str, parameter: str, value: str) -> ApiError:
        """HTTP 404 for ``value``, hinting at the sandbox id when it is an imported id."""
        return resource_missing(resource_type, parameter, value, self.id_hint(value))

    # ------------------------------------------------------------------ users

    def put_user(self, raw: JSONObject, *, dms_from_anyone: bool = True) -> User:
        """Add or replace a user from its X JSON."""
        model = User.from_x(raw, path="user")
        with self.lock:
            old = self._users.get(model.id)
            if old is not None:
                self._by_username.pop(old.model.username.lower(), None)
            taken = self._by_username.get(model.username.lower())
            if taken is not None and taken != model.id:
                msg = f"username {model.username!r} is already taken by user {taken}"
                raise ValueError(msg)
            stored = {k: v for k, v in raw.items() if k != "receives_your_dm"}
            self._users[model.id] = _UserRec(stored, model, dms_from_anyone)
            self._by_username[model.username.lower()] = model.id
            self.user_models[model.id] = model
            self.ids.observe(model.id)
        return model

    def user(self, user_id: str) -> _UserRec | None:
        """The user with this id."""
        return self._users.get(user_id)

    def user_by_username(self, username: str) -> _UserRec | None:
        """The user with this handle (case-insensitive, without ``@``)."""
        user_id = self._by_username.get(username.lstrip("@").lower())
        return None if user_id is None else self._users[user_id]

    def users(self) -> Iterator[User]:
        """Every user."""
        with self.lock:
            return iter([rec.model for rec in self._users.values()])

    def user_json(self, rec: _UserRec, viewer: Principal) -> JSONObject:
        """The user's JSON as ``viewer`` sees it (``receives_your_dm`` is relative)."""
        out = dict(rec.raw)
        if viewer.user_id is not None and viewer.user_id != rec.model.id:
            out["receives_your_dm"] = self._accepts_dm(rec, viewer.user_id)
        return out

    # ------------------------------------------------------------------ posts

    def put_post(self, raw: JSONObject) -> Post:
        """Add or replace a post from its X JSON (as recorded or built).

        The JSON is served back as given. A post recorded without ``entities``
        (default fields only) is still matched by mentions, hashtags and
        cashtags: they are extracted from its text for matching alone.
        """
        model = Post.from_x(raw, path="post")
        if "entities" not in raw:
            model = attrs.evolve(model, entities=_semantics.entities_of(model.full_text))
        with self.lock:
            self._posts[model.id] = _PostRec(raw, model, _snowflake_created(raw, model.id))
            self._order = None
            self.ids.observe(model.id)
            for listener in self.listeners:
                listener("post", raw)
        return model

    def post(self, post_id: str) -> _PostRec | None:
        """The post with this id, deleted or not."""
        return self._posts.get(post_id)

    def post_ids(self) -> list[str]:
        """Every post id, deleted or not."""
        with self.lock:
            return list(self._posts)

    def live_posts(self) -> list[_PostRec]:
        """Posts that are not deleted, newest first."""
        with self.lock:
            if self._order is None:
                self._order = sorted(self._posts, key=int, reverse=True)
            return [rec for pid in self._order if not (rec := self._posts[pid]).deleted]

    def build_post(
        self,
        *,
        author_id: str,
        text: str,
        created_at: dt.datetime | None = None,
        post_id: str | None = None,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        retweet_of: str | None = None,
        lang: str | None = None,
        entities: Entities | None = None,
    ) -> JSONObject:
        """The X JSON of a new post, with X's derived fields (conversation, entities)."""
        when = created_at if created_at is not None else self.clock.now()
        new_id = post_id if post_id is not None else self.ids.mint(when)
        refs: list[JSONObject] = []
        conversation_id = new_id
        raw: JSONObject = {"id": new_id, "text": text, "author_id": author_id}
        if in_reply_to is not None:
            parent = self._posts.get(in_reply_to)
            if parent is None:
                msg = f"in_reply_to {in_reply_to!r} is not a known post"
                raise ValueError(msg)
            conversation_id = parent.model.conversation_id or parent.model.id
            refs.append({"type": "replied_to", "id": in_reply_to})
            if parent.model.author_id is not None:
                raw["in_reply_to_user_id"] = parent.model.author_id
        for kind, target in (("quoted", quote_of), ("retweeted", retweet_of)):
            if target is not None:
                refs.append({"type": kind, "id": target})
        found = entities if entities is not None else _semantics.entities_of(text)
        found = self._resolve_mentions(found)
        raw.update(
            {
                "created_at": format_time(when),
                "conversation_id": conversation_id,
                "edit_history_tweet_ids": [new_id],
                "lang": lang or self.default_lang,
                "reply_settings": "everyone",
                "possibly_sensitive": False,
            }
        )
        if refs:
            raw["referenced_tweets"] = refs
        if found:
            raw["entities"] = found.to_x()
        return raw

    def _resolve_mentions(self, entities: Entities) -> Entities:
        """Fill in the user id of every @mention of a known user."""
        mentions = []
        for mention in entities.mentions:
            rec = self.user_by_username(mention.username)
            known = rec is not None and mention.id is None
            mentions.append(attrs.evolve(mention, id=rec.model.id) if known and rec else mention)
        return attrs.evolve(entities, mentions=tuple(mentions))

    def lookup_posts(self, ids: Iterable[str]) -> tuple[list[JSONObject], list[JSONObject]]:
        """Posts by id in the order asked, and a not-found problem per missing or deleted id."""
        found: list[JSONObject] = []
        errors: list[JSONObject] = []
        with self.lock:
            for post_id in ids:
                rec = self._posts.get(post_id)
                if rec is None or rec.deleted:
                    errors.append(not_found_problem("tweet", "ids", post_id, self.id_hint(post_id)))
                else:
                    found.append(rec.raw)
        return found, errors

    def lookup_users(
        self, ids: Iterable[str], viewer: Principal
    ) -> tuple[list[JSONObject], list[JSONObject]]:
        """Users by id, and a not-found problem per unknown id."""
        found: list[JSONObject] = []
        errors: list[JSONObject] = []
        with self.lock:
            for user_id in ids:
                rec = self._users.get(user_id)
                if rec is None:
                    errors.append(not_found_problem("user", "ids", user_id, self.id_hint(user_id)))
                else:
                    found.append(self.user_json(rec, viewer))
        return found, errors

    # ----------------------------------------------------------------- search

    def search(
        self,
        query: str,
        *,
        archive: Literal["recent", "all"],
        bounds: Bounds,
        max_results: int,
        token: str | None,
    ) -> Slice:
        """Posts matching ``query`` within ``bounds``, newest first, one page."""
        limit = ENTERPRISE_QUERY_LIMIT if self.enterprise else SELF_SERVE_QUERY_LIMITS[archive]
        if len(query) > limit:
            raise invalid_request(
                f"There were errors processing your request: Query is too long "
                f"({len(query)} characters; the maximum is {limit})",
                query=query,
            )
        try:
            matches = _semantics.compile_query(query)
        except QueryError as exc:
            raise invalid_request(
                f"There were errors processing your request: {exc}", query=query
            ) from None
        now = self.clock.now()
        if archive == "recent":
            bounds = bounds.clamp_recent(now)
        with self.lock:
            candidates = (rec for rec in self.live_posts() if bounds.admits(rec))
            hits = (rec.raw for rec in candidates if matches(self._view(rec)))
            try:
                return _page(hits, max_results=max_results, token=token)
            except QueryError as exc:
                raise invalid_request(
                    f"There were errors processing your request: {exc} "
                    "(the sandbox cannot evaluate this operator)",
                    query=query,
                ) from None

    def _view(self, rec: _PostRec) -> _semantics.PostView:
        if rec.view is None:
            rec.view = _semantics.view_of(rec.model, self.user_models)
        return rec.view

    def mentions(
        self, user_id: str, *, bounds: Bounds, max_results: int, token: str | None
    ) -> Slice:
        """The posts mentioning ``user_id``: at most the 800 most recent, newest first."""
        with self.lock:
            rec = self._users.get(user_id)
            if rec is None:
                raise self.missing("user", "id", user_id)
            username = rec.model.username.lower()
            newest = [p for p in self.live_posts() if _mentions(p.model, user_id, username)]
            newest = newest[:MENTIONS_CAP]
            if newest and bounds.since_id is not None:
                # X moves a since_id older than the 800th mention up to the oldest available.
                floor = int(newest[-1].model.id) - 1
                bounds = attrs.evolve(bounds, since_id=max(bounds.since_id, floor))
            hits = (p.raw for p in newest if bounds.admits(p))
            return _page(hits, max_results=max_results, token=token)

    def timeline(
        self, user_id: str, *, bounds: Bounds, max_results: int, token: str | None
    ) -> Slice:
        """Posts authored by ``user_id``, newest first."""
        with self.lock:
            mine = (
                p.raw
                for p in self.live_posts()
                if p.model.author_id == user_id and bounds.admits(p)
            )
            return _page(mine, max_results=max_results, token=token)

    # ------------------------------------------------------------------ writes

    def create_post(
        self,
        viewer: Principal,
        *,
        text: str,
        in_reply_to: str | None,
        deep_link: str | None,
        quote_of: str | None = None,
        reply_settings: str | None = None,
        exclude_reply_user_ids: Iterable[str] = (),
    ) -> JSONObject:
        """Publish a post for ``viewer`` under X's rules; return its JSON.

        The text is stored as X stores it (see :mod:`socialcare.sandbox._xtext`): a
        reply begins with the @mentions X adds (:meth:`reply_mentions`), ``&<>`` are
        escaped and links become t.co links. Length and cashtags are counted on the
        text as sent (X does not count the added mentions).
        """
        author = self._acting_user(viewer)
        if _semantics.weighted_length(text) > MAX_POST_LENGTH:
            raise forbidden(TOO_LONG)
        if not self.enterprise and len(_semantics.entities_of(text).cashtags) > 1:
            raise forbidden(TOO_MANY_CASHTAGS)
        now = self.clock.now()
        with self.lock:
            mentions: list[str] = []
            if in_reply_to is not None:
                parent = self._reply_target(in_reply_to, author.model)
                mentions = self.reply_mentions(
                    parent, author.model, text, frozenset(exclude_reply_user_ids)
                )
            if quote_of is not None:
                quoted = self._posts.get(quote_of)
                if quoted is None or quoted.deleted:
                    raise forbidden(QUOTE_TARGET_GONE)
            sent = _sent_key(mentions, text)
            if self._is_duplicate(author.model.id, sent, now):
                raise forbidden(DUPLICATE_CONTENT)
            raw = self.typed_post(
                author_id=author.model.id,
                text=text,
                mentions=mentions,
                created_at=now,
                in_reply_to=in_reply_to,
                quote_of=quote_of,
            )
            if reply_settings is not None:
                raw["reply_settings"] = reply_settings
            self.put_post(raw)
            self._posts[str(raw["id"])].sent = sent
            if deep_link is not None:
                self.deep_links[str(raw["id"])] = deep_link
            return raw

    def typed_post(
        self,
        *,
        author_id: str,
        text: str,
        mentions: Sequence[str] | None = None,
        created_at: dt.datetime | None = None,
        post_id: str | None = None,
        in_reply_to: str | None = None,
        quote_of: str | None = None,
        lang: str | None = None,
    ) -> JSONObject:
        """The X JSON of a new post whose ``text`` is what its author typed.

        The text is stored as X stores it (:mod:`socialcare.sandbox._xtext`), with
        ``display_text_range``. ``mentions``: the handles X adds to a reply (``None``:
        computed with :meth:`reply_mentions`, nobody excluded). No rule is checked.
        """
        when = created_at if created_at is not None else self.clock.now()
        with self.lock:
            if mentions is None:
                mentions = []
                parent = None if in_reply_to is None else self._posts.get(in_reply_to)
                author = self._users.get(author_id)
                if parent is not None and author is not None:
                    mentions = self.reply_mentions(parent.model, author.model, text, frozenset())
            new_id = post_id if post_id is not None else self.ids.mint(when)
            stored = _xtext.stored_text(text, mentions=mentions, post_id=new_id)
            entities = attrs.evolve(_semantics.entities_of(stored.text), urls=stored.urls)
            raw = self.build_post(
                author_id=author_id,
                text=stored.text,
                created_at=when,
                post_id=new_id,
                in_reply_to=in_reply_to,
                quote_of=quote_of,
                lang=lang,
                entities=entities,
            )
        raw["display_text_range"] = list(stored.display_text_range)
        return raw

    def _reply_target(self, post_id: str, author: User) -> Post:
        """The post ``author`` replies to, once X's reply rules allow it."""
        parent = self._posts.get(post_id)
        if parent is None or parent.deleted:
            raise forbidden(REPLY_TARGET_GONE)
        if not self.enterprise and not self._summoned(parent.model, author):
            raise forbidden(REPLY_NOT_PERMITTED)
        if not self._reply_settings_allow(parent.model, author):
            raise forbidden(REPLY_SETTINGS)
        return parent.model

    def reply_mentions(
        self, parent: Post, author: User, typed: str, excluded: frozenset[str]
    ) -> list[str]:
        """The handles X puts at the start of ``author``'s reply to ``parent``.

        The parent's author first, then every user the parent mentions (its own
        leading mentions included), in order, each once (case-insensitive), at
        most 50; never the replying account itself, nor a user the typed text
        already begins with. ``excluded`` (``reply.exclude_reply_user_ids``) drops
        mentioned users, but not the parent's author: X keeps that leading mention,
        which carries the reply.
        """
        typed_leading = {
            m.username.lower()
            for m in _semantics.entities_of(typed).mentions
            if _only_mentions(typed[: m.start])
        }
        out: list[str] = []
        seen = {author.username.lower(), *typed_leading}
        candidates: list[tuple[str, str | None, bool]] = []
        parent_author = self._users.get(parent.author_id or "")
        if parent_author is not None:
            candidates.append((parent_author.model.username, parent_author.model.id, True))
        for mention in parent.entities.mentions:
            rec = self.user_by_username(mention.username)
            user_id = rec.model.id if rec is not None else mention.id
            name = rec.model.username if rec is not None else mention.username
            candidates.append((name, user_id, False))
        for handle, user_id, is_parent_author in candidates:
            if handle.lower() in seen:
                continue
            if not is_parent_author and user_id is not None and user_id in excluded:
                continue
            seen.add(handle.lower())
            out.append(handle)
        return out[: _xtext.MAX_REPLY_MENTIONS]

    def summoned_reply(self, parent_id: str, reply: JSONObject) -> bool:
        """Whether ``reply`` answers another author who summoned its author (billing)."""
        parent = self._posts.get(parent_id)
        author = self._users.get(str(reply.get("author_id")))
        if parent is None or author is None or parent.model.author_id == author.model.id:
            return False
        return self._summoned(parent.model, author.model)

    def _summoned(self, parent: Post, account: User) -> bool:
        """X's 2026 rule: reply only if the author mentioned or quoted the account."""
        if parent.author_id == account.id:
            return True
        handle = account.username.lower()
        if any(m.username.lower() == handle for m in parent.entities.mentions):
            return True
        if self.implicit_reply_summons and parent.in_reply_to_user_id == account.id:
            return True
        quoted = parent.quoted_id
        if quoted is not None:
            rec = self._posts.get(quoted)
            return rec is not None and rec.model.author_id == account.id
        return False

    @staticmethod
    def _reply_settings_allow(parent: Post, account: User) -> bool:
        """The author's own ``reply_settings`` (every tier, Enterprise included).

        The sandbox has no follower graph or subscriptions, so ``following`` and
        ``subscribers`` admit only the author and the accounts the post mentions.
        """
        setting = parent.reply_settings or "everyone"
        if setting == "everyone" or parent.author_id == account.id:
            return True
        if setting == "verified":
            return bool(account.verified)
        handle = account.username.lower()
        return any(m.username.lower() == handle for m in parent.entities.mentions)

    def _is_duplicate(self, author_id: str, sent: str, now: dt.datetime) -> bool:
        """Whether ``author_id`` posted the same text (mentions added included) in 24 hours.

        Posts created through the API compare what was sent; seeded posts their text.
        """
        since = now - DUPLICATE_WINDOW
        return any(
            rec.model.author_id == author_id
            and (rec.sent if rec.sent is not None else rec.model.text) == sent
            and rec.created >= since
            for rec in self._posts.values()
            if not rec.deleted
        )

    def hide_reply(self, viewer: Principal, post_id: str, *, hidden: bool) -> None:
        """Hide or unhide a reply in a conversation ``viewer`` started."""
        me = self._acting_user(viewer)
        with self.lock:
            rec = self._posts.get(post_id)
            if rec is None or rec.deleted:
                raise self.missing("tweet", "tweet_id", post_id)
            root = self._posts.get(rec.model.conversation_id or "")
            owner = root.model.author_id if root is not None else None
            if not rec.model.is_reply or owner != me.model.id or rec.model.author_id == owner:
                raise forbidden(HIDE_NOT_ALLOWED)
            rec.hidden = hidden

    def delete_post(self, viewer: Principal, post_id: str) -> None:
        """Delete ``viewer``'s post."""
        author = self._acting_user(viewer)
        with self.lock:
            rec = self._posts.get(post_id)
            if rec is None or rec.deleted:
                raise self.missing("tweet", "id", post_id)
            if rec.model.author_id != author.model.id:
                raise forbidden("You are not allowed to delete this Tweet.")
            rec.deleted = True
            self._order = None

    # --------------------------------------------------------------------- DMs

    def _accepts_dm(self, recipient: _UserRec, sender_id: str) -> bool:
        if recipient.dms_from_anyone:
            return True
        pair = frozenset({recipient.model.id, sender_id})
        return any(
            dm.participants == pair and dm.raw.get("sender_id") == recipient.model.id
            for dm in self._dms
        )

    def put_dm(
        self, *, sender_id: str, recipient_id: str, text: str, created_at: dt.datetime | None = None
    ) -> DirectMessage:
        """Record a one-to-one DM event without any rule (seeding)."""
        when = created_at if created_at is not None else self.clock.now()
        low, high = sorted((sender_id, recipient_id), key=int)
        raw: JSONObject = {
            "id": self.ids.mint(when),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": f"{low}-{high}",
            "created_at": format_time(when),
        }
        with self.lock:
            self._dms.append(_DmRec(raw, frozenset({sender_id, recipient_id}), when))
            self._dms.sort(key=lambda d: int(str(d.raw["id"])), reverse=True)
            for listener in self.listeners:
                listener("dm", raw)
        return DirectMessage.from_x(raw, path="dm")

    def send_dm(self, viewer: Principal, participant_id: str, text: str) -> DirectMessage:
        """Send a one-to-one DM for ``viewer`` under X's rules."""
        sender = self._acting_user(viewer)
        if not text:
            raise invalid_request("The `text` field must not be empty", text=text)
        if len(text) > MAX_DM_LENGTH:
            raise invalid_request(
                f"The `text` field is {len(text)} characters long; the maximum is {MAX_DM_LENGTH}",
                text=text[:40],
            )
        with self.lock:
            recipient = self._users.get(participant_id)
            if recipient is None:
                raise self.missing("user", "participant_id", participant_id)
            if participant_id == sender.model.id:
                raise invalid_request(
                    "You cannot send a Direct Message to yourself", participant_id=participant_id
                )
            if not self._accepts_dm(recipient, sender.model.id):
                raise forbidden(DM_NOT_PERMITTED)
            return self.put_dm(sender_id=sender.model.id, recipient_id=participant_id, text=text)

    def dm_events(
        self,
        viewer: Principal,
        *,
        participant_id: str | None,
        event_types: frozenset[str],
        max_results: int,
        token: str | None,
    ) -> Slice:
        """``viewer``'s DM events of the last 30 days, newest first."""
        me = self._acting_user(viewer)
        since = self.clock.now() - DM_WINDOW
        with self.lock:
            wanted = None if participant_id is None else frozenset({me.model.id, participant_id})
            events = (
                dm.raw
                for dm in self._dms
                if me.model.id in dm.participants
                and (wanted is None or dm.participants == wanted)
                and dm.created >= since
                and dm.raw.get("event_type") in event_types
            )
            return _page(events, max_results=max_results, token=token)

    def dms(self) -> list[DirectMessage]:
        """Every DM event, newest first."""
        with self.lock:
            return [DirectMessage.from_x(dm.raw, path="dm") for dm in self._dms]

    def _acting_user(self, viewer: Principal) -> _UserRec:
        if viewer.user_id is None or viewer.user_id not in self._users:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return self._users[viewer.user_id]


_MENTIONS_ONLY = re.compile(r"^\s*(?:[@\uff20]\w{1,15}\s+)*$")


def _sent_key(mentions: Sequence[str], text: str) -> str:
    """What a duplicate check compares: the added mentions and the text as sent (NFC)."""
    return "".join(f"@{m.lower()} " for m in mentions) + unicodedata.normalize("NFC", text)


def _only_mentions(text: str) -> bool:
    """Whether ``text`` holds nothing but @mentions (a reply's leading ones)."""
    return _MENTIONS_ONLY.match(text) is not None


def _mentions(post: Post, user_id: str, username: str) -> bool:
    if post.author_id == user_id:
        return False
    if any(m.username.lower() == username for m in post.entities.mentions):
        return True
    return post.in_reply_to_user_id == user_id


@attrs.frozen
class Bounds:
    """since_id / until_id / start_time / end_time, as X applies them."""

    since_id: int | None = None
    until_id: int | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None

    def admits(self, rec: _PostRec) -> bool:
        """Whether the post falls inside every bound (ids exclusive, start inclusive)."""
        post_id = int(rec.model.id)
        if self.since_id is not None and post_id <= self.since_id:
            return False
        if self.until_id is not None and post_id >= self.until_id:
            return False
        if self.start_time is not None and rec.created < self.start_time:
            return False
        return not (self.end_time is not None and rec.created >= self.end_time)

    def clamp_recent(self, now: dt.datetime) -> Bounds:
        """Check the bounds against the 7-day recent window and apply it.

        Raises:
            ApiError: a start_time before the window, or an end_time too close to now.
        """
        floor = now - RECENT_WINDOW
        if self.start_time is not None and self.start_time < floor:
            raise invalid_request(
                f"Invalid 'start_time':'{format_time(self.start_time)}'. 'start_time' must be "
                f"on or after {format_time(floor)}",
                start_time=format_time(self.start_time),
            )
        if self.end_time is not None and self.end_time > now - END_TIME_MARGIN:
            raise invalid_request(
                f"Invalid 'end_time':'{format_time(self.end_time)}'. 'end_time' must be a "
                f"minimum of 10 seconds prior to the request time.",
                end_time=format_time(self.end_time),
            )
        start = floor if self.start_time is None else self.start_time
        return attrs.evolve(self, start_time=start)

    def check(self) -> None:
        """Reject crossed bounds.

        Raises:
            ApiError: start_time is not before end_time, or since_id is not below until_id.
        """
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise invalid_request(
                "Invalid 'start_time': 'start_time' must be before 'end_time'",
                start_time=format_time(self.start_time),
            )
        if (
            self.since_id is not None
            and self.until_id is not None
            and self.since_id >= self.until_id
        ):
            raise invalid_request(
                "Invalid 'since_id': 'since_id' must be smaller than 'until_id'",
                since_id=str(self.since_id),
            )


def _page(items: Iterable[JSONObject], *, max_results: int, token: str | None) -> Slice:
    """One page of a newest-first stream; the token resumes at an id (inclusive)."""
    resume = None if token is None else _untoken(token, "pagination_token")
    page: list[JSONObject] = []
    for raw in items:
        item_id = int(str(raw["id"]))
        if resume is not None and item_id > resume:
            continue
        if len(page) == max_results:
            return Slice(tuple(page), _token(item_id))
        page.append(raw)
    return Slice(tuple(page), None)
