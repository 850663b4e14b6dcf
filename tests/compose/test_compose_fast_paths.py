"""The composer's fast paths give what the plain computations give.

``compose_reply`` weighs a draft once (``parse_or_weigh``), builds drafts without going
through ``__init__``, caches the reply context per replied-to post, and ``parse_tweet``
weighs the text before the cut in chunks. Each is compared here with the plain way.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from decimal import Decimal

import attrs
import pytest
from tests.compose.test_compose import ANN, BRAND
from tests.compose.test_compose import POST as ASKED
from tests.conftest import shared_path

from socialcare.compose import Draft, DraftPart, LinkUse, can_reply, compose_reply
from socialcare.compose import _draft as draft_module
from socialcare.compose._fit import Measure, Spans, fit_cut, tweet_measure
from socialcare.models import Post, User
from socialcare.text import (
    V1,
    V2,
    V3,
    TextConfig,
    extract_entities,
    extract_urls_with_indices,
    parse_tweet,
)
from socialcare.text._parse import _INVALID, parse_or_weigh, parse_with_urls, weighted_length


def _care_texts(count: int) -> list[str]:
    path = shared_path("data", "twcs", "twcs_prefix_5000.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row, _ in zip(csv.DictReader(f), range(count), strict=False)]


def _reference_fits(text: str, config: TextConfig) -> int:
    """``valid_range_end`` by the plain walk: one code point at a time (ASCII, no entity)."""
    running = 0
    last = 0
    for i, ch in enumerate(text):
        running += config.weight_of(ord(ch))
        if running > config.max_weighted_tweet_length * config.scale:
            break
        last = i
    return last


@pytest.mark.parametrize("config", [V1, V2, V3])
@pytest.mark.parametrize("length", [141, 279, 281, 300, 1000, 5000])
def test_the_chunked_walk_stops_where_the_plain_walk_does(config: TextConfig, length: int) -> None:
    for pattern in ("ab c", "a\u00e9\u4e2d ", "x" * 31 + "\u4e2d"):
        text = (pattern * length)[:length]
        if not text.isascii() and config is V1:
            continue
        parsed = parse_tweet(text, config=config)
        if parsed.weighted_length <= config.max_weighted_tweet_length:
            assert parsed.valid_range_end == len(text) - 1
        else:
            assert parsed.valid_range_end == _reference_fits(text, config), (pattern, length)


def test_an_invalid_character_inside_a_chunk_stops_the_walk_there() -> None:
    text = "a" * 300 + " https://example.com/x"
    for at in (0, 5, 31, 32, 33, 200, 279, 285):
        bad = text[:at] + "\ufeff" + text[at + 1 :]
        parsed = parse_tweet(bad)
        assert not parsed.valid
        assert parsed.valid_range_end == max(min(at - 1, 279), 0)


def test_parse_with_urls_is_parse_tweet_and_the_url_extractor() -> None:
    texts = [
        *_care_texts(400),
        "caf\u0065\u0301 see example.com",  # not NFC: URLs are not handed over
        "caf\u00e9 see https://example.com/a and t.co/x",
        "a" * 400 + " example.com",
    ]
    for text in texts:
        parsed, urls = parse_with_urls(text)
        assert parsed == parse_tweet(text)
        if urls is None:
            assert text != unicodedata.normalize("NFC", text)
        else:
            assert [(u.url, u.start, u.end) for u in urls] == [
                (u.url, u.start, u.end) for u in extract_urls_with_indices(text)
            ]


@pytest.mark.parametrize("config", [V1, V2, V3])
def test_weighing_is_parse_tweet_without_the_parse(config: TextConfig) -> None:
    """Weighing: the length when the text is valid but for its length, else the parse."""
    texts = [
        *(unicodedata.normalize("NFC", t) for t in _care_texts(400)),
        "",
        "   ",
        "a" * 281,
        "\u4e2d" * 141,
        "caf\u00e9 see https://example.com/a and t.co/x " * 12,
        "ok \ufeff",
        "\ufffe" + "a" * 300,
        "\U0001f469\u200d\U0001f469\u200d\U0001f467 " * 60,
    ]
    for text in texts:
        weighed, urls = parse_or_weigh(text, config, True, False)
        assert urls is not None
        parsed = parse_tweet(text, config=config)
        clean = parsed.weighted_length > 0 and not _INVALID.search(text)
        if clean:
            assert weighed == parsed.weighted_length, text
            assert (weighed <= config.max_weighted_tweet_length) == parsed.valid
        else:
            assert weighed == parsed, text
        assert weighted_length(text, config) == parsed.weighted_length
        assert [(u.url, u.start, u.end) for u in urls] == [
            (u.url, u.start, u.end) for u in extract_urls_with_indices(text)
        ]


@pytest.mark.parametrize("signature", [["JD"], 7, b"JD"])
def test_a_signature_that_is_not_a_str_is_named(signature: object) -> None:
    with pytest.raises(TypeError, match="signature must be a str"):
        compose_reply(ASKED, "thanks", signature=signature)  # type: ignore[arg-type]


def test_a_draft_links_are_the_urls_x_reports() -> None:
    """``_links`` (the parse's URLs, looked behind only when a URL follows no whitespace)
    gives what ``extract_entities`` reports: a mention, hashtag or cashtag that overlaps
    a URL hides it."""
    crafted = [  # a hashtag or full-width mention that runs into a URL hides it
        "hi #tag\u00e9acme.com ok and https://acme.com/q",
        "hi \uff20annt.co/abc ok \uff20ann-acme.com (https://acme.com/r)",
        "#t\u00e9www.acme.com\u3000acme.com/s",
    ]
    for text in [*_care_texts(400), "see https://acme.com/a and\nhttps://acme.com/b", *crafted]:
        _, urls = parse_with_urls(text)
        expected = [(u.url, u.start, u.end) for u in extract_entities(text).urls]
        links = draft_module._links(text, V3, urls)
        assert [(u.url, u.start, u.end) for u in links] == expected, text
        assert all(u.weighted_length == 23 for u in links)
    for text in crafted:  # each does hide one, and keeps another
        found = [(u.url, u.start) for u in extract_urls_with_indices(text)]
        kept = [(u.url, u.start) for u in extract_entities(text).urls]
        assert 0 < len(kept) < len(found), text


def test_signatures_are_nfc_like_the_text() -> None:
    decomposed = compose_reply(ASKED, "thanks", signature="^Je\u0301")
    composed = compose_reply(ASKED, "thanks", signature="^J\u00e9")
    assert decomposed.text == composed.text == "thanks ^J\u00e9"
    assert decomposed == composed


@pytest.mark.parametrize(
    ("body", "text", "dropped"),
    [
        ("@ann_k hi", "hi", 1),
        ("@bob @carol hi", "@bob @carol hi", 0),  # two new handles: kept as they are
        ("@bob @BOB hi", "@bob hi", 1),
        ("@bob @ann_k hi", "@bob hi", 1),
        ("@ann_k @bob hi", "@bob hi", 1),
        ("@bob @carol @dave hi", "@bob @carol @dave hi", 0),
        ("@bob @carol @Bob hi", "@bob @carol hi", 1),
        ("@bob @carol @ann_k hi", "@bob @carol hi", 1),
    ],
)
def test_leading_mentions_two_and_three(body: str, text: str, dropped: int) -> None:
    draft = compose_reply(ASKED, body, author=ANN, brand=BRAND)
    assert draft.text == text
    assert len([n for n in draft.notes if n.startswith("dropped leading")]) == dropped


def test_drafts_built_directly_equal_drafts_built_by_init() -> None:
    part = draft_module._new_part(
        "hi", 2, 280, links=(LinkUse("a.co", 0, 4, 23),), in_reply_to="1", index=0
    )
    assert part == DraftPart("hi", 2, 280, (LinkUse("a.co", 0, 4, 23),), "1", 0)
    link = draft_module._link_use("a.co", 0, 4, 23)
    assert link == LinkUse("a.co", 0, 4, 23)
    assert hash(link) == hash(LinkUse("a.co", 0, 4, 23))
    assert repr(link) == repr(LinkUse("a.co", 0, 4, 23))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        link.start = 1  # type: ignore[misc]
    assert set(vars(part)) == {f.name for f in attrs.fields(DraftPart)}
    # what compose_reply builds in place: a fitting draft (its part too) and a thread
    fitting = compose_reply(ASKED, "see https://acme.com/x", author=ANN, brand=BRAND)
    thread = compose_reply(ASKED, "word " * 80, policy="thread")
    for built in (fitting, thread):
        fields = vars(built)
        assert set(fields) == {f.name for f in attrs.fields(Draft)}
        assert built == Draft(**fields)
        assert hash(built) == hash(Draft(**fields))
        for made in built.parts:
            assert set(vars(made)) == {f.name for f in attrs.fields(DraftPart)}
            assert made == DraftPart(**vars(made))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            built.kind = "dm"  # type: ignore[misc]
    assert fitting.links
    assert thread.is_thread


def _reference_strip(text: str, seen: set[str]) -> tuple[str, list[str]]:
    """Leading mentions one at a time: a handle already seen (or auto-populated) is dropped."""
    kept: list[str] = []
    dropped: list[str] = []
    rest = text
    while m := re.match(r"\s*@([A-Za-z0-9_]{1,20})(?![A-Za-z0-9_@])", rest):
        (dropped if m.group(1).lower() in seen else kept).append(m.group(1))
        seen.add(m.group(1).lower())
        rest = rest[m.end() :]
    if not dropped:
        return text, []
    return " ".join([*(f"@{h}" for h in kept), rest.strip()]).strip(), dropped


def test_composing_real_care_texts_matches_the_plain_computation() -> None:
    """A sample of drafts against what each rule gives when computed on its own."""
    for text in _care_texts(300):
        draft = compose_reply(ASKED, text, author=ANN, brand=BRAND, signature="JD", policy="thread")
        assert draft.reply_mentions == ("ann_k",)
        assert draft.permission == can_reply(ASKED, BRAND)
        for part in draft.parts:
            parsed = parse_tweet(part.text)
            assert part.length == parsed.weighted_length <= 280
            assert part.text.endswith(" ^JD")
            assert [(u.url, u.start, u.end) for u in part.links] == [
                (u.url, u.start, u.end) for u in extract_urls_with_indices(part.text)
            ]
        expected = sum(
            (Decimal("0.2") if p.links else Decimal("0.01") if p.index == 0 else Decimal("0.015"))
            for p in draft.parts
        )
        assert draft.price == expected
        body, dropped = _reference_strip(text.strip(), {"ann_k"})
        assert bool(dropped) == any(n.startswith("dropped leading") for n in draft.notes)
        if not draft.is_thread:
            assert draft.text == body + " ^JD"


def test_the_reply_context_cache_follows_the_post_and_brand() -> None:
    other_brand = User(id="9", username="otherco", name="Other")
    first = compose_reply(ASKED, "hello", author=ANN, brand=BRAND)
    assert first.sendable
    refused = compose_reply(ASKED, "hello", author=ANN, brand=other_brand)
    assert not refused.sendable
    assert refused.permission is not None
    assert refused.permission.rule == "not_summoned"
    again = compose_reply(ASKED, "hello", author="@bob", brand=BRAND)
    assert again.reply_mentions == ("bob",)
    # an equal but distinct post gives the same answer
    twin = attrs.evolve(ASKED)
    assert compose_reply(twin, "hello", author=ANN, brand=BRAND) == first
    # with other posts involved (a thread) nothing is cached and the rule still decides
    own = Post(id="5", text="our post", author_id="1", conversation_id="5")
    assert compose_reply([own, ASKED], "hi", brand=BRAND).permission == first.permission
    assert compose_reply([ASKED, own], "hi", brand=BRAND).permission.rule == "own_post"  # type: ignore[union-attr]


def test_entity_spans_are_those_of_extract_entities() -> None:
    texts = [
        *_care_texts(400),
        "@ann/list-one and @bob #tag $ACME example.com/#x rt:@carol",
        "##tag #1 #a\u20e3 \uff03full @@x @x@y",
        "\x1c$ACME \u3000#tag\u3000@ann \ufeff$X x\u2028http://a.co/b,c RT:@x rt @y",
        ("$A #b @c d.co/e " * 40).replace(" ", "\u00a0"),
    ]
    for text in texts:
        entities = extract_entities(text)
        expected = sorted(
            (e.start, e.end)
            for group in (entities.urls, entities.mentions, entities.hashtags, entities.cashtags)
            for e in group
        )
        spans = Spans(text)  # found word by word, on demand: every position asked
        for i in range(len(text) + 1):
            inside = [(start, end) for start, end in expected if start < i < end]
            assert spans.around(i) == (inside[0] if inside else None), (text, i)
        backwards = Spans(text)  # the same answers whatever order the words are looked at
        for i in reversed(range(len(text) + 1)):
            assert backwards.around(i) == spans.around(i), (text, i)


def test_the_one_mention_shortcut_strips_as_the_plain_way() -> None:
    texts = [
        *_care_texts(400),
        "@ann_k thanks",
        "@Ann_K @ann_k @bob hi",
        "  @bob @BOB hi",
        "@bob",
        "\uff20ann_k hi",
        "@ann_k@x hi",
        "hi @ann_k",
    ]
    for text in texts:
        draft = compose_reply(ASKED, text, author=ANN, brand=BRAND, policy="thread")
        body, dropped = draft_module._strip_reply_mentions(text.strip(), ("ann_k",))
        assert bool(dropped) == any(n.startswith("dropped leading") for n in draft.notes)
        if not draft.is_thread:
            assert draft.text == body, text


def _last_whitespace_cut(text: str, room: int, measure: Measure) -> int | None:
    """The plain answer: the last whitespace position whose prefix fits ``room``."""
    first = len(text) - len(text.lstrip())
    for c in range(len(text) - 1, first, -1):
        if text[c].isspace() and measure(text[:c], 10**6)[0] <= room:
            return c
    return None


@pytest.mark.parametrize("config", [V1, V2, V3])
def test_a_cut_found_from_the_end_is_the_forward_walks_cut(config: TextConfig) -> None:
    """``fit_cut`` with the part's length known weighs its last words instead of the part.

    Lengths add up across whitespace (no entity holds any), so both ways find the same
    cut, the last whitespace whose prefix fits (the forward walk's windows end on cluster
    boundaries: a window ending inside an emoji sequence weighed it too much): checked on
    the care texts, with an ideographic space, a URL, emoji and a long word at the end, for
    rooms from just under the length to a few words under it.
    """
    measure = tweet_measure(config)
    assert getattr(measure, "additive", False)
    endings = [
        "",
        " see https://acme.example/track/123?x=1 now",
        " \U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001f44d\U0001f3fd ok",
        "\u3000\u4e2d\u6587\u3000\u6587\u5b57",
        " " + "x" * 70,
        " e\u0301 caf\u00e9 #tag @ann $ACME end.",
    ]
    checked = 0
    for text in _care_texts(300):
        for ending in endings:
            body = unicodedata.normalize("NFC", text + ending)
            total = measure(body, 10**6)[0]
            for over in (1, 2, 5, 9, 17, 40):
                room = total - over
                if room < 20:
                    continue
                expected = _last_whitespace_cut(body, room, measure)
                if expected is None:
                    continue
                assert fit_cut(body, 0, room, measure, Spans(body)) == expected, (body, room)
                assert fit_cut(body, 0, room, measure, Spans(body), total) == expected, (
                    body,
                    room,
                )
                checked += 1
    assert checked > 3000


def test_a_text_with_a_walk_stopper_is_cut_by_the_forward_walk() -> None:
    text = "please call me back \ufeff on monday about the order " * 3
    measure = tweet_measure(V3)
    total = measure(text, 10**6)[0]
    for room in range(total - 30, total):
        assert fit_cut(text, 0, room, measure, Spans(text), total) == fit_cut(
            text, 0, room, measure, Spans(text)
        )
