"""Short codes and UTM tagging (pure)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from socialcare.errors import LinkError

__all__ = ["CODE_ALPHABET", "check_code", "check_target", "random_code", "tag_url"]

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
"""Random codes avoid look-alikes (0/O, 1/l/I)."""
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
"""What a short code matches (:func:`check_code`)."""
_CLIP = 60


def _clip(value: str) -> str:
    return value if len(value) <= _CLIP else value[: _CLIP - 1] + "\u2026"


def check_code(code: object) -> str:
    """``code`` if it is a valid short code: 1 to 64 letters, digits, ``_`` or ``-``."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        msg = f"short code must be 1-64 letters, digits, '_' or '-', got {_clip(repr(code))}"
        raise LinkError(msg)
    return code


def check_target(url: object) -> str:
    """``url`` if it is an absolute http(s) URL without credentials or control characters."""
    if not isinstance(url, str) or not url:
        msg = f"link target must be a non-empty str, got {_clip(repr(url))}"
        raise LinkError(msg)
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or "@" in parts.netloc
        or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url)  # noqa: PLR2004
    ):
        msg = f"link target must be an absolute http(s) URL without credentials: {_clip(url)!r}"
        raise LinkError(msg)
    return url


def random_code(length: int = 7) -> str:
    """A random code of ``length`` characters from :data:`CODE_ALPHABET` (``secrets``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def tag_url(
    url: str,
    *,
    source: str | None = None,
    medium: str | None = None,
    campaign: str | None = None,
    content: str | None = None,
    term: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    """``url`` with UTM parameters set (existing ones replaced, other parameters kept).

    Example:
        >>> tag_url("https://acme.com/help?x=1", source="x", medium="social", campaign="care")
        'https://acme.com/help?x=1&utm_source=x&utm_medium=social&utm_campaign=care'
    """
    check_target(url)
    parts = urlsplit(url)
    utm = {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_content": content,
        "utm_term": term,
        **(extra or {}),
    }
    given = {k: v for k, v in utm.items() if v is not None}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in given]
    query = urlencode([*kept, *given.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
