"""Properties of socialcare.text that hold for every input (hypothesis), and huge inputs.

X's rules are not monotone under arbitrary appending: completing a URL or an emoji sequence
makes the text *shorter* (``"aaaaaaaaaaaaaaaaaaaaaaaa."`` counts 25, append ``"com"`` and it
is a 23-weight URL; an unfinished ZWJ sequence counts more than the finished emoji). What
does hold, and is tested here, is monotonicity when the appended text starts with a space
(entities never span one), plus the explicit counterexamples.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare.text import (
    V1,
    V2,
    V3,
    autolink,
    extract_cashtags_with_indices,
    extract_entities,
    extract_hashtags_with_indices,
    extract_mentions_or_lists_with_indices,
    extract_reply_username,
    extract_urls_with_indices,
    parse_tweet,
)

# Pieces that exercise the grammar: schemes, TLDs, sigils, emoji parts, marks, RTL, NUL.
PIECES = [
    "http://",
    "https://",
    "www.",
    ".com",
    ".co.jp",
    ".\u0440\u0444",
    "t.co/",
    "xn--",
    "/",
    "?",
    "=",
    "&",
    "#",
    "@",
    "$",
    ".",
    "-",
    "_",
    " ",
    "\n",
    "(",
    ")",
    ":",
    "'",
    '"',
    "a",
    "Z",
    "0",
    "9",
    "\u00e9",
    "\u65e5",
    "\u05e9",
    "\u0627",
    "\U0001f431",
    "\U0001f468\u200d\U0001f469",
    "\u200d",
    "\ufe0f",
    "\u20e3",
    "\U0001f3fd",
    "\u0301",
    "\u202e",
    "\u200f",
    "\u2066",
    "\ufeff",
    "\uffff",
    "\x00",
    "\ud800",
    "\udc00",
    "\uff03",
    "\uff20",
    "\u3000",
    "RT ",
    "\ufb2c",
    "A\u030a",
]
ANY_CHAR = st.characters(blacklist_categories=())  # includes lone surrogates
TEXTS = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), ANY_CHAR), max_size=40).map("".join),
)
CONFIGS = st.sampled_from([V1, V2, V3])
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXTS, CONFIGS)
def test_parse_never_raises_and_ranges_stay_inside(text: str, config: object) -> None:
    got = parse_tweet(text, config=config)  # type: ignore[arg-type]
    last = max(len(text) - 1, 0)
    assert got.valid_range_start == got.display_range_start == 0
    assert 0 <= got.valid_range_end <= got.display_range_end == last
    assert got.weighted_length >= 0
    limit = config.max_weighted_tweet_length  # type: ignore[attr-defined]
    if got.valid:
        assert 0 < got.weighted_length <= limit
        assert got.permillage <= 1000
    if got.weighted_length > limit:
        assert not got.valid


@SETTINGS
@given(TEXTS, TEXTS)
def test_weighted_length_monotone_when_appending_after_a_space(head: str, tail: str) -> None:
    assert parse_tweet(head + " " + tail).weighted_length >= parse_tweet(head).weighted_length


@pytest.mark.parametrize(
    ("shorter", "longer"),
    [
        ("a" * 24 + ".", "a" * 24 + ".com"),  # a completed URL counts 23
        # man ZWJ woman ZWJ (2+1+2+1) then girl: the family emoji counts 2
        ("\U0001f468\u200d\U0001f469\u200d", "\U0001f468\u200d\U0001f469\u200d\U0001f467"),
    ],
)
def test_appending_can_shorten_by_completing_an_entity(shorter: str, longer: str) -> None:
    assert parse_tweet(longer).weighted_length < parse_tweet(shorter).weighted_length


@SETTINGS
@given(TEXTS)
def test_valid_prefix_is_valid(text: str) -> None:
    got = parse_tweet(text)
    prefix = text[: got.valid_range_end + 1]
    invalid = {"\ufeff", "\ufffe", "\uffff"}
    if text and unicodedata.is_normalized("NFC", text) and not invalid & set(prefix):
        # The part that fits, posted alone, fits: entities inside it are whole.
        assert parse_tweet(prefix).valid


@SETTINGS
@given(TEXTS)
def test_indices_slice_back_to_the_entity_text(text: str) -> None:
    for url in extract_urls_with_indices(text):
        span = text[url.start : url.end]
        if url.url != span:
            # A protocol-less URL whose host has non-ASCII labels after the ASCII domain
            # reports "ascii domain + path" (as twitter-text does); both ends still match.
            host = re.split("[:/]", url.url, maxsplit=1)[0]
            assert span.startswith(host)
            assert span.endswith(url.url[url.url.index("/") :])
    for mention in extract_mentions_or_lists_with_indices(text):
        slug = "/" + mention.list_slug if mention.list_slug is not None else ""
        assert text[mention.start] in "@\uff20"
        assert text[mention.start + 1 : mention.end] == mention.username + slug
    for tag in extract_hashtags_with_indices(text):
        assert text[tag.start] in "#\uff03"
        assert text[tag.start + 1 : tag.end] == tag.hashtag
    for cashtag in extract_cashtags_with_indices(text):
        assert text[cashtag.start : cashtag.end] == "$" + cashtag.cashtag


@SETTINGS
@given(TEXTS)
def test_entities_are_ordered_and_disjoint(text: str) -> None:
    entities = extract_entities(text)
    spans = sorted(
        [(m.start, m.end) for m in entities.mentions]
        + [(u.start, u.end) for u in entities.urls]
        + [(t.start, t.end) for t in (*entities.hashtags, *entities.cashtags)]
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start
    for start, end in spans:
        assert 0 <= start < end <= len(text)


@SETTINGS
@given(TEXTS)
def test_autolink_and_reply_never_raise(text: str) -> None:
    html = autolink(text)
    assert "<script" not in html.lower() or "<script" in text.lower()
    reply = extract_reply_username(text)
    assert reply is None or reply in text


ONE_MB = 1_000_000
HUGE = {
    "dots": "a." * (ONE_MB // 2),
    "at_signs": "@" * ONE_MB,
    "hashes": "#" * ONE_MB,
    "colon_slash": ":/" * (ONE_MB // 2),
    "cjk_dots": "\u65e5." * (ONE_MB // 2),
    "dash_labels": "-a." * (ONE_MB // 3),
    "underscore_labels": "a_." * (ONE_MB // 3),
    "path_parens": "http://a.co/" + "(a" * (ONE_MB // 2),
    "path_bangs": "http://a.co/" + "!" * ONE_MB,
    "digits_hashtag": "#" + "1" * ONE_MB,
    "zwj_chain": "\U0001f468\u200d" * (ONE_MB // 2),
    "combining": "a" + "\u0301" * ONE_MB,
    "nul": "\x00" * ONE_MB,
    "lone_surrogates": "\ud800" * ONE_MB,
    "bom": "\ufeff" * ONE_MB,
    "cats": "\U0001f431" * (ONE_MB // 2),
    "urls": "see http://a.co/b?c=d#e " * (ONE_MB // 24),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HUGE))
def test_one_megabyte_adversarial_inputs_complete(name: str) -> None:
    # No timing assertion: a quadratic engine would not finish this suite (the benchmark
    # shows the linear curve); here each call must simply return a sane result.
    text = HUGE[name]
    got = parse_tweet(text)
    assert got.display_range_end == len(text) - 1
    assert not got.valid
    entities = extract_entities(text)
    assert len(entities.urls) <= len(text)


SIGN_TEXTS = st.lists(
    st.sampled_from(
        [
            *("#", "\uff03", "@", "\uff20", "a", "1", "_", " ", "&", "\ufe0f", "\u20e3"),
            *("\n", "#a", "x#", "rt", "RT", ":", "rT:", "t", "/", "-", "+", "~", "."),
        ]
    ),
    max_size=30,
).map("".join)


@SETTINGS
@given(st.one_of(TEXTS, SIGN_TEXTS))
def test_the_sign_scan_finds_what_finditer_finds(text: str) -> None:
    """Signs are located with ``str.find``; every other start is skipped (private)."""
    from socialcare.text import _extract  # noqa: PLC0415 - the private scanner, here only

    for pattern, signs in ((_extract._HASHTAG, "#\uff03"), (_extract._MENTION, "@\uff20")):
        got = [(m.span(), m.groups()) for m in _extract._sign_matches(pattern, text, signs)]
        assert got == [(m.span(), m.groups()) for m in pattern.finditer(text)]
