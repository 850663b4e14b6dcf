"""compose_reply refuses public drafts that hold private data; DMs may hold it."""

from __future__ import annotations

from socialcare.compose import compose_dm, compose_reply
from socialcare.models import Post
from socialcare.privacy import PrivateDataGuard

POST = Post(id="9", text="@acmehelp my parcel is late", author_id="42")


def test_a_public_reply_with_private_data_is_not_sendable() -> None:
    draft = compose_reply(POST, "Found it: ann@example.com, card 4111 1111 1111 1111", author="ann")
    assert not draft.sendable
    (reason,) = draft.reasons
    assert "an e-mail address" in reason
    assert "a payment card number" in reason
    assert "direct message" in reason
    assert "ann@" not in reason
    assert "4111" not in reason


def test_a_clean_reply_and_a_business_line_are_sendable() -> None:
    assert compose_reply(POST, "Sorry! Call us free on 1-800-275-2273", author="ann").sendable
    assert compose_reply(POST, "Sorry! Write to support@acme.example", author="ann").sendable


def test_the_guard_can_be_turned_off_or_replaced() -> None:
    body = "Your order #112-1234567-1234567 ships today"
    assert not compose_reply(POST, body, author="ann").sendable
    assert compose_reply(POST, body, author="ann", guard=None).sendable
    emails_only = PrivateDataGuard(kinds=("email",))
    assert compose_reply(POST, body, author="ann", guard=emails_only).sendable


def test_every_part_of_a_thread_is_checked() -> None:
    body = ("We looked into it and here is everything we found. " * 8) + "password: Hunter22!"
    draft = compose_reply(POST, body, author="ann", policy="thread")
    assert draft.is_thread
    assert any("a password" in r for r in draft.reasons)


def test_other_reasons_stay_beside_it() -> None:
    draft = compose_reply(POST, "$AAPL $TSLA mail ann@example.com", author="ann")
    assert len(draft.reasons) == 2
    assert any("cashtag" in r for r in draft.reasons)


def test_a_dm_may_hold_private_data() -> None:
    assert compose_dm("Your order #112-1234567-1234567, card ending 1111").sendable
    moved = compose_reply(
        POST, "Track it here: https://acme.example/t/9", author="ann", links_to_dm=True
    )
    assert moved.sendable
