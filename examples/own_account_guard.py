"""Catch a hijacked brand account on the sandbox: a post and a DM nobody sent through the outbox.

The care bot answers through the outbox; then someone with the account's token posts a
"giveaway" and DMs a customer a phishing link, and a scammer DMs the brand pretending to
be X support. One guard check reports all of it, alerts, and pauses every sender; a
person resumes after checking (the runbook in docs/guard.md).

python examples/own_account_guard.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from socialcare.alerts import Alert, CallbackSink
from socialcare.guard import AccountGuard
from socialcare.outbox import Outbox, Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore


def main() -> None:
    sandbox = Sandbox()
    acme = sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann_k")
    scammer = sandbox.add_user("x_support_team")
    x = sandbox.platform(acme, app_reads=False)

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "care.db", create_schema=True, clock=sandbox.clock)
        outbox = Outbox(store, actor="care-bot")
        sender = Sender(store, x)

        def page_the_on_call(alert: Alert) -> None:
            print(f"ALERT {alert.title}\n      {alert.url}")

        guard = AccountGuard(
            x,
            store,
            brand_domains=("acme.com",),
            brand_names=("acme",),
            sinks=[CallbackSink(page_the_on_call)],
            on_unrecognised="pause",
        )
        guard.check()  # the baseline

        complaint = sandbox.add_post(ann, "@acmehelp my parcel is late")
        outbox.reply(complaint, "Sorry Ann! Track it here: https://acme.com/track/1042")
        outbox.dm(ann.id, "Hi Ann, Acme here. Your parcel arrives today.")
        print(f"sent through the outbox: {sender.run_once().sent}")

        sandbox.advance(minutes=5)
        sandbox.add_post(acme, "Acme giveaway! Claim yours at https://acme-gifts.net/login")
        x.send_dm(ann.id, "Ann, to get a refund please confirm your password at acrne.com")
        sandbox.add_dm(scammer, acme, "X Support: verify your account within 24h or lose it")

        report = guard.check()
        for finding in report.findings:
            print(f"{finding.kind:18} {finding.channel:10} {finding.item_id}: {finding.reason}")
        print(f"every sender paused: {store.paused()}")
        assert len(report.unrecognised) == 2
        assert store.paused()

        outbox.reply(complaint, "It's on its way!", purpose="update")
        print(f"a sender while paused: paused={sender.run_once().paused}")
        outbox.resume_all(actor="ops")  # after the runbook's checks
        print(f"after resume_all: sent={sender.run_once().sent}")
        store.close()


if __name__ == "__main__":
    main()
