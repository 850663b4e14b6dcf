"""A care monitor that listens in real time, with polling as the safety net (offline).

The sandbox POSTs signed X Activity API events to a webhook receiver on 127.0.0.1;
the receiver hands them to the monitor (``receiver.on_any(monitor.receive_event)``),
which delivers them through its handlers, alert sinks and store. When the receiver is
down, the monitor's polls fill the gap; when it is back, X's retries are recognised as
already delivered::

    python examples/realtime_monitor.py
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from socialcare import DirectMessage, Monitor, Post
from socialcare.alerts import MemoryReplayGuard
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore
from socialcare.webhooks import WebhookReceiver

EVENTS = ("post.mention.create", "post.reply.create", "post.quote.create", "dm.received")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """No access log on stderr."""


def main() -> None:
    sandbox = Sandbox()
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    ann = sandbox.add_user("ann_k")
    raj = sandbox.add_user("raj")

    monitor = Monitor(sandbox.platform(brand), MemoryStore(clock=sandbox.clock), start="now")
    monitor.add_webhook("care")  # mentions, replies, quotes; the mentions timeline as safety net
    monitor.add_webhook_dms("care_dms")  # DMs; the DM events as safety net
    handled: list[str] = []

    @monitor.on("care")
    def triage(post: Post) -> None:
        handled.append(post.id)
        print(f"[post] {post.text}")

    @monitor.on_dm("care_dms")
    def inbox(message: DirectMessage) -> None:
        handled.append(message.id)
        print(f"[dm  ] {message.text}")

    receiver = WebhookReceiver(
        sandbox.credentials().consumer_secret, replay_guard=MemoryReplayGuard()
    )
    receiver.on_any(monitor.receive_event)
    server = make_server("127.0.0.1", 0, receiver.wsgi_app(), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/x"

    hook = sandbox.platform().create_webhook(url)  # the sandbox runs X's CRC
    for kind in EVENTS:
        sandbox.platform(brand).create_subscription(kind, user_id=brand.id, webhook_id=hook.id)
    monitor.run_once()  # the first polls set the cursors (start="now")

    print("-- real time")
    sandbox.add_post(ann, "@acmehelp my parcel never arrived")
    sandbox.add_dm(raj, brand, "order 1234 is late")
    sandbox.deliver_pending()  # X POSTs the events; the monitor handles them at once
    health = monitor.health()
    print(f"live source of 'care': {health['care'].source}")
    monitor.run_due()  # one safety-net poll: the same posts, nothing twice

    print("-- the receiver is down: polling fills the gap")
    server.shutdown()
    server.server_close()
    sandbox.add_post(raj, "@acmehelp hello? anyone?")
    sandbox.deliver_pending()  # X's delivery fails and will be retried
    monitor.source_down("webhook", "receiver stopped")  # or: no event for realtime_timeout
    print(f"live source of 'care': {monitor.health()['care'].source}")
    sandbox.advance(60)
    monitor.run_due()

    print(f"handled {len(handled)} items, {len(set(handled))} distinct")
    if len(handled) != len(set(handled)) or len(handled) != 3:
        msg = "an item was missed or handled twice"
        raise SystemExit(msg)


if __name__ == "__main__":
    main()
