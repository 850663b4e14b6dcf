"""Drafts: replies and DMs as X will store them, measured, priced and checked."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

import attrs

from socialcare.compose._fit import (
    Measure,
    config_with_room,
    dm_measure,
    split_parts,
    truncate_text,
    tweet_measure,
)
from socialcare.compose._pricing import DEFAULT_PRICES, Budget, PriceTable
from socialcare.compose._rules import ReplyPermission, can_reply
from socialcare.compose._template import Template
from socialcare.errors import ReplyTooLongError
from socialcare.models import Includes, Post, User
from socialcare.privacy import DEFAULT_GUARD, PrivateDataGuard
from socialcare.text import (
    V3,
    TextConfig,
    TweetParse,
    extract_cashtags_with_indices,
    extract_entities,
    extract_urls_with_indices,
)
from socialcare.text._parse import parse_or_weigh, parse_with_urls
from socialcare.text._urls import RawUrl

__all__ = [
    "MAX_DM_LENGTH",
    "MAX_POST_LENGTH",
    "Draft",
    "DraftKind",
    "DraftPart",
    "LengthPolicy",
    "LinkUse",
    "compose_dm",
    "compose_reply",
    "split_thread",
    "truncate",
]

MAX_POST_LENGTH = 280
"""X's limit for a post, in weighted characters."""
MAX_DM_LENGTH = 10_000
"""X's limit for a direct message, in characters."""

LengthPolicy = Literal["strict", "truncate", "thread"]
"""What to do with text over the limit: raise, cut with an ellipsis, or split into a thread."""
_REPLY_POLICIES = ("strict", "truncate", "thread")
DraftKind = Literal["reply", "dm"]
"""A public reply (one post or a thread of them) or a direct message."""
_PriceItem = Literal["post", "post_with_url", "summoned_reply", "dm"]

# Mentions, hashtags and cashtags start with one of these.
_SIGILS = re.compile("[@\uff20#\uff03$]")
_LEADING_MENTION = re.compile(r"\s*[@\uff20]([A-Za-z0-9_]{1,20})(?![A-Za-z0-9_@\uff20])")
# The run of leading mentions _LEADING_MENTION matches one by one, and its handles.
# The first two leading mentions' handles, and a third leading mention if there is one.
_FIRST_MENTIONS = re.compile(
    r"\s*[@\uff20]([A-Za-z0-9_]{1,20})(?![A-Za-z0-9_@\uff20])"
    r"(?:\s*[@\uff20]([A-Za-z0-9_]{1,20})(?![A-Za-z0-9_@\uff20])"
    r"(\s*[@\uff20][A-Za-z0-9_]{1,20}(?![A-Za-z0-9_@\uff20]))?)?"
)
_LEADING_MENTIONS = re.compile(r"(?:\s*[@\uff20][A-Za-z0-9_]{1,20}(?![A-Za-z0-9_@\uff20]))+")
_HANDLE = re.compile(r"[A-Za-z0-9_]+")
_CONTEXT_CACHE_SIZE = 256
_SUFFIX_CACHE_SIZE = 64
# Signature -> suffix, for signatures checked already (no signature: no suffix).
_SUFFIXES: dict[str | None, str] = {None: ""}
_new_object = object.__new__
_set = object.__setattr__  # frozen attrs classes: how attrs' own __init__ sets fields
_CLIP = 40
_NO_NOTES: list[str] = []  # never appended to: a draft's notes start as this
_ONE_ITEM = {item: (item,) for item in ("post", "post_with_url", "summoned_reply", "dm")}
_MAX_SIGNATURE = 16


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "\u2026"


@attrs.frozen(slots=False)  # built with _link_use on the hot path
class LinkUse:
    """A URL in a draft: where it is and what it counts.

    Attributes:
        url: the URL as written.
        start: its code-point offset in the part's text.
        end: the offset just after it.
        weighted_length: what X counts for it (23, whatever its length: X wraps it in t.co).
    """

    url: str
    start: int
    end: int
    weighted_length: int


