"""Unit tests of socialcare.text's public API beyond the conformance suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import shared_path

from socialcare.models import Entities, MentionEntity, TagEntity
from socialcare.text import (
    V1,
    V2,
    V3,
    TextConfig,
    UrlMatch,
    extract_entities,
    extract_hashtags,
    extract_mentions_or_lists_with_indices,
    extract_reply_username,
    extract_urls,
    extract_urls_with_indices,
    is_valid_hashtag,
    is_valid_list,
    is_valid_url,
    is_valid_username,
    parse_tweet,
)


def test_parse_counts_url_as_23_and_emoji_as_2() -> None:
    got = parse_tweet("Hi http://test.co 👨‍👩‍👧‍👦")
    assert got.weighted_length == 3 + 23 + 1 + 2
    assert got.valid
    assert got.display_range_end == len("Hi http://test.co 👨‍👩‍👧‍👦") - 1


def test_parse_v2_counts_emoji_code_points() -> None:
    assert parse_tweet("👨‍👩‍👧‍👦", config=V2).weighted_length == 4 * 2 + 3


def test_parse_empty_is_invalid() -> None:
    got = parse_tweet("")
    assert (got.weighted_length, got.valid, got.valid_range_end, got.display_range_end) == (
        0,
        False,
        0,
        0,
    )


def test_parse_over_limit_reports_the_fitting_prefix() -> None:
    text = "x" * 300
    got = parse_tweet(text)
    assert not got.valid
    assert got.weighted_length == 300
    assert got.valid_range_end == 279
    assert parse_tweet(text[: got.valid_range_end + 1]).valid


def test_parse_cjk_counts_two() -> None:
    assert parse_tweet("日本語").weighted_length == 6


def test_newer_emoji_sequence_counts_two() -> None:
    # U+1F426 U+200D U+2B1B (black bird, Emoji 15.0) is unknown to twitter-text 3.1.0,
    # which counts it 5; socialcare knows it.
    assert parse_tweet("\U0001f426\u200d\u2b1b").weighted_length == 2


def test_copyright_sign_is_text_not_emoji() -> None:
    assert parse_tweet("\u00a9").weighted_length == 1
    assert parse_tweet("\u00a9\ufe0f").weighted_length == 2


@pytest.mark.parametrize("bad", [None, b"bytes", 12, ["a"]])
def test_non_str_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="text must be a str"):
        parse_tweet(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be a str"):
        extract_entities(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be a str"):
        extract_urls_with_indices(bad)  # type: ignore[arg-type]


def test_bad_config_type_raises() -> None:
    with pytest.raises(TypeError, match="config must be a TextConfig"):
        parse_tweet("x", config={"version": 3})  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "config"), [("v1.json", V1), ("v2.json", V2), ("v3.json", V3)])
def test_configs_match_official_json(name: str, config: TextConfig) -> None:
    path = shared_path("conformance", "twitter-text", name)
    assert TextConfig.from_json(path) == config
    assert TextConfig.from_json(path.read_text(encoding="utf-8")) == config


def test_config_from_json_rejects_bad_values() -> None:
    with pytest.raises(TypeError, match="scale must be an integer"):
        TextConfig.from_json(json.dumps({"version": 3, "maxWeightedTweetLength": 280}))
    with pytest.raises(TypeError, match="JSON object"):
        TextConfig.from_json("[1, 2]")
    with pytest.raises(ValueError, match="scale must be positive"):
        TextConfig(
            version=9,
            max_weighted_tweet_length=10,
            scale=0,
            default_weight=1,
            transformed_url_length=23,
        )


def test_custom_config_weights(tmp_path: Path) -> None:
    config_file = tmp_path / "c.json"
    config_file.write_text(
        json.dumps(
            {
                "version": 9,
                "maxWeightedTweetLength": 10,
                "scale": 10,
                "defaultWeight": 30,
                "transformedURLLength": 5,
                "ranges": [{"start": 0, "end": 127, "weight": 10}],
            }
        ),
        encoding="utf-8",
    )
    config = TextConfig.from_json(config_file)
    got = parse_tweet("ab é example.com", config=config)
    assert got.weighted_length == 2 + 1 + 3 + 1 + 5
    assert not got.valid
    assert got.valid_range_end == 4  # "ab é " fits (7 of 10); the URL (5) does not


def test_extract_entities_builds_models() -> None:
    text = "@acme see example.com #help $ACME @u/list"
    entities = extract_entities(text)
    assert isinstance(entities, Entities)
    assert entities.mentions == (
        MentionEntity(start=0, end=5, username="acme"),
        MentionEntity(start=34, end=36, username="u"),
    )
    assert [(u.url, u.expanded_url, u.display_url) for u in entities.urls] == [
        ("example.com", "http://example.com", "example.com")
    ]
    assert entities.hashtags == (TagEntity(start=22, end=27, tag="help"),)
    assert entities.cashtags == (TagEntity(start=28, end=33, tag="ACME"),)
    for entity in (*entities.mentions, *entities.hashtags, *entities.cashtags):
        assert text[entity.start] in "@#$"


def test_extract_entities_removes_overlaps() -> None:
    text = "see https://example.com/#tag and @x"
    entities = extract_entities(text)
    assert [u.url for u in entities.urls] == ["https://example.com/#tag"]
    assert entities.hashtags == ()
    assert extract_hashtags(text) == []


def test_extract_entities_code_point_indices_with_astral_text() -> None:
    text = "\U0001f431 @cat #meow"
    entities = extract_entities(text)
    assert entities.mentions[0].start == 2
    assert text[entities.hashtags[0].start : entities.hashtags[0].end] == "#meow"


def test_typed_results() -> None:
    assert extract_urls_with_indices("go to https://x.com now") == [
        UrlMatch("https://x.com", 6, 19)
    ]
    lists = extract_mentions_or_lists_with_indices("@a/b @c")
    assert [(m.username, m.list_slug) for m in lists] == [("a", "b"), ("c", None)]


def test_urls_without_protocol_can_be_excluded() -> None:
    text = "see example.com and https://x.com/a"
    assert extract_urls(text) == ["example.com", "https://x.com/a"]
    assert extract_urls(text, without_protocol=False) == ["https://x.com/a"]
    assert extract_urls("no scheme example.com", without_protocol=False) == []


def test_is_valid_url_options() -> None:
    assert is_valid_url("https://example.com/a?b=c#d")
    assert not is_valid_url("example.com")
    assert is_valid_url("example.com", require_protocol=False)
    assert is_valid_url("https://\u4f8b\u3048.jp")
    assert not is_valid_url("https://\u4f8b\u3048.jp", unicode_domains=False)
    assert not is_valid_url("ftp://example.com")


def test_reply_username_and_validators() -> None:
    assert extract_reply_username("  @acme hello") == "acme"
    assert extract_reply_username("hello @acme") is None
    assert is_valid_username("@acme_2")
    assert not is_valid_username("@acme-2")
    assert is_valid_list("@acme/support-team")
    assert not is_valid_list("@acme")
    assert is_valid_hashtag("#help")
    assert not is_valid_hashtag("#123")


def test_weight_of_follows_ranges() -> None:
    assert V3.weight_of(ord("a")) == 100
    assert V3.weight_of(0x65E5) == 200
    assert V3.weight_of(0x2019) == 100
    assert V1.weight_of(0x65E5) == 1
