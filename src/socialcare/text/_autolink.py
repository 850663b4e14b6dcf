"""``autolink``: HTML with mentions, lists, hashtags, cashtags and URLs turned into links.

Follows twitter-text's ``autoLink`` family (markup, attribute order, escaping), with two
deliberate differences in the defaults, both overridable: links point to ``x.com``, and the
text between entities is HTML-escaped (``escape_text=True``) so that the result is safe to
render; twitter-text leaves it raw.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Literal

import attrs

from socialcare.models import Entities, UrlEntity
from socialcare.text._entities import extract_entity_matches
from socialcare.text._extract import (
    check_text,
    extract_cashtags_with_indices,
    extract_hashtags_with_indices,
    extract_mentions_or_lists_with_indices,
)
from socialcare.text._types import CashtagMatch, HashtagMatch, MentionOrListMatch
from socialcare.text._urls import RawUrl, extract_raw_urls

__all__ = ["AutolinkOptions", "EntityKind", "autolink", "autolink_entities", "autolink_with_json"]

EntityKind = Literal["urls", "mentions", "hashtags", "cashtags"]
"""A kind of entity ``autolink`` can link."""

_KINDS: frozenset[str] = frozenset({"urls", "mentions", "hashtags", "cashtags"})
_ESCAPES = {"&": "&amp;", ">": "&gt;", "<": "&lt;", '"': "&quot;", "'": "&#39;"}
_ESCAPE_RE = re.compile("[&\"'><]")
_RTL = re.compile("[\\u0600-\\u06ff\\u0750-\\u077f\\u0590-\\u05ff\\ufe70-\\ufeff]")
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE | re.ASCII)
_BOOLEAN_ATTRIBUTES = frozenset({"disabled", "readonly", "multiple", "checked"})
_ELLIPSIS = "\u2026"


def html_escape(text: str) -> str:
    """Escape ``& < > " '`` as twitter-text does."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


@attrs.frozen(kw_only=True)
class AutolinkOptions:
    """How :func:`autolink` renders links (twitter-text's autolink options, snake_cased).

    Attributes:
        username_url_base: prefix of a mention's link (the user name is appended).
        list_url_base: prefix of a list's link (``user/slug`` is appended).
        hashtag_url_base: prefix of a hashtag's link (the tag is appended).
        cashtag_url_base: prefix of a cashtag's link (the symbol is appended).
        username_class: CSS class of mention links.
        list_class: CSS class of list links.
        hashtag_class: CSS class of hashtag links (``rtl`` is added for RTL tags).
        cashtag_class: CSS class of cashtag links.
        url_class: CSS class of URL links (none by default).
        url_target: ``target`` of URL links.
        target_blank: add ``target="_blank"`` to every link.
        suppress_no_follow: leave out ``rel="nofollow"``.
        suppress_lists: link ``@user/list`` as a mention of ``user``.
        suppress_data_screen_name: leave out ``data-screen-name`` on mention links.
        username_include_symbol: put the ``@`` inside the mention link.
        symbol_tag: wrap ``@ # $`` in this element (for example ``"s"``).
        text_with_symbol_tag: wrap the entity text after the symbol in this element.
        invisible_tag_attrs: attributes of the hidden spans of an expanded t.co link.
        escape_text: HTML-escape the text between entities (twitter-text does not).
        html_attrs: extra attributes for every link (``True`` renders ``name="name"``).
        url_entities: X URL entities whose ``display_url``/``expanded_url`` render a t.co link.
    """

    username_url_base: str = "https://x.com/"
    list_url_base: str = "https://x.com/"
    hashtag_url_base: str = "https://x.com/search?q=%23"
    cashtag_url_base: str = "https://x.com/search?q=%24"
    username_class: str = "tweet-url username"
    list_class: str = "tweet-url list-slug"
    hashtag_class: str = "tweet-url hashtag"
    cashtag_class: str = "tweet-url cashtag"
    url_class: str | None = None
    url_target: str | None = None
    target_blank: bool = False
    suppress_no_follow: bool = False
    suppress_lists: bool = False
    suppress_data_screen_name: bool = False
    username_include_symbol: bool = False
    symbol_tag: str | None = None
    text_with_symbol_tag: str | None = None
    invisible_tag_attrs: str = "style='position:absolute;left:-9999px;'"
    escape_text: bool = True
    html_attrs: Mapping[str, str | bool] = attrs.field(factory=dict)
    url_entities: tuple[UrlEntity, ...] = ()


