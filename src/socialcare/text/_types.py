"""Typed results of the extractors: an entity's text and its code-point span."""

from __future__ import annotations

import attrs

__all__ = ["CashtagMatch", "HashtagMatch", "MentionMatch", "MentionOrListMatch", "UrlMatch"]


@attrs.frozen
class UrlMatch:
    """A URL found in a text.

    Attributes:
        url: the URL as written (``text[start:end]``, except for the rare protocol-less URL
            whose host mixes non-ASCII and ASCII labels: then, as in twitter-text, it is the
            ASCII domain followed by the path, and the span covers the whole host).
        start: index of the first character (a code-point index into the text).
        end: index one past the last character.
    """

    url: str
    start: int
    end: int


@attrs.frozen
class MentionMatch:
    """An ``@username`` mention: ``start`` indexes the at sign, ``end`` is one past the name."""

    username: str
    start: int
    end: int


@attrs.frozen
class MentionOrListMatch:
    """An ``@username`` mention or an ``@username/list`` list reference.

    Attributes:
        username: the user name, without the at sign.
        list_slug: the list's slug without the slash, or ``None`` for a plain mention.
        start: index of the at sign.
        end: one past the name (or the slug, for a list).
    """

    username: str
    list_slug: str | None
    start: int
    end: int


@attrs.frozen
class HashtagMatch:
    """A ``#hashtag``: ``hashtag`` is the text without the hash sign, ``start`` indexes the sign."""

    hashtag: str
    start: int
    end: int


@attrs.frozen
class CashtagMatch:
    """A ``$CASHTAG``: ``cashtag`` is the symbol without the dollar sign, ``start`` indexes it."""

    cashtag: str
    start: int
    end: int
