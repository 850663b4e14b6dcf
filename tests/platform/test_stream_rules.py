"""Filtered stream rules: kept in sync from queries, X's limits checked before any request."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from socialcare.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    StreamRuleError,
)
from socialcare.platforms.x import (
    MAX_RULE_LENGTH,
    MAX_RULES,
    UPDATE_STREAM_RULES,
    RulePlan,
    StreamRule,
    desired_rules,
    plan_rules,
)
from socialcare.query import Query, QuerySet
from socialcare.sandbox import Sandbox, SandboxOutcome, SandboxRequest
from socialcare.testing import OpenAPIContract


def _rule_posts(sandbox: Sandbox) -> list[str]:
    return [c.url for c in sandbox.calls if c.endpoint == UPDATE_STREAM_RULES.name]


@pytest.fixture
def checked(sandbox: Sandbox, x_contract: OpenAPIContract | None) -> Sandbox:
    """The sandbox, with every request body checked against X's OpenAPI document too."""
    if x_contract is not None:

        def check(exchange: SandboxRequest, outcome: SandboxOutcome) -> None:
            if outcome.endpoint:
                assert x_contract.check_request(exchange, outcome.endpoint) == []

        sandbox.observe(check)
    sandbox.add_user("acme")
    sandbox.add_user("ann")
    return sandbox


# ------------------------------------------------------------------ pure planning


def test_desired_rules_take_names_as_tags_and_render_queries() -> None:
    rules = desired_rules(
        QuerySet(
            {
                "outage": Query.mentioning("acme").any_of("down", "outage"),
                "refunds": "acme refund -is:retweet",
            }
        )
    )
    assert rules == (
        StreamRule("@acme (down OR outage)", tag="outage"),
        StreamRule("acme refund -is:retweet", tag="refunds"),
    )


def test_too_many_rules_or_too_long_a_rule_is_refused_before_any_request(
    checked: Sandbox,
) -> None:
    x = checked.platform()
    many = {f"r{i}": Query.terms(f"word{i}") for i in range(MAX_RULES + 1)}
    with pytest.raises(StreamRuleError, match="at most 1000"):
        x.sync_stream_rules(many)
    long_query = Query.any_of(*(f"term{i:04d}" for i in range(130)))
    assert len(long_query.render(max_length=None)) > MAX_RULE_LENGTH
    with pytest.raises(StreamRuleError, match="1024 per rule") as caught:
        x.sync_stream_rules({"long": long_query})
    assert caught.value.rule == "long"
    with pytest.raises(StreamRuleError, match="same value"):
        x.sync_stream_rules({"a": "acme", "b": Query.terms("acme")})
    with pytest.raises(StreamRuleError, match="rule 'bad'"):
        x.sync_stream_rules({"bad": "(acme"})
    with pytest.raises(StreamRuleError, match="X accepts 1 to 1024"):
        x.add_stream_rules([StreamRule("x" * (MAX_RULE_LENGTH + 1), tag="raw")])
    assert checked.calls == []  # nothing reached X


def test_plan_compares_by_value_and_tag() -> None:
    current = [
        StreamRule("@acme", tag="acme", id="1"),
        StreamRule("refund", tag="money", id="2"),
        StreamRule("stale", tag="old", id="3"),
        StreamRule("@acme", tag="acme", id="4"),  # a duplicate held twice: one goes
    ]
    wanted = [StreamRule("@acme", tag="acme"), StreamRule("refund", tag="refunds")]
    plan = plan_rules(current, wanted)
    assert [r.id for r in plan.keep] == ["1"]
    assert [r.id for r in plan.delete] == ["2", "3", "4"]  # a new tag means a new rule
    assert plan.add == (StreamRule("refund", tag="refunds"),)
    assert plan.changed
    assert not plan_rules(plan.keep, wanted[:1]).changed
    with pytest.raises(StreamRuleError):
        plan_rules([], [StreamRule(f"w{i}") for i in range(MAX_RULES + 1)])


# ------------------------------------------------------------- against the sandbox