@attrs.frozen
class _Url:
    start: int
    end: int
    url: str
    display_url: str | None = None
    expanded_url: str | None = None


@attrs.frozen
class _Mention:
    start: int
    end: int
    username: str
    list_slug: str | None = None


@attrs.frozen
class _Tag:
    start: int
    end: int
    tag: str
    cashtag: bool


_Entity = _Url | _Mention | _Tag


def _tag_attrs(attributes: Mapping[str, str | bool | None]) -> str:
    out: list[str] = []
    for key, value in attributes.items():
        rendered: str | bool | None = value
        if key in _BOOLEAN_ATTRIBUTES:
            rendered = key if value else None
        if rendered is None or rendered is False:
            continue
        text = key if rendered is True else str(rendered)
        out.append(f' {html_escape(key)}="{html_escape(text)}"')
    return "".join(out)


def _base_attrs(options: AutolinkOptions) -> dict[str, str | bool | None]:
    return dict(options.html_attrs)


def _link(text: str, attributes: dict[str, str | bool | None], options: AutolinkOptions) -> str:
    if not options.suppress_no_follow:
        attributes["rel"] = "nofollow"
    return f"<a{_tag_attrs(attributes)}>{text}</a>"


def _link_with_symbol(
    symbol: str, text: str, attributes: dict[str, str | bool | None], options: AutolinkOptions
) -> str:
    tagged_symbol = (
        f"<{options.symbol_tag}>{symbol}</{options.symbol_tag}>" if options.symbol_tag else symbol
    )
    text = html_escape(text)
    if options.text_with_symbol_tag:
        text = f"<{options.text_with_symbol_tag}>{text}</{options.text_with_symbol_tag}>"
    if options.username_include_symbol or symbol not in "@\uff20":
        return _link(tagged_symbol + text, attributes, options)
    return tagged_symbol + _link(text, attributes, options)


def _render_tag(entity: _Tag, symbol: str, options: AutolinkOptions) -> str:
    tag = html_escape(entity.tag)
    attributes = _base_attrs(options)
    if entity.cashtag:
        attributes["href"] = options.cashtag_url_base + tag
        attributes["title"] = "$" + tag
        attributes["class"] = options.cashtag_class
    else:
        attributes["href"] = options.hashtag_url_base + tag
        attributes["title"] = "#" + tag
        css = options.hashtag_class
        attributes["class"] = css + " rtl" if tag and _RTL.match(tag) else css
    if options.target_blank:
        attributes["target"] = "_blank"
    return _link_with_symbol(symbol, tag, attributes, options)


def _render_mention(entity: _Mention, symbol: str, options: AutolinkOptions) -> str:
    user = html_escape(entity.username)
    slug = html_escape("/" + entity.list_slug) if entity.list_slug else ""
    is_list = bool(slug) and not options.suppress_lists
    attributes = _base_attrs(options)
    attributes["class"] = options.list_class if is_list else options.username_class
    attributes["href"] = (
        options.list_url_base + user + slug if is_list else options.username_url_base + user
    )
    if not is_list and not options.suppress_data_screen_name:
        attributes["data-screen-name"] = user
    if options.target_blank:
        attributes["target"] = "_blank"
    return _link_with_symbol(symbol, user + slug if is_list else user, attributes, options)


