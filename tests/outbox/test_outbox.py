"""The outbox against a scripted fake platform, on memory, SQLite and PostgreSQL.

Each fault kind is replayed: 5xx before processing, processed then 5xx, a lost
answer, 429 with a reset, a worker killed mid-send, X's refusals, duplicates.
The invariant after every scenario: what the platform holds is exactly what was
reserved, once.
"""

from __future__ import annotations

import datetime as dt

import pytest
from outbox_support import FakePlatform, HidingPlatform, Killed, unavailable

from socialcare import ManualClock
from socialcare.compose import compose_dm, compose_reply
from socialcare.errors import ComposeError, PayloadError, StorageError
from socialcare.models import Post, User
from socialcare.outbox import OUTBOX_KIND, Outbox, Sender, SendReport
from socialcare.storage import Store

POST = "1800000000000000001"


def sender(store: Store, platform: FakePlatform, **kw: object) -> Sender:
    options: dict[str, object] = {"owner": "w1", "ttl": 60.0, "backoff": 1.0}
    options.update(kw)
    return Sender(store, platform, **options)  # type: ignore[arg-type]


def actions_of(store: Store, kind: str) -> list[str]:
    return [e.action for e in store.audit_entries(limit=1000) if e.action.startswith(kind)]


def test_reservations_are_once_per_key(store: Store) -> None:
    outbox = Outbox(store)
    first = outbox.reply(POST, "Sorry about that!")
    assert first.created
    assert first.record.key == f"reply:{POST}:reply"
    assert first.record.kind == OUTBOX_KIND
    assert first.record.payload == {
        "action": "reply",
        "text": "Sorry about that!",
        "subject": POST,
        "in_reply_to": POST,
    }
    again = outbox.reply(POST, "Different words, same answer")
    assert not again.created
    assert again.record == first.record
    assert outbox.reply(POST, "A second answer", purpose="follow-up").created
    assert outbox.dm("42", "hi").record.key == "dm:42:dm"
    assert outbox.delete(POST).record.key == f"delete:{POST}"
    assert outbox.hide(POST).record.key == f"hide:{POST}:true:hide"
    post_key = outbox.post("Service update: all good").record.key
    assert post_key == outbox.post("Service update: all good").record.key
    assert post_key != outbox.post("Service update: all fixed").record.key
    assert outbox.post("x", key="mine").record.key == "mine"
    assert len(outbox.pending()) == 8
    assert len(outbox.pending(limit=3)) == 3
    assert actions_of(store, "outbox.reserved") == ["outbox.reserved"] * 8
    with pytest.raises(ValueError, match="text"):
        outbox.dm("42", "", purpose="empty")


def test_drafts_are_accepted(store: Store) -> None:
    outbox = Outbox(store)
    post = Post(id=POST, text="@acmehelp my parcel is late", author_id="42")
    draft = compose_reply(post, "Sorry! We're on it.", author="ann")
    queued = outbox.reply(post, draft)
    assert queued.record.payload["text"] == draft.text
    assert queued.record.payload["in_reply_to"] == POST
    dm = compose_dm("Could you send us the order number?")
    assert outbox.dm("42", dm).record.payload["text"] == dm.text
    with pytest.raises(ValueError, match="answers post"):
        outbox.reply("1800000000000000999", draft)
    with pytest.raises(ValueError, match="dm draft cannot be queued as a reply"):
        outbox.reply(post, dm, purpose="wrong")
    unsummoned = Post(id=POST, text="my parcel is late", author_id="42")
    brand = User(id="1000", username="acme", name="Acme")
    refused = compose_reply(unsummoned, "hi", brand=brand, author="ann")
    with pytest.raises(ComposeError, match=r"not sendable.*summoned"):
        outbox.reply(unsummoned, refused, purpose="refused")