def test_sync_adds_then_leaves_alone_then_deletes_and_adds(checked: Sandbox) -> None:
    x = checked.platform()
    first = x.sync_stream_rules({"acme": Query.mentioning("acme"), "refund": "refund"})
    assert [r.tag for r in first.created] == ["acme", "refund"]
    assert all(r.id for r in first.created)
    assert sorted(checked.stream_rules().values()) == [("@acme", "acme"), ("refund", "refund")]
    ids = {r.tag: r.id for r in x.stream_rules()}

    posts_before = len(_rule_posts(checked))
    again = x.sync_stream_rules({"acme": Query.mentioning("acme"), "refund": "refund"})
    assert not again.changed
    assert len(_rule_posts(checked)) == posts_before  # no POST when nothing changes

    last = x.sync_stream_rules({"acme": Query.mentioning("acme"), "late": "late order"})
    assert [r.tag for r in last.delete] == ["refund"]
    assert [r.tag for r in last.add] == ["late"]
    held = {r.tag: r.id for r in x.stream_rules()}
    assert held["acme"] == ids["acme"]  # the kept rule was not touched
    assert set(held) == {"acme", "late"}


def test_dry_run_validates_and_changes_nothing(checked: Sandbox) -> None:
    x = checked.platform()
    x.sync_stream_rules({"acme": "@acme"})
    before = checked.stream_rules()
    plan = x.sync_stream_rules({"refund": "refund"}, dry_run=True)
    assert plan.dry_run
    assert [r.tag for r in plan.delete] == ["acme"]
    assert [r.tag for r in plan.add] == ["refund"]
    assert plan.created == ()
    assert checked.stream_rules() == before
    assert all("dry_run=true" in url for url in _rule_posts(checked)[-2:])
    assert x.delete_stream_rules(list(before), dry_run=True) == 1
    assert checked.stream_rules() == before
    assert x.delete_stream_rules(list(before)) == 1
    assert checked.stream_rules() == {}


def test_sandbox_refuses_duplicates_and_invalid_rules_like_x(checked: Sandbox) -> None:
    x = checked.platform()
    x.add_stream_rules([StreamRule("@acme", tag="acme")])
    with pytest.raises(InvalidRequestError, match="DuplicateRule"):
        x.add_stream_rules([StreamRule("@acme", tag="again")])
    with pytest.raises(InvalidRequestError, match="UnprocessableEntity"):
        x.add_stream_rules([StreamRule("fine"), StreamRule("(broken")])
    assert list(checked.stream_rules().values()) == [("@acme", "acme")]  # none of a bad batch


def test_sandbox_rule_cap_and_authentication(new_sandbox: Callable[..., Sandbox]) -> None:
    import requests  # noqa: PLC0415 - the raw HTTP check below

    # Requests the client never sends (so no request-body check); answers still checked.
    checked = new_sandbox(users=["acme"])
    token = checked.credentials().bearer_token
    with checked.serve() as server, requests.Session() as http:
        auth = {"Authorization": f"Bearer {token}"}
        url = f"{server.url}/2/tweets/search/stream/rules"
        batch = {"add": [{"value": f"word{i}"} for i in range(MAX_RULES)]}
        assert http.post(url, json=batch, headers=auth, timeout=30).status_code == 200
        over = http.post(url, json={"add": [{"value": "one more"}]}, headers=auth, timeout=30)
        assert over.status_code == 400
        assert over.json()["title"] == "RuleCapExceeded"
        both = http.post(url, json={**batch, "delete": {"ids": ["1"]}}, headers=auth, timeout=30)
        assert both.status_code == 400
        emptied = http.post(url, params={"delete_all": "true"}, headers=auth, timeout=30)
        assert emptied.json()["meta"]["summary"]["deleted"] == MAX_RULES
    user = checked.platform("acme", app_reads=False)
    with pytest.raises(ConfigurationError, match="App Only"):
        user.stream_rules()
    checked.revoke(token)
    with pytest.raises(AuthenticationError):
        checked.platform().stream_rules()


def test_rule_plan_is_a_value() -> None:
    plan = RulePlan(add=(StreamRule("a", tag="a"),))
    assert plan == RulePlan(add=(StreamRule("a", tag="a"),))
    assert StreamRule.from_x(json.loads('{"id": "9", "value": "a", "tag": "t"}')).key == ("a", "t")
