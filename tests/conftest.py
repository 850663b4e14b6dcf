"""Shared fixtures: where the shared test material lives, and whether CI demands it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SOCIALCARE_SHARED_DIR", REPO.parent / "shared"))
UNDER_CI = bool(os.environ.get("CI"))


def shared_path(*parts: str) -> Path:
    """A path inside ``../shared``; under CI a missing file fails, elsewhere it skips."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if UNDER_CI:
            pytest.fail(f"shared test material missing under CI: {path}")
        pytest.skip(f"shared test material not found at {path} (set SOCIALCARE_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder beside the repository."""
    return shared_path()


def assert_emitted_subset(emitted: object, original: object, where: str = "") -> None:
    """Every key a model's ``to_x`` emits holds exactly the value X sent (X may send more keys)."""
    if isinstance(emitted, dict):
        assert isinstance(original, dict), where
        for key, value in emitted.items():
            assert key in original, f"{where}.{key} emitted but not in the payload"
            assert_emitted_subset(value, original[key], f"{where}.{key}")
    elif isinstance(emitted, list):
        assert isinstance(original, list), where
        assert len(emitted) == len(original), where
        for i, (a, b) in enumerate(zip(emitted, original, strict=True)):
            assert_emitted_subset(a, b, f"{where}[{i}]")
    else:
        assert emitted == original, f"{where}: {emitted!r} != {original!r}"
