"""The fast post encoder writes exactly what ``Post.to_x()`` means, for any post stores accept."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import Post
from socialcare._json import format_time
from socialcare.models import (
    Entities,
    MentionEntity,
    ReferencedPost,
    TagEntity,
    UrlEntity,
    Withheld,
)
from socialcare.storage import SQLiteStore
from socialcare.storage._codec import (
    _x_time,
    from_micros,
    post_json,
    to_micros,
    utc_iso,
)
from socialcare.storage._common import check_post

ids = st.integers(min_value=0, max_value=2**63 - 1).map(str)
texts = st.text(max_size=40)
times = st.datetimes(
    min_value=dt.datetime(2006, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))]),
)
small = st.integers(min_value=0, max_value=500)
mentions = st.builds(MentionEntity, small, small, texts, st.none() | ids)
tags = st.builds(TagEntity, small, small, texts)
urls = st.builds(
    UrlEntity, small, small, texts, expanded_url=st.none() | texts, status=st.none() | small
)
entities = st.builds(
    Entities,
    mentions=st.lists(mentions, max_size=3).map(tuple),
    urls=st.lists(urls, max_size=2).map(tuple),
    hashtags=st.lists(tags, max_size=2).map(tuple),
    cashtags=st.lists(tags, max_size=2).map(tuple),
)
posts = st.builds(
    Post,
    id=ids,
    text=texts,
    author_id=st.none() | ids,
    created_at=st.none() | times,
    conversation_id=st.none() | ids,
    in_reply_to_user_id=st.none() | ids,
    referenced=st.lists(
        st.builds(ReferencedPost, st.sampled_from(["replied_to", "quoted", "retweeted"]), ids),
        max_size=2,
    ).map(tuple),
    entities=entities,
    lang=st.none() | st.sampled_from(["en", "de", "und"]),
    reply_settings=st.none() | st.sampled_from(["everyone", "following"]),
    note_text=st.none() | texts,
    edit_history_ids=st.lists(ids, max_size=2).map(tuple),
    possibly_sensitive=st.none() | st.booleans(),
    withheld=st.none() | st.builds(Withheld, st.lists(texts, max_size=2).map(tuple)),
    display_text_range=st.none() | st.tuples(small, small).map(lambda r: (min(r), max(r))),
)


@given(posts)
def test_post_json_is_to_x(post: Post) -> None:
    assert check_post(post) is post  # the encoder's precondition: the stores check first
    assert json.loads(post_json(post)) == post.to_x()


any_times = st.datetimes(
    min_value=dt.datetime(2, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(9998, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from(
        [
            dt.timezone.utc,
            dt.timezone(dt.timedelta(hours=-5)),
            dt.timezone(dt.timedelta(hours=5, minutes=30)),
        ]
    ),
)


@given(any_times)
def test_x_time_is_zero_padded_utc_milliseconds(when: dt.datetime) -> None:
    utc = when.astimezone(dt.timezone.utc)
    expected = '"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"' % (  # noqa: UP031 - the reference
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond // 1000,
    )
    assert _x_time(when) == expected
    if utc.year >= 1000:  # strftime pads %Y to four digits only from there on
        assert json.loads(_x_time(when)) == format_time(when)


@given(times)
def test_micros_are_exact(when: dt.datetime) -> None:
    assert from_micros(to_micros(when)) == when


@settings(max_examples=50)
@given(st.lists(posts, max_size=5))
def test_any_post_round_trips_through_sqlite(batch: list[Post]) -> None:
    # X JSON keeps milliseconds, as X sends them: normalise the generated times first.
    batch = [Post.from_x(p.to_x()) for p in batch]
    with SQLiteStore(":memory:", create_schema=True) as store:
        store.upsert_posts(batch)
        latest = {p.id: p for p in batch}
        assert store.get_posts(list(latest)) == list(latest.values())


@given(any_times)
def test_utc_iso_is_exact(when: dt.datetime) -> None:
    text = utc_iso(when)
    assert text.endswith("+00:00")
    assert dt.datetime.fromisoformat(text) == when
