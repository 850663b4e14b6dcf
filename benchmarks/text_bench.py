"""Benchmark: socialcare.text.parse_tweet against twitter-text (npm) and twitter-text-parser.

Corpora: every conformance text, real customer-care tweets (twcs), long posts, and
adversarial inputs of growing size (the linear-time curve). Each implementation loops over a
corpus for ``--seconds``; rounds alternate between implementations and the best round counts.
Throughput is reported per CPU second of the measuring process (robust on a loaded machine)
and per wall second.

Peers, both optional (skipped with a note when absent):
  * twitter-text 3.1.0 under node: ``npm install twitter-text@3.1.0`` in ``benchmarks/.node``
  * twitter-text-parser 3.0.0 in a throwaway venv (it needs ``setuptools<70``):
    ``python -m venv /work/ttp-venv && /work/ttp-venv/bin/pip install 'setuptools<70'
    twitter-text-parser==3.0.0``; point ``TTP_PYTHON`` at its interpreter.

    python benchmarks/text_bench.py [--seconds 2] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from text_corpora import conformance_texts, long_texts, twcs_texts  # noqa: E402

from socialcare.text import extract_entities, parse_tweet  # noqa: E402

NODE_DIR = HERE / ".node"
PEERS = HERE / "peers"
TTP_PYTHON = Path(os.environ.get("TTP_PYTHON", "/work/ttp-venv/bin/python"))

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    '"a." * n/2': lambda n: "a." * (n // 2),
    '"@" * n': lambda n: "@" * n,
    '"#" * n': lambda n: "#" * n,
    '":/" * n/2': lambda n: ":/" * (n // 2),
    '"\u65e5." * n/2': lambda n: "\u65e5." * (n // 2),
    '"http://a.co/" + "(a" * n/2': lambda n: "http://a.co/" + "(a" * (n // 2),
    '"-a." * n/3': lambda n: "-a." * (n // 3),
    "emoji ZWJ chain": lambda n: "\U0001f468\u200d" * (n // 3),
}


def measure_ours(texts: list[str], seconds: float) -> dict[str, float]:
    for text in texts[:200]:
        parse_tweet(text)
    calls = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    wall = 0.0
    while wall < seconds:
        for text in texts:
            parse_tweet(text)
        calls += len(texts)
        wall = time.perf_counter() - wall0
    return {"calls": calls, "seconds": wall, "cpu_seconds": time.process_time() - cpu0}


def _run_peer(command: list[str], texts: list[str], *extra: str) -> object:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(texts, f)
    try:
        out = subprocess.run(
            [*command, f.name, *extra], check=True, capture_output=True, timeout=900
        )
    finally:
        Path(f.name).unlink()
    return json.loads(out.stdout)


def node_command() -> list[str] | None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "twitter-text").exists():
        return None
    return [node, str(PEERS / "twitter_text_peer.js"), str(NODE_DIR)]


def ttp_command() -> list[str] | None:
    if not TTP_PYTHON.exists():
        return None
    probe = subprocess.run(
        [str(TTP_PYTHON), "-c", "import twitter_text"], capture_output=True, check=False
    )
    return [str(TTP_PYTHON), str(PEERS / "ttp_peer.py")] if probe.returncode == 0 else None


def rate(result: dict[str, float], key: str) -> float:
    return result["calls"] / result[key] if result[key] else 0.0


def bench_corpus(
    name: str, texts: list[str], args: argparse.Namespace, peers: dict[str, list[str] | None]
) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        runs: dict[str, dict[str, float]] = {"socialcare": measure_ours(texts, args.seconds)}
        node = peers["twitter-text (npm)"]
        if node is not None:
            runs["twitter-text (npm)"] = _run_peer([*node, "bench"], texts, str(args.seconds))  # type: ignore[assignment]
        ttp = peers["twitter-text-parser"]
        if ttp is not None and name in args.ttp_corpora:
            runs["twitter-text-parser"] = _run_peer(ttp, texts, str(args.seconds))  # type: ignore[assignment]
        for impl, result in runs.items():
            if impl not in best or rate(result, "cpu_seconds") > rate(best[impl], "cpu_seconds"):
                best[impl] = result
    return best


def report_corpus(name: str, count: int, best: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"### {name} ({count} texts)", ""]
    lines.append("| implementation | parse_tweet/s (CPU) | parse_tweet/s (wall) | socialcare is |")
    lines.append("| --- | ---: | ---: | --- |")
    ours = rate(best["socialcare"], "cpu_seconds")
    for impl, result in best.items():
        cpu, wall = rate(result, "cpu_seconds"), rate(result, "seconds")
        ratio = "-" if impl == "socialcare" else f"{ours / cpu:.2f}x (CPU)" if cpu else "-"
        lines.append(f"| {impl} | {cpu:,.0f} | {wall:,.0f} | {ratio} |")
    return [*lines, ""]


def adversarial(sizes: list[int], node: list[str] | None, node_max: int) -> list[str]:
    lines = ["### Adversarial inputs (seconds per call; linear means x10 size, x10 time)", ""]
    header = "| input | " + " | ".join(f"n={n:,}" for n in sizes) + " |"
    lines += [header, "|" + " --- |" * (len(sizes) + 1)]
    for label, make in ADVERSARIAL.items():
        ours = []
        for n in sizes:
            text = make(n)
            t0 = time.process_time()
            parse_tweet(text)
            extract_entities(text)
            ours.append(time.process_time() - t0)
        lines.append(
            f"| socialcare parse+entities {label} | " + " | ".join(f"{t:.3f}" for t in ours) + " |"
        )
        if node is not None:
            small = [make(n) for n in sizes if n <= node_max]
            try:
                theirs = _run_peer([*node, "each"], small)
            except subprocess.TimeoutExpired:
                theirs = []
            assert isinstance(theirs, list)
            cells = [f"{t:.3f}" for t in theirs] + ["(skipped)"] * (len(sizes) - len(theirs))
            lines.append(f"| twitter-text parseTweet {label} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=HERE / ".results" / "text_bench.json")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--node-max", type=int, default=100_000, help="largest adversarial size for node"
    )
    parser.add_argument("--ttp-corpora", default="typical,conformance,long")
    args = parser.parse_args()
    args.ttp_corpora = set(args.ttp_corpora.split(","))
    peers = {"twitter-text (npm)": node_command(), "twitter-text-parser": ttp_command()}
    for impl, command in peers.items():
        if command is None:
            print(f"note: {impl} not found; skipped (see this file's docstring)")
    typical = twcs_texts()
    corpora = {
        "typical": typical,
        "conformance": conformance_texts(),
        "long": long_texts(typical),
    }
    lines = [
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "",
    ]
    results: dict[str, object] = {}
    for name, texts in corpora.items():
        best = bench_corpus(name, texts, args, peers)
        results[name] = best
        lines += report_corpus(name, len(texts), best)
        print("\n".join(lines[-(len(best) + 4) :]), flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    adv = adversarial(sizes, peers["twitter-text (npm)"], args.node_max)
    lines += adv
    print("\n".join(adv))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"results": results, "report": lines}, indent=2), encoding="utf-8"
    )
    print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
