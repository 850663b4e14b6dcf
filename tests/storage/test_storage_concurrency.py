"""Competition for leases and the outbox with real threads and real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from storage_support import SRC, Backend

from socialcare import ManualClock
from socialcare.storage import Store

WORKER = Path(__file__).with_name("storage_worker.py")


def test_eight_threads_claim_one_conversation_exactly_one_wins(backend: Backend) -> None:
    stores = [backend.open() for _ in range(2)]  # two store objects, as two components would
    barrier = threading.Barrier(8)
    results: dict[str, bool] = {}

    def contend(i: int) -> None:
        owner = f"agent-{i}"
        barrier.wait()
        results[owner] = stores[i % 2].claim_lease("conversation:42", owner, ttl=60)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [owner for owner, won in results.items() if won]
    assert len(results) == 8
    assert len(winners) == 1
    lease = stores[0].get_lease("conversation:42")
    assert lease is not None
    assert lease.owner == winners[0]


def test_two_threads_drain_one_outbox_without_double_sends(backend: Backend) -> None:
    store = backend.open()
    for i in range(60):
        store.reserve_action(f"reply:{i:03d}", kind="reply", payload={"i": i})
    sends: list[str] = []
    lock = threading.Lock()

    def drain(owner: str, worker_store: Store) -> None:
        while batch := worker_store.claim_actions(owner, ttl=60, limit=3):
            for action in batch:
                with lock:
                    sends.append(action.key)
                worker_store.mark_sent(action.key, remote_id=f"{owner}:{action.key}")

    workers = [threading.Thread(target=drain, args=(f"w{i}", backend.open())) for i in range(2)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sorted(sends) == [f"reply:{i:03d}" for i in range(60)]
    assert len(store.list_actions(status="sent", limit=100)) == 60


def test_expired_lease_is_taken_over(backend: Backend, clock: ManualClock) -> None:
    a, b = backend.open(), backend.open()
    assert a.claim_lease("stream:mentions", "worker-a", ttl=30)
    assert not b.claim_lease("stream:mentions", "worker-b", ttl=30)
    clock.advance(31)  # worker-a stopped renewing (crashed)
    assert b.claim_lease("stream:mentions", "worker-b", ttl=30)
    assert not a.claim_lease("stream:mentions", "worker-a", ttl=30)
    lease = a.get_lease("stream:mentions")
    assert lease is not None
    assert (lease.owner, lease.token) == ("worker-b", 2)


# -- real processes ----------------------------------------------------------------------------


def _spawn(backend: Backend, tmp_path: Path, count: int, **task: str) -> list[dict[str, object]]:
    if not backend.shared_across_processes:
        pytest.skip("a MemoryStore lives in one process")
    ready = tmp_path / "ready"
    ready.mkdir()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(WORKER.parent)])}
    procs = []
    for i in range(count):
        spec = {**backend.spec, **task, "owner": f"p{i}", "ready": str(ready), "go": str(go)}
        procs.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(spec)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < count:
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    go.touch()  # every worker is connected: release them at once
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.mark.slow
def test_eight_processes_claim_one_conversation_exactly_one_wins(
    backend: Backend, tmp_path: Path
) -> None:
    results = _spawn(backend, tmp_path, 8, task="claim", key="conversation:7")
    winners = [r["owner"] for r in results if r["won"]]
    assert len(winners) == 1
    lease = backend.open().get_lease("conversation:7")
    assert lease is not None
    assert lease.owner == winners[0]


@pytest.mark.slow
def test_two_processes_drain_one_outbox_without_double_sends(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.shared_across_processes:
        pytest.skip("a MemoryStore lives in one process")
    store = backend.open()
    keys = [f"dm:{i:03d}" for i in range(120)]
    for key in keys:
        store.reserve_action(key, kind="dm", payload={"to": key})
    log = tmp_path / "sent.log"
    results = _spawn(backend, tmp_path, 2, task="drain", log=str(log))
    lines = log.read_text().splitlines()
    sent_keys = [line.split()[0] for line in lines]
    assert Counter(sent_keys).most_common(1)[0][1] == 1  # nothing sent twice
    assert sorted(sent_keys) == keys  # and nothing left behind
    assert sum(len(r["sent"]) for r in results) == 120  # type: ignore[misc, arg-type]
    records = store.list_actions(status="sent", limit=500)
    assert len(records) == 120
    by_key = {line.split()[0]: line.split()[1] for line in lines}
    assert all(r.remote_id == f"{by_key[r.key]}:{r.key}" for r in records)
