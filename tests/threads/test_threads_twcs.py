from __future__ import annotations

import io
from collections import Counter

import pytest
from tests.conftest import shared_path

from socialcare.conversations import read_twcs
from socialcare.errors import PayloadError
from socialcare.testing import make_sandbox
from socialcare.threads import Placeholder, Threader


def test_the_prefix_file_gives_the_figures_of_the_issue() -> None:
    data = read_twcs(shared_path("data", "twcs", "twcs_prefix_5000.csv"))
    assert len(data.posts) == 5000
    assert {"sprintcare", "AppleSupport"} <= data.brand_ids
    assert not any(b.isdigit() for b in data.brand_ids)  # customers are numbers
    threader = Threader(brands=data.brand_ids)
    threader.ingest(data.posts)
    threads = list(threader.threads())
    assert len(threads) == 1312
    assert max(len(t) for t in threads) == 130
    placeholders = [t for t in threads if isinstance(t.root, Placeholder)]
    assert len(placeholders) == 6
    assert len(threader.missing) == 6
    assert sum(len(t) for t in threads) == 5000
    # every reply sits under its parent; turns are attributed to their authors
    by_id = {p.id: p for p in data.posts}
    for thread in threads:
        for post in thread.posts:
            assert thread.parent(post.id) == post.replied_to_id
            assert post.author_id == by_id[post.id].author_id
    largest = max(threads, key=len)
    roles = Counter(p.role for p in largest.participants)
    assert roles["customer"] == 1
    assert roles["brand"] >= 1


def test_the_random_file_threads_without_error() -> None:
    data = read_twcs(shared_path("data", "twcs", "twcs_random_5000.csv"))
    threader = Threader(brands=data.brand_ids)
    threader.ingest(data.posts)
    threads = list(threader.threads())
    assert sum(len(t) for t in threads) == 5000
    assert len(threader.missing) > 3000  # almost every parent is outside the sample
    for thread in threads:
        assert thread.tree()


def test_the_sandbox_seeded_from_twcs_gives_the_same_trees_through_the_platform() -> None:
    path = shared_path("data", "twcs", "twcs_prefix_5000.csv")
    data = read_twcs(path)
    local = Threader(brands=data.brand_ids)
    local.ingest(data.posts)
    sandbox = make_sandbox(rate_limits=False)
    imported = sandbox.seed_twcs(path, rebase=True)
    x = sandbox.platform()
    sandbox_ids = list(imported.values())
    fetched = []
    for start in range(0, len(sandbox_ids), 100):
        page = x.get_posts(sandbox_ids[start : start + 100])
        assert [e for e in page.errors if e.resource_type == "tweet"] == []
        fetched.extend(page.items)
    assert all(p.conversation_id for p in fetched)
    remote = Threader(brands={imported.users[b] for b in data.brand_ids})
    remote.ingest(fetched)
    back = {sandbox_id: twcs_id for twcs_id, sandbox_id in imported.items()}

    def shape(threader: Threader, rename: dict[str, str]) -> set[frozenset[tuple[str, str | None]]]:
        trees = set()
        for thread in threader.threads():
            edges = frozenset(
                (rename.get(p.id, p.id), rename.get(thread.parent(p.id) or ""))
                for p in thread.posts
            )
            trees.add(edges)
        return trees

    held = {p.id for p in data.posts}
    identity = {i: i for i in held}
    # The sandbox imports a reply whose parent is not in the file as a root (its
    # orphans); locally it hangs under a placeholder. Compare held posts only.
    assert shape(remote, back) == shape(local, identity)
    assert len(imported.orphans) == 6


def test_the_loader_names_what_is_wrong() -> None:
    header = (
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    )
    good = "1,acme,False,Tue Oct 31 22:10:47 +0000 2017,hello,,\n"
    data = read_twcs(io.StringIO(header + good + good.replace("1,acme", "2,acme")), limit=1)
    assert [p.id for p in data.posts] == ["1"]
    assert data.brand_ids == {"acme"}
    with pytest.raises(PayloadError, match="missing columns"):
        read_twcs(io.StringIO("a,b\n1,2\n"))
    with pytest.raises(PayloadError, match="bad created_at") as caught:
        read_twcs(io.StringIO(header + good.replace("Tue Oct", "Nope")))
    assert caught.value.field == "twcs:2"
    with pytest.raises(PayloadError, match="bad tweet_id"):
        read_twcs(io.StringIO(header + good.replace("1,acme", "x,acme")))
    with pytest.raises(PayloadError, match="bad inbound"):
        read_twcs(io.StringIO(header + good.replace("False", "maybe")))
    with pytest.raises(PayloadError, match="in_response_to_tweet_id"):
        read_twcs(io.StringIO(header + good.replace(",,\n", ",,abc\n")))
    with pytest.raises(PayloadError, match="empty author_id"):
        read_twcs(io.StringIO(header + good.replace("1,acme", "1,")))
