"""Workloads and invariant checks shared by the reliability tests and ``benchmarks/store_soak.py``.

Each ``run_*`` function drives one worker (a thread, or the process of
``rel_worker.py``) against a store and returns what it observed as plain JSON
data. Each ``check_*`` function takes the observations of every worker and
returns the violations it finds (an empty list when the store kept its promises).

The checks are sound under any scheduling: they only compare facts that follow
from the store's contract and from real-time order (a call that returned before
another call started committed before it), never durations. Times are the
store's clock read by the worker (``SystemClock``, the same wall clock in every
process of the machine), as seconds since the epoch.

A *holding window* ``[lo, hi]`` is an interval during which an owner surely
held a live lease or claim: from the moment the call that granted it returned
(so it was committed) to its expiry (at least ``call start + ttl``, because the
store reads its clock after the call starts), cut short by the owner's next
claim, renewal or release (which may shorten it), at the moment that call
started. Two owners' windows on one key must never overlap.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from socialcare import LeaseError, Post, StorageError, SystemClock
from socialcare.storage import SQLiteStore, Store

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
WORKER = HERE / "rel_worker.py"

Obs = dict[str, Any]
"""What one worker observed (JSON data)."""


@attrs.frozen
class Db:
    """A database shared by the threads and processes of one test (see ``conftest.db``)."""

    name: str
    spec: dict[str, Any]

    def open(self, **kw: Any) -> Store:
        return open_spec(self.spec, **kw)


CLOCK = SystemClock()


def now() -> float:
    """The store clock's time as epoch seconds."""
    return CLOCK.now().timestamp()


def open_spec(spec: Mapping[str, Any], **kw: Any) -> Store:
    """Open the store a spec names: ``{"kind": "sqlite", "path": ...}`` or PostgreSQL."""
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], clock=CLOCK, **kw)
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415 - optional driver

    kw.setdefault("max_size", 4)
    return PostgresStore(spec["dsn"], schema=spec["schema"], clock=CLOCK, **kw)


# -- leases and fencing tokens ------------------------------------------------------------------


def run_lease_worker(store: Store, owner: str, *, key: str, ops: int, seed: int) -> Obs:
    """Claim, renew, release and let lapse one lease, ``ops`` times, with short TTLs."""
    rng = random.Random(seed)
    windows: list[list[float]] = []  # [lo, hi] holding windows
    tokens: list[list[float]] = []  # [call start, return, token] from renew_lease
    counts: Counter[str] = Counter()
    holding = False

    def cut(at: float) -> None:
        # A later claim, renewal or release may shorten the lease: earlier windows end there.
        for window in windows:
            window[1] = min(window[1], at)

    for _ in range(ops):
        ttl = rng.choice((0.02, 0.05, 0.1, 0.2))
        if not holding:
            start = now()
            cut(start)
            holding = store.claim_lease(key, owner, ttl=ttl)
            end = now()
            counts["claim_won" if holding else "claim_lost"] += 1
            if holding:
                windows.append([end, start + ttl])
        if holding:
            roll = rng.random()
            if roll < 0.6:
                start = now()
                cut(start)
                try:
                    lease = store.renew_lease(key, owner, ttl=ttl)
                except LeaseError:
                    counts["renew_refused"] += 1
                    holding = False
                else:
                    end = now()
                    counts["renewed"] += 1
                    if lease.owner != owner:
                        counts["renew_wrong_owner"] += 1
                    windows.append([end, lease.expires_at.timestamp()])
                    tokens.append([start, end, lease.token])
            elif roll < 0.85:
                start = now()
                cut(start)
                released = store.release_lease(key, owner)
                counts["released" if released else "release_noop"] += 1
                holding = False
            else:
                time.sleep(ttl * rng.choice((0.5, 1.5)))  # stall: the lease may lapse
                holding = rng.random() < 0.5  # sometimes keep acting as holder
        time.sleep(rng.random() * 0.002)
    return {"owner": owner, "windows": windows, "tokens": tokens, "counts": dict(counts)}


