"""Listen to the sandbox in real time: a webhook receiver, X Activity API subscriptions.

The receiver runs on 127.0.0.1 (a WSGI server in a thread); the sandbox checks it with
X's CRC, then POSTs a signed event for every mention, reply, quote and DM as customers
write, from a background thread. Everything is offline::

    python examples/realtime_webhook.py
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from socialcare.alerts import MemoryReplayGuard
from socialcare.sandbox import Sandbox
from socialcare.webhooks import DirectMessageEvent, PostEvent, UnknownEvent, WebhookReceiver

EXPECTED = 4


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """No access log on stderr."""


def main() -> None:
    sandbox = Sandbox()
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    ann = sandbox.add_user("ann_k")
    raj = sandbox.add_user("raj")

    receiver = WebhookReceiver(
        sandbox.credentials().consumer_secret, replay_guard=MemoryReplayGuard()
    )
    done = threading.Semaphore(0)

    @receiver.on("post.mention.create")
    def mention(event: PostEvent) -> None:
        author = event.includes.user(event.post.author_id)
        print(f"[mention] @{author.username if author else '?'}: {event.post.text}")
        done.release()

    @receiver.on("post.reply.create")
    def reply(event: PostEvent) -> None:
        print(f"[reply  ] {event.post.text}")
        done.release()

    @receiver.on("post.quote.create")
    def quote(event: PostEvent) -> None:
        print(f"[quote  ] {event.post.text}")
        done.release()

    @receiver.on("dm.received")
    def direct(event: DirectMessageEvent) -> None:
        sender = event.user(event.message.sender_id)
        print(f"[dm     ] @{sender.username if sender else '?'}: {event.message.text}")
        done.release()

    @receiver.on_unknown
    def other(event: UnknownEvent) -> None:
        print(f"[other  ] {event.kind}")

    server = make_server("127.0.0.1", 0, receiver.wsgi_app(), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/x"

    app = sandbox.platform()  # the app's bearer token manages webhooks
    x = sandbox.platform(brand)  # the brand's own context subscribes to its private events
    hook = app.create_webhook(url)
    print(f"webhook {hook.id} registered, CRC passed: {hook.valid}")
    for kind in ("post.mention.create", "post.reply.create", "post.quote.create", "dm.received"):
        x.create_subscription(kind, user_id=brand.id, webhook_id=hook.id, tag="care")
    print(f"{len(app.subscriptions())} subscriptions")

    with sandbox.deliver_automatically(interval=0.02):
        announcement = x.create_post("Our new router ships today")
        sandbox.add_post(ann, "@acmehelp my parcel never arrived")
        sandbox.add_post(raj, "does it do wifi 7?", in_reply_to=announcement.id)
        sandbox.add_post(ann, "finally!", quote_of=announcement.id)
        sandbox.add_dm(raj, brand, "order 1234 is late")
        for _ in range(EXPECTED):
            if not done.acquire(timeout=30):
                msg = "an event did not arrive"
                raise SystemExit(msg)

    server.shutdown()
    server.server_close()
    usage = sandbox.usage()
    print(f"billed for delivered events: {dict(usage.counts)} (${usage.total})")


if __name__ == "__main__":
    main()
