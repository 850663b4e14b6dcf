"""API economy of the Monitor: requests over a simulated day, next to the minimum possible.

A brand team watches N keyword streams (one per product line) polled every
``--interval`` seconds for a simulated day against the sandbox, while customers
post at a steady random rate. We count the recent-search requests the monitor
makes with query packing (the default), and, in the same run, the same monitor
without packing (one request per stream per poll: the naive peer).

The minimum possible, for the same poll times, is per poll
``max(G, ceil(new / 100))``: ``G`` is the fewest queries the streams' queries fit
into under X's 512-character limit (a lower bound: total length over 512, rounded
up), and ``ceil(new / 100)`` the fewest full pages that carry the ``new`` matching
posts. Run: ``python benchmarks/monitor_bench.py [--streams 24 --interval 300]``.

Then the price (``--price-days``, default 3): a care team's mentions stream and a
keyword search stream polled every ``--interval`` seconds for simulated days while
``--customers`` customers write ``@acme`` posts and answer the brand's replies (a
customer comes back on later days). Three monitors read the same posts, each on a
fresh sandbox whose ledger bills as X does (each post or user once per app and UTC
day): the old default (X's five default expansions on every read: authors, mentioned
users, reply targets, referenced posts and their authors), ``("author_id",)``, and
the author policy (no expansions; authors from the store, the missing ones in one
``GET /2/users?ids=`` per poll). It prints the billed price per cycle and per day and
the ratio to the old default measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import time
from typing import TYPE_CHECKING

import socialcare
from socialcare.platforms.x import SEARCH_RECENT
from socialcare.sandbox import Sandbox

if TYPE_CHECKING:
    from decimal import Decimal

PRODUCTS = (
    "router",
    "modem",
    "phone",
    "tablet",
    "laptop",
    "watch",
    "earbuds",
    "tv",
    "camera",
    "printer",
    "speaker",
    "console",
    "charger",
    "keyboard",
    "monitor",
    "drone",
    "scooter",
    "thermostat",
    "doorbell",
    "vacuum",
    "kettle",
    "fridge",
    "oven",
    "dishwasher",
    "dryer",
    "washer",
    "headset",
    "projector",
    "ereader",
    "smartlock",
    "lamp",
    "blender",
)
TROUBLE = ("broken", "outage", "refund", "late", "dead", "crash", "help", "warranty")
SEARCH = SEARCH_RECENT.name
START = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)


def _queries(streams: int) -> list[socialcare.Query]:
    return [
        socialcare.Query().terms("acme", product).any_of(*TROUBLE) for product in PRODUCTS[:streams]
    ]


def _day(*, streams: int, interval: int, rate: float, pack: bool, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    clock = socialcare.ManualClock(START)
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acme")
    customers = [sandbox.add_user(f"customer{n}") for n in range(50)]
    monitor = socialcare.Monitor(
        sandbox.platform(brand),
        socialcare.MemoryStore(clock=clock),
        clock=clock,
        poll_interval=interval,
        pack_queries=pack,
    )
    queries = _queries(streams)
    for n, query in enumerate(queries):
        monitor.add_search(f"product{n}", query)
    delivered = 0

    def count(_post: socialcare.Post) -> None:
        nonlocal delivered
        delivered += 1

    for n in range(streams):
        monitor.on(f"product{n}")(count)
    rendered = [q.render() for q in queries]
    groups_floor = math.ceil((sum(map(len, rendered)) + 6 * (len(rendered) - 1)) / 512)
    minimum = 0
    new_since_poll = 0
    started = time.perf_counter()
    for _second in range(0, 24 * 3600, 60):
        for _ in range(_poisson(rng, rate)):
            product = rng.randrange(streams)
            sandbox.add_post(
                rng.choice(customers),
                f"my acme {PRODUCTS[product]} is {rng.choice(TROUBLE)} again",
            )
            new_since_poll += 1
        for _ in range(_poisson(rng, rate)):
            sandbox.add_post(rng.choice(customers), "unrelated chatter about the weather")
        report = monitor.run_due()
        if report.polled:
            minimum += max(groups_floor, math.ceil(new_since_poll / 100))
            new_since_poll = 0
        clock.advance(60)
    elapsed = time.perf_counter() - started
    requests = sum(1 for c in sandbox.calls if c.endpoint == SEARCH)
    rate_limited = sum(1 for c in sandbox.calls if c.status == 429)
    return {
        "requests": requests,
        "minimum": minimum,
        "delivered": delivered,
        "rate_limited": rate_limited,
        "seconds": elapsed,
    }


def _price(
    *,
    days: int,
    interval: int,
    customers: int,
    rate: float,
    expansions: tuple[str, ...] | None,
    seed: int,
) -> dict[str, float]:
    """Poll a care team's streams for ``days``; return the billed price and what was seen."""
    rng = random.Random(seed)
    clock = socialcare.ManualClock(START)
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acme")
    people = [sandbox.add_user(f"customer{n}") for n in range(customers)]
    others = [sandbox.add_user(f"friend{n}") for n in range(20)]
    monitor = socialcare.Monitor(
        sandbox.platform(brand),
        socialcare.MemoryStore(clock=clock),
        clock=clock,
        poll_interval=interval,
        expansions=expansions,
    )
    monitor.add_mentions("mentions")
    monitor.add_search("outages", socialcare.Query().terms("acme").any_of(*TROUBLE))
    delivered = with_author = cycles = 0
    costs: list[Decimal] = []

    def count(_post: socialcare.Post) -> None:
        nonlocal delivered
        delivered += 1

    def alert(alert: socialcare.Alert) -> None:
        nonlocal with_author
        with_author += alert.author is not None

    monitor.on("mentions")(count)
    monitor.on("outages")(count)
    monitor.add_sink(socialcare.CallbackSink(alert))
    regulars = people[: customers // 4]  # a quarter of the customers write every day
    answered: list[socialcare.Post] = []
    for day in range(days):
        newcomers = people[customers // 4 :][day::days]
        today = regulars + newcomers
        for _minute in range(24 * 60):
            for _ in range(_poisson(rng, rate)):
                who = rng.choice(today)
                product = rng.choice(PRODUCTS)
                friend = rng.choice(others)
                if answered and rng.random() < 0.3:  # the customer answers the brand
                    parent = rng.choice(answered[-50:])
                    post = sandbox.add_post(who, "@acme still not fixed", in_reply_to=parent)
                else:
                    text = f"@acme my {product} is {rng.choice(TROUBLE)} cc @{friend.username}"
                    post = sandbox.add_post(who, text)
                if rng.random() < 0.5:  # the brand replies to half of them
                    answered.append(sandbox.add_post(brand, "@x we are on it", in_reply_to=post))
            report = monitor.run_due()
            if report.polled:
                cycles += 1
                costs.append(report.cost)
            clock.advance(60)
    total = sandbox.usage().total
    return {
        "total": float(total),
        "per_cycle": float(sum(costs)) / max(cycles, 1),
        "cycles": cycles,
        "delivered": delivered,
        "with_author": with_author,
        "user_reads": sandbox.usage().counts.get("user_read", 0),
    }


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; mean is small (posts per minute).
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=24)
    parser.add_argument("--interval", type=int, default=300, help="poll interval, seconds")
    parser.add_argument("--rate", type=float, default=1.5, help="matching posts per minute")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--price-days", type=int, default=3, help="0 skips the price run")
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--care-rate", type=float, default=0.5, help="care posts per minute")
    args = parser.parse_args()
    if args.price_days:
        _price_table(args)
    packed = _day(
        streams=args.streams, interval=args.interval, rate=args.rate, pack=True, seed=args.seed
    )
    naive = _day(
        streams=args.streams, interval=args.interval, rate=args.rate, pack=False, seed=args.seed
    )
    print(f"{args.streams} search streams, polled every {args.interval}s for a simulated day,")
    print(f"~{args.rate:g} matching posts/min ({packed['delivered']:.0f} delivered)")
    print(f"{'':28}{'requests':>10}{'vs minimum':>12}{'429s':>6}{'wall s':>8}")
    print(f"{'minimum possible':28}{packed['minimum']:>10.0f}{1:>12.2f}")
    for label, result in (("monitor (packed, default)", packed), ("naive (one per stream)", naive)):
        ratio = result["requests"] / packed["minimum"]
        print(
            f"{label:28}{result['requests']:>10.0f}{ratio:>12.2f}"
            f"{result['rate_limited']:>6.0f}{result['seconds']:>8.1f}"
        )
    assert packed["delivered"] == naive["delivered"], "packing must not change what is delivered"


def _price_table(args: argparse.Namespace) -> None:
    policies = (
        ("X default expansions (old)", tuple(SEARCH_RECENT.expansions)),
        ('expansions=("author_id",)', ("author_id",)),
        ("author policy (new default)", None),
    )
    results = [
        (
            label,
            _price(
                days=args.price_days,
                interval=args.interval,
                customers=args.customers,
                rate=args.care_rate,
                expansions=expansions,
                seed=args.seed,
            ),
        )
        for label, expansions in policies
    ]
    peer = results[0][1]
    print(
        f"Price: mentions + 1 search stream, polled every {args.interval}s for "
        f"{args.price_days} simulated days, {args.customers} customers, "
        f"~{args.care_rate:g} care posts/min ({peer['delivered']:.0f} deliveries)"
    )
    print(f"{'':30}{'$/cycle':>10}{'$/day':>9}{'user reads':>12}{'vs old':>8}{'authors':>9}")
    for label, result in results:
        print(
            f"{label:30}{result['per_cycle']:>10.4f}{result['total'] / args.price_days:>9.2f}"
            f"{result['user_reads']:>12.0f}{result['total'] / peer['total']:>8.2f}"
            f"{result['with_author'] / max(result['delivered'], 1):>9.0%}"
        )
    for label, result in results:
        assert result["delivered"] == peer["delivered"], f"{label} must deliver the same posts"
    print()


if __name__ == "__main__":
    main()