def _overlaps(intervals: Sequence[tuple[float, float, str]], what: str) -> list[str]:
    """Pairs of different owners whose windows overlap (sweep by start)."""
    out: list[str] = []
    latest: dict[str, float] = {}
    for lo, hi, owner in sorted(i for i in intervals if i[0] < i[1]):
        out.extend(
            f"{what}: {other} held until {end:.6f} while {owner} held from {lo:.6f}"
            for other, end in latest.items()
            if other != owner and end > lo
        )
        latest[owner] = max(latest.get(owner, hi), hi)
    return out


def _real_time_order(
    events: Sequence[tuple[float, float, int, str]], *, strict_across: bool, what: str
) -> list[str]:
    """Values must grow along real-time order.

    ``events`` are ``(call start, return, value, owner)``. When one call returned
    before another started, the later one's value must be ``>=`` (``>`` when
    ``strict_across`` and the owners differ) the earlier one's.
    """
    out: list[str] = []
    by_end = sorted(events, key=lambda e: e[1])
    ends = [e[1] for e in by_end]
    best: list[tuple[int, str]] = []  # prefix maximum of (value, owner)
    for event in by_end:
        top = (event[2], event[3])
        best.append(top if not best or top[0] > best[-1][0] else best[-1])
    for start, _end, value, owner in events:
        i = bisect.bisect_left(ends, start)
        if i == 0:
            continue
        top, top_owner = best[i - 1]
        if value < top or (strict_across and value == top and owner != top_owner):
            out.append(f"{what}: {owner} saw {value} after {top_owner} had seen {top}")
    return out


def check_leases(results: Sequence[Obs]) -> list[str]:
    """No two owners ever hold a live lease at once; fencing tokens grow with every new holder."""
    token_owner: dict[int, str] = {}
    violations: list[str] = []
    events: list[tuple[float, float, int, str]] = []
    for result in results:
        owner = result["owner"]
        if result["counts"].get("renew_wrong_owner"):
            violations.append(f"renew_lease returned someone else's lease to {owner}")
        for start, end, token in result["tokens"]:
            held_by = token_owner.setdefault(int(token), owner)
            if held_by != owner:
                violations.append(f"token {token} was given to {held_by} and to {owner}")
            events.append((start, end, int(token), owner))
    violations += _real_time_order(events, strict_across=True, what="fencing token")
    intervals = [(lo, hi, r["owner"]) for r in results for lo, hi in r["windows"]]
    violations += _overlaps(intervals, "lease")
    return violations


# -- the outbox ---------------------------------------------------------------------------------


def run_outbox_worker(store: Store, owner: str, *, seed: int, max_polls: int = 20000) -> Obs:
    """Drain the outbox: claim small batches with short TTLs, send most, abandon some (a crash)."""
    rng = random.Random(seed)
    claims: list[list[Any]] = []  # [key, lo, hi]
    sent: list[str] = []
    counts: Counter[str] = Counter()
    for _ in range(max_polls):
        ttl = rng.choice((0.05, 0.1, 0.3))
        start = now()
        batch = store.claim_actions(owner, ttl=ttl, limit=rng.randint(1, 4))
        end = now()
        if not batch:
            if not store.list_actions(status="reserved", limit=1):
                break
            counts["empty_polls"] += 1
            time.sleep(0.002)
            continue
        for record in batch:
            counts["claimed"] += 1
            if record.claimed_by != owner or record.claim_expires_at is None:
                counts["claim_not_mine"] += 1
                continue
            window = [record.key, end, min(start + ttl, record.claim_expires_at.timestamp())]
            claims.append(window)
            if rng.random() < 0.1:
                counts["abandoned"] += 1  # crash: never mark it; the claim must lapse
                continue
            if rng.random() < 0.05:
                time.sleep(ttl * 1.5)  # stall past the claim: another worker may take it
            send_start = now()
            window[2] = min(window[2], send_start)
            try:
                store.mark_sent(record.key, remote_id=f"{owner}:{record.key}")
            except StorageError:
                counts["stale_send_refused"] += 1
            else:
                sent.append(record.key)
    else:
        counts["gave_up"] += 1
    return {"owner": owner, "claims": claims, "sent": sent, "counts": dict(counts)}


