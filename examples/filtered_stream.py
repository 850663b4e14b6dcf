"""Listen to the sandbox's filtered stream: rules from queries, one connection, reconnects.

The care team's queries become the app's stream rules (each query's name is the rule's
tag); the sandbox is served over HTTP on 127.0.0.1 and pushes each matching post the
moment a customer writes it, with a keep-alive in between. Halfway through, the
sandbox drops the connection and later stalls it; the stream reconnects the way X asks
and nothing is lost. Everything is offline::

    python examples/filtered_stream.py
"""

from __future__ import annotations

import threading

from socialcare.platforms.x import StreamedPost, XPlatform
from socialcare.query import Query, QuerySet
from socialcare.sandbox import Sandbox

CUSTOMERS = [
    ("ann_k", "@acmehelp my parcel is three days late"),
    ("raj", "anyone else's acme router down? outage since noon"),
    ("ann_k", "lovely weather today"),
    ("raj", "@acmehelp how do I get a refund for order 1234?"),
]


def main() -> None:
    sandbox = Sandbox()
    sandbox.stream_keepalive = 0.05  # X sends one every ~20 s; a demo need not wait
    sandbox.add_user("acmehelp", name="Acme Support")
    for customer in sorted({name for name, _ in CUSTOMERS}):
        sandbox.add_user(customer)

    rules = QuerySet(
        {
            "support": Query.mentioning("acmehelp"),
            "outage": Query.terms("acme").any_of("down", "outage"),
            "refunds": Query.terms("refund").exclude_retweets(),
        }
    )
    with sandbox.serve() as server:
        x = XPlatform(bearer_token=sandbox.credentials().bearer_token, api_host=server.url)
        plan = x.sync_stream_rules(rules)
        print("rules added:", ", ".join(f"{r.tag}={r.value!r}" for r in plan.created))
        print("second sync changes nothing:", not x.sync_stream_rules(rules).changed)

        arrived = threading.Semaphore(0)
        seen: list[StreamedPost] = []

        def on_post(item: StreamedPost) -> None:
            author = item.includes.user(item.post.author_id)
            who = f"@{author.username}" if author is not None else item.post.author_id
            print(f"  [{', '.join(item.tags)}] {who}: {item.post.text}")
            seen.append(item)
            arrived.release()

        stream = x.filtered_stream(stall_timeout=0.5)  # reconnect after 0.5 s of silence
        stream.start(on_post)
        for number, (customer, text) in enumerate(CUSTOMERS):
            while stream.stats.connects <= min(number, 2):
                threading.Event().wait(0.01)  # (re)connecting
            sandbox.add_post(customer, text)
            if number == 0:
                assert arrived.acquire(timeout=10)
                sandbox.drop_streams()  # the network drops the connection
            elif number == 1:
                assert arrived.acquire(timeout=10)
                sandbox.stall_streams()  # the connection goes silent: a stall
        assert arrived.acquire(timeout=10)
        stream.stop()
        stats = stream.stats
        print(
            f"{len(seen)} posts, {stats.connects} connections, {stats.keep_alives} keep-alives, "
            f"waits before reconnecting: {[round(d, 2) for d in stream.delays]} s"
        )
        print("billed:", sandbox.usage().counts, f"${sandbox.usage().total}")
        assert len(seen) == 3  # "lovely weather" matches no rule
        assert stats.connects == 3
        x.close()


if __name__ == "__main__":
    main()
