"""Encoding ahead of writing: a bounded helper thread for bulk writes.

A bulk upsert spends its Python time encoding posts and its database time inserting
them. :func:`prefetch` overlaps the two: a helper thread encodes chunk ``k + 1``
(and a few more, up to ``depth``) while the calling thread writes chunk ``k``.
That pays off because the database work does not hold the GIL: CPython's
``sqlite3`` releases it inside ``sqlite3_step``, and PostgreSQL works in its own
process while the driver waits on the socket.

The calling thread keeps the connection and the transaction; the helper runs only
the pure encoding function and never touches the database. An exception in the
encoder is raised in the calling thread at the chunk where it happened (so the
transaction rolls back as it would have without the helper), and leaving the
``with`` block, normally or by an exception, stops the helper and waits for it: no
thread outlives the call.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, cast

__all__ = ["prefetch"]

T = TypeVar("T")
R = TypeVar("R")

_POLL = 0.05
"""Seconds between checks for a stop request while the helper waits for queue space."""


class _Helper(Generic[T, R]):
    """The helper thread's side: produce results into a bounded queue until done or stopped."""

    def __init__(self, items: Sequence[T], produce: Callable[[T], R], depth: int) -> None:
        self._items = items
        self._produce = produce
        self._results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socialcare-prefetch", daemon=True)

    def _put(self, entry: tuple[bool, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._results.put(entry, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if self._stop.is_set() or not self._put((True, self._produce(item))):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, raised there
            self._put((False, exc))

    def start(self) -> None:
        self._thread.start()

    def results(self) -> Iterator[R]:
        """The results in order; an exception the encoder raised is raised here instead."""
        for _ in range(len(self._items)):
            ok, value = self._results.get()
            if not ok:
                assert isinstance(value, BaseException)  # noqa: S101 - _run() puts only these
                raise value
            yield cast("R", value)  # an ok entry holds what produce() returned

    def stop(self) -> None:
        """Stop the helper and wait for it (it finishes at most the item in hand)."""
        self._stop.set()
        while True:  # make room, so a helper waiting to put sees the stop request at once
            try:
                self._results.get_nowait()
            except queue.Empty:
                break
        self._thread.join()


@contextlib.contextmanager
def prefetch(
    items: Sequence[T], produce: Callable[[T], R], *, depth: int = 4
) -> Iterator[Iterator[R]]:
    """``produce(item)`` for each item, in order, computed ahead in a helper thread.

    At most ``depth`` results wait unconsumed, so memory stays bounded however many
    items there are. With fewer than two items there is nothing to overlap and no
    thread is started. Results not consumed when the block ends are discarded.
    """
    if depth < 1:
        msg = f"depth must be at least 1, got {depth!r}"
        raise ValueError(msg)
    if len(items) < 2:  # noqa: PLR2004 - one item cannot overlap with anything
        yield map(produce, items)
        return
    helper = _Helper(items, produce, depth)
    helper.start()
    try:
        yield helper.results()
    finally:
        helper.stop()
