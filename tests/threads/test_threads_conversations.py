from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path

import pytest

from socialcare import ManualClock
from socialcare.conversations import StoreThreader, backfill, conversation
from socialcare.errors import PlatformError
from socialcare.models import DirectMessage, Page, Post, Problem, ReferencedPost
from socialcare.storage import MemoryStore, SQLiteStore
from socialcare.storage._schema import MIGRATIONS, VERSION_TABLE, render
from socialcare.storage._sqlite import _TYPES
from socialcare.testing import make_sandbox
from socialcare.threads import Placeholder, Threader

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def chains(count: int, depth: int = 5):
    """``count`` reply chains of ``depth`` posts below a root; returns the sandbox and leaves."""
    sandbox = make_sandbox(users=["acme", "ann", "bob"], rate_limits=False)
    leaves, when = [], T0 - dt.timedelta(days=2)
    for i in range(count):
        at = when + dt.timedelta(seconds=10 * i)
        post = sandbox.add_post("ann", f"@acme help {i}", created_at=at)
        for level in range(depth):
            author = ("acme", "ann", "bob")[level % 3]
            post = sandbox.add_post(
                author, f"@ann reply {i}.{level}", in_reply_to=post, created_at=at
            )
        leaves.append(post)
    return sandbox, leaves


def lookups(sandbox) -> int:
    return sum(1 for call in sandbox.calls if call.endpoint == "GET /2/tweets")


def test_backfill_makes_the_fewest_requests_per_depth_level() -> None:
    sandbox, leaves = chains(250)
    threader = Threader()
    threader.ingest(leaves)
    level_1 = len(threader.missing)  # every leaf's parent and conversation root
    assert level_1 == 500
    report = backfill(sandbox.platform(), threader)
    assert report.stopped == "complete"
    # Level 1: each leaf's parent and root (500 ids); a lookup also returns each found
    # post's parent (expansions), so level 2 asks for the 250 posts three above the leaves.
    assert report.requests_per_level == (math.ceil(500 / 100), math.ceil(250 / 100))
    assert report.requests == lookups(sandbox) == 8
    assert report.fetched == 250 * 5
    assert threader.missing == ()
    assert len(list(threader.threads())) == 250
    assert all(len(t) == 6 and isinstance(t.root, Post) for t in threader.threads())


def test_a_thread_is_backfilled_into_a_new_snapshot_with_deleted_posts_as_tombstones() -> None:
    sandbox, leaves = chains(3, depth=3)
    leaf = leaves[1]
    parent = leaf.replied_to_id
    assert parent is not None
    sandbox.platform(sandbox.post(parent).author_id).delete_post(parent)
    threader = Threader()
    threader.ingest([leaf])
    thread = threader.thread_of(leaf.id)
    report = backfill(sandbox.platform(), thread)
    assert report.tombstones == (parent,)
    assert report.thread is not None
    filled = report.thread
    assert filled.node(parent) == Placeholder(parent, "deleted")
    assert isinstance(filled.root, Post)  # the root came with the first level
    assert report.stopped == "complete"
    assert thread.missing == (leaf.conversation_id, parent)  # the snapshot is unchanged
    assert filled.missing == (parent,)
    assert lookups(sandbox) == 1


def test_backfill_respects_its_bounds_and_never_raises() -> None:
    sandbox, leaves = chains(250)
    threader = Threader()
    threader.ingest(leaves)
    report = backfill(sandbox.platform(), threader, max_requests=2)
    assert (report.stopped, report.requests) == ("max_requests", 2)
    report = backfill(sandbox.platform(), threader, max_depth=1)
    assert report.stopped == "max_depth"
    sandbox.fail_next("server_error", times=20)
    report = backfill(sandbox.platform(max_attempts=1), threader)
    assert report.stopped == "error"
    assert isinstance(report.error, PlatformError)
    with pytest.raises(ValueError, match="max_depth"):
        backfill(sandbox.platform(), threader, max_depth=0)


