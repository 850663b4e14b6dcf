"""The storage conformance suite, one class per storage protocol (via ``socialcare.testing``).

Subclass the class of the protocol your backend implements under a ``Test`` name and
give it a ``store`` fixture; pytest collects every inherited test::

    import pytest
    from socialcare.testing import LeaseStoreConformance


    class TestRedisLeases(LeaseStoreConformance):
        @pytest.fixture
        def store(self, clock):
            return RedisLeases(redis_url, clock=clock)

Fixtures the suites use:

* ``store`` (you provide it): a fresh, empty store on the ``clock`` fixture's clock;
* ``clock``: a :class:`~socialcare.ManualClock` at 2026-01-01 UTC the tests advance
  (override it only to build the clock differently; keep that start time);
* ``store_factory``: opens another handle on the same data as ``store`` (the default
  returns ``store`` itself; override it when your backend has connections to test
  concurrency across, as socialcare's SQL stores do).

socialcare's own backends run exactly these classes (``tests/storage``). Importing
this module imports pytest.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable

import attrs
import pytest

from socialcare._clock import ManualClock
from socialcare.errors import LeaseError, StorageError
from socialcare.models import (
    Conversation,
    DirectMessage,
    Entities,
    Escalation,
    MentionEntity,
    Post,
    ReferencedPost,
    TokenRecord,
    User,
)
from socialcare.storage import (
    MAX_TTL,
    SCHEMA_VERSION,
    AuditLog,
    ConversationStore,
    CursorStore,
    DMStore,
    EscalationStore,
    LeaseStore,
    LinkStore,
    OutboxStore,
    PauseSwitch,
    PostStore,
    SeenStore,
    Store,
    StoreLifecycle,
    TokenStore,
    UserStore,
)

__all__ = [
    "AuditLogConformance",
    "ConversationStoreConformance",
    "CursorStoreConformance",
    "DMStoreConformance",
    "EscalationStoreConformance",
    "LeaseStoreConformance",
    "LinkStoreConformance",
    "OutboxStoreConformance",
    "PauseSwitchConformance",
    "PostStoreConformance",
    "SeenStoreConformance",
    "StoreConformance",
    "StoreLifecycleConformance",
    "TokenStoreConformance",
    "UserStoreConformance",
]

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


class _RestartableClock(ManualClock):
    """A manual clock that can also be put back, as a restarted sandbox's clock is."""

    def put_back(self, when: dt.datetime) -> None:
        """Move to ``when``, earlier than now (a clock restarted at its start time)."""
        with self._lock:
            self._now = when.astimezone(UTC)


class _Conformance:
    """The fixtures every suite shares (see the module docstring)."""

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The store's clock, at 2026-01-01 UTC; the tests advance it (and some put it back)."""
        return _RestartableClock(T0)

    @pytest.fixture
    def store_factory(self, store: object) -> Callable[[], object]:
        """Opens another handle on ``store``'s data (default: ``store`` itself)."""
        return lambda: store


class StoreLifecycleConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.StoreLifecycle`: schema, ``close``, ``with``."""

    def test_is_a_store_lifecycle(self, store: StoreLifecycle) -> None:
        assert isinstance(store, StoreLifecycle)

    def test_create_schema_is_idempotent(self, store: StoreLifecycle) -> None:
        version = store.schema_version()
        assert version is not None
        store.create_schema()
        store.create_schema()
        assert store.schema_version() == version

    def test_close_is_idempotent_and_with_blocks_close(
        self, store_factory: Callable[[], StoreLifecycle]
    ) -> None:
        store = store_factory()
        with store as entered:
            assert entered is store
        store.close()


class PostStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.PostStore`."""

    def test_rich_post_round_trips(self, store: PostStore) -> None:
        rich = Post.from_x(RICH)
        assert store.upsert_posts([rich]) == 1
        assert store.get_post(rich.id) == rich
        assert store.get_post("404") is None

    def test_display_text_range_round_trips(self, store: PostStore) -> None:
        # A reply as X returns it with tweet.fields=display_text_range: the body
        # starts after the handles X put in front.
        reply = Post.from_x(
            {
                "id": "1875000000000000002",
                "text": "@ann @bob Sorry! Fixed now",
                "author_id": "7",
                "conversation_id": "1875000000000000100",
                "in_reply_to_user_id": "42",
                "referenced_tweets": [{"type": "replied_to", "id": "1875000000000000100"}],
                "entities": {
                    "mentions": [
                        {"start": 0, "end": 4, "username": "ann", "id": "42"},
                        {"start": 5, "end": 9, "username": "bob"},
                    ]
                },
                "display_text_range": [10, 26],
                "edit_history_tweet_ids": ["1875000000000000002"],
            }
        )
        whole = Post(id="3", text="hi", display_text_range=(0, 2))
        rich = attrs.evolve(Post.from_x(RICH), display_text_range=(6, 60))
        assert store.upsert_posts([reply, whole, rich]) == 3
        assert store.get_posts([reply.id, "3", rich.id]) == [reply, whole, rich]
        stored = store.get_post(reply.id)
        assert stored is not None
        assert stored.display_text == "Sorry! Fixed now"
        assert store.posts_in_conversation("1875000000000000100") == [reply]

    def test_bad_display_text_ranges_are_refused(self, store: PostStore) -> None:
        for span in [(5, 2), (-1, 3)]:
            with pytest.raises(ValueError, match="display_text_range"):
                store.upsert_posts([Post(id="4", text="hello", display_text_range=span)])
        assert store.count_posts() == 0

    def test_upsert_is_idempotent_and_replaces_by_id(self, store: PostStore) -> None:
        batch = [post(str(i)) for i in range(1, 6)]
        assert store.upsert_posts(batch) == 5
        assert store.upsert_posts(batch) == 5
        assert store.count_posts() == 5
        edited = post("3", text="edited")
        store.upsert_posts([edited])
        assert store.get_post("3") == edited
        assert store.count_posts() == 5

    def test_later_duplicate_in_one_batch_wins(self, store: PostStore) -> None:
        assert store.upsert_posts([post("1", text="a"), post("1", text="b")]) == 1
        stored = store.get_post("1")
        assert stored is not None
        assert stored.text == "b"

    def test_posts_that_cannot_round_trip_are_rejected(self, store: PostStore) -> None:
        with pytest.raises(ValueError, match="conversation_id"):
            store.upsert_posts([post("1"), Post(id="2", text="x", conversation_id="c1")])
        with pytest.raises(ValueError, match="author_id"):
            store.upsert_posts([Post(id="2", text="x", author_id="")])
        with pytest.raises(ValueError, match=r"\.id"):
            store.upsert_posts([Post(id="", text="x", author_id="1")])
        with pytest.raises(ValueError, match="in_reply_to_user_id"):
            store.upsert_posts([Post(id="3", text="x", in_reply_to_user_id="@bob")])
        assert store.count_posts() == 0

    def test_empty_batch_writes_nothing(self, store: PostStore) -> None:
        assert store.upsert_posts([]) == 0
        assert store.count_posts() == 0

    def test_bulk_upsert_round_trips_large_batches(self, store: PostStore) -> None:
        # Upserted twice, to take both the insert and the conflict branch.
        batch = [
            post(str(10_000 + i), conversation=str(600 + i % 7), minute=i) for i in range(1200)
        ]
        assert store.upsert_posts(batch) == 1200
        changed = [post(p.id, conversation="600", minute=0, text="v2") for p in batch[:600]]
        assert store.upsert_posts(changed + batch[600:]) == 1200
        assert store.count_posts() == 1200
        assert store.get_post("10000") == changed[0]
        assert store.get_post("11199") == batch[-1]

    def test_concurrent_bulk_upserts_of_the_same_posts(
        self, store_factory: Callable[[], PostStore]
    ) -> None:
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def write(version: int) -> None:
            store = store_factory()
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
        store = store_factory()
        assert store.count_posts() == 300
        stored = store.get_posts([str(1000 + i) for i in range(300)])
        assert {p.text for p in stored} <= {"v0", "v1", "v2", "v3"}

    def test_bulk_upsert_spanning_many_chunks_round_trips(self, store: PostStore) -> None:
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

    def test_new_posts_below_between_and_above_stored_ids(self, store: PostStore) -> None:
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

    def test_concurrent_large_bulk_upserts_are_atomic(
        self, store_factory: Callable[[], PostStore]
    ) -> None:
        # Writers upsert the same 2,500 posts in big batches; a reader never sees part of one.
        ids = [str(1_870_000_000_000_000_000 + n) for n in range(2500)]
        writers = 3
        barrier = threading.Barrier(writers + 1)
        done = threading.Event()
        errors: list[BaseException] = []
        counts: set[int] = set()

        def write(version: int) -> None:
            store = store_factory()
            batch = [Post(id=i, text=f"v{version}", author_id="9") for i in ids]
            barrier.wait()
            try:
                for _ in range(2):
                    store.upsert_posts(batch[::-1] if version % 2 else batch)
            except BaseException as exc:
                errors.append(exc)

        def read() -> None:
            store = store_factory()
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
        store = store_factory()
        assert store.count_posts() == 2500
        stored = store.get_posts(ids)
        assert len(stored) == 2500
        assert {p.text for p in stored} <= {f"v{v}" for v in range(writers)}

    def test_get_posts_keeps_the_requested_order(self, store: PostStore) -> None:
        store.upsert_posts([post("1"), post("2"), post("3")])
        got = store.get_posts(["3", "404", "1", "3"])
        assert [p.id for p in got] == ["3", "1", "3"]
        many = [post(str(100 + i)) for i in range(700)]
        store.upsert_posts(many)
        assert store.get_posts([p.id for p in reversed(many)]) == list(reversed(many))

    def test_posts_in_conversation_oldest_first(self, store: PostStore) -> None:
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

    def test_lone_surrogates_in_posts_are_refused(self, store: PostStore) -> None:
        with pytest.raises(ValueError, match=r"post '2'.*text.*surrogate"):
            store.upsert_posts([post("1"), post("2", text="bad \ud800 text"), post("3")])
        mention = MentionEntity(start=0, end=3, username="a\udfffb")
        with pytest.raises(ValueError, match=r"post '4'.*username.*surrogate"):
            store.upsert_posts([Post(id="4", text="@ab", entities=Entities(mentions=(mention,)))])
        # the first bad post in the order given is named, on every backend
        with pytest.raises(ValueError, match=r"post '9'"):
            store.upsert_posts([post("9", text="\ud800"), post("5", text="\udc00")])
        assert store.count_posts() == 0
        for bad in ("\ud800", "1\udc00"):
            with pytest.raises(ValueError, match="post_id"):
                store.get_post(bad)
            with pytest.raises(ValueError, match=r"post_ids\[1\]"):
                store.get_posts(["1", bad])
            with pytest.raises(ValueError, match="conversation_id"):
                store.posts_in_conversation(bad)

    def test_nul_and_unicode_in_post_text_are_kept(self, store: PostStore) -> None:
        odd = post("1", text="nul \x00 here \u2028 \U0001f621 \\N \\x00")
        store.upsert_posts([odd])
        assert store.get_post("1") == odd
        with pytest.raises(ValueError, match="post_id"):
            store.get_post("1\x00")

    def test_post_times_keep_x_precision(self, store: PostStore) -> None:
        fine = Post(id="1", text="x", conversation_id="5", created_at=T0 + dt.timedelta(
            microseconds=123_456))  # fmt: skip
        close = Post(id="2", text="x", conversation_id="5", created_at=T0 + dt.timedelta(
            microseconds=123_000))  # fmt: skip
        store.upsert_posts([fine, close])
        stored = store.get_post("1")
        assert stored is not None
        assert stored.created_at == T0 + dt.timedelta(milliseconds=123)
        assert stored == Post.from_x(fine.to_x())
        # same millisecond: ordered by id, as X's times cannot tell them apart
        assert [p.id for p in store.posts_in_conversation("5")] == ["1", "2"]
        rich = Post.from_x(RICH)
        store.upsert_posts([rich])
        assert store.get_post(rich.id) == rich

    def test_ids_that_would_not_read_back_are_refused(self, store: PostStore) -> None:
        mention = MentionEntity(start=0, end=3, username="ab", id="@ab")
        with pytest.raises(ValueError, match=r"mentions\[0\]\.id"):
            store.upsert_posts([Post(id="1", text="@ab", entities=Entities(mentions=(mention,)))])
        empty = MentionEntity(start=0, end=3, username="ab", id="")
        with pytest.raises(ValueError, match=r"mentions\[0\]\.id"):
            store.upsert_posts([Post(id="1", text="@ab", entities=Entities(mentions=(empty,)))])
        ref = ReferencedPost(type="quoted", id="abc")
        with pytest.raises(ValueError, match=r"referenced\[0\]\.id"):
            store.upsert_posts([Post(id="1", text="x", referenced=(ref,))])
        assert store.count_posts() == 0

    def test_post_errors_clip_huge_values(self, store: PostStore) -> None:
        huge = "x" * 2_000_000
        with pytest.raises(ValueError, match="post") as caught:
            store.upsert_posts([Post(id=huge, text="x")])
        assert len(str(caught.value)) < 400
        with pytest.raises(ValueError, match="post_id") as caught:
            store.get_post(huge + "\ud800")
        assert len(str(caught.value)) < 400


class UserStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.UserStore`."""

    def test_users_round_trip(self, store: UserStore) -> None:
        ann = User(id="1", username="ann", name="Ann", followers_count=10, receives_your_dm=True)
        bob = User(id="2", username="bob", name="Bob", created_at=T0)
        assert store.upsert_users([ann, bob]) == 2
        assert store.get_user("1") == ann
        renamed = User(id="2", username="bobby", name="Bob")
        store.upsert_users([renamed])
        assert store.get_users(["2", "404", "1"]) == [renamed, ann]
        assert store.get_user("404") is None

    def test_user_ids_that_would_not_read_back_are_refused(self, store: UserStore) -> None:
        with pytest.raises(ValueError, match=r"user 'ann'.*\bid\b"):
            store.upsert_users([User(id="1", username="a", name="A"),
                                User(id="ann", username="ann", name="Ann")])  # fmt: skip
        assert store.get_user("1") is None
        with pytest.raises(ValueError, match=r"user '1'.*name.*surrogate"):
            store.upsert_users([User(id="1", username="a", name="\ud83d")])
        with pytest.raises(ValueError, match="username"):
            store.upsert_users([User(id="1", username="a\x00", name="A")])
        with pytest.raises(ValueError, match="user_id"):
            store.get_user("\udc00")
        with pytest.raises(ValueError, match=r"user_ids\[0\]"):
            store.get_users(["\x00"])
        huge = "7" * 100_000 + "x"
        with pytest.raises(ValueError, match="user") as caught:
            store.upsert_users([User(id=huge, username="a", name="A")])
        assert len(str(caught.value)) < 600

    def test_user_times_keep_x_precision(self, store: UserStore) -> None:
        ann = User(id="1", username="ann", name="Ann \x00",
                   created_at=T0 + dt.timedelta(microseconds=1_999))  # fmt: skip
        store.upsert_users([ann])
        assert store.get_user("1") == User.from_x(ann.to_x())
        stored = store.get_user("1")
        assert stored is not None
        assert stored.created_at == T0 + dt.timedelta(milliseconds=1)
        assert stored.name == "Ann \x00"


class DMStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.DMStore`."""

    def test_dms_round_trip_and_order(self, store: DMStore) -> None:
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

    def test_a_dm_sharing_a_post_round_trips(self, store: DMStore) -> None:
        shared = DirectMessage.from_x(
            {
                "id": "21",
                "event_type": "MessageCreate",
                "text": "this one",
                "dm_conversation_id": "1-2",
                "referenced_tweets": [{"id": "900"}],
            }
        )
        store.upsert_dms([shared])
        assert store.get_dm("21") == shared

    def test_dm_entities_round_trip(self, store: DMStore) -> None:
        # X's t.co link in a DM, with the link entity that maps it back.
        message = DirectMessage.from_x(
            {
                "id": "22",
                "event_type": "MessageCreate",
                "text": "@acme see #A123 $ACME https://t.co/abc",
                "dm_conversation_id": "1-2",
                "sender_id": "1",
                "created_at": "2026-01-05T10:00:00.000Z",
                "entities": {
                    "mentions": [{"start": 0, "end": 5, "username": "acme", "id": "2"}],
                    "hashtags": [{"start": 10, "end": 15, "tag": "A123"}],
                    "cashtags": [{"start": 16, "end": 21, "tag": "ACME"}],
                    "urls": [
                        {
                            "start": 22,
                            "end": 38,
                            "url": "https://t.co/abc",
                            "expanded_url": "https://acme.example/orders/A123",
                            "display_url": "acme.example/orders/A123",
                        }
                    ],
                },
            }
        )
        assert message.entities.urls
        store.upsert_dms([message])
        assert store.get_dm("22") == message
        assert store.dms_in_conversation("1-2") == [message]

    def test_dm_ids_that_would_not_read_back_are_refused(self, store: DMStore) -> None:
        with pytest.raises(ValueError, match=r"DM event 'e1'.*\bid\b"):
            store.upsert_dms([DirectMessage(id="e1", text="hi", dm_conversation_id="1-2")])
        with pytest.raises(ValueError, match="sender_id"):
            store.upsert_dms([DirectMessage(id="1", text="hi", sender_id="bob")])
        with pytest.raises(ValueError, match="dm_conversation_id"):
            store.upsert_dms([DirectMessage(id="1", text="hi", dm_conversation_id="1\x00")])
        with pytest.raises(ValueError, match=r"text.*surrogate"):
            store.upsert_dms([DirectMessage(id="1", text="\ud800")])
        with pytest.raises(ValueError, match="event_id"):
            store.get_dm("\ud800")
        with pytest.raises(ValueError, match="dm_conversation_id"):
            store.dms_in_conversation("\x00")
        assert store.get_dm("1") is None

    def test_dm_text_with_nul_and_fine_times(self, store: DMStore) -> None:
        message = DirectMessage(id="1", text="a\x00b", dm_conversation_id="1-2",
                                created_at=T0 + dt.timedelta(microseconds=5))  # fmt: skip
        store.upsert_dms([message])
        assert store.get_dm("1") == DirectMessage.from_x(message.to_x())
        stored = store.get_dm("1")
        assert stored is not None
        assert (stored.text, stored.created_at) == ("a\x00b", T0)


class ConversationStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.ConversationStore`."""

    def test_conversation_round_trips(self, store: ConversationStore) -> None:
        c = Conversation(
            id="c1",
            channel="dm",
            state="awaiting_brand",
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
        closed = Conversation(id="c1", state="resolved", first_response_at=T0)
        store.put_conversation(closed)
        assert store.get_conversation("c1") == closed
        assert store.get_conversation("404") is None

    def test_open_conversation_needs_waiting_since(self) -> None:
        with pytest.raises(ValueError, match="waiting_since"):
            Conversation(id="c1")
        with pytest.raises(ValueError, match="state"):
            Conversation(id="c1", state="snoozed", waiting_since=T0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="aware"):
            Conversation(id="c1", waiting_since=dt.datetime(2026, 1, 1))  # noqa: DTZ001

    def test_open_queue_orders_by_priority_then_longest_wait(
        self, store: ConversationStore
    ) -> None:
        minutes = dt.timedelta(minutes=1)
        store.put_conversation(conv("late-high", priority=5, waiting_since=T0 + 9 * minutes))
        store.put_conversation(conv("early-high", priority=5, waiting_since=T0 + 1 * minutes))
        store.put_conversation(conv("b-tie", priority=1, waiting_since=T0))
        store.put_conversation(conv("a-tie", priority=1, waiting_since=T0))
        store.put_conversation(conv("urgent", priority=9, waiting_since=T0 + 30 * minutes))
        store.put_conversation(conv("low", priority=-1, waiting_since=T0))
        store.put_conversation(conv("answered", state="awaiting_brand", waiting_since=T0))
        store.put_conversation(Conversation(id="pending", state="awaiting_customer", priority=99))
        store.put_conversation(Conversation(id="dm", state="escalated", priority=99))
        store.put_conversation(Conversation(id="closed", state="resolved", priority=99))
        queue = [c.id for c in store.open_queue()]
        assert queue == ["urgent", "early-high", "late-high", "a-tie", "b-tie", "answered", "low"]
        assert [c.id for c in store.open_queue(limit=2)] == ["urgent", "early-high"]
        store.put_conversation(Conversation(id="urgent", state="awaiting_customer", priority=9))
        assert store.open_queue(limit=1)[0].id == "early-high"

    def test_find_conversations_filters_and_orders(self, store: ConversationStore) -> None:
        hour = dt.timedelta(hours=1)
        store.put_conversation(conv("a", customer_id="1", assignee="x", last_activity_at=T0))
        store.put_conversation(conv("b", customer_id="1", last_activity_at=T0 + hour))
        store.put_conversation(Conversation(id="c", customer_id="1", state="resolved"))
        store.put_conversation(conv("d", customer_id="2", assignee="x", last_activity_at=T0))
        assert [c.id for c in store.find_conversations(customer_id="1")] == ["b", "a", "c"]
        assert [c.id for c in store.find_conversations(customer_id="1", state="new")] == ["b", "a"]
        assert [c.id for c in store.find_conversations(assignee="x")] == ["a", "d"]
        assert [c.id for c in store.find_conversations(limit=1)] == ["b"]

    def test_priority_spans_the_64_bit_range(self, store: ConversationStore) -> None:
        store.put_conversation(conv("high", priority=2**63 - 1))
        store.put_conversation(conv("low", priority=-(2**63)))
        store.put_conversation(conv("mid", priority=2**31))
        assert [c.id for c in store.open_queue()] == ["high", "mid", "low"]
        high = store.get_conversation("high")
        assert high is not None
        assert high.priority == 2**63 - 1
        for bad in (2**63, -(2**63) - 1, 10**30, True):
            with pytest.raises(ValueError, match="priority"):
                conv("x", priority=bad)

    def test_conversation_strings_are_checked(self, store: ConversationStore) -> None:
        with pytest.raises(ValueError, match=r"conversation.assignee"):
            store.put_conversation(conv("c1", assignee="agent\ud800"))
        with pytest.raises(ValueError, match=r"conversation.tags\[0\]"):
            store.put_conversation(conv("c1", tags=["a\x00"]))
        with pytest.raises(ValueError, match=r"conversation.id"):
            store.put_conversation(conv("c\x00"))
        with pytest.raises(ValueError, match="conversation_id"):
            store.get_conversation("\udfff")
        with pytest.raises(ValueError, match="customer_id"):
            store.find_conversations(customer_id="\x00")
        assert store.find_conversations() == []
        odd = conv("c\u00e9", tags=["\U0001f621"], customer_id="\u2028")
        store.put_conversation(odd)
        assert store.get_conversation("c\u00e9") == odd


class CursorStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.CursorStore`."""

    def test_cursor_only_moves_forward(self, store: CursorStore, clock: ManualClock) -> None:
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

    def test_backlog_window_is_kept_beside_the_cursor(
        self, store: CursorStore, clock: ManualClock
    ) -> None:
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
        assert (fresh.since_id, fresh.backlog_since_id, fresh.backlog_until_id) == (
            None,
            None,
            "77",
        )
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
        self, store: CursorStore, since_id: str | None, until_id: str | None
    ) -> None:
        store.set_backlog("s", since_id="1", until_id="5")
        with pytest.raises(ValueError, match=r"backlog|_id"):
            store.set_backlog("s", since_id=since_id, until_id=until_id)
        kept = store.get_cursor("s")
        assert kept is not None
        assert (kept.backlog_since_id, kept.backlog_until_id) == ("1", "5")

    def test_stream_errors_are_recorded_beside_the_cursor(
        self, store: CursorStore, clock: ManualClock
    ) -> None:
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

    @pytest.mark.parametrize("bad", ["s\ud800", "\udfff", "s\x00"])
    def test_stream_names_and_messages_are_checked(self, store: CursorStore, bad: str) -> None:
        with pytest.raises(ValueError, match="stream"):
            store.advance_cursor(bad)
        with pytest.raises(ValueError, match="stream"):
            store.record_stream_error(bad, "boom")
        with pytest.raises(ValueError, match="stream"):
            store.set_backlog(bad, since_id=None, until_id="5")
        with pytest.raises(ValueError, match="stream"):
            store.get_cursor(bad)
        with pytest.raises(ValueError, match="message"):
            store.record_stream_error("s", f"boom {bad}")
        assert store.list_cursors() == []

    def test_cursor_errors_clip_huge_values(self, store: CursorStore) -> None:
        with pytest.raises(ValueError, match="since_id") as caught:
            store.advance_cursor("s", since_id="9" * 1_000_000 + "x")
        assert len(str(caught.value)) < 400


