"""Text folding and tokenization with X's keyword semantics.

X matches keywords against the *tokenized* text of a post: the text is split on
punctuation, symbols and separators, case is ignored, and (in search, unlike in
filtered stream) accents are ignored too, so ``Diacrítica`` matches
``Diacritica``. Emoji are tokens of their own.

Both the query's terms and the post's text go through the same :func:`fold`
and :func:`tokenize`, so matching is consistent even where this approximation
of X's tokenizer differs from X's (for example, a run of CJK characters is one
token here).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["fold", "tokenize", "words"]

# Emoji pictographs and symbols: each code point is a token. Skin-tone
# modifiers (U+1F3FB..U+1F3FF), ZWJ and variation selectors are separators.
_EMOJI = (
    "\U0001f000-\U0001f3fa\U0001f400-\U0001faff"
    "\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\u3030\u303d\u3297\u3299"
)
_TOKEN = re.compile(rf"[^\W_]+|[{_EMOJI}]")
# Combining marks left over by NFKD decomposition (accents, diacritics).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents, as X search compares words."""
    if text.isascii():
        return text.lower()
    if unicodedata.is_normalized("NFKD", text) and not _MARKS.search(text):
        return text.casefold()  # nothing to decompose (curly quotes, emoji...)
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def tokenize(folded: str) -> list[str]:
    """Split already :func:`fold`-ed text into X search tokens."""
    return _TOKEN.findall(folded)


def is_word_char(char: str) -> bool:
    """Whether ``char`` continues a word token (letters and digits, not ``_``)."""
    return char.isalnum()


# Fast path: one C-level pass over the UTF-8 bytes lower-cases ASCII letters
# and turns every other ASCII byte that is not a letter or digit into a space
# (bytes of non-ASCII characters are left alone). ``split()`` then yields the
# ASCII tokens directly; only the rare chunks holding non-ASCII characters go
# through fold() and the regular expression.
_ASCII_TABLE: Final = bytes(
    c if c >= 0x80 else (ord(chr(c).lower()) if chr(c).isalnum() else 0x20)  # noqa: PLR2004
    for c in range(256)
)


# Tokens of the chunks holding non-ASCII characters, which recur a lot in real
# posts ("it's" and "don't" with a curly apostrophe, emoji): folding and the
# regular expression run once per distinct chunk. Bounded: emptied when full,
# so memory stays small whatever the input. Races between threads only cost a
# recomputation.
_CHUNK_TOKENS: dict[str, tuple[str, ...]] = {}
_CHUNK_TOKENS_MAX: Final = 8192


def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    tokens = _CHUNK_TOKENS.get(chunk)
    if tokens is None:
        tokens = tuple(_TOKEN.findall(fold(chunk)))
        if len(_CHUNK_TOKENS) >= _CHUNK_TOKENS_MAX:
            _CHUNK_TOKENS.clear()
        _CHUNK_TOKENS[chunk] = tokens
    return tokens


def words(text: str) -> list[str]:
    """The search tokens of ``text``: ``tokenize(fold(text))``, computed faster.

    Text that is not valid Unicode (a lone surrogate, in a post built by hand: ``from_x``
    repairs them) is tokenized as it is; the surrogate stays inside its word.
    """
    try:
        chunks = text.encode().translate(_ASCII_TABLE).decode().split()
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
        chunks = raw.translate(_ASCII_TABLE).decode("utf-8", "surrogatepass").split()
    if text.isascii():
        return chunks
    out: list[str] = []
    for chunk in chunks:
        if chunk.isascii():
            out.append(chunk)
        else:
            out.extend(_chunk_tokens(chunk))
    return out