def test_thread_parts_answer_each_other(store: Store, platform: FakePlatform) -> None:
    outbox = Outbox(store)
    post = Post(id=POST, text="@acmehelp help", author_id="42")
    draft = compose_reply(post, "word " * 120, author="ann", policy="thread")
    assert draft.is_thread
    outbox.reply(post, draft)
    report = sender(store, platform).run_once()
    assert report.sent == len(draft.parts)
    assert [p.replied_to_id for p in platform.posts] == [POST] + [p.id for p in platform.posts[:-1]]


def test_send_marks_the_remote_id_and_audits(store: Store, platform: FakePlatform) -> None:
    outbox = Outbox(store)
    reply = outbox.reply(POST, "Sorry & thanks", direct_message_deep_link="https://x.com/m")
    dm = outbox.dm("42", "Your case is 123")
    report = sender(store, platform).run_once()
    assert report == SendReport(claimed=2, sent=2)
    sent_reply = outbox.get(reply.record.key)
    sent_dm = outbox.get(dm.record.key)
    assert sent_reply is not None
    assert sent_dm is not None
    assert (sent_reply.status, sent_reply.remote_id) == ("sent", platform.posts[0].id)
    assert (sent_dm.status, sent_dm.remote_id) == ("sent", platform.dms[0].id)
    assert sent_reply.first_attempt_at is not None
    assert not sent_reply.in_doubt
    assert actions_of(store, "outbox.") == [
        "outbox.reserved",
        "outbox.reserved",
        "outbox.attempt",
        "outbox.sent",
        "outbox.attempt",
        "outbox.sent",
    ]
    assert sender(store, platform).run_once() == SendReport()
    assert platform.writes == 2
    assert platform.lookups == 0


@pytest.mark.parametrize("action", ["reply", "dm"])
@pytest.mark.parametrize("fault", ["after", "killed"])
def test_processed_then_no_answer_is_found_not_sent_again(
    store: Store, platform: FakePlatform, clock: ManualClock, action: str, fault: str
) -> None:
    outbox = Outbox(store)
    queued = outbox.reply(POST, "Tea & sympathy") if action == "reply" else outbox.dm("42", "hi")
    platform.faults = [fault]
    if fault == "killed":
        with pytest.raises(Killed):
            sender(store, platform).run_once()
        clock.advance(61)  # the dead worker's claim lapses
    else:
        assert sender(store, platform).run_once().retried == 1
        record = outbox.get(queued.record.key)
        assert record is not None
        assert (record.status, record.in_doubt) == ("reserved", True)
        assert sender(store, platform, owner="w2").run_once() == SendReport()  # not yet
        clock.advance(1)
    report = sender(store, platform, owner="w2").run_once()
    assert report == SendReport(claimed=1, reconciled=1)
    published = platform.posts if action == "reply" else platform.dms
    assert len(published) == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert (record.status, record.remote_id) == ("sent", published[0].id)
    assert platform.writes == 1
    assert "outbox.reconciled" in actions_of(store, "outbox.")


@pytest.mark.parametrize("action", ["reply", "dm"])
def test_lost_before_processing_is_looked_up_then_sent(
    store: Store, platform: FakePlatform, clock: ManualClock, action: str
) -> None:
    outbox = Outbox(store)
    _ = outbox.reply(POST, "hello") if action == "reply" else outbox.dm("42", "hello")
    platform.faults = ["lost"]
    assert sender(store, platform).run_once().retried == 1
    clock.advance(1)
    assert sender(store, platform).run_once() == SendReport(claimed=1, sent=1)
    assert platform.lookups == 1
    assert len(platform.posts) + len(platform.dms) == 1


