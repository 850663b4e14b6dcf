"""Thread a conversation on the sandbox: gaps, backfill, a quote, care state and timings.

A customer complains, the brand answers, the customer follows up; a bystander
quotes the complaint; one reply answers a post its author deleted. The bot saw
only two of the replies: ``Threader`` hangs them under placeholders, ``backfill``
fetches what is missing through the platform (the deleted post becomes a
tombstone), and ``conversation()`` rebuilds the same tree from a search. Then the
tree, the care state and the first-response time, on the wall clock and in
business hours::

    python examples/thread_conversation.py
"""

from __future__ import annotations

import datetime as dt

from socialcare import ManualClock
from socialcare.conversations import backfill, conversation
from socialcare.sandbox import Sandbox
from socialcare.threads import BusinessHours, Threader

MONDAY_0850 = dt.datetime(2026, 3, 2, 8, 50, tzinfo=dt.timezone.utc)


def main() -> None:
    clock = ManualClock(MONDAY_0850)
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    for handle in ("ann_k", "mei", "raj", "bob"):
        sandbox.add_user(handle)

    complaint = sandbox.add_post("ann_k", "@acmehelp my router drops wifi every hour")
    clock.advance(18 * 60)  # 09:08: answered 18 minutes later, 8 of them in business hours
    answer = sandbox.add_post(brand, "Sorry Ann! Hold reset for 10s?", in_reply_to=complaint)
    clock.advance(7 * 60)
    follow_up = sandbox.add_post("ann_k", "still dropping :(", in_reply_to=answer)
    quote = sandbox.add_post("bob", "same here, acme", quote_of=complaint)
    aside = sandbox.add_post("mei", "mine too since Friday", in_reply_to=complaint)
    clock.advance(60)
    reply_to_aside = sandbox.add_post("raj", "which model?", in_reply_to=aside)
    clock.advance(60)
    sandbox.platform("mei").delete_post(aside.id)  # raj's reply now answers a deleted post
    x = sandbox.platform(brand)

    threader = Threader(brands={brand.id})  # brand accounts are explicit, never guessed
    threader.ingest([reply_to_aside, follow_up])  # what the bot happened to see, in any order
    thread = threader.thread(complaint.id)
    print(f"before backfill: missing {list(thread.missing)}")

    report = backfill(x, threader)
    print(
        f"backfill: {report.stopped}, {report.requests} request(s), fetched {report.fetched},"
        f" tombstones {list(report.tombstones)}"
    )
    threader.ingest([quote])  # a quote opens its own conversation, listed in .quotes
    thread = threader.thread(complaint.id)
    print(thread)
    print(f"quotes: {[q.id for q in thread.quotes]}")
    names = {u.id: u.username for u in sandbox.users()}
    print("participants:", ", ".join(f"@{names[p.user_id]} {p.role}" for p in thread.participants))
    print(f"care state: {thread.state}")

    wall = thread.timings()
    hours = BusinessHours.weekdays("09:00", "17:00", timezone="Europe/London")
    business = thread.timings(hours)
    print(f"first response: {wall.first_response} (business hours: {business.first_response})")

    searched = conversation(x, complaint.id, brands={brand.id})  # the same tree, from a search
    same = [p.id for p in searched.posts] == [p.id for p in thread.posts]
    print(f"conversation() from a search: {len(searched.posts)} posts, same as above: {same}")
    assert same
    assert thread.state == "awaiting_brand"
    assert wall.first_response == dt.timedelta(minutes=18)
    assert business.first_response == dt.timedelta(minutes=8)


if __name__ == "__main__":
    main()
