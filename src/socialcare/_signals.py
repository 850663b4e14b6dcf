"""SIGINT and SIGTERM as a request to stop a long-running loop (monitor, guard)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["stop_on_signals"]


@contextlib.contextmanager
def stop_on_signals(on_signal: Callable[[int], None], *, enabled: bool) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM call ``on_signal(signum)``; old handlers come back.

    Handlers can only be installed from the main thread: elsewhere, or with
    ``enabled=False``, nothing is installed.
    """
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        on_signal(signum)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