def test_failure_before_processing_backs_off_without_lookups(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.dm("42", "hello")
    platform.faults = ["before", "before"]
    s = sender(store, platform, backoff=10.0)
    assert s.run_once().retried == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert not record.in_doubt
    assert record.not_before is not None
    assert 5 <= (record.not_before - clock.now()).total_seconds() <= 10
    assert s.run_once() == SendReport()
    clock.advance(10)
    assert s.run_once().retried == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.not_before is not None
    assert 10 <= (record.not_before - clock.now()).total_seconds() <= 20  # doubled
    clock.advance(20)
    assert s.run_once().sent == 1
    assert platform.lookups == 0
    assert len(platform.dms) == 1


def test_rate_limit_waits_for_the_reset(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    outbox.reply(POST, "hello")
    platform.faults = ["429"]
    s = sender(store, platform, backoff=0.5)
    assert s.run_once().retried == 1
    clock.advance(29.9)
    assert s.run_once() == SendReport()
    clock.advance(0.7)
    assert s.run_once().sent == 1
    assert platform.lookups == 0


def test_rate_limit_far_away_is_capped(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.reply(POST, "hello")
    platform.faults = ["429"]
    sender(store, platform, max_delay=5.0).run_once()
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.not_before == clock.now() + dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("action", "reason"),
    [("reply", "ReplyNotPermittedError"), ("dm", "DirectMessageNotPermittedError")],
)
def test_refusals_fail_for_good(
    store: Store, platform: FakePlatform, action: str, reason: str
) -> None:
    outbox = Outbox(store)
    queued = outbox.reply(POST, "hello") if action == "reply" else outbox.dm("42", "hello")
    platform.faults = ["not_permitted"]
    assert sender(store, platform).run_once().failed == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.status == "failed"
    assert record.error is not None
    assert reason in record.error
    assert [r.key for r in outbox.failed()] == [queued.record.key]
    assert "outbox.failed" in actions_of(store, "outbox.")


def test_too_long_fails_before_any_request(store: Store, platform: FakePlatform) -> None:
    class Strict(FakePlatform):
        def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True):  # type: ignore[no-untyped-def]
            if len(text) > 10_000:
                raise ValueError("text is longer than 10,000 characters")
            return super().send_dm(participant_id, text, reconcile=reconcile)

    strict = Strict(platform.clock)
    Outbox(store).dm("42", "x" * 10_001)
    assert sender(store, strict).run_once().failed == 1
    assert strict.dms == []


def test_duplicate_after_a_missed_lookup_is_reconciled(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.reply(POST, "hello")
    platform.faults = ["after", "duplicate"]
    sender(store, platform).run_once()
    platform.blind_lookups = 1  # X's timeline lags: the first look-up misses the post
    clock.advance(1)
    assert sender(store, platform).run_once().reconciled == 1  # X: duplicate; look again
    record = outbox.get(queued.record.key)
    assert record is not None
    assert (record.status, record.remote_id) == ("sent", platform.posts[0].id)
    assert len(platform.posts) == 1


def test_duplicate_that_is_not_ours_fails(store: Store, platform: FakePlatform) -> None:
    outbox = Outbox(store)
    queued = outbox.reply(POST, "hello")
    platform.faults = ["duplicate"]
    assert sender(store, platform).run_once().failed == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith("duplicate content")


def test_gives_up_after_max_attempts(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.dm("42", "hello")
    platform.faults = ["before"] * 10
    s = sender(store, platform, max_attempts=3, backoff=0.0)
    for _ in range(4):
        s.run_once()
        clock.advance(1)
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.status == "failed"
    assert record.error == "gave up after 3 attempts"
    assert platform.writes == 3


def test_pause_stops_every_sender(store: Store, platform: FakePlatform) -> None:
    outbox = Outbox(store)
    outbox.dm("42", "one")
    outbox.dm("43", "two")
    assert outbox.pause_all(reason="incident 7", actor="ops")
    assert not outbox.pause_all()
    assert outbox.paused()
    assert sender(store, platform).run_once() == SendReport(paused=True)
    # a sender that claimed before the pause does not start sending either
    claimed = store.claim_actions("w9", ttl=60, kind=OUTBOX_KIND)
    w9 = sender(store, platform, owner="w9")
    assert [w9.process(record) for record in claimed] == ["paused", "paused"]
    assert platform.writes == 0
    assert outbox.resume_all()
    assert sender(store, platform).run_once().sent == 2
    paused = [e for e in store.audit_entries() if e.action == "outbox.paused"]
    assert [(e.actor, e.detail.get("reason")) for e in paused] == [("ops", "incident 7")]
    assert "outbox.resumed" in actions_of(store, "outbox.")


def test_lost_claims_are_skipped(store: Store, platform: FakePlatform, clock: ManualClock) -> None:
    Outbox(store).dm("42", "one")
    [record] = store.claim_actions("w1", ttl=10, kind=OUTBOX_KIND)
    clock.advance(11)
    store.claim_actions("w2", ttl=10, kind=OUTBOX_KIND)
    assert sender(store, platform, owner="w1").process(record) == "skipped"
    assert platform.writes == 0


def test_delete_and_hide(store: Store, clock: ManualClock) -> None:
    platform = HidingPlatform(clock)
    outbox = Outbox(store)
    outbox.post("to be removed")
    s = sender(store, platform)
    s.run_once()
    target = platform.posts[0].id
    outbox.delete(target)
    outbox.delete("1800000000000000099")  # already gone: counts as deleted
    outbox.hide("1800000000000000077")
    assert s.run_once() == SendReport(claimed=3, sent=3)
    assert platform.deleted == [target]
    assert platform.hidden == [("1800000000000000077", True)]
    outbox.hide("1800000000000000078")
    assert sender(store, FakePlatform(clock)).run_once().failed == 1  # cannot hide


def test_run_until_empty(store: Store, platform: FakePlatform, clock: ManualClock) -> None:
    outbox = Outbox(store)
    for i in range(25):
        outbox.dm(str(100 + i), f"message {i}")
    platform.faults = ["before", None, "after", None, "lost"]
    s = sender(store, platform, backoff=0.0, reconcile_delay=0.0, batch=7)
    total = s.run(until_empty=True, poll=0.01)
    assert total.sent + total.reconciled == 25
    assert len(platform.dms) == 25
    assert len({m.participant_ids for m in platform.dms}) == 25
    assert clock.now() is not None


def test_a_sender_whose_claim_lapsed_does_not_crash(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.dm("42", "hello")

    class Slow(FakePlatform):
        def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True):  # type: ignore[no-untyped-def]
            clock.advance(61)  # the claim lapses while X answers slowly...
            sender(store, platform, owner="w2").run_once()  # ...and w2 sends it meanwhile
            raise unavailable(ambiguous=False)

    slow = Slow(clock)
    assert sender(store, slow).run_once().skipped == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert (record.status, record.remote_id) == ("sent", platform.dms[0].id)


def test_a_malformed_answer_leaves_the_action_in_doubt(
    store: Store, platform: FakePlatform, clock: ManualClock
) -> None:
    outbox = Outbox(store)
    queued = outbox.dm("42", "hello")

    class Garbled(FakePlatform):
        def send_dm(self, participant_id: str, text: str, *, reconcile: bool = True):  # type: ignore[no-untyped-def]
            platform.send_dm(participant_id, text, reconcile=reconcile)  # X acted...
            raise PayloadError("expected the created DM event", field="data")  # ...then this

    assert sender(store, Garbled(clock)).run_once().retried == 1
    record = outbox.get(queued.record.key)
    assert record is not None
    assert record.in_doubt
    clock.advance(1)
    assert sender(store, platform).run_once().reconciled == 1
    assert len(platform.dms) == 1


def test_run_survives_a_store_failure(store: Store, platform: FakePlatform) -> None:
    Outbox(store).dm("42", "hello")
    failures = [StorageError("database restarting")]

    class Flaky:
        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def claim_actions(self, *args: object, **kw: object) -> object:
            if failures:
                raise failures.pop()
            return store.claim_actions(*args, **kw)  # type: ignore[arg-type]

    report = Sender(Flaky(), platform, owner="w1").run(until_empty=True, poll=0.01)  # type: ignore[arg-type]
    assert report.sent == 1
    assert len(platform.dms) == 1
