"""Escalation policies as data: rules, decisions and their reasons (pure)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

import attrs

from socialcare.compose import can_reply
from socialcare.errors import ConfigurationError
from socialcare.escalation._sentiment import SentimentScorer, VaderScorer
from socialcare.models import Includes, Post, User
from socialcare.privacy import DEFAULT_GUARD, KIND_NAMES, PrivateDataGuard
from socialcare.threads import Thread

__all__ = [
    "ACTIONS",
    "RULES",
    "EscalationDecision",
    "EscalationPolicy",
    "KeywordRule",
    "PrivateDataRule",
    "Reason",
    "RepeatContactRule",
    "ReplyNotPermittedRule",
    "RuleName",
    "SentimentRule",
    "SuggestedAction",
    "VipRule",
]

SuggestedAction = Literal["public_then_dm", "dm", "human"]
"""What to do with an escalated post, from the mildest: acknowledge in public and continue
in a DM; DM only (no public reply); hand to a person."""
ACTIONS: tuple[SuggestedAction, ...] = get_args(SuggestedAction)
"""Every action, mildest first: a decision takes the strongest action its reasons ask."""
RuleName = Literal[
    "private_data", "keyword", "sentiment", "vip", "followers", "repeat_contact",
    "reply_not_permitted",
]  # fmt: skip
"""The rule that gave a reason (``"vip"`` and ``"followers"`` both come from :class:`VipRule`)."""
RULES: tuple[RuleName, ...] = get_args(RuleName)
"""Every rule name."""

_DEFAULT_WINDOW = dt.timedelta(days=7)


def _action(value: SuggestedAction, *, allowed: Sequence[str] = ACTIONS) -> SuggestedAction:
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        msg = f"action must be one of {listed}, got {value!r}"
        raise ConfigurationError(msg)
    return value


def _dm_or_human(value: SuggestedAction) -> SuggestedAction:
    return _action(value, allowed=("dm", "human"))


@attrs.frozen
class Reason:
    """Why a post is escalated: the rule, what it saw, and the action it asks for.

    Attributes:
        rule: the rule's name (see :data:`RULES`).
        detail: what the rule saw, in words (never private values).
        action: the action this rule asks for.
    """

    rule: RuleName
    detail: str
    action: SuggestedAction


@attrs.frozen
class EscalationDecision:
    """Whether to escalate a post, why, and what to do.

    Truthy when the post is escalated.

    Attributes:
        escalate: whether any rule fired.
        reasons: every rule that fired, in the policy's order.
        action: the strongest action the reasons ask for (``"human"`` over ``"dm"`` over
            ``"public_then_dm"``); ``None`` when nothing fired.
    """

    escalate: bool
    reasons: tuple[Reason, ...] = ()
    action: SuggestedAction | None = None

    def __bool__(self) -> bool:
        return self.escalate

    @property
    def rules(self) -> tuple[RuleName, ...]:
        """The names of the rules that fired."""
        return tuple(r.rule for r in self.reasons)

    @classmethod
    def of(cls, reasons: Iterable[Reason]) -> EscalationDecision:
        """The decision the reasons make (escalate when there is any)."""
        found = tuple(reasons)
        if not found:
            return cls(escalate=False)
        action = max((r.action for r in found), key=ACTIONS.index)
        return cls(escalate=True, reasons=found, action=action)


def _listed(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@attrs.frozen
class PrivateDataRule:
    """Escalate a post that shows private data (card numbers, e-mail addresses...).

    Attributes:
        guard: what finds the private data.
        action: what to do (default: acknowledge in public, ask the customer to delete
            the post, continue in a DM).
    """

    guard: PrivateDataGuard = DEFAULT_GUARD
    action: SuggestedAction = attrs.field(default="public_then_dm", converter=_action)

    def check(self, text: str) -> Reason | None:
        """The reason to escalate ``text``, or ``None``."""
        kinds = self.guard.kinds_in(text)
        if not kinds:
            return None
        shown = _listed([KIND_NAMES[k] for k in kinds])
        return Reason("private_data", f"the post shows {shown}", self.action)


def _keywords(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    words = tuple(" ".join(str(w).split()) for w in value)
    if not words or any(not w for w in words):
        msg = "keywords: give at least one keyword, none empty"
        raise ConfigurationError(msg)
    return words


@attrs.frozen
class KeywordRule:
    """Escalate a post that uses one of ``keywords`` (whole words or phrases, any case).

    Attributes:
        keywords: words or phrases (``"lawyer"``, ``"data breach"``); spaces in a phrase
            match any run of whitespace.
        name: what the keywords are about, shown in the reason (``"legal"``).
        action: what to do.
    """

    keywords: tuple[str, ...] = attrs.field(converter=_keywords)
    name: str = "keyword"
    action: SuggestedAction = attrs.field(default="public_then_dm", converter=_action)
    _regex: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        alternatives = "|".join(
            r"\s+".join(re.escape(part) for part in word.split())
            for word in sorted(self.keywords, key=len, reverse=True)
        )
        regex = re.compile(rf"(?<![\w#@])(?:{alternatives})(?!\w)", re.IGNORECASE)
        object.__setattr__(self, "_regex", regex)

    def check(self, text: str) -> Reason | None:
        """The reason to escalate ``text``, or ``None``."""
        found = list(
            dict.fromkeys(" ".join(m.group(0).lower().split()) for m in self._regex.finditer(text))
        )
        if not found:
            return None
        said = ", ".join(repr(w) for w in found)
        return Reason("keyword", f"{self.name}: the post says {said}", self.action)


def _threshold(given: float) -> float:
    value: object = given
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"threshold must be a number from -1 to 1, got {value!r}"
        raise ConfigurationError(msg)
    number = float(value)
    if math.isnan(number) or not -1.0 <= number <= 1.0:
        msg = f"threshold must be a number from -1 to 1, got {value!r}"
        raise ConfigurationError(msg)
    return number


def _scorer(given: SentimentScorer | None) -> SentimentScorer:
    value: object = given
    if value is None:
        return VaderScorer()
    if not isinstance(value, SentimentScorer):
        msg = f"scorer must have a score(text) -> float method, got {type(value).__name__}"
        raise ConfigurationError(msg)
    return value


@attrs.frozen
class SentimentRule:
    """Escalate a post whose sentiment score is at or below ``threshold``.

    Attributes:
        threshold: from -1 to 1; VADER's usual cut for "negative" is -0.05, for a
            customer who is extraordinarily upset about -0.6.
        scorer: the :class:`SentimentScorer`; by default a :class:`VaderScorer` (the
            ``sentiment`` extra; :class:`~socialcare.ConfigurationError` without it).
        action: what to do.
    """

    threshold: float = attrs.field(default=-0.6, converter=_threshold)
    scorer: SentimentScorer = attrs.field(default=None, converter=_scorer, eq=False)
    action: SuggestedAction = attrs.field(default="public_then_dm", converter=_action)

    def check(self, text: str) -> Reason | None:
        """The reason to escalate ``text``, or ``None``."""
        value = self.scorer.score(text)
        if value > self.threshold:
            return None
        return Reason(
            "sentiment",
            f"sentiment {value:+.2f} is at or below the threshold {self.threshold:+.2f}",
            self.action,
        )


def _ids(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(str(v) for v in value)


def _handles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(str(v).lstrip("@").lower() for v in value)


def _min_followers(given: int | None) -> int | None:
    value: object = given
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"min_followers must be a whole number >= 0, got {value!r}"
        raise ConfigurationError(msg)
    return value


@attrs.frozen
class VipRule:
    """Escalate posts by listed accounts or by accounts with many followers.

    Attributes:
        user_ids: X user ids of VIPs.
        usernames: handles of VIPs (any case, with or without ``@``).
        min_followers: escalate authors with at least this many followers
            (``User.followers_count``, from X's ``public_metrics``); ``None``: no threshold.
        action: what to do.
    """

    user_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)
    usernames: frozenset[str] = attrs.field(default=frozenset(), converter=_handles)
    min_followers: int | None = attrs.field(default=None, converter=_min_followers)
    action: SuggestedAction = attrs.field(default="public_then_dm", converter=_action)

    def check(self, post: Post, author: User | None) -> Reason | None:
        """The reason to escalate a post by ``author``, or ``None``."""
        user_id = author.id if author is not None else post.author_id
        if user_id is not None and user_id in self.user_ids:
            return Reason("vip", f"the author (id {user_id}) is on the VIP list", self.action)
        if author is not None and author.username.lower() in self.usernames:
            return Reason("vip", f"@{author.username} is on the VIP list", self.action)
        followers = author.followers_count if author is not None else None
        if (
            self.min_followers is not None
            and followers is not None
            and followers >= self.min_followers
        ):
            return Reason(
                "followers",
                f"the author has {followers:,} followers (threshold {self.min_followers:,})",
                self.action,
            )
        return None


def _min_contacts(given: int) -> int:
    value: object = given
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:  # noqa: PLR2004
        msg = f"min_contacts must be a whole number >= 2, got {value!r}"
        raise ConfigurationError(msg)
    return value


def _window(given: dt.timedelta) -> dt.timedelta:
    value: object = given
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        msg = f"window must be a positive timedelta, got {value!r}"
        raise ConfigurationError(msg)
    return value


def _count(given: Literal["conversations", "posts"]) -> Literal["conversations", "posts"]:
    value: object = given
    if value not in ("conversations", "posts"):
        msg = f"count must be 'conversations' or 'posts', got {value!r}"
        raise ConfigurationError(msg)
    return "posts" if value == "posts" else "conversations"


@attrs.frozen
class RepeatContactRule:
    """Escalate a customer who came back ``min_contacts`` times within ``window``.

    The contacts are the post itself and the customer's other posts given to
    :meth:`EscalationPolicy.decide` (``history``, and the ``thread``'s posts by the same
    author), counted as distinct conversations (default) or as posts, in the window that
    ends at the post's time. Posts without a time are not counted.

    Attributes:
        min_contacts: how many contacts make a repeat (2 or more).
        window: how far back to look.
        count: ``"conversations"`` or ``"posts"``.
        action: what to do.
    """

    min_contacts: int = attrs.field(default=3, converter=_min_contacts)
    window: dt.timedelta = attrs.field(default=_DEFAULT_WINDOW, converter=_window)
    count: Literal["conversations", "posts"] = attrs.field(
        default="conversations", converter=_count
    )
    action: SuggestedAction = attrs.field(default="public_then_dm", converter=_action)

    def check(self, post: Post, others: Iterable[Post], now: dt.datetime | None) -> Reason | None:
        """The reason to escalate ``post`` given the customer's ``others``, or ``None``."""
        end = post.created_at or now
        if end is None:
            return None
        start = end - self.window
        seen: dict[str, None] = {}
        key = self._key
        seen[key(post)] = None
        for other in others:
            if other.author_id != post.author_id or other.created_at is None:
                continue
            if start <= other.created_at <= end:
                seen[key(other)] = None
        found = len(seen)
        if found < self.min_contacts:
            return None
        days = self.window / dt.timedelta(days=1)
        span = f"{days:g} days" if days >= 1 else f"{self.window / dt.timedelta(hours=1):g} hours"
        return Reason(
            "repeat_contact",
            f"{found} {self.count} by the customer in {span} (threshold {self.min_contacts})",
            self.action,
        )

    def _key(self, post: Post) -> str:
        if self.count == "posts":
            return post.id
        return post.conversation_id or post.id


@attrs.frozen
class ReplyNotPermittedRule:
    """Escalate a post the brand may not answer in public (X's summoned-reply rule).

    Uses :func:`socialcare.compose.can_reply`; needs the ``brand`` given to
    :meth:`EscalationPolicy.decide`.

    Attributes:
        action: ``"dm"`` (answer in a DM only) or ``"human"`` (hand to a person).
        enterprise: the brand has Enterprise access (it may reply to anything).
    """

    action: SuggestedAction = attrs.field(default="dm", converter=_dm_or_human)
    enterprise: bool = False

    def check(
        self, post: Post, brand: User, includes: Includes | Iterable[Post] | None
    ) -> Reason | None:
        """The reason to escalate ``post``, or ``None``."""
        permission = can_reply(post, brand, includes=includes, enterprise=self.enterprise)
        if permission.allowed:
            return None
        return Reason("reply_not_permitted", permission.reason, self.action)


def _keyword_rules(value: Iterable[object]) -> tuple[KeywordRule, ...]:
    rules: list[KeywordRule] = []
    for rule in value:
        if not isinstance(rule, KeywordRule):
            msg = f"keywords must hold KeywordRule values, got {type(rule).__name__}"
            raise ConfigurationError(msg)
        rules.append(rule)
    return tuple(rules)


@attrs.frozen
class EscalationPolicy:
    """Which posts move out of the public timeline, and how: rules as data.

    Each rule is optional (``None`` turns it off); every rule that fires adds a
    :class:`Reason`, and the decision takes the strongest action asked. By default only
    the private data and reply-not-permitted rules are on. Build one in code or from a
    plain dict (:meth:`from_dict`, for settings files).

    Attributes:
        private_data: :class:`PrivateDataRule`.
        keywords: :class:`KeywordRule` values, each with its own name and action.
        sentiment: :class:`SentimentRule`.
        vip: :class:`VipRule`.
        repeat_contact: :class:`RepeatContactRule`.
        reply_not_permitted: :class:`ReplyNotPermittedRule`.
    """

    private_data: PrivateDataRule | None = PrivateDataRule()
    keywords: tuple[KeywordRule, ...] = attrs.field(default=(), converter=_keyword_rules)
    sentiment: SentimentRule | None = None
    vip: VipRule | None = None
    repeat_contact: RepeatContactRule | None = None
    reply_not_permitted: ReplyNotPermittedRule | None = ReplyNotPermittedRule()

    def decide(
        self,
        post: Post,
        *,
        author: User | None = None,
        brand: User | None = None,
        thread: Thread | None = None,
        history: Iterable[Post] = (),
        includes: Includes | Iterable[Post] | None = None,
        now: dt.datetime | None = None,
    ) -> EscalationDecision:
        """Whether to escalate ``post``, with every reason.

        Pure: everything the rules need is given.

        Args:
            post: the customer's post.
            author: its author (VIP list and follower threshold).
            brand: the brand account (reply permission; the brand's own posts are never
                escalated).
            thread: the conversation, whose posts by the same author count as contacts.
            history: the customer's other posts (other conversations), from the store.
            includes: quoted posts, for the reply permission.
            now: the time for repeat contact when the post has none.
        """
        if brand is not None and post.author_id == brand.id:
            return EscalationDecision(escalate=False)
        text = post.full_text
        found: list[Reason | None] = []
        if self.private_data is not None:
            found.append(self.private_data.check(text))
        found.extend(rule.check(text) for rule in self.keywords)
        if self.sentiment is not None:
            found.append(self.sentiment.check(text))
        if self.vip is not None:
            found.append(self.vip.check(post, author))
        if self.repeat_contact is not None:
            others = [*history, *(thread.posts if thread is not None else ())]
            found.append(self.repeat_contact.check(post, others, now))
        if self.reply_not_permitted is not None and brand is not None:
            found.append(self.reply_not_permitted.check(post, brand, includes))
        return EscalationDecision.of(r for r in found if r is not None)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], *, scorer: SentimentScorer | None = None
    ) -> EscalationPolicy:
        """A policy from plain data (a settings file's dict); errors name the bad field.

        Keys, each optional (a missing key keeps the default; ``null`` or ``false``
        turns a rule off; ``true`` turns it on with its defaults)::

            {
                "private_data": {
                    "action": "public_then_dm",
                    "kinds": ["card", "email"],
                    "phone_regions": ["US", "GB"],
                    "national_ids": ["us.ssn"],
                    "account_patterns": {"order": "..."},
                    "allow": ["..."],
                },
                "keywords": [{"name": "legal", "keywords": ["lawyer", "sue"], "action": "human"}],
                "sentiment": {"threshold": -0.6, "action": "public_then_dm"},
                "vip": {
                    "user_ids": ["42"],
                    "usernames": ["ann"],
                    "min_followers": 10000,
                    "action": "human",
                },
                "repeat_contact": {
                    "min_contacts": 3,
                    "window_hours": 168,
                    "count": "conversations",
                    "action": "public_then_dm",
                },
                "reply_not_permitted": {"action": "dm", "enterprise": false},
            }

        Args:
            data: the policy.
            scorer: the sentiment scorer (default: :class:`VaderScorer`).

        Raises:
            ConfigurationError: a key is unknown or a value is wrong; the message starts
                with the field's path (``keywords[0].action: ...``).
        """
        return _from_dict(data, scorer)

    def to_dict(self) -> dict[str, object]:
        """The policy as plain data that :meth:`from_dict` reads back.

        A custom guard's options and the sentiment scorer are not data: the guard is
        written with its options, the scorer is left out.
        """
        out: dict[str, object] = {}
        rule = self.private_data
        if rule is None:
            out["private_data"] = None
        else:
            guard = rule.guard
            out["private_data"] = {
                "action": rule.action,
                "kinds": sorted(guard.kinds),
                "phone_regions": list(guard.phone_regions),
                "national_ids": list(guard.national_ids),
                "account_patterns": {n: p.pattern for n, p in guard.account_patterns},
                "allow": sorted(guard.allow),
                "business_phones": guard.business_phones,
                "role_addresses": guard.role_addresses,
            }
        out["keywords"] = [
            {"name": k.name, "keywords": list(k.keywords), "action": k.action}
            for k in self.keywords
        ]
        out["sentiment"] = (
            None
            if self.sentiment is None
            else {"threshold": self.sentiment.threshold, "action": self.sentiment.action}
        )
        out["vip"] = (
            None
            if self.vip is None
            else {
                "user_ids": sorted(self.vip.user_ids),
                "usernames": sorted(self.vip.usernames),
                "min_followers": self.vip.min_followers,
                "action": self.vip.action,
            }
        )
        repeat = self.repeat_contact
        out["repeat_contact"] = (
            None
            if repeat is None
            else {
                "min_contacts": repeat.min_contacts,
                "window_hours": repeat.window / dt.timedelta(hours=1),
                "count": repeat.count,
                "action": repeat.action,
            }
        )
        allowed = self.reply_not_permitted
        out["reply_not_permitted"] = (
            None
            if allowed is None
            else {"action": allowed.action, "enterprise": allowed.enterprise}
        )
        return out


