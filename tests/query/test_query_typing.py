"""Static typing of the query API: ``mypy --strict`` checks these ``assert_type`` calls.

Under pytest ``assert_type`` is a no-op; run ``mypy --strict tests/query/test_query_typing.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from socialcare.models import Post
from socialcare.query import Clause, PostView, Query, QuerySet, pack_terms

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def test_builder_types() -> None:
    terms: Callable[[str, str], Query] = Query.terms  # (*words: str) -> Query
    assert_type(terms("acme", "late"), Query)
    q = Query.terms("acme").any_of("down", Query.mentioning("acme")).from_("bob", 42)
    assert_type(q, Query)
    assert_type(q.clause, Clause | None)
    assert_type(q.render(max_length=Query.FULL_ARCHIVE_MAX_LENGTH), str)
    assert_type(Query.parse("acme") | ~Query.terms("spam"), Query)
    assert_type(pack_terms(["a", Query.hashtag("b")], within=q), list[Query])


def test_matching_types() -> None:
    post = Post(id="1", text="acme is down")
    q = Query.terms("acme")
    assert_type(q.matches(post), bool)
    assert_type(q.matches(PostView(post)), bool)
    rules: QuerySet[str] = QuerySet({"a": q, "b": "acme down"})
    assert_type(rules.matching(post), list[str])
    assert_type(rules["a"], Query)
    numbered = QuerySet({1: q})
    assert_type(numbered.matching(post), list[int])
