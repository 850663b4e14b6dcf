"""Differential property: random operation sequences give identical results on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_support import POSTGRES_DSN, drop_pg_schema

from socialcare import (
    Conversation,
    DirectMessage,
    LeaseError,
    ManualClock,
    Post,
    StorageError,
    User,
)
from socialcare.storage import MemoryStore, SQLiteStore, Store

keys = st.sampled_from(["conversation:1", "conversation:2", "stream:brand"])
owners = st.sampled_from(["a", "b", "c"])
ttls = st.sampled_from([1, 5, 30])
ids = st.integers(min_value=1, max_value=10**19).map(str)

operations = st.one_of(
    st.tuples(st.just("claim"), keys, owners, ttls),
    st.tuples(st.just("renew"), keys, owners, ttls),
    st.tuples(st.just("release"), keys, owners),
    st.tuples(st.just("get"), keys),
    st.tuples(st.just("list"), st.sampled_from(["", "conversation:", "stream"])),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 1, 4, 31])),
    st.tuples(st.just("cursor"), st.sampled_from(["s1", "s2"]), st.none() | ids),
    st.tuples(st.just("reserve"), st.sampled_from(["k1", "k2", "k3"]), st.integers(0, 3)),
    st.tuples(st.just("claim_actions"), owners, ttls, st.integers(1, 3)),
    st.tuples(st.just("sent"), st.sampled_from(["k1", "k2", "k3"]), st.sampled_from(["7", "8"])),
    st.tuples(st.just("failed"), st.sampled_from(["k1", "k2", "k3"]), st.booleans()),
    st.tuples(st.just("click"), st.sampled_from(["x", "y"])),
)

# Awkward values the rules are about: lone surrogates, NUL, huge and odd numbers, ids
# that are not decimal, times finer than X's milliseconds, long strings.
odd_text = st.one_of(
    st.sampled_from(["k", "\ud800", "a\udfffb", "\x00", "a\x00", "", "\u00e9", "x" * 300]),
    st.text(st.characters(codec=None), max_size=6),
)
odd_ids = st.one_of(st.sampled_from(["1", "12", "abc", "", "1\x00", "\ud800", "007"]), ids)
odd_ttls = st.one_of(
    st.sampled_from([1e15, 2**70, 0, -1, float("nan"), float("inf"), 1e-7, 315_360_000]),
    st.floats(min_value=-10, max_value=1e12),
)
odd_times = st.integers(min_value=0, max_value=10**9).map(
    lambda us: dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)
)
priorities = st.one_of(
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**31, True]),
    st.integers(min_value=-(2**65), max_value=2**65),
)

odd_operations = st.one_of(
    st.tuples(st.just("claim"), odd_text, odd_text, odd_ttls),
    st.tuples(st.just("renew"), odd_text, owners, odd_ttls),
    st.tuples(st.just("get"), odd_text),
    st.tuples(st.just("list"), odd_text),
    st.tuples(st.just("claim_actions"), owners, odd_ttls, st.integers(1, 3)),
    st.tuples(st.just("reserve_odd"), odd_text, odd_text, odd_text),
    st.tuples(st.just("stream_error"), odd_text, odd_text),
    st.tuples(st.just("audit"), odd_text, odd_text),
    st.tuples(st.just("post"), odd_ids, odd_text, st.none() | odd_times),
    st.tuples(st.just("user"), odd_ids, odd_text, st.none() | odd_times),
    st.tuples(st.just("dm"), odd_ids, odd_text, st.none() | odd_times),
    st.tuples(st.just("conversation"), odd_text, priorities),
    st.tuples(st.just("link"), odd_text, odd_text),
)


def apply_odd(store: Store, op: tuple[object, ...]) -> object:
    """Like ``apply``, for the awkward operations; a ValueError is an answer too (its type)."""
    kind, *args = op
    try:
        if kind == "reserve_odd":
            reserved = store.reserve_action(args[0], kind=args[1], payload={"t": args[2]})  # type: ignore[arg-type]
            return (reserved, store.get_action(args[0]))  # type: ignore[arg-type]
        if kind == "stream_error":
            return store.record_stream_error(args[0], args[1])  # type: ignore[arg-type]
        if kind == "audit":
            return store.append_audit("a", actor=args[0], detail={"x": args[1]})  # type: ignore[arg-type]
        if kind == "post":
            given = Post(id=args[0], text=args[1], author_id="1", created_at=args[2])  # type: ignore[arg-type]
            return (store.upsert_posts([given]), store.get_post(args[0]))  # type: ignore[arg-type]
        if kind == "user":
            user = User(id=args[0], username="u", name=args[1], created_at=args[2])  # type: ignore[arg-type]
            return (store.upsert_users([user]), store.get_user(args[0]))  # type: ignore[arg-type]
        if kind == "dm":
            dm = DirectMessage(id=args[0], text=args[1], created_at=args[2])  # type: ignore[arg-type]
            return (store.upsert_dms([dm]), store.get_dm(args[0]))  # type: ignore[arg-type]
        if kind == "conversation":
            conversation = Conversation(
                id="c",
                assignee=args[0],
                priority=args[1],
                waiting_since=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
            )  # type: ignore[arg-type]
            store.put_conversation(conversation)
            return store.get_conversation("c")
        if kind == "link":
            return store.put_short_link(args[0], args[1])  # type: ignore[arg-type]
        return apply(store, ManualClock(), op)
    except ValueError as exc:
        return ("ValueError", type(exc).__name__)


@settings(
    max_examples=20 if POSTGRES_DSN else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(odd_operations, max_size=12))
def test_every_backend_gives_the_same_answer_or_error_for_awkward_values(
    ops: list[tuple[object, ...]],
) -> None:
    with backends() as pairs:
        for op in ops:
            results = [apply_odd(store, op) for store, _ in pairs]
            assert all(r == results[0] for r in results[1:]), (op, results)


def apply(store: Store, clock: ManualClock, op: tuple[object, ...]) -> object:
    kind, *args = op
    try:
        if kind == "claim":
            return store.claim_lease(*args[:2], ttl=args[2])  # type: ignore[arg-type]
        if kind == "renew":
            return store.renew_lease(*args[:2], ttl=args[2])  # type: ignore[arg-type]
        if kind == "release":
            return store.release_lease(*args)  # type: ignore[arg-type]
        if kind == "get":
            return store.get_lease(*args)  # type: ignore[arg-type]
        if kind == "list":
            return store.list_leases(prefix=args[0])  # type: ignore[arg-type]
        if kind == "advance":
            return clock.advance(args[0])  # type: ignore[arg-type]
        if kind == "cursor":
            return store.advance_cursor(args[0], since_id=args[1])  # type: ignore[arg-type]
        if kind == "reserve":
            return store.reserve_action(args[0], kind="dm", payload={"n": args[1]})  # type: ignore[arg-type]
        if kind == "claim_actions":
            return store.claim_actions(args[0], ttl=args[1], limit=args[2])  # type: ignore[arg-type]
        if kind == "sent":
            return store.mark_sent(args[0], remote_id=args[1])  # type: ignore[arg-type]
        if kind == "failed":
            return store.mark_failed(args[0], reason="x", retry=args[1])  # type: ignore[arg-type]
        store.put_short_link(args[0], "https://acme.example")  # type: ignore[arg-type]
        return store.record_click(args[0])  # type: ignore[arg-type]
    except (LeaseError, StorageError) as exc:
        return (type(exc).__name__, str(exc))


@contextmanager
def backends() -> Iterator[list[tuple[Store, ManualClock]]]:
    with ExitStack() as stack:
        pairs: list[tuple[Store, ManualClock]] = []
        clock = ManualClock()
        pairs.append((MemoryStore(clock=clock), clock))
        clock = ManualClock()
        pairs.append(
            (stack.enter_context(SQLiteStore(":memory:", create_schema=True, clock=clock)), clock)
        )
        if POSTGRES_DSN:
            import uuid  # noqa: PLC0415

            from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

            schema = f"sc_d_{uuid.uuid4().hex[:16]}"
            stack.callback(drop_pg_schema, POSTGRES_DSN, schema)
            clock = ManualClock()
            store = PostgresStore(POSTGRES_DSN, schema=schema, create_schema=True, clock=clock)
            pairs.append((stack.enter_context(store), clock))
        yield pairs


@settings(
    max_examples=40 if POSTGRES_DSN else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(operations, max_size=40))
def test_every_backend_gives_the_same_answers(ops: list[tuple[object, ...]]) -> None:
    with backends() as pairs:
        for op in ops:
            results = [apply(store, clock, op) for store, clock in pairs]
            assert all(r == results[0] for r in results[1:]), (op, results)
