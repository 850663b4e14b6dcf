"""Tweet text: X's length rules, entity extraction and autolinking (pure, no I/O).

Mirrors twitter-text 3 (snake_case names); every index is a code-point index into a
Python ``str``.
"""

from __future__ import annotations

from socialcare.text._autolink import (
    AutolinkOptions,
    EntityKind,
    autolink,
    autolink_entities,
    autolink_with_json,
)
from socialcare.text._config import V1, V2, V3, TextConfig, WeightRange
from socialcare.text._entities import extract_entities
from socialcare.text._extract import (
    extract_cashtags,
    extract_cashtags_with_indices,
    extract_hashtags,
    extract_hashtags_with_indices,
    extract_mentions,
    extract_mentions_or_lists_with_indices,
    extract_mentions_with_indices,
    extract_reply_username,
    extract_urls,
    extract_urls_with_indices,
    is_valid_hashtag,
    is_valid_list,
    is_valid_url,
    is_valid_username,
)
from socialcare.text._parse import TweetParse, parse_tweet
from socialcare.text._types import (
    CashtagMatch,
    HashtagMatch,
    MentionMatch,
    MentionOrListMatch,
    UrlMatch,
)

__all__ = [
    "V1",
    "V2",
    "V3",
    "AutolinkOptions",
    "CashtagMatch",
    "EntityKind",
    "HashtagMatch",
    "MentionMatch",
    "MentionOrListMatch",
    "TextConfig",
    "TweetParse",
    "UrlMatch",
    "WeightRange",
    "autolink",
    "autolink_entities",
    "autolink_with_json",
    "extract_cashtags",
    "extract_cashtags_with_indices",
    "extract_entities",
    "extract_hashtags",
    "extract_hashtags_with_indices",
    "extract_mentions",
    "extract_mentions_or_lists_with_indices",
    "extract_mentions_with_indices",
    "extract_reply_username",
    "extract_urls",
    "extract_urls_with_indices",
    "is_valid_hashtag",
    "is_valid_list",
    "is_valid_url",
    "is_valid_username",
    "parse_tweet",
]
