"""Is this stored post (or DM) the one we sent? Matching on what X stores (pure).

X does not store a post's text as it was sent:

* a reply's text begins with the @mentions X adds (the parent's author and the users
  it mentioned); ``display_text_range`` marks where the body starts;
* ``&``, ``<`` and ``>`` come back as ``&amp;``, ``&lt;`` and ``&gt;``;
* every URL becomes a ``https://t.co/...`` link; ``entities.urls[]`` keeps the
  ``expanded_url`` (a URL typed without a scheme gains ``http://``);
* the text is NFC-normalised, and surrounding whitespace does not survive.

So a lost answer is reconciled by comparing *keys*: the text as the author typed it
and the text as X stores it, both reduced to the same form. Raw equality would miss
every reply, every ``&`` and every link.
"""

from __future__ import annotations

import re
import unicodedata

from socialcare.models import DirectMessage, Entities, Post
from socialcare.text import extract_urls_with_indices

__all__ = ["dm_matches", "post_matches", "stored_key", "typed_key", "unescape"]

_WHITESPACE = re.compile(r"\s+")
_LEADING_MENTIONS = re.compile("^(?:[@\uff20][A-Za-z0-9_]{1,20}\\s+)+")
_NO_ENTITIES = Entities()
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def unescape(text: str) -> str:
    """Undo X's HTML escaping of ``&``, ``<`` and ``>`` (and nothing else).

    ``&quot;`` typed by the author stays as typed: X escapes only these three.
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _squeeze(text: str) -> str:
    """NFC, whitespace runs as one space, no surrounding whitespace."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _with_scheme(url: str) -> str:
    return url if _SCHEME.match(url) else f"http://{url}"


def typed_key(text: str) -> str:
    """The comparison key of a text as the author typed it.

    Every URL gains the scheme X gives it when it expands the t.co link.
    """
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    last = 0
    for match in extract_urls_with_indices(text):
        start, end = match.start, match.end
        out.extend((text[last:start], _with_scheme(text[start:end])))
        last = end
    out.append(text[last:])
    return _squeeze("".join(out))


def _expand_urls(text: str, entities: Entities, offset: int = 0) -> str:
    """``text`` with each t.co link of ``entities`` replaced by its expanded URL.

    ``offset``: where ``text`` starts in the text the entity indices refer to.
    Entities whose indices do not point at their link are replaced by value.
    """
    out: list[str] = []
    last = 0
    loose: list[tuple[str, str]] = []
    for url in sorted(entities.urls, key=lambda u: u.start):
        target = url.expanded_url or url.url
        start, end = url.start - offset, url.end - offset
        if 0 <= start <= end <= len(text) and start >= last and text[start:end] == url.url:
            out.extend((text[last:start], target))
            last = end
        else:
            loose.append((url.url, target))
    out.append(text[last:])
    expanded = "".join(out)
    for short, target in loose:
        expanded = expanded.replace(short, target)
    return expanded


def stored_key(text: str, entities: Entities = _NO_ENTITIES, *, offset: int = 0) -> str:
    """The comparison key of a text as X stores it (links expanded, unescaped)."""
    return _squeeze(unescape(_expand_urls(text, entities, offset)))


def _strip_leading_mentions(key: str) -> str:
    return _LEADING_MENTIONS.sub("", key)


def post_matches(post: Post, text: str) -> bool:
    """Whether ``post`` (as X returns it) carries ``text`` (as it was sent).

    The body is read from ``display_text_range`` when X sent it; for a reply the
    leading @mentions are also compared away on both sides (X adds the reply
    target's mentions; the author may have typed some of them too). Reply target
    and author are for the caller to check.
    """
    wanted = typed_key(text)
    if post.display_text_range is not None:
        start, end = post.display_text_range
        body = stored_key(post.text[start:end], post.entities, offset=start)
        if body == wanted:
            return True
    whole = stored_key(post.text, post.entities)
    if whole == wanted:
        return True
    if not post.is_reply:
        return False
    return _strip_leading_mentions(whole) == _strip_leading_mentions(wanted)


def dm_matches(message: DirectMessage, text: str) -> bool:
    """Whether the DM event ``message`` carries ``text`` (as it was sent)."""
    if message.event_type != "MessageCreate":
        return False
    return stored_key(message.text, message.entities) == typed_key(text)
