"""A care bot on PostgreSQL: listen, thread, answer through the outbox, send.

Monitor (mentions, on the sandbox) -> Desk (a StoreThreader and its rules) ->
compose_reply -> Outbox (reserved in PostgreSQL) -> Sender (sent to the sandbox),
printing what it sent. Point it at a database you may write to::

    export SOCIALCARE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test
    pip install 'socialcare[postgres]'
    python examples/care_bot_postgres.py

``SOCIALCARE_TEST_POSTGRES_DSN`` (the test suite's variable) is used when
``SOCIALCARE_POSTGRES_URL`` is not set. The bot keeps its tables in a throwaway
PostgreSQL schema of its own (``care_bot_<random>``), created explicitly with
``create_schema=True`` and dropped at the end, so it never touches your data and
several runs can share one database. With no URL it prints why and exits with
status 78 (``EX_CONFIG``).
"""

from __future__ import annotations

import os
import sys
import uuid

import psycopg
from psycopg import sql

from socialcare import ManualClock
from socialcare.compose import compose_reply
from socialcare.desk import Condition, Desk, DeskRule, RuleSet
from socialcare.models import Post
from socialcare.monitor import Monitor
from socialcare.outbox import Outbox, Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore
from socialcare.storage.postgres import PostgresStore

NO_DATABASE = 78  # sysexits' EX_CONFIG: the example is not configured
URL_VARIABLES = ("SOCIALCARE_POSTGRES_URL", "SOCIALCARE_TEST_POSTGRES_DSN")
ANSWERS = {
    "router": "Sorry about the wifi! Hold reset for 10s, then tell us if it's back.",
    "parcel": "Sorry, that's not the plan. We're checking with the courier now.",
}


def database_url() -> str | None:
    """The first PostgreSQL URL configured in the environment."""
    return next((os.environ[v] for v in URL_VARIABLES if os.environ.get(v)), None)


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def run(url: str, schema: str) -> int:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acmehelp", name="Acme Support")
    for handle in ("ann_k", "raj"):
        sandbox.add_user(handle)
    x = sandbox.platform(brand, app_reads=False)
    me = x.me()

    store = PostgresStore(url, schema=schema, create_schema=True, clock=clock)
    with store:
        print(f"store: {store!r}")
        desk = Desk(
            store,
            brands=[brand.id],
            rules=RuleSet(
                (DeskRule("lost parcel", when=Condition(keywords=("never arrived",)), priority=2),)
            ),
            clock=clock,
        )
        outbox = Outbox(store, actor="care-bot")
        sender = Sender(store, x, owner="bot-1")
        # The monitor keeps its cursors in a store of its own (the desk threads the posts).
        monitor = Monitor(x, MemoryStore(clock=clock), clock=clock, poll_interval=60)
        monitor.add_mentions("mentions")
        inbox: list[Post] = []
        monitor.on("mentions")(inbox.append)
        monitor.run_due()

        sandbox.add_post("ann_k", "@acmehelp my router keeps dropping wifi")
        sandbox.add_post("raj", "@acmehelp my parcel never arrived, order 1042")
        clock.advance(60)
        monitor.run_due()
        print(f"monitor delivered {len(inbox)} mentions")
        for triage in desk.ingest(
            inbox, users=x.get_users([p.author_id or "" for p in inbox]).items
        ):
            print(f"rules: {triage.post_id} -> priority {triage.priority}")

        for item in desk.queue():
            conversation = item.conversation
            post = desk.threader.thread(conversation.id).posts[-1]
            [author] = x.get_users([post.author_id or ""]).items
            topic = "parcel" if "parcel" in post.text else "router"
            draft = compose_reply(post, ANSWERS[topic], author=author, brand=me, signature="Bot")
            outbox.reply(post, draft)
            print(f"queued reply to {post.id} (priority {conversation.priority})")

        report = sender.run_once()
        print(f"sender: sent {report.sent}, failed {report.failed}")
        replies = x.get_posts([r.remote_id for r in outbox.sent() if r.remote_id]).items
        for reply in replies:
            print(f"  sent {reply.id} in reply to {reply.replied_to_id}: {reply.text!r}")
        desk.ingest(replies)  # the brand's answers: both conversations await the customer
        states = sorted(c.state for c in store.find_conversations(limit=100))
        print(f"conversations: {states}")
        return 0 if report.sent == len(inbox) else 1


def main() -> int:
    url = database_url()
    if url is None:
        print(
            "care_bot_postgres: no PostgreSQL database configured; set SOCIALCARE_POSTGRES_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test) and "
            "pip install 'socialcare[postgres]'",
            file=sys.stderr,
        )
        return NO_DATABASE
    schema = f"care_bot_{uuid.uuid4().hex[:12]}"
    try:
        return run(url, schema)
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    sys.exit(main())
