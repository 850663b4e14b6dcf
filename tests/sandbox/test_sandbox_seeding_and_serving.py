"""Seeding from twcs CSV, serving over loopback, the testing helpers and the contract check."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests
import tweepy
from tests.conftest import shared_path

from socialcare import testing
from socialcare.errors import PayloadError
from socialcare.sandbox import OutsideSearchWindowWarning, SandboxOutcome, SandboxRequest
from socialcare.testing import (
    OpenAPIContract,
    assert_dm_sent,
    assert_no_posts,
    assert_posted,
    assert_replied,
)

TWCS = ("data", "twcs")


def test_twcs_threads_become_conversations(new_sandbox):
    sandbox = new_sandbox(start=dt.datetime(2017, 12, 31, tzinfo=dt.timezone.utc))
    # Not rebased: rows older than the 7-day window are imported, with a warning.
    with pytest.warns(OutsideSearchWindowWarning, match="outside the 7-day"):
        imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_prefix_5000.csv"), limit=400)
    assert len(imported) == 400
    assert len(sandbox.posts()) == 400
    # twcs tweet 2 ("@sprintcare and how do you propose we do that") answers tweet 1,
    # which answers tweet 3.
    reply = sandbox.post(imported["2"])
    parent = sandbox.post(imported["1"])
    grandparent = sandbox.post(imported["3"])
    assert reply is not None
    assert parent is not None
    assert grandparent is not None
    assert reply.replied_to_id == parent.id
    assert parent.replied_to_id == grandparent.id
    assert reply.conversation_id == parent.conversation_id == grandparent.conversation_id
    assert reply.in_reply_to_user_id == parent.author_id == sandbox.user("sprintcare").id
    assert sandbox.user("sprintcare").id == imported.users["sprintcare"]
    # Ids follow time, like X's.
    by_id = sorted(sandbox.posts(), key=lambda p: int(p.id))
    times = [p.created_at for p in by_id]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(times))


def test_twcs_rebase_puts_the_data_in_the_recent_window(new_sandbox):
    sandbox = new_sandbox()
    imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_kaggle_sample.csv"), rebase=True)
    assert len(imported) == 93
    newest = max(p.created_at for p in sandbox.posts() if p.created_at)
    assert newest == sandbox.clock.now()
    sandbox.clock.advance(60)
    brand = sandbox.user("AppleSupport")
    mentions = sandbox.platform(brand).mentions(brand.id, max_results=100)
    assert len(mentions) > 0
    assert all(
        "applesupport" in {m.username.lower() for m in p.entities.mentions}
        or p.in_reply_to_user_id == brand.id
        for p in mentions
    )


def test_twcs_orphans_are_reported(new_sandbox):
    sandbox = new_sandbox(start=dt.datetime(2018, 1, 1, tzinfo=dt.timezone.utc))
    with pytest.warns(OutsideSearchWindowWarning):
        imported = sandbox.seed_twcs(shared_path(*TWCS, "twcs_random_5000.csv"), limit=200)
    assert len(imported) == 200
    assert len(imported.orphans) > 100


def test_not_a_twcs_file_is_a_payload_error(tmp_path, sandbox):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(PayloadError, match="missing columns"):
        sandbox.seed_twcs(path)


def test_served_over_loopback_with_x_status_codes_and_headers(sandbox):
    acme = sandbox.add_user("acme")
    ann = sandbox.add_user("ann")
    post = sandbox.add_post(ann, "@acme hello")
    token = sandbox.credentials().bearer_token
    with sandbox.serve() as server:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url) as client:
            ok = client.get(f"/2/users/{acme.id}/mentions", headers=auth)
            assert ok.status_code == 200
            assert ok.json()["data"][0]["id"] == post.id
            assert ok.headers["x-rate-limit-limit"] == "450"
            assert ok.headers["x-rate-limit-remaining"] == "449"
            denied = client.get(f"/2/users/{acme.id}/mentions")
            assert denied.status_code == 401
            assert denied.headers["content-type"] == "application/problem+json"
            assert denied.json()["title"] == "Unauthorized"
            bad = client.get("/2/tweets", params={"ids": "x1"}, headers=auth)
            assert bad.status_code == 400
            assert bad.json()["type"].endswith("invalid-request")
            sandbox.fail_next("lost_response")
            lost = client.get("/2/tweets", params={"ids": post.id}, headers=auth)
            assert lost.status_code == 504
            assert client.get("/2/nope", headers=auth).status_code == 404


def test_served_oauth1_signatures_are_verified(sandbox):
    acme = sandbox.add_user("acme")
    creds = sandbox.credentials(acme)
    with sandbox.serve() as server:
        good = tweepy.OAuth1UserHandler(
            creds.consumer_key, creds.consumer_secret, creds.access_token, creds.access_token_secret
        ).apply_auth()
        with requests.Session() as session:
            answer = session.get(f"{server.url}/2/users/me", auth=good, timeout=10)
            assert answer.status_code == 200
            assert answer.json()["data"]["username"] == "acme"
            forged = tweepy.OAuth1UserHandler(
                creds.consumer_key, "wrong", creds.access_token, creds.access_token_secret
            ).apply_auth()
            assert (
                session.get(f"{server.url}/2/users/me", auth=forged, timeout=10).status_code == 401
            )


def test_testing_helpers_describe_what_happened(new_sandbox):
    sandbox = new_sandbox(users=["acme", "ann"])
    question = sandbox.add_post("ann", "@acme refund?")
    x = sandbox.platform("acme")
    assert_no_posts(sandbox, by="acme")
    reply = x.create_post("Refund sent", in_reply_to=question.id)
    x.send_dm(sandbox.user("ann").id, "Details: ref 42")
    assert assert_posted(sandbox, by="acme", contains="Refund").id == reply.id
    assert assert_replied(sandbox, by="acme", to=question.id).id == reply.id
    assert "ref 42" in assert_dm_sent(sandbox, sender="acme", recipient="ann").text
    with pytest.raises(AssertionError, match="Refund sent"):
        assert_posted(sandbox, by="acme", text="something else")
    with pytest.raises(AssertionError):
        assert_no_posts(sandbox, by="acme")
    with pytest.raises(AssertionError, match="no DM"):
        assert_dm_sent(sandbox, sender="ann", recipient="acme")


def test_contract_checker_catches_bodies_that_break_the_spec(x_contract):
    if x_contract is None:
        pytest.skip("OpenAPI document not available")
    contract = OpenAPIContract(shared_path("x-api", "openapi.json"))
    exchange = SandboxRequest("GET", "https://api.twitter.com/2/tweets?ids=1", {})
    bad = {"data": [{"id": "not-a-number", "text": "hi"}]}
    outcome = SandboxOutcome(
        200,
        (("content-type", "application/json"),),
        json.dumps(bad).encode(),
        endpoint="GET /2/tweets",
        payload=bad,
    )
    problems = contract.check(exchange, outcome)
    assert problems
    assert "does not match" in problems[0]
    good = {"data": [{"id": "1", "text": "hi", "edit_history_tweet_ids": ["1"]}]}
    assert (
        contract.check(
            exchange,
            SandboxOutcome(200, outcome.headers, b"", endpoint="GET /2/tweets", payload=good),
        )
        == []
    )


def test_the_session_contract_has_checked_responses(sandbox, x_contract):
    if x_contract is None:
        pytest.skip("OpenAPI document not available")
    acme = sandbox.add_user("acme")
    before = x_contract.checked
    sandbox.platform(acme).mentions(acme.id)
    assert x_contract.checked == before + 1


def test_testing_module_imports_without_pytest():
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "import socialcare.testing as t\n"
        "s = t.make_sandbox(users=['acme'])\n"
        "assert not hasattr(t, 'sandbox_factory')\n"
        "print(s.user('acme').username)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "acme"


def test_pytest_fixtures_are_offered():
    made = testing.sandbox_factory.__wrapped__()(users=["acme"], enterprise=True)
    assert made.enterprise
    assert made.user("acme").username == "acme"


@pytest.mark.slow
def test_the_pytest_plugin_offers_the_sandbox_fixture(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["socialcare.testing"]\n')
    (tmp_path / "test_bot.py").write_text(
        "from socialcare.testing import assert_replied\n"
        "def test_bot(sandbox):\n"
        "    sandbox.add_user('acme'); sandbox.add_user('ann')\n"
        "    q = sandbox.add_post('ann', '@acme refund?')\n"
        "    sandbox.platform('acme').create_post('On its way', in_reply_to=q.id)\n"
        "    assert_replied(sandbox, by='acme', to=q.id, contains='way')\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
