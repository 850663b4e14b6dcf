"""Threads from the tiny twcs CSV written here (``tests/data/twcs_tiny.csv``).

Four conversations: a straight customer/brand exchange, one that branches (two brand
answers to one post), one whose first post replies to a row not in the file, and a
single question with its answer. ``test_threads_twcs.py`` runs the 5,000-row files of
``../shared``.
"""

from __future__ import annotations

from tests.local_data import TWCS_TINY

from socialcare.conversations import read_twcs
from socialcare.testing import make_sandbox
from socialcare.threads import Placeholder, Threader


def _threads() -> tuple[Threader, list]:  # type: ignore[type-arg]
    data = read_twcs(TWCS_TINY)
    threader = Threader(brands=data.brand_ids)
    threader.ingest(data.posts)
    return threader, sorted(threader.threads(), key=lambda t: int(t.conversation_id))


def test_the_tiny_file_reads_as_twelve_posts_of_two_brands() -> None:
    data = read_twcs(TWCS_TINY)
    assert len(data.posts) == 12
    assert data.brand_ids == {"AcmeHelp", "FizzCare"}
    by_id = {p.id: p for p in data.posts}
    assert by_id["2"].replied_to_id == "1"
    assert by_id["8"].replied_to_id == "6"
    assert by_id["11"].text == "@FizzCare love the new update 😍"
    assert by_id["1"].created_at is not None
    assert by_id["1"].created_at.isoformat() == "2017-11-06T09:00:00+00:00"


def test_the_tiny_file_threads_into_four_conversations() -> None:
    threader, threads = _threads()
    assert [len(t) for t in threads] == [4, 4, 2, 2]
    assert sum(len(t) for t in threads) == 12
    straight, branching, single, orphan = threads
    assert [p.id for p in straight.posts] == ["1", "2", "3", "4"]
    assert [straight.parent(i) for i in ["1", "2", "3", "4"]] == [None, "1", "2", "3"]
    # Two brand answers to post 5; the customer answered the first of them.
    assert sorted(branching.children("5")) == ["6", "7"]
    assert branching.parent("8") == "6"
    assert [p.id for p in single.posts] == ["11", "12"]
    # Post 9 replies to row 99, which the file does not hold.
    assert isinstance(orphan.root, Placeholder)
    assert threader.missing == ("99",)
    assert orphan.parent("9") == "99"
    roles = {p.user_id: p.role for p in straight.participants}
    assert roles == {"1001": "customer", "AcmeHelp": "brand"}
    assert {p.user_id: p.turns for p in straight.participants} == {"1001": 2, "AcmeHelp": 2}


def test_thread_records_follow_the_tree() -> None:
    _, threads = _threads()
    records = threads[1].to_records()
    assert [(r["id"], r["parent_id"], r["depth"]) for r in records] == [
        ("5", None, 0),
        ("6", "5", 1),
        ("8", "6", 2),
        ("7", "5", 1),
    ]
    assert {r["role"] for r in records} == {"customer", "brand"}
    html = threads[0]._repr_html_()
    assert "AcmeHelp" in html
    assert "my parcel never arrived" in html


def test_the_sandbox_seeded_from_the_tiny_file_gives_the_same_trees() -> None:
    sandbox = make_sandbox(rate_limits=False)
    imported = sandbox.seed_twcs(TWCS_TINY, rebase=True)
    page = sandbox.platform().get_posts(list(imported.values()))
    assert page.errors == ()
    remote = Threader(brands={imported.users[b] for b in ("AcmeHelp", "FizzCare")})
    remote.ingest(page.items)
    back = {sandbox_id: twcs_id for twcs_id, sandbox_id in imported.items()}
    shapes = sorted(
        sorted((back[p.id], back.get(t.parent(p.id) or "")) for p in t.posts)
        for t in remote.threads()
    )
    _, local = _threads()
    expected = sorted(sorted((p.id, t.parent(p.id)) for p in t.posts) for t in local)
    # The sandbox never saw row 99: post 9 is a root there.
    expected = [[(i, None if parent == "99" else parent) for i, parent in e] for e in expected]
    assert shapes == sorted(expected)
