"""Escalate a sensitive complaint to DM on the sandbox, exactly once, through the outbox.

A customer posts about a double charge, card number included. The escalation policy
finds the card number and suggests a public acknowledgement, then the DM; the bot
acknowledges in public with a "Send us a DM" button and sends the DM with the case
context; X answers the DM with a 503
after delivering it, and the sender finds it instead of sending it twice. Everything
goes through an SQLite store: the outbox, the conversation (now ``escalated``), the
escalation record and the audit trail.

python examples/escalate_to_dm.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from socialcare.compose import can_reply
from socialcare.escalation import EscalationFlow, EscalationPolicy
from socialcare.outbox import Outbox, Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore


def main() -> None:
    sandbox = Sandbox()
    brand = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann_k")
    complaint = sandbox.add_post(
        ann, "@acmehelp you charged my card 4111 1111 1111 1111 twice for order 1042!!"
    )

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "care.db", create_schema=True, clock=sandbox.clock)
        outbox = Outbox(store, actor="care-bot")
        flow = EscalationFlow(outbox, brand_id=brand.id, clock=sandbox.clock)
        x = sandbox.platform(brand, app_reads=False)  # user context: receives_your_dm is set
        [customer] = x.get_users([ann.id]).items
        print(f"@{customer.username} accepts DMs from the brand: {customer.receives_your_dm}")
        me = x.me()
        decision = EscalationPolicy().decide(complaint, author=customer, brand=me)
        for why in decision.reasons:
            print(f"policy: {why.rule}: {why.detail} -> {why.action}")
        outcome = flow.escalate(
            complaint,
            customer,
            decision=decision,
            reply_permitted=bool(can_reply(complaint, me)),
            dm_text=(
                "Hi Ann, Acme here about order 1042: we see two charges and will refund one. "
                "Reply here with the last 4 digits of the card so we can match it."
            ),
        )
        print(f"route: {outcome.route} ({'; '.join(outcome.reasons)})")
        for queued in outcome.reservations:
            print(f"  queued {queued.record.key}")

        # X delivers the DM, then answers 503: the sender must not send it again.
        sandbox.fail_next(
            "processed_server_error",
            endpoint="POST /2/dm_conversations/with/:participant_id/messages",
        )
        sender = Sender(store, x, owner="worker-1")
        first = sender.run_once()
        print(f"first round: sent {first.sent}, in doubt {first.retried}")
        sandbox.advance(2)
        second = sender.run_once()
        print(f"second round: reconciled {second.reconciled} (found on X, not sent again)")

        escalation = flow.follow_up(outcome.escalation.id)
        conversation = store.get_conversation(complaint.conversation_id or complaint.id)
        dms = sandbox.dms(between=(brand.id, ann.id))
        [acknowledgement] = [p for p in sandbox.posts(author=brand) if p.replied_to_id]
        print(f"public: {acknowledgement.text!r}")
        print(f"  with DM button: {sandbox.deep_link(acknowledgement.id)}")
        print(f"DMs to @ann_k: {len(dms)}")
        print(f"escalation {escalation.id}: {escalation.state}")
        print(f"conversation: {conversation.state if conversation else None}")
        print("audit trail:")
        for entry in store.audit_entries(limit=50):
            print(f"  {entry.seq:2} {entry.actor:10} {entry.action}")
        assert len(dms) == 1
        assert escalation.state == "sent"
        assert conversation is not None
        assert conversation.state == "escalated"
        store.close()


if __name__ == "__main__":
    main()
