"""Tweet text: X's length rules, entity extraction and autolinking (pure, no I/O).

Mirrors the official twitter-text 3 libraries (names in snake_case) and passes their whole
conformance suite; every index is a code-point index into the Python ``str``.

Example:
    >>> from socialcare.text import parse_tweet, extract_entities
    >>> p = parse_tweet("Thanks! Details: https://example.com/help/a-very-long-path")
    >>> p.weighted_length, p.valid
    (40, True)
    >>> extract_entities("see example.com").urls[0].url
    'example.com'

See ``docs/text.md`` for the rules, the emoji policy and the few deliberate differences.
"""

from __future__ import annotations

from socialcare._exports import publish
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
from socialcare.text._highlight import hit_highlight
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
    "hit_highlight",
    "is_valid_hashtag",
    "is_valid_list",
    "is_valid_url",
    "is_valid_username",
    "parse_tweet",
]

publish(__name__, globals(), __all__)