def check_outbox(store: Store, keys: Sequence[str], results: Sequence[Obs]) -> list[str]:
    """Every action sent exactly once, by the one who marked it; claims exclusive; none lost."""
    violations: list[str] = []
    senders: dict[str, list[str]] = defaultdict(list)
    claims_per_key: Counter[str] = Counter()
    intervals: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for result in results:
        counts = result["counts"]
        if counts.get("claim_not_mine") or counts.get("gave_up"):
            violations.append(f"{result['owner']}: {counts}")
        for key in result["sent"]:
            senders[key].append(result["owner"])
        for key, lo, hi in result["claims"]:
            claims_per_key[key] += 1
            intervals[key].append((lo, hi, result["owner"]))
    for key in keys:
        if len(senders[key]) != 1:
            violations.append(f"{key} marked sent by {senders[key]} (exactly one expected)")
        record = store.get_action(key)
        if record is None:
            violations.append(f"{key} lost")
            continue
        if record.status != "sent" or record.claimed_by is not None:
            violations.append(f"{key} ended {record.status}, claimed by {record.claimed_by}")
        elif senders[key] and record.remote_id != f"{senders[key][0]}:{key}":
            violations.append(f"{key} remote id {record.remote_id} is not its sender's")
        if record.attempts != claims_per_key[key]:
            violations.append(
                f"{key} counts {record.attempts} attempts, workers made {claims_per_key[key]}"
            )
        violations += _overlaps(intervals[key], f"claim on {key}")
    extra = set(senders) - set(keys)
    if extra:
        violations.append(f"sent actions never reserved: {sorted(extra)[:5]}")
    return violations


# -- cursors ------------------------------------------------------------------------------------


def run_cursor_worker(store: Store, owner: str, *, stream: str, ops: int, seed: int) -> Obs:
    """Advance one stream's cursor with random ids; read it now and then."""
    rng = random.Random(seed)
    events: list[list[Any]] = []  # [start, end, given id or None, since_id seen]
    for _ in range(ops):
        start = now()
        if rng.random() < 0.2:
            cursor = store.get_cursor(stream)
            given = None
        else:
            given = str(rng.randint(1, 10**19))
            cursor = store.advance_cursor(stream, since_id=given)
        end = now()
        seen = None if cursor is None else cursor.since_id
        events.append([start, end, given, seen])
    return {"owner": owner, "events": events}


def check_cursor(store: Store, stream: str, results: Sequence[Obs]) -> list[str]:
    """A cursor never moves back; each advance returns at least its id; it ends at the max."""
    violations: list[str] = []
    ordered: list[tuple[float, float, int, str]] = []
    given_ids: list[int] = []
    for result in results:
        for start, end, given, seen in result["events"]:
            value = 0 if seen is None else int(seen)
            if given is not None:
                given_ids.append(int(given))
                if value < int(given):
                    violations.append(f"advance to {given} returned {seen}")
                # a returned advance is a floor for everything that starts later
                ordered.append((start, end, max(value, int(given)), result["owner"]))
            else:
                ordered.append((start, end, value, result["owner"]))
    violations += _real_time_order(ordered, strict_across=False, what=f"cursor {stream}")
    final = store.get_cursor(stream)
    expected = str(max(given_ids)) if given_ids else None
    if final is None or final.since_id != expected:
        violations.append(f"cursor {stream} ended at {final}, expected {expected}")
    return violations


# -- the audit log ------------------------------------------------------------------------------


def run_audit_worker(store: Store, owner: str, *, ops: int, seed: int) -> Obs:
    """Append ``ops`` entries, each naming its writer and number."""
    rng = random.Random(seed)
    events: list[list[Any]] = []  # [start, end, seq, i]
    for i in range(ops):
        start = now()
        entry = store.append_audit(
            "reliability.append", actor=owner, subject=f"{owner}:{i}", detail={"i": i}
        )
        events.append([start, now(), entry.seq, i])
        if rng.random() < 0.1:
            time.sleep(0.001)
    return {"owner": owner, "events": events}


