"""``hit_highlight``: wrap search hits in a tag, in plain text or in already-linked HTML."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from socialcare.text._extract import check_text

__all__ = ["hit_highlight"]


def _split_markup(text: str) -> list[str]:
    """Alternating text and tag pieces: ``text0, tag0, text1, tag1, ...`` (tags without ``<>``).

    As in twitter-text, a piece that starts right at a ``<`` yields one empty piece.
    """
    pieces: list[str] = []
    for part in text.split("<"):
        if part:
            pieces.extend(part.split(">"))
        else:
            pieces.append("")
    return pieces


def hit_highlight(text: str, hits: Iterable[Sequence[int]], *, tag: str = "em") -> str:
    """Wrap each ``(start, end)`` hit of ``text`` in ``<tag>...</tag>``.

    ``text`` may already hold markup (the output of :func:`autolink`, say): offsets count
    only the characters outside tags, and a hit that ends where a link's text ends is closed
    inside the link. Hits must be sorted and must not overlap, as twitter-text's
    ``hitHighlight`` expects.

    Args:
        text: plain text or HTML.
        hits: ``(start, end)`` code-point offsets into the text without markup.
        tag: the element to wrap hits in.

    Raises:
        TypeError: ``text`` is not a ``str``.
        ValueError: a hit is not a pair of integers.

    Example:
        >>> hit_highlight("this is a test", [(0, 4), (10, 14)])
        '<em>this</em> is a <em>test</em>'
    """
    check_text(text)
    bounds = _bounds(hits)
    if not bounds:
        return text
    marks = (f"<{tag}>", f"</{tag}>")
    pieces = _split_markup(text)
    out: list[str] = []
    index = 0  # of the current text piece (even indices are text, odd are tags)
    before = 0  # text characters in the pieces already passed
    cursor = 0  # position inside the current piece already copied
    opened_here = False  # a hit opened inside the current piece
    for k, bound in enumerate(bounds):
        mark = marks[k % 2]
        placed = False
        while index < len(pieces) and bound >= before + len(pieces[index]):
            piece = pieces[index]
            out.append(piece[cursor:])
            if opened_here and bound == before + len(piece):
                out.append(mark)  # close before the markup that follows
                placed = True
            if index + 1 < len(pieces) and pieces[index + 1]:
                out.append(f"<{pieces[index + 1]}>")
            before += len(piece)
            cursor = 0
            index += 2
            opened_here = False
        if placed:
            continue
        if index < len(pieces):
            spot = bound - before
            out.append(pieces[index][cursor:spot] + mark)
            cursor = spot
            opened_here = k % 2 == 0
        else:
            out.append(mark)
    if index < len(pieces):
        out.append(pieces[index][cursor:])
        out.extend(
            pieces[rest] if rest % 2 == 0 else f"<{pieces[rest]}>"
            for rest in range(index + 1, len(pieces))
        )
    return "".join(out)


def _bounds(hits: Iterable[Sequence[int]]) -> list[int]:
    bounds: list[int] = []
    for hit in hits:
        if len(hit) != 2 or not all(isinstance(i, int) for i in hit):  # noqa: PLR2004 - a pair
            msg = f"each hit must be a (start, end) pair of integers, got {hit!r}"
            raise ValueError(msg)
        bounds.extend(hit)
    return bounds