# ---------------------------------------------------------------------------------------
# Reading policies from data

_RuleData = Mapping[str, object] | None


def _fail(path: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"escalation policy: {path}: {message}")


def _section(data: Mapping[str, object], key: str) -> tuple[bool, _RuleData]:
    """(present, options) for a rule: ``None`` options with present=True turns it off."""
    if key not in data:
        return False, None
    value = data[key]
    if value is None or value is False:
        return True, None
    if value is True:
        return True, {}
    if not isinstance(value, Mapping):
        raise _fail(key, f"must be a mapping, true, false or null, got {type(value).__name__}")
    return True, value


def _fields(path: str, value: Mapping[str, object], allowed: Iterable[str]) -> None:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed))
        raise _fail(f"{path}.{unknown[0]}", f"unknown field (known: {known})")


_FIELD_NAMES = frozenset(
    {
        "action",
        "allow",
        "count",
        "keywords",
        "kinds",
        "min_contacts",
        "min_followers",
        "national_ids",
        "phone_regions",
        "threshold",
        "window",
    }
)


def _build(path: str, make: object, options: Mapping[str, object]) -> object:
    """``make(**options)``, with a ConfigurationError's message prefixed by ``path``."""
    try:
        return make(**options)  # type: ignore[operator]
    except ConfigurationError as exc:
        message = str(exc)
        field = message.split(":", 1)[0].split(" ", 1)[0]
        where = f"{path}.{field}" if field in _FIELD_NAMES else path
        raise _fail(where, message) from exc
    except TypeError as exc:
        raise _fail(path, str(exc)) from exc


