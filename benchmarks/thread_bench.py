"""Threading speed and memory on synthetic twcs-shaped forests, next to networkx; backfill economy.

The generator builds conversation forests shaped like twcs (Kaggle "Customer Support on
Twitter"): conversation sizes drawn from a heavy-tailed distribution fitted to
``twcs_prefix_5000.csv`` (mean about 3.8 posts, a few above 100), replies that mostly
alternate customer / brand down one chain with some branching, a share of parents left
out (missing), some duplicates, and the whole shuffled. Then, in one run:

* ``Threader.ingest`` over every post (posts/s, best of ``--runs``);
* networkx building the same groups and parent links the natural way: a ``DiGraph``
  with one node per post, an edge to its parent (the reply link) and one to its
  conversation's root (marked ``kind="conversation"`` so the parent links stay
  readable), then ``weakly_connected_components`` (best of ``--runs``);
* the two alternate, round by round, and each is timed in CPU time of the process, so
  other jobs on a shared machine weigh on both alike; best and median of the rounds,
  and the load average before and after (``os.getloadavg``);
* peak memory per post of the threader's own structures (tracemalloc, separate run;
  the ``Post`` values themselves are made beforehand and not counted);
* backfill against the sandbox: lookup requests per depth level next to the minimum
  ``ceil(missing / 100)``.

::

    python benchmarks/thread_bench.py --posts 1000000 --runs 3
    python benchmarks/thread_bench.py --posts 1000000 --no-conversation-id  # twcs-like
    python benchmarks/thread_bench.py --posts 1000000 --floor  # with the bounds below

``--floor`` also times two loops that are not threaders but bounds on any pure-Python
one (``run_floor``): the bare floor (fields read, one table insert, one list append per
post) and the floor plus the parent lookup that finding missing parents needs.

Targets (issue 12): >= 500,000 posts/s and >= 5x networkx on 1,000,000 posts.
networkx is a benchmark-only dependency (``pip install networkx``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import random
import statistics
import time
import tracemalloc

from socialcare.models import Post, ReferencedPost
from socialcare.threads import Threader

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
BRANDS = [f"9{n:03d}" for n in range(20)]


def conversation_size(rng: random.Random) -> int:
    """A size from a discrete Pareto-like tail: mostly 2-4 posts, rarely > 100."""
    size = int(1 + rng.paretovariate(1.6) * 1.4)
    return min(size, 400)


def forest(
    posts: int,
    *,
    seed: int = 12,
    missing: float = 0.005,
    duplicates: float = 0.01,
    conversation_ids: bool = True,
) -> tuple[list[Post], dict[str, int]]:
    """Shuffled twcs-shaped posts (with duplicates) and what the generator made."""
    rng = random.Random(seed)
    out: list[Post] = []
    dropped = 0
    conversations = 0
    next_id = 1_800_000_000_000_000_000
    while len(out) < posts:
        conversations += 1
        size = min(conversation_size(rng), posts - len(out))
        customer = str(rng.randrange(10**6))
        brand = rng.choice(BRANDS)
        start = T0 + dt.timedelta(seconds=rng.randrange(10**7))
        ids: list[str] = []
        for n in range(size):
            pid = str(next_id)
            next_id += 1
            if n == 0:
                parent = None
            elif rng.random() < 0.8:
                parent = ids[-1]  # down the chain
            else:
                parent = ids[rng.randrange(len(ids))]  # a branch
            author = (customer, brand)[n % 2] if rng.random() < 0.95 else str(rng.randrange(10**6))
            ids.append(pid)
            post = Post(
                id=pid,
                text="x",
                author_id=author,
                created_at=start + dt.timedelta(minutes=n),
                conversation_id=ids[0] if conversation_ids else None,
                referenced=(ReferencedPost(type="replied_to", id=parent),) if parent else (),
            )
            if n and rng.random() < missing:
                dropped += 1  # left out: its children hang under a placeholder
                continue
            out.append(post)
    extra = rng.sample(out, int(len(out) * duplicates))
    out.extend(extra)
    rng.shuffle(out)
    return out, {
        "posts": len(out) - len(extra),
        "duplicates": len(extra),
        "dropped": dropped,
        "conversations": conversations,
    }


def run_threader(posts: list[Post]) -> tuple[float, Threader]:
    gc.collect()
    gc.disable()
    try:
        threader = Threader(brands=BRANDS)
        start = time.process_time()
        threader.ingest(posts)
        return time.process_time() - start, threader
    finally:
        gc.enable()


def run_networkx(posts: list[Post]) -> tuple[float, int]:
    import networkx as nx  # noqa: PLC0415 - benchmark-only dependency

    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        graph = nx.DiGraph()
        for post in posts:
            if post.is_retweet:
                continue
            graph.add_node(post.id)
            parent = post.replied_to_id
            if parent is not None:
                graph.add_edge(post.id, parent)
            if post.conversation_id is not None and post.conversation_id != post.id:
                graph.add_edge(post.id, post.conversation_id, kind="conversation")
        groups = sum(1 for _ in nx.weakly_connected_components(graph))
        return time.process_time() - start, groups
    finally:
        gc.enable()


def run_floor(posts: list[Post], *, parents: bool) -> float:
    """The least any threader does per post, as a bound (``--floor``); not a threader.

    Read the id, the reply reference and the conversation id, put the post in the id
    table and its id in its conversation's list: no duplicates, edits, quotes,
    retweets, placeholders or merges. With ``parents``, also the one lookup a threader
    cannot skip to find missing parents (is the replied-to post held, and in the same
    conversation?), with the misses checked again after the batch.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        held: dict[str, Post] = {}
        groups: dict[str | None, list[str]] = {}
        later: list[tuple[str, str | None]] = []
        for post in posts:
            pid = post.id
            refs = post.referenced
            cid = post.conversation_id
            held[pid] = post
            members = groups.get(cid)
            if members is None:
                groups[cid] = [pid]
            else:
                members.append(pid)
            if parents and refs:
                replied = refs[0].id
                above = held.get(replied)
                if above is None or above.conversation_id != cid:
                    later.append((replied, cid))
        for replied, cid in later:
            above = held.get(replied)
            if above is None or above.conversation_id != cid:
                groups.setdefault(cid, []).append(replied)
        return time.process_time() - start
    finally:
        gc.enable()


