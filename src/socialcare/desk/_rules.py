"""Desk rules as data: conditions on an inbound post and what to do, each decision explained."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from socialcare.errors import ConfigurationError
from socialcare.escalation import SentimentScorer, VaderScorer
from socialcare.models import Post, User

__all__ = ["Condition", "DeskRule", "RuleMatch", "RuleSet", "Triage"]


def _fail(path: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"desk rules: {path}: {message}")


def _words(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    words = tuple(" ".join(str(w).split()) for w in value)
    if any(not w for w in words):
        msg = "keywords: a keyword is empty"
        raise ConfigurationError(msg)
    return words


def _handles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(str(v).lstrip("@").lower() for v in value)


def _langs(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    return frozenset(str(v).lower() for v in value)


_Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def _protocol() -> type:
    """The scorer protocol as a runtime class (a user's scorer may be any object)."""
    return SentimentScorer


def _count(name: str) -> _Validator:
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            msg = f"{name} must be a whole number >= 0, got {value!r}"
            raise ConfigurationError(msg)

    return check


def _sentiment(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not -1.0 <= float(value) <= 1.0
    ):
        msg = f"sentiment_at_most must be a number from -1 to 1, got {value!r}"
        raise ConfigurationError(msg)


@attrs.frozen
class Condition:
    """What an inbound post must show for a rule to apply; every given part must hold.

    An empty condition holds for every inbound post.

    Attributes:
        keywords: any of these words or phrases (whole words, any case).
        authors: the author is one of these (user ids or ``@handles``).
        vip: ``True``: the author is on the rule set's VIP list; ``False``: is not.
        min_followers: the author has at least this many followers (unknown: no).
        sentiment_at_most: the post's sentiment score (the rule set's
            :class:`~socialcare.escalation.SentimentScorer`) is at or below this.
        languages: the post's language (X's ``lang``) is one of these.
    """

    keywords: tuple[str, ...] = attrs.field(default=(), converter=_words)
    authors: frozenset[str] = attrs.field(default=frozenset(), converter=_handles)
    vip: bool | None = None
    min_followers: int | None = attrs.field(default=None, validator=_count("min_followers"))
    sentiment_at_most: float | None = attrs.field(default=None, validator=_sentiment)
    languages: frozenset[str] = attrs.field(default=frozenset(), converter=_langs)
    _regex: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        regex = None
        if self.keywords:
            alternatives = "|".join(
                r"\s+".join(re.escape(part) for part in word.split())
                for word in sorted(self.keywords, key=len, reverse=True)
            )
            regex = re.compile(rf"(?<![\w#@])(?:{alternatives})(?!\w)", re.IGNORECASE)
        object.__setattr__(self, "_regex", regex)

    def explain(
        self,
        post: Post,
        author: User | None,
        *,
        vips: frozenset[str],
        scorer: SentimentScorer | None,
    ) -> tuple[str, ...] | None:
        """Why the condition holds for ``post`` (one phrase per part), or ``None``."""
        names = _names(post, author)
        parts = (
            self._keywords(post),
            self._authors(names),
            self._vip(names, vips),
            self._followers(author),
            self._sentiment(post, scorer),
            self._language(post),
        )
        if any(part is _FAILS for part in parts):
            return None
        why = tuple(part for part in parts if isinstance(part, str))
        return why or ("every inbound post",)

    def _keywords(self, post: Post) -> str | object | None:
        if self._regex is None:
            return None
        found = dict.fromkeys(
            " ".join(m.group(0).lower().split()) for m in self._regex.finditer(post.full_text)
        )
        return "the post says " + ", ".join(repr(w) for w in found) if found else _FAILS

    def _authors(self, names: frozenset[str]) -> str | object | None:
        if not self.authors:
            return None
        return "the author is listed" if names & self.authors else _FAILS

    def _vip(self, names: frozenset[str], vips: frozenset[str]) -> str | object | None:
        if self.vip is None:
            return None
        if bool(names & vips) != self.vip:
            return _FAILS
        return "the author is a VIP" if self.vip else "the author is not a VIP"

    def _followers(self, author: User | None) -> str | object | None:
        if self.min_followers is None:
            return None
        followers = None if author is None else author.followers_count
        if followers is None or followers < self.min_followers:
            return _FAILS
        return f"the author has {followers:,} followers (>= {self.min_followers:,})"

    def _sentiment(self, post: Post, scorer: SentimentScorer | None) -> str | object | None:
        if self.sentiment_at_most is None:
            return None
        if scorer is None:  # pragma: no cover - a RuleSet always has one when needed
            return _FAILS
        score = scorer.score(post.full_text)
        if score > self.sentiment_at_most:
            return _FAILS
        return f"sentiment {score:+.2f} <= {self.sentiment_at_most:+.2f}"

    def _language(self, post: Post) -> str | object | None:
        if not self.languages:
            return None
        lang = (post.lang or "").lower()
        return f"the post is in {lang!r}" if lang in self.languages else _FAILS

    def to_dict(self) -> dict[str, object]:
        """The condition as plain data (only the parts given)."""
        when: dict[str, object] = {
            "keywords": list(self.keywords),
            "authors": sorted(self.authors),
            "vip": self.vip,
            "min_followers": self.min_followers,
            "sentiment_at_most": self.sentiment_at_most,
            "languages": sorted(self.languages),
        }
        return {k: v for k, v in when.items() if v not in (None, [])}


_FAILS = object()  # a part of a condition that does not hold


def _names(post: Post, author: User | None) -> frozenset[str]:
    names = set()
    if post.author_id is not None:
        names.add(post.author_id.lower())
    if author is not None:
        names.update({author.id.lower(), author.username.lower()})
    return frozenset(names)


def _tags(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    tags = frozenset(str(t) for t in value)
    if any(not t for t in tags):
        msg = "tags: a tag is empty"
        raise ConfigurationError(msg)
    return tags


def _name(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        msg = f"name must be a non-empty string, got {value!r}"
        raise ConfigurationError(msg)


def _priority(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        msg = f"priority must be a whole number, got {value!r}"
        raise ConfigurationError(msg)


def _assign(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        msg = f"assign must be a non-empty string, got {value!r}"
        raise ConfigurationError(msg)


def _flag(name: str) -> _Validator:
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, bool):
            msg = f"{name} must be true or false, got {value!r}"
            raise ConfigurationError(msg)

    return check


@attrs.frozen
class DeskRule:
    """One rule: a :class:`Condition` and what to do when it holds.

    Attributes:
        name: the rule's name, given in every decision it makes.
        when: the condition.
        tags: tags to add to the conversation.
        priority: raise the conversation's priority to at least this.
        assign: the agent (or team queue) to assign an unassigned conversation to.
        hide_reply: hide the post (a reply in the brand's conversation) through the outbox.
        resolve: resolve the conversation at once (spam, thanks, "never mind").
        stop: apply no later rule to this post.
    """

    name: str = attrs.field(validator=_name)
    when: Condition = attrs.field(factory=Condition)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    priority: int | None = attrs.field(default=None, validator=_priority)
    assign: str | None = attrs.field(default=None, validator=_assign)
    hide_reply: bool = attrs.field(default=False, validator=_flag("hide_reply"))
    resolve: bool = attrs.field(default=False, validator=_flag("resolve"))
    stop: bool = attrs.field(default=False, validator=_flag("stop"))

    @property
    def actions(self) -> tuple[str, ...]:
        """What the rule does, in words (``"tag billing"``, ``"priority 5"``, ...)."""
        done = [f"tag {t}" for t in sorted(self.tags)]
        if self.priority is not None:
            done.append(f"priority {self.priority}")
        if self.assign is not None:
            done.append(f"assign {self.assign}")
        if self.hide_reply:
            done.append("hide reply")
        if self.resolve:
            done.append("resolve")
        return tuple(done)


@attrs.frozen
class RuleMatch:
    """One rule that applied to a post, and why.

    Attributes:
        rule: the rule's name.
        why: what the post showed, one phrase per part of the condition.
        actions: what the rule does, in words.
    """

    rule: str
    why: tuple[str, ...]
    actions: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """``"<rule>: <why> -> <actions>"`` in one line."""
        return f"{self.rule}: {'; '.join(self.why)} -> {', '.join(self.actions) or 'nothing'}"


@attrs.frozen
class Triage:
    """What the rules decided for one inbound post: the sum of every match, explained.

    Attributes:
        post_id: the post.
        conversation_id: its conversation (empty until the desk places it).
        matches: the rules that applied, in order.
        tags: every tag to add.
        priority: the highest priority asked (``None``: leave it).
        assign: the first assignee asked (``None``: leave it).
        hide_reply: whether to hide the post.
        resolve: whether to resolve the conversation.
    """

    post_id: str
    conversation_id: str = ""
    matches: tuple[RuleMatch, ...] = ()
    tags: frozenset[str] = frozenset()
    priority: int | None = None
    assign: str | None = None
    hide_reply: bool = False
    resolve: bool = False

    def __bool__(self) -> bool:
        return bool(self.matches)

    @property
    def explanations(self) -> tuple[str, ...]:
        """One line per rule that applied (:attr:`RuleMatch.explanation`)."""
        return tuple(m.explanation for m in self.matches)


def _rules(value: Iterable[DeskRule]) -> tuple[DeskRule, ...]:
    rules = tuple(value)
    items: tuple[object, ...] = rules
    for rule in items:
        if not isinstance(rule, DeskRule):
            msg = f"rules must hold DeskRule values, got {type(rule).__name__}"
            raise ConfigurationError(msg)
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = f"rules: the name {twice[0]!r} is used twice"
        raise ConfigurationError(msg)
    return rules


@attrs.frozen
class RuleSet:
    """The desk's rules, applied in order to every inbound post (pure).

    Attributes:
        rules: the rules, in order; a rule with ``stop`` ends the list for the post.
        vips: the VIP list (user ids or ``@handles``) that ``Condition.vip`` reads.
        scorer: the sentiment scorer for ``sentiment_at_most`` conditions; by default a
            :class:`~socialcare.escalation.VaderScorer` when a rule needs one (the
            ``sentiment`` extra).

    Example:
        >>> from socialcare.models import Post
        >>> rules = RuleSet.from_dict(
        ...     {
        ...         "rules": [
        ...             {"name": "billing", "when": {"keywords": ["refund"]}, "tags": ["billing"]},
        ...         ]
        ...     }
        ... )
        >>> rules.evaluate(Post(id="5", text="@acme refund please")).explanations
        ("billing: the post says 'refund' -> tag billing",)
    """

    rules: tuple[DeskRule, ...] = attrs.field(default=(), converter=_rules)
    vips: frozenset[str] = attrs.field(default=frozenset(), converter=_handles)
    scorer: SentimentScorer | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        needs = any(r.when.sentiment_at_most is not None for r in self.rules)
        if needs and self.scorer is None:
            object.__setattr__(self, "scorer", VaderScorer())
        elif self.scorer is not None and not isinstance(self.scorer, _protocol()):
            msg = (
                f"scorer must have a score(text) -> float method, got {type(self.scorer).__name__}"
            )
            raise ConfigurationError(msg)

    def evaluate(self, post: Post, author: User | None = None) -> Triage:
        """Every rule that applies to ``post`` (by ``author``), combined and explained."""
        matches: list[RuleMatch] = []
        tags: set[str] = set()
        priority: int | None = None
        assign: str | None = None
        hide = resolve = False
        for rule in self.rules:
            why = rule.when.explain(post, author, vips=self.vips, scorer=self.scorer)
            if why is None:
                continue
            matches.append(RuleMatch(rule.name, why, rule.actions))
            tags |= rule.tags
            if rule.priority is not None:
                priority = rule.priority if priority is None else max(priority, rule.priority)
            assign = assign or rule.assign
            hide = hide or rule.hide_reply
            resolve = resolve or rule.resolve
            if rule.stop:
                break
        return Triage(
            post_id=post.id,
            matches=tuple(matches),
            tags=frozenset(tags),
            priority=priority,
            assign=assign,
            hide_reply=hide,
            resolve=resolve,
        )

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], *, scorer: SentimentScorer | None = None
    ) -> RuleSet:
        """Rules from plain data (a settings file's dict); errors name the bad field.

        Layout (every key optional but ``rules[].name``)::

            {
                "vips": ["42", "@bigcustomer"],
                "rules": [
                    {
                        "name": "legal",
                        "when": {
                            "keywords": ["lawyer", "sue"],
                            "authors": ["@ann"],
                            "vip": true,
                            "min_followers": 10000,
                            "sentiment_at_most": -0.6,
                            "languages": ["en"],
                        },
                        "tags": ["legal"],
                        "priority": 10,
                        "assign": "legal-team",
                        "hide_reply": false,
                        "resolve": false,
                        "stop": false,
                    },
                ],
            }

        Raises:
            ConfigurationError: a key is unknown or a value is wrong; the message names
                the field's path (``desk rules: rules[0].when.min_followers: ...``).
        """
        return _from_dict(data, scorer)

    def to_dict(self) -> dict[str, object]:
        """The rules as plain data that :meth:`from_dict` reads back (the scorer left out)."""
        rules: list[dict[str, object]] = []
        for rule in self.rules:
            out: dict[str, object] = {"name": rule.name, "when": rule.when.to_dict()}
            if rule.tags:
                out["tags"] = sorted(rule.tags)
            for key in ("priority", "assign"):
                if getattr(rule, key) is not None:
                    out[key] = getattr(rule, key)
            for key in ("hide_reply", "resolve", "stop"):
                if getattr(rule, key):
                    out[key] = True
            rules.append(out)
        return {"vips": sorted(self.vips), "rules": rules}


_WHEN = ("keywords", "authors", "vip", "min_followers", "sentiment_at_most", "languages")
_RULE = ("name", "when", "tags", "priority", "assign", "hide_reply", "resolve", "stop")


def _known(path: str, value: Mapping[str, object], allowed: Sequence[str]) -> None:
    unknown = sorted(str(k) for k in set(value) - set(allowed))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise _fail(where, f"unknown field (known: {', '.join(sorted(allowed))})")


def _strings(path: str, value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _fail(path, f"must be a list of strings, got {type(value).__name__}")
    for n, item in enumerate(value):
        if not isinstance(item, str):
            raise _fail(f"{path}[{n}]", f"must be a string, got {type(item).__name__}")
    return list(value)


def _build(path: str, make: type[object], options: Mapping[str, object]) -> object:
    try:
        return make(**options)
    except ConfigurationError as exc:
        message = str(exc)
        field = message.split(" ", 1)[0].rstrip(":")
        raise _fail(f"{path}.{field}" if field in options else path, message) from exc


def _condition(path: str, value: object) -> Condition:
    if value is None:
        return Condition()
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a mapping, got {type(value).__name__}")
    _known(path, value, _WHEN)
    options = dict(value)
    for key in ("keywords", "authors", "languages"):
        if key in options:
            options[key] = _strings(f"{path}.{key}", options[key])
    if "vip" in options and not isinstance(options["vip"], (bool, type(None))):
        raise _fail(f"{path}.vip", f"must be true, false or null, got {options['vip']!r}")
    return _build(path, Condition, options)  # type: ignore[return-value]


def _rule(path: str, value: object) -> DeskRule:
    if not isinstance(value, Mapping):
        raise _fail(path, f"must be a mapping, got {type(value).__name__}")
    _known(path, value, _RULE)
    if "name" not in value:
        raise _fail(f"{path}.name", "missing")
    options = dict(value)
    options["when"] = _condition(f"{path}.when", value.get("when"))
    if "tags" in options:
        options["tags"] = _strings(f"{path}.tags", options["tags"])
    return _build(path, DeskRule, options)  # type: ignore[return-value]


def _from_dict(data: Mapping[str, object], scorer: SentimentScorer | None) -> RuleSet:
    if not isinstance(data, Mapping):
        raise _fail("(rules)", f"must be a mapping, got {type(data).__name__}")
    _known("", data, ("rules", "vips"))
    vips = _strings("vips", data.get("vips", []))
    raw = data.get("rules", [])
    if isinstance(raw, (str, Mapping)) or not isinstance(raw, Sequence):
        raise _fail("rules", f"must be a list of rules, got {type(raw).__name__}")
    rules = [_rule(f"rules[{n}]", item) for n, item in enumerate(raw)]
    try:
        return RuleSet(rules=rules, vips=vips, scorer=scorer)
    except ConfigurationError as exc:
        raise _fail("rules", str(exc)) from exc
