from __future__ import annotations

import datetime as dt
import json
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare.errors import ConfigurationError
from socialcare.models import DirectMessage, Post, ReferencedPost
from socialcare.threads import Placeholder, Thread, Threader

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
BRAND = "900"


def post(
    pid: str,
    author: str,
    minute: int,
    *,
    reply_to: str | None = None,
    conversation: str | None = None,
    quote: str | None = None,
    retweet: str | None = None,
    text: str = "",
    history: tuple[str, ...] = (),
) -> Post:
    refs = []
    if reply_to:
        refs.append(ReferencedPost(type="replied_to", id=reply_to))
    if quote:
        refs.append(ReferencedPost(type="quoted", id=quote))
    if retweet:
        refs.append(ReferencedPost(type="retweeted", id=retweet))
    return Post(
        id=pid,
        text=text or f"text of {pid}",
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=minute),
        conversation_id=conversation,
        referenced=tuple(refs),
        edit_history_ids=history,
    )


def conversation_posts() -> list[Post]:
    """Customer 1 complains (10), the brand answers (11), 1 follows up (12, 14), a
    bystander chimes in (13) under the complaint; a quote (20) and a retweet (30)."""
    return [
        post("10", "1", 0, conversation="10"),
        post("11", BRAND, 5, reply_to="10", conversation="10"),
        post("12", "1", 7, reply_to="11", conversation="10"),
        post("13", "2", 6, reply_to="10", conversation="10"),
        post("14", "1", 9, reply_to="11", conversation="10"),
        post("20", "3", 8, quote="10", conversation="20"),
        post("30", "4", 8, retweet="10"),
    ]


def snapshot(threader: Threader) -> str:
    return "\n".join(
        str(t) + json.dumps(t.to_records(), sort_keys=True) for t in threader.threads()
    )


def test_a_conversation_becomes_one_tree_with_children_in_time_order() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest(conversation_posts())
    thread = threader.thread("10")
    assert isinstance(thread.root, Post)
    assert thread.root.id == "10"
    assert [p.id for p in thread.posts] == ["10", "11", "13", "12", "14"]
    assert thread.children("10") == ("11", "13")  # 11 at +5 before 13 at +6
    assert thread.children("11") == ("12", "14")
    assert thread.parent("12") == "11"
    assert thread.parent("10") is None
    assert thread.missing == ()
    assert threader.thread_of("14") == thread
    assert [q.id for q in thread.quotes] == ["20"]  # listed as a quote, not threaded
    assert "20" not in thread
    assert threader.thread("20").root.id == "20"  # the quote opens its own conversation
    assert "30" not in threader  # retweets are ignored
    assert [t.conversation_id for t in threader.threads()] == ["10", "20"]
    with pytest.raises(KeyError):
        thread.children("99")
    with pytest.raises(KeyError):
        threader.thread("11")  # a post id, not a conversation id
    with pytest.raises(KeyError):
        threader.thread_of("99")


def test_arrival_order_duplicates_and_batches_give_byte_identical_trees() -> None:
    posts = conversation_posts()
    reference = Threader(brands={BRAND})
    reference.ingest(posts)
    expected = snapshot(reference)
    rng = random.Random(7)
    for _ in range(25):
        shuffled = posts + rng.sample(posts, 3)
        rng.shuffle(shuffled)
        threader = Threader(brands={BRAND})
        cut = rng.randrange(len(shuffled))
        threader.ingest(shuffled[:cut])
        threader.ingest(shuffled[cut:])
        assert snapshot(threader) == expected


def test_a_reply_whose_parent_is_absent_hangs_under_a_placeholder_until_it_arrives() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest([post("12", "1", 7, reply_to="11", conversation="10")])
    thread = threader.thread("10")
    assert thread.root == Placeholder("10")
    assert thread.missing == ("10", "11")
    assert thread.detached == ("11",)  # its link to the root is unknown
    assert threader.missing == ("10", "11")
    threader.ingest([post("11", BRAND, 5, reply_to="10", conversation="10")])
    thread = threader.thread("10")
    assert thread.missing == ("10",)
    assert thread.detached == ()
    assert thread.children("10") == ("11",)
    threader.ingest([post("10", "1", 0, conversation="10")])
    assert threader.thread("10").missing == ()
    assert threader.missing == ()


def test_a_source_without_conversation_id_is_threaded_by_the_reply_chain() -> None:
    threader = Threader()
    threader.ingest(
        [
            post("3", "b", 2, reply_to="2"),
            post("2", "a", 1, reply_to="1"),
            post("5", "c", 4, reply_to="4"),
            post("1", "c", 0),
        ]
    )
    assert threader.conversation_ids() == ["1", "4"]
    assert [p.id for p in threader.thread("1").posts] == ["1", "2", "3"]
    orphan = threader.thread("4")
    assert orphan.root == Placeholder("4")
    assert orphan.children("4") == ("5",)


