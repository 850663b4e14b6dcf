"""How long ``import socialcare`` takes, next to ``import httpx`` measured in the same run.

Each import runs in a fresh interpreter with ``python -X importtime``; the figure is the
cumulative time Python reports for the top-level module (so interpreter start-up is not
counted). Best and median of ``--runs`` fresh processes, alternating the two imports so
that a busy machine affects both alike::

    python benchmarks/import_bench.py --runs 15

The target (issue 10): ``import socialcare`` <= 100 ms. It also lists what ``import
socialcare`` and ``import socialcare.text`` load, to show that tweepy, requests, psycopg
and the sandbox stay out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

HEAVY = ("tweepy", "requests", "psycopg", "httpx", "socialcare.sandbox", "socialcare.platforms")


def import_time_us(module: str) -> int:
    """Cumulative microseconds ``python -X importtime`` reports for ``module``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in result.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    msg = f"no importtime line for {module}"
    raise RuntimeError(msg)


def loaded_by(module: str) -> list[str]:
    """Top-level names of the heavy modules that importing ``module`` loads."""
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    names = json.loads(out.stdout)
    return sorted({h for h in HEAVY for n in names if n == h or n.startswith(h + ".")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    subjects = ("socialcare", "socialcare.text", "httpx")
    times: dict[str, list[int]] = {s: [] for s in subjects}
    for _ in range(args.runs):
        for subject in subjects:
            times[subject].append(import_time_us(subject))
    httpx_median = statistics.median(times["httpx"])
    print(f"Python {sys.version.split()[0]}, {args.runs} fresh processes each\n")
    print("| import | best ms | median ms | vs `import httpx` (median) | heavy modules loaded |")
    print("|---|---:|---:|---:|---|")
    for subject in subjects:
        best = min(times[subject]) / 1000
        median = statistics.median(times[subject])
        heavy = ", ".join(loaded_by(subject)) or "none"
        ratio = median / httpx_median
        print(f"| `import {subject}` | {best:.1f} | {median / 1000:.1f} | {ratio:.2f}x | {heavy} |")


if __name__ == "__main__":
    main()
