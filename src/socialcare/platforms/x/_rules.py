"""Filtered stream rules: values, X's limits, and the plan that syncs them from queries.

A rule is a query in X syntax (``value``) and an optional ``tag`` that comes back
with every matching post (``matching_rules``). socialcare keeps the app's rules in
sync with a mapping of name to :class:`~socialcare.query.Query` (a
:class:`~socialcare.query.QuerySet` is one): each name becomes the tag, each query
rendered in X syntax the value. :func:`plan_rules` compares what X holds with what
is wanted, by value *and* tag, and says what to delete and what to add; nothing here
does I/O (``XPlatform.sync_stream_rules`` sends the plan).

X's limits (``x-api/constraints.md``, 2026 pay-per-use/self-serve): 1,000 rules per
app and 1,024 characters per rule. They are checked before any request, with
:class:`~socialcare.errors.StreamRuleError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from socialcare.errors import PayloadError, QueryError, StreamRuleError
from socialcare.query import Query

__all__ = [
    "MAX_RULES",
    "MAX_RULE_LENGTH",
    "MAX_TAG_LENGTH",
    "RulePlan",
    "StreamRule",
    "desired_rules",
    "plan_rules",
]

MAX_RULES = 1000
"""Rules an app may hold on the filtered stream (self-serve, 2026)."""

MAX_RULE_LENGTH = 1024
"""The longest rule value X accepts (self-serve, 2026), in characters."""

MAX_TAG_LENGTH = 256
"""The longest tag socialcare sends (X does not publish one; tags are names)."""


@attrs.frozen
class StreamRule:
    """One filtered stream rule.

    Attributes:
        value: the rule in X's query syntax.
        tag: the label X returns with matching posts (socialcare: the query's name).
        id: X's id for the rule (``None`` for a rule not yet created).
    """

    value: str
    tag: str | None = None
    id: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        """What identifies a rule when syncing: its value and its tag."""
        return (self.value, self.tag)

    @classmethod
    def from_x(cls, raw: object, *, path: str = "rule") -> StreamRule:
        """A rule from X's JSON (``{"id", "value", "tag"}``).

        Raises:
            PayloadError: not a rule object.
        """
        if not isinstance(raw, Mapping):
            raise PayloadError("expected a rule object", field=path)
        value, tag, rule_id = raw.get("value"), raw.get("tag"), raw.get("id")
        if not isinstance(value, str):
            raise PayloadError("expected a string", field=f"{path}.value")
        if tag is not None and not isinstance(tag, str):
            raise PayloadError("expected a string", field=f"{path}.tag")
        if rule_id is not None and not isinstance(rule_id, str):
            raise PayloadError("expected a string", field=f"{path}.id")
        return cls(value=value, tag=tag, id=rule_id)

    def to_x(self) -> dict[str, Any]:
        """The rule as X's ``add`` array takes it (no id)."""
        out: dict[str, Any] = {"value": self.value}
        if self.tag is not None:
            out["tag"] = self.tag
        return out


@attrs.frozen
class RulePlan:
    """What syncing the stream's rules does: delete some, add others, keep the rest.

    Attributes:
        delete: rules X holds that are not wanted (with their ids).
        add: wanted rules X does not hold.
        keep: rules X holds that are wanted as they are.
        dry_run: whether X was only asked to validate (nothing changed).
        created: rules X created (with their new ids); empty before sending or on a dry run.
    """

    delete: tuple[StreamRule, ...] = ()
    add: tuple[StreamRule, ...] = ()
    keep: tuple[StreamRule, ...] = ()
    dry_run: bool = False
    created: tuple[StreamRule, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the plan deletes or adds anything."""
        return bool(self.delete or self.add)


def _rule_value(name: str, query: Query | str, max_length: int) -> str:
    try:
        parsed = Query.parse(query) if isinstance(query, str) else query
        value = parsed.render(max_length=None)
    except QueryError as exc:
        msg = f"stream rule {name[:60]!r}: {exc}"
        raise StreamRuleError(msg, rule=name) from None
    if len(value) > max_length:
        msg = (
            f"stream rule {name[:60]!r} is {len(value)} characters; X accepts at most "
            f"{max_length} per rule (split the query, for example with Query.pack)"
        )
        raise StreamRuleError(msg, rule=name)
    return value


def desired_rules(
    queries: Mapping[str, Query | str],
    *,
    max_rules: int = MAX_RULES,
    max_rule_length: int = MAX_RULE_LENGTH,
) -> tuple[StreamRule, ...]:
    """The rules for ``queries``: each name is the tag, each query rendered the value.

    Args:
        queries: rule name to query (a ``QuerySet``, a dict of ``Query`` or X syntax).
        max_rules: X's limit on rules per app.
        max_rule_length: X's limit on characters per rule.

    Raises:
        StreamRuleError: more rules than ``max_rules``; a query longer than
            ``max_rule_length`` or invalid; a tag empty or too long; two names whose
            queries render the same value and tag (named in the message).
    """
    if len(queries) > max_rules:
        msg = (
            f"{len(queries)} stream rules; X accepts at most {max_rules} per app "
            "(combine queries with OR, or pack terms with Query.pack)"
        )
        raise StreamRuleError(msg)
    rules: list[StreamRule] = []
    for name, query in queries.items():
        if not 1 <= len(name) <= MAX_TAG_LENGTH:
            msg = f"stream rule names are tags of 1 to {MAX_TAG_LENGTH} characters, got {name!r}"
            raise StreamRuleError(msg, rule=str(name))
        rules.append(StreamRule(_rule_value(name, query, max_rule_length), tag=name))
    values: dict[str, str] = {}
    for rule in rules:
        other = values.setdefault(rule.value, rule.tag or "")
        if other != rule.tag:
            msg = (
                f"stream rules {other[:60]!r} and {(rule.tag or '')[:60]!r} have the same "
                f"value {rule.value[:80]!r}; X keeps one rule per value"
            )
            raise StreamRuleError(msg, rule=rule.tag)
    return tuple(rules)


def plan_rules(
    current: Iterable[StreamRule],
    desired: Iterable[StreamRule],
    *,
    max_rules: int = MAX_RULES,
) -> RulePlan:
    """Compare the rules X holds with the wanted ones, by value and tag.

    A rule whose value is wanted under another tag is deleted and added again (X
    cannot change a rule's tag). Deletions go first when sent, so the count never
    exceeds ``max_rules`` on the way.

    Raises:
        StreamRuleError: the wanted rules exceed ``max_rules``.
    """
    wanted = list(dict.fromkeys(desired))
    if len(wanted) > max_rules:
        msg = f"{len(wanted)} stream rules; X accepts at most {max_rules} per app"
        raise StreamRuleError(msg)
    wanted_keys = {rule.key for rule in wanted}
    held: dict[tuple[str, str | None], StreamRule] = {}
    delete: list[StreamRule] = []
    for rule in current:
        if rule.key in wanted_keys and rule.key not in held:
            held[rule.key] = rule
        else:
            delete.append(rule)
    add = [rule for rule in wanted if rule.key not in held]
    keep = [held[rule.key] for rule in wanted if rule.key in held]
    return RulePlan(delete=tuple(delete), add=tuple(add), keep=tuple(keep))
