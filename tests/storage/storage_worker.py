"""A worker process for the concurrency tests: ``python storage_worker.py SPEC_JSON``.

SPEC_JSON names the database (``kind``, ``path`` or ``dsn`` + ``schema``) and the
task: ``claim`` one lease after a start signal, or ``drain`` the outbox. It prints
one JSON line with what it did.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from socialcare.storage import SQLiteStore, Store


def open_store(spec: dict[str, str]) -> Store:
    if spec["kind"] == "sqlite":
        return SQLiteStore(spec["path"])
    from socialcare.storage.postgres import PostgresStore  # noqa: PLC0415

    return PostgresStore(spec["dsn"], schema=spec["schema"], max_size=2)


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"start signal {path} never came")
        time.sleep(0.001)


def main() -> None:
    spec = json.loads(sys.argv[1])
    owner = spec["owner"]
    with open_store(spec) as store:
        Path(spec["ready"]).joinpath(owner).touch()
        wait_for(Path(spec["go"]))
        if spec["task"] == "claim":
            won = store.claim_lease(spec["key"], owner, ttl=60)
            print(json.dumps({"owner": owner, "won": won}))
            return
        sent = []
        while True:
            batch = store.claim_actions(owner, ttl=60, limit=3)
            if not batch:
                break
            for action in batch:
                # "Send" it: one appended line per send, shared by every worker.
                fd = os.open(spec["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                os.write(fd, f"{action.key} {owner}\n".encode())
                os.close(fd)
                store.mark_sent(action.key, remote_id=f"{owner}:{action.key}")
                sent.append(action.key)
        print(json.dumps({"owner": owner, "sent": sent}))


if __name__ == "__main__":
    main()