class _Protected:
    """A platform stub whose lookups report a protected and an unexplained post."""

    def get_posts(self, ids):
        ids = list(ids)
        return Page(
            errors=(
                Problem(
                    title="Authorization Error",
                    type="https://api.twitter.com/2/problems/not-authorized-for-resource",
                    resource_type="tweet",
                    resource_id=ids[0],
                ),
            )
        )


def test_protected_and_silently_missing_posts_become_tombstones() -> None:
    threader = Threader()
    threader.ingest(
        [
            Post(id="5", text="a", conversation_id="1",
                 referenced=(ReferencedPost(type="replied_to", id="3"),)),
        ]
    )  # fmt: skip
    report = backfill(_Protected(), threader)  # type: ignore[arg-type]
    thread = threader.thread("1")
    assert thread.node("1") == Placeholder("1", "protected")
    assert thread.node("3") == Placeholder("3", "unavailable")
    assert report.stopped == "complete"


def test_conversation_returns_the_whole_thread_with_the_root_once() -> None:
    sandbox = make_sandbox(users=["acme", "ann", "bob"])
    old = sandbox.clock.now() - dt.timedelta(days=9)  # the root is outside the 7-day window
    root = sandbox.add_post("ann", "@acme my router died", created_at=old)
    answer = sandbox.add_post("acme", "@ann sorry! DM us", in_reply_to=root)
    follow = sandbox.add_post("ann", "@acme done", in_reply_to=answer)
    aside = sandbox.add_post("bob", "@ann @acme mine too", in_reply_to=root)
    sandbox.add_post("bob", "unrelated")
    acme = sandbox.user("acme").id
    thread = conversation(sandbox.platform(), follow.id, brands={acme})
    assert thread.conversation_id == root.id
    assert [p.id for p in thread.posts] == [root.id, answer.id, follow.id, aside.id]
    assert thread.root == root
    assert [p.id for p in thread.posts].count(root.id) == 1
    assert thread.children(root.id) == (answer.id, aside.id)
    assert thread.role(acme) == "brand"
    assert thread.customer_id == root.author_id
    again = conversation(sandbox.platform(), follow, brands={acme})
    assert again == thread


def _dm(mid: str, sender: str, other: str, minutes: int) -> DirectMessage:
    return DirectMessage(
        id=mid,
        text="dm",
        sender_id=sender,
        participant_ids=(sender, other),
        created_at=T0 + dt.timedelta(minutes=minutes),
    )


def _post(pid: str, author: str, minutes: int, reply_to: str | None = None) -> Post:
    refs = (ReferencedPost(type="replied_to", id=reply_to),) if reply_to else ()
    return Post(
        id=pid,
        text="t",
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=minutes),
        conversation_id="100",
        referenced=refs,
    )


def test_the_store_backed_threader_keeps_one_care_state_and_survives_restarts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "care.db"
    clock = ManualClock(T0 + dt.timedelta(hours=1))
    with SQLiteStore(path, create_schema=True) as store:
        threader = StoreThreader(store, brands={"9"}, clock=clock)
        assert threader.ingest([_post("101", "9", 1, reply_to="100")]) == []  # brand: no record
        assert store.get_conversation("100") is None
        # The customer's post (minute 0) arrives after the brand's reply to it (minute 1):
        # the record follows the turns in time order, so the reply counts as the answer.
        (record,) = threader.ingest([_post("100", "1", 0)])
        assert (record.state, record.customer_id) == ("awaiting_customer", "1")
        assert (record.first_inbound_at, record.first_response_at, record.waiting_since) == (
            T0, T0 + dt.timedelta(minutes=1), None
        )  # fmt: skip
        assert store.open_queue() == []
    with SQLiteStore(path) as store:  # a restart
        threader = StoreThreader(store, brands={"9"}, clock=clock)
        (record,) = threader.ingest([_post("102", "9", 5, reply_to="100")])
        assert record.state == "awaiting_customer"
        assert record.first_response_at == T0 + dt.timedelta(minutes=1)
        assert record.last_activity_at == T0 + dt.timedelta(minutes=5)
        assert record.waiting_since is None
        assert store.open_queue() == []
        thread = threader.thread("100")
        assert [p.id for p in thread.posts] == ["100", "101", "102"]
        assert threader.ingest([_post("102", "9", 5, reply_to="100")]) == []  # duplicate
        (record,) = threader.ingest([_post("103", "1", 8, reply_to="102")])
        assert (record.state, record.waiting_since) == (
            "awaiting_brand", T0 + dt.timedelta(minutes=8)
        )  # fmt: skip
        (record,) = threader.ingest([_post("104", "2", 9, reply_to="100")])  # a bystander
        assert record.state == "awaiting_brand"
        assert record.last_activity_at == T0 + dt.timedelta(minutes=9)
        escalated = threader.escalate("100")
        assert escalated.state == "escalated"
        assert escalated.waiting_since is None
        (record,) = threader.ingest_dms([_dm("501", "1", "9", 70)])
        assert record.state == "escalated"
        assert record.waiting_since == T0 + dt.timedelta(minutes=70)
        assert threader.ingest_dms([_dm("502", "5", "9", 71)]) == []  # another customer
        assert [t.channel for t in threader.thread("100").turns][-1] == "dm"
        assert threader.resolve("100").state == "resolved"
    with SQLiteStore(path) as store:
        threader = StoreThreader(store, brands={"9"}, clock=clock)
        (record,) = threader.ingest([_post("105", "1", 90, reply_to="103")])
        assert record.state == "awaiting_brand"  # reopened by new inbound
        assert record.first_inbound_at == T0
        assert threader.thread_of("101").conversation_id == "100"
        assert threader.record("100") == record
        with pytest.raises(KeyError):
            threader.resolve("404")