@attrs.frozen(slots=False)  # built directly: in compose_reply, and by _new_part
class DraftPart:
    """One post (or the DM) of a draft.

    Attributes:
        text: the text to send, NFC-normalized, as X will store it (after the
            auto-populated reply mentions, which X adds and does not count).
        length: the length X counts (weighted for posts, characters for DMs).
        limit: the limit it must fit.
        links: its URLs.
        in_reply_to: the post it answers; ``None`` for a later thread part, which answers
            the part before it (its id is known only once that part is posted).
        index: its position in the thread, from 0.
    """

    text: str
    length: int
    limit: int
    links: tuple[LinkUse, ...] = ()
    in_reply_to: str | None = None
    index: int = 0

    @property
    def remaining(self) -> int:
        """How much room is left (negative: over the limit)."""
        return self.limit - self.length

    @property
    def replies_to_previous(self) -> bool:
        """Whether this part answers the previous part of the thread."""
        return self.index > 0


@attrs.frozen(slots=False)  # built directly in compose_reply (its field dict at once)
class Draft:
    """A reply or DM ready to send, or the reasons it cannot be sent.

    Attributes:
        kind: ``"reply"`` (one post, or a thread of parts) or ``"dm"``.
        parts: the posts to send in order (one for a DM or a reply that fits).
        in_reply_to: the id of the post the reply answers (``None`` for a DM).
        conversation_id: the conversation it belongs to, if known.
        reply_mentions: handles X auto-populates at the start of the reply; they are not
            in ``text`` and do not count toward the limit.
        price: the estimated price in US dollars, every part and the follow-up DM included.
        price_items: what was priced, one item per resource (``"summoned_reply"``,
            ``"post_with_url"``, ``"post"``, ``"dm"``).
        reasons: why the draft is not sendable (empty: sendable).
        warnings: what to know before sending (budget warnings, uncertain permission).
        notes: how the draft was measured (every URL counts 23, truncation, links moved).
        follow_up_dm: the DM that carries the links moved out of a public reply.
        truncated: whether the text was cut to fit.
        permission: the summoned-reply decision, when the brand was given.
    """

    kind: DraftKind
    parts: tuple[DraftPart, ...]
    in_reply_to: str | None = None
    conversation_id: str | None = None
    reply_mentions: tuple[str, ...] = ()
    price: Decimal = Decimal(0)
    price_items: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    follow_up_dm: Draft | None = None
    truncated: bool = False
    permission: ReplyPermission | None = None

    @property
    def text(self) -> str:
        """The first part's text (the whole text unless the draft is a thread)."""
        return self.parts[0].text

    @property
    def stored_text(self) -> str:
        """The first part as X displays it: auto-populated mentions, then ``text``."""
        prefix = "".join(f"@{h} " for h in self.reply_mentions)
        return prefix + self.text

    @property
    def length(self) -> int:
        """The first part's counted length."""
        return self.parts[0].length

    @property
    def remaining(self) -> int:
        """Room left in the first part."""
        return self.parts[0].remaining

    @property
    def links(self) -> tuple[LinkUse, ...]:
        """Every URL of every part (offsets are per part)."""
        return tuple(link for part in self.parts for link in part.links)

    @property
    def is_thread(self) -> bool:
        """Whether the reply was split into several posts."""
        return len(self.parts) > 1

    @property
    def sendable(self) -> bool:
        """Whether nothing stands in the way of sending."""
        return not self.reasons


def _new_part(
    text: str,
    length: int,
    limit: int,
    *,
    links: tuple[LinkUse, ...],
    in_reply_to: str | None,
    index: int,
) -> DraftPart:
    """``DraftPart(...)`` built directly (the class has no validators; tests compare the two)."""
    part = _new_object(DraftPart)
    _set(  # as compose_reply builds a fitting draft's part
        part,
        "__dict__",
        {
            "text": text,
            "length": length,
            "limit": limit,
            "links": links,
            "in_reply_to": in_reply_to,
            "index": index,
        },
    )
    return part


def _text_of(body: object, variables: Mapping[str, object] | None) -> str:
    if isinstance(body, Template):
        text = body.render(variables or {})
    elif isinstance(body, str):
        text = Template(body).render(variables) if variables is not None else body
    else:
        msg = f"body must be a str or a Template, got {type(body).__name__}"
        raise TypeError(msg)
    return unicodedata.normalize("NFC", text).strip()


def _signature_suffix(signature: object) -> str:
    if signature is None:
        return ""
    if type(signature) is str:
        suffix = _SUFFIXES.get(signature)
        if suffix is None:
            suffix = _checked_suffix(signature)
            if len(_SUFFIXES) >= _SUFFIX_CACHE_SIZE:
                _SUFFIXES.clear()
                _SUFFIXES[None] = ""
            _SUFFIXES[signature] = suffix
        return suffix
    if not isinstance(signature, str):
        msg = f"signature must be a str such as '^JD', got {type(signature).__name__}"
        raise TypeError(msg)
    return _checked_suffix.__wrapped__(signature)  # a str subclass: not cached


