"""Soak: worker processes share one OAuth 2.0 grant for 48 simulated hours, with SIGKILLs.

The sandbox is served over HTTP on 127.0.0.1 and runs on a scaled clock
(``--speed`` simulated seconds per real second, the same formula in every
process). The grant (two-hour access tokens, single-use rotating refresh tokens)
is stored in SQLite or PostgreSQL; each worker process is an ``XPlatform`` on
``StoredTokens`` over that store and calls ``GET /2/users/me`` in a loop. The
parent SIGKILLs a random worker every so often and starts a new one in its place.

At the end the sandbox's counts must show: 0 requests failed for auth, no refresh
token used twice, and one refresh per expiry window (each access token was
refreshed once, the refreshes a token's lifetime minus the margin apart).

Run: ``python benchmarks/oauth_soak.py`` (PostgreSQL needs
``SOCIALCARE_TEST_POSTGRES_DSN``; results go to docs/performance.md by hand).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from socialcare.errors import AuthenticationError, SocialCareError
from socialcare.platforms.x import OAuth2Client, StoredTokens, XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import SQLiteStore, Store

UTC = dt.timezone.utc
SIM_START = dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
KEY = "x:acme"
LIFETIME = 7200.0


@attrs.frozen
class ScaledClock:
    """Simulated time: ``speed`` simulated seconds per real second since ``real_start``.

    Before ``real_start`` the time stands still (setup and worker start-up take none).
    """

    real_start: float
    speed: float
    offset: float = 0.0

    def now(self) -> dt.datetime:
        elapsed = max(0.0, time.time() - self.real_start) * self.speed
        return dt.datetime.fromtimestamp(SIM_START + self.offset + elapsed, UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speed if self.speed else seconds)


@attrs.define
class SoakResult:
    """What one soak run found."""

    backend: str
    workers: int
    hours: float
    speed: float
    margin: float
    peer: bool = False
    requests_ok: int = 0
    auth_failures: int = 0
    other_failures: int = 0
    retried_401: int = 0
    refreshes: int = 0
    expected_refreshes: int = 0
    fewest_refreshes: int = 0
    min_gap_hours: float = 0.0
    max_gap_hours: float = 0.0
    refresh_token_reuses: int = 0
    max_refresh_token_uses: int = 0
    kills: int = 0
    live_grant: bool = False
    seconds: float = 0.0

    @property
    def one_refresh_per_window(self) -> bool:
        """Every access token was refreshed once: inside its margin, before it expired.

        Consecutive refreshes are at least ``LIFETIME - margin`` apart (a token is never
        refreshed before its margin, so never twice) and at most ``LIFETIME`` (none
        expired unrefreshed); so over the run there are between ``hours / LIFETIME`` and
        ``hours / (LIFETIME - margin)`` refreshes (workers notice the margin on their
        next request, so the count sits between the two).
        """
        lifetime = LIFETIME / 3600
        return (
            self.fewest_refreshes <= self.refreshes <= self.expected_refreshes
            and self.max_gap_hours <= lifetime
            and (self.refreshes < 2 or self.min_gap_hours >= lifetime - self.margin / 3600 - 1e-6)
        )

    @property
    def clean(self) -> bool:
        return (
            self.auth_failures == 0
            and self.refresh_token_reuses == 0
            and self.max_refresh_token_uses <= 1
            and self.live_grant
            and self.one_refresh_per_window
        )


class EveryoneLeases:
    """The peer: no coordination (every worker that finds the token due refreshes it)."""

    def claim_lease(self, key: str, owner: str, *, ttl: float) -> bool:  # noqa: ARG002
        return True

    def release_lease(self, key: str, owner: str) -> bool:  # noqa: ARG002
        return True


def open_store(spec: dict[str, Any]) -> Store:
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"], create_schema=True)
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    return PostgresStore(spec["dsn"], schema=spec["schema"], create_schema=True, max_size=2)


# ------------------------------------------------------------------------- worker


def _client(spec: dict[str, Any], clock: ScaledClock, **options: Any) -> OAuth2Client:
    """The app's OAuth 2.0 client, as the parent registered it, talking to the sandbox."""
    return OAuth2Client(
        spec["client_id"],
        client_secret=spec["client_secret"],
        redirect_uri=spec["redirect_uri"],
        api_host=spec["url"],
        clock=clock,
        **options,
    )


