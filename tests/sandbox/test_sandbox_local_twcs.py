"""``Sandbox.seed_twcs`` on the tiny CSV written here (``tests/data/twcs_tiny.csv``).

``test_sandbox_twcs_import.py`` and ``test_sandbox_seeding_and_serving.py`` run the
5,000-row files of ``../shared``; these keep seeding covered without them.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from tests.local_data import TWCS_TINY

from socialcare.errors import NotFoundError
from socialcare.platforms import iter_items
from socialcare.query import Query
from socialcare.sandbox import OutsideSearchWindowWarning

WEEK = dt.timedelta(days=7)
# The file spans Mon Nov 06 09:00 to Tue Nov 07 12:01 (2017): 1 day, 3 hours, 1 minute.
FILE_SPAN = dt.timedelta(days=1, hours=3, minutes=1)


def test_seeding_maps_ids_handles_and_replies(new_sandbox):
    sandbox = new_sandbox()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # everything lands in the search window
        imported = sandbox.seed_twcs(TWCS_TINY, rebase=True)
    assert len(imported) == 12
    assert imported.outside_window == []
    assert imported.scale == 1.0  # a short file only moves
    acme = sandbox.user("AcmeHelp")
    assert imported.user("AcmeHelp") == imported.user("@acmehelp") == acme.id
    assert imported.user("1001") == sandbox.user("1001").id
    answer = sandbox.post(imported.post("2"))
    assert answer.text.startswith("@1001 Sorry to hear that!")
    assert answer.author_id == acme.id
    assert answer.replied_to_id == imported.post("1")
    assert answer.in_reply_to_user_id == imported.user("1001")
    assert answer.conversation_id == imported.post("1")
    # A reply to a row the file lacks starts its own conversation.
    orphan = sandbox.post(imported.post("9"))
    assert orphan.replied_to_id is None
    with pytest.raises(KeyError, match="was not imported"):
        imported.post("99")


def test_rebased_times_keep_their_gaps_and_end_now(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(TWCS_TINY, rebase=True)
    times = {twcs: sandbox.post(pid).created_at for twcs, pid in imported.items()}
    assert max(times.values()) == times["12"] == sandbox.clock.now()
    assert times["12"] - times["1"] == FILE_SPAN
    assert times["2"] - times["1"] == dt.timedelta(minutes=5)
    # Ids follow time, as X's snowflakes do.
    by_id = sorted(times, key=lambda twcs: int(imported.post(twcs)))
    assert by_id == sorted(times, key=lambda twcs: (times[twcs], int(twcs)))


def test_an_explicit_span_stretches_and_warns_outside_the_window(new_sandbox):
    sandbox = new_sandbox()
    with pytest.warns(OutsideSearchWindowWarning, match=r"\d+ of 12 twcs rows"):
        imported = sandbox.seed_twcs(TWCS_TINY, rebase=True, span=dt.timedelta(days=30))
    times = {twcs: sandbox.post(pid).created_at for twcs, pid in imported.items()}
    assert times["12"] - times["1"] == dt.timedelta(days=30)
    now = sandbox.clock.now()
    assert sorted(imported.outside_window, key=int) == [
        twcs for twcs in sorted(times, key=int) if times[twcs] < now - WEEK
    ]
    assert imported.outside_window  # the first conversation is 30 days old


def test_search_mentions_and_twcs_id_hints(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(TWCS_TINY, rebase=True)
    x = sandbox.platform("AcmeHelp")
    found = list(iter_items(lambda token: x.search_recent("from:AcmeHelp", next_token=token)))
    assert sorted(imported.post(t) for t in ["2", "4", "10"]) == sorted(p.id for p in found)
    mentions = list(iter_items(lambda token: x.mentions(next_token=token)))
    assert {p.id for p in mentions} == {imported.post(t) for t in ["1", "3", "9"]}
    # Entities are derived from the text: the hashtag matches without an entities object.
    fail = Query.parse("#FAIL")
    assert [p.id for p in mentions if fail.matches(p)] == [imported.post("1")]
    with pytest.raises(NotFoundError) as raised:
        x.send_dm("1001", "Hi, can you DM us your order number?")
    assert imported.user("1001") in str(raised.value)
    assert x.send_dm(imported.user("1001"), "Hi!").text == "Hi!"
