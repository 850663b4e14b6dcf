"""Soak: thousands of polling cycles against a faulty sandbox; nothing lost, nothing twice.

A search stream ("acme") and a mentions stream run for ``--cycles`` cycles of
30 simulated seconds against the sandbox, with a small page budget
(``page_size=10, max_pages=2``) so that bursts of 25 to 60 posts overflow it and
must be walked as backlogs. In each cycle, with probability ``fault rate``, the
next platform call fails (5xx, 429, timeout, lost answer or slow answer), and the
alert sink is down (it fails whole batches, as a webhook does). One post in 50 is
poison: the handler raises on it and the sink refuses its alert every time.

After the faulty phase everything heals and the monitor runs until its backlogs
and alert outbox are empty. Then every seeded post must have reached the
handlers exactly once (poison ones: quarantined and reported), and the sink
exactly once (poison ones: given up and reported in health), or fall in a
reported gap. Run: ``python benchmarks/monitor_soak.py --cycles 3000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence

import attrs

import socialcare
from socialcare.sandbox import Sandbox

FAULTS = ("server_error", "rate_limit", "timeout", "lost_response", "slow")


@attrs.define
class SoakResult:
    """What one soak run found."""

    fault_rate: float
    cycles: int
    seeded: int = 0
    delivered: int = 0
    alerted: int = 0
    lost: int = 0
    duplicated: int = 0
    alerts_lost: int = 0
    alerts_duplicated: int = 0
    quarantined: int = 0
    alerts_given_up: int = 0
    gaps_reported: int = 0
    unreported_gaps: int = 0
    unreported_poison: int = 0
    requests: int = 0
    faults: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """0 lost, 0 duplicated, 0 unreported gaps or poison (handlers and sink)."""
        return not (
            self.lost
            or self.duplicated
            or self.alerts_lost
            or self.alerts_duplicated
            or self.unreported_gaps
            or self.unreported_poison
        )


class _Sink:
    """A sink that is down while ``down`` and always refuses poison alerts (atomically)."""

    name = "soak"

    def __init__(self, poison: set[str]) -> None:
        self.down = False
        self.poison = poison
        self.got: Counter[str] = Counter()

    def deliver(self, alerts: Sequence[socialcare.Alert]) -> None:
        if self.down:
            raise socialcare.AlertError("webhook down")
        if any(a.post.id in self.poison for a in alerts):
            raise socialcare.AlertError("the webhook refuses this post")
        self.got.update(f"{a.stream}:{a.post.id}" for a in alerts)

    def flush(self) -> None:
        return None


def run_soak(cycles: int, fault_rate: float, *, seed: int = 7) -> SoakResult:
    """Run the soak and check its invariants."""
    started = time.perf_counter()
    rng = random.Random(seed)
    clock = socialcare.ManualClock(dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc))
    sandbox = Sandbox(clock=clock)
    sandbox.add_user("acme")
    customers = [f"c{n}" for n in range(8)]
    for handle in customers:
        sandbox.add_user(handle)
    store = socialcare.MemoryStore(clock=clock)
    platform = sandbox.platform("acme", max_attempts=1, max_rate_limit_wait=0)
    monitor = socialcare.Monitor(
        platform, store, clock=clock, poll_interval=60, page_size=10, max_pages=2
    )
    monitor.add_search("brand", "acme")
    monitor.add_mentions("mentions")
    poison: set[str] = set()
    sink = _Sink(poison)
    monitor.add_sink(sink)
    handled: Counter[str] = Counter()  # "<stream>:<post id>": every stream gets its posts

    def handler(stream: str) -> Callable[[socialcare.Post], None]:
        def handle(post: socialcare.Post) -> None:
            handled[f"{stream}:{post.id}"] += 1
            if post.id in poison:
                raise RuntimeError("the handler cannot digest this post")

        return handle

    monitor.on("brand")(handler("brand"))
    monitor.on("mentions")(handler("mentions"))
    result = SoakResult(fault_rate=fault_rate, cycles=cycles)
    seeded: list[str] = []  # "<stream>:<post id>" for every stream a seeded post is on
    quarantined: set[str] = set()
    given_up: set[str] = set()
    gaps: list[tuple[str, str]] = []

    def seed_first() -> None:
        post = sandbox.add_post("c0", "acme hello")
        seeded.append(f"brand:{post.id}")
        clock.advance(1)

    def note(report: socialcare.CycleReport) -> None:
        quarantined.update(q[1] for q in report.quarantined)
        given_up.update(report.alerts_failed)
        gaps.extend(report.gaps)

    seed_first()
    note(monitor.run_once())
    for cycle in range(cycles):
        burst = rng.random() < 0.04
        for _ in range(rng.randint(25, 60) if burst else rng.randint(0, 3)):
            text = rng.choice(("acme router down", "@acme help please", "acme billing"))
            post = sandbox.add_post(rng.choice(customers), f"{text} #{cycle}")
            seeded.append(f"brand:{post.id}")
            if text.startswith("@acme"):
                seeded.append(f"mentions:{post.id}")
            if rng.random() < 0.02:
                poison.add(post.id)
        faulty = rng.random() < fault_rate
        sink.down = faulty and rng.random() < 0.5
        if faulty:
            result.faults += 1
            sandbox.fail_next(rng.choice(FAULTS), retry_after=90, delay=60)
        clock.advance(30)
        note(monitor.run_due())
    sandbox.clear_faults()
    sink.down = False
    healed_at = clock.now()
    for _ in range(1000):  # heal: poll until every stream caught up and the outbox is empty
        clock.advance(120)
        note(monitor.run_due())
        health = monitor.health()
        caught_up = all(
            s.backlog is None and s.last_success_at is not None and s.last_success_at > healed_at
            for s in health.streams
        )
        if caught_up and not health.alerts_pending:
            break
    result.seeded = len(seeded)
    result.delivered = sum(handled.values())
    result.alerted = sum(sink.got.values())
    result.quarantined = len(quarantined)
    result.alerts_given_up = len(given_up)
    result.gaps_reported = len(gaps)
    result.requests = monitor.health().requests_used
    _tally(
        result,
        seeded,
        handled,
        sink.got,
        poison=poison,
        quarantined=quarantined,
        given_up=given_up,
        gaps=gaps,
    )
    result.seconds = time.perf_counter() - started
    return result


def _tally(
    result: SoakResult,
    seeded: Sequence[str],
    handled: Counter[str],
    alerted: Counter[str],
    *,
    poison: set[str],
    quarantined: set[str],
    given_up: set[str],
    gaps: Sequence[tuple[str, str]],
) -> None:
    """Check every seeded post on each of its streams: handled and alerted once, or reported."""
    given_up_posts = {key.split(":", 1)[1] for key in given_up}  # alert:<sink>:<stream>:<id>
    given_up_posts = {key.split(":", 1)[1] for key in given_up_posts}
    for key in seeded:
        post_id = key.rsplit(":", 1)[1]
        count = handled[key]
        if count == 0:
            if gaps:
                continue  # missing, inside a reported gap
            result.lost += 1
            result.unreported_gaps += 1
        elif count > 1:
            result.duplicated += 1
        if post_id in poison and count and post_id not in quarantined:
            result.unreported_poison += 1
        if count and key not in given_up_posts:
            alerts = alerted[key]
            result.alerts_lost += alerts == 0
            result.alerts_duplicated += alerts > 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.3, 0.7])
    args = parser.parse_args()
    logging.getLogger("socialcare").setLevel(logging.ERROR)  # the faults are the point
    columns = (
        "faults",
        "cycles",
        "seeded",
        "handled",
        "lost",
        "dup",
        "sink",
        "sink lost",
        "sink dup",
        "quarantined",
        "given up",
        "gaps",
        "unreported",
        "requests",
        "s",
    )
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    for rate in args.rates:
        r = run_soak(args.cycles, rate)
        row = (
            f"{rate:.0%}",
            r.cycles,
            r.seeded,
            r.delivered,
            r.lost,
            r.duplicated,
            r.alerted,
            r.alerts_lost,
            r.alerts_duplicated,
            r.quarantined,
            r.alerts_given_up,
            r.gaps_reported,
            r.unreported_gaps,
            r.requests,
            f"{r.seconds:.1f}",
        )
        print(" | ".join(str(v) for v in row))


if __name__ == "__main__":
    main()