@functools.lru_cache(maxsize=64)
def _checked_suffix(signature: str) -> str:
    sig = unicodedata.normalize("NFC", signature).strip()  # drafts are NFC, signature too
    if not sig or len(sig) > _MAX_SIGNATURE or any(ch.isspace() for ch in sig.lstrip("^")):
        msg = f"signature must be a short mark without spaces such as '^JD', got {_clip(sig)!r}"
        raise ValueError(msg)
    return " " + (sig if sig.startswith("^") else "^" + sig)


def _links(text: str, config: TextConfig, found: list[RawUrl] | None = None) -> tuple[LinkUse, ...]:
    """The URLs X finds in ``text``; ``found``: its URLs as ``parse_with_urls`` gave them."""
    urls = extract_urls_with_indices(text) if found is None else found
    if not urls:
        return ()
    weight = config.transformed_url_length
    for u in urls:
        start = u.start  # after whitespace (the usual case) no other entity can hide it
        if start and not text[start - 1].isspace() and _hidable(text, start):
            urls = extract_entities(text).urls  # type: ignore[assignment]
            break
    return tuple([_link_use(u.url, u.start, u.end, weight) for u in urls])


def _link_use(url: str, start: int, end: int, weighted_length: int) -> LinkUse:
    """``LinkUse(url, start, end, weighted_length)``, built directly (no validators)."""
    link = _new_object(LinkUse)
    _set(
        link,
        "__dict__",
        {"url": url, "start": start, "end": end, "weighted_length": weighted_length},
    )
    return link


def _hidable(text: str, start: int) -> bool:
    """Whether a mention, hashtag or cashtag could start before ``start`` and overlap it.

    Those entities hold no whitespace, so only a sigil in the word before ``start`` can.
    """
    word = start
    while word > 0 and not text[word - 1].isspace():
        word -= 1
    return _SIGILS.search(text, word, start + 1) is not None


def _cashtag_count(text: str) -> int:
    if "$" not in text:  # every cashtag starts with an ASCII dollar sign
        return 0
    found = len(extract_cashtags_with_indices(text))
    # two or more: count what X reports (an overlapping entity may hide one)
    return found if found < 2 else len(extract_entities(text).cashtags)  # noqa: PLR2004


def _link_notes(links: Iterable[LinkUse]) -> list[str]:
    return [
        f"URL {_clip(u.url)!r} counts {u.weighted_length} characters whatever its length "
        "(X wraps every URL in t.co)"
        for u in links
    ]


def _strip_reply_mentions(
    text: str, auto: Sequence[str], auto_lower: frozenset[str] | None = None
) -> tuple[str, tuple[str, ...]]:
    """``text`` without leading mentions X auto-populates or that repeat; the dropped ones.

    ``auto_lower``: the lowercased ``auto`` handles, when already known.
    """
    if auto_lower is None:
        auto_lower = frozenset(h.lower() for h in auto)
    run = _LEADING_MENTIONS.match(text)
    if run is None:
        return text, ()
    lowered = [h.lower() for h in _HANDLE.findall(run.group(0))]
    if len(set(lowered)) == len(lowered) and auto_lower.isdisjoint(lowered):
        return text, ()  # no leading mention repeats: nothing to drop
    seen = {h.lower() for h in auto}
    kept: list[str] = []
    dropped: list[str] = []
    pos = 0
    while m := _LEADING_MENTION.match(text, pos):
        handle = m.group(1)
        if handle.lower() in seen:
            dropped.append(handle)
        else:
            seen.add(handle.lower())
            kept.append(m.group(0).strip())
        pos = m.end()
    if not dropped:
        return text, ()
    rest = text[pos:].lstrip()
    return (" ".join([*kept, rest]) if kept else rest).strip(), tuple(dropped)


def _may_drop(leading: re.Match[str], auto: frozenset[str]) -> bool:
    """Whether two or more leading mentions (``_FIRST_MENTIONS``' match) may have to go.

    They go when X adds them itself (``auto``, lowercased) or they repeat.
    """
    first, second, third = leading.groups()
    if third is not None:
        return True
    first = first.lower()
    second = second.lower()
    return first == second or first in auto or second in auto