def test_the_store_backed_threader_restores_reply_chains_without_conversation_ids() -> None:
    store = MemoryStore()
    first = StoreThreader(store, brands={"9"})
    chain = [
        Post(id="1", text="a", author_id="7", created_at=T0),
        Post(id="2", text="b", author_id="9", created_at=T0,
             referenced=(ReferencedPost(type="replied_to", id="1"),)),
    ]  # fmt: skip
    first.ingest(chain)
    second = StoreThreader(store, brands={"9"})
    reply = Post(
        id="3", text="c", author_id="7", created_at=T0 + dt.timedelta(minutes=1),
        referenced=(ReferencedPost(type="replied_to", id="2"),),
    )  # fmt: skip
    (record,) = second.ingest([reply])
    assert (record.id, record.state) == ("1", "awaiting_brand")
    assert [p.id for p in second.thread_of("3").posts] == ["1", "2", "3"]


def _v4_database(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(render(VERSION_TABLE, _TYPES))
    for version, step in enumerate(MIGRATIONS[:4], start=1):
        for statement in step:
            rendered = render(statement, _TYPES)
            if rendered.strip():
                conn.execute(rendered)
        conn.execute("INSERT INTO sc_schema (version, applied_at) VALUES (?, 0)", (version,))
    for cid, state in (("a", "open"), ("b", "pending"), ("c", "closed")):
        conn.execute(
            "INSERT INTO sc_conversations (id, channel, state, tags, priority, waiting_since) "
            "VALUES (?, 'public', ?, '[]', 0, ?)",
            (cid, state, 1_767_225_600_000_000 if state == "open" else None),
        )
    conn.close()


def test_schema_5_maps_the_old_states_and_keeps_the_queue_indexed(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _v4_database(path)
    with SQLiteStore(path, create_schema=True) as store:
        states = {c.id: c.state for c in store.find_conversations()}
        assert states == {"a": "awaiting_brand", "b": "awaiting_customer", "c": "resolved"}
        assert [c.id for c in store.open_queue()] == ["a"]
        with store._connection() as conn:
            plan = " | ".join(
                row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + store._QUEUE_SQL, (50,))
            )
    assert "USING INDEX sc_conversations_open_queue" in plan


def test_a_post_without_a_time_counts_as_written_now() -> None:
    clock = ManualClock(T0 + dt.timedelta(hours=3))
    threader = StoreThreader(MemoryStore(), brands={"9"}, clock=clock)
    (record,) = threader.ingest([Post(id="7", text="hi", author_id="1", conversation_id="7")])
    assert (record.state, record.waiting_since) == ("new", clock.now())
