"""Argument checks and small rules every backend shares.

Every backend runs the same checks before touching its data, so every backend gives
the same answer, or the same ``ValueError`` naming the argument, for the same call.
Offending values in messages are clipped (:func:`clip`): a 2 MB key gives a short error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

import attrs

from socialcare._text_repr import clip
from socialcare.models import DirectMessage, Entities, Post, TokenRecord, User
from socialcare.models._care import Conversation, Escalation, Lease, OutboxRecord
from socialcare.storage._codec import dm_json, dump_json, load_json, post_json, user_json

__all__ = [
    "MAX_TTL",
    "SCHEMA_NAME",
    "TextError",
    "check_backlog",
    "check_conversation",
    "check_delay",
    "check_escalation",
    "check_json",
    "check_key",
    "check_keys",
    "check_limit",
    "check_optional",
    "check_post",
    "check_posts_text",
    "check_since_id",
    "check_text",
    "check_token_record",
    "check_ttl",
    "clip",
    "dm_document",
    "id_order",
    "lease_expiry",
    "lease_refused",
    "not_sendable",
    "redact_dsn",
    "schema_help",
    "scrub",
    "storable_posts",
    "stored_post_json",
    "unicode_problem",
    "user_document",
]

MAX_TTL = 10 * 365 * 86_400.0
"""The longest ``ttl`` (seconds: ten years) a lease or an outbox claim may be taken for."""
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
"""What a PostgreSQL schema name may be: lowercase letters, digits and ``_``, at most 63."""

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*):(?P<secret>[^/?#@]*)@")
_KV_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s&]*)")
_MASK = "***"


def _passwords(dsn: str) -> list[str]:
    found = [m["secret"] for m in _URL_PASSWORD.finditer(dsn)]
    found += [unquote(f) for f in found]  # the driver sees it percent-decoded
    found += [m["secret"].strip("'") for m in _KV_PASSWORD.finditer(dsn)]
    return sorted({f for f in found if f}, key=len, reverse=True)


def redact_dsn(dsn: str) -> str:
    """``dsn`` (a URL or ``key=value`` string) with its password replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{_MASK}@", dsn)
    return _KV_PASSWORD.sub(lambda m: f"{m['head']}{_MASK}", text)


def scrub(text: str, dsn: str) -> str:
    """``text`` (a driver's message, say) with every password of ``dsn`` in it masked."""
    for secret in _passwords(dsn):
        text = text.replace(secret, _MASK)
    return text


def unicode_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as UTF-8 (a lone surrogate), or ``None`` when it can."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds a lone surrogate {value[exc.start]!r} at index {exc.start}; "
            "stores keep valid Unicode text only"
        )
    return None


def check_text(name: str, value: str) -> str:
    """``value`` if it is a string a store can keep in a column, else a ``ValueError``.

    Such a string holds no lone surrogate and no NUL character (PostgreSQL cannot keep
    one in a text column, so no backend does).
    """
    given: object = value
    if not isinstance(given, str):
        msg = f"{name} must be a string, got {type(given).__name__} {clip(given)}"
        raise ValueError(msg)  # noqa: TRY004 - every bad store argument is a ValueError
    if not given.isascii():
        problem = unicode_problem(given)
        if problem is not None:
            msg = f"{name} {problem}: {clip(given)}"
            raise ValueError(msg)
    if "\x00" in given:
        msg = f"{name} must not contain a NUL character (\\x00): {clip(given)}"
        raise ValueError(msg)
    return value


def check_optional(name: str, value: str | None) -> str | None:
    """``value`` if it is ``None`` or passes :func:`check_text`."""
    return None if value is None else check_text(name, value)


def check_key(name: str, value: str) -> str:
    """``value`` if it is a non-empty string that passes :func:`check_text`."""
    given: object = value
    if not isinstance(given, str) or not given:
        msg = f"{name} must be a non-empty string, got {clip(value)}"
        raise ValueError(msg)
    return check_text(name, value)


def check_keys(name: str, values: Iterable[str]) -> list[str]:
    """``values`` as a list, each checked with :func:`check_text` (named ``name[i]``)."""
    found = list(values)
    for i, value in enumerate(found):
        given: object = value
        if not (isinstance(given, str) and given.isascii() and "\x00" not in given):
            check_text(f"{name}[{i}]", value)
    return found


