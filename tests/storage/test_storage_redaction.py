"""``redact=``: private data never reaches the store, on every backend; handlers still see it."""

from __future__ import annotations

from socialcare import ManualClock
from socialcare.alerts import Alert, CallbackSink
from socialcare.conversations import StoreThreader
from socialcare.models import DirectMessage, Post
from socialcare.monitor import Monitor
from socialcare.privacy import DEFAULT_GUARD
from socialcare.sandbox import Sandbox
from socialcare.storage import Store

CARD = "4111 1111 1111 1111"
MASKED = "**** **** **** 1111"
BRAND = "9"


def _entity_texts(post: Post) -> list[str]:
    spans = [*post.entities.mentions, *post.entities.urls, *post.entities.hashtags]
    return [post.text[e.start : e.end] for e in sorted(spans, key=lambda e: e.start)]


def test_store_threader_stores_posts_and_dms_redacted(store: Store, clock: ManualClock) -> None:
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acmehelp", user_id=BRAND)
    ann = sandbox.add_user("ann")
    opener = sandbox.add_post("acmehelp", "Tell us how we can help #support")
    post = sandbox.add_post(
        ann, f"charged twice on {CARD}, see https://example.com/r #billing", in_reply_to=opener
    )
    threader = StoreThreader(store, brands={BRAND}, clock=clock, redact=DEFAULT_GUARD)
    [record] = threader.ingest([opener, post])
    assert record.customer_id == ann.id
    stored = store.get_post(post.id)
    assert stored is not None
    assert CARD not in stored.text
    assert MASKED in stored.text
    assert stored.entities == post.entities
    # the SQL backends do not keep display_text_range; where it is kept, it is unchanged
    assert stored.display_text_range in (None, post.display_text_range)
    assert _entity_texts(stored) == _entity_texts(post)
    kept_opener = store.get_post(opener.id)
    assert kept_opener is not None
    assert kept_opener.text == opener.text  # nothing private: stored as given
    again = StoreThreader(store, brands={BRAND}, clock=clock, redact=DEFAULT_GUARD)
    assert again.ingest([post]) == []  # the stored value is the redacted one: nothing new

    message = DirectMessage(
        id="77",
        text=f"the card is {CARD}",
        sender_id=ann.id,
        participant_ids=(ann.id, BRAND),
        created_at=clock.now(),
    )
    threader.ingest_dms([message])
    kept = store.get_dm("77")
    assert kept is not None
    assert kept.text == f"the card is {MASKED}"


def test_store_threader_without_redact_stores_as_given(store: Store, clock: ManualClock) -> None:
    post = Post(id="5", text=f"card {CARD}", author_id="42", created_at=clock.now())
    StoreThreader(store, brands={BRAND}, clock=clock).ingest([post])
    assert store.get_post("5") == post


def test_the_monitor_stores_redacted_and_delivers_as_read(store: Store, clock: ManualClock) -> None:
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acme")
    ann = sandbox.add_user("ann", description="reach me at ann.k@example.com")
    post = sandbox.add_post(ann, f"@acme charged twice on {CARD} #billing")
    sandbox.add_dm(ann, "acme", f"my card is {CARD}")
    clock.advance(5)
    failing: list[Alert] = []

    def refuse(alert: Alert) -> None:
        failing.append(alert)
        raise RuntimeError("sink down")

    monitor = Monitor(sandbox.platform("acme"), store, clock=clock, redact=DEFAULT_GUARD)
    monitor.add_search("brand", "acme")
    monitor.add_direct_messages("dms")
    monitor.add_sink(CallbackSink(refuse), streams=["brand"])
    seen: list[Post] = []
    dms: list[DirectMessage] = []
    monitor.on("brand")(seen.append)
    monitor.on_dm("dms")(dms.append)
    monitor.run_once()

    assert [p.text for p in seen] == [post.text]  # handlers get the text as read
    assert [m.text for m in dms] == [f"my card is {CARD}"]
    assert failing[0].post.text == post.text  # so do sinks
    stored = store.get_post(post.id)
    assert stored is not None
    assert stored.text == f"@acme charged twice on {MASKED} #billing"
    assert stored.entities == post.entities
    assert _entity_texts(stored) == ["@acme", "#billing"]
    [message] = dms
    kept = store.get_dm(message.id)
    assert kept is not None
    assert kept.text == f"my card is {MASKED}"
    author = store.get_user(ann.id)
    assert author is not None
    assert author.description == "reach me at a***@example.com"
    [deferred] = store.list_actions(kind="alert", status="reserved")
    text = str(deferred.payload)
    assert CARD not in text
    assert "ann.k@" not in text
    assert MASKED in text


def test_the_monitor_without_redact_stores_as_read(store: Store, clock: ManualClock) -> None:
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acme")
    post = sandbox.add_post(sandbox.add_user("ann"), f"@acme {CARD}")
    clock.advance(5)
    monitor = Monitor(sandbox.platform("acme"), store, clock=clock)
    monitor.add_search("brand", "acme")
    monitor.run_once()
    stored = store.get_post(post.id)
    assert stored is not None
    assert stored.text == post.text
