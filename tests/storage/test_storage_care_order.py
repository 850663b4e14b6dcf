"""The care record a StoreThreader keeps does not depend on arrival order (every backend).

The record is derived from the conversation's turns in time order, with escalations and
resolutions at the times they were made (kept in the audit log, so a restart keeps them).
"""

from __future__ import annotations

import datetime as dt
import itertools

from storage_support import Backend

from socialcare import ManualClock
from socialcare.conversations import StoreThreader
from socialcare.models import Post, ReferencedPost
from socialcare.storage import Store

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
BRAND = "9"


def _post(root: int, n: int, author: str, minutes: int, reply_to: int | None = None) -> Post:
    """Post ``root + n`` of the conversation ``root`` (ids are decimal, as X sends them)."""
    refs = (
        (ReferencedPost(type="replied_to", id=str(root + reply_to)),)
        if reply_to is not None
        else ()
    )
    return Post(
        id=str(root + n),
        text="t",
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=minutes),
        conversation_id=str(root),
        referenced=refs,
    )


def _conversation(root: int) -> list[Post]:
    """The customer asks (0), the brand answers (1), the customer follows up (2), a
    bystander chimes in (3)."""
    return [
        _post(root, 0, "1", 0),
        _post(root, 1, BRAND, 1, reply_to=0),
        _post(root, 2, "1", 2, reply_to=1),
        _post(root, 3, "2", 3, reply_to=0),
    ]


def test_every_arrival_order_gives_the_same_care_record(store: Store) -> None:
    threader = StoreThreader(store, brands={BRAND}, clock=ManualClock(T0 + dt.timedelta(hours=1)))
    expected = {
        "state": "awaiting_brand",
        "customer_id": "1",
        "first_inbound_at": T0,
        "first_response_at": T0 + dt.timedelta(minutes=1),
        "last_activity_at": T0 + dt.timedelta(minutes=3),
        "waiting_since": T0 + dt.timedelta(minutes=2),
    }
    for k, order in enumerate(itertools.permutations(range(4))):
        posts = _conversation(100 * (k + 1))
        for index in order:  # one post at a time, in this order
            threader.ingest([posts[index]])
        record = store.get_conversation(str(100 * (k + 1)))
        assert record is not None, order
        assert {name: getattr(record, name) for name in expected} == expected, order
    assert {c.id for c in store.open_queue(limit=100)} == {str(100 * (k + 1)) for k in range(24)}


def test_a_late_older_post_lands_where_it_was_written_even_after_a_restart(
    backend: Backend,
) -> None:
    clock = ManualClock(T0 + dt.timedelta(minutes=10))
    store = backend.open()
    threader = StoreThreader(store, brands={BRAND}, clock=clock)
    asked = _post(9000, 0, "1", 0)
    answered = _post(9000, 1, BRAND, 1, reply_to=0)
    followed = _post(9000, 2, "1", 5, reply_to=1)
    threader.ingest([asked])
    (record,) = threader.ingest([followed])  # the customer follows up before any answer
    assert (record.state, record.waiting_since) == ("new", T0)
    (record,) = threader.ingest([answered])  # the brand's answer at minute 1, arriving late
    assert (record.state, record.first_response_at) == (
        "awaiting_brand", T0 + dt.timedelta(minutes=1)
    )  # fmt: skip
    assert record.waiting_since == T0 + dt.timedelta(minutes=5)
    assert threader.resolve("9000").state == "resolved"  # at minute 10

    restarted = StoreThreader(backend.open(), brands={BRAND}, clock=clock)
    late = _post(9000, 3, "1", 7, reply_to=1)  # written before the resolution, arriving after it
    (record,) = restarted.ingest([late])
    assert record.state == "resolved"
    assert restarted.thread("9000").state == "resolved"  # the snapshot knows the event too
    assert record.last_activity_at == T0 + dt.timedelta(minutes=7)
    (record,) = restarted.ingest([_post(9000, 4, "1", 12, reply_to=1)])  # new inbound reopens
    assert (record.state, record.waiting_since) == ("awaiting_brand", T0 + dt.timedelta(minutes=12))
    assert restarted.record("9000") == record
    assert restarted.thread("9000").state == record.state
    entries = store.audit_entries(subject="9000")
    assert [(e.action, e.detail) for e in entries] == [
        ("conversation.resolved", {"at": (T0 + dt.timedelta(minutes=10)).isoformat()})
    ]
