"""Sandbox fixtures: every sandbox a test builds is checked against X's OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.conftest import SHARED, UNDER_CI, shared_path

from socialcare.sandbox import Sandbox
from socialcare.testing import OpenAPIContract, make_sandbox


@pytest.fixture(scope="session")
def x_contract() -> Iterator[OpenAPIContract | None]:
    """The session's contract checker (``None`` outside CI when the spec is absent)."""
    if not (SHARED / "x-api" / "openapi.json").exists() and not UNDER_CI:
        yield None
        return
    contract = OpenAPIContract(shared_path("x-api", "openapi.json"))
    yield contract
    assert not contract.violations


@pytest.fixture
def new_sandbox(x_contract: OpenAPIContract | None) -> Iterator[Callable[..., Sandbox]]:
    """Build sandboxes whose every response is validated; violations fail the test."""
    before = 0 if x_contract is None else len(x_contract.violations)

    def build(**options: Any) -> Sandbox:
        made = make_sandbox(**options)
        if x_contract is not None:
            made.observe(x_contract)
        return made

    yield build
    new = [] if x_contract is None else x_contract.violations[before:]
    assert not new, "responses that break X's OpenAPI contract:\n" + "\n".join(new[:20])


@pytest.fixture
def sandbox(new_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return new_sandbox()
