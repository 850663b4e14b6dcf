"""XPlatform's cost over raw tweepy, both against the same in-process sandbox.

Peer: ``tweepy.Client`` with the same fields and expansions, returning plain
dicts. Both run through the sandbox transport, so the ratio is what XPlatform
adds (model parsing, error choke point, retry wrapper, rate-limit bookkeeping).
Also times recent search over 5,000 twcs posts (the sandbox evaluating
``socialcare.Query`` on every post).

    python benchmarks/platform_overhead.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import tweepy

from socialcare.platforms.x import _POST_PARAMS
from socialcare.sandbox import Sandbox

ROUNDS = 200


def _best(fn, rounds=ROUNDS, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def main() -> None:
    sandbox = Sandbox(rate_limits=False)
    acme = sandbox.add_user("acme")
    for n in range(100):
        customer = sandbox.add_user(f"cust{n}")
        sandbox.add_post(customer, f"@acme order {n} is late #help")
    sandbox.clock.sleep(60)
    x = sandbox.platform(None)
    creds = sandbox.credentials()
    raw = tweepy.Client(bearer_token=creds.bearer_token, return_type=dict)
    raw.session.mount("https://api.twitter.com/", sandbox.transport())

    ours = _best(lambda: x.mentions(acme.id, max_results=100))
    peer = _best(lambda: raw.get_users_mentions(acme.id, max_results=100, **_POST_PARAMS))
    print(
        f"mentions page of 100: XPlatform {ours * 1e3:.2f} ms, raw tweepy {peer * 1e3:.2f} ms, "
        f"ratio {ours / peer:.2f}x"
    )

    shared = Path(
        os.environ.get("SOCIALCARE_SHARED_DIR", Path(__file__).parents[1].parent / "shared")
    )
    twcs = shared / "data" / "twcs" / "twcs_prefix_5000.csv"
    if twcs.exists():
        big = Sandbox(rate_limits=False)
        big.seed_twcs(twcs, rebase=True)
        big.clock.sleep(60)
        bx = big.platform(None)
        query = "@AppleSupport (battery OR update) -is:retweet"
        ours = _best(lambda: bx.search_recent(query, max_results=100), rounds=20)
        peer = _best(lambda: bx.get_posts([p.id for p in big.posts()[:100]]), rounds=20)
        print(
            f"recent search over 5,000 twcs posts: {ours * 1e3:.2f} ms per page; "
            f"lookup of 100 ids {peer * 1e3:.2f} ms; ratio {ours / peer:.2f}x"
        )


if __name__ == "__main__":
    main()
