"""The outbox and the escalation flow against the sandbox, on SQLite and PostgreSQL.

Every sandbox fault kind strikes a reply and a DM; afterwards the sandbox holds each
exactly once and the outbox record carries its id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.storage.storage_support import drop_pg_schema, require_postgres

from socialcare.compose import can_reply
from socialcare.escalation import EscalationFlow
from socialcare.outbox import Outbox, Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store

CREATE_POST = "POST /2/tweets"
SEND_DM = "POST /2/dm_conversations/with/:participant_id/messages"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, sandbox: Sandbox) -> Iterator[Store]:
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "care.db", create_schema=True, clock=sandbox.clock) as db:
            yield db
        return
    dsn = require_postgres()
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    schema = f"sc_os_{uuid.uuid4().hex[:16]}"
    try:
        with PostgresStore(dsn, schema=schema, create_schema=True, clock=sandbox.clock) as pg:
            yield pg
    finally:
        drop_pg_schema(dsn, schema)


def drain(sender: Sender, sandbox: Sandbox, rounds: int = 12) -> None:
    """Run the sender, moving the sandbox's clock past every deferral, until nothing is left."""
    for _ in range(rounds):
        sender.run_once()
        if not sender.store.list_actions(status="reserved", limit=1):
            return
        sandbox.advance(61)
    pytest.fail("the outbox did not drain")


@pytest.mark.parametrize(
    "fault",
    [
        "server_error",
        "timeout",
        "rate_limit",
        "lost_response",
        "processed_server_error",
        "processed_timeout",
        "processed_reset",
    ],
)
def test_each_fault_kind_sends_once(sandbox: Sandbox, store: Store, fault: str) -> None:
    acme = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann")
    asked = sandbox.add_post(ann, "@acmehelp where is my parcel? <urgent> & late")
    outbox = Outbox(store)
    reply = outbox.reply(asked, "Sorry Ann & thanks: it's on its way <3 https://acme.example/t/9")
    dm = outbox.dm(ann.id, "Hi Ann, your tracking code is 9 & it's <on time>.")
    sandbox.fail_next(fault, endpoint=CREATE_POST)  # type: ignore[arg-type]
    sandbox.fail_next(fault, endpoint=SEND_DM)  # type: ignore[arg-type]
    drain(Sender(store, sandbox.platform(acme), owner="w1"), sandbox)
    replies = [p for p in sandbox.posts(author=acme) if p.replied_to_id == asked.id]
    dms = sandbox.dms(between=(acme.id, ann.id))
    assert len(replies) == 1
    assert len(dms) == 1
    sent_reply = outbox.get(reply.record.key)
    sent_dm = outbox.get(dm.record.key)
    assert sent_reply is not None
    assert sent_dm is not None
    assert (sent_reply.status, sent_reply.remote_id) == ("sent", replies[0].id)
    assert (sent_dm.status, sent_dm.remote_id) == ("sent", dms[0].id)
    audit = [e.action for e in store.audit_entries(limit=200)]
    if fault.startswith("processed") or fault == "lost_response":
        assert audit.count("outbox.reconciled") == 2  # found on X, never sent twice
        assert audit.count("outbox.attempt") == 2
    else:
        assert audit.count("outbox.reconciled") == 0
        assert audit.count("outbox.sent") == 2


def test_refusals_fail_with_the_reason(sandbox: Sandbox, store: Store) -> None:
    acme = sandbox.add_user("acmehelp")
    closed = sandbox.add_user("bo", receives_dms=False)
    unsummoned = sandbox.add_post(closed, "parcels are always late")
    outbox = Outbox(store)
    reply = outbox.reply(unsummoned, "We can help!")
    dm = outbox.dm(closed.id, "Hi Bo")
    Sender(store, sandbox.platform(acme), owner="w1").run_once()
    failed = {r.key: r.error or "" for r in outbox.failed()}
    assert "ReplyNotPermittedError" in failed[reply.record.key]
    assert "DirectMessageNotPermittedError" in failed[dm.record.key]
    assert sandbox.posts(author=acme) == []


def test_escalation_end_to_end(sandbox: Sandbox, store: Store) -> None:
    acme = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann")
    bo = sandbox.add_user("bo", receives_dms=False)
    cy = sandbox.add_user("cy")
    ann_post = sandbox.add_post(ann, "@acmehelp you charged my card twice")
    bo_post = sandbox.add_post(bo, "@acmehelp my account was hacked")
    cy_post = sandbox.add_post(cy, "acme leaked my address")  # not summoned
    outbox = Outbox(store)
    flow = EscalationFlow(outbox, brand_id=acme.id, clock=sandbox.clock)
    brand = sandbox.user(acme.id)
    # receives_your_dm is relative to the viewer: read the customers as the brand
    as_brand = sandbox.platform(acme, app_reads=False)
    customers = {u.id: u for u in as_brand.get_users([ann.id, bo.id, cy.id]).items}
    assert [customers[u.id].receives_your_dm for u in (ann, bo, cy)] == [True, False, True]
    outcomes = [
        flow.escalate(
            post,
            customers[post.author_id or ""],
            dm_text=f"Hi, about your post {post.id}: case {i}.",
            reply_permitted=bool(can_reply(post, brand)),
        )
        for i, post in enumerate([ann_post, bo_post, cy_post])
    ]
    assert [o.route for o in outcomes] == ["public_then_dm", "invite", "dm"]
    sandbox.fail_next("processed_server_error", endpoint=SEND_DM)
    drain(Sender(store, sandbox.platform(acme), owner="w1"), sandbox)
    public = {p.replied_to_id: p for p in sandbox.posts(author=acme)}
    assert set(public) == {ann_post.id, bo_post.id}
    assert sandbox.deep_link(public[ann_post.id].id) == flow.deep_link
    assert sandbox.deep_link(public[bo_post.id].id) == flow.deep_link
    assert len(sandbox.dms(between=(acme.id, ann.id))) == 1
    assert len(sandbox.dms(between=(acme.id, cy.id))) == 1
    assert sandbox.dms(between=(acme.id, bo.id)) == []
    states = [flow.follow_up(o.escalation.id).state for o in outcomes]
    assert states == ["sent", "requested", "sent"]  # bo's has no DM to wait for
    for post in (ann_post, bo_post, cy_post):
        conversation = store.get_conversation(post.conversation_id or post.id)
        assert conversation is not None
        assert conversation.state == "escalated"
