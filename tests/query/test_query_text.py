from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from socialcare._query._text import fold, padded_ascii, tokenize, words

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


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_padded_ascii_separates_tokens_by_spaces(text: str) -> None:
    padded = padded_ascii(text)
    assert padded.split() == tokenize(fold(text))
    assert padded.startswith(" ")
    assert padded.endswith(" ")


def test_folding_examples() -> None:
    assert words("I like Coca-Cola!") == ["i", "like", "coca", "cola"]
    assert words("Diacrítica") == ["diacritica"]
    assert words("Straße") == ["strasse"]
    assert words("so angry😡😡 #fail") == ["so", "angry", "😡", "😡", "fail"]
    assert words("👍🏽ok") == ["👍", "ok"]
    assert words("snake_case don't") == ["snake", "case", "don", "t"]
