"""The redirect app under a real WSGI server (waitress, loopback): click counts stay exact."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import waitress.server
from waitress import wasyncore

from socialcare.links import LinkTracker, redirect_app
from socialcare.storage import SQLiteStore


def test_waitress_serves_redirects_and_counts_every_click_once(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "links.db"), create_schema=True)
    tracker = LinkTracker(store, "https://acme.co")
    for code in ("reset", "faq"):
        tracker.create(f"https://acme.com/{code}", code=code)
    server = waitress.server.create_server(redirect_app(store), host="127.0.0.1", port=0, threads=4)
    port = server.socket.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        # The loop runs in short turns and stops between them: closing the server (and its
        # trigger) from another thread while the loop selects on it fails with EBADF.
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    runner = threading.Thread(target=serve, daemon=True)
    runner.start()
    statuses: list[int] = []
    lock = threading.Lock()

    def client(agent: str, paths: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # keep-alive
        try:
            for path in paths:
                conn.request("GET", path, headers={"User-Agent": agent})
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses.append(response.status)
                if response.status == 302:
                    assert response.getheader("Location", "").startswith("https://acme.com/")
        finally:
            conn.close()

    try:
        people = [
            threading.Thread(target=client, args=("Mozilla/5.0", ["/reset", "/faq"] * 6))
            for _ in range(3)
        ]
        bots = threading.Thread(target=client, args=("Twitterbot/1.0", ["/reset"] * 5))
        misses = threading.Thread(target=client, args=("Mozilla/5.0", ["/nope", "/../x"]))
        threads = [*people, bots, misses]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        stop.set()
        runner.join(5)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)
    assert sorted(statuses) == [302] * 41 + [404] * 2
    reset, faq = tracker.link("reset"), tracker.link("faq")
    assert reset is not None
    assert faq is not None
    assert (reset.clicks, reset.bot_clicks) == (18, 5)
    assert (faq.clicks, faq.bot_clicks) == (18, 0)
    store.close()
