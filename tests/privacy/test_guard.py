"""PrivateDataGuard on hand-written cases: each kind, its look-alikes, options and errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcare import ComposeError, ConfigurationError, PrivateDataError
from socialcare.privacy import PRIVATE_KINDS, Finding, PrivateDataGuard
from socialcare.privacy._detect import card_network, luhn_valid

GUARD = PrivateDataGuard()


def found(text: str, guard: PrivateDataGuard = GUARD) -> list[tuple[str, str]]:
    return [(f.kind, f.matched) for f in guard.scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 please", [("card", "4111 1111 1111 1111")]),
        ("card 4111-1111-1111-1111.", [("card", "4111-1111-1111-1111")]),
        ("amex 3782 822463 10005", [("card", "3782 822463 10005")]),
        ("mc 5555555555554444", [("card", "5555555555554444")]),
        ("card 4111 1111 1111 1111 2 times", [("card", "4111 1111 1111 1111")]),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", [("iban", "DE89 3704 0044 0532 0130 00")]),
        ("iban: GB82WEST12345698765432.", [("iban", "GB82WEST12345698765432")]),
        ("mail me at ann.k+care@example.co.uk.", [("email", "ann.k+care@example.co.uk")]),
        ("call me on (415) 555-0132", [("phone", "(415) 555-0132")]),
        ("ring +44 20 7946 0958 today", [("phone", "+44 20 7946 0958")]),
        ("order #112-1234567-1234567 is late", [("account", "112-1234567-1234567")]),
        ("acct no. 98765432", [("account", "98765432")]),
        ("ssn 234-56-7890", [("national_id", "234-56-7890")]),
        ("my NI number is AB 12 34 56 C", [("national_id", "AB 12 34 56 C")]),
        ("ssn: 234567890", [("national_id", "234567890")]),
        ("password: hunter2", [("password", "hunter2")]),
        ("my pw is Hunter22!", [("password", "Hunter22")]),
        ("PIN = 4321", [("password", "4321")]),
        ("the password is 'sunshine'", [("password", "sunshine")]),
    ],
)
def test_each_kind_is_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112 fails Luhn",
        "tracking 1234567812345670 is a Luhn-valid id outside every IIN range",
        "version 10.3.3 build 14E277 on 2017-10-31 12:30:45",
        "it cost $1,299.99 on 12/05/2017 at 10:30",
        "tweet 2125551234 and id 9876543210",
        "call 1-800-275-2273 (our free line)",
        "write to support@acme.com or abuse@bank.com",
        "@acmehelp hi @ann_k",
        "my password is wrong and my pin is not working",
        "reset my password please",
        "boarding pass: BA123456 for seat 12A",
        "my pin is not working, pin: please",
        "ssn 123456789 is not flagged without the keyword? 123456789",
        "order number please",
        "DE00 1234 5678 9012 3456 78 fails mod-97",
        "case ID is PP-006-234-348-863",
        "it was 50% off, 2017-2018 season, 1,000,000 views",
    ],
)
def test_look_alikes_are_not_flagged(text: str) -> None:
    if text.startswith("ssn 123456789"):
        # the keyword reaches the first number only
        assert found(text) == [("national_id", "123456789")]
    else:
        assert found(text) == []


def test_findings_carry_span_label_and_redaction() -> None:
    text = "card 4111 1111 1111 1111, mail ann@example.com, password: hunter2"
    card, email, password = GUARD.scan(text)
    assert card == Finding("card", 5, 24, "4111 1111 1111 1111", "**** **** **** 1111", "visa")
    assert text[slice(*card.span)] == card.matched
    assert (email.kind, email.redacted, email.label) == ("email", "a***@example.com", "example.com")
    assert password.redacted == "********"
    assert "hunter2" not in repr(password)  # the value stays out of reprs and logs
    assert GUARD.redact(text) == (
        "card **** **** **** 1111, mail a***@example.com, password: ********"
    )


def test_offsets_are_code_points() -> None:
    text = "\U0001f621\U0001f621 card 4111111111111111"
    (card,) = GUARD.scan(text)
    assert card.start == 8
    assert text[card.start : card.end] == "4111111111111111"


def test_check_public_names_kinds_never_values() -> None:
    text = "card 4111 1111 1111 1111 and ann@example.com"
    with pytest.raises(PrivateDataError) as caught:
        GUARD.check_public(text)
    error = caught.value
    assert isinstance(error, ComposeError)
    assert error.kinds == ("card", "email")
    message = str(error)
    assert "payment card number" in message
    assert "e-mail address" in message
    assert "direct message" in message
    assert "4111" not in message
    assert "ann@" not in message
    GUARD.check_public("nothing private here, call 1-800-275-2273")


def test_overlaps_go_to_the_stronger_kind() -> None:
    # a Luhn-valid Visa number after "order" is a card, not an order number
    assert found("order 4111111111111111") == [("card", "4111111111111111")]


def test_kinds_option_limits_the_scan() -> None:
    guard = PrivateDataGuard(kinds=("email",))
    assert found("card 4111 1111 1111 1111 ann@example.com", guard) == [
        ("email", "ann@example.com")
    ]
    assert guard.kinds == frozenset({"email"})


def test_phone_regions_decide_national_formats() -> None:
    text = "ring 020 7946 0958 please"
    assert found(text, PrivateDataGuard(phone_regions=("US",))) == []
    assert found(text, PrivateDataGuard(phone_regions=("GB",))) == [("phone", "020 7946 0958")]


def test_business_lines_and_role_addresses_can_be_flagged() -> None:
    guard = PrivateDataGuard(business_phones=True, role_addresses=True)
    assert found("call 1-800-275-2273 or support@acme.com", guard) == [
        ("phone", "1-800-275-2273"),
        ("email", "support@acme.com"),
    ]


def test_allow_lists_public_values() -> None:
    guard = PrivateDataGuard(allow=("care@acme.example", "(415) 555-0132"))
    assert found("write CARE@acme.example or 415 555 0132", guard) == []
    assert found("or ann@acme.example", guard) == [("email", "ann@acme.example")]


def test_account_patterns_are_named_and_configurable() -> None:
    guard = PrivateDataGuard(account_patterns={"booking": r"\b[A-Z]{2}\d{6}\b"})
    assert [(f.kind, f.label, f.matched) for f in guard.scan("ref AB123456 ok")] == [
        ("account", "booking", "AB123456")
    ]
    # the defaults are replaced, not extended
    assert found("order #112-1234567-1234567", guard) == []


def test_national_ids_are_configurable_stdnum_modules() -> None:
    guard = PrivateDataGuard(national_ids=("nl.bsn",))
    assert found("my BSN is 1112.22.333", guard) == [("national_id", "1112.22.333")]
    assert found("ssn 234-56-7890", guard) == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kinds": ("email", "ssn")}, "kinds"),
        ({"phone_regions": ("USA",)}, "phone_regions"),
        ({"account_patterns": {"order": "("}}, "account_patterns['order']"),
        ({"account_patterns": {"order": "x*"}}, "account_patterns['order']"),
        ({"account_patterns": {"": "x"}}, "account_patterns"),
        ({"national_ids": ("xx.nothing",)}, "national_ids"),
        ({"national_ids": ("../etc",)}, "national_ids"),
        ({"national_ids": ("util",)}, "national_ids"),
        ({"allow": ("--",)}, "allow"),
    ],
)
def test_bad_options_name_the_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=__import__("re").escape(field)):
        PrivateDataGuard(**options)  # type: ignore[arg-type]


def test_luhn_and_networks() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert card_network("4111111111111111") == "visa"
    assert card_network("378282246310005") == "amex"
    assert card_network("6011111111111117") == "discover"
    assert card_network("3530111333300000") == "jcb"
    assert card_network("2221000000000009") == "mastercard"
    assert card_network("9111111111111111") is None
    assert card_network("41111111111111") is None  # 14 digits: no Visa length


def test_every_kind_is_known() -> None:
    assert set(PRIVATE_KINDS) == {
        "password",
        "card",
        "iban",
        "national_id",
        "account",
        "email",
        "phone",
    }


@given(st.text(max_size=300))
def test_scan_never_fails_and_spans_are_exact(text: str) -> None:
    findings = GUARD.scan(text)
    last = 0
    for f in findings:
        assert last <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.matched
        last = f.end
    redacted = GUARD.redact(text)
    for f in findings:
        assert f.matched not in redacted or f.kind == "email"
