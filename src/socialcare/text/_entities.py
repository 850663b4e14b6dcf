"""All entities of a text at once, without overlaps, as ``socialcare.models.Entities``."""

from __future__ import annotations

from socialcare.models import Entities, MentionEntity, TagEntity, UrlEntity
from socialcare.text._extract import (
    check_text,
    extract_cashtags_with_indices,
    extract_hashtags_with_indices,
    extract_mentions_or_lists_with_indices,
)
from socialcare.text._types import CashtagMatch, HashtagMatch, MentionOrListMatch
from socialcare.text._urls import RawUrl, extract_raw_urls

__all__ = ["extract_entities", "extract_entity_matches"]

_Match = RawUrl | MentionOrListMatch | HashtagMatch | CashtagMatch


def extract_entity_matches(text: str, *, without_protocol: bool = True) -> list[_Match]:
    """URLs, mentions and lists, hashtags and cashtags, by position, overlaps removed.

    As twitter-text's ``extractEntitiesWithIndices``: when two entities overlap, the one
    that starts first wins (a URL before a mention, hashtag or cashtag on a tie).
    """
    check_text(text)
    found: list[_Match] = [
        *extract_raw_urls(text, without_protocol=without_protocol),
        *extract_mentions_or_lists_with_indices(text),
        *extract_hashtags_with_indices(text, check_url_overlap=False),
        *extract_cashtags_with_indices(text),
    ]
    if not found:
        return []
    found.sort(key=lambda e: e.start)  # stable: URLs, then mentions, hashtags, cashtags
    kept = [found[0]]
    for entity in found[1:]:
        if kept[-1].end <= entity.start:
            kept.append(entity)
    return kept


def _url_entity(raw: RawUrl) -> UrlEntity:
    lowered = raw.url[:8].lower()
    has_scheme = lowered.startswith(("http://", "https://"))
    expanded = raw.url if has_scheme else "http://" + raw.url
    display = raw.url[raw.url.index("//") + 2 :] if has_scheme else raw.url
    return UrlEntity(
        start=raw.start, end=raw.end, url=raw.url, expanded_url=expanded, display_url=display
    )


def extract_entities(text: str) -> Entities:
    """The entities X would report for a post with this text.

    Mentions, URLs, hashtags and cashtags with code-point ``start``/``end`` (what X API v2
    uses), overlaps resolved as X does. An ``@user/list`` reference yields a mention of
    ``user`` spanning ``@user``. A URL entity's ``url`` is the link as written (X would
    replace it with a ``t.co`` link when posting); ``expanded_url`` adds ``http://`` when
    the text has no scheme, and ``display_url`` drops the scheme.

    Raises:
        TypeError: ``text`` is not a ``str``.

    Example:
        >>> e = extract_entities("@acme see example.com #help $ACME")
        >>> [m.username for m in e.mentions], [u.url for u in e.urls]
        (['acme'], ['example.com'])
    """
    mentions: list[MentionEntity] = []
    urls: list[UrlEntity] = []
    hashtags: list[TagEntity] = []
    cashtags: list[TagEntity] = []
    for entity in extract_entity_matches(text):
        if isinstance(entity, RawUrl):
            urls.append(_url_entity(entity))
        elif isinstance(entity, MentionOrListMatch):
            end = entity.start + 1 + len(entity.username)
            mentions.append(MentionEntity(start=entity.start, end=end, username=entity.username))
        elif isinstance(entity, HashtagMatch):
            hashtags.append(TagEntity(start=entity.start, end=entity.end, tag=entity.hashtag))
        else:
            cashtags.append(TagEntity(start=entity.start, end=entity.end, tag=entity.cashtag))
    return Entities(
        mentions=tuple(mentions),
        urls=tuple(urls),
        hashtags=tuple(hashtags),
        cashtags=tuple(cashtags),
    )
