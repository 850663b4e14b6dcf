"""EscalationPolicy: each rule, the combined decision, policies from data and their errors."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from socialcare import ConfigurationError
from socialcare.escalation import (
    ACTIONS,
    RULES,
    EscalationDecision,
    EscalationPolicy,
    KeywordRule,
    PrivateDataRule,
    Reason,
    RepeatContactRule,
    ReplyNotPermittedRule,
    SentimentRule,
    SentimentScorer,
    VaderScorer,
    VipRule,
)
from socialcare.models import Entities, MentionEntity, Post, User
from socialcare.privacy import PrivateDataGuard
from socialcare.threads import Threader

T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
BRAND = User(id="1", username="acmehelp", name="Acme")
ANN = User(id="42", username="ann_k", name="Ann", followers_count=120)
STAR = User(id="77", username="StarPower", name="Star", followers_count=2_500_000)


def mention(text: str, *, post_id: str = "10", author: str = "42", **fields: object) -> Post:
    """A customer post that mentions @acmehelp (so the brand may answer it)."""
    start = text.index("@acmehelp")
    entities = Entities(mentions=(MentionEntity(start, start + 9, "acmehelp", "1"),))
    return Post(id=post_id, text=text, author_id=author, entities=entities, **fields)


class Fixed:
    """A scorer that returns one score: the SentimentScorer plug-in point."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.seen: list[str] = []

    def score(self, text: str) -> float:
        self.seen.append(text)
        return self.value


def test_a_calm_summoning_post_is_not_escalated() -> None:
    decision = EscalationPolicy().decide(mention("@acmehelp where is my parcel?"), brand=BRAND)
    assert decision == EscalationDecision(escalate=False)
    assert not decision
    assert decision.action is None


def test_private_data_escalates_with_the_kinds_never_the_values() -> None:
    post = mention("@acmehelp refund to 4111 1111 1111 1111 or mail ann@example.com")
    decision = EscalationPolicy().decide(post, brand=BRAND)
    assert decision.escalate
    (reason,) = decision.reasons
    assert reason.rule == "private_data"
    assert "payment card number" in reason.detail
    assert "e-mail address" in reason.detail
    assert "4111" not in reason.detail
    assert "ann@" not in reason.detail
    assert decision.action == "public_then_dm"


def test_keywords_match_words_and_phrases_in_any_case() -> None:
    legal = KeywordRule(("lawyer", "data breach"), name="legal", action="human")
    policy = EscalationPolicy(keywords=(legal,))
    hit = policy.decide(mention("@acmehelp this is a DATA\n breach, my Lawyer will call"))
    assert hit.action == "human"
    assert hit.reasons == (
        Reason("keyword", "legal: the post says 'data breach', 'lawyer'", "human"),
    )
    assert policy.decide(mention("@acmehelp lawyers everywhere")).escalate is False
    assert policy.decide(mention("@acmehelp #lawyer")).escalate is False


def test_keyword_detail_lists_each_word_once() -> None:
    rule = KeywordRule(("sue",))
    reason = rule.check("I will sue, I will SUE")
    assert reason is not None
    assert reason.detail == "keyword: the post says 'sue'"


def test_sentiment_uses_the_scorer_and_threshold() -> None:
    upset = Fixed(-0.8)
    policy = EscalationPolicy(sentiment=SentimentRule(threshold=-0.6, scorer=upset))
    decision = policy.decide(mention("@acmehelp I am furious"))
    assert decision.rules == ("sentiment",)
    assert "-0.80" in decision.reasons[0].detail
    assert upset.seen == ["@acmehelp I am furious"]
    calm = EscalationPolicy(sentiment=SentimentRule(threshold=-0.6, scorer=Fixed(-0.59)))
    assert not calm.decide(mention("@acmehelp meh"))
    assert isinstance(upset, SentimentScorer)


