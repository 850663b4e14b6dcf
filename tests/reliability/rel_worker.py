"""A worker process for the reliability tests: ``python rel_worker.py SPEC_JSON``.

SPEC_JSON names the database (``kind`` ``"sqlite"`` with ``path``, or
``"postgres"`` with ``dsn`` and ``schema``) and the ``task``: ``lease``,
``outbox``, ``cursor``, ``audit`` (see ``rel_support.run_*``), ``writer``
(bulk upserts until killed) or ``seen`` (a monitor stuck in a handler until
killed). It prints one JSON line with what it observed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rel_support import (
    open_spec,
    run_audit_worker,
    run_cursor_worker,
    run_lease_worker,
    run_outbox_worker,
    run_seen_worker,
    run_writer,
)


def main() -> None:
    spec = json.loads(sys.argv[1])
    owner, seed, task = spec.get("owner", "writer"), spec.get("seed", 0), spec["task"]
    with open_spec(spec) as store:
        if task == "lease":
            result = run_lease_worker(store, owner, key=spec["key"], ops=spec["ops"], seed=seed)
        elif task == "outbox":
            result = run_outbox_worker(store, owner, seed=seed)
        elif task == "cursor":
            result = run_cursor_worker(
                store, owner, stream=spec["stream"], ops=spec["ops"], seed=seed
            )
        elif task == "audit":
            result = run_audit_worker(store, owner, ops=spec["ops"], seed=seed)
        elif task == "writer":
            result = run_writer(
                store,
                first_batch=spec["first_batch"],
                size=spec["size"],
                batches=spec["batches"],
                progress=Path(spec["progress"]),
            )
        elif task == "seen":
            result = run_seen_worker(
                store, owner, item_id=spec["item_id"], progress=Path(spec["progress"])
            )
        else:
            raise SystemExit(f"unknown task {task!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
