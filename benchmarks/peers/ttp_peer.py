"""Peer runner: twitter-text-parser (PyPI) timing ``parse_tweet`` over a JSON list of texts.

Run with the interpreter of a throwaway venv that has ``twitter-text-parser==3.0.0``:
    python ttp_peer.py INPUT.json SECONDS
Prints {"calls", "seconds", "cpu_seconds", "errors"} as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from twitter_text import parse_tweet


def main() -> None:
    path, budget = sys.argv[1], float(sys.argv[2])
    with open(path, encoding="utf-8") as f:  # noqa: PTH123 - runs outside the project
        texts = json.load(f)
    errors = 0
    for text in texts[:200]:  # warm up
        try:
            parse_tweet(text)
        except Exception:
            errors += 1
    calls = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    wall = 0.0
    while wall < budget:
        for text in texts:
            try:
                parse_tweet(text)
            except Exception:
                errors += 1
            calls += 1
            if calls % 64 == 0:
                wall = time.perf_counter() - wall0
                if wall >= budget:
                    break
        wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    print(json.dumps({"calls": calls, "seconds": wall, "cpu_seconds": cpu, "errors": errors}))


if __name__ == "__main__":
    main()
