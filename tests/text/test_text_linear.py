"""The URL scanner's work grows linearly with the input (counted, not timed).

Every regex the scanner runs is wrapped to count how many characters it consumes or skips.
Quadrupling an adversarial input must about quadruple that count; a quadratic scan
(re-reading a long run from every start) would multiply it by sixteen.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from socialcare.text import _urls, extract_urls, parse_tweet

INPUTS = {
    "dots": lambda n: "a." * (n // 2),
    "cjk_dots": lambda n: "\u65e5." * (n // 2),
    "dash_labels": lambda n: "-a." * (n // 3),
    "underscores": lambda n: "a_." * (n // 3),
    "long_label": lambda n: "a" * n + ".x",
    "many_urls": lambda n: "http://a.co/b " * (n // 14),
    "astral_dots": lambda n: "\U0001f431." * (n // 2),
    "bare_domains": lambda n: "a.com " * (n // 6),
    "paths": lambda n: "http://a.co/" + "(a" * (n // 2),
}


class _Counting:
    def __init__(self, pattern: re.Pattern[str], tally: list[int]) -> None:
        self.pattern = pattern
        self.tally = tally

    def match(self, text: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        m = self.pattern.match(text, pos, endpos)
        self.tally[0] += (m.end() - pos if m else 0) + 1
        return m

    def search(self, text: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        m = self.pattern.search(text, pos, endpos)
        self.tally[0] += (m.end() if m else min(endpos, len(text))) - pos + 1
        return m

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def _scanned(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    tally = [0]
    with monkeypatch.context() as patch:
        for attr in (
            "_RUN",
            "_LABEL_RUN",
            "_PATH",
            "_QUERY",
            "_ANCHOR_DOT",
            "_CANDIDATE",
            "_ASTRAL",
        ):
            patch.setattr(_urls, attr, _Counting(getattr(_urls, attr), tally))
        _urls._DOMAIN_CACHE.clear()
        extract_urls(text)
        parse_tweet(text)
    return tally[0]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_url_scan_work_grows_linearly(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    small = _scanned(INPUTS[name](5_000), monkeypatch)
    large = _scanned(INPUTS[name](20_000), monkeypatch)
    assert large <= 5 * small + 100, f"4x input scanned {large / max(small, 1):.1f}x as much"
