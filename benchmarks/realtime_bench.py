"""Real time into the Monitor: latency, signature-checked throughput, failover (issue 16).

Three measurements, every one through a ``WebhookReceiver``'s ASGI app served by uvicorn
on 127.0.0.1 and the sandbox's signed X Activity API deliveries:

* **latency**: ``--events`` times, a customer's ``@acme`` post is created in the sandbox
  and the sandbox delivers its ``post.mention.create`` event at once (``deliver_pending``:
  build, sign, POST); the time from creating the post to the monitor's handler running
  (receiver: signature check, replay guard, parse; monitor: seen claim, handlers, store)
  is recorded; p50 and p99.
* **throughput**: one uvicorn server (in its own process) serves three paths: a trivial
  ASGI app (reads the body, answers 200), the receiver (signature check, replay guard,
  parse, a no-op handler) and the receiver handing events to a monitor (memory store).
  ``--clients`` keep-alive connections POST pre-signed, distinct events to each path in
  turn for ``--seconds`` per round, three rounds; the ratio to the trivial app is the
  result (target >= 50%).
* **failover**: a monitor on a SQLite store runs (``run_forever``) with a webhook stream
  (the mentions timeline as the safety net) while ``--events`` mentions are created at
  ``--rate`` per second and delivered by the sandbox's delivery thread (sandbox on the
  system clock, so X's retries come 3 s and 27 s after a failure). At a random moment the
  receiver's server is stopped for a random interval, then started again on the same
  port. Reported: events handled exactly once (target: all, none twice) and the time
  from the restart until every post created before it was handled.

Run: ``python benchmarks/realtime_bench.py [--events 10000] [--write docs/performance.md]``
(``--smoke`` runs a small version: what ``tests/monitor/test_realtime_bench.py`` runs).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import attrs
import uvicorn

from socialcare import Monitor, Post, SystemClock
from socialcare.alerts import MemoryReplayGuard
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore, SQLiteStore
from socialcare.webhooks import WebhookReceiver, delivery_signature

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- serving ------------------------------------------------------------------------------


class Served:
    """An ASGI app under uvicorn on 127.0.0.1 in a thread; stop() ends it, the port stays."""

    def __init__(self, app: ASGI, port: int = 0) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                msg = "uvicorn did not start"
                raise RuntimeError(msg)
            time.sleep(0.01)
        self.port: int = self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/x"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


def _brand_world(sandbox: Sandbox) -> tuple[str, str]:
    brand = sandbox.add_user("acme")
    sandbox.add_user("ann")
    return brand.id, sandbox.credentials().consumer_secret


def _monitor(sandbox: Sandbox, store: Any, **kwargs: Any) -> Monitor:
    monitor = Monitor(sandbox.platform("acme"), store, start="now", **kwargs)
    monitor.add_webhook("care", events=("post.mention.create",))
    return monitor


def _subscribe(sandbox: Sandbox, url: str, brand_id: str) -> None:
    hook = sandbox.platform().create_webhook(url)
    sandbox.platform("acme").create_subscription(
        "post.mention.create", user_id=brand_id, webhook_id=hook.id
    )


# -- latency ------------------------------------------------------------------------------


@attrs.frozen
class Latency:
    events: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    delivered_once: int


def run_latency(events: int, store_path: Path) -> Latency:
    sandbox = Sandbox()
    brand_id, secret = _brand_world(sandbox)
    store = SQLiteStore(store_path, clock=sandbox.clock, create_schema=True)
    monitor = _monitor(sandbox, store)
    arrived: dict[str, float] = {}
    counts: Counter[str] = Counter()

    @monitor.on("care")
    def handle(post: Post) -> None:
        arrived.setdefault(post.id, time.perf_counter())
        counts[post.id] += 1

    receiver = WebhookReceiver(secret, replay_guard=MemoryReplayGuard(), clock=sandbox.clock)
    receiver.on_any(monitor.receive_event)
    served = Served(receiver.asgi_app())
    try:
        _subscribe(sandbox, served.url, brand_id)
        monitor.run_once()
        latencies: list[float] = []
        for i in range(events):
            start = time.perf_counter()
            post = sandbox.add_post("ann", f"@acme order {i} is late")
            sandbox.deliver_pending()
            latencies.append(arrived[post.id] - start)
    finally:
        served.stop()
        store.close()
    ms = sorted(x * 1000 for x in latencies)
    return Latency(
        events=events,
        p50_ms=statistics.median(ms),
        p99_ms=ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        mean_ms=statistics.fmean(ms),
        delivered_once=sum(1 for c in counts.values() if c == 1),
    )


# -- throughput ---------------------------------------------------------------------------


async def _trivial(_scope: Scope, receive: Receive, send: Send) -> None:
    more = True
    while more:
        message = await receive()
        more = bool(message.get("more_body", False))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"received": true}'})


def _router(secret: str) -> ASGI:
    """``/trivial``, ``/webhooks/x`` (receiver) and ``/monitor`` (receiver + monitor)."""
    plain = WebhookReceiver(secret, replay_guard=MemoryReplayGuard())
    plain.on_any(lambda _event: None)
    sandbox = Sandbox()
    brand_id, _ = _brand_world(sandbox)
    monitor = Monitor(sandbox.platform("acme"), MemoryStore(), brand_user_id=brand_id)
    monitor.add_webhook("care", events=("post.mention.create",))
    monitor.on("care")(lambda _post: None)
    full = WebhookReceiver(secret, replay_guard=MemoryReplayGuard())
    full.on_any(monitor.receive_event)
    apps: dict[str, ASGI] = {
        "/trivial": _trivial,
        "/webhooks/x": plain.asgi_app(),
        "/monitor": full.asgi_app(),
    }

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        await apps[str(scope.get("path", "/trivial"))](scope, receive, send)

    return route


def _serve_router(secret: str, port: int, ready: Any) -> None:
    config = uvicorn.Config(
        _router(secret),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    ready.set()
    server.run()


def _bodies(secret: str, brand_id: str, n: int, seed: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        post_id = str(2_000_000_000_000_000_000 + seed * 10_000_000 + i)
        envelope = {
            "data": {
                "event_uuid": f"{seed}-{i}",
                "filter": {"user_id": brand_id},
                "event_type": "post.mention.create",
                "tag": "care",
                "payload": {
                    "id": post_id,
                    "text": f"@acme order {i} is late",
                    "author_id": "42",
                    "created_at": "2026-11-02T09:00:00.000Z",
                    "edit_history_tweet_ids": [post_id],
                },
            }
        }
        body = json.dumps(envelope).encode()
        out.append((body, delivery_signature(body, secret)))
    return out


def _load(
    port: int, path: str, bodies: list[tuple[bytes, str]], seconds: float, clients: int
) -> float:
    """Requests answered 200 per second by ``path`` with ``clients`` keep-alive connections."""
    done = [0] * clients
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds
    share = len(bodies) // clients

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = bodies[k * share : (k + 1) * share]
        i = 0
        while time.perf_counter() < stop_at and i < len(mine):
            body, signature = mine[i]
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "content-type": "application/json",
                    "x-twitter-webhooks-signature": signature,
                },
            )
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                done[k] += 1
            else:
                errors[k] += 1
            i += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if sum(errors):
        msg = f"{path}: {sum(errors)} requests failed"
        raise RuntimeError(msg)
    return sum(done) / (time.perf_counter() - started)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@attrs.frozen
class Throughput:
    """Requests per wall second, and per CPU second of the server process, by path."""

    trivial: float
    receiver: float
    monitor: float
    trivial_cpu: float
    receiver_cpu: float
    monitor_cpu: float

    @property
    def receiver_ratio(self) -> float:
        return self.receiver / self.trivial

    @property
    def monitor_ratio(self) -> float:
        return self.monitor / self.trivial

    @property
    def receiver_cpu_ratio(self) -> float:
        return self.receiver_cpu / self.trivial_cpu

    @property
    def monitor_cpu_ratio(self) -> float:
        return self.monitor_cpu / self.trivial_cpu


def run_throughput(seconds: float, clients: int, rounds: int = 3) -> Throughput:
    secret = "bench-consumer-secret"  # noqa: S105 - a benchmark's own key
    brand_id = "1000"
    with socket_port() as port:
        pass
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    server = ctx.Process(target=_serve_router, args=(secret, port, ready), daemon=True)
    server.start()
    ready.wait(30)
    _wait_port(port)
    rates: dict[str, list[float]] = {"/trivial": [], "/webhooks/x": [], "/monitor": []}
    per_cpu: dict[str, list[float]] = {path: [] for path in rates}
    per_round = max(2_000, int(seconds * 6_000))
    try:
        for r in range(rounds):
            for path in list(rates):
                bodies = _bodies(secret, brand_id, per_round, seed=r)
                cpu = _cpu_seconds(server.pid or 0)
                began = time.perf_counter()
                rate = _load(port, path, bodies, seconds, clients)
                answered = rate * (time.perf_counter() - began)
                rates[path].append(rate)
                per_cpu[path].append(answered / max(1e-9, _cpu_seconds(server.pid or 0) - cpu))
    finally:
        server.terminate()
        server.join()
    return Throughput(
        trivial=statistics.median(rates["/trivial"]),
        receiver=statistics.median(rates["/webhooks/x"]),
        monitor=statistics.median(rates["/monitor"]),
        trivial_cpu=statistics.median(per_cpu["/trivial"]),
        receiver_cpu=statistics.median(per_cpu["/webhooks/x"]),
        monitor_cpu=statistics.median(per_cpu["/monitor"]),
    )


class socket_port:  # noqa: N801 - used as a context manager
    """A free port on 127.0.0.1 (bound, then released for the server)."""

    def __enter__(self) -> int:
        import socket  # noqa: PLC0415

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def _wait_port(port: int) -> None:
    import socket  # noqa: PLC0415

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    msg = f"nothing listens on {port}"
    raise RuntimeError(msg)


# -- failover -----------------------------------------------------------------------------


@attrs.frozen
class Failover:
    events: int
    handled_once: int
    handled_twice: int
    missing: int
    outage_s: float
    created_during_outage: int
    catch_up_s: float
    detected_s: float | None
    polls: int

    @property
    def exactly_once(self) -> bool:
        return self.handled_once == self.events and not self.handled_twice


def run_failover(
    events: int, rate: float, store_path: Path, seed: int = 7, *, timeout: float = 1.0
) -> Failover:
    rng = random.Random(seed)
    sandbox = Sandbox(clock=SystemClock())
    brand_id, secret = _brand_world(sandbox)
    store = SQLiteStore(store_path, create_schema=True)
    monitor = _monitor(
        sandbox, store, poll_interval=1.0, realtime_timeout=timeout, safety_interval=60.0
    )
    counts: Counter[str] = Counter()
    handled_at: dict[str, float] = {}
    lock = threading.Lock()

    @monitor.on("care")
    def handle(post: Post) -> None:
        with lock:
            counts[post.id] += 1
            handled_at.setdefault(post.id, time.perf_counter())

    receiver = WebhookReceiver(secret, replay_guard=MemoryReplayGuard())
    receiver.on_any(monitor.receive_event)
    served = Served(receiver.asgi_app())
    port = served.port
    _subscribe(sandbox, served.url, brand_id)
    monitor.run_once()
    runner = threading.Thread(
        target=monitor.run_forever, kwargs={"handle_signals": False}, daemon=True
    )
    runner.start()
    created: list[tuple[str, float]] = []
    kill_at = rng.uniform(0.2, 0.6) * events
    outage = rng.uniform(1.0, 4.0)
    down_at = up_at = 0.0
    detected: float | None = None
    with sandbox.deliver_automatically(interval=0.01):
        start = time.perf_counter()
        for i in range(events):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            if i == int(kill_at):
                served.stop()
                down_at = time.perf_counter()
            if down_at and not up_at and time.perf_counter() - down_at >= outage:
                served = Served(receiver.asgi_app(), port=port)
                up_at = time.perf_counter()
            watching = down_at and not up_at and detected is None
            if watching and not monitor.health().source("webhook").live:
                detected = time.perf_counter() - down_at
            post = sandbox.add_post("ann", f"@acme order {i} is late")
            created.append((post.id, time.perf_counter()))
        if not up_at:
            served = Served(receiver.asgi_app(), port=port)
            up_at = time.perf_counter()
        deadline = time.perf_counter() + 120
        before_restart = {pid for pid, at in created if at < up_at}
        while time.perf_counter() < deadline:
            with lock:
                if all(pid in counts for pid, _ in created):
                    break
            time.sleep(0.05)
        time.sleep(1.0)  # late retries that would be duplicates have had time to arrive
    monitor.stop()
    runner.join(30)
    served.stop()
    polled = monitor.health()["care"].requests_used
    store.close()
    during = sum(1 for _, at in created if down_at <= at < up_at)
    with lock:
        last = max((handled_at.get(pid, float("inf")) for pid in before_restart), default=up_at)
        once = sum(1 for pid, _ in created if counts[pid] == 1)
        twice = sum(1 for pid, _ in created if counts[pid] > 1)
        missing = sum(1 for pid, _ in created if counts[pid] == 0)
    return Failover(
        events=events,
        handled_once=once,
        handled_twice=twice,
        missing=missing,
        outage_s=up_at - down_at,
        created_during_outage=during,
        catch_up_s=max(0.0, last - up_at),
        detected_s=detected,
        polls=polled,
    )


# -- report -------------------------------------------------------------------------------


def _report(latency: Latency, throughput: Throughput, failover: Failover) -> str:
    detected = "n/a" if failover.detected_s is None else f"{failover.detected_s:.2f} s"
    lines = [
        (
            f"latency over {latency.events:,} events (post created -> handler, through "
            f"uvicorn): p50 {latency.p50_ms:.2f} ms, p99 {latency.p99_ms:.2f} ms, mean "
            f"{latency.mean_ms:.2f} ms; handled exactly once: {latency.delivered_once:,}"
        ),
        (
            f"throughput (same uvicorn server, same run): trivial app {throughput.trivial:,.0f}/s"
            f", receiver {throughput.receiver:,.0f}/s ({throughput.receiver_ratio:.0%}), "
            f"receiver + monitor {throughput.monitor:,.0f}/s ({throughput.monitor_ratio:.0%}); "
            f"per server CPU second: trivial {throughput.trivial_cpu:,.0f}, receiver "
            f"{throughput.receiver_cpu:,.0f} ({throughput.receiver_cpu_ratio:.0%}), receiver + "
            f"monitor {throughput.monitor_cpu:,.0f} ({throughput.monitor_cpu_ratio:.0%})"
        ),
        (
            f"failover over {failover.events:,} events: receiver down {failover.outage_s:.1f} s "
            f"({failover.created_during_outage:,} posts created meanwhile), detected after "
            f"{detected}; handled exactly once {failover.handled_once:,}, twice "
            f"{failover.handled_twice}, missing {failover.missing}; caught up "
            f"{failover.catch_up_s:.2f} s after the restart ({failover.polls} polls)"
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=150.0, help="failover: posts per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput: per round and path")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="a small run (200 events)")
    args = parser.parse_args()
    events = 200 if args.smoke else args.events
    seconds = 0.5 if args.smoke else args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        latency = run_latency(events, Path(tmp) / "latency.db")
        print(f"latency: {latency}", flush=True)
        throughput = run_throughput(seconds, args.clients)
        print(f"throughput: {throughput}", flush=True)
        failover = run_failover(events, args.rate, Path(tmp) / "failover.db", seed=args.seed)
        print(f"failover: {failover}", flush=True)
    print()
    print(_report(latency, throughput, failover))
    print(f"cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
