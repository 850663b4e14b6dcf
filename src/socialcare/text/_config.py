"""Weighting configurations: twitter-text's v1, v2 and v3 rules, and loading others from JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import attrs

__all__ = ["V1", "V2", "V3", "TextConfig", "WeightRange"]


@attrs.frozen
class WeightRange:
    """Code points ``start`` to ``end`` (inclusive) weigh ``weight`` (in ``scale`` units)."""

    start: int
    end: int
    weight: int


def _ranges(value: object) -> tuple[WeightRange, ...]:
    if not isinstance(value, (list, tuple)):
        raise TypeError("ranges must be a list")
    return tuple(r if isinstance(r, WeightRange) else _range(r) for r in value)


def _range(value: object) -> WeightRange:
    if not isinstance(value, Mapping):
        raise TypeError("each range must be an object with start, end and weight")
    value = cast("Mapping[str, object]", value)
    return WeightRange(
        start=_int(value, "start"), end=_int(value, "end"), weight=_int(value, "weight")
    )


def _int(obj: Mapping[str, object], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{key} must be an integer, got {value!r}"
        raise TypeError(msg)
    return value


@attrs.frozen
class TextConfig:
    """How characters are weighed and how long a post may be.

    Weights are in units of ``1 / scale`` characters: with ``scale=100`` a weight of 200
    counts as two characters.

    Attributes:
        version: the twitter-text configuration version.
        max_weighted_tweet_length: the limit, in weighted characters (280 since v2).
        scale: the weight unit divisor.
        default_weight: the weight of a code point in no range (and of an emoji, in v3).
        transformed_url_length: what any URL counts, whatever its length (t.co wrapping).
        ranges: code-point ranges with their own weight; the first match wins.
        emoji_parsing_enabled: count every emoji sequence as one ``default_weight`` (v3).
    """

    version: int
    max_weighted_tweet_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    ranges: tuple[WeightRange, ...] = attrs.field(default=(), converter=_ranges)
    emoji_parsing_enabled: bool = False

    def __attrs_post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError("scale must be positive")
        if self.max_weighted_tweet_length <= 0:
            raise ValueError("max_weighted_tweet_length must be positive")
        if self.default_weight <= 0 or any(r.weight <= 0 for r in self.ranges):
            raise ValueError("weights must be positive")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> TextConfig:
        """Build from a twitter-text configuration object (camelCase keys, as in ``v3.json``).

        Raises:
            TypeError: a key is missing or has the wrong type.
        """
        emoji = data.get("emojiParsingEnabled", False)
        if not isinstance(emoji, bool):
            raise TypeError(f"emojiParsingEnabled must be a boolean, got {emoji!r}")
        return cls(
            version=_int(data, "version"),
            max_weighted_tweet_length=_int(data, "maxWeightedTweetLength"),
            scale=_int(data, "scale"),
            default_weight=_int(data, "defaultWeight"),
            transformed_url_length=_int(data, "transformedURLLength"),
            ranges=_ranges(data.get("ranges", [])),
            emoji_parsing_enabled=emoji,
        )

    @classmethod
    def from_json(cls, source: str | bytes | Path) -> TextConfig:
        """Build from twitter-text JSON: a document (``str``/``bytes``) or a file ``Path``.

        Raises:
            ValueError: the JSON is malformed.
            TypeError: it is not a configuration object.
        """
        raw = source.read_bytes() if isinstance(source, Path) else source
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise TypeError("a twitter-text configuration must be a JSON object")
        return cls.from_mapping(data)

    def weight_of(self, code_point: int) -> int:
        """The weight of one code point outside any URL or emoji."""
        for r in self.ranges:
            if r.start <= code_point <= r.end:
                return r.weight
        return self.default_weight


_V2_RANGES = (
    WeightRange(0, 4351, 100),
    WeightRange(8192, 8205, 100),
    WeightRange(8208, 8223, 100),
    WeightRange(8242, 8247, 100),
)

V1 = TextConfig(
    version=1,
    max_weighted_tweet_length=140,
    scale=1,
    default_weight=1,
    transformed_url_length=23,
)
"""The 140-character rules: every code point counts one."""

V2 = TextConfig(
    version=2,
    max_weighted_tweet_length=280,
    scale=100,
    default_weight=200,
    transformed_url_length=23,
    ranges=_V2_RANGES,
)
"""The 280-character rules: Latin and common punctuation count one, everything else two."""

V3 = attrs.evolve(V2, version=3, emoji_parsing_enabled=True)
"""The current rules (the default): v2 plus every emoji sequence counting two."""
