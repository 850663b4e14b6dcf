"""Differential property: random operation sequences give identical results on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_support import POSTGRES_DSN, drop_pg_schema

from socialcare import LeaseError, ManualClock, StorageError
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
