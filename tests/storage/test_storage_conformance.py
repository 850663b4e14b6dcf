"""The conformance suite: every test runs on every backend through the ``store`` fixture."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from storage_support import Backend

from socialcare import DirectMessage, LeaseError, ManualClock, Post, StorageError, User
from socialcare.models import Conversation, Escalation
from socialcare.storage import SCHEMA_VERSION, Store

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)

RICH = {
    "id": "1875000000000000001",
    "text": "@acme my order #A123 is late \U0001f621 https://t.co/x $ACME",
    "author_id": "42",
    "created_at": "2026-01-05T10:00:00.123Z",
    "conversation_id": "1875000000000000000",
    "in_reply_to_user_id": "7",
    "referenced_tweets": [{"type": "replied_to", "id": "1875000000000000000"}],
    "entities": {
        "mentions": [{"start": 0, "end": 5, "username": "acme", "id": "7"}],
        "hashtags": [{"start": 15, "end": 20, "tag": "A123"}],
        "cashtags": [{"start": 55, "end": 60, "tag": "ACME"}],
        "urls": [
            {
                "start": 31,
                "end": 54,
                "url": "https://t.co/x",
                "expanded_url": "https://acme.example/orders",
                "display_url": "acme.example/orders",
                "status": 200,
            }
        ],
    },
    "lang": "en",
    "reply_settings": "everyone",
    "note_tweet": {
        "text": "a long note",
        "entities": {"hashtags": [{"start": 0, "end": 1, "tag": "x"}]},
    },
    "edit_history_tweet_ids": ["1875000000000000001"],
    "possibly_sensitive": False,
    "withheld": {"country_codes": ["DE"], "copyright": False},
}


def post(post_id: str, *, conversation: str = "500", minute: int = 0, text: str = "hi") -> Post:
    return Post(
        id=post_id,
        text=text,
        author_id="99",
        conversation_id=conversation,
        created_at=T0 + dt.timedelta(minutes=minute),
    )


def conv(cid: str, **kw: object) -> Conversation:
    kw.setdefault("waiting_since", T0)
    return Conversation(id=cid, **kw)  # type: ignore[arg-type]


# -- schema and lifecycle ----------------------------------------------------------------


def test_every_backend_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_schema_is_current_and_create_schema_is_idempotent(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    store.upsert_posts([post("1")])
    store.create_schema()
    store.create_schema()
    assert store.schema_version() == SCHEMA_VERSION
    assert store.get_post("1") == post("1")


def test_closed_store_raises_storage_error(backend: Backend) -> None:
    store = backend.open()
    store.close()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.get_post("1")


# -- posts, users, DM events -------------------------------------------------------------


def test_rich_post_round_trips(store: Store) -> None:
    rich = Post.from_x(RICH)
    assert store.upsert_posts([rich]) == 1
    assert store.get_post(rich.id) == rich
    assert store.get_post("404") is None


def test_upsert_is_idempotent_and_replaces_by_id(store: Store) -> None:
    batch = [post(str(i)) for i in range(1, 6)]
    assert store.upsert_posts(batch) == 5
    assert store.upsert_posts(batch) == 5
    assert store.count_posts() == 5
    edited = post("3", text="edited")
    store.upsert_posts([edited])
    assert store.get_post("3") == edited
    assert store.count_posts() == 5


def test_later_duplicate_in_one_batch_wins(store: Store) -> None:
    assert store.upsert_posts([post("1", text="a"), post("1", text="b")]) == 1
    stored = store.get_post("1")
    assert stored is not None
    assert stored.text == "b"


def test_posts_that_cannot_round_trip_are_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="conversation_id"):
        store.upsert_posts([post("1"), Post(id="2", text="x", conversation_id="c1")])
    with pytest.raises(ValueError, match="author_id"):
        store.upsert_posts([Post(id="2", text="x", author_id="")])
    with pytest.raises(ValueError, match=r"\.id"):
        store.upsert_posts([Post(id="", text="x", author_id="1")])
    with pytest.raises(ValueError, match="in_reply_to_user_id"):
        store.upsert_posts([Post(id="3", text="x", in_reply_to_user_id="@bob")])
    assert store.count_posts() == 0


def test_empty_batch_writes_nothing(store: Store) -> None:
    assert store.upsert_posts([]) == 0
    assert store.count_posts() == 0


def test_bulk_upsert_round_trips_large_batches(store: Store) -> None:
    # Upserted twice, to take both the insert and the conflict branch.
    batch = [post(str(10_000 + i), conversation=str(600 + i % 7), minute=i) for i in range(1200)]
    assert store.upsert_posts(batch) == 1200
    changed = [post(p.id, conversation="600", minute=0, text="v2") for p in batch[:600]]
    assert store.upsert_posts(changed + batch[600:]) == 1200
    assert store.count_posts() == 1200
    assert store.get_post("10000") == changed[0]
    assert store.get_post("11199") == batch[-1]


def test_concurrent_bulk_upserts_of_the_same_posts(backend: Backend) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(version: int) -> None:
        store = backend.open()
        batch = [post(str(1000 + i), text=f"v{version}") for i in range(300)]
        barrier.wait()
        try:
            for _ in range(3):
                store.upsert_posts(batch[::-1] if version % 2 else batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(v,)) for v in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = backend.open()
    assert store.count_posts() == 300
    stored = store.get_posts([str(1000 + i) for i in range(300)])
    assert {p.text for p in stored} <= {"v0", "v1", "v2", "v3"}


def varied(n: int, *, text: str = "hi") -> Post:
    """Post ``n`` with optional fields left out in turn and text that needs escaping."""
    return Post(
        id=str(1_870_000_000_000_000_000 + n),
        text=f'{text} {n} \\ "quoted"\ttab\nline \u00e9\U0001f621 \\N',
        author_id=None if n % 7 == 0 else str(10 + n % 50),
        conversation_id=None if n % 11 == 0 else str(1_870_000_000_000_000_000 + n - n % 5),
        created_at=None if n % 13 == 0 else T0 + dt.timedelta(seconds=n, milliseconds=n % 997),
        lang=None if n % 3 == 0 else "en",
        edit_history_ids=(str(1_870_000_000_000_000_000 + n),),
    )


def test_bulk_upsert_spanning_many_chunks_round_trips(store: Store) -> None:
    # Several thousand posts: many chunks (and blocks of COPY data) in one transaction.
    first = [varied(n) for n in range(5321)]
    assert store.upsert_posts(first) == 5321
    assert store.count_posts() == 5321
    assert store.get_posts([p.id for p in first]) == first
    # Half of them again, changed, plus new ones: stored and new posts in one batch.
    second = [varied(n, text="v2") for n in range(0, 5321, 2)] + [
        varied(n) for n in range(5321, 8000)
    ]
    assert store.upsert_posts(second) == len(second)
    assert store.count_posts() == 8000
    latest = {p.id: p for p in first + second}
    assert store.get_posts(list(latest)) == list(latest.values())
    thread = store.posts_in_conversation(str(1_870_000_000_000_000_000 + 100))
    order = (104, 100, 101, 102, 103)  # 104 has no time: NULLS FIRST, then by time
    assert [p.id for p in thread] == [str(1_870_000_000_000_000_000 + n) for n in order]


def test_new_posts_below_between_and_above_stored_ids(store: Store) -> None:
    # Decimal ids compare as text in the database: 25 sorts between 200 and 300 there.
    store.upsert_posts([post(str(n), text="old") for n in (25, 1000, 5000)])
    fresh = [post(str(n), text="new") for n in (200, 300, 999, 4999, 5001, 60000)]
    assert store.upsert_posts(fresh) == 6
    assert store.upsert_posts([post("7", text="new"), post("9999", text="new")]) == 2
    assert store.upsert_posts([post("25", text="newer"), post("26", text="new")]) == 2
    assert store.count_posts() == 12
    assert store.get_post("1000") == post("1000", text="old")
    assert store.get_post("25") == post("25", text="newer")
    assert store.get_posts([p.id for p in fresh]) == fresh


def test_concurrent_large_bulk_upserts_are_atomic(backend: Backend) -> None:
    # Writers upsert the same 2,500 posts in big batches; a reader never sees part of one.
    ids = [str(1_870_000_000_000_000_000 + n) for n in range(2500)]
    writers = 3
    barrier = threading.Barrier(writers + 1)
    done = threading.Event()
    errors: list[BaseException] = []
    counts: set[int] = set()

    def write(version: int) -> None:
        store = backend.open()
        batch = [Post(id=i, text=f"v{version}", author_id="9") for i in ids]
        barrier.wait()
        try:
            for _ in range(2):
                store.upsert_posts(batch[::-1] if version % 2 else batch)
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        store = backend.open()
        barrier.wait()
        try:
            while not done.is_set():
                counts.add(store.count_posts())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(v,)) for v in range(writers)]
    reader = threading.Thread(target=read)
    for t in [*threads, reader]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert errors == []
    assert counts <= {0, 2500}
    store = backend.open()
    assert store.count_posts() == 2500
    stored = store.get_posts(ids)
    assert len(stored) == 2500
    assert {p.text for p in stored} <= {f"v{v}" for v in range(writers)}


def test_get_posts_keeps_the_requested_order(store: Store) -> None:
    store.upsert_posts([post("1"), post("2"), post("3")])
    got = store.get_posts(["3", "404", "1", "3"])
    assert [p.id for p in got] == ["3", "1", "3"]
    many = [post(str(100 + i)) for i in range(700)]
    store.upsert_posts(many)
    assert store.get_posts([p.id for p in reversed(many)]) == list(reversed(many))


def test_posts_in_conversation_oldest_first(store: Store) -> None:
    store.upsert_posts(
        [
            post("30", minute=2),
            post("9", minute=1),
            post("100", minute=1),
            post("5", conversation="501"),
            Post(id="7", text="no time", conversation_id="500"),
        ]
    )
    got = store.posts_in_conversation("500")
    assert [p.id for p in got] == ["7", "9", "100", "30"]
    assert [p.id for p in store.posts_in_conversation("500", limit=2)] == ["7", "9"]
    with pytest.raises(ValueError, match="limit"):
        store.posts_in_conversation("500", limit=0)


def test_users_round_trip(store: Store) -> None:
    ann = User(id="1", username="ann", name="Ann", followers_count=10, receives_your_dm=True)
    bob = User(id="2", username="bob", name="Bob", created_at=T0)
    assert store.upsert_users([ann, bob]) == 2
    assert store.get_user("1") == ann
    renamed = User(id="2", username="bobby", name="Bob")
    store.upsert_users([renamed])
    assert store.get_users(["2", "404", "1"]) == [renamed, ann]
    assert store.get_user("404") is None


def test_dms_round_trip_and_order(store: Store) -> None:
    first = DirectMessage(
        id="11", text="hello", dm_conversation_id="1-2", sender_id="1", created_at=T0
    )
    second = DirectMessage(
        id="12",
        text="order A123",
        dm_conversation_id="1-2",
        sender_id="2",
        created_at=T0 + dt.timedelta(seconds=5),
    )
    other = DirectMessage(id="13", text="x", dm_conversation_id="1-3", created_at=T0)
    assert store.upsert_dms([second, first, other]) == 3
    assert store.get_dm("12") == second
    assert store.dms_in_conversation("1-2") == [first, second]
    assert store.get_dm("404") is None


# -- conversations and the open queue ----------------------------------------------------------


def test_conversation_round_trips(store: Store) -> None:
    c = Conversation(
        id="c1",
        channel="dm",
        state="open",
        customer_id="42",
        assignee="agent-1",
        tags=["billing", "vip"],
        priority=3,
        first_inbound_at=T0,
        first_response_at=None,
        last_activity_at=T0 + dt.timedelta(minutes=1),
        waiting_since=T0,
    )
    store.put_conversation(c)
    assert store.get_conversation("c1") == c
    closed = Conversation(id="c1", state="closed", first_response_at=T0)
    store.put_conversation(closed)
    assert store.get_conversation("c1") == closed
    assert store.get_conversation("404") is None


def test_open_conversation_needs_waiting_since() -> None:
    with pytest.raises(ValueError, match="waiting_since"):
        Conversation(id="c1")
    with pytest.raises(ValueError, match="state"):
        Conversation(id="c1", state="snoozed", waiting_since=T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        Conversation(id="c1", waiting_since=dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_open_queue_orders_by_priority_then_longest_wait(store: Store) -> None:
    minutes = dt.timedelta(minutes=1)
    store.put_conversation(conv("late-high", priority=5, waiting_since=T0 + 9 * minutes))
    store.put_conversation(conv("early-high", priority=5, waiting_since=T0 + 1 * minutes))
    store.put_conversation(conv("b-tie", priority=1, waiting_since=T0))
    store.put_conversation(conv("a-tie", priority=1, waiting_since=T0))
    store.put_conversation(conv("urgent", priority=9, waiting_since=T0 + 30 * minutes))
    store.put_conversation(conv("low", priority=-1, waiting_since=T0))
    store.put_conversation(Conversation(id="pending", state="pending", priority=99))
    store.put_conversation(Conversation(id="closed", state="closed", priority=99))
    queue = [c.id for c in store.open_queue()]
    assert queue == ["urgent", "early-high", "late-high", "a-tie", "b-tie", "low"]
    assert [c.id for c in store.open_queue(limit=2)] == ["urgent", "early-high"]
    store.put_conversation(Conversation(id="urgent", state="pending", priority=9))
    assert store.open_queue(limit=1)[0].id == "early-high"


def test_find_conversations_filters_and_orders(store: Store) -> None:
    hour = dt.timedelta(hours=1)
    store.put_conversation(conv("a", customer_id="1", assignee="x", last_activity_at=T0))
    store.put_conversation(conv("b", customer_id="1", last_activity_at=T0 + hour))
    store.put_conversation(Conversation(id="c", customer_id="1", state="closed"))
    store.put_conversation(conv("d", customer_id="2", assignee="x", last_activity_at=T0))
    assert [c.id for c in store.find_conversations(customer_id="1")] == ["b", "a", "c"]
    assert [c.id for c in store.find_conversations(customer_id="1", state="open")] == ["b", "a"]
    assert [c.id for c in store.find_conversations(assignee="x")] == ["a", "d"]
    assert [c.id for c in store.find_conversations(limit=1)] == ["b"]


# -- monitor cursors ------------------------------------------------------------------------


def test_cursor_only_moves_forward(store: Store, clock: ManualClock) -> None:
    assert store.get_cursor("brand") is None
    first = store.advance_cursor("brand", since_id="99")
    assert first.since_id == "99"
    assert first.last_success_at == clock.now()
    clock.advance(60)
    assert store.advance_cursor("brand", since_id="100").since_id == "100"
    assert store.advance_cursor("brand", since_id="98").since_id == "100"
    assert store.advance_cursor("brand", since_id="1000000000000000000").since_id == (
        "1000000000000000000"
    )
    clock.advance(60)
    kept = store.advance_cursor("brand")
    assert kept.since_id == "1000000000000000000"
    assert kept.last_success_at == clock.now()
    assert store.get_cursor("brand") == kept


def test_backlog_window_is_kept_beside_the_cursor(store: Store, clock: ManualClock) -> None:
    store.advance_cursor("brand", since_id="500")
    clock.advance(5)
    cursor = store.set_backlog("brand", since_id="100", until_id="400")
    assert (cursor.since_id, cursor.backlog_since_id, cursor.backlog_until_id) == (
        "500",
        "100",
        "400",
    )
    assert cursor.has_backlog
    assert cursor.updated_at == clock.now()
    assert store.get_cursor("brand") == cursor
    # advancing the cursor keeps the backlog; a new stream may start with one
    assert store.advance_cursor("brand", since_id="600").backlog_until_id == "400"
    fresh = store.set_backlog("new", since_id=None, until_id="77")
    assert (fresh.since_id, fresh.backlog_since_id, fresh.backlog_until_id) == (None, None, "77")
    assert [c.stream for c in store.list_cursors()] == ["brand", "new"]
    cleared = store.set_backlog("brand", since_id=None, until_id=None)
    assert not cleared.has_backlog
    assert cleared.backlog_since_id is None
    assert cleared.since_id == "600"


@pytest.mark.parametrize(
    ("since_id", "until_id"),
    [("5", None), ("9", "9"), ("10", "9"), ("x", "9"), ("1", "09"), ("1", "")],
)
def test_bad_backlog_windows_are_refused(
    store: Store, since_id: str | None, until_id: str | None
) -> None:
    store.set_backlog("s", since_id="1", until_id="5")
    with pytest.raises(ValueError, match=r"backlog|_id"):
        store.set_backlog("s", since_id=since_id, until_id=until_id)
    kept = store.get_cursor("s")
    assert kept is not None
    assert (kept.backlog_since_id, kept.backlog_until_id) == ("1", "5")


def test_stream_errors_are_recorded_beside_the_cursor(store: Store, clock: ManualClock) -> None:
    store.advance_cursor("dm", since_id="5")
    clock.advance(10)
    failed = store.record_stream_error("dm", "503 from X")
    assert failed.since_id == "5"
    assert failed.last_error == "503 from X"
    assert failed.last_error_at == clock.now()
    assert failed.last_success_at == clock.now() - dt.timedelta(seconds=10)
    fresh = store.record_stream_error("new", "boom")
    assert fresh.since_id is None
    assert [c.stream for c in store.list_cursors()] == ["dm", "new"]
    with pytest.raises(ValueError, match="stream"):
        store.advance_cursor("")
    for bad in ("", "12a", "007", "\u0661"):
        with pytest.raises(ValueError, match="since_id"):
            store.advance_cursor("dm", since_id=bad)
    assert store.get_cursor("dm") == failed


# -- outbox ---------------------------------------------------------------------------------------


def test_reserve_is_once_per_key(store: Store) -> None:
    first = store.reserve_action("reply:1", kind="reply", payload={"text": "hi", "n": [1, 2]})
    assert first.created
    assert first.record.status == "reserved"
    assert first.record.payload == {"text": "hi", "n": [1, 2]}
    again = store.reserve_action("reply:1", kind="dm", payload={"text": "other"})
    assert not again.created
    assert again.record == first.record
    assert store.list_actions() == [first.record]


def test_reserve_after_send_returns_the_sent_record(store: Store) -> None:
    store.reserve_action("k", kind="reply", payload={})
    sent = store.mark_sent("k", remote_id="555")
    again = store.reserve_action("k", kind="reply", payload={})
    assert not again.created
    assert again.record == sent


def test_payload_must_be_json(store: Store) -> None:
    with pytest.raises(ValueError, match="JSON"):
        store.reserve_action("k", kind="reply", payload={"when": T0})
    assert store.get_action("k") is None


def test_claim_send_and_mark(store: Store, clock: ManualClock) -> None:
    for i in range(5):
        store.reserve_action(f"a{i}", kind="reply", payload={"i": i})
        clock.advance(1)
    claimed = store.claim_actions("w1", ttl=30, limit=3)
    assert [r.key for r in claimed] == ["a0", "a1", "a2"]
    assert all(r.claimed_by == "w1" and r.attempts == 1 for r in claimed)
    assert [r.key for r in store.claim_actions("w2", ttl=30, limit=10)] == ["a3", "a4"]
    assert store.claim_actions("w3", ttl=30) == []
    sent = store.mark_sent("a0", remote_id="900")
    assert (sent.status, sent.remote_id, sent.claimed_by) == ("sent", "900", None)
    assert store.mark_sent("a0", remote_id="900") == sent
    with pytest.raises(StorageError, match="already sent"):
        store.mark_sent("a0", remote_id="901")
    with pytest.raises(StorageError, match="already sent"):
        store.mark_failed("a0", reason="late")
    with pytest.raises(StorageError, match="no outbox action"):
        store.mark_sent("zzz", remote_id="1")
    assert [r.key for r in store.list_actions(status="sent")] == ["a0"]


def test_claims_and_listings_by_kind(store: Store, clock: ManualClock) -> None:
    for i, kind in enumerate(["reply", "alert", "reply", "alert", "dm"]):
        store.reserve_action(f"k{i}", kind=kind, payload={})
        clock.advance(1)
    assert [r.key for r in store.claim_actions("alerts", ttl=30, kind="alert")] == ["k1", "k3"]
    assert store.claim_actions("alerts", ttl=30, kind="alert") == []
    assert [r.key for r in store.list_actions(kind="reply")] == ["k0", "k2"]
    assert [r.key for r in store.list_actions(kind="alert", status="reserved")] == ["k1", "k3"]
    assert store.list_actions(kind="alert", status="sent") == []
    assert [r.key for r in store.claim_actions("replies", ttl=30)] == ["k0", "k2", "k4"]


def test_expired_claims_are_taken_again(store: Store, clock: ManualClock) -> None:
    store.reserve_action("a", kind="dm", payload={})
    assert [r.key for r in store.claim_actions("w1", ttl=30)] == ["a"]
    clock.advance(29)
    assert store.claim_actions("w2", ttl=30) == []
    clock.advance(2)
    again = store.claim_actions("w2", ttl=30)
    assert [(r.key, r.claimed_by, r.attempts) for r in again] == [("a", "w2", 2)]


def test_failures_retry_or_stop(store: Store) -> None:
    store.reserve_action("a", kind="dm", payload={})
    store.reserve_action("b", kind="dm", payload={})
    store.claim_actions("w1", ttl=30)
    retry = store.mark_failed("a", reason="503", retry=True)
    assert (retry.status, retry.error, retry.claimed_by) == ("reserved", "503", None)
    final = store.mark_failed("b", reason="403 not permitted")
    assert final.status == "failed"
    assert [r.key for r in store.claim_actions("w2", ttl=30)] == ["a"]
    with pytest.raises(StorageError, match="has failed"):
        store.mark_sent("b", remote_id="1")
    assert [r.key for r in store.list_actions(status="failed")] == ["b"]


def test_concurrent_reservations_create_one_record(store: Store) -> None:
    barrier = threading.Barrier(8)
    created: list[bool] = []

    def reserve(i: int) -> None:
        barrier.wait()
        created.append(store.reserve_action("once", kind="dm", payload={"by": i}).created)

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(created) == [False] * 7 + [True]
    assert len(store.list_actions()) == 1


# -- audit log ---------------------------------------------------------------------------------


def test_audit_log_appends_in_order(store: Store, clock: ManualClock) -> None:
    first = store.append_audit("reply.sent", actor="bot", subject="c1", detail={"post": "9"})
    clock.advance(1)
    second = store.append_audit("dm.sent", actor="agent-2", subject="c2")
    third = store.append_audit("guard.blocked", actor="bot", subject="c1")
    assert first.seq < second.seq < third.seq
    assert first.at == T0
    assert first.detail == {"post": "9"}
    assert store.audit_entries() == [first, second, third]
    assert store.audit_entries(subject="c1") == [first, third]
    assert store.audit_entries(after_seq=first.seq, limit=1) == [second]


# -- short links ---------------------------------------------------------------------------------


def test_short_links_insert_once_and_count_clicks(store: Store, clock: ManualClock) -> None:
    link = store.put_short_link("abc", "https://acme.example/a", conversation_id="c1")
    assert (link.clicks, link.created_at, link.conversation_id) == (0, T0, "c1")
    taken = store.put_short_link("abc", "https://elsewhere.example")
    assert taken == link
    clock.advance(5)
    clicked = store.record_click("abc")
    assert clicked is not None
    assert (clicked.clicks, clicked.last_clicked_at) == (1, clock.now())
    assert store.record_click("nope") is None
    assert store.get_short_link("abc") == clicked


def test_concurrent_clicks_are_all_counted(store: Store) -> None:
    store.put_short_link("hot", "https://acme.example")

    def click() -> None:
        for _ in range(25):
            store.record_click("hot")

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    link = store.get_short_link("hot")
    assert link is not None
    assert link.clicks == 100


# -- escalations ---------------------------------------------------------------------------------


def test_escalations_round_trip(store: Store) -> None:
    e1 = Escalation(
        id="e1", conversation_id="c1", user_id="42", reason="order number", created_at=T0,
        updated_at=T0, post_id="9", outbox_key="dm:e1",
    )  # fmt: skip
    e2 = Escalation(
        id="e2", conversation_id="c2", user_id="43", reason="refund",
        created_at=T0 + dt.timedelta(seconds=1), updated_at=T0,
    )  # fmt: skip
    store.put_escalation(e1)
    store.put_escalation(e2)
    assert store.get_escalation("e1") == e1
    sent = Escalation(
        id="e1", conversation_id="c1", user_id="42", reason="order number", created_at=T0,
        updated_at=T0 + dt.timedelta(minutes=1), state="sent", post_id="9", outbox_key="dm:e1",
    )  # fmt: skip
    store.put_escalation(sent)
    assert store.find_escalations() == [sent, e2]
    assert store.find_escalations(conversation_id="c2") == [e2]
    assert store.find_escalations(state="sent") == [sent]
    assert store.get_escalation("404") is None


# -- leases ----------------------------------------------------------------------------------------


def test_lease_is_exclusive_until_it_expires(store: Store, clock: ManualClock) -> None:
    assert store.claim_lease("conversation:1", "a", ttl=30)
    assert not store.claim_lease("conversation:1", "b", ttl=30)
    held = store.get_lease("conversation:1")
    assert held is not None
    assert (held.owner, held.acquired_at, held.token) == ("a", T0, 1)
    assert held.expires_at == T0 + dt.timedelta(seconds=30)
    clock.advance(29.999)
    assert not store.claim_lease("conversation:1", "b", ttl=30)
    clock.advance(0.001)
    assert store.get_lease("conversation:1") is None
    assert store.claim_lease("conversation:1", "b", ttl=30)
    taken = store.get_lease("conversation:1")
    assert taken is not None
    assert (taken.owner, taken.token, taken.acquired_at) == ("b", 2, clock.now())
    with pytest.raises(LeaseError, match="not held by 'a'"):
        store.renew_lease("conversation:1", "a", ttl=30)
    assert not store.release_lease("conversation:1", "a")
    assert store.get_lease("conversation:1") == taken


def test_owner_reclaim_extends_and_renew_needs_a_live_lease(
    store: Store, clock: ManualClock
) -> None:
    assert store.claim_lease("stream:brand", "w1", ttl=10)
    clock.advance(5)
    assert store.claim_lease("stream:brand", "w1", ttl=10)
    lease = store.get_lease("stream:brand")
    assert lease is not None
    assert (lease.acquired_at, lease.expires_at, lease.token) == (
        T0,
        clock.now() + dt.timedelta(seconds=10),
        1,
    )
    clock.advance(5)
    renewed = store.renew_lease("stream:brand", "w1", ttl=60)
    assert renewed.expires_at == clock.now() + dt.timedelta(seconds=60)
    clock.advance(61)
    with pytest.raises(LeaseError, match="expired"):
        store.renew_lease("stream:brand", "w1", ttl=60)
    with pytest.raises(LeaseError, match="not held"):
        store.renew_lease("stream:other", "w1", ttl=60)


def test_release_lets_the_next_owner_in(store: Store) -> None:
    assert store.claim_lease("k", "a", ttl=30)
    assert store.release_lease("k", "a")
    assert not store.release_lease("k", "a")
    assert store.get_lease("k") is None
    assert store.claim_lease("k", "b", ttl=30)
    lease = store.get_lease("k")
    assert lease is not None
    assert (lease.owner, lease.token) == ("b", 2)
    assert store.release_lease("k", "b")
    assert store.claim_lease("k", "b", ttl=30)
    again = store.get_lease("k")
    assert again is not None
    assert again.token == 3


def test_list_leases_by_prefix(store: Store, clock: ManualClock) -> None:
    store.claim_lease("conversation:2", "a", ttl=30)
    store.claim_lease("conversation:1", "b", ttl=60)
    store.claim_lease("stream:brand", "c", ttl=30)
    store.claim_lease("conversation_x", "d", ttl=30)
    assert [lease.key for lease in store.list_leases(prefix="conversation:")] == [
        "conversation:1",
        "conversation:2",
    ]
    assert len(store.list_leases()) == 4
    clock.advance(45)
    assert [lease.key for lease in store.list_leases()] == ["conversation:1"]


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf")])
def test_bad_ttl_is_rejected(store: Store, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.claim_lease("k", "a", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        store.claim_actions("a", ttl=ttl)


def test_lease_arguments_are_checked(store: Store) -> None:
    with pytest.raises(ValueError, match="owner"):
        store.claim_lease("k", "", ttl=1)
    with pytest.raises(ValueError, match="key"):
        store.claim_lease("", "a", ttl=1)
