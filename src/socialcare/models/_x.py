r"""The domain model: immutable values built from X API v2 JSON by named constructors.

Every model is an ``attrs`` frozen class. Build them with ``from_x`` (X API v2
JSON in) and turn them back into X JSON with ``to_x``; values that came from X
round-trip: ``Post.from_x(post.to_x()) == post``, and every key ``to_x`` emits
holds the value X sent. Fields X did not send are ``None`` (or empty), never
guessed.

A malformed payload raises :class:`~socialcare.errors.PayloadError` naming the
offending field (``data.referenced_tweets[0].id: required field is missing``);
messages show at most about 80 characters of an offending value.

Every string a ``from_x`` reads is valid Unicode: X never sends anything else, but
a recorded file may hold lone surrogates (``"\ud83d"`` in JSON). Each lone
surrogate in every string field becomes U+FFFD (as ``errors="replace"`` decodes),
so a model built from a payload always encodes as UTF-8 and no store or sink ever
sees a surrogate.

Times are aware ``datetime`` objects in UTC. Ids are decimal strings, as X sends
them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast

import attrs

from socialcare._json import Fields, format_time
from socialcare._text_repr import clip, valid_unicode
from socialcare.errors import PayloadError

if TYPE_CHECKING:
    from socialcare.models._records import Record

__all__ = [
    "DirectMessage",
    "Entities",
    "Includes",
    "MentionEntity",
    "Page",
    "Post",
    "Problem",
    "ReferenceType",
    "ReferencedPost",
    "ReplySettings",
    "TagEntity",
    "UrlEntity",
    "User",
    "Withheld",
]

ReferenceType = Literal["replied_to", "quoted", "retweeted"]
"""How a post refers to another: a reply, a quote or a repost (retweet)."""

ReplySettings = Literal["everyone", "mentionedUsers", "following", "subscribers", "verified"]
"""Who may reply to a post, as X names it."""

_REFERENCE_TYPES: frozenset[str] = frozenset({"replied_to", "quoted", "retweeted"})

JSONObject = dict[str, object]
"""A JSON object as ``to_x`` produces it."""

T = TypeVar("T")


def _drop_none(obj: Mapping[str, object]) -> JSONObject:
    return {key: value for key, value in obj.items() if value is not None}


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else format_time(value)


def _require_aware(
    _instance: object, attribute: attrs.Attribute[dt.datetime | None], value: dt.datetime | None
) -> None:
    if value is None or value.tzinfo is dt.timezone.utc:
        return
    if value.utcoffset() is None:
        msg = f"{attribute.name} must be timezone-aware (UTC), got a naive datetime"
        raise ValueError(msg)
    try:
        value.astimezone(dt.timezone.utc)
    except OverflowError:
        msg = f"{attribute.name} {value.isoformat()} is out of range in UTC"
        raise ValueError(msg) from None


def _fields(data: Mapping[str, object], path: str) -> Fields:
    return data if isinstance(data, Fields) else Fields(data, path)


@attrs.frozen
class MentionEntity:
    """An @mention inside a post's text; ``start``/``end`` are code-point offsets."""

    start: int
    end: int
    username: str
    id: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "mention") -> MentionEntity:
        """Build from an ``entities.mentions[]`` object."""
        f = _fields(data, path)
        return cls(
            start=_int(f, "start"),
            end=_int(f, "end"),
            username=f.string("username"),
            id=f.id("id", required=False),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for this entity."""
        return _drop_none(
            {"start": self.start, "end": self.end, "username": self.username, "id": self.id}
        )


@attrs.frozen
class TagEntity:
    """A #hashtag or $cashtag inside a post's text (``tag`` without the sigil)."""

    start: int
    end: int
    tag: str

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "tag") -> TagEntity:
        """Build from an ``entities.hashtags[]`` or ``entities.cashtags[]`` object."""
        f = _fields(data, path)
        return cls(start=_int(f, "start"), end=_int(f, "end"), tag=f.string("tag"))

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for this entity."""
        return {"start": self.start, "end": self.end, "tag": self.tag}


@attrs.frozen
class UrlEntity:
    """A link inside a post's text: the t.co ``url`` and what it points to."""

    start: int
    end: int
    url: str
    expanded_url: str | None = None
    display_url: str | None = None
    unwound_url: str | None = None
    media_key: str | None = None
    status: int | None = None
    title: str | None = None
    description: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "url") -> UrlEntity:
        """Build from an ``entities.urls[]`` object."""
        f = _fields(data, path)
        return cls(
            start=_int(f, "start"),
            end=_int(f, "end"),
            url=f.string("url"),
            expanded_url=f.string("expanded_url", required=False),
            display_url=f.string("display_url", required=False),
            unwound_url=f.string("unwound_url", required=False),
            media_key=f.string("media_key", required=False),
            status=f.integer("status"),
            title=f.string("title", required=False),
            description=f.string("description", required=False),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for this entity."""
        return _drop_none(attrs.asdict(self))


def _text_range(f: Fields, key: str) -> tuple[int, int] | None:
    """A ``[start, end]`` pair of code-point offsets (``display_text_range``), if present."""
    value = f.raw(key)
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2  # noqa: PLR2004 - a pair
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        and value[0] <= value[1]
    ):
        return (value[0], value[1])
    raise PayloadError(
        f"expected [start, end] with 0 <= start <= end, got {clip(value)}", field=f"{f.path}.{key}"
    )


def _int(f: Fields, key: str) -> int:
    value = f.integer(key, required=True)
    assert value is not None  # noqa: S101 - required=True guarantees it
    return value


@attrs.frozen
class Entities:
    """Mentions, links, hashtags and cashtags found in a post's text."""

    mentions: tuple[MentionEntity, ...] = ()
    urls: tuple[UrlEntity, ...] = ()
    hashtags: tuple[TagEntity, ...] = ()
    cashtags: tuple[TagEntity, ...] = ()

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "entities") -> Entities:
        """Build from an ``entities`` object (annotations are not modelled)."""
        f = _fields(data, path)
        return cls(
            mentions=tuple(MentionEntity.from_x(m) for m in f.objs("mentions")),
            urls=tuple(UrlEntity.from_x(u) for u in f.objs("urls")),
            hashtags=tuple(TagEntity.from_x(h) for h in f.objs("hashtags")),
            cashtags=tuple(TagEntity.from_x(c) for c in f.objs("cashtags")),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for these entities (empty lists are left out)."""
        out: JSONObject = {}
        for key in ("mentions", "urls", "hashtags", "cashtags"):
            items: tuple[MentionEntity | UrlEntity | TagEntity, ...] = getattr(self, key)
            if items:
                out[key] = [item.to_x() for item in items]
        return out

    def __bool__(self) -> bool:
        return bool(self.mentions or self.urls or self.hashtags or self.cashtags)


@attrs.frozen
class ReferencedPost:
    """A reference from one post (or DM) to a post.

    ``type`` says how a post refers to it; a direct message that shares a post
    refers to it by ``id`` alone (X sends no type there), and ``type`` is ``None``.
    """

    type: ReferenceType | None
    id: str

    @classmethod
    def from_x(
        cls, data: Mapping[str, object], *, path: str = "reference", typed: bool = True
    ) -> ReferencedPost:
        """Build from a ``referenced_tweets[]`` object.

        Args:
            data: the object.
            path: where it is, for error messages.
            typed: whether ``type`` is required (posts); DM events send only ``id``.
        """
        f = _fields(data, path)
        kind = f.string("type", required=typed)
        if kind is not None and kind not in _REFERENCE_TYPES:
            raise PayloadError(
                f"expected one of replied_to, quoted, retweeted, got {clip(kind)}",
                field=f"{f.path}.type",
            )
        return cls(type=cast("ReferenceType | None", kind), id=f.id("id"))

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for this reference."""
        if self.type is None:
            return {"id": self.id}
        return {"type": self.type, "id": self.id}


@attrs.frozen
class Withheld:
    """Content withheld in some countries (or for copyright)."""

    country_codes: tuple[str, ...] = ()
    copyright: bool | None = None
    scope: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "withheld") -> Withheld:
        """Build from a ``withheld`` object."""
        f = _fields(data, path)
        return cls(
            country_codes=f.strings("country_codes"),
            copyright=f.boolean("copyright"),
            scope=f.string("scope", required=False),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 JSON for this object."""
        return _drop_none(
            {
                "copyright": self.copyright,
                "country_codes": list(self.country_codes),
                "scope": self.scope,
            }
        )


@attrs.frozen
class Post:
    """A post (tweet).

    Attributes:
        id: the post id.
        text: the post's text; for a long post (note) X truncates it, see ``note_text``.
        author_id: the author's user id.
        created_at: when it was posted (UTC).
        conversation_id: id of the post that started the conversation.
        in_reply_to_user_id: the user this post replies to.
        referenced: replied-to, quoted and reposted posts.
        entities: mentions, links, hashtags and cashtags in ``text``.
        lang: BCP 47 language X detected.
        reply_settings: who may reply.
        note_text: the full text of a long post (``note_tweet.text``).
        note_entities: entities of ``note_text``.
        edit_history_ids: ids of every version of the post, oldest first.
        possibly_sensitive: X's sensitivity flag.
        withheld: withholding, if any.
        display_text_range: ``(start, end)`` code-point offsets of the part of
            ``text`` that is displayed: a reply's text begins with the @mentions X
            added (its parent's author and the users it mentioned), and the body
            starts after them. ``None`` when X did not send it (it is sent only when
            ``tweet.fields`` asks for ``display_text_range``).
    """

    id: str
    text: str
    author_id: str | None = None
    created_at: dt.datetime | None = attrs.field(default=None, validator=_require_aware)
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced: tuple[ReferencedPost, ...] = ()
    entities: Entities = Entities()
    lang: str | None = None
    reply_settings: str | None = None
    note_text: str | None = None
    note_entities: Entities | None = None
    edit_history_ids: tuple[str, ...] = ()
    possibly_sensitive: bool | None = None
    withheld: Withheld | None = None
    display_text_range: tuple[int, int] | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> Post:
        """Build a post from an X API v2 tweet object (``data`` or ``includes.tweets[]``).

        Raises:
            PayloadError: a field is missing or of the wrong type (or a time is
                out of range in UTC); the error names it. Lone surrogates in strings
                become U+FFFD instead (see the module docstring).
        """
        f = Fields(data, path)
        entities = f.obj("entities")
        note = f.obj("note_tweet")
        note_entities = note.obj("entities") if note is not None else None
        withheld = f.obj("withheld")
        return cls(
            id=f.id("id"),
            text=f.string("text"),
            author_id=f.id("author_id", required=False),
            created_at=f.time("created_at"),
            conversation_id=f.id("conversation_id", required=False),
            in_reply_to_user_id=f.id("in_reply_to_user_id", required=False),
            referenced=tuple(ReferencedPost.from_x(r) for r in f.objs("referenced_tweets")),
            entities=Entities.from_x(entities) if entities is not None else Entities(),
            lang=f.string("lang", required=False),
            reply_settings=f.string("reply_settings", required=False),
            note_text=note.string("text") if note is not None else None,
            note_entities=Entities.from_x(note_entities) if note_entities is not None else None,
            edit_history_ids=f.strings("edit_history_tweet_ids"),
            possibly_sensitive=f.boolean("possibly_sensitive"),
            withheld=Withheld.from_x(withheld) if withheld is not None else None,
            display_text_range=_text_range(f, "display_text_range"),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 tweet object for this post."""
        note: JSONObject | None = None
        if self.note_text is not None:
            note = {"text": self.note_text}
            if self.note_entities is not None:
                note["entities"] = self.note_entities.to_x()
        return _drop_none(
            {
                "id": self.id,
                "text": self.text,
                "author_id": self.author_id,
                "created_at": _time(self.created_at),
                "conversation_id": self.conversation_id,
                "in_reply_to_user_id": self.in_reply_to_user_id,
                "referenced_tweets": [r.to_x() for r in self.referenced] or None,
                "entities": self.entities.to_x() or None,
                "lang": self.lang,
                "reply_settings": self.reply_settings,
                "note_tweet": note,
                "edit_history_tweet_ids": list(self.edit_history_ids) or None,
                "possibly_sensitive": self.possibly_sensitive,
                "withheld": self.withheld.to_x() if self.withheld is not None else None,
                "display_text_range": (
                    list(self.display_text_range) if self.display_text_range is not None else None
                ),
            }
        )

    @property
    def display_text(self) -> str:
        """The displayed part of ``text`` (all of it when ``display_text_range`` is unknown)."""
        if self.display_text_range is None:
            return self.text
        start, end = self.display_text_range
        return self.text[start:end]

    def _reference(self, kind: ReferenceType) -> str | None:
        for ref in self.referenced:
            if ref.type == kind:
                return ref.id
        return None

    @property
    def full_text(self) -> str:
        """The complete text: ``note_text`` for a long post, else ``text``."""
        return self.note_text if self.note_text is not None else self.text

    @property
    def replied_to_id(self) -> str | None:
        """Id of the post this one replies to."""
        return self._reference("replied_to")

    @property
    def quoted_id(self) -> str | None:
        """Id of the post this one quotes."""
        return self._reference("quoted")

    @property
    def retweeted_id(self) -> str | None:
        """Id of the post this one reposts."""
        return self._reference("retweeted")

    @property
    def is_reply(self) -> bool:
        """Whether this post replies to another."""
        return self.replied_to_id is not None

    @property
    def is_quote(self) -> bool:
        """Whether this post quotes another."""
        return self.quoted_id is not None

    @property
    def is_retweet(self) -> bool:
        """Whether this post is a repost (retweet)."""
        return self.retweeted_id is not None


@attrs.frozen
class User:
    """An X account.

    Attributes:
        id: the user id.
        username: the handle, without ``@``.
        name: the display name.
        verified: X's verified flag.
        followers_count: followers (from ``public_metrics``).
        protected: whether the account's posts are protected.
        receives_your_dm: whether this user accepts DMs from the authenticated account.
        created_at: when the account was created (UTC).
        description: the profile bio.
    """

    id: str
    username: str
    name: str
    verified: bool | None = None
    followers_count: int | None = None
    protected: bool | None = None
    receives_your_dm: bool | None = None
    created_at: dt.datetime | None = attrs.field(default=None, validator=_require_aware)
    description: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> User:
        """Build a user from an X API v2 user object.

        Raises:
            PayloadError: a field is missing or of the wrong type (or a time is
                out of range in UTC); the error names it. Lone surrogates in strings
                become U+FFFD instead (see the module docstring).
        """
        f = Fields(data, path)
        metrics = f.obj("public_metrics")
        return cls(
            id=f.id("id"),
            username=f.string("username"),
            name=f.string("name"),
            verified=f.boolean("verified"),
            followers_count=metrics.integer("followers_count") if metrics is not None else None,
            protected=f.boolean("protected"),
            receives_your_dm=f.boolean("receives_your_dm"),
            created_at=f.time("created_at"),
            description=f.string("description", required=False),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 user object for this user."""
        metrics = (
            None if self.followers_count is None else {"followers_count": self.followers_count}
        )
        return _drop_none(
            {
                "id": self.id,
                "username": self.username,
                "name": self.name,
                "verified": self.verified,
                "public_metrics": metrics,
                "protected": self.protected,
                "receives_your_dm": self.receives_your_dm,
                "created_at": _time(self.created_at),
                "description": self.description,
            }
        )


@attrs.frozen
class DirectMessage:
    """A direct-message event.

    Attributes:
        id: the DM event id.
        text: the message text (empty for join/leave events).
        event_type: ``MessageCreate``, ``ParticipantsJoin`` or ``ParticipantsLeave``.
        dm_conversation_id: the conversation; one-to-one ids read ``"<low id>-<high id>"``.
        sender_id: who sent it.
        participant_ids: the participants (join/leave events, group conversations).
        created_at: when it was sent (UTC).
        referenced: posts shared in the message.
        entities: links (t.co, with their expanded URLs), mentions, hashtags and
            cashtags in ``text``, when X sent them (``dm_event.fields=entities``).
    """

    id: str
    text: str = ""
    event_type: str = "MessageCreate"
    dm_conversation_id: str | None = None
    sender_id: str | None = None
    participant_ids: tuple[str, ...] = ()
    created_at: dt.datetime | None = attrs.field(default=None, validator=_require_aware)
    referenced: tuple[ReferencedPost, ...] = ()
    entities: Entities = Entities()

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "data") -> DirectMessage:
        """Build from an X API v2 DM event object.

        Raises:
            PayloadError: a field is missing or of the wrong type (or a time is
                out of range in UTC); the error names it. Lone surrogates in strings
                become U+FFFD instead (see the module docstring).
        """
        f = Fields(data, path)
        event_type = f.string("event_type", required=False) or "MessageCreate"
        entities = f.obj("entities")
        return cls(
            id=f.id("id"),
            text=f.string("text", required=event_type == "MessageCreate") or "",
            event_type=event_type,
            dm_conversation_id=f.string("dm_conversation_id", required=False),
            sender_id=f.id("sender_id", required=False),
            participant_ids=f.strings("participant_ids"),
            created_at=f.time("created_at"),
            referenced=tuple(
                ReferencedPost.from_x(r, typed=False) for r in f.objs("referenced_tweets")
            ),
            entities=Entities.from_x(entities) if entities is not None else Entities(),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 DM event object for this message."""
        return _drop_none(
            {
                "id": self.id,
                "event_type": self.event_type,
                # Join/leave events carry no text; keep one if it was given anyway.
                "text": self.text if self.event_type == "MessageCreate" or self.text else None,
                "dm_conversation_id": self.dm_conversation_id,
                "sender_id": self.sender_id,
                "participant_ids": list(self.participant_ids) or None,
                "created_at": _time(self.created_at),
                "referenced_tweets": [r.to_x() for r in self.referenced] or None,
                "entities": self.entities.to_x() or None,
            }
        )


@attrs.frozen
class Problem:
    """A per-item error inside a successful response (X's ``errors[]``).

    Lookups report missing, deleted or protected items this way while the rest
    of the page succeeds.
    """

    title: str
    detail: str | None = None
    type: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    parameter: str | None = None
    value: str | None = None
    section: str | None = None

    @classmethod
    def from_x(cls, data: Mapping[str, object], *, path: str = "errors") -> Problem:
        """Build from one object of a response's ``errors`` array."""
        f = _fields(data, path)
        value = f.raw("value")
        try:  # X sends a string or a number; anything else is kept as its text
            text = None if value is None else valid_unicode(str(value))
        except RecursionError:
            msg = "a value nested too deeply to be shown"
            raise PayloadError(msg, field=f"{f.path}.value" if f.path else "value") from None
        return cls(
            title=f.string("title"),
            detail=f.string("detail", required=False),
            type=f.string("type", required=False),
            resource_type=f.string("resource_type", required=False),
            resource_id=f.string("resource_id", required=False),
            parameter=f.string("parameter", required=False),
            value=text,
            section=f.string("section", required=False),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 problem object."""
        return _drop_none(attrs.asdict(self))

    @property
    def is_not_found(self) -> bool:
        """Whether this reports a missing or deleted resource."""
        return self.type == "https://api.twitter.com/2/problems/resource-not-found"


@attrs.frozen
class Includes:
    """Expanded objects that came with a page: users and referenced posts."""

    users: tuple[User, ...] = ()
    posts: tuple[Post, ...] = ()

    @classmethod
    def from_x(cls, data: Mapping[str, object] | None, *, path: str = "includes") -> Includes:
        """Build from a response's ``includes`` object (``None`` gives empty includes)."""
        if data is None:
            return cls()
        f = _fields(data, path)
        return cls(
            users=tuple(User.from_x(u.raw_mapping(), path=u.path) for u in f.objs("users")),
            posts=tuple(Post.from_x(p.raw_mapping(), path=p.path) for p in f.objs("tweets")),
        )

    def to_x(self) -> JSONObject:
        """The X API v2 ``includes`` object (empty lists are left out)."""
        out: JSONObject = {}
        if self.users:
            out["users"] = [u.to_x() for u in self.users]
        if self.posts:
            out["tweets"] = [p.to_x() for p in self.posts]
        return out

    def user(self, user_id: str | None) -> User | None:
        """The included user with this id, if any."""
        return next((u for u in self.users if u.id == user_id), None)

    def post(self, post_id: str | None) -> Post | None:
        """The included post with this id, if any."""
        return next((p for p in self.posts if p.id == post_id), None)

    def __bool__(self) -> bool:
        return bool(self.users or self.posts)


@attrs.frozen
class Page(Generic[T]):
    """One page of a list endpoint: items, expansions, and how to get the next page.

    Attributes:
        items: the page's posts, users or DM events.
        includes: expanded users and referenced posts.
        next_token: pass as ``next_token`` for the next page; ``None`` on the last page.
        result_count: how many items X says the page holds.
        newest_id: the newest item id X reports for the page.
        oldest_id: the oldest item id X reports for the page.
        errors: per-item problems (missing or deleted ids in lookups).
    """

    items: tuple[T, ...] = ()
    includes: Includes = Includes()
    next_token: str | None = None
    result_count: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    errors: tuple[Problem, ...] = ()

    @classmethod
    def from_x(
        cls,
        payload: Mapping[str, object],
        parse: Callable[[Mapping[str, object], str], T],
    ) -> Page[T]:
        """Build a page from a whole X API v2 list response.

        Args:
            payload: the response body: ``data``, ``includes``, ``meta``, ``errors``.
            parse: builds one item, for example ``lambda d, path: Post.from_x(d, path=path)``;
                use :meth:`posts_from_x`, :meth:`users_from_x` or :meth:`dms_from_x`.

        Raises:
            PayloadError: a field is missing or of the wrong type (or a time is
                out of range in UTC); the error names it. Lone surrogates in strings
                become U+FFFD instead (see the module docstring).
        """
        f = Fields(payload, "")
        raw_data = f.raw("data")
        if raw_data is None:
            items: tuple[T, ...] = ()
        elif isinstance(raw_data, Mapping):
            items = (parse(cast("Mapping[str, object]", raw_data), "data"),)
        else:
            items = tuple(parse(item.raw_mapping(), item.path) for item in f.objs("data"))
        meta = f.obj("meta")
        count = meta.integer("result_count") if meta is not None else None
        return cls(
            items=items,
            includes=Includes.from_x(f.obj("includes")),
            next_token=meta.string("next_token", required=False) if meta is not None else None,
            result_count=len(items) if count is None else count,
            newest_id=meta.id("newest_id", required=False) if meta is not None else None,
            oldest_id=meta.id("oldest_id", required=False) if meta is not None else None,
            errors=tuple(Problem.from_x(e) for e in f.objs("errors")),
        )

    @staticmethod
    def posts_from_x(payload: Mapping[str, object]) -> Page[Post]:
        """A page of posts from a tweets list or lookup response."""
        return Page.from_x(payload, lambda d, path: Post.from_x(d, path=path))

    @staticmethod
    def users_from_x(payload: Mapping[str, object]) -> Page[User]:
        """A page of users from a users lookup response."""
        return Page.from_x(payload, lambda d, path: User.from_x(d, path=path))

    @staticmethod
    def dms_from_x(payload: Mapping[str, object]) -> Page[DirectMessage]:
        """A page of DM events from a ``dm_events`` response."""
        return Page.from_x(payload, lambda d, path: DirectMessage.from_x(d, path=path))

    def to_x(self, serialize: Callable[[T], JSONObject] | None = None) -> JSONObject:
        """The X API v2 list response for this page.

        Args:
            serialize: turns one item into X JSON (default: the item's own ``to_x``).
        """
        meta = _drop_none(
            {
                "result_count": self.result_count,
                "newest_id": self.newest_id,
                "oldest_id": self.oldest_id,
                "next_token": self.next_token,
            }
        )
        out: JSONObject = {}
        if self.items:
            out["data"] = [
                serialize(item) if serialize is not None else _item_to_x(item)
                for item in self.items
            ]
        if self.includes:
            out["includes"] = self.includes.to_x()
        if self.errors:
            out["errors"] = [e.to_x() for e in self.errors]
        out["meta"] = meta
        return out

    def to_records(self) -> list[Record]:
        """The page's items as flat records, authors (or DM senders) joined in from ``includes``.

        See :func:`socialcare.models.to_records` for the columns.
        """
        from socialcare.models._records import to_records  # noqa: PLC0415 - cycle

        return to_records(_record_items(self.items), users=self.includes.users)

    def to_dataframe(self) -> object:
        """:meth:`to_records` as a pandas ``DataFrame`` (needs ``socialcare[pandas]``).

        Raises:
            ConfigurationError: pandas is not installed.
        """
        from socialcare.models._records import dataframe  # noqa: PLC0415 - cycle

        return dataframe(self.to_records())

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _item_to_x(item: object) -> JSONObject:
    if isinstance(item, Post | User | DirectMessage):
        return item.to_x()
    msg = f"Page.to_x: cannot serialize a {type(item).__name__}; pass serialize="
    raise TypeError(msg)


def _record_items(items: tuple[object, ...]) -> list[Post | User | DirectMessage]:
    out: list[Post | User | DirectMessage] = []
    for item in items:
        if not isinstance(item, Post | User | DirectMessage):
            msg = f"Page.to_records: cannot make a record of a {type(item).__name__}"
            raise TypeError(msg)
        out.append(item)
    return out