def test_edits_are_one_node_and_the_newest_version_wins_in_any_order() -> None:
    original = post("10", "1", 0, conversation="10", text="my order is late", history=("10",))
    edited = post("15", "1", 0, conversation="10", text="my order is LATE", history=("10", "15"))
    reply_to_edit = post("16", BRAND, 3, reply_to="15", conversation="10")
    reply_to_original = post("11", BRAND, 2, reply_to="10", conversation="10")
    items = [original, edited, reply_to_edit, reply_to_original]
    results = set()
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]):
        threader = Threader(brands={BRAND})
        for index in order:
            threader.ingest([items[index]])
        thread = threader.thread("10")
        assert thread.posts[0].text == "my order is LATE"
        assert thread.children("10") == ("11", "16")
        assert thread.missing == ()
        assert "15" in threader
        assert threader.thread_of("15") == thread
        results.add(snapshot(threader))
    assert len(results) == 1


def test_a_duplicate_with_different_fields_is_settled_the_same_whatever_the_order() -> None:
    a = post("10", "1", 0, conversation="10", text="first fetch")
    b = post("10", "1", 0, conversation="10", text="second fetch")
    one, two = Threader(), Threader()
    assert one.ingest([a, b]) in {1, 2}
    two.ingest([b, a])
    assert snapshot(one) == snapshot(two)
    assert one.ingest([a, a]) == 0


def test_reply_cycles_do_not_hang_or_loop() -> None:
    threader = Threader()
    threader.ingest([post("1", "a", 0, reply_to="2"), post("2", "b", 1, reply_to="1")])
    (thread,) = threader.threads()
    assert len(thread) == 2
    assert len(list(thread.walk())) == 2


def test_tombstones_replace_placeholders_and_a_later_post_wins() -> None:
    threader = Threader()
    threader.ingest([post("12", "1", 7, reply_to="11", conversation="10")])
    threader.mark_unavailable("11", "deleted")
    thread = threader.thread("10")
    assert thread.node("11") == Placeholder("11", "deleted")
    assert thread.tombstones == ("11",)
    assert threader.missing == ("10",)
    threader.ingest([post("11", "2", 5, reply_to="10", conversation="10")])
    assert threader.thread("10").tombstones == ()


def test_views_text_html_and_records() -> None:
    threader = Threader(brands={BRAND})
    items = conversation_posts()
    items[0] = post("10", "1", 0, conversation="10", text="<b>late</b> & lost")
    threader.ingest(items)
    thread = threader.thread("10")
    text = thread.tree()
    assert text.splitlines()[0] == "Thread 10: 5 posts, 0 missing"
    assert "    11 2026-03-02 09:05 @900 (brand):" in text
    assert "  quote: 20" in text
    markup = thread._repr_html_()
    assert "&lt;b&gt;late&lt;/b&gt; &amp; lost" in markup
    assert "<b>" not in markup
    records = thread.to_records()
    assert [(r["id"], r["parent_id"], r["depth"], r["kind"]) for r in records] == [
        ("10", None, 0, "post"),
        ("11", "10", 1, "post"),
        ("12", "11", 2, "post"),
        ("14", "11", 2, "post"),
        ("13", "10", 1, "post"),
        ("20", "10", None, "quote"),
    ]
    assert records[1]["role"] == "brand"
    assert records[0]["created_at"] == "2026-03-02T09:00:00+00:00"
    assert repr(thread) == "Thread(conversation_id='10', posts=5, missing=0, root='10')"


def test_to_dataframe_when_pandas_is_installed() -> None:
    pandas = pytest.importorskip("pandas")
    threader = Threader(brands={BRAND})
    threader.ingest(conversation_posts())
    frame = threader.thread("10").to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["id"]) == ["10", "11", "12", "14", "13", "20"]


def test_participants_roles_and_attribution() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest(conversation_posts())
    thread = threader.thread("10")
    assert [(p.user_id, p.role, p.turns) for p in thread.participants] == [
        ("1", "customer", 3),
        (BRAND, "brand", 1),
        ("2", "bystander", 1),
    ]
    assert [(t.id, t.author_id, t.role) for t in thread.turns] == [
        ("10", "1", "customer"),
        ("11", BRAND, "brand"),
        ("13", "2", "bystander"),
        ("12", "1", "customer"),
        ("14", "1", "customer"),
    ]
    assert thread.state == "awaiting_brand"


