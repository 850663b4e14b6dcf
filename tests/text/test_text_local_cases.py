"""Weighted length and entities on cases written here, no ``../shared`` needed.

Expected values are worked out by hand from the twitter-text v3 rules (``V3``): code
points in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, every
other code point 2; an emoji sequence (ZWJ families, skin tones, flags) weighs 2 as a
whole; a URL weighs 23; text is NFC-normalised first; the limit is 280. The full
conformance suites in ``../shared`` (``test_text_conformance.py``) cover far more.
"""

from __future__ import annotations

import pytest

from socialcare.models import MentionEntity, TagEntity
from socialcare.text import (
    extract_cashtags,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_mentions_or_lists_with_indices,
    extract_urls,
    parse_tweet,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points
WAVE_MEDIUM = "\U0001f44b\U0001f3fd"  # waving hand + skin tone modifier
FLAG_JP = "\U0001f1ef\U0001f1f5"  # two regional indicators

LENGTHS = [
    # (text, weighted length, valid)
    ("hello", 5, True),
    ("こんにちは", 5 * 2, True),  # hiragana is outside the weight-1 ranges
    ("Ünïcödé 한국어", 7 + 1 + 3 * 2, True),  # Latin-1 weighs 1, Hangul 2
    ("“quotes” — dash", 15, True),  # U+201C, U+201D, U+2014 are in U+2010-U+201F
    (FAMILY, 2, True),  # a ZWJ sequence is one emoji
    (f"Hi {WAVE_MEDIUM}", 3 + 2, True),
    (FLAG_JP, 2, True),
    ("e\u0301", 1, True),  # NFC: e + combining acute = é
    ("see https://example.com/a/very/long/path?x=1 ok", 4 + 23 + 3, True),
    ("#hashtag @user $CASH", 20, True),
    ("a" * 280, 280, True),
    ("a" * 281, 281, False),
    ("あ" * 140, 280, True),
    ("あ" * 141, 282, False),
    ("\U0001f600" * 140, 280, True),
    ("\U0001f600" * 141, 282, False),
    ("", 0, False),
    ("abc\ufffe", 3 + 2, False),  # U+FFFE is an invalid character
]


@pytest.mark.parametrize(("text", "weighted", "valid"), LENGTHS)
def test_weighted_length(text: str, weighted: int, valid: bool) -> None:
    got = parse_tweet(text)
    assert got.weighted_length == weighted
    assert got.valid is valid


def test_ranges_are_code_point_indices() -> None:
    assert parse_tweet(FAMILY).display_range_end == 6
    over = parse_tweet("a" * 281)
    assert (over.display_range_end, over.valid_range_end) == (280, 279)
    cjk = parse_tweet("あ" * 141)
    assert (cjk.display_range_end, cjk.valid_range_end) == (140, 139)
    assert parse_tweet("a" * 28).permillage == 100


def test_one_text_with_every_entity() -> None:
    text = "@AcmeHelp #fail $ACME https://t.co/abc"
    got = extract_entities(text)
    assert got.mentions == (MentionEntity(start=0, end=9, username="AcmeHelp"),)
    assert got.hashtags == (TagEntity(start=10, end=15, tag="fail"),)
    assert got.cashtags == (TagEntity(start=16, end=21, tag="ACME"),)
    (url,) = got.urls
    assert (url.start, url.end, url.url) == (22, 38, "https://t.co/abc")


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("RT @user_1: hi", ["user_1"]),
        ("email me at jo@example.com", []),  # preceded by a letter: an address, not a mention
        ("@a @b_c and @d", ["a", "b_c", "d"]),
        ("@AcmeHelp/support-team hi", []),  # a list, not a plain mention
    ],
)
def test_mentions(text: str, mentions: list[str]) -> None:
    assert extract_mentions(text) == mentions


def test_a_list_is_a_mention_with_a_slug() -> None:
    (match,) = extract_mentions_or_lists_with_indices("@AcmeHelp/support-team hi")
    assert (match.username, match.list_slug, match.start, match.end) == (
        "AcmeHelp",
        "support-team",
        0,
        22,
    )


@pytest.mark.parametrize(
    ("text", "hashtags"),
    [
        ("#日本語 tag", ["日本語"]),  # CJK letters make a hashtag
        ("#123 and #a123", ["a123"]),  # digits alone do not
        ("epic #FAIL today", ["FAIL"]),
        ("a#b", []),  # preceded by a letter
    ],
)
def test_hashtags(text: str, hashtags: list[str]) -> None:
    assert extract_hashtags(text) == hashtags


@pytest.mark.parametrize(
    ("text", "cashtags"),
    [("$1234 $aapl", ["aapl"]), ("$ACME up", ["ACME"]), ("US$5", [])],
)
def test_cashtags(text: str, cashtags: list[str]) -> None:
    assert extract_cashtags(text) == cashtags


def test_urls_with_and_without_protocol() -> None:
    assert extract_urls("visit example.com today") == ["example.com"]
    assert extract_urls("see https://example.com/a?b=1, ok") == ["https://example.com/a?b=1"]
    assert extract_urls("not.a_url here") == []
    (url,) = extract_entities("visit example.com today").urls
    assert (url.start, url.end, url.expanded_url) == (6, 17, "http://example.com")