def _move_links(text: str) -> tuple[str, tuple[str, ...]]:
    urls = extract_entities(text).urls
    if not urls:
        return text, ()
    out: list[str] = []
    last = 0
    for u in urls:
        out.append(text[last : u.start])
        last = u.end
    out.append(text[last:])
    public = re.sub(r"[ \t]{2,}", " ", "".join(out))
    public = re.sub(r"[ \t]+([.,;:!?])", r"\1", public).strip().rstrip(":").strip()
    return public, tuple(u.url for u in urls)


def _measure_for(kind: DraftKind, config: TextConfig) -> Measure:
    return dm_measure if kind == "dm" else tweet_measure(config)


def _fit(
    text: str,
    suffix: str,
    *,
    policy: LengthPolicy,
    limit: int,
    measure: Measure,
    what: str,
    length: int | None = None,
) -> tuple[list[str], bool]:
    """The texts to send (``length``: that of ``text + suffix``, when known) and if it was cut."""
    whole = text + suffix
    if length is None or policy == "strict":
        length, fits = measure(whole, limit)
    if length <= limit:
        return [whole], False
    if policy == "strict":
        msg = (
            f"{what} is {length} characters long, {length - limit} over the limit of {limit}; "
            f"it stops fitting at character {fits}: {_clip(whole[fits:])!r}"
        )
        raise ReplyTooLongError(msg, weighted_length=length, limit=limit, fits_until=fits)
    if policy == "truncate":
        fitted = truncate_text(text, limit=limit, measure=measure, suffix=suffix, length=length)
        return [fitted], True
    return split_parts(text, limit=limit, measure=measure, suffix=suffix, length=length), False


def _check_policy(policy: str, allowed: tuple[str, ...]) -> None:
    if policy not in allowed:
        listed = ", ".join(repr(p) for p in allowed)
        msg = f"policy must be one of {listed}, got {_clip(str(policy))!r}"
        raise ValueError(msg)


