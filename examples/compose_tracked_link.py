"""Compose a reply with a tracked short link, post it to the sandbox and read the click.

python examples/compose_tracked_link.py
"""

from __future__ import annotations

from socialcare.compose import compose_reply
from socialcare.links import LinkTracker, redirect_app
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore


def main() -> None:
    sandbox = Sandbox()
    brand = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann_k")
    asked = sandbox.add_post(ann, "@acmehelp how do I reset my router?")
    conversation = asked.conversation_id or asked.id

    tracker = LinkTracker(MemoryStore(), "https://acme.co", utm={"source": "x", "medium": "care"})
    short = tracker.shorten(
        "https://acme.com/help/router-reset", code="reset", conversation_id=conversation
    )
    draft = compose_reply(
        asked,
        f"@ann_k Hold the button 10s, then see {short}",
        author=ann,
        brand=brand,
        signature="JD",
    )
    print(f"draft: {draft.text!r} ({draft.length}/280, ${draft.price}, sendable={draft.sendable})")
    for note in draft.notes:
        print(f"  note: {note}")
    reply = sandbox.platform(brand).create_post(draft.text, in_reply_to=draft.in_reply_to)
    print(f"posted reply {reply.id}")

    app = redirect_app(tracker.store)  # serve it with any WSGI server; here we call it directly
    seen: list[str] = []
    app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/reset", "HTTP_USER_AGENT": "Twitterbot/1.0"},
        lambda status, _headers: seen.append(status),
    )
    app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/reset", "HTTP_USER_AGENT": "Mozilla/5.0"},
        lambda status, _headers: seen.append(status),
    )
    stats = tracker.for_conversation(conversation)
    print(f"redirects: {seen}; clicks {stats.clicks}, card fetches {stats.bot_clicks}")
    assert stats.clicks == 1
    assert stats.bot_clicks == 1


if __name__ == "__main__":
    main()