def _strings(path: str, value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(path, f"must be a list of strings, got {type(value).__name__}")
    for n, item in enumerate(value):
        if not isinstance(item, str):
            raise _fail(f"{path}[{n}]", f"must be a string, got {type(item).__name__}")
    return list(value)


_GUARD_FIELDS = (
    "kinds",
    "phone_regions",
    "national_ids",
    "account_patterns",
    "allow",
    "business_phones",
    "role_addresses",
)


def _private_data(options: Mapping[str, object]) -> PrivateDataRule:
    _fields("private_data", options, ("action", *_GUARD_FIELDS))
    guard_options = {k: v for k, v in options.items() if k in _GUARD_FIELDS}
    for key in ("kinds", "phone_regions", "national_ids", "allow"):
        if key in guard_options:
            guard_options[key] = _strings(f"private_data.{key}", guard_options[key])
    patterns = guard_options.get("account_patterns")
    if patterns is not None and not isinstance(patterns, Mapping):
        raise _fail("private_data.account_patterns", "must be a mapping of name to regex")
    for key in ("business_phones", "role_addresses"):
        if key in guard_options and not isinstance(guard_options[key], bool):
            raise _fail(f"private_data.{key}", "must be true or false")
    guard = (
        DEFAULT_GUARD
        if not guard_options
        else _build("private_data", PrivateDataGuard, guard_options)
    )
    rule_options: dict[str, object] = {"guard": guard}
    if "action" in options:
        rule_options["action"] = options["action"]
    return _build("private_data", PrivateDataRule, rule_options)  # type: ignore[return-value]


def _keyword_rules_from(value: object) -> tuple[KeywordRule, ...]:
    if value is None or value is False:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise _fail("keywords", f"must be a list of rules, got {type(value).__name__}")
    rules: list[KeywordRule] = []
    for n, item in enumerate(value):
        path = f"keywords[{n}]"
        if not isinstance(item, Mapping):
            raise _fail(path, f"must be a mapping, got {type(item).__name__}")
        _fields(path, item, ("name", "keywords", "action"))
        if "keywords" not in item:
            raise _fail(f"{path}.keywords", "missing")
        options = dict(item)
        options["keywords"] = _strings(f"{path}.keywords", item["keywords"])
        if "name" in options and not isinstance(options["name"], str):
            raise _fail(f"{path}.name", "must be a string")
        rules.append(_build(path, KeywordRule, options))  # type: ignore[arg-type]
    return tuple(rules)


def _vip(options: Mapping[str, object]) -> VipRule:
    _fields("vip", options, ("user_ids", "usernames", "min_followers", "action"))
    values = dict(options)
    for key in ("user_ids", "usernames"):
        if key in values:
            values[key] = _strings(f"vip.{key}", values[key])
    return _build("vip", VipRule, values)  # type: ignore[return-value]


def _repeat(options: Mapping[str, object]) -> RepeatContactRule:
    _fields("repeat_contact", options, ("min_contacts", "window_hours", "count", "action"))
    values = dict(options)
    if "window_hours" in values:
        hours = values.pop("window_hours")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not hours > 0:
            raise _fail("repeat_contact.window_hours", f"must be a number > 0, got {hours!r}")
        values["window"] = dt.timedelta(hours=hours)
    return _build("repeat_contact", RepeatContactRule, values)  # type: ignore[return-value]


def _reply_not_permitted(options: Mapping[str, object]) -> ReplyNotPermittedRule:
    _fields("reply_not_permitted", options, ("action", "enterprise"))
    if "enterprise" in options and not isinstance(options["enterprise"], bool):
        raise _fail("reply_not_permitted.enterprise", "must be true or false")
    return _build("reply_not_permitted", ReplyNotPermittedRule, options)  # type: ignore[return-value]


_KEYS = (
    "private_data",
    "keywords",
    "sentiment",
    "vip",
    "repeat_contact",
    "reply_not_permitted",
)


def _from_dict(data: Mapping[str, object], scorer: SentimentScorer | None) -> EscalationPolicy:
    if not isinstance(data, Mapping):
        raise _fail("(policy)", f"must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise _fail(unknown[0], f"unknown rule (known: {', '.join(_KEYS)})")
    policy: dict[str, object] = {}
    present, options = _section(data, "private_data")
    if present:
        policy["private_data"] = None if options is None else _private_data(options)
    policy["keywords"] = _keyword_rules_from(data.get("keywords"))
    present, options = _section(data, "sentiment")
    if present and options is not None:
        _fields("sentiment", options, ("threshold", "action"))
        policy["sentiment"] = _build("sentiment", SentimentRule, {**options, "scorer": scorer})
    present, options = _section(data, "vip")
    if present and options is not None:
        policy["vip"] = _vip(options)
    present, options = _section(data, "repeat_contact")
    if present and options is not None:
        policy["repeat_contact"] = _repeat(options)
    present, options = _section(data, "reply_not_permitted")
    if present:
        policy["reply_not_permitted"] = None if options is None else _reply_not_permitted(options)
    return EscalationPolicy(**policy)  # type: ignore[arg-type]