def _display_markup(display_url: str, expanded_url: str, options: AutolinkOptions) -> str:
    bare = display_url.replace(_ELLIPSIS, "")
    at = expanded_url.find(bare)
    if at < 0:
        return display_url
    before = html_escape(expanded_url[:at])
    after = html_escape(expanded_url[at + len(bare) :])
    lead = _ELLIPSIS if display_url.startswith(_ELLIPSIS) else ""
    trail = _ELLIPSIS if display_url.endswith(_ELLIPSIS) else ""
    hidden = options.invisible_tag_attrs
    return (
        f"<span class='tco-ellipsis'>{lead}<span {hidden}>&nbsp;</span></span>"
        f"<span {hidden}>{before}</span>"
        f"<span class='js-display-url'>{html_escape(bare)}</span>"
        f"<span {hidden}>{after}</span>"
        f"<span class='tco-ellipsis'><span {hidden}>&nbsp;</span>{trail}</span>"
    )


def _render_url(entity: _Url, options: AutolinkOptions) -> str:
    url = entity.url
    text = html_escape(url)
    display, expanded = entity.display_url, entity.expanded_url
    for known in options.url_entities:
        if known.url == url:
            display, expanded = known.display_url, known.expanded_url
            break
    if display:
        text = _display_markup(display, expanded or "", options)
    attributes = _base_attrs(options)
    attributes["href"] = url if _PROTOCOL.match(url) else "http://" + url
    if options.target_blank:
        attributes["target"] = "_blank"
    if options.url_class:
        attributes["class"] = options.url_class
    if options.url_target:
        attributes["target"] = options.url_target
    if display and "title" not in options.html_attrs:
        attributes["title"] = expanded
    return _link(text, attributes, options)


def _render(text: str, entities: Iterable[_Entity], options: AutolinkOptions) -> str:
    out: list[str] = []
    escape = html_escape if options.escape_text else str
    begin = 0
    for entity in sorted(entities, key=lambda e: e.start):
        out.append(escape(text[begin : entity.start]))
        symbol = text[entity.start : entity.start + 1]
        if isinstance(entity, _Url):
            out.append(_render_url(entity, options))
        elif isinstance(entity, _Tag):
            out.append(_render_tag(entity, symbol, options))
        else:
            out.append(_render_mention(entity, symbol, options))
        begin = entity.end
    out.append(escape(text[begin:]))
    return "".join(out)


def _convert(match: RawUrl | MentionOrListMatch | HashtagMatch | CashtagMatch) -> _Entity:
    if isinstance(match, RawUrl):
        return _Url(match.start, match.end, match.url)
    if isinstance(match, MentionOrListMatch):
        return _Mention(match.start, match.end, match.username, match.list_slug)
    if isinstance(match, HashtagMatch):
        return _Tag(match.start, match.end, match.hashtag, cashtag=False)
    return _Tag(match.start, match.end, match.cashtag, cashtag=True)


def _found(text: str, kinds: frozenset[str]) -> list[_Entity]:
    if len(kinds) == 1:
        # One kind: twitter-text's single-kind autolinkers, which extract only that kind.
        (kind,) = kinds
        single: list[RawUrl | MentionOrListMatch | HashtagMatch | CashtagMatch]
        if kind == "urls":
            single = list(extract_raw_urls(text, without_protocol=False))
        elif kind == "mentions":
            single = list(extract_mentions_or_lists_with_indices(text))
        elif kind == "hashtags":
            single = list(extract_hashtags_with_indices(text))
        else:
            single = list(extract_cashtags_with_indices(text))
        return [_convert(m) for m in single]
    wanted = {
        RawUrl: "urls",
        MentionOrListMatch: "mentions",
        HashtagMatch: "hashtags",
        CashtagMatch: "cashtags",
    }
    return [
        _convert(m)
        for m in extract_entity_matches(text, without_protocol=False)
        if wanted[type(m)] in kinds
    ]


