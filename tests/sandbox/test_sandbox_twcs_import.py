"""twcs imports a newcomer can use: the whole data set in the search window, ids mapped."""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import pytest
from tests.conftest import shared_path

from socialcare.errors import NotFoundError
from socialcare.platforms import iter_items
from socialcare.sandbox import OutsideSearchWindowWarning

TWCS = ("data", "twcs")
WEEK = dt.timedelta(days=7)


def test_rebase_moves_the_whole_data_set_into_the_search_window(new_sandbox):
    sandbox = new_sandbox()
    now = sandbox.clock.now()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no OutsideSearchWindowWarning
        imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_prefix_5000.csv"), rebase=True)
    assert len(imported) == 5000
    assert imported.outside_window == []
    times = [p.created_at for p in sandbox.posts()]
    assert all(t is not None and now - dt.timedelta(days=6) <= t <= now for t in times)
    assert max(t for t in times if t is not None) == now
    # Recent search sees every row, not only the newest few.
    x = sandbox.platform("ChipotleTweets")
    found = list(
        iter_items(
            lambda token: x.search_recent("from:ChipotleTweets", next_token=token, max_results=100)
        )
    )
    assert len(found) == 210  # every brand reply in the file (before: only the newest few)


def test_rebase_keeps_order_and_proportional_times(new_sandbox):
    sandbox = new_sandbox()
    path = shared_path(*TWCS, "twcs_random_5000.csv")
    imported = sandbox.seed_twcs(path, rebase=True, span=dt.timedelta(days=3))
    # Original times of three rows, and where they landed.
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        tweet_id = line.split(",", 1)[0]
        if tweet_id.isdigit():
            rows[tweet_id] = line
    by_time = sorted(
        ((sandbox.post(pid).created_at, twcs) for twcs, pid in imported.items()),
        key=lambda item: item[0],
    )
    first, middle, last = by_time[0], by_time[len(by_time) // 2], by_time[-1]
    assert last[0] - first[0] == dt.timedelta(days=3)  # an explicit span is spanned exactly
    assert last[0] == sandbox.clock.now()
    assert 0 < imported.scale < 1
    # The ids still follow time, and ratios between gaps survive (to the millisecond).
    posts = sorted(sandbox.posts(), key=lambda p: int(p.id))
    assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(posts))
    original = {twcs: _twcs_time(rows[twcs]) for _, twcs in (first, middle, last)}
    ratio = (original[middle[1]] - original[first[1]]) / (original[last[1]] - original[first[1]])
    landed = (middle[0] - first[0]) / (last[0] - first[0])
    assert landed == pytest.approx(ratio, abs=1e-6)


def _twcs_time(line: str) -> dt.datetime:
    import csv  # noqa: PLC0415

    row = next(csv.reader([line]))
    return dt.datetime.strptime(row[3], "%a %b %d %H:%M:%S %z %Y")


def test_a_short_data_set_only_moves(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_kaggle_sample.csv"), rebase=True)
    assert imported.scale == 1.0
    assert imported.shift > dt.timedelta(days=365 * 8)


def test_rows_outside_the_window_warn_and_are_listed(new_sandbox):
    sandbox = new_sandbox()
    with pytest.warns(OutsideSearchWindowWarning, match=r"\d+ of 5000 twcs rows") as caught:
        imported = sandbox.seed_twcs(
            shared_path(*TWCS, "twcs_prefix_5000.csv"), rebase=True, span=dt.timedelta(days=30)
        )
    assert caught[0].filename == __file__  # points at the caller
    assert 0 < len(imported.outside_window) < 5000
    for twcs_id in imported.outside_window[:50]:
        created = sandbox.post(imported.post(twcs_id)).created_at
        assert created < sandbox.clock.now() - WEEK


def test_span_needs_rebase_and_must_be_positive(new_sandbox):
    sandbox = new_sandbox()
    path = shared_path(*TWCS, "twcs_kaggle_sample.csv")
    with pytest.raises(ValueError, match="rebase=True"):
        sandbox.seed_twcs(path, span=dt.timedelta(days=1))
    with pytest.raises(ValueError, match="positive"):
        sandbox.seed_twcs(path, rebase=True, span=dt.timedelta(0))


def test_the_import_maps_twcs_ids_and_handles(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_prefix_5000.csv"), rebase=True)
    brand = sandbox.user("sprintcare")
    assert imported.user("sprintcare") == imported.user("@SprintCare") == brand.id
    assert imported.user("115712") == sandbox.user("115712").id
    post = sandbox.post(imported.post("2"))
    assert post is not None
    assert post.text.startswith("@sprintcare and how do you propose")
    with pytest.raises(KeyError, match="was not imported"):
        imported.post("999999999")
    with pytest.raises(KeyError, match="was not imported"):
        imported.user("nobody_here")


def test_a_twcs_id_handed_to_the_api_names_the_sandbox_id(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_prefix_5000.csv"), rebase=True)
    x = sandbox.platform("sprintcare")
    with pytest.raises(NotFoundError) as raised:
        x.send_dm("115712", "Hi, can you DM us your account number?")
    message = str(raised.value)
    assert "twcs author_id" in message
    assert imported.user("115712") in message
    assert "result.user(" in message
    # Per-item errors of lookups carry the hint too.
    page = x.get_posts(["2"])
    assert page.items == ()
    assert imported.post("2") in (page.errors[0].detail or "")
    # A real sandbox id works, and an id that was never imported gets no hint.
    assert x.send_dm(imported.user("115712"), "Hi!").text == "Hi!"
    with pytest.raises(NotFoundError) as unknown:
        x.send_dm("424242424242", "Hi")
    assert "twcs" not in str(unknown.value)
