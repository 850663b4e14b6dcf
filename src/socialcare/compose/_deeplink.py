"""X's DM deep link: the "Send us a DM" button a reply or post can carry (pure)."""

from __future__ import annotations

__all__ = ["dm_deep_link"]


def dm_deep_link(brand_id: str, *, text: str | None = None) -> str:
    """X's deep link that opens a DM to ``brand_id`` (the "Send us a DM" button of a post).

    Example:
        >>> dm_deep_link("1234")
        'https://twitter.com/messages/compose?recipient_id=1234'
    """
    if not brand_id.isdigit():
        raise ValueError(f"brand_id must be a numeric user id, got {brand_id!r}")
    link = f"https://twitter.com/messages/compose?recipient_id={brand_id}"
    if text:
        from urllib.parse import quote  # noqa: PLC0415 - only deep links with text need it

        link += "&text=" + quote(text, safe="")
    return link