def check_json(name: str, value: Mapping[str, object] | None) -> str:
    """The compact JSON text of the object ``value``, checked to be storable.

    NUL characters are fine (JSON escapes them); lone surrogates are not.
    """
    try:
        text = dump_json(dict(value or {}))
    except (TypeError, ValueError) as exc:
        msg = f"{name} is not JSON-compatible: {clip(str(exc), 200)}"
        raise ValueError(msg) from exc
    problem = unicode_problem(text)
    if problem is not None:
        msg = f"{name} is not storable: a string in it {problem}"
        raise ValueError(msg)
    return text


def _decimal_id(name: str, value: str | None) -> str | None:
    given: object = value
    if given is not None and not (
        isinstance(given, str) and given.isascii() and given.isdigit() and given[0] != "0"
    ):
        msg = f"{name} must be a decimal post id without leading zeros, got {clip(value)}"
        raise ValueError(msg)
    return value


def check_since_id(since_id: str | None) -> str | None:
    """``since_id`` if it is ``None`` or a decimal post id, as X sends them."""
    return _decimal_id("since_id", since_id)


def check_backlog(since_id: str | None, until_id: str | None) -> None:
    """Check a backlog window for :meth:`Store.set_backlog`."""
    check_since_id(since_id)
    _decimal_id("until_id", until_id)
    if until_id is None:
        if since_id is not None:
            msg = "a backlog needs until_id when since_id is given"
            raise ValueError(msg)
        return
    if since_id is not None and id_order(since_id) >= id_order(until_id):
        msg = f"backlog since_id {since_id} must be older than until_id {until_id}"
        raise ValueError(msg)


_MAX_LIMIT = 2**63 - 1


def check_limit(limit: int) -> int:
    """``limit`` if it is a positive integer."""
    given: object = limit
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        msg = f"limit must be a positive integer, got {clip(limit)}"
        raise ValueError(msg)
    return min(limit, _MAX_LIMIT)  # a limit beyond any count means "all"; SQL needs 64 bits


def check_ttl(ttl: float) -> float:
    """``ttl`` if it is a finite number of seconds in ``(0, MAX_TTL]``."""
    given: object = ttl
    if (
        isinstance(given, bool)
        or not isinstance(given, int | float)
        or not math.isfinite(given)
        or not 0 < given <= MAX_TTL
    ):
        msg = f"ttl must be a positive number of seconds up to {MAX_TTL:.0f}, got {clip(ttl)}"
        raise ValueError(msg)
    return float(ttl)


def check_delay(delay: float) -> float:
    """``delay`` if it is a finite number of seconds in ``[0, MAX_TTL]``."""
    given: object = delay
    if (
        isinstance(given, bool)
        or not isinstance(given, int | float)
        or not math.isfinite(given)
        or not 0 <= given <= MAX_TTL
    ):
        msg = f"delay must be a number of seconds from 0 to {MAX_TTL:.0f}, got {clip(delay)}"
        raise ValueError(msg)
    return float(delay)


def check_conversation(conversation: Conversation) -> Conversation:
    """``conversation`` if every string in it is storable (see :func:`check_text`)."""
    c = conversation
    check_key("conversation.id", c.id)
    check_optional("conversation.customer_id", c.customer_id)
    check_optional("conversation.assignee", c.assignee)
    check_keys("conversation.tags", sorted(c.tags))
    return c


def check_escalation(escalation: Escalation) -> Escalation:
    """``escalation`` if every string in it is storable (see :func:`check_text`)."""
    e = escalation
    check_key("escalation.id", e.id)
    check_text("escalation.conversation_id", e.conversation_id)
    check_text("escalation.user_id", e.user_id)
    check_text("escalation.reason", e.reason)
    check_optional("escalation.post_id", e.post_id)
    check_optional("escalation.outbox_key", e.outbox_key)
    return e


def _digits(name: str, value: str | None, owner: str) -> None:
    if value is not None and not (value.isascii() and value.isdigit()):
        msg = f"{owner}.{name} must be a decimal id as X sends it, got {clip(value)}"
        raise ValueError(msg)


def _entity_ids(entities: Entities | None, name: str, owner: str) -> None:
    if entities is not None:
        for i, mention in enumerate(entities.mentions):
            _digits(f"{name}.mentions[{i}].id", mention.id, owner)


def _text_range_ok(span: tuple[int, int]) -> bool:
    """Whether ``Post.from_x`` reads ``span`` back: two ints (not bools), 0 <= start <= end."""
    pair: tuple[object, ...] = span
    return (
        len(pair) == 2  # noqa: PLR2004 - a pair
        and all(type(v) is int for v in pair)
        and 0 <= span[0] <= span[1]
    )


