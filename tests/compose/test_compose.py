"""compose_reply, compose_dm, truncate and split_thread: X's rules, policies, prices."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Any

import pytest

from socialcare import ManualClock, ReplyTooLongError, TemplateError
from socialcare.compose import (
    Budget,
    BudgetPolicy,
    PriceTable,
    Template,
    _fit,
    can_reply,
    compose_dm,
    compose_reply,
    split_thread,
    truncate,
)
from socialcare.models import Entities, MentionEntity, Post, ReferencedPost, User
from socialcare.text import extract_entities, parse_tweet

BRAND = User(id="1", username="acmehelp", name="Acme")
ANN = User(id="42", username="ann_k", name="Ann")
POST = Post(
    id="100",
    text="@acmehelp my parcel is late",
    author_id="42",
    conversation_id="100",
    entities=Entities(mentions=(MentionEntity(0, 9, "acmehelp", "1"),)),
)


def test_leading_auto_mentions_are_dropped_and_not_counted() -> None:
    draft = compose_reply(POST, "@ann_k @ANN_K @bob sorry about that", author=ANN, brand=BRAND)
    assert draft.text == "@bob sorry about that"
    assert draft.reply_mentions == ("ann_k",)
    assert draft.stored_text == "@ann_k @bob sorry about that"
    assert draft.length == parse_tweet("@bob sorry about that").weighted_length
    assert draft.sendable
    assert draft.permission is not None
    assert draft.permission.rule == "mentioned"


def test_a_url_counts_23_and_the_composer_says_so() -> None:
    url = "https://acme.com/" + "a" * 300
    draft = compose_reply(POST, f"Track it here: {url}")
    assert draft.length == len("Track it here: ") + 23
    assert draft.links[0].url == url
    assert draft.links[0].weighted_length == 23
    assert any("counts 23" in note for note in draft.notes)
    assert draft.price == Decimal("0.200")
    assert draft.price_items == ("post_with_url",)


def test_strict_raises_with_length_limit_overflow_and_where() -> None:
    body = "x" * 250 + " " + "y" * 40
    with pytest.raises(ReplyTooLongError) as info:
        compose_reply(POST, body)
    err = info.value
    assert (err.weighted_length, err.limit, err.overflow) == (291, 280, 11)
    assert err.fits_until == 280
    assert "11 over" in str(err)


def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    body = "word " * 100
    draft = compose_reply(POST, body, policy="truncate", signature="JD")
    assert draft.truncated
    assert draft.text.endswith("word\u2026 ^JD")
    assert draft.length <= 280
    assert parse_tweet(draft.text).valid


@pytest.mark.parametrize(
    "tail",
    [
        "https://acme.com/" + "p" * 40,
        "@someone_else",
        "#HashtagThatMatters",
        "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # family ZWJ sequence
        "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea",  # two flags
        "e\u0301e\u0301e\u0301",  # combining marks
    ],
)
def test_truncate_never_cuts_inside_an_entity_or_cluster(tail: str) -> None:
    for pad in range(230, 285):
        text = "w " * (pad // 2) + "w" * (pad % 2) + " " + tail + " more words after it"
        text = unicodedata.normalize("NFC", text)
        tail = unicodedata.normalize("NFC", tail)
        out = truncate(text, limit=280)
        assert parse_tweet(out).weighted_length <= 280
        kept = out.rstrip("\u2026").rstrip()
        assert text.startswith(kept)
        # the kept text ends at a boundary: the whole tail or none of it
        assert kept.split()[-1] in {"w", "ww", tail, "more", "words", "after", "it"}
        for e in extract_entities(kept).urls:
            assert kept[e.start : e.end] in text.split()


def test_a_word_longer_than_the_limit_is_cut_at_a_grapheme_boundary() -> None:
    text = "e\u0301" * 400
    out = truncate(text)
    assert parse_tweet(out).weighted_length <= 280
    assert not out.rstrip("\u2026").endswith("e")


def test_thread_parts_are_numbered_valid_and_chained() -> None:
    body = " ".join(f"sentence{i}" for i in range(120))
    draft = compose_reply(POST, body, policy="thread", signature="^JD")
    n = len(draft.parts)
    assert n > 1
    assert draft.is_thread
    for i, part in enumerate(draft.parts, start=1):
        assert part.text.endswith(f" {i}/{n} ^JD")
        assert part.length <= 280
        assert parse_tweet(part.text).valid
    assert draft.parts[0].in_reply_to == "100"
    assert all(p.replies_to_previous and p.in_reply_to is None for p in draft.parts[1:])
    joined = " ".join(p.text.rsplit(" ", 2)[0] for p in draft.parts)
    assert joined == body
    # part 1 is a summoned reply, later parts reply to the brand's own posts
    assert draft.price_items == ("summoned_reply", *["post"] * (n - 1))


def test_thread_numbering_widens_past_nine_parts() -> None:
    parts = split_thread("abcdefghij " * 400)
    assert len(parts) >= 10
    assert parts[-1].endswith(f" {len(parts)}/{len(parts)}")
    assert all(parse_tweet(p).weighted_length <= 280 for p in parts)


def test_templates_substitute_safely() -> None:
    saved = Template("Hi {name}, your order {order} is on its way {{really}}", name="shipping")
    assert saved.variables == {"name", "order"}
    text = saved.render(name="{order}", order="#123")
    assert text == "Hi {order}, your order #123 is on its way {really}"
    draft = compose_reply(POST, saved, variables={"name": "Ann", "order": "7"})
    assert draft.text.startswith("Hi Ann, your order 7")


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(TemplateError, match="'order'") as info:
        compose_reply(POST, Template("Hi {name} {order}", name="s"), variables={"name": "A"})
    assert info.value.variable == "order"
    assert "saved reply 's'" in str(info.value)


@pytest.mark.parametrize(
    ("source", "offset"), [("Hi {name", 3), ("Hi }", 3), ("Hi {1x}", 3), ("a {}", 2)]
)
def test_template_syntax_errors(source: str, offset: int) -> None:
    with pytest.raises(TemplateError) as info:
        Template(source)
    assert info.value.variable is None
    assert info.value.position == offset


def test_can_reply_reasons() -> None:
    assert can_reply(POST, BRAND).rule == "mentioned"
    plain = Post(id="5", text="my router is broken", author_id="42")
    verdict = can_reply(plain, BRAND)
    assert not verdict
    assert "neither mentioned nor quoted @acmehelp" in verdict.reason
    assert can_reply(plain, BRAND, enterprise=True).rule == "enterprise"
    own = Post(id="6", text="news", author_id="1")
    assert can_reply(own, BRAND).rule == "own_post"
    brand_post = Post(id="7", text="our news", author_id="1")
    quote = Post(id="8", text="look", author_id="42", referenced=(ReferencedPost("quoted", "7"),))
    assert can_reply(quote, BRAND, includes=[brand_post]).rule == "quoted"
    assert not can_reply(quote, BRAND)
    reply = Post(id="9", text="thanks", author_id="42", in_reply_to_user_id="1")
    verdict = can_reply(reply, BRAND)
    assert verdict.allowed
    assert not verdict.certain
    assert not can_reply(reply, BRAND, replies_summon=False)


def test_unsummoned_reply_is_not_sendable() -> None:
    plain = Post(id="5", text="my router is broken", author_id="42")
    draft = compose_reply(plain, "We can help", brand=BRAND)
    assert not draft.sendable
    assert "X would refuse the reply" in draft.reasons[0]


def test_empty_and_cashtag_problems() -> None:
    assert not compose_reply(POST, "   ").sendable
    draft = compose_reply(POST, "$AAPL or $MSFT?")
    assert any("cashtag" in r for r in draft.reasons)
    assert compose_reply(POST, "$AAPL or $MSFT?", enterprise=True).sendable


def test_links_move_to_the_follow_up_dm() -> None:
    draft = compose_reply(
        POST, "Sorry! Reset steps: https://acme.com/reset", links_to_dm=True, signature="JD"
    )
    assert draft.text == "Sorry! Reset steps ^JD"
    assert not draft.links
    assert draft.follow_up_dm is not None
    assert "https://acme.com/reset" in draft.follow_up_dm.text
    assert draft.price == Decimal("0.010") + Decimal("0.015")
    assert draft.price_items == ("summoned_reply", "dm")


def test_price_table_is_configurable() -> None:
    prices = PriceTable(summoned_reply="0.02")
    assert compose_reply(POST, "hi", prices=prices).price == Decimal("0.02")
    with pytest.raises(ValueError, match="price"):
        PriceTable(post="-1")


def test_budget_per_draft_refuses_or_warns() -> None:
    url_reply = "see https://acme.com/x"
    refuse = Budget(BudgetPolicy(per_draft="0.05"))
    draft = compose_reply(POST, url_reply, budget=refuse)
    assert not draft.sendable
    assert "per-draft cap" in draft.reasons[0]
    warn = Budget(BudgetPolicy(per_draft="0.05", action="warn"))
    draft = compose_reply(POST, url_reply, budget=warn)
    assert draft.sendable
    assert "per-draft cap" in draft.warnings[0]


def test_budget_per_conversation_and_per_day() -> None:
    clock = ManualClock(dt.datetime(2026, 3, 1, 23, 0, tzinfo=dt.timezone.utc))
    budget = Budget(BudgetPolicy(per_conversation="0.02", per_day="0.025"), clock=clock)
    first = compose_reply(POST, "one", budget=budget)
    assert first.sendable
    budget.spend(first.price, conversation_id=first.conversation_id)
    second = compose_reply(POST, "two", budget=budget)
    assert second.sendable
    budget.spend(second.price, conversation_id="100")
    assert budget.spent_in("100") == Decimal("0.020")
    third = compose_reply(POST, "three", budget=budget)
    assert any("per-conversation cap" in r for r in third.reasons)
    other = Post(id="200", text="@acmehelp hi", author_id="43", conversation_id="200")
    fourth = compose_reply(other, "four", budget=budget)
    assert any("per-day cap" in r for r in fourth.reasons)
    clock.advance(3600)  # a new UTC day
    assert budget.spent_today() == Decimal(0)
    assert compose_reply(other, "four", budget=budget).sendable


def test_dm_allows_10000_characters() -> None:
    assert compose_dm("a" * 10_000).length == 10_000
    with pytest.raises(ReplyTooLongError) as info:
        compose_dm("a" * 10_001)
    assert info.value.limit == 10_000
    cut = compose_dm("word " * 3000, policy="truncate", signature="JD")
    assert cut.length <= 10_000
    assert cut.text.endswith("\u2026 ^JD")
    assert cut.price == Decimal("0.015")


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="policy"):
        compose_reply(POST, "x", policy="cut")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="signature"):
        compose_reply(POST, "x", signature="J D")
    with pytest.raises(TypeError, match="to must be"):
        compose_reply([], "x")
    with pytest.raises(ValueError, match="limit"):
        compose_reply(POST, "x", limit=0)


def _measured_chars(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the characters fitting hands to the text engine, whichever way it weighs them."""
    tally = [0]
    for name in ("parse_tweet", "parse_with_urls", "weighted_length"):
        real = getattr(_fit, name)

        def counting(text: str, *args: object, _real: Any = real, **kw: object) -> object:
            tally[0] += len(text)
            return _real(text, *args, **kw)

        monkeypatch.setattr(_fit, name, counting)
    return tally


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "word " * (n // 5),
        lambda n: "a" * n,
        lambda n: ("https://acme.com/" + "p" * 200 + " ") * (n // 218),
        lambda n: "\U0001f469\u200d\U0001f469\u200d\U0001f467 " * (n // 6),
    ],
    ids=["words", "one_word", "long_urls", "emoji"],
)
@pytest.mark.parametrize("operation", ["truncate", "thread"])
def test_fitting_work_is_linear_on_1mb(make, operation: str, monkeypatch) -> None:
    tally = _measured_chars(monkeypatch)
    run = truncate if operation == "truncate" else split_thread
    counts = []
    for n in (250_000, 1_000_000):
        tally[0] = 0
        run(make(n))
        counts.append(tally[0])
    # 4x the input must cost about 4x the measuring work (a quadratic fit would be 16x)
    assert counts[1] <= 5 * max(counts[0], 1)
    assert counts[1] <= 16 * 1_000_000
