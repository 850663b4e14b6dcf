"""autolink beyond the conformance suite: safe defaults, options, model entities."""

from __future__ import annotations

import pytest

from socialcare.models import Entities, MentionEntity, TagEntity, UrlEntity
from socialcare.text import (
    AutolinkOptions,
    autolink,
    autolink_entities,
    autolink_with_json,
    hit_highlight,
)


def test_default_links_point_to_x_and_are_nofollow() -> None:
    html = autolink("hi @acme")
    assert html == (
        'hi @<a class="tweet-url username" href="https://x.com/acme" '
        'data-screen-name="acme" rel="nofollow">acme</a>'
    )


def test_text_between_entities_is_escaped_by_default() -> None:
    text = 'See: http://x.xx.com/@"style="color:pink"onmouseover=alert(1)// <b>'
    html = autolink(text)
    assert "<b>" not in html
    assert "&quot;style=&quot;" in html
    assert html.startswith('See: <a href="http://x.xx.com/" rel="nofollow">http://x.xx.com/</a>')
    raw = autolink(text, options=AutolinkOptions(escape_text=False))
    assert raw.endswith("<b>")


def test_bare_domains_are_not_linked() -> None:
    assert autolink("visit example.com") == "visit example.com"


def test_options_render_symbols_targets_and_attributes() -> None:
    options = AutolinkOptions(
        suppress_no_follow=True,
        target_blank=True,
        username_include_symbol=True,
        symbol_tag="s",
        text_with_symbol_tag="b",
        html_attrs={"data-x": "1", "disabled": True},
        url_class="link",
    )
    html = autolink("@a #b https://c.com", options=options)
    assert '<a data-x="1" disabled="disabled" class="tweet-url username"' in html
    assert 'target="_blank"><s>@</s><b>a</b></a>' in html
    assert "<s>#</s><b>b</b>" in html
    assert 'href="https://c.com" target="_blank" class="link">https://c.com</a>' in html


def test_rtl_hashtag_class_and_lists() -> None:
    assert 'class="tweet-url hashtag rtl"' in autolink("#\u05e9\u05dc\u05d5\u05dd")
    html = autolink("@user/list", options=AutolinkOptions(suppress_no_follow=True))
    assert html == '@<a class="tweet-url list-slug" href="https://x.com/user/list">user/list</a>'
    suppressed = autolink("@user/list", options=AutolinkOptions(suppress_lists=True))
    assert 'href="https://x.com/user"' in suppressed


def test_only_filters_kinds() -> None:
    text = "@a #b $C https://d.com"
    assert autolink(text, only=["hashtags", "cashtags"]).count("<a ") == 2
    with pytest.raises(ValueError, match="unknown entity kinds"):
        autolink(text, only=["emoji"])  # type: ignore[list-item]


def test_autolink_entities_uses_display_url() -> None:
    text = "look https://t.co/abc @acme #x $Y"
    entities = Entities(
        mentions=(MentionEntity(start=22, end=27, username="acme"),),
        urls=(
            UrlEntity(
                start=5,
                end=21,
                url="https://t.co/abc",
                expanded_url="https://example.com/page",
                display_url="example.com/page",
            ),
        ),
        hashtags=(TagEntity(start=28, end=30, tag="x"),),
        cashtags=(TagEntity(start=31, end=33, tag="Y"),),
    )
    html = autolink_entities(text, entities)
    assert 'href="https://t.co/abc" title="https://example.com/page"' in html
    assert "<span class='js-display-url'>example.com/page</span>" in html
    assert html.count("<a ") == 4


def test_url_entities_option_renders_display_url() -> None:
    option = AutolinkOptions(
        url_entities=(
            UrlEntity(
                start=0,
                end=0,
                url="https://t.co/z",
                display_url="a.com/\u2026",
                expanded_url="https://a.com/long",
            ),
        )
    )
    html = autolink("https://t.co/z", options=option)
    assert "<span class='js-display-url'>a.com/</span>" in html
    assert "\u2026</span></a>" in html


def test_autolink_with_json_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="indices"):
        autolink_with_json("x", {"hashtags": [{"text": "x"}]})
    with pytest.raises(TypeError, match="JSON object"):
        autolink_with_json("x", "[]")


def test_hit_highlight_on_autolinked_html() -> None:
    html = autolink("ask @acme now", options=AutolinkOptions(suppress_no_follow=True))
    got = hit_highlight(html, [(5, 9)], tag="mark")
    assert got == (
        'ask @<a class="tweet-url username" href="https://x.com/acme" '
        'data-screen-name="acme"><mark>acme</mark></a> now'
    )
    assert hit_highlight("abc", []) == "abc"
    with pytest.raises(ValueError, match="pair of integers"):
        hit_highlight("abc", [(1,)])
