"""Text corpora shared by the text benchmarks: conformance texts, twcs tweets, long texts."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or wherever SOCIALCARE_SHARED_DIR points (as in the tests).
SHARED = Path(os.environ.get("SOCIALCARE_SHARED_DIR", ROOT.parent / "shared"))


def conformance_texts() -> list[str]:
    """Every ``text`` in the twitter-text conformance files."""
    folder = SHARED / "conformance" / "twitter-text"
    out: list[str] = []
    for name in ("validate.yml", "extract.yml", "autolink.yml", "tlds.yml"):
        data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        out.extend(str(case["text"]) for cases in data["tests"].values() for case in cases)
    return out


def twcs_texts() -> list[str]:
    """The ``text`` column of every twcs CSV (real customer-care tweets)."""
    out: list[str] = []
    for path in sorted((SHARED / "data" / "twcs").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            out.extend(row["text"] for row in csv.DictReader(f))
    return out


def long_texts(typical: list[str], *, count: int = 200, size: int = 4_000) -> list[str]:
    """Long posts (notes) built by joining typical tweets to about ``size`` characters."""
    out: list[str] = []
    i = 0
    for _ in range(count):
        parts: list[str] = []
        length = 0
        while length < size:
            parts.append(typical[i % len(typical)])
            length += len(parts[-1]) + 1
            i += 1
        out.append(" ".join(parts))
    return out
