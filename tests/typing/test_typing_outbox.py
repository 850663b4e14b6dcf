"""Static typing of the outbox's public surface (checked by mypy --strict in nox -s typecheck)."""

from __future__ import annotations

import sys

import socialcare
from socialcare.escalation import EscalationFlow, EscalationOutcome, EscalationPolicy
from socialcare.outbox import Outbox, OutboxPlatform, Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def test_every_store_and_the_x_platform_fit() -> None:
    sandbox = Sandbox()
    acme = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann")
    asked = sandbox.add_post(ann, "@acmehelp hello")
    platform: OutboxPlatform = sandbox.platform(acme)  # XPlatform is an OutboxPlatform
    for store in (MemoryStore(clock=sandbox.clock), SQLiteStore(":memory:", create_schema=True)):
        outbox = Outbox(store)
        assert_type(outbox.reply(asked, "hi"), socialcare.Reservation)
        assert_type(outbox.dm(ann, "hi"), socialcare.Reservation)
        report = Sender(store, platform, owner="t").run_once()
        assert_type(report, socialcare.SendReport)
        assert_type(report.sent, int)
        store.close()


def test_a_policy_decision_is_a_suggestion() -> None:
    sandbox = Sandbox()
    acme = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann")
    post = sandbox.add_post(ann, "@acmehelp my card 4111 1111 1111 1111 was charged twice")
    brand = sandbox.user(acme.id)
    flow = EscalationFlow(Outbox(MemoryStore()), brand_id=acme.id)
    decision = EscalationPolicy().decide(post, brand=brand)
    outcome = flow.escalate(post, sandbox.user(ann.id), dm_text="hi", decision=decision)
    assert_type(outcome, EscalationOutcome)
    assert outcome.route == "public_then_dm"