def memory_per_post(posts: list[Post]) -> float:
    gc.collect()
    tracemalloc.start()
    threader = Threader(brands=BRANDS)
    threader.ingest(posts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(threader)


def backfill_economy(chains: int, depth: int) -> dict[str, object]:
    from socialcare.conversations import backfill  # noqa: PLC0415
    from socialcare.testing import make_sandbox  # noqa: PLC0415

    sandbox = make_sandbox(users=["acme", "ann", "bob"], rate_limits=False)
    leaves = []
    for i in range(chains):
        at = T0 + dt.timedelta(seconds=i)
        post = sandbox.add_post("ann", f"@acme help {i}", created_at=at)
        for level in range(depth):
            author = ("acme", "ann", "bob")[level % 3]
            post = sandbox.add_post(author, f"@ann {i}.{level}", in_reply_to=post, created_at=at)
        leaves.append(post)
    threader = Threader()
    threader.ingest(leaves)
    platform = sandbox.platform()
    # Level by level, with the minimum for what each level had to ask.
    levels = []
    minimum = []
    while threader.missing:
        wanted = len(threader.missing)
        before = len(sandbox.calls)
        report = backfill(platform, threader, max_depth=1)
        levels.append(sum(1 for c in sandbox.calls[before:] if c.endpoint == "GET /2/tweets"))
        minimum.append(math.ceil(wanted / 100))
        if report.stopped == "error":
            break
    return {
        "chains": chains,
        "depth": depth,
        "requests_per_level": levels,
        "minimum_per_level": minimum,
        "requests": sum(levels),
        "minimum": sum(minimum),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-conversation-id", action="store_true")
    parser.add_argument("--skip-networkx", action="store_true")
    parser.add_argument("--backfill-chains", type=int, default=1000)
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the least any threader does per post (see run_floor), as bounds",
    )
    args = parser.parse_args()
    posts, made = forest(args.posts, conversation_ids=not args.no_conversation_id)
    load_before = os.getloadavg()
    try:
        import networkx as nx  # noqa: F401, PLC0415 - only to know whether it is installed
    except ImportError:
        print("networkx is not installed (pip install networkx): comparison skipped")
        args.skip_networkx = True
    ours: list[float] = []
    theirs: list[float] = []
    stats: dict[str, int] = {}
    groups = 0
    floors: dict[str, list[float]] = {"floor": [], "floor_with_parent_check": []}
    for _ in range(args.runs):  # alternate, so a busy moment weighs on both
        if args.floor:
            floors["floor"].append(run_floor(posts, parents=False))
            floors["floor_with_parent_check"].append(run_floor(posts, parents=True))
        seconds, threader = run_threader(posts)
        ours.append(seconds)
        stats = threader.stats()
        del threader
        if not args.skip_networkx:
            seconds, groups = run_networkx(posts)
            theirs.append(seconds)
    result: dict[str, object] = {
        "generated": made,
        "threader": stats,
        "conversation_ids": not args.no_conversation_id,
        "threader_best_s": round(min(ours), 3),
        "threader_median_s": round(statistics.median(ours), 3),
        "threader_runs_s": [round(s, 3) for s in ours],
        "posts_per_s": round(len(posts) / min(ours)),
        "posts_per_s_median": round(len(posts) / statistics.median(ours)),
    }
    if theirs:
        assert groups == stats["conversations"], (groups, stats)
        result["networkx_best_s"] = round(min(theirs), 3)
        result["networkx_median_s"] = round(statistics.median(theirs), 3)
        result["networkx_runs_s"] = [round(s, 3) for s in theirs]
        result["speedup_vs_networkx"] = round(min(theirs) / min(ours), 2)
        result["speedup_vs_networkx_median"] = round(
            statistics.median(theirs) / statistics.median(ours), 2
        )
    for name, times in floors.items():
        if times:
            result[f"{name}_best_s"] = round(min(times), 3)
            result[f"{name}_posts_per_s"] = round(len(posts) / min(times))
            if theirs:
                result[f"{name}_vs_networkx"] = round(min(theirs) / min(times), 2)
    result["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    result["peak_bytes_per_post"] = round(memory_per_post(posts))
    result["backfill"] = backfill_economy(args.backfill_chains, 6)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
