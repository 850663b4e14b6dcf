"""Benchmark: the private data guard's precision and recall per kind, and its speed.

Quality: every kind's precision and recall on the labelled set of ``tests/privacy/
labelled_set.py`` (built at run time from ``../shared``: real care texts read by hand,
real texts without candidates, and real texts with generated values inserted), with the
default guard and with phone numbers also read as Indian, Nigerian and Kenyan ones; then
on the real texts alone.

Speed (CPU time of the process, best of the rounds): ``PrivateDataGuard.scan`` on the
5,000 texts of ``twcs_prefix_5000.csv`` next to ``socialcare.text.parse_tweet`` on the
same texts (the peer, same run); ``compose_reply`` with the guard (the default) next to
``guard=None``; and scan time per 1,000 characters on texts 1x, 10x and 100x as long
(linear-ish scanning keeps it flat).

    python benchmarks/privacy_bench.py [--seconds 1] [--rounds 3] [--write]

``--write`` replaces the section between the privacy-bench markers of
``docs/performance.md`` with the tables printed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.privacy.labelled_set import Item, build, origins, score  # noqa: E402

from socialcare.compose import compose_reply  # noqa: E402
from socialcare.models import Entities, MentionEntity, Post, User  # noqa: E402
from socialcare.privacy import PRIVATE_KINDS, PrivateDataGuard  # noqa: E402
from socialcare.text import parse_tweet  # noqa: E402

SHARED = Path(os.environ.get("SOCIALCARE_SHARED_DIR", ROOT.parent / "shared"))
PERFORMANCE = ROOT / "docs" / "performance.md"
START = "<!-- privacy-bench:start -->"
END = "<!-- privacy-bench:end -->"
WIDER = ("US", "GB", "IN", "NG", "KE")

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


def quality_table(items: Sequence[Item]) -> list[str]:
    default, wider = PrivateDataGuard(), PrivateDataGuard(phone_regions=WIDER)
    rows = [
        (
            "| kind | labels | precision | recall | real: labels | real: precision | real: recall "
            "| recall, phones also IN/NG/KE |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    every = score(items, default)
    real = score(items, default, origins=("real-hand", "real-clean"))
    wide = score(items, wider)
    for kind in PRIVATE_KINDS:
        a, r, w = every[kind], real[kind], wide[kind]
        rows.append(
            f"| {kind} | {a.tp + a.fn} | {a.precision:.3f} ({a.fp} FP) | {a.recall:.3f} "
            f"| {r.tp + r.fn} | {r.precision:.3f} ({r.fp} FP) | {r.recall:.3f} "
            f"| {w.recall:.3f} (precision {w.precision:.3f}) |"
        )
    return rows


def best(fn: Callable[[], object], *, seconds: float, rounds: int) -> float:
    """Best CPU seconds of one call of ``fn`` over ``rounds`` rounds of about ``seconds``."""
    fn()  # warm up: lazy imports, caches
    results = []
    for _ in range(rounds):
        calls = 0
        start = time.process_time()
        while True:
            fn()
            calls += 1
            spent = time.process_time() - start
            if spent >= seconds:
                break
        results.append(spent / calls)
    return min(results)


def speed_table(texts: Sequence[str], *, seconds: float, rounds: int) -> list[str]:
    guard = PrivateDataGuard()
    n = len(texts)

    def parse_all() -> None:
        for t in texts:
            parse_tweet(t)

    def scan_all() -> None:
        for t in texts:
            guard.scan(t)

    def compose_all(*, with_guard: bool) -> Callable[[], None]:
        def run() -> None:
            for t in texts:
                compose_reply(
                    ASKED,
                    t,
                    author=ANN,
                    brand=BRAND,
                    signature="JD",
                    policy="truncate",
                    **({} if with_guard else {"guard": None}),
                )

        return run

    peer = best(parse_all, seconds=seconds, rounds=rounds)
    scan = best(scan_all, seconds=seconds, rounds=rounds)
    plain = best(compose_all(with_guard=False), seconds=seconds, rounds=rounds)
    guarded = best(compose_all(with_guard=True), seconds=seconds, rounds=rounds)
    rows = [
        "| subject | µs per text | ratio |",
        "|---|---:|---:|",
        f"| `parse_tweet` (peer) | {peer / n * 1e6:.1f} | 1.00x |",
        f"| `PrivateDataGuard().scan` | {scan / n * 1e6:.1f} | {scan / peer:.2f}x |",
        (
            f'| `compose_reply(policy="truncate", guard=None)` | {plain / n * 1e6:.1f} '
            f"| {plain / peer:.2f}x |"
        ),
        (
            f'| `compose_reply(policy="truncate")` (guard on) | {guarded / n * 1e6:.1f} '
            f"| {guarded / peer:.2f}x ({guarded / plain:.2f}x `guard=None`) |"
        ),
    ]
    sample = " ".join(texts[:40]) + " card 4111 1111 1111 1111, call me on (415) 555-0132. "
    rows += ["", "| text length (characters) | µs per 1,000 characters |", "|---:|---:|"]
    for times in (1, 10, 100):
        text = sample * times
        spent = best(lambda text=text: guard.scan(text), seconds=seconds / 2, rounds=rounds)
        rows.append(f"| {len(text):,} | {spent / len(text) * 1e9:.1f} |")
    return rows


def write(section: list[str]) -> None:
    page = PERFORMANCE.read_text(encoding="utf-8")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    PERFORMANCE.write_text(
        head + START + "\n" + "\n".join(section) + "\n" + END + tail, encoding="utf-8"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    items = build(SHARED)
    counts = origins(items)
    texts = care_texts()
    today = dt.datetime.now(tz=dt.timezone.utc).date().isoformat()
    section = [
        (
            f"Run of {today}, `python benchmarks/privacy_bench.py --rounds {args.rounds} "
            f"--seconds {args.seconds}` (2 cores, shared and noisy while others worked; "
            f"Python {platform.python_version()})."
        ),
        "",
        (
            f"Labelled set: {len(items)} texts ({counts['real-hand']} real texts read by hand, "
            f"{counts['real-clean']} real texts without candidates, {counts['synthetic']} real "
            f"texts with a generated value, {counts['synthetic-negative']} with a near miss). "
            "A finding counts when its kind matches a label it overlaps."
        ),
        "",
        *quality_table(items),
        "",
        (
            f"Speed on the {len(texts):,} texts of `twcs_prefix_5000.csv`, best of "
            f"{args.rounds} rounds (CPU time):"
        ),
        "",
        *speed_table(texts, seconds=args.seconds, rounds=args.rounds),
    ]
    print("\n".join(section))
    if args.write:
        write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
