"""Redaction for storage (length for length, entity offsets intact) and for logs."""

from __future__ import annotations

import logging

import pytest

from socialcare.models import (
    DirectMessage,
    Entities,
    MentionEntity,
    Post,
    TagEntity,
    UrlEntity,
    User,
)
from socialcare.privacy import DEFAULT_GUARD, PrivateDataGuard, RedactingFilter
from socialcare.sandbox import Sandbox

CARD = "4111 1111 1111 1111"
TEXTS = [
    f"my card {CARD} was charged twice",
    "mail me at ann.k@example.com please",
    "my password: hunter2!! does not work",
    "call me on (415) 555-0132 or +44 20 7946 0958",
    "IBAN DE89 3704 0044 0532 0130 00, order #A12345678",
    "my SSN is 234-56-7890",
]


@pytest.mark.parametrize("text", TEXTS)
def test_keep_length_redacts_every_finding_one_character_for_one(text: str) -> None:
    findings = DEFAULT_GUARD.scan(text)
    assert findings  # each text holds private data
    redacted = DEFAULT_GUARD.redact(text, keep_length=True)
    assert len(redacted) == len(text)
    for finding in findings:
        assert finding.matched not in redacted
        assert redacted[finding.start : finding.end] != finding.matched
    outside = [i for i in range(len(text)) if not any(f.start <= i < f.end for f in findings)]
    assert all(redacted[i] == text[i] for i in outside)
    # what is left is masks only (a masked password still reads as one: "password: ****")
    assert all(set(f.matched) <= {"*", " "} for f in DEFAULT_GUARD.scan(redacted))


def test_keep_length_forms() -> None:
    text = "pw: hunter2 mail ann.k@example.com card 4111 1111 1111 1111"
    assert DEFAULT_GUARD.redact(text, keep_length=True) == (
        "pw: ******* mail a****@example.com card **** **** **** 1111"
    )
    assert DEFAULT_GUARD.redact(text) == (
        "pw: ******** mail a***@example.com card **** **** **** 1111"
    )


def _entity_texts(post: Post) -> list[str]:
    spans = [*post.entities.mentions, *post.entities.urls, *post.entities.hashtags]
    return [post.text[e.start : e.end] for e in sorted(spans, key=lambda e: e.start)]


def test_a_post_as_x_stores_it_keeps_its_entities() -> None:
    sandbox = Sandbox()
    sandbox.add_user("acmehelp")
    ann = sandbox.add_user("ann")
    brand_post = sandbox.add_post("acmehelp", "How can we help? #support")
    text = (  # X adds the leading @acmehelp, escapes & and wraps the link in t.co
        f"🙁 card {CARD} charged twice & mail ann.k@example.com "
        "see https://example.com/receipt #billing"
    )
    post = sandbox.add_post(ann, text, in_reply_to=brand_post)
    assert post.entities.mentions
    assert post.entities.urls
    assert post.text.startswith("@acmehelp 🙁")
    assert post.display_text_range == (10, len(post.text))
    redacted = DEFAULT_GUARD.redact_post(post)
    assert CARD not in redacted.text
    assert "ann.k@" not in redacted.text
    assert len(redacted.text) == len(post.text)
    assert redacted.entities == post.entities  # no URL entity held private data
    assert redacted.display_text_range == post.display_text_range
    assert _entity_texts(redacted) == _entity_texts(post)
    assert [m.username for m in redacted.entities.mentions] == ["acmehelp"]
    start, end = redacted.display_text_range
    assert redacted.text[start:end].startswith("🙁 card **** **** **** 1111")
    assert redacted.text[start:end].endswith("#billing")
    assert (redacted.id, redacted.author_id, redacted.created_at) == (
        post.id,
        post.author_id,
        post.created_at,
    )


def test_url_entities_and_the_note_are_redacted_too() -> None:
    note = "long story: my order #A12345678 and card " + CARD + " #refund"
    tag_at = note.index("#refund")
    post = Post(
        id="5",
        text="@acme see https://t.co/abc #refund",
        entities=Entities(
            mentions=(MentionEntity(0, 5, "acme"),),
            urls=(
                UrlEntity(
                    10,
                    26,
                    "https://t.co/abc",
                    expanded_url="https://shop.example/help?mail=ann.k@example.com",
                    display_url="shop.example/help?mail=ann.k@…",
                    title="Order for ann.k@example.com",
                ),
            ),
            hashtags=(TagEntity(27, 34, "refund"),),
        ),
        note_text=note,
        note_entities=Entities(hashtags=(TagEntity(tag_at, tag_at + 7, "refund"),)),
        display_text_range=(6, 34),
    )
    redacted = DEFAULT_GUARD.redact_post(post)
    assert redacted.text == post.text
    [url] = redacted.entities.urls
    assert (url.start, url.end, url.url) == (10, 26, "https://t.co/abc")
    assert url.expanded_url is not None
    assert "ann.k@" not in url.expanded_url
    assert url.title == "Order for a***@example.com"
    assert redacted.note_text is not None
    assert len(redacted.note_text) == len(note)
    assert CARD not in redacted.note_text
    assert "A12345678" not in redacted.note_text
    assert redacted.note_entities == post.note_entities
    assert redacted.note_text[tag_at : tag_at + 7] == "#refund"
    assert redacted.entities.mentions == post.entities.mentions
    assert redacted.entities.hashtags == post.entities.hashtags