def test_vader_scores_real_anger_below_calm() -> None:
    pytest.importorskip("vaderSentiment")
    vader = VaderScorer()
    angry = vader.score("@acmehelp worst service ever, I am furious and disgusted, never again")
    calm = vader.score("@acmehelp thanks, that fixed it!")
    assert -1.0 <= angry < -0.6 < 0.0 < calm <= 1.0
    assert vader.score("") == 0.0
    policy = EscalationPolicy(sentiment=SentimentRule())  # VaderScorer by default
    assert policy.decide(mention("@acmehelp worst service ever, I am furious")).escalate


def test_sentiment_without_vader_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    with pytest.raises(ConfigurationError, match=r"socialcare\[sentiment\]"):
        SentimentRule()
    with pytest.raises(ConfigurationError, match=r"sentiment.*socialcare\[sentiment\]"):
        EscalationPolicy.from_dict({"sentiment": {"threshold": -0.5}})
    # a scorer of one's own needs no extra
    assert EscalationPolicy.from_dict({"sentiment": True}, scorer=Fixed(0.0)).sentiment


def test_vip_list_and_follower_threshold() -> None:
    policy = EscalationPolicy(
        vip=VipRule(usernames=("@starpower",), user_ids=("99",), min_followers=1000, action="human")
    )
    by_name = policy.decide(mention("@acmehelp hi", author="77"), author=STAR)
    assert by_name.rules == ("vip",)
    assert by_name.action == "human"
    by_id = policy.decide(mention("@acmehelp hi", author="99"))
    assert by_id.rules == ("vip",)
    big = User(id="5", username="big", name="Big", followers_count=1000)
    assert policy.decide(mention("@acmehelp hi", author="5"), author=big).rules == ("followers",)
    assert not policy.decide(mention("@acmehelp hi"), author=ANN)
    unknown = User(id="6", username="new", name="New")  # no public_metrics
    assert not policy.decide(mention("@acmehelp hi", author="6"), author=unknown)


def test_repeat_contact_counts_conversations_in_the_window() -> None:
    rule = RepeatContactRule(min_contacts=3, window=dt.timedelta(days=7))
    policy = EscalationPolicy(repeat_contact=rule)
    post = mention("@acmehelp again", post_id="30", created_at=T0, conversation_id="30")
    history = [
        Post(
            id="20",
            text="a",
            author_id="42",
            created_at=T0 - dt.timedelta(days=2),
            conversation_id="20",
        ),
        Post(
            id="21",
            text="b",
            author_id="42",
            created_at=T0 - dt.timedelta(days=2),
            conversation_id="20",
        ),
        Post(
            id="11",
            text="c",
            author_id="42",
            created_at=T0 - dt.timedelta(days=6),
            conversation_id="11",
        ),
        Post(
            id="5",
            text="old",
            author_id="42",
            created_at=T0 - dt.timedelta(days=9),
            conversation_id="5",
        ),
        Post(
            id="6",
            text="other",
            author_id="43",
            created_at=T0 - dt.timedelta(days=1),
            conversation_id="6",
        ),
        Post(id="7", text="untimed", author_id="42", conversation_id="7"),
    ]
    decision = policy.decide(post, history=history)
    assert decision.rules == ("repeat_contact",)
    assert decision.reasons[0].detail == ("3 conversations by the customer in 7 days (threshold 3)")
    assert not policy.decide(post, history=history[2:])  # 2 conversations only
    by_posts = EscalationPolicy(repeat_contact=RepeatContactRule(min_contacts=4, count="posts"))
    assert by_posts.decide(post, history=history).escalate  # 30, 20, 21, 11


