"""Monitor fixtures: a sandbox on the test's clock, every response checked against X's OpenAPI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from tests.sandbox.conftest import x_contract

from socialcare import ManualClock
from socialcare.sandbox import Sandbox
from socialcare.testing import OpenAPIContract

__all__ = ["clock", "sandbox", "x_contract"]

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock, x_contract: OpenAPIContract | None) -> Iterator[Sandbox]:
    box = Sandbox(clock=clock)
    before = 0 if x_contract is None else len(x_contract.violations)
    if x_contract is not None:
        box.observe(x_contract)
    for handle in ("acme", "ann", "bob", "cy"):
        box.add_user(handle)
    yield box
    new = [] if x_contract is None else x_contract.violations[before:]
    assert not new, "responses that break X's OpenAPI contract:\n" + "\n".join(new[:20])