def test_nothing_found_returns_the_same_objects() -> None:
    post = Post(id="1", text="@acme my parcel is late")
    message = DirectMessage(id="2", text="thanks!")
    user = User(id="3", username="ann", name="Ann", description="I like cats")
    assert DEFAULT_GUARD.redact_post(post) is post
    assert DEFAULT_GUARD.redact_dm(message) is message
    assert DEFAULT_GUARD.redact_user(user) is user
    assert DEFAULT_GUARD.redact_user(User(id="4", username="bo", name="Bo")).description is None


def test_dms_and_profiles() -> None:
    message = DirectMessage(id="2", text=f"card {CARD}, exp 09/28", sender_id="42")
    stored = DEFAULT_GUARD.redact_dm(message)
    assert stored.text == "card **** **** **** 1111, exp 09/28"
    assert (stored.id, stored.sender_id) == ("2", "42")
    user = User(id="3", username="ann", name="Ann", description="reach me: ann.k@example.com")
    assert DEFAULT_GUARD.redact_user(user).description == "reach me: a***@example.com"


def test_a_configured_guard_decides_what_is_redacted() -> None:
    only_cards = PrivateDataGuard(kinds={"card"})
    post = Post(id="1", text=f"{CARD} and ann.k@example.com")
    assert only_cards.redact_post(post).text == "**** **** **** 1111 and ann.k@example.com"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def handler() -> _Records:
    return _Records()


def _logger(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger


def test_the_filter_redacts_messages_and_args(handler: _Records) -> None:
    handler.addFilter(RedactingFilter())
    logger = _logger("socialcare.test.redact.a", handler)
    try:
        logger.warning("post %s says %r", "7", f"card {CARD}")
        logger.info("mail %(who)s", {"who": "ann.k@example.com"})
        logger.info("nothing private in %s", "here")
        logger.info(f"inline {CARD}")  # noqa: G004 - a message already formatted
    finally:
        logger.removeHandler(handler)
    assert handler.lines == [
        "socialcare.test.redact.a post 7 says 'card **** **** **** 1111'",
        "socialcare.test.redact.a mail a***@example.com",
        "socialcare.test.redact.a nothing private in here",
        "socialcare.test.redact.a inline **** **** **** 1111",
    ]


def test_the_filter_leaves_clean_records_as_they_are() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s", ("ann",), None)
    assert RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("user %s", ("ann",))


def _parse(text: str) -> None:
    raise ValueError(f"cannot parse {text}")


def test_the_filter_redacts_tracebacks(handler: _Records) -> None:
    handler.addFilter(RedactingFilter())
    logger = _logger("socialcare.test.redact.b", handler)
    try:
        try:
            _parse(CARD)
        except ValueError:
            logger.exception("failed on post %s", "9")
    finally:
        logger.removeHandler(handler)
    [line] = handler.lines
    assert "failed on post 9" in line
    assert "ValueError: cannot parse **** **** **** 1111" in line
    assert CARD not in line


def test_a_logger_filter_and_a_named_filter(handler: _Records) -> None:
    parent = _logger("socialcare.test.redact.c", handler)
    child = logging.getLogger("socialcare.test.redact.c.child")
    redacting = RedactingFilter(name="socialcare.test.redact.c")
    parent.addFilter(redacting)
    other = logging.LogRecord("elsewhere", logging.INFO, __file__, 1, CARD, None, None)
    try:
        parent.info("card %s", CARD)
        child.info("card %s", CARD)  # a logger's filter does not see its children's records
        assert redacting.filter(other)
    finally:
        parent.removeHandler(handler)
        parent.removeFilter(redacting)
    assert handler.lines == [
        "socialcare.test.redact.c card **** **** **** 1111",
        f"socialcare.test.redact.c.child card {CARD}",
    ]
    assert other.msg == CARD  # another logger's record passes untouched