def all_audit(store: Store, *, after_seq: int = 0) -> list[Any]:
    """Every audit entry after ``after_seq``, page by page."""
    out = []
    while page := store.audit_entries(after_seq=after_seq, limit=500):
        out += page
        after_seq = page[-1].seq
    return out


def check_audit(store: Store, results: Sequence[Obs], tailed: Sequence[int] = ()) -> list[str]:
    """Seqs are unique and grow in real-time order; nothing appended is lost or changed.

    ``tailed`` are the seqs a reader collected while the writers ran by following
    the log with ``after_seq``: a log ordered by commit never lets it miss one.
    """
    violations: list[str] = []
    events = [
        (start, end, int(seq), r["owner"]) for r in results for start, end, seq, _ in r["events"]
    ]
    seqs = Counter(e[2] for e in events)
    violations += [f"seq {seq} given {n} times" for seq, n in seqs.items() if n > 1]
    violations += _real_time_order(events, strict_across=True, what="audit seq")
    stored = all_audit(store)
    got = [e.seq for e in stored]
    if got != sorted(set(got)):
        violations.append("audit_entries is not strictly increasing by seq")
    expected = {
        int(seq): (r["owner"], f"{r['owner']}:{i}", i)
        for r in results
        for _, _, seq, i in r["events"]
    }
    found = {e.seq: (e.actor, e.subject, e.detail.get("i")) for e in stored}
    if found != expected:
        lost = sorted(set(expected) - set(found))[:5]
        odd = sorted(s for s in found if found[s] != expected.get(s))[:5]
        violations.append(f"audit log differs from the appends: lost {lost}, other {odd}")
    if tailed:
        missed = sorted(set(got) - set(tailed))
        if missed:
            violations.append(f"a reader following after_seq missed {missed[:5]}")
    return violations


def tail_audit(store: Store, stop: Any) -> list[int]:
    """Follow the audit log with ``after_seq`` until ``stop`` is set, then read once more."""
    seen: list[int] = []
    last = 0
    while True:
        done = stop.is_set()
        for entry in store.audit_entries(after_seq=last, limit=200):
            seen.append(entry.seq)
            last = entry.seq
        if done:
            return seen
        time.sleep(0.001)


# -- SIGKILLed writers --------------------------------------------------------------------------

POST_BASE = 1_900_000_000_000_000_000


def batch_posts(batch: int, size: int) -> list[Post]:
    """Batch ``batch`` of ``size`` posts, ids ``POST_BASE + batch * size + j``."""
    first = POST_BASE + batch * size
    return [
        Post(
            id=str(first + j),
            text=f"@acme batch {batch} post {j}: my order is late",
            author_id=str(1000 + j % 50),
            conversation_id=str(first),
        )
        for j in range(size)
    ]


def run_writer(store: Store, *, first_batch: int, size: int, batches: int, progress: Path) -> Obs:
    """Upsert whole batches of posts, each followed by an audit entry and an outbox reservation.

    Creates ``progress`` when it starts, then appends ``<batch>`` to it after each
    batch's three writes returned.
    """
    progress.touch()
    done = []
    for batch in range(first_batch, first_batch + batches):
        store.upsert_posts(batch_posts(batch, size))
        store.append_audit("batch.stored", actor="writer", subject=f"batch:{batch}")
        store.reserve_action(f"batch:{batch}", kind="reindex", payload={"batch": batch})
        with progress.open("a", encoding="utf-8") as out:
            out.write(f"{batch}\n")
        done.append(batch)
    return {"batches": done}


def batch_presence(store: Store, batch: int, size: int) -> int:
    """How many posts of ``batch`` are stored (0 or ``size`` when upserts are atomic)."""
    first = POST_BASE + batch * size
    return len(store.get_posts(str(first + j) for j in range(size)))


