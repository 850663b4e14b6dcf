from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcare.query import _text
from socialcare.query._text import fold, tokenize, words

SAMPLES = st.sampled_from(
    [
        "a",
        "Z",
        "é",
        "É",
        "ß",
        "ﬁ",
        "①",
        "…",
        "\u0301",
        "😡",
        "🏻",
        "\u200d",
        "\ufe0f",
        "_",
        "-",
        "'",
        "\u2019",
        " ",
        "\u00a0",
        "\n",
        "\uff21",
        "中文",
        "\u0131",
        "İ",
        "9",
        "$",
        "#",
        "@",
        ".",
        "👍🏽",
    ]
)


@given(st.text() | st.lists(SAMPLES).map("".join))
def test_fast_tokens_equal_the_reference_tokenizer(text: str) -> None:
    assert words(text) == tokenize(fold(text))


def test_folding_examples() -> None:
    assert words("I like Coca-Cola!") == ["i", "like", "coca", "cola"]
    assert words("Diacrítica") == ["diacritica"]
    assert words("Straße") == ["strasse"]
    assert words("so angry😡😡 #fail") == ["so", "angry", "😡", "😡", "fail"]
    assert words("👍🏽ok") == ["👍", "ok"]
    assert words("snake_case don't") == ["snake", "case", "don", "t"]


def test_the_non_ascii_chunk_memo_stays_bounded_and_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_text, "_CHUNK_TOKENS_MAX", 16)
    _text._CHUNK_TOKENS.clear()
    for i in range(200):
        text = f"Caf\u00e9{i} it\u2019s{i} \U0001f621{i}"
        assert words(text) == tokenize(fold(text))
        assert words(text) == tokenize(fold(text))  # the second time from the memo
        assert len(_text._CHUNK_TOKENS) <= 16