def once(spec: dict[str, Any]) -> None:
    """Wait for the start file, ask for a token once, print its hash and whether it refreshed."""
    clock = ScaledClock(0.0, 0.0, spec["offset"])
    with open_store(spec) as store:
        client = _client(spec, clock)
        tokens = StoredTokens(client, store, KEY, margin=600, lease_ttl=30, wait=60, poll=0.01)
        Path(spec["ready"]).touch()
        while not Path(spec["go"]).exists():
            time.sleep(0.001)
        token = tokens.access_token()
        x = XPlatform(token_provider=tokens, api_host=spec["url"], clock=clock)
        print(
            json.dumps(
                {
                    "token": hashlib.sha256(token.encode()).hexdigest(),
                    "refreshes": tokens.refreshes,
                    "me": x.me().username,
                }
            )
        )


def worker(spec: dict[str, Any]) -> None:
    """One worker process: call ``me()`` until the deadline, counting outcomes to a file."""
    clock = ScaledClock(spec["real_start"], spec["speed"])
    out = Path(spec["out"])
    counts = {"ok": 0, "auth": 0, "other": 0, "refreshes": 0, "errors": []}

    def flush() -> None:
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(counts))
        tmp.replace(out)

    with open_store(spec) as store:
        client = _client(spec, clock, timeout=10)
        tokens = StoredTokens(
            client,
            store,
            KEY,
            leases=EveryoneLeases() if spec.get("peer") else None,
            margin=spec["margin"],
            lease_ttl=spec["lease_ttl"],
            wait=spec["wait"],
            poll=0.01,
        )
        x = XPlatform(token_provider=tokens, api_host=spec["url"], clock=clock, max_attempts=3)
        last = time.monotonic()
        while time.time() < spec["deadline"]:
            try:
                x.me()
                counts["ok"] += 1
            except AuthenticationError as exc:
                counts["auth"] += 1
                counts["errors"].append(str(exc)[:200])
                flush()
            except SocialCareError as exc:
                counts["other"] += 1
                counts["errors"].append(f"{type(exc).__name__}: {str(exc)[:160]}")
                flush()
            counts["refreshes"] = tokens.refreshes
            if time.monotonic() - last > 0.2:
                flush()
                last = time.monotonic()
            time.sleep(spec["pause"])
        flush()


# ------------------------------------------------------------------------- parent


@contextmanager
def _database(backend: str, tmp: Path) -> Iterator[dict[str, Any]]:
    if backend == "sqlite":
        yield {"kind": "sqlite", "path": str(tmp / "care.db")}
        return
    dsn = os.environ.get("SOCIALCARE_TEST_POSTGRES_DSN")
    if not dsn:
        msg = "SOCIALCARE_TEST_POSTGRES_DSN is not set"
        raise SystemExit(msg)
    schema = f"sc_soak_{uuid.uuid4().hex[:12]}"
    try:
        yield {"kind": "postgres", "dsn": dsn, "schema": schema}
    finally:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _spawn(spec: dict[str, Any], name: str, tmp: Path) -> subprocess.Popen[bytes]:
    mine = {**spec, "out": str(tmp / f"{name}.json")}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", json.dumps(mine)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_soak(
    backend: str = "sqlite",
    *,
    workers: int = 4,
    hours: float = 48.0,
    speed: float = 900.0,
    margin: float = 3000.0,
    kill_every: float = 2.0,
    pause: float = 0.1,
    seed: int = 18,
    peer: bool = False,
) -> SoakResult:
    """Run the soak; return what the sandbox and the workers counted."""
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as name, _database(backend, Path(name)) as db:
        tmp = Path(name)
        # Simulated time starts once the workers had time to start (3 s).
        real_start = time.time() + 3.0
        clock = ScaledClock(real_start, speed)
        sandbox = Sandbox(clock=clock, rate_limits=False)
        sandbox.add_user("acme")
        app = sandbox.register_oauth2_app("acme")
        with sandbox.serve() as server, open_store(db) as store:
            client = OAuth2Client(
                app.client_id,
                client_secret=app.client_secret,
                redirect_uri=app.redirect_uri,
                api_host=server.url,
                clock=clock,
            )
            request = client.authorization()
            token = client.exchange(request, sandbox.approve(request.url))
            store.put_token(token.record(KEY))
            real_seconds = hours * 3600 / speed
            spec = {
                **db,
                "url": server.url,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uri": app.redirect_uri,
                "real_start": real_start,
                "speed": speed,
                "deadline": real_start + real_seconds,
                "margin": margin,
                # Real seconds, like the store's clock: half the margin, so a killed
                # refresher's lease runs out long before the token does.
                "lease_ttl": margin / speed / 2,
                "wait": 30.0,
                "pause": pause,
                "peer": peer,
            }
            procs = {f"w{i}-0": _spawn(spec, f"w{i}-0", tmp) for i in range(workers)}
            kills = 0
            while time.time() < spec["deadline"]:
                time.sleep(min(rng.uniform(0.3, 2 * kill_every), spec["deadline"] - time.time()))
                if time.time() >= spec["deadline"] or not kill_every:
                    continue
                victim = rng.choice(sorted(procs))
                procs[victim].send_signal(signal.SIGKILL)
                procs[victim].wait()
                kills += 1
                slot, generation = victim.split("-")
                fresh = f"{slot}-{int(generation) + 1}"
                del procs[victim]
                procs[fresh] = _spawn(spec, fresh, tmp)
            for proc in procs.values():
                proc.wait(timeout=120)
            result = SoakResult(backend, workers, hours, speed, margin, peer=peer)
            _tally(result, margin, sandbox, tmp, store)
            result.kills = kills
    result.seconds = time.monotonic() - started
    return result


