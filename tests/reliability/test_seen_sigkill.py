"""A monitor SIGKILLed between the seen-claim and its handlers: delivered after recovery.

A child process runs a monitor whose real-time stream is pushed one post; the
handler records that it started and hangs, and the parent kills the child with
SIGKILL there (the post is stored and claimed, the claim never confirmed). While
the claim is live, nobody else takes the post (no duplicate while the owner may
still finish); once it expired, a new worker's cycle delivers it from the store,
exactly once, and confirms it. The parent's store reads time from a manual clock
set past the claim's expiry, so nothing waits for it.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest
from rel_support import Db, start_worker

from socialcare import ManualClock, Monitor, Post, Stream, SystemClock
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

ITEM = "2000000000000000001"


def open_at(db: Db, clock: ManualClock) -> Store:
    if db.name == "sqlite":
        return SQLiteStore(db.spec["path"], clock=clock)
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    return PostgresStore(db.spec["dsn"], schema=db.spec["schema"], clock=clock)


def kill_in_handler(db: Db, tmp_path: Path) -> None:
    progress = tmp_path / "progress.txt"
    spec = {**db.spec, "task": "seen", "owner": "doomed", "item_id": ITEM}
    spec["progress"] = str(progress)
    proc = start_worker(spec)
    deadline = time.monotonic() + 60
    try:
        while not progress.exists() or ITEM not in progress.read_text():
            if proc.poll() is not None:
                pytest.fail(f"worker exited early: {proc.communicate()[1][-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the worker never reached its handler within 60 s")
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def test_an_item_claimed_by_a_killed_worker_is_delivered_after_recovery(
    db: Db, tmp_path: Path
) -> None:
    kill_in_handler(db, tmp_path)
    clock = ManualClock(SystemClock().now())
    sandbox = Sandbox(clock=clock)
    acme = sandbox.add_user("acme")
    handled: list[str] = []
    with open_at(db, clock) as store:
        assert store.get_post(ITEM) is not None  # stored before it was claimed
        monitor = Monitor(
            sandbox.platform(acme),
            store,
            worker_id="rescuer",
            brand_user_id=acme.id,
            start="now",
            claim_ttl=60,
        )
        monitor.add(Stream.search("brand", "acme", realtime="filtered"))
        monitor.on("brand")(lambda post: handled.append(post.id))
        post = store.get_post(ITEM)
        assert isinstance(post, Post)

        # The dead worker's claim is live: a push or a cycle does not deliver it twice.
        assert monitor.push("brand", [post]) == 0
        assert monitor.run_once().errors == ()
        assert handled == []
        assert store.expired_seen("brand") == []

        clock.advance(61)  # the claim expired, never confirmed
        assert store.expired_seen("brand") == [ITEM]
        report = monitor.run_once()
        assert handled == [ITEM]
        assert report.delivered == 1
        assert store.expired_seen("brand") == []

        clock.advance(3600)  # confirmed: never again, by any source
        monitor.run_once()
        assert monitor.push("brand", [post]) == 0
        assert handled == [ITEM]
        monitor.close()
