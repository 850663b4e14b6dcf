"""Fuzz every public entry point: only ``SocialCareError`` (and documented errors) may escape.

The rule (the project's error policy): bad input raises a
:class:`~socialcare.SocialCareError` subclass naming what is wrong, never a
stray ``OverflowError``, ``RecursionError``, ``UnicodeEncodeError`` or driver
error; ``TypeError`` only for a wrong argument type where documented, and
``ValueError`` where the API documents it (store arguments, ``autolink``'s
``only``). Messages stay bounded (no 100,000-character offending value
embedded) and never contain secrets. What parses round-trips; what a store
accepts reads back unchanged; a failed call leaves what was stored intact.

Payloads are real recorded X API v2 responses from
``../shared/data/x-api-v2-samples``, mutated (see ``rel_strategies``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_strategies import (
    EXTREME_DATES,
    LONG,
    ODD_STRINGS,
    any_text,
    deep,
    items,
    load_pages,
    load_responses,
    mutated,
    odd_json,
    odd_text,
)
from tests.conftest import shared_path

from socialcare import (
    Conversation,
    DirectMessage,
    Includes,
    Page,
    Post,
    SocialCareError,
    User,
    autolink,
    extract_entities,
    parse_tweet,
    sign_webhook,
    verify_webhook_signature,
)
from socialcare.query import Query, QuerySet
from socialcare.storage import MemoryStore, SQLiteStore, Store, open_store

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

SAMPLES = ("data", "x-api-v2-samples")
MAX_MESSAGE = 2_000
"""No error message may be longer than this: offending values are truncated."""

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def only_documented_errors(*allowed: type[BaseException]) -> Iterator[list[BaseException]]:
    """Let ``SocialCareError`` (and ``allowed``) pass, check their messages; fail on others."""
    caught: list[BaseException] = []
    try:
        yield caught
    except (SocialCareError, *allowed) as exc:
        caught.append(exc)
        message = str(exc)
        assert len(message) <= MAX_MESSAGE, f"unbounded message: {len(message)} characters"
        message.encode("utf-8")  # printable and loggable: no lone surrogates


def assert_bounded(exc: BaseException) -> None:
    assert len(str(exc)) <= MAX_MESSAGE


# -- seeds --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> list[dict[str, Any]]:
    pages = load_pages(shared_path(*SAMPLES, "twarc-csv"))
    pages += load_responses(shared_path(*SAMPLES, "tweepy-decoded"))
    assert pages
    return pages


@pytest.fixture(scope="module")
def seeds(pages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    tweet_pages = [p for p in pages if "username" not in json.dumps(p.get("data"))[:2000]]
    dm_pages = [p for p in pages if "event_type" in json.dumps(p.get("data"))]
    user_pages = [p for p in pages if p not in tweet_pages and p not in dm_pages]
    posts = [p for p in items(tweet_pages, section="data") if "text" in p and "event_type" not in p]
    posts += items(pages, section="tweets")
    users = items(user_pages, section="data") + items(pages, section="users")
    dms = [d for d in items(dm_pages, section="data") if "event_type" in d]
    assert posts
    assert users
    assert dms
    return {
        "posts": posts,
        "users": users,
        "dms": dms,
        "post_pages": [p for p in tweet_pages if p not in dm_pages],
        "user_pages": user_pages,
        "dm_pages": dm_pages,
    }


MODELS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "posts": Post.from_x,
    "users": User.from_x,
    "dms": DirectMessage.from_x,
}


# -- models -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MODELS))
@FUZZ
@given(data=st.data())
def test_models_from_mutated_payloads_raise_payload_errors_or_round_trip(
    seeds: dict[str, list[dict[str, Any]]], kind: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated(seeds[kind]), label="payload")
    from_x = MODELS[kind]
    with only_documented_errors():
        model = from_x(payload)
        again = from_x(model.to_x())
        assert again == model
        json.dumps(model.to_x())


@pytest.mark.parametrize("date", EXTREME_DATES)
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_extreme_dates_are_payload_errors_or_round_trip(
    seeds: dict[str, list[dict[str, Any]]], kind: str, date: str
) -> None:
    payload = {**seeds[kind][0], "created_at": date}
    with only_documented_errors():
        model = MODELS[kind](payload)
        assert MODELS[kind](model.to_x()) == model


PAGES: dict[str, Callable[[dict[str, Any]], Page[Any]]] = {
    "post_pages": Page.posts_from_x,
    "user_pages": Page.users_from_x,
    "dm_pages": Page.dms_from_x,
}


@pytest.mark.parametrize("kind", sorted(PAGES))
@FUZZ
@given(data=st.data())
def test_pages_from_mutated_responses_raise_payload_errors_or_round_trip(
    seeds: dict[str, list[dict[str, Any]]], kind: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated(seeds[kind]), label="payload")
    with only_documented_errors():
        page = PAGES[kind](payload)
        serialize = {
            "post_pages": Post.to_x,
            "user_pages": User.to_x,
            "dm_pages": DirectMessage.to_x,
        }
        again = PAGES[kind](page.to_x(serialize[kind]))  # type: ignore[arg-type]
        assert again == page
        with only_documented_errors():
            Includes.from_x(payload.get("includes"))


@FUZZ
@given(value=odd_json)
def test_includes_and_models_take_any_json_value(value: object) -> None:
    for build in (Includes.from_x, Post.from_x, User.from_x, DirectMessage.from_x):
        with only_documented_errors():
            build(value)  # type: ignore[arg-type]
    with only_documented_errors():
        Page.posts_from_x({"data": [], "errors": [{"title": "x", "value": value}]})


def test_deeply_nested_problem_value_is_an_error_or_parses() -> None:
    with only_documented_errors():
        Page.posts_from_x({"errors": [{"title": "Not Found Error", "value": deep(5000)}]})


# -- text ---------------------------------------------------------------------------------------


@FUZZ
@given(text=any_text)
def test_text_functions_accept_any_str(text: str) -> None:
    parsed = parse_tweet(text)
    assert 0 <= parsed.valid_range_start <= parsed.valid_range_end <= max(len(text) - 1, 0)
    entities = extract_entities(text)
    for group in (entities.mentions, entities.urls, entities.hashtags, entities.cashtags):
        for entity in group:
            assert 0 <= entity.start < entity.end <= len(text)
    linked = autolink(text)
    assert isinstance(linked, str)


@pytest.mark.parametrize("call", [parse_tweet, extract_entities, autolink])
@pytest.mark.parametrize("value", [None, b"@acme", 42, ["x"]])
def test_text_functions_refuse_non_str_with_type_error(
    call: Callable[[Any], object], value: object
) -> None:
    with pytest.raises(TypeError):
        call(value)


# -- queries ------------------------------------------------------------------------------------

query_text = st.one_of(
    any_text,
    st.lists(
        st.sampled_from(
            [
                "acme",
                "(",
                ")",
                " ",
                "OR",
                "-",
                '"',
                "@acme",
                "#fail",
                "$AC",
                "lang:en",
                "is:retweet",
            ]
        ),
        max_size=30,
    ).map("".join),
)


def _post(text: str) -> Post:
    return Post(id="1", text=text, author_id="2", lang="en")


@FUZZ
@given(text=query_text, post_text=any_text)
def test_query_parse_render_match_raise_only_query_errors(text: str, post_text: str) -> None:
    with only_documented_errors():
        query = Query.parse(text)
        rendered = query.render(max_length=None)
        assert Query.parse(rendered) == query
        result = query.matches(_post(post_text))
        assert QuerySet({"rule": query}).matching(_post(post_text)) == (["rule"] if result else [])


@pytest.mark.parametrize("depth", [10, 300, 330, 1000, 5000])
def test_deeply_nested_query_is_a_query_error_or_parses(depth: int) -> None:
    with only_documented_errors():
        Query.parse("(" * depth + "acme" + ")" * depth)
    with only_documented_errors():
        Query.parse("(" * depth + "acme OR help" + ")" * depth)


@FUZZ
@given(words=st.lists(any_text, min_size=1, max_size=4), users=st.lists(any_text, max_size=3))
def test_query_builders_raise_only_query_errors(words: list[str], users: list[str]) -> None:
    for build in (
        lambda: Query.terms(*words),
        lambda: Query.phrase(*words),
        lambda: Query.any_of(*words),
        lambda: Query.terms("acme").none_of(*words),
        lambda: Query.from_(*users),
        lambda: Query.mentioning(*words),
        lambda: Query.hashtag(*words),
        lambda: Query.cashtag(*words),
        lambda: Query.url(*words),
        lambda: Query.lang(*words),
        lambda: Query.conversation_id(words[0]),
        lambda: ~Query.terms(words[0]),
        lambda: Query.terms("acme") | Query.terms(*words),
    ):
        with only_documented_errors():
            query = build()
            with only_documented_errors():
                rendered = query.render(max_length=None)
                assert Query.parse(rendered) == query
                query.matches(_post(" ".join(words)))


@FUZZ
@given(rules=st.dictionaries(any_text, query_text, min_size=1, max_size=4), text=any_text)
def test_query_set_raises_only_query_errors(rules: dict[str, str], text: str) -> None:
    with only_documented_errors():
        query_set = QuerySet(rules)
        post = _post(text)
        assert query_set.matching(post) == [n for n, q in query_set.items() if q.matches(post)]


# -- webhook signatures -------------------------------------------------------------------------

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
timestamps = st.one_of(
    any_text,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1767225600", " 1767225600 ", "1_767_225_600", "+1767225600", "9" * 5000]),
)
nows = st.one_of(
    st.just(NOW),
    st.sampled_from(
        [
            dt.datetime.min.replace(tzinfo=dt.timezone.utc),
            dt.datetime.max.replace(tzinfo=dt.timezone.utc),
            dt.datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose
        ]
    ),
    st.datetimes(timezones=st.just(dt.timezone.utc)),
)
tolerances = st.one_of(
    st.just(dt.timedelta(minutes=5)),
    st.sampled_from([dt.timedelta(0), dt.timedelta(days=-1), dt.timedelta.max, dt.timedelta.min]),
)


@FUZZ
@given(
    secret=st.one_of(any_text, st.binary(max_size=64)),
    body=st.binary(max_size=256),
    timestamp=timestamps,
    signature=st.one_of(any_text, st.just("sha256=" + "0" * 64)),
    now=nows,
    tolerance=tolerances,
)
def test_verify_webhook_signature_answers_a_bool_for_any_headers(  # noqa: PLR0917 - one argument per strategy
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    now: dt.datetime,
    tolerance: dt.timedelta,
) -> None:
    with only_documented_errors():
        result = verify_webhook_signature(
            secret, body, timestamp=timestamp, signature=signature, now=now, tolerance=tolerance
        )
        assert isinstance(result, bool)


@FUZZ
@given(secret=st.one_of(st.text(max_size=30), st.binary(max_size=30)), body=st.binary())
def test_a_fresh_correct_signature_verifies(secret: str | bytes, body: bytes) -> None:
    sent = int(NOW.timestamp())
    signature = sign_webhook(secret, body, sent)
    assert verify_webhook_signature(secret, body, timestamp=str(sent), signature=signature, now=NOW)


@pytest.mark.parametrize(
    "arguments",
    [
        {"secret": None},
        {"body": None},
        {"body": "text"},
        {"timestamp": None},
        {"timestamp": 1767225600},
        {"signature": None},
        {"signature": b"sha256=00"},
    ],
)
def test_verify_webhook_signature_with_wrong_types_is_false_or_type_error(
    arguments: dict[str, Any],
) -> None:
    call: dict[str, Any] = {
        "secret": "s3cret",
        "body": b"{}",
        "timestamp": "1767225600",
        "signature": "sha256=00",
        "now": NOW,
        **arguments,
    }
    secret, body = call.pop("secret"), call.pop("body")
    with only_documented_errors(TypeError):
        assert verify_webhook_signature(secret, body, **call) is False


# -- open_store ---------------------------------------------------------------------------------

safe_relative = st.text(
    alphabet=st.characters(codec=None, exclude_characters="/\\"), min_size=0, max_size=30
).filter(lambda s: s not in (".", ".."))
store_urls = st.one_of(
    any_text.filter(lambda u: not u.lower().startswith(("postgres", "sqlite"))),
    st.builds(lambda p: "sqlite:///" + p, safe_relative),
    st.builds(lambda p: "sqlite:///" + p + "/x.db", safe_relative),
    st.sampled_from(["sqlite:", "sqlite://", "sqlite:///", "memory:", "MEMORY:", "memory:x"]),
    st.builds(
        lambda user, db: f"postgresql://{user}:pw-s3cret@127.0.0.1:1/{db}?connect_timeout=1",
        st.sampled_from(["u", "%00", "%ff", "a b"]),
        st.sampled_from(["db", "%00", "x" * 300]),
    ),
)


@settings(FUZZ, max_examples=100)
@given(url=store_urls, create=st.booleans())
def test_open_store_raises_only_socialcare_errors(
    url: str, create: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("open")
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with only_documented_errors() as caught:
            open_store(url, create_schema=create).close()
    finally:
        os.chdir(cwd)
    for exc in caught:
        assert "pw-s3cret" not in str(exc), "a password leaked into an error message"


@pytest.mark.parametrize("url", [None, b"memory:", 1])
def test_open_store_with_a_non_str_url_is_a_type_error_or_configuration_error(url: Any) -> None:
    with only_documented_errors(TypeError):
        open_store(url)
    # (either is fine: the URL names no store)


# -- store methods ------------------------------------------------------------------------------

keys = st.one_of(odd_text, st.text(min_size=1, max_size=10))
ttls: st.SearchStrategy[Any] = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([1e-9, 1e9, 1e12, 1e16, 1e300, 86400 * 365 * 10_000, 0.5]),
)
ids = st.one_of(st.sampled_from(ODD_STRINGS[12:21]), odd_text, st.integers(1, 10**25).map(str))
json_payloads = st.dictionaries(
    keys, st.one_of(odd_text, st.integers(-(2**70), 2**70), st.floats(allow_nan=False)), max_size=3
)


@pytest.fixture(params=["memory", "sqlite"])
def fuzz_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    store: Store
    if request.param == "memory":
        store = MemoryStore()
    else:
        store = SQLiteStore(tmp_path / "fuzz.db", create_schema=True)
    store.reserve_action("canary", kind="reply", payload={"keep": True})
    store.put_conversation(
        Conversation(id="canary", waiting_since=NOW, customer_id="1", priority=1)
    )
    yield store
    store.close()


def _canary_intact(store: Store) -> None:
    action = store.get_action("canary")
    assert action is not None
    assert action.payload == {"keep": True}
    conversation = store.get_conversation("canary")
    assert conversation is not None
    assert conversation.priority == 1


STORE_FUZZ = settings(
    FUZZ,
    max_examples=60,
    # one store per test, shared by its examples: keys differ, and the canary must survive them all
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture],
)


@STORE_FUZZ
@given(key=keys, owner=keys, ttl=ttls)
def test_store_leases_take_any_key_owner_and_ttl(
    fuzz_store: Store, key: str, owner: str, ttl: Any
) -> None:
    with only_documented_errors(ValueError):
        if fuzz_store.claim_lease(key, owner, ttl=ttl):
            lease = fuzz_store.renew_lease(key, owner, ttl=ttl)
            assert (lease.key, lease.owner) == (key, owner)
            listed = fuzz_store.list_leases(prefix=key)
            assert all(item.key.startswith(key) for item in listed)
            assert fuzz_store.release_lease(key, owner)
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(key=keys, kind=keys, payload=json_payloads, owner=keys, ttl=ttls, remote=keys)
def test_store_outbox_takes_any_key_payload_and_ttl(  # noqa: PLR0917 - one argument per strategy
    fuzz_store: Store,
    key: str,
    kind: str,
    payload: dict[str, Any],
    owner: str,
    ttl: Any,
    remote: str,
) -> None:
    with only_documented_errors(ValueError):
        reservation = fuzz_store.reserve_action(key, kind=kind, payload=payload)
        stored = fuzz_store.get_action(key)
        assert stored == reservation.record
        if reservation.created:
            assert stored is not None
            assert stored.payload == payload
        with only_documented_errors(ValueError):
            fuzz_store.claim_actions(owner, ttl=ttl, limit=2, kind=kind)
        with only_documented_errors(ValueError):
            fuzz_store.mark_sent(key, remote_id=remote)
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(stream=keys, since=ids, until=ids, message=odd_text)
def test_store_cursors_take_any_stream_and_ids(
    fuzz_store: Store, stream: str, since: str, until: str, message: str
) -> None:
    with only_documented_errors(ValueError):
        cursor = fuzz_store.advance_cursor(stream, since_id=since)
        assert fuzz_store.get_cursor(stream) == cursor
    with only_documented_errors(ValueError):
        cursor = fuzz_store.set_backlog(stream, since_id=since, until_id=until)
        assert fuzz_store.get_cursor(stream) == cursor
    with only_documented_errors(ValueError):
        cursor = fuzz_store.record_stream_error(stream, message)
        assert fuzz_store.get_cursor(stream) == cursor
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(action=keys, actor=keys, subject=st.none() | odd_text, detail=json_payloads)
def test_store_audit_takes_any_text(
    fuzz_store: Store, action: str, actor: str, subject: str | None, detail: dict[str, Any]
) -> None:
    with only_documented_errors(ValueError):
        entry = fuzz_store.append_audit(action, actor=actor, subject=subject, detail=detail)
        (read,) = fuzz_store.audit_entries(after_seq=entry.seq - 1, limit=1)
        assert read == entry
        assert (read.action, read.actor, read.subject, dict(read.detail)) == (
            action,
            actor,
            subject,
            detail,
        )
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(
    cid=keys,
    priority=st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([2**63, -(2**63) - 1])),
    tags=st.frozensets(odd_text, max_size=3),
    customer=st.none() | odd_text,
    when=st.sampled_from(
        [
            NOW,
            dt.datetime.min.replace(tzinfo=dt.timezone.utc),
            dt.datetime.max.replace(tzinfo=dt.timezone.utc),
        ]
    ),
)
def test_store_conversations_take_any_priority_and_text(  # noqa: PLR0917 - one argument per strategy
    fuzz_store: Store,
    cid: str,
    priority: int,
    tags: frozenset[str],
    customer: str | None,
    when: dt.datetime,
) -> None:
    with only_documented_errors(ValueError):
        conversation = Conversation(
            id=cid, priority=priority, tags=tags, customer_id=customer, waiting_since=when
        )
        with only_documented_errors(ValueError):
            fuzz_store.put_conversation(conversation)
            assert fuzz_store.get_conversation(cid) == conversation
            assert conversation in fuzz_store.open_queue(limit=1000)
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(pid=ids, text=st.one_of(odd_text, st.text()), conversation=st.none() | ids)
def test_store_posts_take_any_text_and_read_back_unchanged(
    fuzz_store: Store, pid: str, text: str, conversation: str | None
) -> None:
    with only_documented_errors(ValueError):
        post = Post(id=pid, text=text, conversation_id=conversation)
        assert fuzz_store.upsert_posts([post]) == 1
        assert fuzz_store.get_post(pid) == post
        if conversation is not None:
            assert post in fuzz_store.posts_in_conversation(conversation)
    _canary_intact(fuzz_store)


@STORE_FUZZ
@given(code=keys, url=odd_text, conversation=st.none() | odd_text)
def test_store_short_links_take_any_code_and_url(
    fuzz_store: Store, code: str, url: str, conversation: str | None
) -> None:
    with only_documented_errors(ValueError):
        link = fuzz_store.put_short_link(code, url, conversation_id=conversation)
        clicked = fuzz_store.record_click(code)
        assert clicked is not None
        assert clicked.clicks == link.clicks + 1
    _canary_intact(fuzz_store)


@pytest.mark.parametrize("limit", [0, -1, 2**70, 1.5, math.inf, None, True])
def test_store_limits_are_value_or_type_errors(fuzz_store: Store, limit: Any) -> None:
    for call in (
        lambda: fuzz_store.list_actions(limit=limit),
        lambda: fuzz_store.audit_entries(limit=limit),
        lambda: fuzz_store.open_queue(limit=limit),
        lambda: fuzz_store.claim_actions("w", ttl=1, limit=limit),
        lambda: fuzz_store.find_conversations(limit=limit),
    ):
        with only_documented_errors(ValueError, TypeError):
            call()
    _canary_intact(fuzz_store)


def test_long_values_are_truncated_in_store_errors(fuzz_store: Store) -> None:
    huge = "x" * LONG
    for call in (
        lambda: fuzz_store.advance_cursor("s", since_id=huge),
        lambda: fuzz_store.claim_lease(huge, "", ttl=1),
        lambda: fuzz_store.claim_actions("w", ttl=huge, limit=1),  # type: ignore[arg-type]
        lambda: fuzz_store.set_backlog("s", since_id=None, until_id=huge),
    ):
        with pytest.raises((ValueError, SocialCareError)) as info:
            call()
        assert_bounded(info.value)