def test_repeat_contact_reads_the_thread_and_now() -> None:
    threader = Threader(brands={"1"})
    first = Post(
        id="1000", text="@acmehelp help", author_id="42", conversation_id="1000", created_at=T0
    )
    second = Post.from_x(
        {
            "id": "1002",
            "text": "@acmehelp still broken",
            "author_id": "42",
            "conversation_id": "1000",
            "created_at": "2026-11-30T13:00:00.000Z",
            "referenced_tweets": [{"type": "replied_to", "id": "1000"}],
        }
    )
    threader.ingest([first, second])
    thread = threader.thread("1000")
    post = Post(id="1004", text="@acmehelp hello?", author_id="42", conversation_id="1000")
    policy = EscalationPolicy(repeat_contact=RepeatContactRule(min_contacts=3, count="posts"))
    assert policy.decide(post, thread=thread, now=T0 + dt.timedelta(hours=2)).escalate
    assert not policy.decide(post, thread=thread)  # no time: nothing to count against


def test_reply_not_permitted_asks_for_a_dm_or_a_person() -> None:
    unsummoned = Post(id="50", text="acme broke my router again", author_id="42")
    decision = EscalationPolicy().decide(unsummoned, brand=BRAND)
    assert decision.rules == ("reply_not_permitted",)
    assert decision.action == "dm"
    human = EscalationPolicy(reply_not_permitted=ReplyNotPermittedRule(action="human"))
    assert human.decide(unsummoned, brand=BRAND).action == "human"
    enterprise = EscalationPolicy(reply_not_permitted=ReplyNotPermittedRule(enterprise=True))
    assert not enterprise.decide(unsummoned, brand=BRAND)
    assert not EscalationPolicy().decide(unsummoned)  # no brand: the rule cannot tell


def test_the_strongest_action_wins_and_reasons_keep_policy_order() -> None:
    policy = EscalationPolicy(
        keywords=(KeywordRule(("cancel",), name="churn"),),
        sentiment=SentimentRule(scorer=Fixed(-0.9)),
    )
    post = Post(id="51", text="cancel it, card 4111111111111111", author_id="42")
    decision = policy.decide(post, brand=BRAND)
    assert decision.rules == ("private_data", "keyword", "sentiment", "reply_not_permitted")
    assert decision.action == "dm"  # no public reply is permitted
    assert ACTIONS == ("public_then_dm", "dm", "human")
    assert set(decision.rules) <= set(RULES)


def test_the_brands_own_posts_are_never_escalated() -> None:
    own = Post(id="52", text="card 4111111111111111", author_id="1")
    assert not EscalationPolicy().decide(own, brand=BRAND)


def test_rules_can_be_turned_off() -> None:
    policy = EscalationPolicy(private_data=None, reply_not_permitted=None)
    post = Post(id="53", text="card 4111111111111111", author_id="42")
    assert not policy.decide(post, brand=BRAND)


def test_long_posts_are_read_whole() -> None:
    note = Post.from_x(
        {
            "id": "54",
            "text": "@acmehelp my account...",
            "author_id": "42",
            "note_tweet": {"text": "@acmehelp my account number is locked, password: Hunter2!"},
        }
    )
    assert EscalationPolicy().decide(note).rules == ("private_data",)


POLICY = {
    "private_data": {"action": "dm", "kinds": ["card", "email"], "phone_regions": ["GB"]},
    "keywords": [
        {"name": "legal", "keywords": ["lawyer", "sue"], "action": "human"},
        {"keywords": ["cancel my account"]},
    ],
    "sentiment": {"threshold": -0.5},
    "vip": {"usernames": ["StarPower"], "min_followers": 100000, "action": "human"},
    "repeat_contact": {"min_contacts": 2, "window_hours": 48, "count": "posts"},
    "reply_not_permitted": {"action": "human"},
}


def test_a_policy_from_plain_data() -> None:
    policy = EscalationPolicy.from_dict(POLICY, scorer=Fixed(0.0))
    assert policy.private_data is not None
    assert policy.private_data.action == "dm"
    assert policy.private_data.guard.kinds == frozenset({"card", "email"})
    assert [k.name for k in policy.keywords] == ["legal", "keyword"]
    assert policy.sentiment is not None
    assert policy.sentiment.threshold == -0.5
    assert policy.vip == VipRule(usernames=("starpower",), min_followers=100000, action="human")
    assert policy.repeat_contact == RepeatContactRule(
        min_contacts=2, window=dt.timedelta(hours=48), count="posts"
    )
    assert policy.reply_not_permitted == ReplyNotPermittedRule(action="human")
    # the guard's kinds are what the data says: a phone number is not private data here
    assert not policy.decide(mention("@acmehelp call 020 7946 0958"), brand=BRAND)


