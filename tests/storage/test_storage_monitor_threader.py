"""A Monitor and a StoreThreader sharing one store: every inbound post opens or moves a record.

The monitor saves the posts it delivers before its handlers run, so the threader must
tell "already counted" from its own mark, not from the post table; a restart (a new
threader, a new store handle) re-ingesting the same posts changes nothing.
"""

from __future__ import annotations

from storage_support import Backend

from socialcare import ManualClock
from socialcare.conversations import StoreThreader
from socialcare.models import Post
from socialcare.monitor import Monitor
from socialcare.sandbox import Sandbox


def _poll(monitor: Monitor, inbox: list[Post], clock: ManualClock) -> list[Post]:
    clock.advance(60)
    monitor.run_due()
    batch, inbox[:] = list(inbox), []
    return batch


def test_monitor_and_threader_share_a_store(backend: Backend, clock: ManualClock) -> None:
    store = backend.open()
    sandbox = Sandbox(clock=clock)
    acme = sandbox.add_user("acme")
    ann, bob = sandbox.add_user("ann"), sandbox.add_user("bob")
    monitor = Monitor(
        sandbox.platform("acme"),
        store,
        clock=clock,
        poll_interval=60,
        brand_user_id=acme.id,
        start="now",
    )
    monitor.add_mentions("mentions")
    inbox: list[Post] = []
    monitor.on("mentions")(inbox.append)
    monitor.run_due()
    threader = StoreThreader(store, brands=[acme.id], clock=clock)

    first = sandbox.add_post("ann", "@acme my order is late")
    other = sandbox.add_post("bob", "@acme the app crashes")
    batch = _poll(monitor, inbox, clock)
    assert {p.id for p in batch} == {first.id, other.id}
    assert all(store.get_post(p.id) is not None for p in batch)  # the monitor saved them
    opened = threader.ingest(batch)
    assert {(c.id, c.state, c.customer_id) for c in opened} == {
        (first.conversation_id, "new", ann.id),
        (other.conversation_id, "new", bob.id),
    }
    assert first.conversation_id is not None
    new = threader.record(first.conversation_id)
    assert new is not None
    assert new.waiting_since == first.created_at

    clock.advance(60)
    answer = sandbox.add_post("acme", "@ann sorry, checking now", in_reply_to=first)
    [answered] = threader.ingest([answer])
    assert answered.state == "awaiting_customer"
    assert answered.first_response_at == answer.created_at
    again = sandbox.add_post("ann", "@acme still nothing", in_reply_to=answer)
    [follow_up] = _poll(monitor, inbox, clock)
    assert follow_up.id == again.id
    [waiting] = threader.ingest([follow_up])
    assert (waiting.state, waiting.waiting_since) == ("awaiting_brand", again.created_at)
    records = {c.id: c for c in store.find_conversations()}
    assert len(records) == 2

    # The same posts once more, in this process and after a restart: nothing changes.
    everything = [first, other, answer, again]
    assert threader.ingest(everything) == []
    clock.advance(hours=1)
    reopened = backend.open()
    restarted = StoreThreader(reopened, brands=[acme.id], clock=clock)
    assert restarted.ingest(everything) == []
    assert restarted.ingest(list(reversed(everything))) == []
    assert {c.id: c for c in reopened.find_conversations()} == records
