"""Notebook data (issue 15): Page.to_x() without arguments, records, frames, derived entities."""

from __future__ import annotations

import datetime as dt

import pytest

from socialcare import ConfigurationError, Post, Query
from socialcare.models import DirectMessage, Page, User, to_dataframe, to_records
from socialcare.query import QuerySet

PAYLOAD: dict[str, object] = {
    "data": [
        {
            "id": "1880000000000000001",
            "text": "@acme my order is late #fail",
            "author_id": "42",
            "created_at": "2026-01-05T10:00:00.000Z",
            "entities": {
                "mentions": [{"start": 0, "end": 5, "username": "acme"}],
                "hashtags": [{"start": 23, "end": 28, "tag": "fail"}],
            },
        },
        {"id": "1880000000000000002", "text": "anyone there?", "author_id": "77"},
    ],
    "includes": {"users": [{"id": "42", "username": "ada", "name": "Ada L."}]},
    "meta": {"result_count": 2, "newest_id": "1880000000000000002"},
}


def test_page_to_x_defaults_to_each_items_own_to_x() -> None:
    page = Page.posts_from_x(PAYLOAD)
    assert page.to_x() == page.to_x(lambda p: p.to_x())
    assert Page.posts_from_x(page.to_x()) == page
    users = Page.users_from_x({"data": [{"id": "1", "username": "a", "name": "A"}]})
    assert users.to_x()["data"] == [{"id": "1", "username": "a", "name": "A"}]


def test_page_records_join_the_author() -> None:
    rows = Page.posts_from_x(PAYLOAD).to_records()
    assert [r["author_username"] for r in rows] == ["ada", None]
    first = rows[0]
    assert first["created_at"] == dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc)
    assert (first["hashtags"], first["mentions"]) == (("fail",), ("acme",))
    assert list(rows[0]) == list(rows[1])  # same columns: a table


def test_to_records_for_store_results_users_and_dms() -> None:
    ada = User(id="42", username="ada", name="Ada")
    post = Post(id="5", text="hi", author_id="42")
    dm = DirectMessage(id="9", text="psst", sender_id="42")
    assert to_records([post], users={"42": ada})[0]["author_name"] == "Ada"
    assert to_records([dm], users=[ada])[0]["sender_username"] == "ada"
    assert to_records([ada])[0]["username"] == "ada"


def test_dataframe_is_timezone_aware_with_authors() -> None:
    pd = pytest.importorskip("pandas")
    frame = Page.posts_from_x(PAYLOAD).to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert frame["author_username"].iloc[0] == "ada"
    assert to_dataframe([]).empty  # type: ignore[attr-defined]


def test_dataframe_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ConfigurationError, match=r"socialcare\[pandas\]"):
        Page.posts_from_x(PAYLOAD).to_dataframe()


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("#fail", "epic #FAIL today"),
        ("@acme", "hey @Acme where is my parcel"),
        ("$ACME", "short $acme now"),
        ("url:example.com", "see example.com/help please"),
        ("tired has:hashtags", "so #tired"),
    ],
)
def test_posts_without_entities_match_as_x_would(query: str, text: str) -> None:
    bare = Post.from_x({"id": "1", "text": text})  # no entities object (a CSV row, say)
    assert Query.parse(query).matches(bare)
    assert QuerySet({"rule": query}).matching(bare) == ["rule"]


def test_posts_with_entities_keep_them() -> None:
    # X's entities are the truth: a post that carries some is not re-derived.
    tagged = Post.from_x(
        {
            "id": "1",
            "text": "#one #two",
            "entities": {"hashtags": [{"start": 0, "end": 4, "tag": "one"}]},
        }
    )
    assert Query.parse("#one").matches(tagged)
    assert not Query.parse("#two").matches(tagged)
    assert not Query.parse("#fail").matches(Post(id="2", text="no tags here"))