def test_to_dict_round_trips() -> None:
    policy = EscalationPolicy.from_dict(POLICY, scorer=Fixed(0.0))
    again = EscalationPolicy.from_dict(policy.to_dict(), scorer=Fixed(0.0))
    assert again.to_dict() == policy.to_dict()
    assert again.keywords == policy.keywords
    assert again.vip == policy.vip
    assert again.repeat_contact == policy.repeat_contact
    assert EscalationPolicy.from_dict(EscalationPolicy().to_dict()).to_dict() == (
        EscalationPolicy().to_dict()
    )


def test_defaults_and_switches_from_data() -> None:
    assert EscalationPolicy.from_dict({}) == EscalationPolicy()
    off = EscalationPolicy.from_dict({"private_data": False, "reply_not_permitted": None})
    assert off.private_data is None
    assert off.reply_not_permitted is None
    on = EscalationPolicy.from_dict({"vip": True, "repeat_contact": True})
    assert on.vip == VipRule()
    assert on.repeat_contact == RepeatContactRule()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"privacy": {}}, "privacy: unknown rule"),
        ({"private_data": {"kinds": ["cards"]}}, "private_data.kinds"),
        ({"private_data": {"kinds": "card"}}, "private_data.kinds"),
        ({"private_data": {"action": "email"}}, "private_data.action"),
        ({"private_data": {"national_ids": ["xx.none"]}}, "private_data"),
        ({"private_data": {"colour": 1}}, "private_data.colour"),
        ({"private_data": 3}, "private_data: must be a mapping"),
        ({"keywords": {"name": "x"}}, "keywords: must be a list"),
        ({"keywords": [{"name": "legal"}]}, "keywords[0].keywords: missing"),
        ({"keywords": [{"keywords": []}]}, "keywords[0].keywords"),
        ({"keywords": [{"keywords": ["a", 3]}]}, "keywords[0].keywords[1]"),
        ({"keywords": [{"keywords": ["a"], "action": "shout"}]}, "keywords[0].action"),
        ({"sentiment": {"threshold": -2}}, "sentiment.threshold"),
        ({"sentiment": {"threshold": "low"}}, "sentiment.threshold"),
        ({"vip": {"min_followers": -1}}, "vip.min_followers"),
        ({"vip": {"usernames": "ann"}}, "vip.usernames"),
        ({"repeat_contact": {"min_contacts": 1}}, "repeat_contact.min_contacts"),
        ({"repeat_contact": {"window_hours": 0}}, "repeat_contact.window_hours"),
        ({"repeat_contact": {"count": "days"}}, "repeat_contact.count"),
        ({"reply_not_permitted": {"action": "public_then_dm"}}, "reply_not_permitted.action"),
        ({"reply_not_permitted": {"enterprise": "yes"}}, "reply_not_permitted.enterprise"),
    ],
)
def test_bad_data_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EscalationPolicy.from_dict(data, scorer=Fixed(0.0))
    assert str(caught.value).startswith(f"escalation policy: {field}"), str(caught.value)


def test_rules_check_their_own_values() -> None:
    with pytest.raises(ConfigurationError, match="action"):
        KeywordRule(("x",), action="later")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="keyword"):
        KeywordRule(())
    with pytest.raises(ConfigurationError, match="window"):
        RepeatContactRule(window=dt.timedelta(0))
    with pytest.raises(ConfigurationError, match="scorer"):
        SentimentRule(scorer=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="KeywordRule"):
        EscalationPolicy(keywords=("lawyer",))  # type: ignore[arg-type]
    assert PrivateDataRule(PrivateDataGuard(kinds=("email",))).check("4111111111111111") is None
