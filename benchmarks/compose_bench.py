"""Benchmark: compose_reply on the 5,000 real care texts against parse_tweet on the same texts.

Every text of ``twcs_prefix_5000.csv`` (the ``text`` column) is used as a reply body to one
summoning post (author and brand given, so the reply-mention and summoned-reply rules run,
with an agent signature). The peer is ``socialcare.text.parse_tweet`` on the same texts in
the same run: composing must cost at most 2x parsing (issue 13). The target is checked with
``guard=None``; the private data guard (issue 14, on by default) is measured beside it.
Rounds alternate between the subjects and the best round (CPU time of the process) counts.

    python benchmarks/compose_bench.py [--seconds 2] [--rounds 3] [--profile] [--floor]

``--floor`` also times ``stripped_composer``, the least any composer does (one weighing and
two values), as a bound on what the features may cost within the target.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from socialcare.compose import Draft, DraftPart, compose_reply  # noqa: E402
from socialcare.compose._draft import _LEADING_MENTION  # noqa: E402
from socialcare.models import Entities, MentionEntity, Post, User  # noqa: E402
from socialcare.text import V3, parse_tweet  # noqa: E402
from socialcare.text._parse import parse_or_weigh  # noqa: E402

SHARED = Path(os.environ.get("SOCIALCARE_SHARED_DIR", HERE.parent.parent / "shared"))
TARGET = 2.0

BRAND = User(id="1", username="acmehelp", name="Acme")
ANN = User(id="42", username="ann_k", name="Ann")
ASKED = Post(
    id="100",
    text="@acmehelp my parcel is late",
    author_id="42",
    conversation_id="100",
    entities=Entities(mentions=(MentionEntity(0, 9, "acmehelp", "1"),)),
)


def care_texts() -> list[str]:
    path = SHARED / "data" / "twcs" / "twcs_prefix_5000.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def subjects() -> dict[str, Callable[[str], object]]:
    def compose(policy: str, *, guard: bool = False) -> Callable[[str], object]:
        options: dict[str, Any] = {} if guard else {"guard": None}

        def run(text: str) -> object:
            return compose_reply(
                ASKED,
                text,
                author=ANN,
                brand=BRAND,
                signature="JD",
                policy=policy,  # type: ignore[arg-type]
                **options,
            )

        return run

    return {
        "parse_tweet (peer)": parse_tweet,
        'compose_reply(policy="truncate", guard=None)': compose("truncate"),
        'compose_reply(policy="thread", guard=None)': compose("thread"),
        'compose_reply(policy="truncate") (guard on, the default)': compose("truncate", guard=True),
    }


def stripped_composer(text: str) -> object:
    """A bound, not a composer (``--floor``): the least any ``compose_reply`` does.

    Strip the body, look at its first mention, weigh body and signature once, build the
    part and the draft. No fitting of long texts, links, price, reply context, checks.
    """
    body = text.strip()
    _LEADING_MENTION.match(body)
    whole = body + " ^JD"
    weighed, _ = parse_or_weigh(whole, V3, True, False)  # noqa: FBT003 - the weight, as compose
    part = object.__new__(DraftPart)
    part.__dict__.update(
        text=whole, length=weighed, limit=280, links=(), in_reply_to="100", index=0
    )
    draft = object.__new__(Draft)
    draft.__dict__.update(kind="reply", parts=(part,), in_reply_to="100", conversation_id="100")
    return draft


def measure(func: Callable[[str], object], texts: list[str], seconds: float) -> dict[str, float]:
    for text in texts[:200]:
        func(text)
    calls = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        for text in texts:
            func(text)
        calls += len(texts)
    return {
        "calls": calls,
        "wall": time.perf_counter() - wall0,
        "cpu": time.process_time() - cpu0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile compose_reply")
    parser.add_argument(
        "--floor", action="store_true", help="also time a stripped composer, as a bound"
    )
    args = parser.parse_args()
    texts = care_texts()
    funcs = subjects()
    if args.floor:
        funcs["stripped composer (bound, not a composer)"] = stripped_composer
    if args.profile:
        compose = funcs['compose_reply(policy="truncate", guard=None)']
        profiler = cProfile.Profile()
        profiler.enable()
        for text in texts:
            compose(text)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return 0
    best: dict[str, float] = {}  # microseconds of CPU per text
    for _ in range(args.rounds):
        for name, func in funcs.items():
            result = measure(func, texts, args.seconds)
            per_text = result["cpu"] / result["calls"] * 1e6
            best[name] = min(best.get(name, float("inf")), per_text)
    peer = best["parse_tweet (peer)"]
    print(f"{len(texts)} care texts, best of {args.rounds} rounds of {args.seconds} s (CPU)")
    print()
    print("| subject | µs per text | texts/s | vs parse_tweet |")
    print("|---|---:|---:|---:|")
    for name, micros in best.items():
        print(f"| `{name}` | {micros:.1f} | {1e6 / micros:,.0f} | {micros / peer:.2f}x |")
    worst = max(v for k, v in best.items() if "guard=None" in k) / peer
    verdict = "met" if worst <= TARGET else "NOT met"
    print()
    print(f"target compose (guard=None) <= {TARGET:.0f}x parse_tweet: {verdict} ({worst:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
