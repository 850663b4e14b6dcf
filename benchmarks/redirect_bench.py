"""Benchmark: the redirect app under waitress with a SQLite store, next to a static WSGI app.

Both apps are served by waitress on 127.0.0.1 (free ports, same settings) in the same run;
a local load generator (threads, one keep-alive ``http.client`` connection each, loopback
only) sends ``GET /<code>`` to the redirect app and ``GET /`` to a trivial static app, for a
bounded number of requests and time. Target (issue 13): redirects/s >= 50% of static
responses/s. Afterwards the click counts must equal the redirect requests made, exactly.

    python benchmarks/redirect_bench.py [--threads 4] [--requests 4000] [--seconds 10]
        [--synchronous NORMAL|FULL] [--client-process]

By default the load generator runs in the servers' process (sharing its interpreter lock,
which adds the same client cost to both subjects); ``--client-process`` runs it in a
separate process instead, so only the server's own work is compared.

The store is opened with ``synchronous="NORMAL"`` by default, the setting docs/links.md
recommends for the redirect server's store (WAL: every click survives a process crash; a
power loss may roll back the last clicks); ``--synchronous FULL`` measures an fsync per click.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import waitress.server  # noqa: E402

from socialcare.links import LinkTracker, redirect_app  # noqa: E402
from socialcare.storage import SQLiteStore  # noqa: E402

TARGET = 0.5
CODES = [f"code{i}" for i in range(20)]


def static_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The peer: a fixed 302 with no store behind it."""
    del environ
    start_response("302 Found", [("Location", "https://acme.com/help"), ("Content-Length", "0")])
    return [b""]


def serve(app: Any, threads: int) -> tuple[Any, int, threading.Thread]:
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, port, thread


def load(
    port: int, paths: list[str], threads: int, requests: int, seconds: float
) -> dict[str, float]:
    """Send up to ``requests`` GETs (or stop at ``seconds``); count the 302s."""
    lock = threading.Lock()
    sent = [0]
    ok = [0]
    bad = [0]
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = index
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if sent[0] >= requests:
                        return
                    sent[0] += 1
                conn.request("GET", paths[i % len(paths)], headers={"User-Agent": "Mozilla/5.0"})
                response = conn.getresponse()
                response.read()
                with lock:
                    if response.status == 302:
                        ok[0] += 1
                    else:
                        bad[0] += 1
                i += threads
        finally:
            conn.close()

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return {"requests": sent[0], "ok": ok[0], "bad": bad[0], "seconds": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=4000, help="per subject and round")
    parser.add_argument("--seconds", type=float, default=10.0, help="cap per subject and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--synchronous", default="NORMAL", choices=["FULL", "NORMAL"], help="SQLite durability"
    )
    parser.add_argument(
        "--client-process", action="store_true", help="run the load generator in its own process"
    )
    args = parser.parse_args()
    pool = multiprocessing.get_context("spawn").Pool(1) if args.client_process else None
    socket.setdefaulttimeout(30)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1"
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(
            str(Path(tmp) / "links.db"), create_schema=True, synchronous=args.synchronous
        )
        tracker = LinkTracker(store, "https://acme.co")
        for code in CODES:
            tracker.create(f"https://acme.com/help/{code}", code=code)
        redirect, redirect_port, redirect_thread = serve(redirect_app(store), args.server_threads)
        static, static_port, static_thread = serve(static_app, args.server_threads)
        best: dict[str, float] = {}
        made = 0
        try:
            for _ in range(args.rounds):
                for name, port, paths in (
                    ("static", static_port, ["/"]),
                    ("redirect", redirect_port, [f"/{c}" for c in CODES]),
                ):
                    call = (port, paths, args.threads, args.requests, args.seconds)
                    result = load(*call) if pool is None else pool.apply(load, call)
                    if result["bad"]:
                        print(f"{name}: {result['bad']:.0f} answers were not 302")
                        return 1
                    if name == "redirect":
                        made += int(result["ok"])
                    rate = result["ok"] / result["seconds"]
                    best[name] = max(best.get(name, 0.0), rate)
        finally:
            if pool is not None:
                pool.close()
            redirect.close()
            static.close()
            redirect_thread.join(5)
            static_thread.join(5)
        clicks = sum(link.clicks for code in CODES if (link := tracker.link(code)) is not None)
        store.close()
    ratio = best["redirect"] / best["static"]
    print(
        f"waitress, {args.server_threads} server threads, {args.threads} keep-alive clients, "
        f"SQLite synchronous={args.synchronous}, "
        f"{'client in its own process' if pool else 'client in the server process'}, "
        f"best of {args.rounds} rounds of up to {args.requests} requests"
    )
    print()
    print("| app | responses/s | vs static |")
    print("|---|---:|---:|")
    print(f"| static WSGI app (peer) | {best['static']:,.0f} | 1.00x |")
    print(f"| `redirect_app` + SQLite | {best['redirect']:,.0f} | {ratio:.2f}x |")
    print()
    exact = "exact" if clicks == made else f"WRONG ({clicks} clicks for {made} redirects)"
    print(f"click counts: {clicks} for {made} redirect requests: {exact}")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"target redirects/s >= {TARGET:.0%} of static: {verdict} ({ratio:.0%})")
    return 0 if clicks == made else 1


if __name__ == "__main__":
    raise SystemExit(main())
