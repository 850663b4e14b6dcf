"""Pagination helpers and query coercion, without any network."""

from __future__ import annotations

import pytest

from socialcare.models import Page
from socialcare.platforms import iter_items, iter_pages
from socialcare.platforms._base import query_text
from socialcare.query import Query


def _pages(tokens):
    """A fake endpoint: page n holds item n and points at tokens[n]."""
    calls = []

    def fetch(token):
        calls.append(token)
        n = len(calls) - 1
        return Page(items=(n,), next_token=tokens[n])

    return fetch, calls


def test_iter_pages_follows_tokens_until_none():
    fetch, calls = _pages(["a", "b", None])
    assert [p.items for p in iter_pages(fetch)] == [(0,), (1,), (2,)]
    assert calls == [None, "a", "b"]


def test_iter_pages_refuses_a_repeated_token():
    fetch, _ = _pages(["a", "a", None])
    with pytest.raises(ValueError, match="twice"):
        list(iter_pages(fetch))


def test_iter_items_limits():
    fetch, calls = _pages(["a", "b", None])
    assert list(iter_items(fetch, limit=0)) == []
    assert calls == []
    assert list(iter_items(fetch, limit=2)) == [0, 1]
    assert calls == [None, "a"]
    with pytest.raises(ValueError, match="negative"):
        list(iter_items(fetch, limit=-1))
    with pytest.raises(ValueError, match="max_pages"):
        list(iter_pages(fetch, max_pages=0))


def test_query_text_accepts_strings_and_renderables():
    assert query_text("@acme -is:retweet") == "@acme -is:retweet"
    assert query_text(Query.parse("@acme broken")) == "@acme broken"
    with pytest.raises(TypeError, match="render"):
        query_text(42)  # type: ignore[arg-type]


def test_renderables_render_for_the_endpoint_limit():
    long = Query.parse(" OR ".join(f"word{n:04d}" for n in range(60)))
    assert 512 < len(query_text(long, max_length=1024)) <= 1024
    with pytest.raises(ValueError, match="512"):
        query_text(long, max_length=512)

    class Plain:
        def render(self):
            return "acme"

    assert query_text(Plain(), max_length=10) == "acme"