def check_post(post: Post) -> Post:
    """``post`` if its ids are decimal strings (as X sends them), so it reads back equal."""
    span = post.display_text_range
    if span is not None and not _text_range_ok(span):
        msg = (
            f"post {clip(post.id)}.display_text_range must be (start, end) with"
            f" 0 <= start <= end, got {clip(span)}"
        )
        raise ValueError(msg)
    author, conversation = post.author_id, post.conversation_id
    if (
        post.in_reply_to_user_id is None
        and author != ""
        and conversation != ""
        and not post.referenced
        and post.note_entities is None
    ):
        joined = post.id + (author or "0") + (conversation or "0")
        for mention in post.entities.mentions:
            if mention.id is not None:
                joined += mention.id or "x"  # an empty id is not an id
        if joined.isascii() and joined.isdigit() and post.id:
            return post  # the common case, checked at once
    where = f"post {clip(post.id)}"
    _digits("id", post.id, where)
    _digits("author_id", post.author_id, where)
    _digits("conversation_id", post.conversation_id, where)
    _digits("in_reply_to_user_id", post.in_reply_to_user_id, where)
    for i, ref in enumerate(post.referenced):
        _digits(f"referenced[{i}].id", ref.id, where)
        if ref.type is None:  # only a DM refers to a post without saying how
            msg = f"{where}: referenced[{i}] needs a type (replied_to, quoted or retweeted)"
            raise ValueError(msg)
    _entity_ids(post.entities, "entities", where)
    _entity_ids(post.note_entities, "note_entities", where)
    return post


def _x_precision(post: Post) -> Post:
    """``post`` with ``created_at`` cut to the millisecond, the precision of X's JSON."""
    created = post.created_at
    if created is None or not created.microsecond % 1000:
        return post
    cut = created.replace(microsecond=created.microsecond - created.microsecond % 1000)
    return attrs.evolve(post, created_at=cut)


def storable_posts(posts: Iterable[Post]) -> list[Post]:
    """The posts of one ``upsert_posts`` call as every backend stores them.

    One post per id (a later one wins, in the place of the first), each checked with
    :func:`check_post` and cut to X's millisecond precision: what SQL stores read back.
    """
    return list({p.id: _x_precision(check_post(p)) for p in posts}.values())


class TextError(ValueError):
    """A post's text cannot be stored (raised while encoding; see :func:`check_posts_text`)."""


def _first_bad_string(value: object, path: str) -> tuple[str, str] | None:
    """The path of the first string in a JSON value that cannot be stored, and why."""
    if isinstance(value, str):
        problem = unicode_problem(value)
        return None if problem is None else (path, problem)
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, object]] = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, item in items:
        found = _first_bad_string(item, where)
        if found is not None:
            return found
    return None


def _text_error(what: str, document: Mapping[str, object]) -> TextError:
    found = _first_bad_string(document, what)
    where, problem = found if found is not None else (what, "cannot be stored as UTF-8")
    return TextError(f"{where} {problem}")


def stored_post_json(post: Post) -> str:
    """:func:`post_json` of a checked post, refusing lone surrogates (:class:`TextError`)."""
    data = post_json(post)
    if not data.isascii() and unicode_problem(data) is not None:
        raise _text_error(f"post {clip(post.id)}", post.to_x())
    return data


def check_posts_text(posts: Iterable[Post]) -> None:
    """Raise the :class:`TextError` of the first post whose JSON holds a lone surrogate."""
    for post in posts:
        stored_post_json(post)


def user_document(user: User) -> tuple[User, str]:
    """``user`` as every store reads it back, and its X JSON.

    Raises:
        ValueError: the user holds a lone surrogate or does not read back from its X
            JSON (an id that is not a decimal string, say).
    """
    data = user_json(user)
    check_text("user.username", user.username)  # kept in a column too
    if unicode_problem(data) is not None:
        raise _text_error(f"user {clip(user.id)}", user.to_x())
    try:
        back = User.from_x(load_json(data))  # type: ignore[arg-type]
    except ValueError as exc:  # PayloadError names the field
        msg = f"user {clip(user.id)} cannot be stored as X JSON: {clip(str(exc), 200)}"
        raise ValueError(msg) from None
    return back, data


