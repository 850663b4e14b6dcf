"""Test material written for this repository (``tests/data``), used when ``../shared`` is absent.

Unlike :func:`tests.conftest.shared_path`, these files always exist: they keep each
feature covered in a clone without the sibling ``shared/`` folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
TWCS_TINY = DATA / "twcs_tiny.csv"


def x_payload(name: str) -> dict[str, Any]:
    """One of the hand-written X API v2 responses in ``tests/data/x``."""
    loaded: dict[str, Any] = json.loads((DATA / "x" / name).read_text(encoding="utf-8"))
    return loaded
