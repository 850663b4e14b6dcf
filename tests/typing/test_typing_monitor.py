"""Static typing of the monitor's public surface (checked by mypy --strict in nox -s typecheck)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import socialcare
from socialcare.sandbox import Sandbox

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def test_handlers_keep_their_types() -> None:
    clock = socialcare.ManualClock()
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user("acme")
    monitor = socialcare.Monitor(
        sandbox.platform(brand), socialcare.MemoryStore(clock=clock), clock=clock
    )
    stream = monitor.add_search("brand", socialcare.Query().terms("acme"))
    assert_type(stream, socialcare.Stream)
    monitor.add_direct_messages("dms")

    @monitor.on("brand")
    def handle(post: socialcare.Post) -> str:
        return post.id

    @monitor.on_dm("dms")
    def handle_dm(message: socialcare.DirectMessage) -> None:
        del message

    # The decorators hand back the function itself, with its own signature.
    assert_type(handle(socialcare.Post(id="1", text="acme")), str)
    as_callable: Callable[[socialcare.DirectMessage], None] = handle_dm
    del as_callable
    report = monitor.run_once()
    assert_type(report, socialcare.CycleReport)
    assert_type(report.delivered, int)
    health = monitor.health()
    assert_type(health["brand"], socialcare.StreamHealth)
    assert_type(health.requests_used, int)
