"""Chaos benchmark of the outbox: exactly once through faults, 429 storms and SIGKILLed workers.

The parent process serves a sandbox over HTTP (``Sandbox.serve()``, system clock, X's
rate limits off so that only the injected 429 storms limit), seeds a brand and its
customers (each customer post mentions the brand, so replies are summoned), and
reserves N outbound actions in the store: half replies (one per customer post),
half DMs (several per customer, each with its own text). W worker processes run
``Sender.run(until_empty=True)`` on the shared store, through ``XPlatform`` over HTTP
with ``reconcile=False`` writes (the sender reconciles), no internal retries and no
rate-limit waits (the sender defers instead).

With ``--chaos`` a thread arms random faults on the two write endpoints while the
workers run: 5xx before processing, 5xx after processing, timeouts before and
after processing, connection resets after processing, lost answers, and 429
storms (a run of 429s with a short reset), the first one at once; another SIGKILLs a
random worker as soon as the first write reached the sandbox, then about every
``--kill-every`` seconds, and starts a new one in its place each time.

At the end it counts what the sandbox holds: every reserved reply must exist once
(one reply per customer post) and every DM once (by its text), and each outbox
record must be ``sent`` with the id of that object. Reported: sent, duplicated,
lost, failed, the faults that struck, kills, and the time, next to a fault-free
run of the same actions on the same machine.

    python benchmarks/outbox_chaos.py --backend postgres --dsn postgresql://postgres@127.0.0.1/test
    python benchmarks/outbox_chaos.py --backend sqlite
    python benchmarks/outbox_chaos.py --actions 60 --workers 2 --kills 1 --backend sqlite --check

``--check`` exits non-zero when anything was duplicated or lost (the CI smoke test
runs it that way).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = Path(os.environ.get("OUTBOX_CHAOS_SRC", HERE.parent / "src"))
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from socialcare import Sandbox, SystemClock  # noqa: E402
from socialcare.outbox import Outbox, Sender  # noqa: E402
from socialcare.storage import SQLiteStore, Store  # noqa: E402

CREATE_POST = "POST /2/tweets"
SEND_DM = "POST /2/dm_conversations/with/:participant_id/messages"
FAULTS = (
    "server_error",
    "timeout",
    "processed_server_error",
    "processed_timeout",
    "processed_reset",
    "lost_response",
    "rate_limit",
)
# What the sandbox bills for a write that reached it: progress of the senders.
WRITES = ("post_create", "post_create_with_url", "summoned_reply", "dm_create")
DMS_PER_CUSTOMER = 5


# -- the store -------------------------------------------------------------------------------


def open_store(spec: dict[str, Any]) -> Store:
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], clock=SystemClock())
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    return PostgresStore(spec["dsn"], schema=spec["schema"], clock=SystemClock(), max_size=2)


def create_store(kind: str, dsn: str | None, workdir: Path) -> dict[str, Any]:
    if kind == "sqlite":
        path = workdir / f"outbox-{uuid.uuid4().hex[:8]}.db"
        SQLiteStore(path, create_schema=True).close()
        return {"kind": "sqlite", "path": str(path)}
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    if not dsn:
        raise SystemExit("--dsn (or SOCIALCARE_TEST_POSTGRES_DSN) is needed for postgres")
    schema = f"sc_chaos_{uuid.uuid4().hex[:12]}"
    PostgresStore(dsn, schema=schema, create_schema=True).close()
    return {"kind": "postgres", "dsn": dsn, "schema": schema}


def drop_store(spec: dict[str, Any]) -> None:
    if spec["kind"] == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(spec["path"] + suffix).unlink(missing_ok=True)
        return
    import psycopg  # noqa: PLC0415

    with psycopg.connect(spec["dsn"], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{spec["schema"]}" CASCADE')


# -- a worker process ----------------------------------------------------------------------------


def worker_main(spec: dict[str, Any]) -> None:
    """One sender process: send until nothing is reserved, then exit 0."""
    from socialcare import XPlatform  # noqa: PLC0415

    creds = spec["credentials"]
    platform = XPlatform(
        consumer_key=creds["consumer_key"],
        consumer_secret=creds["consumer_secret"],
        access_token=creds["access_token"],
        access_token_secret=creds["access_token_secret"],
        api_host=spec["api"],
        timeout=5.0,
        max_attempts=1,  # the sender retries, through the store
        max_rate_limit_wait=0.0,  # the sender defers to the reset instead of sleeping
    )
    store = open_store(spec["store"])
    sender = Sender(
        store,
        platform,
        owner=spec["owner"],
        ttl=spec["ttl"],
        batch=4,
        backoff=0.05,
        reconcile_delay=0.05,
        max_delay=3.0,
        margin=5.0,
    )
    try:
        sender.run(until_empty=True, poll=0.05)
    finally:
        store.close()


# -- the parent ------------------------------------------------------------------------------


class Fleet:
    """The worker processes: started, SIGKILLed, replaced (their stderr goes to ``logdir``)."""

    def __init__(self, base: dict[str, Any], size: int, logdir: Path) -> None:
        self.base = base
        self.logdir = logdir
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: dict[int, Path] = {}
        self.generation = 0
        self.kills = 0
        self.lock = threading.Lock()
        for slot in range(size):
            self.start(slot)

    def start(self, slot: int) -> None:
        self.generation += 1
        owner = f"chaos-w{slot}-g{self.generation}"
        spec = {**self.base, "owner": owner}
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.logs[slot] = self.logdir / f"{owner}.log"
        with self.logs[slot].open("wb") as log:
            self.procs[slot] = subprocess.Popen(
                [sys.executable, __file__, "--worker", json.dumps(spec)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    def kill_one(self, rng: random.Random) -> bool:
        with self.lock:
            alive = [slot for slot, p in self.procs.items() if p.poll() is None]
            if not alive:
                return False
            slot = rng.choice(alive)
            self.procs[slot].send_signal(signal.SIGKILL)
            self.procs[slot].wait()
            self.kills += 1
            self.start(slot)
            return True

    def wait(self, deadline: float) -> list[str]:
        errors = []
        for slot, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                errors.append("a worker did not finish in time")
            if proc.returncode not in (0, -signal.SIGKILL):
                text = self.logs[slot].read_bytes().decode(errors="replace")
                errors.append(text[-3000:])
        return errors


def worker_spec(
    sandbox: Sandbox, brand: Any, api: str, store_spec: dict[str, Any]
) -> dict[str, Any]:
    """What a worker process needs: the API's URL, the brand's credentials, the store."""
    creds = sandbox.credentials(brand)
    return {
        "api": api,
        "credentials": {
            "consumer_key": creds.consumer_key,
            "consumer_secret": creds.consumer_secret,
            "access_token": creds.access_token,
            "access_token_secret": creds.access_token_secret,
        },
        "store": store_spec,
        "ttl": 6.0,
    }


def seed(sandbox: Sandbox, actions: int) -> tuple[Any, list[Any], list[Any]]:
    brand = sandbox.add_user("acmehelp")
    replies = actions // 2
    customers = [sandbox.add_user(f"cust{i}") for i in range(max(1, replies))]
    complaints = [
        sandbox.add_post(customers[i], f"@acmehelp order {i} is late, again")
        for i in range(replies)
    ]
    return brand, customers, complaints


def reserve(store: Store, actions: int, customers: list[Any], complaints: list[Any]) -> None:
    outbox = Outbox(store)
    for i, post in enumerate(complaints):
        outbox.reply(post.id, f"Sorry about order {i}: we are on it (ref {i}).")
    dms = actions - len(complaints)
    for j in range(dms):
        who = customers[(j // DMS_PER_CUSTOMER) % len(customers)]
        outbox.dm(who.id, f"Case {j}: details of your order, privately.", purpose=f"case-{j}")


def count(
    store: Store, sandbox: Sandbox, brand: Any, complaints: list[Any], actions: int
) -> dict[str, int]:
    """Sent, duplicated, lost and failed, from what the sandbox holds and the store says."""
    records = Outbox(store).store.list_actions(limit=actions + 10)
    by_key = {r.key: r for r in records}
    mine = [p for p in sandbox.posts(author=brand) if p.replied_to_id is not None]
    replies = Counter(p.replied_to_id for p in mine)
    reply_ids = {p.replied_to_id: p.id for p in mine}
    dms = [m for m in sandbox.dms() if m.sender_id == brand.id]
    dm_texts = Counter(m.text for m in dms)
    dm_ids = {m.text: m.id for m in dms}
    duplicated = sum(n - 1 for n in replies.values() if n > 1)
    duplicated += sum(n - 1 for n in dm_texts.values() if n > 1)
    lost = failed = sent = wrong_id = 0
    for record in records:
        payload = record.payload
        if payload.get("action") == "reply":
            target = str(payload["in_reply_to"])
            present = replies.get(target, 0) > 0
            remote = reply_ids.get(target)
        else:
            text = str(payload["text"])
            present = dm_texts.get(text, 0) > 0
            remote = dm_ids.get(text)
        lost += not present
        failed += record.status == "failed"
        sent += record.status == "sent"
        wrong_id += record.status == "sent" and present and record.remote_id != remote
    del by_key
    audit: Counter[str] = Counter()
    open_attempts: dict[str, int] = {}  # key -> attempts started without an outcome yet
    cut = 0  # attempts whose worker died before recording any outcome (SIGKILL mid-send)
    seq = 0
    while batch := store.audit_entries(after_seq=seq, limit=5000):
        audit.update(e.action for e in batch)
        for entry in batch:
            key = str(entry.detail.get("key"))
            if entry.action == "outbox.attempt":
                cut += open_attempts.get(key, 0)
                open_attempts[key] = 1
            elif entry.action in ("outbox.sent", "outbox.retry", "outbox.failed"):
                open_attempts[key] = 0
            elif entry.action == "outbox.reconciled":
                cut += open_attempts.get(key, 0)
                open_attempts[key] = 0
        seq = batch[-1].seq
    return {
        "attempts_cut_by_kills": cut,
        "reconciled": audit["outbox.reconciled"],
        "retries": audit["outbox.retry"],
        "attempts": audit["outbox.attempt"],
        "reserved": len(records),
        "sent": sent,
        "duplicated": duplicated,
        "lost": lost,
        "failed": failed,
        "wrong_remote_id": wrong_id,
        "published": sum(replies.values()) + sum(dm_texts.values()),
        "expected": len(complaints) + (actions - len(complaints)),
    }


def run(
    *,
    backend: str,
    dsn: str | None,
    actions: int,
    workers: int,
    chaos: bool,
    kills: int | None,
    kill_every: float,
    fault_every: float,
    seed_value: int,
    timeout: float,
) -> dict[str, Any]:
    rng = random.Random(seed_value)
    sandbox = Sandbox(clock=SystemClock(), rate_limits=False)
    brand, customers, complaints = seed(sandbox, actions)
    struck: Counter[str] = Counter()

    def note(_request: Any, outcome: Any) -> None:
        failed = outcome.dropped or outcome.status >= 400
        if outcome.endpoint in (CREATE_POST, SEND_DM) and failed:
            struck["dropped" if outcome.dropped else str(outcome.status)] += 1

    sandbox.observe(note)
    with tempfile.TemporaryDirectory() as tmp, sandbox.serve() as server:
        store_spec = create_store(backend, dsn, Path(tmp))
        try:
            store = open_store(store_spec)
            reserve(store, actions, customers, complaints)
            base = worker_spec(sandbox, brand, server.url, store_spec)
            armed: Counter[str] = Counter()
            started = time.perf_counter()
            fleet = Fleet(base, workers, Path(tmp))
            done = threading.Event()

            def inject() -> None:
                # One fault (or one 429 storm) armed at a time, after a random pause
                # once the previous one struck: faults hit a steady share of the writes.
                # A fault aimed at an endpoint nobody calls any more is dropped after 1 s.
                # The first fault is armed at once, so a short run meets one too.
                armed_at = 0.0
                pause = 0.0
                while not done.wait(pause):
                    pause = rng.uniform(0.5, 1.5) * fault_every
                    if sandbox.pending_faults:
                        if time.monotonic() - armed_at < 1.0:
                            continue
                        sandbox.clear_faults()
                    armed_at = time.monotonic()
                    kind = rng.choice(FAULTS)
                    endpoint = rng.choice((CREATE_POST, SEND_DM))
                    times = rng.randint(5, 20) if kind == "rate_limit" else 1
                    sandbox.fail_next(
                        kind,  # type: ignore[arg-type]
                        endpoint=endpoint,
                        times=times,
                        retry_after=rng.uniform(0.2, 1.5),
                        status=rng.choice((500, 502, 503)),
                    )
                    armed[kind] += times

            def kill() -> None:
                # The first kill comes as soon as a write reached X (workers are busy
                # sending), so a short run is cut mid-send too; then every ~kill_every s.
                while not done.wait(0.01):
                    if sum(sandbox.usage().counts.get(k, 0) for k in WRITES):
                        break
                pause = 0.0
                while not done.wait(pause):
                    pause = rng.uniform(0.5, 1.5) * kill_every
                    if kills is not None and fleet.kills >= kills:
                        return
                    fleet.kill_one(rng)

            helpers = [threading.Thread(target=inject), threading.Thread(target=kill)]
            if chaos:
                for helper in helpers:
                    helper.start()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if not store.list_actions(status="reserved", limit=1):
                    break
                time.sleep(0.05)
            done.set()
            if chaos:
                for helper in helpers:
                    helper.join()
            errors = fleet.wait(deadline + 30)
            seconds = time.perf_counter() - started
            sandbox.clear_faults()
            result = count(store, sandbox, brand, complaints, actions)
            store.close()
        finally:
            drop_store(store_spec)
    return {
        "backend": backend,
        "workers": workers,
        "chaos": chaos,
        "seconds": round(seconds, 2),
        "kills": fleet.kills,
        "faults_armed": dict(armed),
        "write_errors_seen": dict(struck),
        "worker_errors": errors,
        **result,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--dsn", default=os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN"))
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=None, help="stop killing after so many")
    parser.add_argument("--kill-every", type=float, default=1.0, help="seconds between kills")
    parser.add_argument("--fault-every", type=float, default=0.05, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-baseline", action="store_true", help="skip the fault-free run")
    parser.add_argument("--check", action="store_true", help="exit 1 on a duplicate or a loss")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.worker:
        worker_main(json.loads(args.worker))
        return 0
    backends = ("postgres", "sqlite") if args.backend == "both" else (args.backend,)
    results = []
    for backend in backends:
        common = {
            "backend": backend,
            "dsn": args.dsn,
            "actions": args.actions,
            "workers": args.workers,
            "kills": args.kills,
            "kill_every": args.kill_every,
            "fault_every": args.fault_every,
            "seed_value": args.seed,
            "timeout": args.timeout,
        }
        if not args.no_baseline:
            results.append(run(chaos=False, **common))
            print(json.dumps(results[-1]), flush=True)
        results.append(run(chaos=True, **common))
        print(json.dumps(results[-1]), flush=True)
    print()
    print(
        "| backend | run | actions | sent | duplicated | lost | failed | kills | "
        "faults struck | killed mid-send | reconciled | time (s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['backend']} | {'chaos' if r['chaos'] else 'fault-free'} | {r['reserved']} | "
            f"{r['sent']} | {r['duplicated']} | {r['lost']} | {r['failed']} | {r['kills']} | "
            f"{sum(r['write_errors_seen'].values())} | {r['attempts_cut_by_kills']} | "
            f"{r['reconciled']} | {r['seconds']} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    bad = [
        r
        for r in results
        if r["duplicated"] or r["lost"] or r["failed"] or r["wrong_remote_id"] or r["worker_errors"]
    ]
    if args.check and bad:
        return 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
