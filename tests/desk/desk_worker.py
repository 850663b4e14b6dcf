"""A worker process that tries to claim one conversation (the collision test)."""

from __future__ import annotations

import multiprocessing.synchronize

from tests.desk.desk_support import open_store

from socialcare.desk import Desk
from socialcare.errors import CollisionError


def claim(
    where: dict[str, str],
    agent: str,
    start: multiprocessing.synchronize.Barrier,
    out: multiprocessing.Queue[tuple[str, str]],
) -> None:
    store = open_store(where)
    try:
        desk = Desk(store, brands=["1"], lease_ttl=300)
        start.wait()
        try:
            claim = desk.assign("100", agent)
        except CollisionError as exc:
            out.put((agent, f"collision:{exc.holder}"))
        else:
            out.put((agent, f"won:{claim.token}"))
    finally:
        store.close()
