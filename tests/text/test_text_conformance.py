"""The official twitter-text conformance suite, every case, through the public API.

Reads ``validate.yml``, ``extract.yml``, ``autolink.yml``, ``tlds.yml`` and
``hit_highlighting.yml`` from ``../shared/conformance/twitter-text/`` at test time (as
upstream asks) and checks each of their 2,119 cases. twitter-text's JavaScript reports
parse ranges in UTF-16 code units; ``socialcare.text`` reports code-point indices, so the
expected range indices are translated to the code point that holds that UTF-16 unit (an
exact mapping).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import SHARED, shared_path

from socialcare import text as tt

SUITE = ("conformance", "twitter-text")
FILES = ("validate.yml", "extract.yml", "autolink.yml", "tlds.yml", "hit_highlighting.yml")


def _load_cases() -> list[Any]:
    params: list[Any] = []
    folder = SHARED.joinpath(*SUITE)
    for name in FILES:
        path = folder / name
        if not path.exists():
            # Collected anyway, so that the test skips (or fails under CI) visibly.
            params.append(pytest.param(name, "missing", {}, id=f"{name}-missing"))
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section, cases in data["tests"].items():
            for index, case in enumerate(cases):
                params.append(pytest.param(name, section, case, id=f"{name}:{section}:{index}"))
    return params


CASES = _load_cases()


def utf16_to_code_point(text: str, unit: int) -> int:
    """Index of the code point of ``text`` that holds UTF-16 code unit ``unit``."""
    position = 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if unit < position + width:
            return index
        position += width
    return len(text) if unit >= position else unit


def _parse(text: str, expected: dict[str, Any], config: tt.TextConfig) -> None:
    got = tt.parse_tweet(text, config=config)
    assert got.weighted_length == expected["weightedLength"]
    assert got.valid is expected["valid"]
    assert got.permillage == expected["permillage"]
    assert got.valid_range_start == expected["validRangeStart"] == 0
    assert got.display_range_start == expected["displayRangeStart"] == 0
    assert got.valid_range_end == utf16_to_code_point(text, expected["validRangeEnd"])
    assert got.display_range_end == utf16_to_code_point(text, expected["displayRangeEnd"])


def _with_indices(items: list[Any], value: Callable[[Any], Any]) -> list[Any]:
    return [(value(item), item.start, item.end) for item in items]


def _expected_indices(expected: list[dict[str, Any]], key: str) -> list[Any]:
    return [(e[key], e["indices"][0], e["indices"][1]) for e in expected or []]


def check_validate(section: str, text: str, expected: Any) -> None:
    simple: dict[str, Callable[[str], bool]] = {
        "tweets": lambda t: tt.parse_tweet(t, config=tt.V1).valid,
        "usernames": tt.is_valid_username,
        "lists": tt.is_valid_list,
        "hashtags": tt.is_valid_hashtag,
        "urls": tt.is_valid_url,
        "urls_without_protocol": lambda t: tt.is_valid_url(t, require_protocol=False),
    }
    configs = {
        "WeightedTweetsCounterTest": tt.V2,
        "WeightedTweetsWithDiscountedEmojiCounterTest": tt.V3,
        "UnicodeDirectionalMarkerCounterTest": tt.V3,
    }
    if section in simple:
        assert simple[section](text) is expected
    else:
        _parse(text, expected, configs[section])


def check_extract(section: str, text: str, expected: Any) -> None:
    if section == "mentions":
        assert tt.extract_mentions(text) == expected
    elif section == "mentions_with_indices":
        got = _with_indices(tt.extract_mentions_with_indices(text), lambda m: m.username)
        assert got == _expected_indices(expected, "screen_name")
    elif section == "mentions_or_lists_with_indices":
        got = [
            (m.username, "/" + m.list_slug if m.list_slug is not None else "", m.start, m.end)
            for m in tt.extract_mentions_or_lists_with_indices(text)
        ]
        want = [(e["screen_name"], e["list_slug"], *e["indices"]) for e in expected]
        assert got == want
    elif section == "replies":
        assert tt.extract_reply_username(text) == expected
    elif section in ("urls", "tco_urls_with_params"):
        assert tt.extract_urls(text) == expected
    elif section in ("urls_with_indices", "urls_with_directional_markers"):
        got = _with_indices(tt.extract_urls_with_indices(text), lambda u: u.url)
        assert got == _expected_indices(expected, "url")
    elif section in ("hashtags", "hashtags_from_astral"):
        assert tt.extract_hashtags(text) == expected
    elif section == "hashtags_with_indices":
        got = _with_indices(tt.extract_hashtags_with_indices(text), lambda h: h.hashtag)
        assert got == _expected_indices(expected, "hashtag")
    elif section == "cashtags":
        assert tt.extract_cashtags(text) == expected
    elif section == "cashtags_with_indices":
        got = _with_indices(tt.extract_cashtags_with_indices(text), lambda c: c.cashtag)
        assert got == _expected_indices(expected, "cashtag")
    else:  # pragma: no cover - a new upstream section must be wired up explicitly
        pytest.fail(f"unknown extract.yml section {section!r}")


# The upstream harness renders with suppressNoFollow and suppressDataScreenName, twitter.com
# link bases and raw (unescaped) text between entities; socialcare's defaults differ there.
AUTOLINK_AS_UPSTREAM = tt.AutolinkOptions(
    username_url_base="https://twitter.com/",
    list_url_base="https://twitter.com/",
    hashtag_url_base="https://twitter.com/search?q=%23",
    cashtag_url_base="https://twitter.com/search?q=%24",
    suppress_no_follow=True,
    suppress_data_screen_name=True,
    escape_text=False,
)
AUTOLINK_ONLY: dict[str, tuple[tt.EntityKind, ...] | None] = {
    "usernames": ("mentions",),
    "lists": ("mentions",),
    "hashtags": ("hashtags",),
    "urls": ("urls",),
    "cashtags": ("cashtags",),
    "all": None,
}


def check_autolink(section: str, case: dict[str, Any]) -> None:
    text, expected = case["text"], case["expected"]
    if section == "json":
        got = tt.autolink_with_json(text, case["json"], options=AUTOLINK_AS_UPSTREAM)
    else:
        got = tt.autolink(text, only=AUTOLINK_ONLY[section], options=AUTOLINK_AS_UPSTREAM)
    assert got == expected


@pytest.mark.parametrize(("file", "section", "case"), CASES)
def test_conformance(file: str, section: str, case: dict[str, Any]) -> None:
    shared_path(*SUITE, file)
    if file == "validate.yml":
        check_validate(section, case["text"], case["expected"])
    elif file == "extract.yml":
        check_extract(section, case["text"], case["expected"])
    elif file == "autolink.yml":
        check_autolink(section, case)
    elif file == "hit_highlighting.yml":
        assert tt.hit_highlight(case["text"], case["hits"]) == case["expected"]
    else:
        assert tt.extract_urls(case["text"]) == case["expected"]


def test_every_case_is_collected() -> None:
    folder: Path = shared_path(*SUITE)
    total = 0
    for name in FILES:
        data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        total += sum(len(cases) for cases in data["tests"].values())
    assert len(CASES) == total
    assert total >= 2119


def test_utf16_translation_helper() -> None:
    text = "a\U0001f431b"
    assert [utf16_to_code_point(text, u) for u in range(4)] == [0, 1, 1, 2]
