"""The escalation flow's routes, fallbacks and records, on the scripted platform."""

from __future__ import annotations

import pytest
from outbox_support import FakePlatform

from socialcare import ManualClock
from socialcare.compose import dm_deep_link
from socialcare.escalation import EscalationDecision, EscalationFlow, Reason
from socialcare.models import Conversation, Post, User
from socialcare.outbox import Outbox, Sender
from socialcare.storage import Store

BRAND = "1000"
POST_ID = "1800000000000000005"
LINK = f"https://twitter.com/messages/compose?recipient_id={BRAND}"


def customer(*, dms: bool | None = True) -> User:
    return User(id="42", username="ann", name="Ann", receives_your_dm=dms)


def complaint() -> Post:
    return Post(
        id=POST_ID,
        text="@acme you charged my card twice!!",
        author_id="42",
        conversation_id=POST_ID,
    )


def flow(store: Store, clock: ManualClock, **kw: object) -> EscalationFlow:
    return EscalationFlow(Outbox(store), brand_id=BRAND, clock=clock, **kw)  # type: ignore[arg-type]


def send(store: Store, platform: FakePlatform) -> None:
    Sender(store, platform, owner="w", backoff=0.0).run_once()


def test_deep_link() -> None:
    assert dm_deep_link(BRAND) == LINK
    assert dm_deep_link(BRAND, text="Order 12 & more") == LINK + "&text=Order%2012%20%26%20more"
    with pytest.raises(ValueError, match="numeric"):
        dm_deep_link("acme")


def test_public_acknowledgement_then_dm(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    store.put_conversation(
        Conversation(id=POST_ID, customer_id="42", state="new", waiting_since=clock.now())
    )
    outcome = flow(store, clock).escalate(
        complaint(),
        customer(),
        dm_text="Hi Ann, about the double charge: case 77.",
        reason="payment problem",
    )
    assert outcome.route == "public_then_dm"
    assert [r.record.key for r in outcome.reservations] == [
        f"esc:{POST_ID}:public",
        f"esc:{POST_ID}:dm",
    ]
    assert outcome.reservations[0].record.payload["direct_message_deep_link"] == LINK
    conversation = store.get_conversation(POST_ID)
    assert conversation is not None
    assert (conversation.state, conversation.waiting_since) == ("escalated", None)
    escalation = store.get_escalation(f"esc:{POST_ID}")
    assert escalation is not None
    assert (escalation.state, escalation.outbox_key) == ("requested", f"esc:{POST_ID}:dm")
    assert "payment problem" in escalation.reason
    send(store, platform)
    assert [p.replied_to_id for p in platform.posts] == [POST_ID]
    assert [m.text for m in platform.dms] == ["Hi Ann, about the double charge: case 77."]
    assert flow(store, clock).follow_up(escalation.id).state == "sent"
    again = flow(store, clock).escalate(complaint(), customer(), dm_text="again")
    assert not any(r.created for r in again.reservations)
    send(store, platform)
    assert (len(platform.posts), len(platform.dms)) == (1, 1)


def test_dm_only(store: Store, platform: FakePlatform, clock: ManualClock) -> None:
    outcome = flow(store, clock).escalate(complaint(), customer(), dm_text="hi", action="dm")
    assert outcome.route == "dm"
    send(store, platform)
    assert (len(platform.posts), len(platform.dms)) == (0, 1)


@pytest.mark.parametrize(
    ("alternative", "route"), [(None, "invite"), ("Call 0800 1", "alternative")]
)
def test_closed_dms_invite_in_public(
    store: Store, platform: FakePlatform, clock: ManualClock, alternative: str | None, route: str
) -> None:
    outcome = flow(store, clock, alternative_contact=alternative).escalate(
        complaint(), customer(dms=False), dm_text="hi"
    )
    assert outcome.route == route
    assert "@ann does not accept DMs from the brand" in outcome.reasons
    send(store, platform)
    assert platform.dms == []
    [reply] = platform.posts
    assert reply.replied_to_id == POST_ID
    if alternative:
        assert reply.text == alternative
        assert "direct_message_deep_link" not in outcome.reservations[0].record.payload
    else:
        assert "DM" in reply.text
        assert outcome.reservations[0].record.payload["direct_message_deep_link"] == LINK
    escalation = store.get_escalation(f"esc:{POST_ID}")
    assert escalation is not None
    assert escalation.outbox_key is None


@pytest.mark.parametrize(("policy", "route"), [("dm", "dm"), ("human", "human")])
def test_reply_not_permitted(
    store: Store, platform: FakePlatform, clock: ManualClock, policy: str, route: str
) -> None:
    outcome = flow(store, clock, when_reply_not_permitted=policy).escalate(
        complaint(), customer(), dm_text="hi", reply_permitted=False
    )
    assert outcome.route == route
    send(store, platform)
    assert platform.posts == []
    assert len(platform.dms) == (1 if route == "dm" else 0)
    conversation = store.get_conversation(POST_ID)
    assert conversation is not None
    assert conversation.state == "escalated"
    assert ("needs_human" in conversation.tags) == (route == "human")


def test_nothing_possible_goes_to_a_person(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outcome = flow(store, clock).escalate(
        complaint(), customer(dms=False), dm_text="hi", reply_permitted=False
    )
    assert outcome.route == "human"
    assert outcome.reservations == ()
    assert "a public reply is not permitted either" in outcome.reasons


def test_policy_human(store: Store, clock: ManualClock) -> None:
    outcome = flow(store, clock).escalate(complaint(), customer(), dm_text="x", action="human")
    assert (outcome.route, outcome.reservations) == ("human", ())
    entries = [e for e in store.audit_entries() if e.action == "escalation.requested"]
    assert entries[0].detail["route"] == "human"


def test_refused_dm_falls_back_to_a_public_invitation(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    escalator = flow(store, clock)
    outcome = escalator.escalate(complaint(), customer(dms=None), dm_text="hi", action="dm")
    platform.faults = ["not_permitted"]  # the profile did not say; X refuses the DM
    send(store, platform)
    updated = escalator.follow_up(outcome.escalation.id)
    assert updated.state == "failed"
    send(store, platform)
    [invite] = platform.posts
    assert invite.replied_to_id == POST_ID
    assert [e.action for e in store.audit_entries() if e.action.startswith("escalation.")] == [
        "escalation.requested",
        "escalation.failed",
    ]


def test_the_post_must_be_the_customers(store: Store, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="not by"):
        flow(store, clock).escalate(
            complaint(), User(id="7", username="bo", name="Bo"), dm_text="x"
        )


def test_a_policy_decision_is_read(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    decision = EscalationDecision.of([Reason("private_data", "a payment card number", "dm")])
    outcome = flow(store, clock).escalate(complaint(), customer(), dm_text="hi", decision=decision)
    assert outcome.route == "dm"
    assert outcome.reasons == ("private_data: a payment card number",)
    with pytest.raises(ValueError, match="does not escalate"):
        flow(store, clock).escalate(
            complaint(), customer(), dm_text="hi", decision=EscalationDecision.of([])
        )
    outbox = Outbox(store)
    assert outbox.dm(customer(), "direct").record.payload["participant_id"] == "42"