def check_after_kill(
    store: Store, *, batches: Sequence[int], size: int, finished: set[int]
) -> list[str]:
    """Every batch whole or absent; finished ones present; records readable; the store writes."""
    violations: list[str] = []
    present = set()
    for batch in batches:
        count = batch_presence(store, batch, size)
        if count not in (0, size):
            violations.append(f"batch {batch} is torn: {count} of {size} posts stored")
        if count == size:
            present.add(batch)
            post = store.get_post(str(POST_BASE + batch * size + size - 1))
            if (
                post is None
                or post.text != f"@acme batch {batch} post {size - 1}: my order is late"
            ):
                violations.append(f"batch {batch} reads back wrong: {post!r}")
    if finished - present:
        violations.append(f"batches reported done but missing: {sorted(finished - present)}")
    audited = {
        int(e.subject.split(":")[1])
        for e in all_audit(store)
        if e.action == "batch.stored" and e.subject
    }
    if audited - present:
        violations.append(f"audited batches whose posts are missing: {sorted(audited - present)}")
    actions = store.list_actions(kind="reindex", limit=100_000)
    reserved = {int(a.key.split(":")[1]) for a in actions}
    if reserved - audited:
        violations.append(f"reserved batches never audited: {sorted(reserved - audited)}")
    # the store keeps working
    probe = f"probe:{len(actions)}:{time.time_ns()}"
    store.upsert_posts([Post(id=str(time.time_ns()), text=probe)])
    entry = store.append_audit("probe", actor="parent", subject=probe)
    if store.audit_entries(after_seq=entry.seq - 1, limit=1)[0].subject != probe:
        violations.append("a new audit entry does not read back")
    if not store.reserve_action(probe, kind="probe", payload={}).created:
        violations.append("a new outbox reservation was not created")
    return violations


def sqlite_integrity(path: str | Path) -> str:
    """``PRAGMA integrity_check`` of a SQLite file (``"ok"`` when intact)."""
    conn = sqlite3.connect(path)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


# -- running workers as processes ---------------------------------------------------------------


def worker_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)])}


def start_worker(spec: Mapping[str, Any], **popen: Any) -> subprocess.Popen[str]:
    """Start ``python rel_worker.py SPEC_JSON``."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(dict(spec))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=worker_env(),
        text=True,
        **popen,
    )


def run_processes(specs: Sequence[Mapping[str, Any]], *, timeout: float = 120) -> list[Obs]:
    """Run one worker process per spec, all at once, and collect their JSON reports."""
    procs = [start_worker(spec) for spec in specs]
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                msg = f"worker failed ({proc.returncode}): {err[-2000:]}"
                raise AssertionError(msg)
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


@contextlib.contextmanager
def opened(spec: Mapping[str, Any]) -> Iterator[Store]:
    store = open_spec(spec)
    try:
        yield store
    finally:
        store.close()


# -- a monitor killed between the seen-claim and the handlers -----------------------------------


def run_seen_worker(store: Store, owner: str, *, item_id: str, progress: Path) -> Obs:
    """Push one post to a real-time stream whose handler never returns (until SIGKILL).

    The handler runs after the post is stored and claimed: it records that it
    started, then waits to be killed, so the claim is never confirmed.
    """
    from socialcare import Monitor, Stream  # noqa: PLC0415 - the monitor only here
    from socialcare.sandbox import Sandbox  # noqa: PLC0415

    sandbox = Sandbox()
    acme = sandbox.add_user("acme")
    monitor = Monitor(
        sandbox.platform(acme), store, worker_id=owner, brand_user_id=acme.id, claim_ttl=60
    )
    monitor.add(Stream.search("brand", "acme", realtime="filtered"))

    @monitor.on("brand")
    def stuck(post: Post) -> None:
        progress.write_text(f"handling {post.id}\n")
        while True:  # the worker dies here, before the claim is confirmed
            time.sleep(1)

    post = Post(id=item_id, text="acme my parcel is lost", author_id="99", conversation_id=item_id)
    monitor.push("brand", [post])
    return {"returned": True}  # never reached: the handler does not return