def dm_document(message: DirectMessage) -> tuple[DirectMessage, str]:
    """``message`` as every store reads it back, and its X JSON (see :func:`user_document`)."""
    data = dm_json(message)
    check_optional("message.dm_conversation_id", message.dm_conversation_id)  # a column too
    if unicode_problem(data) is not None:
        raise _text_error(f"DM event {clip(message.id)}", message.to_x())
    try:
        back = DirectMessage.from_x(load_json(data))  # type: ignore[arg-type]
    except ValueError as exc:
        msg = f"DM event {clip(message.id)} cannot be stored as X JSON: {clip(str(exc), 200)}"
        raise ValueError(msg) from None
    return back, data


def lease_expiry(now: dt.datetime, ttl: float) -> dt.datetime:
    """When a lease taken ``now`` for ``ttl`` seconds lapses (microsecond precision)."""
    return now + dt.timedelta(microseconds=round(check_ttl(ttl) * 1_000_000))


def id_order(post_id: str) -> tuple[int, str]:
    """Sort key that orders decimal ids numerically (shorter is smaller, then text)."""
    return (len(post_id), post_id)


def schema_help(where: str, found: int | None, expected: int) -> str:
    """The message of a :class:`~socialcare.errors.SchemaVersionError`, saying what to do."""
    if found is None:
        return (
            f"{where} has no socialcare schema; create it explicitly by opening the store "
            "with create_schema=True (it runs store.create_schema(), which is idempotent)"
        )
    if found < expected:
        return (
            f"{where} has socialcare schema version {found}, this code needs {expected}; "
            "migrate it explicitly by opening the store with create_schema=True "
            "(store.create_schema() applies the forward migrations); back it up first"
        )
    return (
        f"{where} has socialcare schema version {found}, newer than this code's {expected}; "
        "upgrade socialcare (pip install -U socialcare) in every process that uses it"
    )


def not_sendable(record: OutboxRecord) -> str:
    """Why ``record`` cannot be marked sent (or failed) now."""
    if record.status == "sent":
        return (
            f"outbox action {clip(record.key)} was already sent as {clip(record.remote_id)}; "
            "it cannot be marked again"
        )
    return (
        f"outbox action {clip(record.key)} has failed ({clip(record.error)}); "
        "reserve a new key to retry"
    )


def lease_refused(key: str, owner: str, held: Lease | None, now: dt.datetime) -> str:
    """Why ``owner`` cannot renew the lease on ``key`` (``held`` is its current state)."""
    if held is None or held.owner != owner:
        holder = "nobody" if held is None or held.expires_at <= now else clip(held.owner)
        return f"lease {clip(key)} is not held by {clip(owner)} (held by {holder}); claim it first"
    return (
        f"lease {clip(key)} of {clip(owner)} expired at {held.expires_at.isoformat()}; "
        "claim it again"
    )


def seen_ids(item_ids: Iterable[str]) -> list[str]:
    """``item_ids`` without repeats (first occurrence kept), each a non-empty storable string."""
    ids = list(dict.fromkeys(item_ids))
    for i, item_id in enumerate(ids):
        check_key(f"item_ids[{i}]", item_id)
    return ids


def check_aware(name: str, value: dt.datetime) -> dt.datetime:
    """``value`` if it is a timezone-aware datetime, else a ``ValueError``."""
    given: object = value
    if not isinstance(given, dt.datetime) or given.utcoffset() is None:
        msg = f"{name} must be a timezone-aware datetime, got {clip(value)}"
        raise ValueError(msg)
    return value


def _check_secret(name: str, value: str | None) -> None:
    """Like :func:`check_text`, but the message never shows the value (a token)."""
    given: object = value
    if given is None:
        return
    if not isinstance(given, str):
        msg = f"{name} must be a string"
        raise ValueError(msg)  # noqa: TRY004 - every bad store argument is a ValueError
    if "\x00" in given or unicode_problem(given) is not None:
        msg = f"{name} must be valid Unicode text without NUL characters (value not shown)"
        raise ValueError(msg)


def check_token_record(record: TokenRecord) -> TokenRecord:
    """``record`` if every field can be stored; a ``ValueError`` naming the field otherwise."""
    check_key("key", record.key)
    _check_secret("access_token", record.access_token)
    _check_secret("refresh_token", record.refresh_token)
    check_optional("account_id", record.account_id)
    check_optional("problem", record.problem)
    for i, scope in enumerate(record.scopes):
        check_key(f"scopes[{i}]", scope)
    return record
