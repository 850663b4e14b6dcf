"""A post's text as X stores it, from the text as it was sent (pure).

What ``POST /2/tweets`` does to the text, measured on recorded API v2 payloads
(``x-api-v2-samples``: 83 of 93 replies begin with ``@<parent author>``, 23 of 315
texts hold ``&amp;``, every link is a 23-character ``https://t.co/...``):

* a reply begins with the @mentions X adds (``World.reply_mentions`` picks them), each
  followed by one space; ``display_text_range`` marks the body after them;
* ``&``, ``<`` and ``>`` are stored HTML-escaped;
* every URL becomes a t.co link; ``entities.urls[]`` carries the t.co ``url``,
  the ``expanded_url`` (a scheme-less URL gains ``http://``), the ``display_url``
  (no scheme, no ``www.``, a long path cut to 14 characters and ``…``), and
  ``start``/``end`` in code points of the stored (escaped) text, as X counts them;
* the text is NFC-normalised first (X counts and stores NFC).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import attrs

from socialcare.models import UrlEntity
from socialcare.text import extract_urls_with_indices

__all__ = ["MAX_REPLY_MENTIONS", "StoredText", "display_url", "escape", "stored_text", "tco"]

MAX_REPLY_MENTIONS = 50
"""The most @mentions X adds to the start of a reply."""

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PATH_SHOWN = 14


@attrs.frozen
class StoredText:
    """A post's text as X stores it.

    Attributes:
        text: the stored text (leading mentions, escaped, t.co links).
        display_text_range: ``(start, end)`` of the body in ``text``.
        urls: the ``entities.urls[]`` of ``text``.
    """

    text: str
    display_text_range: tuple[int, int]
    urls: tuple[UrlEntity, ...]


def escape(text: str) -> str:
    """X's HTML escaping: ``&``, ``<`` and ``>`` only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tco(seed: str) -> str:
    """A t.co link (23 characters) derived from ``seed`` (the post id and the link's place)."""
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    code = ""
    for _ in range(10):
        digest, rem = divmod(digest, len(_ALPHABET))
        code += _ALPHABET[rem]
    return f"https://t.co/{code}"


def display_url(expanded: str) -> str:
    """How X shows a link: no scheme, no ``www.``, a path longer than 15 cut to 14 and ``…``."""
    shown = _SCHEME.sub("", expanded)
    shown = shown.removeprefix("www.")
    host, slash, path = shown.partition("/")
    if len(path) > _PATH_SHOWN + 1:
        path = path[:_PATH_SHOWN] + "…"
    return host + slash + path


def stored_text(typed: str, *, mentions: Sequence[str], post_id: str) -> StoredText:
    """``typed`` as X stores it for post ``post_id``.

    Args:
        typed: the text as sent.
        mentions: the handles X adds at the start (a reply's; empty otherwise).
        post_id: the new post's id (t.co links are derived from it).
    """
    text = unicodedata.normalize("NFC", typed)
    prefix = "".join(f"@{handle} " for handle in mentions)
    out = [prefix]
    position = len(prefix)
    urls: list[UrlEntity] = []
    last = 0
    for index, match in enumerate(extract_urls_with_indices(text)):
        before = escape(text[last : match.start])
        out.append(before)
        position += len(before)
        written = text[match.start : match.end]
        expanded = written if _SCHEME.match(written) else f"http://{written}"
        link = tco(f"{post_id}/{index}/{expanded}")
        urls.append(
            UrlEntity(
                start=position,
                end=position + len(link),
                url=link,
                expanded_url=expanded,
                display_url=display_url(expanded),
            )
        )
        out.append(link)
        position += len(link)
        last = match.end
    out.append(escape(text[last:]))
    stored = "".join(out)
    return StoredText(stored, (len(prefix), len(stored)), tuple(urls))
