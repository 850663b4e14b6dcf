"""Arrival order and batching never change the threads: messy forests, as a property.

Several conversations, replies across them and to posts never seen, posts without a
conversation id, quotes, retweets, edits (every version with its full history) and
duplicates with other fields, ingested shuffled in batches of any size.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare.models import Post, ReferencedPost
from socialcare.threads import Threader

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


@st.composite
def messy_forests(draw: st.DrawFn) -> list[Post]:
    count = draw(st.integers(1, 20))
    items: list[Post] = []
    for n in range(count):
        pid = str(100 + n)
        refs = []
        if n and draw(st.booleans()):
            parent = str(100 + draw(st.integers(0, n + 3)))
            refs.append(ReferencedPost(type="replied_to", id=parent))
        if draw(st.integers(0, 9)) == 0:
            quoted = str(100 + draw(st.integers(0, n + 3)))
            refs.append(ReferencedPost(type="quoted", id=quoted))
        if draw(st.integers(0, 19)) == 0:
            refs = [ReferencedPost(type="retweeted", id="100")]
        cid = draw(st.sampled_from([None, "100", "101", "105", pid]))
        minute = draw(st.none() | st.integers(0, 5))
        base = Post(
            id=pid,
            text=f"text {n}",
            author_id=str(draw(st.integers(1, 4))),
            created_at=None if minute is None else T0 + dt.timedelta(minutes=minute),
            conversation_id=cid,
            referenced=tuple(refs),
        )
        items.append(base)
        versions = [pid]
        for edit in range(draw(st.integers(0, 2)) if draw(st.integers(0, 4)) == 0 else 0):
            versions.append(str(500 + 10 * n + edit))
            items.append(
                Post(id=versions[-1], text=f"edit {n}.{edit}", author_id=base.author_id,
                     created_at=base.created_at, conversation_id=cid, referenced=tuple(refs),
                     edit_history_ids=tuple(versions))
            )  # fmt: skip
        if draw(st.integers(0, 9)) == 0:
            items.append(
                Post(id=pid, text=f"refetched {n}", author_id=base.author_id,
                     created_at=base.created_at, conversation_id=cid, referenced=tuple(refs))
            )  # fmt: skip
    return items


def observed(threader: Threader, ids: list[str]) -> str:
    seen: list[object] = [threader.stats(), list(threader.missing), threader.conversation_ids()]
    seen.extend([str(t), t.to_records(), list(t.detached)] for t in threader.threads())
    for pid in ids:
        try:
            thread = threader.thread_of(pid)
        except KeyError:
            seen.append([pid, None])
        else:
            links = [thread.parent(pid), thread.children(pid)] if pid in thread else []
            seen.append([pid, thread.conversation_id, *links])
    return json.dumps(seen, sort_keys=True)


@settings(max_examples=200, deadline=None)
@given(messy_forests(), st.randoms(use_true_random=False))
def test_messy_forests_thread_the_same_in_any_order_and_batching(
    items: list[Post], rng: random.Random
) -> None:
    ids = sorted({p.id for p in items} | {r.id for p in items for r in p.referenced})
    reference = Threader(brands={"1"})
    reference.ingest(items)
    shuffled = items + [rng.choice(items) for _ in range(rng.randint(0, 3))]
    rng.shuffle(shuffled)
    other = Threader(brands={"1"})
    start = 0
    while start < len(shuffled):
        size = rng.randint(1, 6)
        other.ingest(shuffled[start : start + size])
        start += size
    assert observed(other, ids) == observed(reference, ids)
    assert sum(len(t) for t in other.threads()) == len(other)