def test_the_brands_own_post_never_opens_a_conversation() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest([post("50", BRAND, 0, conversation="50")])
    assert threader.thread("50").state is None
    assert threader.thread("50").customer_id is None
    threader.ingest([post("51", "7", 1, reply_to="50", conversation="50")])
    thread = threader.thread("50")
    assert thread.customer_id == "7"  # who replied to the brand's post opened it
    assert thread.state == "new"
    # a brand reply whose parent is missing hangs under the placeholder, no new thread
    threader.ingest([post("61", BRAND, 3, reply_to="60", conversation="60")])
    assert threader.thread("60").root == Placeholder("60")
    assert threader.thread("60").state is None
    assert threader.conversation_ids() == ["50", "60"]


def test_care_state_escalation_dm_lane_and_reopening() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest(conversation_posts()[:2])
    assert threader.thread("10").state == "awaiting_customer"
    threader.escalate("10", T0 + dt.timedelta(minutes=6))
    threader.ingest_dms(
        [
            DirectMessage(
                id="d1", text="order 42", sender_id="1", participant_ids=("1", BRAND),
                created_at=T0 + dt.timedelta(minutes=8),
            ),
            DirectMessage(
                id="d0", text="earlier chat", sender_id="1", participant_ids=("1", BRAND),
                created_at=T0 + dt.timedelta(minutes=1),
            ),
            DirectMessage(
                id="d2", text="unrelated", sender_id="5", participant_ids=("5", BRAND),
                created_at=T0 + dt.timedelta(minutes=9),
            ),
        ]
    )  # fmt: skip
    thread = threader.thread("10")
    assert [(t.id, t.channel, t.role) for t in thread.turns] == [
        ("10", "public", "customer"),
        ("11", "public", "brand"),
        ("d1", "dm", "customer"),
    ]
    assert thread.state == "escalated"
    threader.resolve("10", T0 + dt.timedelta(minutes=20))
    assert threader.thread("10").state == "resolved"
    threader.ingest([post("19", "1", 30, reply_to="11", conversation="10")])
    assert threader.thread("10").state == "awaiting_brand"  # reopened by new inbound
    with pytest.raises(ValueError, match="aware"):
        threader.resolve("10", dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_bad_input_is_named() -> None:
    threader = Threader()
    with pytest.raises(TypeError, match="Post values, got dict"):
        threader.ingest([{"id": "1"}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single string"):
        Threader(brands="acme")
    with pytest.raises(TypeError, match="DirectMessage values"):
        threader.ingest_dms(["x"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no nodes"):
        Thread(conversation_id="1", nodes={}, parents={})
    with pytest.raises(ValueError, match="unknown node"):
        Thread(conversation_id="1", nodes={"1": Placeholder("1")}, parents={"2": "1"})


def test_stats_count_what_is_held() -> None:
    threader = Threader(brands={BRAND})
    threader.ingest(conversation_posts())
    threader.ingest([post("99", "1", 1, reply_to="98", conversation="97")])
    assert threader.stats() == {
        "posts": 7, "conversations": 3, "placeholders": 2, "tombstones": 0, "quotes": 1,
    }  # fmt: skip
    assert len(threader) == 7
    assert threader.thread("97").depth() == 1


def test_any_arrival_order_gives_the_same_tree_property() -> None:
    @st.composite
    def forests(draw: st.DrawFn) -> list[Post]:
        count = draw(st.integers(1, 25))
        items: list[Post] = []
        for n in range(count):
            pid = str(100 + n)
            parent = draw(st.none() | st.integers(0, n + 3)) if n else None
            reply_to = str(100 + parent) if parent is not None else None
            with_cid = draw(st.booleans())
            items.append(
                post(pid, str(draw(st.integers(1, 4))), draw(st.integers(0, 5)),
                     reply_to=reply_to, conversation="100" if with_cid else None)
            )  # fmt: skip
        return items

    @settings(max_examples=150, deadline=None)
    @given(forests(), st.randoms(use_true_random=False), st.integers(0, 3))
    def check(items: list[Post], rng: random.Random, extra: int) -> None:
        reference = Threader(brands={"1"})
        reference.ingest(items)
        shuffled = items + [rng.choice(items) for _ in range(extra)]
        rng.shuffle(shuffled)
        other = Threader(brands={"1"})
        for item in shuffled:
            other.ingest([item])
        assert snapshot(other) == snapshot(reference)
        assert sum(len(t) for t in other.threads()) == len(items)

    check()


def test_to_dataframe_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    threader = Threader()
    threader.ingest(conversation_posts())
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an absent pandas looks like
    with pytest.raises(ConfigurationError, match=r"socialcare\[pandas\]"):
        threader.thread("10").to_dataframe()