def _check_limit(limit: object, most: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= most:
        msg = f"limit must be an integer from 1 to {most}, got {_clip(str(limit))!r}"
        raise ValueError(msg)
    return limit


def _budget_verdict(
    budget: Budget | None, price: Decimal, conversation_id: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(reasons, warnings) from the budget."""
    if budget is None:
        return (), ()
    over = tuple(
        f"over budget: the draft {o}" for o in budget.check(price, conversation_id=conversation_id)
    )
    return (over, ()) if budget.policy.action == "refuse" else ((), over)


def _auto_mentions(replied: Post, author: User | str | None, brand: User | None) -> tuple[str, ...]:
    handles: list[str] = []
    if isinstance(author, User):
        handles.append(author.username)
    elif isinstance(author, str):
        handles.append(author.lstrip("@"))
    chain = _LEADING_MENTION
    pos = 0
    text = replied.full_text
    while m := chain.match(text, pos):
        handles.append(m.group(1))
        pos = m.end()
    own = brand.username.lower() if brand is not None else None
    unique: dict[str, str] = {}
    for h in handles:
        if h.lower() != own:
            unique.setdefault(h.lower(), h)
    return tuple(unique.values())


class _ReplyContext:
    """What a reply to one post needs from it, whatever the body: cached per post.

    Besides the auto-populated mentions and the permission, it holds what follows from
    them for every body (the permission's reason or warning, the price item of a plain
    first part).
    """

    __slots__ = ("auto", "auto_lower", "first_item", "permission", "reasons", "warnings")

    def __init__(self, auto: tuple[str, ...], permission: ReplyPermission | None) -> None:
        self.auto = auto
        self.auto_lower = frozenset(h.lower() for h in auto)
        self.permission = permission
        reasons: tuple[str, ...] = ()
        warnings: tuple[str, ...] = ()
        if permission is not None and not (permission.allowed and permission.certain):
            if permission.allowed:
                warnings = (permission.reason,)
            else:
                reasons = (f"X would refuse the reply: {permission.reason}",)
        self.reasons = reasons
        self.warnings = warnings
        self.first_item: _PriceItem = (
            "summoned_reply" if permission is None or permission.rule != "own_post" else "post"
        )


# Keyed by the identities of the (immutable) post, author and brand, which are kept in
# the entry so that an id is never reused while cached.
_CONTEXTS: dict[tuple[int, int, int, bool], tuple[Post, object, object, _ReplyContext]] = {}
# The context used last (one tuple, replaced whole: safe to read from any thread).
_LAST_CONTEXT: tuple[object, object, object, object, _ReplyContext] = (
    None,
    None,
    None,
    None,
    _ReplyContext((), None),
)


def _reply_context(
    replied: Post,
    author: User | str | None,
    brand: User | None,
    context: Sequence[Post],
    *,
    enterprise: bool,
) -> _ReplyContext:
    """The auto-populated mentions and the summoned-reply decision for a reply to ``replied``.

    Cached when no other post is involved (``context`` empty): both depend only on the
    post, the author, the brand and ``enterprise``, all immutable.
    """
    global _LAST_CONTEXT  # noqa: PLW0603
    key = (id(replied), id(author), id(brand), bool(enterprise))
    if not context:
        hit = _CONTEXTS.get(key)
        if hit is not None and hit[0] is replied and hit[1] is author and hit[2] is brand:
            _LAST_CONTEXT = (replied, author, brand, enterprise, hit[3])
            return hit[3]
    auto = _auto_mentions(replied, author, brand)
    permission = (
        None
        if brand is None
        else can_reply(replied, brand, includes=context, enterprise=enterprise)
    )
    found = _ReplyContext(auto, permission)
    if not context:
        if len(_CONTEXTS) >= _CONTEXT_CACHE_SIZE:
            _CONTEXTS.clear()
        _CONTEXTS[key] = (replied, author, brand, found)
        _LAST_CONTEXT = (replied, author, brand, enterprise, found)
    return found


def _thread_of(to: object) -> list[Post]:
    if type(to) is Post:
        return [to]
    thread: list[object] = [to] if isinstance(to, Post) else list(to)  # type: ignore[call-overload]
    if not thread or not all(isinstance(p, Post) for p in thread):
        msg = "to must be a Post or a non-empty sequence of Posts"
        raise TypeError(msg)
    return thread  # type: ignore[return-value]


def _context(thread: Sequence[Post], includes: Includes | Iterable[Post] | None) -> list[Post]:
    context: list[Post] = [*thread[:-1]]
    if isinstance(includes, Includes):
        context.extend(includes.posts)
    elif includes is not None:
        context.extend(includes)
    return context


def _part_problems(
    parts: Sequence[DraftPart], valid: Sequence[bool], *, limit: int, enterprise: bool
) -> list[str]:
    """What X would refuse in the parts (``valid``: whether X's parse of each said valid)."""
    problems: list[str] = []
    for part, ok in zip(parts, valid, strict=True):
        label = f"part {part.index + 1}" if len(parts) > 1 else "the reply"
        if part.length == 0:
            problems.append(f"{label} is empty")
        elif not ok and part.length <= limit:
            problems.append(f"{label} contains characters X rejects (U+FFFE, U+FEFF or U+FFFF)")
        if not enterprise and _cashtag_count(part.text) > 1:
            problems.append(f"{label} has more than one cashtag (self-serve posts allow 1)")
    return problems


def _private_problems(parts: Sequence[DraftPart], guard: PrivateDataGuard | None) -> list[str]:
    """Why the public parts may not be sent because of private data (empty: no reason)."""
    if guard is None:
        return []
    text = parts[0].text if len(parts) == 1 else "\n".join(part.text for part in parts)
    problem = guard.problem(text)
    return [] if problem is None else [problem]


def _price_items(
    parts: Sequence[DraftPart], permission: ReplyPermission | None
) -> list[_PriceItem]:
    items: list[_PriceItem] = []
    for part in parts:
        if part.links:
            items.append("post_with_url")
        elif part.index == 0 and (permission is None or permission.rule != "own_post"):
            items.append("summoned_reply")
        else:
            items.append("post")
    return items


def _checked_reply_args(policy: str, limit: int) -> int:
    if policy not in _REPLY_POLICIES:
        _check_policy(policy, _REPLY_POLICIES)
    if type(limit) is not int or limit != MAX_POST_LENGTH:
        return _check_limit(limit, MAX_POST_LENGTH * 100)
    return limit


def _priced(
    parts: Sequence[DraftPart],
    permission: ReplyPermission | None,
    prices: PriceTable,
    follow_up: Draft | None,
) -> tuple[tuple[str, ...], Decimal]:
    """What a reply (and its follow-up DM) is priced for, and the total."""
    items: list[str] = list(_price_items(parts, permission))
    price = Decimal(0)
    for item in items:
        price += prices.price_of(item)  # type: ignore[arg-type]
    if follow_up is not None:
        items.extend(follow_up.price_items)
        price += follow_up.price
    return tuple(items), price


def _fitted_parts(
    text: str,
    suffix: str,
    first: int | TweetParse,
    *,
    policy: LengthPolicy,
    limit: int,
    config: TextConfig,
    replied_id: str,
) -> tuple[tuple[DraftPart, ...], list[bool], bool]:
    """The parts of a reply over the limit, or not valid.

    ``first``: what :func:`~socialcare.text._parse.parse_or_weigh` said of ``text + suffix``.
    Returns the parts, whether X's parse of each said valid, and whether the text was cut.
    """
    # the parses in the limit, reused for the final texts, and their URLs
    memo: dict[str, TweetParse] = {}
    if isinstance(first, TweetParse):
        memo[text + suffix] = first
    found: dict[str, list[RawUrl] | None] = {}
    texts, truncated = _fit(
        text,
        suffix,
        policy=policy,
        limit=limit,
        measure=tweet_measure(config, memo, limit, found),
        what="the reply",
        length=None if isinstance(first, TweetParse) else first,
    )
    room = config_with_room(config, limit)
    parses: list[TweetParse] = []
    for t in texts:  # thread parts get their numbers after the fitting: parsed here
        parsed = memo.get(t)
        if parsed is None:
            parsed, found[t] = parse_with_urls(t, room)
        parses.append(parsed)
    parts = tuple(
        _new_part(
            t,
            parses[i].weighted_length,
            limit,
            links=_links(t, config, found.get(t)),
            in_reply_to=replied_id if i == 0 else None,
            index=i,
        )
        for i, t in enumerate(texts)
    )
    return parts, [parsed.valid for parsed in parses], truncated


def _links_moved(  # noqa: PLR0917
    text: str,
    dm_intro: str,
    signature: str | None,
    prices: PriceTable,
    conversation: str,
    notes: list[str],
) -> tuple[str, Draft | None]:
    """``text`` without its URLs, and the DM that carries them (noted in ``notes``)."""
    text, moved = _move_links(text)
    if not moved:
        return text, None
    dm_text = dm_intro.strip() + "\n" + "\n".join(moved)
    follow_up = compose_dm(
        dm_text, signature=signature, prices=prices, conversation_id=conversation
    )
    notes.append(f"moved {len(moved)} link(s) into the follow-up DM")
    return text, follow_up


def compose_reply(  # noqa: C901, PLR0912, PLR0915 - the hot path, inlined on purpose
    to: Post | Sequence[Post],
    body: str | Template,
    *,
    signature: str | None = None,
    variables: Mapping[str, object] | None = None,
    policy: LengthPolicy = "strict",
    brand: User | None = None,
    author: User | str | None = None,
    includes: Includes | Iterable[Post] | None = None,
    enterprise: bool = False,
    conversation_id: str | None = None,
    prices: PriceTable = DEFAULT_PRICES,
    budget: Budget | None = None,
    links_to_dm: bool = False,
    dm_intro: str = "Here is the link:",
    limit: int = MAX_POST_LENGTH,
    config: TextConfig = V3,
    guard: PrivateDataGuard | None = DEFAULT_GUARD,
) -> Draft:
    """A reply to ``to`` that X accepts: measured, fitted by ``policy``, priced and checked.

    X's reply rules apply: the mentions X auto-populates at the start of a reply (the
    replied-to author and the reply chain) do not count and are removed from the body if
    it repeats them; mentions the body adds count; no handle appears twice. Every URL
    counts 23 whatever its length (the draft's ``notes`` say so).

    Args:
        to: the post to answer, or a thread whose last post is answered (the others help
            resolve quotes).
        body: the reply text, or a saved reply (:class:`Template`).
        signature: the agent's mark, ``"JD"`` or ``"^JD"``, appended as `` ^JD`` to every
            part.
        variables: values for the template's variables (a ``str`` body with variables is
            read as a template).
        policy: over the limit, ``"strict"`` raises :class:`~socialcare.ReplyTooLongError`,
            ``"truncate"`` cuts at a word boundary with an ellipsis, ``"thread"`` splits into
            numbered parts (1/3 ...), each valid and each a reply to the previous.
        brand: the replying account: enables the summoned-reply check (:func:`can_reply`).
        author: the replied-to post's author (a ``User`` or handle), auto-mentioned by X.
        includes: where to find quoted posts for the summoned-reply check.
        enterprise: Enterprise access (no summoned-reply rule, no cashtag limit).
        conversation_id: the conversation, for budgets (default: the post's).
        prices: the price table.
        budget: caps to check the price against (see :class:`Budget`).
        links_to_dm: move every URL out of the public reply into a follow-up DM (a post
            with a URL costs about 13 times a plain reply).
        dm_intro: the DM text before the moved links.
        limit: the weighted limit per post (280).
        config: the twitter-text configuration (v3).
        guard: what finds private data (card numbers, e-mail addresses, passwords...):
            a public reply holding any is not sendable, and its reason names the kinds
            (never the values) and suggests a DM. ``None`` turns the check off. The
            follow-up DM is not checked: private data belongs there.

    Raises:
        ReplyTooLongError: ``policy="strict"`` and the reply is over the limit.
        TemplateError: a variable of the saved reply has no value.
    """
    # The usual call (one post, a plain body, the default options) runs few instructions:
    # every value is looked at once, in the order the draft needs it.
    if type(to) is Post:
        replied = to
        thread: list[Post] | None = None
    else:
        thread = _thread_of(to)
        replied = thread[-1]
    if limit is not MAX_POST_LENGTH or policy not in _REPLY_POLICIES:  # not the default
        limit = _checked_reply_args(policy, limit)
    conversation = conversation_id or replied.conversation_id or replied.id
    try:
        suffix = _SUFFIXES[signature]  # a signature checked already
    except (KeyError, TypeError):
        suffix = _signature_suffix(signature)
    if type(body) is str and variables is None:  # ASCII is NFC already
        text = body.strip() if body.isascii() else unicodedata.normalize("NFC", body).strip()
    else:
        text = _text_of(body, variables)
    if thread is None and includes is None:  # no other post involved: cached per post
        last_post, last_author, last_brand, last_enterprise, reply = _LAST_CONTEXT
        if not (
            last_post is replied
            and last_author is author
            and last_brand is brand
            and last_enterprise is enterprise
        ):
            reply = _reply_context(replied, author, brand, (), enterprise=enterprise)
    else:
        context = _context(thread or [replied], includes) if brand is not None else ()
        reply = _reply_context(replied, author, brand, context, enterprise=enterprise)
    leading = _FIRST_MENTIONS.match(text)
    notes: list[str] = _NO_NOTES  # a list of its own once there is a note (fewer objects)
    if leading is not None and (  # usually one leading mention, which X does not add
        leading.group(1).lower() in reply.auto_lower
        if leading.group(2) is None
        else _may_drop(leading, reply.auto_lower)
    ):
        text, dropped = _strip_reply_mentions(text, reply.auto, reply.auto_lower)
        if dropped:
            notes = [
                "dropped leading mentions X adds itself or that repeat: "
                + ", ".join(f"@{h}" for h in dropped)
            ]
    follow_up: Draft | None = None
    if links_to_dm:
        notes = list(notes)
        text, follow_up = _links_moved(text, dm_intro, signature, prices, conversation, notes)
        # joining what was around a link may leave a text that is not NFC
        text = unicodedata.normalize("NFC", text)
    whole = text + suffix  # NFC: an NFC text, then a space and an NFC signature
    weighed, urls = parse_or_weigh(  # the weight only (NFC vouched for), and the URLs
        whole,
        config if limit == config.max_weighted_tweet_length else config_with_room(config, limit),
        True,  # noqa: FBT003
        False,  # noqa: FBT003
    )
    reasons = reply.reasons
    if type(weighed) is int and weighed <= limit:  # the usual case: one parse for the draft
        if urls:
            links = _links(whole, config, urls)
            notes = [*notes, *_link_notes(links)]
            item: _PriceItem = "post_with_url"
        else:
            links = ()
            item = reply.first_item
        part = _new_object(DraftPart)
        _set(  # DraftPart(...), built directly (frozen, no validators)
            part,
            "__dict__",
            {
                "text": whole,
                "length": weighed,
                "limit": limit,
                "links": links,
                "in_reply_to": replied.id,
                "index": 0,
            },
        )
        parts: tuple[DraftPart, ...] = (part,)
        truncated = False
        if not enterprise and "$" in whole:
            reasons += tuple(_part_problems(parts, (True,), limit=limit, enterprise=enterprise))
        if follow_up is None:  # one post: one price item
            items: tuple[str, ...] = _ONE_ITEM[item]  # (item,)
            price = getattr(prices, item)  # PriceTable.price_of(item)
        else:
            items, price = _priced(parts, reply.permission, prices, follow_up)
    else:
        parts, valid, truncated = _fitted_parts(
            text,
            suffix,
            weighed,
            policy=policy,
            limit=limit,
            config=config,
            replied_id=replied.id,
        )
        notes = list(notes)
        if truncated:
            notes.append("the text was cut at a word boundary to fit")
        for part in parts:
            if part.links:
                notes.extend(_link_notes(part.links))
        reasons += tuple(_part_problems(parts, valid, limit=limit, enterprise=enterprise))
        items, price = _priced(parts, reply.permission, prices, follow_up)
    if guard is not None:
        reasons += tuple(_private_problems(parts, guard))
    warnings = reply.warnings
    if budget is not None:
        refused, warned = _budget_verdict(budget, price, conversation)
        reasons += refused
        warnings += warned
    draft = _new_object(Draft)
    _set(  # Draft(...), built directly (frozen, no validators)
        draft,
        "__dict__",
        {
            "kind": "reply",
            "parts": parts,
            "in_reply_to": replied.id,
            "conversation_id": conversation,
            "reply_mentions": reply.auto,
            "price": price,
            "price_items": items,
            "reasons": reasons,
            "warnings": warnings,
            "notes": tuple(notes) if notes else (),
            "follow_up_dm": follow_up,
            "truncated": truncated,
            "permission": reply.permission,
        },
    )
    return draft


def compose_dm(
    body: str | Template,
    *,
    signature: str | None = None,
    variables: Mapping[str, object] | None = None,
    policy: Literal["strict", "truncate"] = "strict",
    conversation_id: str | None = None,
    prices: PriceTable = DEFAULT_PRICES,
    budget: Budget | None = None,
    limit: int = MAX_DM_LENGTH,
) -> Draft:
    """A direct message that X accepts: at most 10,000 characters, priced and checked.

    Raises:
        ReplyTooLongError: ``policy="strict"`` and the message is over the limit.
        TemplateError: a variable of the saved reply has no value.
    """
    _check_policy(policy, ("strict", "truncate"))
    limit = _check_limit(limit, MAX_DM_LENGTH)
    suffix = _signature_suffix(signature)
    text = _text_of(body, variables)
    texts, truncated = _fit(
        text, suffix, policy=policy, limit=limit, measure=dm_measure, what="the DM"
    )
    final = texts[0]
    part = DraftPart(text=final, length=len(final), limit=limit, links=_links(final, V3))
    reasons = ["the DM is empty"] if not final.strip() else []
    price = prices.dm
    refused, warned = _budget_verdict(budget, price, conversation_id)
    return Draft(
        kind="dm",
        parts=(part,),
        conversation_id=conversation_id,
        price=price,
        price_items=("dm",),
        reasons=(*reasons, *refused),
        warnings=warned,
        notes=("the text was cut at a word boundary to fit",) if truncated else (),
        truncated=truncated,
    )


def truncate(
    text: str,
    *,
    limit: int = MAX_POST_LENGTH,
    ellipsis: str = "\u2026",
    suffix: str = "",
    config: TextConfig = V3,
) -> str:
    """``text`` (NFC) cut to fit ``limit`` weighted characters, with ``ellipsis`` then ``suffix``.

    The cut falls on a word boundary, never inside a URL, mention, hashtag, cashtag, emoji
    sequence or grapheme cluster (a single word longer than the limit is cut at a grapheme
    boundary). Text that fits is returned unchanged. Linear in the length of ``text``.
    """
    text = unicodedata.normalize("NFC", text)
    return truncate_text(
        text, limit=limit, measure=tweet_measure(config), ellipsis=ellipsis, suffix=suffix
    )


def split_thread(
    text: str, *, limit: int = MAX_POST_LENGTH, suffix: str = "", config: TextConfig = V3
) -> list[str]:
    """``text`` (NFC) split into numbered posts (``"... 1/3"``) that each fit ``limit``.

    Cuts follow the rules of :func:`truncate`; ``suffix`` (a signature) ends every part.
    A text that fits is one unnumbered part. Linear in the length of ``text``.
    """
    text = unicodedata.normalize("NFC", text)
    return split_parts(text, limit=limit, measure=tweet_measure(config), suffix=suffix)
