"""Differential state machine: MemoryStore, SQLiteStore (and PostgresStore) answer every call alike.

Complements ``tests/storage/test_storage_differential.py`` (random lists of lease,
cursor and outbox calls): this ``RuleBasedStateMachine`` covers posts, users, DM
events, conversations and the open queue, cursors with backlogs and errors, the
outbox by kind, the audit log, short links, escalations and leases, with the
clock moving between calls. Each call must give the same value, or raise the
same error type, on every backend.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.storage.storage_support import POSTGRES_DSN, drop_pg_schema

from socialcare import Conversation, DirectMessage, Escalation, ManualClock, Post, User
from socialcare.storage import MemoryStore, SQLiteStore, Store

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
small_ids = st.integers(1, 12).map(lambda n: str(10**18 + n))
conversation_ids = st.sampled_from(["c1", "c2", "c3"])
keys = st.sampled_from(["k1", "k2", "k3", "k4"])
kinds = st.sampled_from(["reply", "dm"])
owners = st.sampled_from(["a", "b"])
ttls = st.sampled_from([0.5, 5, 60])
texts = st.text(alphabet="ab @#é", max_size=8)
minutes = st.integers(0, 120).map(lambda m: T0 + dt.timedelta(minutes=m))


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # the type must match across backends
        return ("error", type(exc).__name__)


class SameAnswers(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clocks: list[ManualClock] = []
        self.stores: list[Store] = []
        self.cleanup: list[Callable[[], None]] = []
        for make in self._makers():
            clock = ManualClock(T0)
            self.clocks.append(clock)
            self.stores.append(make(clock))

    def _makers(self) -> list[Callable[[ManualClock], Store]]:
        makers: list[Callable[[ManualClock], Store]] = [
            lambda clock: MemoryStore(clock=clock),
            lambda clock: SQLiteStore(":memory:", create_schema=True, clock=clock),
        ]
        if POSTGRES_DSN:
            from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

            schema = f"sc_m_{uuid.uuid4().hex[:16]}"
            dsn = POSTGRES_DSN
            self.cleanup.append(lambda: drop_pg_schema(dsn, schema))
            makers.append(
                lambda clock: PostgresStore(
                    dsn, schema=schema, create_schema=True, clock=clock, max_size=2
                )
            )
        return makers

    def same(self, call: Callable[[Store], Any]) -> Any:
        results = [outcome(lambda s=store: call(s)) for store in self.stores]
        assert all(r == results[0] for r in results[1:]), results
        return results[0]

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        for clean in self.cleanup:
            clean()

    # -- time -----------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.25, 1, 4, 61]))
    def advance(self, seconds: float) -> None:
        for clock in self.clocks:
            clock.advance(seconds)

    # -- posts, users, DMs ----------------------------------------------------------------------

    @rule(
        batch=st.lists(
            st.tuples(small_ids, texts, conversation_ids, minutes), min_size=1, max_size=4
        )
    )
    def upsert_posts(self, batch: list[tuple[str, str, str, dt.datetime]]) -> None:
        posts = [Post(id=i, text=t, conversation_id=c, created_at=at) for i, t, c, at in batch]
        self.same(lambda s: s.upsert_posts(posts))

    @rule(ids=st.lists(small_ids, max_size=4), conversation=conversation_ids)
    def read_posts(self, ids: list[str], conversation: str) -> None:
        self.same(lambda s: s.get_posts(ids))
        self.same(lambda s: s.posts_in_conversation(conversation, limit=3))
        self.same(lambda s: s.count_posts())

    @rule(uid=small_ids, name=texts, followers=st.none() | st.integers(0, 10**6))
    def users(self, uid: str, name: str, followers: int | None) -> None:
        user = User(id=uid, username="u" + uid[-2:], name=name, followers_count=followers)
        self.same(lambda s: s.upsert_users([user]))
        self.same(lambda s: s.get_users([uid, "1"]))

    @rule(eid=small_ids, text=texts, conversation=st.sampled_from(["1-2", "3-4"]), at=minutes)
    def dms(self, eid: str, text: str, conversation: str, at: dt.datetime) -> None:
        message = DirectMessage(id=eid, text=text, dm_conversation_id=conversation, created_at=at)
        self.same(lambda s: s.upsert_dms([message]))
        self.same(lambda s: s.get_dm(eid))
        self.same(lambda s: s.dms_in_conversation(conversation, limit=3))

    # -- conversations --------------------------------------------------------------------------

    @rule(
        cid=conversation_ids,
        state=st.sampled_from(
            ["new", "awaiting_brand", "awaiting_customer", "escalated", "resolved"]
        ),
        priority=st.integers(-2, 2),
        waiting=minutes,
        assignee=st.none() | owners,
    )
    def put_conversation(
        self, cid: str, state: Any, priority: int, waiting: dt.datetime, assignee: str | None
    ) -> None:
        conversation = Conversation(
            id=cid,
            state=state,
            priority=priority,
            waiting_since=waiting,
            assignee=assignee,
            customer_id="7",
            last_activity_at=waiting,
        )
        self.same(lambda s: s.put_conversation(conversation))

    @rule(
        state=st.none()
        | st.sampled_from(["new", "awaiting_brand", "awaiting_customer", "escalated", "resolved"]),
        assignee=st.none() | owners,
    )
    def find_conversations(self, state: Any, assignee: str | None) -> None:
        self.same(lambda s: s.find_conversations(state=state, assignee=assignee, limit=5))
        self.same(lambda s: s.open_queue(limit=2))

    # -- cursors --------------------------------------------------------------------------------

    @rule(stream=st.sampled_from(["s1", "s2"]), since=st.none() | small_ids)
    def advance_cursor(self, stream: str, since: str | None) -> None:
        self.same(lambda s: s.advance_cursor(stream, since_id=since))

    @rule(
        stream=st.sampled_from(["s1", "s2"]),
        since=st.none() | small_ids,
        until=st.none() | small_ids,
    )
    def set_backlog(self, stream: str, since: str | None, until: str | None) -> None:
        self.same(lambda s: s.set_backlog(stream, since_id=since, until_id=until))

    @rule(stream=st.sampled_from(["s1", "s2"]), message=texts)
    def stream_error(self, stream: str, message: str) -> None:
        self.same(lambda s: s.record_stream_error(stream, message))

    # -- outbox ---------------------------------------------------------------------------------

    @rule(key=keys, kind=kinds, n=st.integers(0, 3))
    def reserve(self, key: str, kind: str, n: int) -> None:
        self.same(lambda s: s.reserve_action(key, kind=kind, payload={"n": n}))

    @rule(owner=owners, ttl=ttls, limit=st.integers(1, 3), kind=st.none() | kinds)
    def claim_actions(self, owner: str, ttl: float, limit: int, kind: str | None) -> None:
        self.same(lambda s: s.claim_actions(owner, ttl=ttl, limit=limit, kind=kind))

    @rule(key=keys, remote=st.sampled_from(["r1", "r2"]))
    def mark_sent(self, key: str, remote: str) -> None:
        self.same(lambda s: s.mark_sent(key, remote_id=remote))

    @rule(key=keys, retry=st.booleans())
    def mark_failed(self, key: str, retry: bool) -> None:
        self.same(lambda s: s.mark_failed(key, reason="boom", retry=retry))

    @rule(
        status=st.none() | st.sampled_from(["reserved", "sent", "failed"]), kind=st.none() | kinds
    )
    def list_actions(self, status: Any, kind: str | None) -> None:
        self.same(lambda s: s.list_actions(status=status, kind=kind, limit=3))

    # -- audit ----------------------------------------------------------------------------------

    @rule(
        action=st.sampled_from(["reply.sent", "lease.lost"]), subject=st.none() | conversation_ids
    )
    def append_audit(self, action: str, subject: str | None) -> None:
        self.same(lambda s: s.append_audit(action, actor="bot", subject=subject, detail={"x": 1}))

    @rule(subject=st.none() | conversation_ids, after=st.integers(0, 5))
    def audit_entries(self, subject: str | None, after: int) -> None:
        self.same(lambda s: s.audit_entries(subject=subject, after_seq=after, limit=3))

    # -- short links and escalations ------------------------------------------------------------

    @rule(
        code=st.sampled_from(["x", "y"]),
        url=st.sampled_from(["https://a.example", "https://b.example"]),
    )
    def short_links(self, code: str, url: str) -> None:
        self.same(lambda s: s.put_short_link(code, url, conversation_id="c1"))
        self.same(lambda s: s.record_click(code))
        self.same(lambda s: s.get_short_link(code))

    @rule(
        eid=st.sampled_from(["e1", "e2"]),
        conversation=conversation_ids,
        state=st.sampled_from(["requested", "sent", "resolved", "failed"]),
    )
    def escalations(self, eid: str, conversation: str, state: Any) -> None:
        escalation = Escalation(
            id=eid,
            conversation_id=conversation,
            user_id="7",
            reason="refund",
            created_at=T0,
            updated_at=T0,
            state=state,
        )
        self.same(lambda s: s.put_escalation(escalation))
        self.same(lambda s: s.find_escalations(conversation_id=conversation, limit=5))
        self.same(lambda s: s.get_escalation(eid))

    # -- leases ---------------------------------------------------------------------------------

    @rule(key=st.sampled_from(["conv:1", "conv:2", "stream:x"]), owner=owners, ttl=ttls)
    def claim_lease(self, key: str, owner: str, ttl: float) -> None:
        self.same(lambda s: s.claim_lease(key, owner, ttl=ttl))

    @rule(key=st.sampled_from(["conv:1", "conv:2", "stream:x"]), owner=owners, ttl=ttls)
    def renew_lease(self, key: str, owner: str, ttl: float) -> None:
        self.same(lambda s: s.renew_lease(key, owner, ttl=ttl))

    @rule(key=st.sampled_from(["conv:1", "conv:2", "stream:x"]), owner=owners)
    def release_lease(self, key: str, owner: str) -> None:
        self.same(lambda s: s.release_lease(key, owner))

    @invariant()
    def everything_reads_alike(self) -> None:
        self.same(lambda s: s.list_leases(prefix="conv:"))
        self.same(lambda s: s.list_cursors())
        self.same(lambda s: s.get_conversation("c1"))


SameAnswers.TestCase.settings = settings(
    max_examples=15 if POSTGRES_DSN else 40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_every_backend_answers_every_call_alike = SameAnswers.TestCase