def _tally(
    result: SoakResult, margin: float, sandbox: Sandbox, tmp: Path, store: Store
) -> SoakResult:
    hours = result.hours
    errors: list[str] = []
    for path in tmp.glob("w*.json"):
        counts = json.loads(path.read_text())
        result.requests_ok += counts["ok"]
        result.auth_failures += counts["auth"]
        result.other_failures += counts["other"]
        errors += counts["errors"]
    me = [c for c in sandbox.calls if c.endpoint == "GET /2/users/me"]
    result.retried_401 = sum(1 for c in me if c.status == 401)
    server = sandbox.oauth2
    times = [r.at for r in server.refreshes]
    result.refreshes = len(times)
    gaps = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(times)]
    result.min_gap_hours = min(gaps, default=0.0)
    result.max_gap_hours = max(gaps, default=0.0)
    # A token is refreshed when it enters the margin: every LIFETIME - margin seconds
    # (the default 50-minute margin puts no refresh on the last instant of 48 hours).
    result.expected_refreshes = int(hours * 3600 // (LIFETIME - margin))
    result.fewest_refreshes = int(hours * 3600 // LIFETIME)
    result.refresh_token_reuses = server.reused_refresh_tokens
    result.max_refresh_token_uses = max(server.refresh_token_uses.values(), default=0)
    record = store.get_token(KEY)
    result.live_grant = record is not None and record.problem is None
    if errors:
        print("worker errors (first 5):", *errors[:5], sep="\n  ")
    return result


def report(result: SoakResult) -> str:
    return (
        f"| {result.backend} | {'none (peer)' if result.peer else 'store lease'} | "
        f"{result.workers} | {result.hours:g} h | {result.kills} | "
        f"{result.requests_ok:,} | {result.auth_failures} | {result.other_failures} | "
        f"{result.retried_401} | {result.refreshes} ({result.fewest_refreshes}-"
        f"{result.expected_refreshes}) | "
        f"{result.min_gap_hours:.2f}-{result.max_gap_hours:.2f} h | "
        f"{result.max_refresh_token_uses} | {result.refresh_token_reuses} | "
        f"{'yes' if result.clean else 'NO'} | {result.seconds:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--once", help=argparse.SUPPRESS)
    parser.add_argument("--hours", type=float, default=48.0)
    parser.add_argument("--speed", type=float, default=900.0)
    parser.add_argument("--backends", default="postgres:8,sqlite:4")
    parser.add_argument(
        "--peer-hours",
        type=float,
        default=12.0,
        help="also run the uncoordinated peer this long on each backend (0: not at all)",
    )
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.once:
        once(json.loads(args.once))
        return
    print(
        "| backend | coordination | workers | simulated | SIGKILLs | requests ok | auth failures | "
        "other failures | 401 retried | refreshes (bounds) | refresh gaps | "
        "max uses of a refresh token | reuses refused | clean | wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for item in args.backends.split(","):
        backend, count = item.split(":")
        result = run_soak(backend, workers=int(count), hours=args.hours, speed=args.speed)
        print(report(result), flush=True)
        if args.peer_hours:
            peer = run_soak(
                backend, workers=int(count), hours=args.peer_hours, speed=args.speed, peer=True
            )
            print(report(peer), flush=True)


if __name__ == "__main__":
    main()
