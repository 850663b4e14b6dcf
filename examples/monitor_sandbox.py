"""Watch a brand for a simulated hour: mentions, two packed searches, DMs, an Atom feed.

Everything runs offline against the sandbox, with a manual clock so the hour passes
in a moment::

    python examples/monitor_sandbox.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import socialcare
from socialcare.sandbox import Sandbox

CUSTOMERS = ("ann_k", "raj", "mei", "tom")
TRAFFIC = (
    "@acmehelp my parcel never arrived",
    "is acme down for anyone else? outage again",
    "acme router keeps dropping wifi",
    "love the new acme phone!",
    "@acmehelp thanks, sorted now",
)


def main() -> None:
    clock = socialcare.ManualClock()
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    for handle in CUSTOMERS:
        sandbox.add_user(handle)

    store = socialcare.MemoryStore(clock=clock)
    monitor = socialcare.Monitor(sandbox.platform(brand), store, clock=clock, poll_interval=60)
    monitor.add_mentions("mentions")
    monitor.add_search("outages", socialcare.Query().terms("acme").any_of("outage", "down"))
    monitor.add_search("praise", socialcare.Query().terms("acme").any_of("love", "great"))
    monitor.add_direct_messages("dms")

    @monitor.on("mentions")
    def mention(post: socialcare.Post) -> None:
        print(f"[mention] {post.text}")

    @monitor.on("outages")
    def outage(post: socialcare.Post) -> None:
        print(f"[OUTAGE ] {post.text}")

    @monitor.on_dm("dms")
    def direct(message: socialcare.DirectMessage) -> None:
        print(f"[dm     ] {message.text}")

    with tempfile.TemporaryDirectory() as feeds:
        monitor.add_sink(socialcare.AtomFeedSink(feeds, clock=clock))
        for minute in range(60):
            if minute % 7 == 0:
                who = CUSTOMERS[minute % len(CUSTOMERS)]
                sandbox.add_post(who, TRAFFIC[minute % len(TRAFFIC)])
            if minute == 30:
                sandbox.add_dm("mei", brand, "my account email is mei@example.com")
            monitor.run_due()
            clock.advance(60)
        print("feeds written:", sorted(p.name for p in Path(feeds).iterdir()))

    health = monitor.health()
    print(f"healthy: {health.ok}, requests used in the hour: {health.requests_used}")
    for stream in health.streams:
        print(
            f"  {stream.name:9} delivered {stream.posts_delivered:2}"
            f"  requests {stream.requests_used}"
        )


if __name__ == "__main__":
    main()
