"""XPlatform's cost over raw tweepy, both against the same in-process sandbox.

Peer: ``tweepy.Client`` with the same fields and expansions, returning plain
dicts. Both run through the sandbox transport, so the ratio is what XPlatform
adds (model parsing, error choke point, retry wrapper, rate-limit bookkeeping).
Also times a full-archive search page over 5,000 twcs posts through XPlatform and the
sandbox, against evaluating the same ``socialcare.Query`` on the same posts
in-process (the matching the sandbox is built on).

    python benchmarks/platform_bench.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import tweepy

from socialcare.platforms.x import MENTIONS
from socialcare.query import PostView, Query
from socialcare.sandbox import Sandbox

ROUNDS = 200
# The fields and expansions XPlatform asks for, as tweepy's keyword arguments.
POST_PARAMS = {key.replace(".", "_"): value for key, value in MENTIONS.field_params().items()}


def _compare(ours, peer, rounds=ROUNDS, repeat=7):
    """Best per-call time of each, measured alternately so machine load hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for slot, fn in enumerate((ours, peer)):
            start = time.perf_counter()
            for _ in range(rounds):
                fn()
            best[slot] = min(best[slot], (time.perf_counter() - start) / rounds)
    return best[0], best[1]


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

    ours, peer = _compare(
        lambda: x.mentions(acme.id, max_results=100),
        lambda: raw.get_users_mentions(acme.id, max_results=100, **POST_PARAMS),
    )
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
        parsed = Query.parse(query)
        users = {u.id: u for u in big.users()}
        views = [PostView(p, users) for p in big.posts()]  # prepared once, as the sandbox does

        def local_page():
            hits = []
            for view in views:
                if parsed.matches(view):
                    hits.append(view.post)
                    if len(hits) == 100:
                        break
            return hits

        ours, peer = _compare(lambda: bx.search_all(query, max_results=100), local_page, rounds=10)
        print(
            f"full-archive search over 5,000 twcs posts: XPlatform+sandbox {ours * 1e3:.2f} ms, "
            f"local Query.matches scan {peer * 1e3:.2f} ms, ratio {ours / peer:.2f}x"
        )


if __name__ == "__main__":
    main()