def autolink(
    text: str,
    *,
    only: Collection[EntityKind] | None = None,
    options: AutolinkOptions | None = None,
) -> str:
    """``text`` as HTML, with its entities linked.

    URLs are linked only when they have a scheme (``https://...``), as in twitter-text.

    Args:
        text: the post's text.
        only: link only these kinds (default: all). With a single kind, entities are found
            as twitter-text's single-kind autolinkers find them.
        options: rendering options (default :class:`AutolinkOptions`).

    Raises:
        TypeError: ``text`` is not a ``str``.
        ValueError: ``only`` names an unknown kind.

    Example:
        >>> autolink("hi @acme #help", options=AutolinkOptions(suppress_no_follow=True))
        ... # doctest: +NORMALIZE_WHITESPACE
        'hi @<a class="tweet-url username" href="https://x.com/acme"
        data-screen-name="acme">acme</a> <a href="https://x.com/search?q=%23help"
        title="#help" class="tweet-url hashtag">#help</a>'
    """
    check_text(text)
    kinds = _KINDS if only is None else frozenset(only)
    unknown = kinds - _KINDS
    if unknown:
        msg = f"unknown entity kinds {sorted(unknown)}; use urls, mentions, hashtags, cashtags"
        raise ValueError(msg)
    return _render(text, _found(text, kinds), options or AutolinkOptions())


def autolink_entities(
    text: str, entities: Entities, *, options: AutolinkOptions | None = None
) -> str:
    """``text`` as HTML, linking the given entities (for example a post's ``entities``).

    URL entities that carry ``display_url`` and ``expanded_url`` (as X sends for t.co
    links) render the expanded link, the way twitter-text's ``autoLinkWithJSON`` does.
    """
    check_text(text)
    found: list[_Entity] = [
        _Url(u.start, u.end, u.url, u.display_url, u.expanded_url) for u in entities.urls
    ]
    found += [_Mention(m.start, m.end, m.username) for m in entities.mentions]
    found += [_Tag(h.start, h.end, h.tag, cashtag=False) for h in entities.hashtags]
    found += [_Tag(c.start, c.end, c.tag, cashtag=True) for c in entities.cashtags]
    return _render(text, found, options or AutolinkOptions())


def autolink_with_json(
    text: str, entities: str | Mapping[str, object], *, options: AutolinkOptions | None = None
) -> str:
    """``text`` as HTML, linking entities given as X API v1.1 JSON.

    ``entities`` is the ``entities`` object of a v1.1 status (``user_mentions``, ``hashtags``,
    ``symbols``, ``urls``; ``indices`` in code points), as a JSON string or a mapping.

    Raises:
        ValueError: the JSON is malformed or an entity lacks ``indices``.
        TypeError: ``entities`` or one entity is not an object.
    """
    check_text(text)
    data = json.loads(entities) if isinstance(entities, str) else entities
    if not isinstance(data, Mapping):
        raise TypeError("entities must be a JSON object")
    found: list[_Entity] = []
    for key, items in data.items():
        if not isinstance(items, list):
            continue
        for item in items:
            entity = _from_v1(str(key), item)
            if entity is not None:
                found.append(entity)
    return _render(text, found, options or AutolinkOptions())


def _from_v1(key: str, item: object) -> _Entity | None:
    if not isinstance(item, Mapping):
        raise TypeError(f"{key}: each entity must be an object")
    indices = item.get("indices")
    if not (
        isinstance(indices, list)
        and len(indices) == 2  # noqa: PLR2004 - [start, end]
        and all(isinstance(i, int) for i in indices)
    ):
        raise ValueError(f"{key}: each entity needs indices [start, end]")
    start, end = indices

    def text(name: str) -> str | None:
        value = item.get(name)
        return value if isinstance(value, str) else None

    url = text("url")
    if url is not None:
        return _Url(start, end, url, text("display_url"), text("expanded_url"))
    if key == "user_mentions" and text("screen_name") is not None:
        return _Mention(start, end, text("screen_name") or "")
    if key in ("hashtags", "symbols") and text("text") is not None:
        return _Tag(start, end, text("text") or "", cashtag=key == "symbols")
    return None
