"""XPlatform tests use the sandbox fixtures (with the OpenAPI contract check)."""

from __future__ import annotations

from tests.sandbox.conftest import new_sandbox, sandbox, x_contract

__all__ = ["new_sandbox", "sandbox", "x_contract"]