class OutboxStoreConformance(_Conformance):
    """The suite for an :class:`~socialcare.storage.OutboxStore`."""

    def test_reserve_is_once_per_key(self, store: OutboxStore) -> None:
        first = store.reserve_action("reply:1", kind="reply", payload={"text": "hi", "n": [1, 2]})
        assert first.created
        assert first.record.status == "reserved"
        assert first.record.payload == {"text": "hi", "n": [1, 2]}
        again = store.reserve_action("reply:1", kind="dm", payload={"text": "other"})
        assert not again.created
        assert again.record == first.record
        assert store.list_actions() == [first.record]

    def test_reserve_after_send_returns_the_sent_record(self, store: OutboxStore) -> None:
        store.reserve_action("k", kind="reply", payload={})
        sent = store.mark_sent("k", remote_id="555")
        again = store.reserve_action("k", kind="reply", payload={})
        assert not again.created
        assert again.record == sent

    def test_payload_must_be_json(self, store: OutboxStore) -> None:
        with pytest.raises(ValueError, match="JSON"):
            store.reserve_action("k", kind="reply", payload={"when": T0})
        assert store.get_action("k") is None

    def test_claim_send_and_mark(self, store: OutboxStore, clock: ManualClock) -> None:
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

    def test_claims_and_listings_by_kind(self, store: OutboxStore, clock: ManualClock) -> None:
        for i, kind in enumerate(["reply", "alert", "reply", "alert", "dm"]):
            store.reserve_action(f"k{i}", kind=kind, payload={})
            clock.advance(1)
        assert [r.key for r in store.claim_actions("alerts", ttl=30, kind="alert")] == ["k1", "k3"]
        assert store.claim_actions("alerts", ttl=30, kind="alert") == []
        assert [r.key for r in store.list_actions(kind="reply")] == ["k0", "k2"]
        assert [r.key for r in store.list_actions(kind="alert", status="reserved")] == ["k1", "k3"]
        assert store.list_actions(kind="alert", status="sent") == []
        assert [r.key for r in store.claim_actions("replies", ttl=30)] == ["k0", "k2", "k4"]

    def test_expired_claims_are_taken_again(self, store: OutboxStore, clock: ManualClock) -> None:
        store.reserve_action("a", kind="dm", payload={})
        assert [r.key for r in store.claim_actions("w1", ttl=30)] == ["a"]
        clock.advance(29)
        assert store.claim_actions("w2", ttl=30) == []
        clock.advance(2)
        again = store.claim_actions("w2", ttl=30)
        assert [(r.key, r.claimed_by, r.attempts) for r in again] == [("a", "w2", 2)]

    def test_failures_retry_or_stop(self, store: OutboxStore) -> None:
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

    def test_concurrent_reservations_create_one_record(self, store: OutboxStore) -> None:
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

    def test_payload_strings_are_checked(self, store: OutboxStore) -> None:
        with pytest.raises(ValueError, match=r"payload.*surrogate"):
            store.reserve_action("k", kind="dm", payload={"text": "bad \ud800"})
        with pytest.raises(ValueError, match=r"payload.*surrogate"):
            store.reserve_action("k", kind="dm", payload={"\udc00": 1})
        with pytest.raises(ValueError, match="key"):
            store.reserve_action("k\x00", kind="dm", payload={})
        with pytest.raises(ValueError, match="kind"):
            store.reserve_action("k", kind="\ud800", payload={})
        assert store.list_actions() == []
        kept = store.reserve_action("k", kind="dm", payload={"text": "nul \x00 ok \u2028"})
        assert kept.record.payload == {"text": "nul \x00 ok \u2028"}
        assert store.get_action("k") == kept.record
        with pytest.raises(ValueError, match="reason"):
            store.mark_failed("k", reason="\ud800")
        with pytest.raises(ValueError, match="remote_id"):
            store.mark_sent("k", remote_id="1\x00")
        with pytest.raises(ValueError, match="key"):
            store.get_action("\udfff")
        with pytest.raises(ValueError, match="kind"):
            store.list_actions(kind="\x00")
        assert store.get_action("k") == kept.record

    @pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf")])
    def test_bad_claim_ttl_is_rejected(self, store: OutboxStore, ttl: float) -> None:
        with pytest.raises(ValueError, match="ttl"):
            store.claim_actions("a", ttl=ttl)

    @pytest.mark.parametrize("ttl", [1e15, MAX_TTL * 2, 2**70])
    def test_huge_claim_ttl_is_rejected(self, store: OutboxStore, ttl: float) -> None:
        store.reserve_action("k", kind="dm", payload={})
        with pytest.raises(ValueError, match="ttl"):
            store.claim_actions("w", ttl=ttl)
        assert [r.key for r in store.claim_actions("w", ttl=MAX_TTL)] == ["k"]

    def test_outbox_errors_clip_huge_values(self, store: OutboxStore) -> None:
        with pytest.raises(StorageError, match="no outbox action") as caught:
            store.mark_sent("k" * 2_000_000, remote_id="1")
        assert len(str(caught.value)) < 400

    def test_attempts_are_recorded_before_sending(
        self, store: OutboxStore, clock: ManualClock
    ) -> None:
        store.reserve_action("a", kind="dm", payload={})
        fresh = store.get_action("a")
        assert fresh is not None
        assert (fresh.first_attempt_at, fresh.in_doubt, fresh.not_before) == (None, False, None)
        assert store.start_attempt("a", owner="w1") is None  # not claimed
        store.claim_actions("w1", ttl=30)
        assert store.start_attempt("a", owner="w2") is None  # claimed by another
        clock.advance(1)
        first = store.start_attempt("a", owner="w1")
        assert first is not None
        assert (first.first_attempt_at, first.in_doubt) == (clock.now(), True)
        clock.advance(1)
        again = store.start_attempt("a", owner="w1")
        assert again is not None
        assert again.first_attempt_at == first.first_attempt_at  # the window's start stays
        clock.advance(30)
        assert store.start_attempt("a", owner="w1") is None  # the claim expired
        [taken] = store.claim_actions("w2", ttl=30)
        assert (taken.in_doubt, taken.first_attempt_at) == (True, first.first_attempt_at)
        sent = store.mark_sent("a", remote_id="77")
        assert (sent.in_doubt, sent.first_attempt_at) == (False, first.first_attempt_at)
        assert store.start_attempt("a", owner="w2") is None  # settled

    def test_a_doubt_is_kept_until_cleared(self, store: OutboxStore) -> None:
        store.reserve_action("a", kind="dm", payload={})
        store.claim_actions("w1", ttl=30)
        assert store.start_attempt("a", owner="w1") is not None
        kept = store.mark_failed("a", reason="503 after sending", retry=True)
        assert (kept.status, kept.in_doubt) == ("reserved", True)
        store.claim_actions("w1", ttl=30)
        cleared = store.mark_failed("a", reason="503 before sending", retry=True, not_sent=True)
        assert (cleared.status, cleared.in_doubt) == ("reserved", False)
        assert store.get_action("a") == cleared

    def test_deferred_actions_wait(self, store: OutboxStore, clock: ManualClock) -> None:
        store.reserve_action("a", kind="dm", payload={})
        clock.advance(1)
        store.reserve_action("b", kind="dm", payload={})
        store.claim_actions("w1", ttl=30)
        deferred = store.mark_failed("a", reason="429", retry=True, delay=10)
        assert deferred.not_before == clock.now() + dt.timedelta(seconds=10)
        store.mark_failed("b", reason="503", retry=True)
        assert [r.key for r in store.claim_actions("w2", ttl=30)] == ["b"]
        clock.advance(9.999)
        assert store.claim_actions("w2", ttl=30) == []
        clock.advance(0.001)
        [again] = store.claim_actions("w2", ttl=30)
        assert (again.key, again.attempts) == ("a", 2)
        assert store.mark_failed("a", reason="503", retry=True).not_before is None
        with pytest.raises(ValueError, match="delay"):
            store.mark_failed("a", reason="x", retry=True, delay=-1)
        with pytest.raises(ValueError, match="delay"):
            store.mark_failed("a", reason="x", retry=True, delay=float("nan"))
        assert store.get_action("a") is not None


class PauseSwitchConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.PauseSwitch` on an :class:`OutboxStore`."""

    def test_is_a_pause_switch(self, store: PauseSwitch) -> None:
        assert isinstance(store, PauseSwitch)

    def test_pause_stops_every_attempt(
        self, store: Store, store_factory: Callable[[], Store]
    ) -> None:
        other = store_factory()
        assert not store.paused()
        store.reserve_action("a", kind="dm", payload={})
        store.claim_actions("w1", ttl=30)
        assert store.pause_all()
        assert not other.pause_all()  # already paused, from any handle
        assert other.paused()
        assert other.start_attempt("a", owner="w1") is None
        assert store.start_attempt("a", owner="w1") is None
        record = store.get_action("a")
        assert record is not None
        assert (record.in_doubt, record.first_attempt_at) == (False, None)
        assert [r.key for r in store.list_actions(status="reserved")] == ["a"]
        assert other.resume_all()
        assert not store.resume_all()
        assert not store.paused()
        started = store.start_attempt("a", owner="w1")
        assert started is not None
        assert started.in_doubt

    def test_pause_is_idempotent_under_concurrency(self, store: Store) -> None:
        barrier = threading.Barrier(6)
        won: list[bool] = []

        def pause() -> None:
            barrier.wait()
            won.append(store.pause_all())

        threads = [threading.Thread(target=pause) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(won) == [False] * 5 + [True]
        assert store.paused()


class AuditLogConformance(_Conformance):
    """The suite for an :class:`~socialcare.storage.AuditLog`."""

    def test_audit_log_appends_in_order(self, store: AuditLog, clock: ManualClock) -> None:
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

    def test_audit_strings_are_checked(self, store: AuditLog) -> None:
        with pytest.raises(ValueError, match=r"detail.*surrogate"):
            store.append_audit("a", actor="bot", detail={"x": ["\ud800"]})
        with pytest.raises(ValueError, match="actor"):
            store.append_audit("a", actor="b\x00t")
        with pytest.raises(ValueError, match="action"):
            store.append_audit("\udfff", actor="bot")
        with pytest.raises(ValueError, match="subject"):
            store.append_audit("a", actor="bot", subject="\ud800")
        with pytest.raises(ValueError, match="subject"):
            store.audit_entries(subject="\x00")
        assert store.audit_entries() == []
        entry = store.append_audit("a", actor="bot", detail={"why": "nul \x00"})
        assert store.audit_entries() == [entry]
        assert entry.detail == {"why": "nul \x00"}


class LinkStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.LinkStore`."""

    def test_short_links_insert_once_and_count_clicks(
        self, store: LinkStore, clock: ManualClock
    ) -> None:
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

    def test_concurrent_clicks_are_all_counted(self, store: LinkStore) -> None:
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

    def test_link_strings_are_checked(self, store: LinkStore) -> None:
        with pytest.raises(ValueError, match="url"):
            store.put_short_link("c", "https://acme.example/\ud800")
        with pytest.raises(ValueError, match="code"):
            store.put_short_link("c\x00", "https://acme.example")
        with pytest.raises(ValueError, match="conversation_id"):
            store.put_short_link("c", "https://acme.example", conversation_id="\x00")
        with pytest.raises(ValueError, match="code"):
            store.get_short_link("\ud800")
        with pytest.raises(ValueError, match="code"):
            store.record_click("\x00")
        assert store.get_short_link("c") is None

    def test_bot_clicks_are_counted_apart(self, store: LinkStore, clock: ManualClock) -> None:
        store.put_short_link("card", "https://acme.example/c")
        clock.advance(3)
        previewed = store.record_click("card", bot=True)
        assert previewed is not None
        assert (previewed.clicks, previewed.bot_clicks, previewed.last_clicked_at) == (0, 1, None)
        clicked = store.record_click("card")
        assert clicked is not None
        assert (clicked.clicks, clicked.bot_clicks) == (1, 1)
        assert clicked.last_clicked_at == clock.now()
        assert store.record_click("nope", bot=True) is None

    def test_following_a_link_counts_one_click_and_returns_its_target(
        self, store: LinkStore, clock: ManualClock
    ) -> None:
        store.put_short_link("go", "https://acme.example/go")
        clock.advance(2)
        assert store.follow_short_link("go") == "https://acme.example/go"
        link = store.get_short_link("go")
        assert link is not None
        assert (link.clicks, link.bot_clicks, link.last_clicked_at) == (1, 0, clock.now())
        clock.advance(2)
        assert store.follow_short_link("go", bot=True) == "https://acme.example/go"
        after_bot = store.get_short_link("go")
        assert after_bot is not None
        assert (after_bot.clicks, after_bot.bot_clicks) == (1, 1)
        assert after_bot.last_clicked_at == link.last_clicked_at
        assert store.record_click("go") is not None
        assert store.follow_short_link("go") == "https://acme.example/go"
        counted = store.get_short_link("go")
        assert counted is not None
        assert (counted.clicks, counted.bot_clicks) == (3, 1)
        assert store.follow_short_link("nope") is None
        assert store.follow_short_link("nope", bot=True) is None
        assert store.get_short_link("nope") is None
        with pytest.raises(ValueError, match="code"):
            store.follow_short_link("\x00")

    def test_concurrent_follows_are_all_counted(self, store: LinkStore) -> None:
        store.put_short_link("busy", "https://acme.example/busy")
        targets: list[str | None] = []
        lock = threading.Lock()

        def follow(bot: bool) -> None:
            for _ in range(25):
                target = store.follow_short_link("busy", bot=bot)
                with lock:
                    targets.append(target)

        threads = [threading.Thread(target=follow, args=(n % 2 == 1,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert targets == ["https://acme.example/busy"] * 100
        link = store.get_short_link("busy")
        assert link is not None
        assert (link.clicks, link.bot_clicks) == (50, 50)

    def test_links_are_found_by_conversation_and_campaign(
        self, store: LinkStore, clock: ManualClock
    ) -> None:
        first = store.put_short_link("a1", "https://acme.example/1", conversation_id="c1")
        clock.advance(1)
        second = store.put_short_link(
            "a2", "https://acme.example/2", conversation_id="c1", campaign="spring"
        )
        clock.advance(1)
        third = store.put_short_link("a3", "https://acme.example/3", campaign="spring")
        assert second.campaign == "spring"
        assert store.find_short_links(conversation_id="c1") == [first, second]
        assert store.find_short_links(campaign="spring") == [second, third]
        assert store.find_short_links(conversation_id="c1", campaign="spring") == [second]
        assert store.find_short_links() == [first, second, third]
        assert store.find_short_links(limit=1) == [first]
        assert store.find_short_links(campaign="autumn") == []
        with pytest.raises(ValueError, match="campaign"):
            store.put_short_link("a4", "https://acme.example/4", campaign="\x00")
        with pytest.raises(ValueError, match="limit"):
            store.find_short_links(limit=0)

    def test_concurrent_writers_of_one_code_agree_on_one_winner(self, store: LinkStore) -> None:
        results: list[str] = []
        lock = threading.Lock()

        def write(n: int) -> None:
            link = store.put_short_link("race", f"https://acme.example/{n}")
            with lock:
                results.append(link.url)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = store.get_short_link("race")
        assert stored is not None
        assert results == [stored.url] * 8


class EscalationStoreConformance(_Conformance):
    """The suite for an :class:`~socialcare.storage.EscalationStore`."""

    def test_escalations_round_trip(self, store: EscalationStore) -> None:
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

    def test_escalation_strings_are_checked(self, store: EscalationStore) -> None:
        def esc(*, reason: str = "r", user_id: str = "42") -> Escalation:
            return Escalation(
                id="e1", conversation_id="c1", user_id=user_id, reason=reason,
                created_at=T0, updated_at=T0,
            )  # fmt: skip

        with pytest.raises(ValueError, match=r"escalation.reason"):
            store.put_escalation(esc(reason="nul \x00"))
        with pytest.raises(ValueError, match=r"escalation.user_id"):
            store.put_escalation(esc(user_id="\ud800"))
        with pytest.raises(ValueError, match="escalation_id"):
            store.get_escalation("\x00")
        with pytest.raises(ValueError, match="conversation_id"):
            store.find_escalations(conversation_id="\udfff")
        assert store.find_escalations() == []


class LeaseStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.LeaseStore`."""

    def test_lease_is_exclusive_until_it_expires(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
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
        self, store: LeaseStore, clock: ManualClock
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

    def test_a_lease_from_a_future_the_clock_went_back_from_is_not_held(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        clock.advance(hours=5)
        assert store.claim_lease("stream:brand", "old", ttl=180)
        clock.put_back(T0)  # a sandbox restarted at its start time
        assert store.claim_lease("stream:brand", "new", ttl=180)
        lease = store.get_lease("stream:brand")
        assert lease is not None
        assert (lease.owner, lease.token, lease.acquired_at) == ("new", 2, T0)
        assert lease.expires_at == T0 + dt.timedelta(seconds=180)
        with pytest.raises(LeaseError, match="not held by 'old'"):
            store.renew_lease("stream:brand", "old", ttl=180)
        assert not store.release_lease("stream:brand", "old")

    def test_a_small_step_back_leaves_a_live_lease_held(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        clock.advance(hours=1)
        taken = clock.now()
        assert store.claim_lease("k", "a", ttl=60)
        clock.put_back(taken - dt.timedelta(seconds=60))  # within the claimant's ttl
        assert not store.claim_lease("k", "b", ttl=60)
        assert [lease.owner for lease in store.list_leases()] == ["a"]
        clock.put_back(taken - dt.timedelta(seconds=60, milliseconds=1))
        assert not store.claim_lease("k", "b", ttl=61)  # a longer ttl tolerates more
        assert store.claim_lease("k", "b", ttl=60)  # later than now by more than 60 s
        lease = store.get_lease("k")
        assert lease is not None
        assert (lease.owner, lease.token) == ("b", 2)

    def test_the_owner_carries_its_lease_into_the_earlier_time(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        clock.advance(hours=2)
        assert store.claim_lease("k", "a", ttl=30)
        assert store.claim_lease("j", "a", ttl=30)
        clock.put_back(T0)
        assert store.claim_lease("k", "a", ttl=30)  # the owner, alive: extended
        renewed = store.renew_lease("j", "a", ttl=30)  # still unexpired: renewed
        assert (renewed.acquired_at, renewed.token) == (T0, 1)
        lease = store.get_lease("k")
        assert lease is not None
        assert (lease.acquired_at, lease.expires_at, lease.token) == (
            T0,
            T0 + dt.timedelta(seconds=30),
            1,
        )
        assert not store.claim_lease("k", "b", ttl=30)  # now held in the earlier time
        assert not store.claim_lease("j", "b", ttl=30)

    def test_a_lease_renewed_in_a_future_the_clock_went_back_from_is_not_held(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        assert store.claim_lease("stream:brand", "dead", ttl=180)
        for _ in range(100):  # an hour of polling, renewing every 36 s
            clock.advance(36)
            assert store.claim_lease("stream:brand", "dead", ttl=180)
        renewed = store.renew_lease("stream:brand", "dead", ttl=180)
        assert (renewed.acquired_at, renewed.renewed_at) == (T0, clock.now())
        clock.put_back(T0 + dt.timedelta(minutes=1))  # the sandbox restarted; "dead" died
        assert store.claim_lease("stream:brand", "new", ttl=180)
        lease = store.get_lease("stream:brand")
        assert lease is not None
        assert (lease.owner, lease.token) == ("new", 2)
        assert lease.acquired_at == lease.renewed_at == clock.now()
        assert lease.expires_at == clock.now() + dt.timedelta(seconds=180)
        with pytest.raises(LeaseError, match="not held by 'dead'"):
            store.renew_lease("stream:brand", "dead", ttl=180)

    def test_renewals_are_recorded_and_a_small_step_back_keeps_the_lease(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        assert store.claim_lease("k", "a", ttl=60)
        first = store.get_lease("k")
        assert first is not None
        assert first.renewed_at == first.acquired_at == T0
        clock.advance(hours=1)
        renewed_at = clock.now()
        assert store.claim_lease("k", "a", ttl=60)  # the owner's claim renews
        lease = store.get_lease("k")
        assert lease is not None
        assert (lease.acquired_at, lease.renewed_at, lease.token) == (T0, renewed_at, 1)
        clock.put_back(renewed_at - dt.timedelta(seconds=60))  # within the claimant's ttl
        assert not store.claim_lease("k", "b", ttl=60)
        clock.put_back(renewed_at - dt.timedelta(seconds=60, milliseconds=1))
        assert not store.claim_lease("k", "b", ttl=61)  # a longer ttl tolerates more
        renewed = store.renew_lease("k", "a", ttl=60)  # the owner, alive, renews in time
        assert (renewed.acquired_at, renewed.renewed_at) == (T0, clock.now())
        assert not store.claim_lease("k", "b", ttl=60)  # renewed now: held again

    def test_a_released_lease_stays_free_when_the_clock_goes_back(
        self, store: LeaseStore, clock: ManualClock
    ) -> None:
        assert isinstance(clock, _RestartableClock)
        assert store.claim_lease("k", "a", ttl=30)
        clock.advance(hours=3)
        assert store.claim_lease("k", "a", ttl=30)
        assert store.release_lease("k", "a")
        clock.put_back(T0)
        assert store.get_lease("k") is None
        assert store.list_leases() == []
        assert store.claim_lease("k", "b", ttl=30)
        lease = store.get_lease("k")
        assert lease is not None
        assert (lease.owner, lease.token) == ("b", 2)

    def test_release_lets_the_next_owner_in(self, store: LeaseStore) -> None:
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

    def test_list_leases_by_prefix(self, store: LeaseStore, clock: ManualClock) -> None:
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
    def test_bad_ttl_is_rejected(self, store: LeaseStore, ttl: float) -> None:
        with pytest.raises(ValueError, match="ttl"):
            store.claim_lease("k", "a", ttl=ttl)

    def test_lease_arguments_are_checked(self, store: LeaseStore) -> None:
        with pytest.raises(ValueError, match="owner"):
            store.claim_lease("k", "", ttl=1)
        with pytest.raises(ValueError, match="key"):
            store.claim_lease("", "a", ttl=1)

    @pytest.mark.parametrize("ttl", [1e15, MAX_TTL + 1, 2**70, 1e308])
    def test_huge_lease_ttl_is_rejected(self, store: LeaseStore, ttl: float) -> None:
        with pytest.raises(ValueError, match="ttl"):
            store.claim_lease("k", "a", ttl=ttl)
        assert store.claim_lease("k", "a", ttl=MAX_TTL)
        with pytest.raises(ValueError, match="ttl"):
            store.renew_lease("k", "a", ttl=ttl)
        lease = store.renew_lease("k", "a", ttl=MAX_TTL)
        assert lease.expires_at == T0 + dt.timedelta(seconds=MAX_TTL)

    @pytest.mark.parametrize("bad", ["k\ud800", "\udfff", "k\x00"])
    def test_lease_strings_are_checked(self, store: LeaseStore, bad: str) -> None:
        with pytest.raises(ValueError, match="key"):
            store.claim_lease(bad, "a", ttl=1)
        with pytest.raises(ValueError, match="owner"):
            store.claim_lease("k", bad, ttl=1)
        with pytest.raises(ValueError, match="key"):
            store.renew_lease(bad, "a", ttl=1)
        with pytest.raises(ValueError, match="owner"):
            store.release_lease("k", bad)
        with pytest.raises(ValueError, match="key"):
            store.get_lease(bad)
        with pytest.raises(ValueError, match="prefix"):
            store.list_leases(prefix=bad)
        assert store.list_leases() == []

    def test_lease_errors_clip_huge_values(self, store: LeaseStore) -> None:
        huge = "k" * 2_000_000
        with pytest.raises(LeaseError, match="not held") as caught:
            store.renew_lease(huge, "a" * 1000, ttl=1)
        assert len(str(caught.value)) < 400
        with pytest.raises(ValueError, match="key") as caught_value:
            store.claim_lease(huge + "\x00", "a", ttl=1)
        assert len(str(caught_value.value)) < 400


def _claim(store: SeenStore, ids: Iterable[str], owner: str = "w1", ttl: float = 60) -> list[str]:
    return store.claim_seen("brand", ids, owner=owner, ttl=ttl)


class SeenStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.SeenStore`."""

    def test_an_id_is_claimed_once_per_stream(self, store: SeenStore) -> None:
        assert _claim(store, ["3", "1", "2", "1"]) == ["3", "1", "2"]
        assert _claim(store, ["2", "4", "3"]) == ["4"]
        assert _claim(store, []) == []
        assert store.claim_seen("dms", ["2", "4"], owner="w1", ttl=60) == ["2", "4"]  # apart
        assert _claim(store, ["1", "2", "3", "4"]) == []
        assert _claim(store, ["1", "2", "3", "4"], owner="w2") == []  # live claims hold

    def test_large_claims_span_many_statements(self, store: SeenStore) -> None:
        ids = [str(10**18 + i) for i in range(1_000)]
        assert _claim(store, ids[:700]) == ids[:700]
        assert _claim(store, reversed(ids)) == list(reversed(ids[700:]))
        assert store.confirm_seen("brand", reversed(ids), owner="w1") == list(reversed(ids))

    def test_an_unconfirmed_claim_is_taken_again_when_it_expires(
        self, store: SeenStore, clock: ManualClock
    ) -> None:
        assert _claim(store, ["1", "2", "3"], ttl=30) == ["1", "2", "3"]
        assert store.confirm_seen("brand", ["1"], owner="w1") == ["1"]
        assert store.expired_seen("brand") == []
        clock.advance(29)
        assert _claim(store, ["1", "2", "3"], owner="w2") == []  # still held
        clock.advance(1)
        assert store.expired_seen("brand") == ["2", "3"]  # w1 died before confirming them
        assert store.expired_seen("brand", limit=1) == ["2"]
        assert _claim(store, ["1", "2", "3"], owner="w2", ttl=30) == ["2", "3"]
        assert store.expired_seen("brand") == []
        assert _claim(store, ["2"], owner="w3") == []  # w2's claim is live
        assert store.confirm_seen("brand", ["2", "3"], owner="w1") == []  # not w1's any more
        assert store.confirm_seen("brand", ["2", "3", "9"], owner="w2") == ["2", "3"]
        assert store.confirm_seen("brand", ["2"], owner="w2") == []  # confirmed once
        clock.advance(3600)
        assert _claim(store, ["1", "2", "3"], owner="w3") == []  # delivered: never again
        assert store.expired_seen("brand") == []

    def test_an_expired_claim_nobody_took_can_still_be_confirmed(
        self, store: SeenStore, clock: ManualClock
    ) -> None:
        assert _claim(store, ["5"], ttl=1) == ["5"]
        clock.advance(10)  # slow handlers
        assert store.confirm_seen("brand", ["5"], owner="w1") == ["5"]
        assert _claim(store, ["5"], owner="w2") == []

    def test_forget_drops_records_older_than_a_time(
        self, store: SeenStore, clock: ManualClock
    ) -> None:
        _claim(store, ["1", "2"])
        store.claim_seen("other", ["1"], owner="w1", ttl=600)
        clock.advance(60)
        _claim(store, ["3"])
        assert store.forget_seen("brand", before=clock.now()) == 2
        assert store.forget_seen("brand", before=clock.now()) == 0
        assert _claim(store, ["1", "2", "3"]) == ["1", "2"]
        assert store.claim_seen("other", ["1"], owner="w2", ttl=60) == []  # others keep theirs

    def test_concurrent_claims_give_each_id_to_one_claimant(
        self, store_factory: Callable[[], SeenStore], clock: ManualClock
    ) -> None:
        workers = 6
        ids = [str(1000 + i) for i in range(200)]

        def race(ttl: float) -> list[list[str]]:
            barrier = threading.Barrier(workers)
            won: list[list[str]] = []

            def claim(i: int) -> None:
                mine = store_factory()
                order = ids if i % 2 else list(reversed(ids))  # opposite orders: no deadlock
                barrier.wait()
                won.append(mine.claim_seen("brand", order, owner=f"w{i}", ttl=ttl))

            threads = [threading.Thread(target=claim, args=(i,)) for i in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(won) == workers
            return won

        first = race(10)
        assert sorted((i for batch in first for i in batch), key=int) == ids  # once, never twice
        clock.advance(10)  # every claim expired unconfirmed: taken over, again by one each
        again = race(10)
        assert sorted((i for batch in again for i in batch), key=int) == ids

    @pytest.mark.parametrize("bad", ["", "k\ud800", "k\x00"])
    def test_seen_arguments_are_checked(self, store: SeenStore, bad: str) -> None:
        with pytest.raises(ValueError, match="stream"):
            store.claim_seen(bad, ["1"], owner="w1", ttl=60)
        with pytest.raises(ValueError, match="item_ids"):
            _claim(store, ["1", bad])
        with pytest.raises(ValueError, match="owner"):
            _claim(store, ["1"], owner=bad)
        with pytest.raises(ValueError, match="ttl"):
            _claim(store, ["1"], ttl=0)
        with pytest.raises(ValueError, match="owner"):
            store.confirm_seen("brand", ["1"], owner=bad)
        with pytest.raises(ValueError, match="stream"):
            store.expired_seen(bad)
        with pytest.raises(ValueError, match="limit"):
            store.expired_seen("brand", limit=0)
        with pytest.raises(ValueError, match="stream"):
            store.forget_seen(bad, before=T0)
        with pytest.raises(ValueError, match="before"):
            store.forget_seen("brand", before=dt.datetime(2026, 1, 1))  # noqa: DTZ001
        assert _claim(store, ["1"]) == ["1"]  # nothing was recorded


def grant(key: str = "x:acme", *, n: int = 1, **kw: object) -> TokenRecord:
    """A token record whose tokens name ``n`` (the n-th refresh)."""
    fields: dict[str, object] = {
        "access_token": f"access-{n}-secretvalue",
        "expires_at": T0 + dt.timedelta(hours=2 * n),
        "refresh_token": f"refresh-{n}-secretvalue",
        "scopes": ("tweet.read", "offline.access"),
        "account_id": "42",
    }
    fields.update(kw)
    return TokenRecord(key=key, **fields)  # type: ignore[arg-type]


class TokenStoreConformance(_Conformance):
    """The suite for a :class:`~socialcare.storage.TokenStore`."""

    def test_tokens_round_trip_and_versions_grow(
        self, store: TokenStore, clock: ManualClock
    ) -> None:
        assert store.get_token("x:acme") is None
        clock.advance(0.000123)
        stored = store.put_token(grant())
        assert (stored.version, stored.updated_at) == (1, clock.now())
        assert store.get_token("x:acme") == stored
        assert (stored.access_token, stored.refresh_token) == (
            "access-1-secretvalue",
            "refresh-1-secretvalue",
        )
        assert stored.scopes == ("tweet.read", "offline.access")
        assert stored.account_id == "42"
        assert stored.expires_at == T0 + dt.timedelta(hours=2)
        assert stored.problem is None
        again = store.put_token(grant(n=2, refresh_token=None, account_id=None))
        assert again.version == 2
        assert (again.refresh_token, again.account_id) == (None, None)
        assert store.get_token("x:acme") == again
        assert store.get_token("x:other") is None

    def test_replace_is_a_compare_and_swap_on_the_version(self, store: TokenStore) -> None:
        assert store.replace_token(grant(), version=0) is None
        assert store.get_token("x:acme") is None
        first = store.put_token(grant())
        second = store.replace_token(grant(n=2), version=first.version)
        assert second is not None
        assert (second.version, second.refresh_token) == (2, "refresh-2-secretvalue")
        assert store.replace_token(grant(n=3), version=first.version) is None
        assert store.get_token("x:acme") == second
        dead = store.replace_token(grant(n=2, problem="refused"), version=2)
        assert dead is not None
        assert dead.problem == "refused"
        assert not dead.fresh(T0)

    def test_of_concurrent_replacements_exactly_one_wins(
        self, store: TokenStore, store_factory: Callable[[], TokenStore]
    ) -> None:
        base = store.put_token(grant())
        stores = [store_factory() for _ in range(4)]
        won: list[TokenRecord] = []
        barrier = threading.Barrier(len(stores))

        def refresh(i: int, other: TokenStore) -> None:
            barrier.wait()
            result = other.replace_token(grant(n=10 + i), version=base.version)
            if result is not None:
                won.append(result)

        threads = [
            threading.Thread(target=refresh, args=(i, other)) for i, other in enumerate(stores)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
        assert store.get_token("x:acme") == won[0]
        assert won[0].version == base.version + 1

    def test_delete_forgets_the_grant(self, store: TokenStore) -> None:
        assert not store.delete_token("x:acme")
        store.put_token(grant())
        assert store.delete_token("x:acme")
        assert store.get_token("x:acme") is None
        assert store.put_token(grant()).version == 1

    def test_bad_records_are_refused_without_showing_tokens(self, store: TokenStore) -> None:
        nul, surrogate = "s3cret-token\x00value", "s3cret\ud800"
        with pytest.raises(ValueError, match="access_token") as caught:
            store.put_token(grant(access_token=nul))
        assert "s3cret" not in str(caught.value)
        with pytest.raises(ValueError, match="refresh_token") as caught:
            store.put_token(grant(refresh_token=surrogate))
        assert "s3cret" not in str(caught.value)
        with pytest.raises(ValueError, match="scopes"):
            store.put_token(grant(scopes=("ok", "bad\x00")))
        with pytest.raises(ValueError, match="key"):
            store.get_token("")
        assert store.get_token("x:acme") is None
        assert "secretvalue" not in repr(store.put_token(grant()))


class StoreConformance(
    StoreLifecycleConformance,
    PostStoreConformance,
    UserStoreConformance,
    DMStoreConformance,
    ConversationStoreConformance,
    CursorStoreConformance,
    OutboxStoreConformance,
    PauseSwitchConformance,
    AuditLogConformance,
    LinkStoreConformance,
    EscalationStoreConformance,
    LeaseStoreConformance,
    SeenStoreConformance,
    TokenStoreConformance,
):
    """The whole :class:`~socialcare.storage.Store`: every suite, plus cross-concern checks."""

    def test_every_backend_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)

    def test_schema_is_current_and_create_schema_is_idempotent(self, store: Store) -> None:
        assert store.schema_version() == SCHEMA_VERSION
        store.upsert_posts([post("1")])
        store.create_schema()
        store.create_schema()
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get_post("1") == post("1")

    def test_closed_store_raises_storage_error(self, store_factory: Callable[[], Store]) -> None:
        store = store_factory()
        store.close()
        store.close()
        with pytest.raises(StorageError, match="closed"):
            store.get_post("1")

    def test_bookkeeping_times_keep_microseconds(self, store: Store, clock: ManualClock) -> None:
        clock.advance(0.000123)
        now = clock.now()
        assert now.microsecond == 123
        record = store.reserve_action("k", kind="dm", payload={}).record
        assert (record.created_at, record.updated_at) == (now, now)
        assert store.append_audit("x", actor="bot").at == now
        assert store.put_short_link("c", "https://acme.example").created_at == now
        assert store.advance_cursor("s").last_success_at == now
        assert store.claim_lease("k", "a", ttl=1.000001)
        lease = store.get_lease("k")
        assert lease is not None
        assert lease.expires_at == now + dt.timedelta(seconds=1, microseconds=1)
