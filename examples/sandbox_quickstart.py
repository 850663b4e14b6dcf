"""Answer brand mentions and move a private matter to DM, against the offline X sandbox.

The same XPlatform code runs against api.x.com with real credentials
(``XPlatform.from_env()``); here ``Sandbox.platform()`` wires it to a simulated
X API v2 with 2026 rules, so it runs without network or credentials::

    python examples/sandbox_quickstart.py
"""

from __future__ import annotations

import socialcare
from socialcare.platforms import iter_items
from socialcare.sandbox import Sandbox


def main() -> None:
    sandbox = Sandbox()  # on a ManualClock at 2026-01-01 UTC
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    ann = sandbox.add_user("ann_k")
    raj = sandbox.add_user("raj", receives_dms=False)
    sandbox.add_post(ann, "@acmehelp my parcel 88412 never arrived :(")
    thread_root = sandbox.add_post(raj, "anyone else's acme router dropping wifi?")
    sandbox.add_post(raj, "@acmehelp router keeps dropping wifi, firmware 2.1")
    sandbox.advance(minutes=2)

    x = sandbox.platform(brand)
    me = x.me()
    print(f"acting as @{me.username} ({x!r})")

    mentions = list(iter_items(lambda token: x.mentions(me.id, next_token=token)))
    print(f"{len(mentions)} mentions of @{me.username}:")
    for post in mentions:
        print(f"  {post.id} {post.text!r}")

    for post in mentions:
        if "parcel" in post.text:
            reply = x.create_post(
                "Sorry about that! We've sent you a DM to sort it out.",
                in_reply_to=post.id,
                direct_message_deep_link=f"https://x.com/messages/compose?recipient_id={me.id}",
            )
            print(f"replied {reply.id} to {post.id}")
            assert post.author_id is not None
            dm = x.send_dm(post.author_id, "Hi! Could you confirm the delivery postcode?")
            print(f"sent DM {dm.id} in conversation {dm.dm_conversation_id}")
        else:
            reply = x.create_post("Thanks, we're on it: try firmware 2.2", in_reply_to=post.id)
            print(f"replied {reply.id} to {post.id}")
            try:
                x.send_dm(raj.id, "Can you share your router's serial number?")
            except socialcare.DirectMessageNotPermittedError as exc:
                print(f"DM refused ({exc.status}): @{raj.username} does not accept DMs")

    try:  # raj never mentioned the brand in this post: X forbids replying to it.
        x.create_post("We can help!", in_reply_to=thread_root.id)
    except socialcare.ReplyNotPermittedError as exc:
        print(f"reply refused ({exc.status}): {thread_root.id} did not summon @{me.username}")

    found = x.search_recent(f"from:{me.username}", max_results=10)
    print(f"search from:{me.username} -> {[p.text for p in found]}")
    for endpoint, state in sorted(x.rate_limits().items()):
        print(f"  {endpoint}: {state.remaining}/{state.limit} left")


if __name__ == "__main__":
    main()
