"""The pure detectors: link domains, look-alikes, phishing; false positives on real texts."""

from __future__ import annotations

import pytest
from tests.conftest import shared_path

from socialcare.conversations import read_twcs
from socialcare.guard import (
    DEFAULT_PHISHING_PATTERNS,
    PhishingDetector,
    PhishingPattern,
    domain_allowed,
    domain_of,
    links_in,
)
from socialcare.models import Entities, UrlEntity

ACME = PhishingDetector(brand_names=("acme",), brand_domains=("acme.com", "acme.co.uk"))


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.Acme.com/help", "acme.com"),
        ("acme-help.net/login", "acme-help.net"),
        ("http://xn--acm-ypa.com/", "xn--acm-ypa.com"),
        ("https://acmé.com/", "xn--acm-dma.com"),
        ("", None),
        ("https://", None),
    ],
)
def test_domain_of(url: str, host: str | None) -> None:
    assert domain_of(url) == host


def test_domain_allowed_takes_subdomains_not_suffixes() -> None:
    assert domain_allowed("help.acme.com", ["acme.com"])
    assert domain_allowed("acme.com", ["www.acme.com"])
    assert not domain_allowed("evilacme.com", ["acme.com"])
    assert not domain_allowed("acme.com.evil.io", ["acme.com"])


def test_links_in_prefers_x_expansions_over_t_co() -> None:
    entities = Entities(
        urls=(
            UrlEntity(start=4, end=27, url="https://t.co/abc", expanded_url="https://evil.com/x"),
        )
    )
    assert links_in("see https://t.co/abc", entities) == ("https://evil.com/x",)
    assert links_in("see https://t.co/abc") == ("https://t.co/abc",)
    assert links_in("go to acme.com/help now") == ("acme.com/help",)


LURES = [
    "Acme Security: verify your account within 24h or it will be closed",
    "We noticed unusual activity. Please confirm your identity here: acme-secure.net",
    "Hi! To process the refund, send us your password and the code we texted you",
    "Please DM your one-time code so we can unlock it",
    "To restore your wallet, reply with your seed phrase",
    "Share your recovery phrase with our agent to get your funds back",
    "Your account will be suspended unless you log in at https://acme.support/login",
    "Your account has been locked. Click here to verify: bit.ly/x",
    "Log in at https://acrne.com/signin to claim your refund",
    "Claim your prize at https://acme-rewards.io",
    "Update billing: https://secure-login.example-pay.com/auth?next=acme",
    "Please provide your card number and CVV to confirm the order",
    "Our agent needs your private key to reverse the transaction",
    "validate your login at www.4cme.com",
    "Enter your login details at https://acm\u0435.com (Cyrillic e) to keep access",
]

CARE_TEXTS = [
    "We will never ask for your password. Please don't share it with anyone.",
    "Please confirm your email address or phone number through direct message.",
    "You can reset your password at https://acme.com/account/reset",
    "I forgot my password and can't log in to my account!",
    "Someone changed my password, I think I was hacked",
    "Is this a scam? I got an email asking me to verify my account",
    "Sign in at https://acme.co.uk/login to see your orders",
    "My account was suspended for no reason, help",
    "Could you verify your phone number for us in DM?",
    "Please send us your order number in a DM and we'll take a look",
    "Try logging out and in again at acme.com",
    "Never give your PIN to anyone, not even us",
    "Do not share your one-time code with anyone who calls you",
]


@pytest.mark.parametrize("text", LURES)
def test_lures_are_flagged(text: str) -> None:
    assert ACME.scan(text), text


@pytest.mark.parametrize("text", CARE_TEXTS)
def test_ordinary_care_texts_are_not_flagged(text: str) -> None:
    assert ACME.scan(text) == (), [m.pattern for m in ACME.scan(text)]


def test_lookalikes() -> None:
    lookalikes = ("acme-help.net", "acmehelp.io", "acrne.com", "4cme.com", "acne.com", "acmme.com")
    for host in lookalikes:
        assert ACME.lookalike(host), host
    cyrillic_e = domain_of("https://acm\u0435.com/")
    assert cyrillic_e is not None
    assert cyrillic_e.startswith("xn--")
    assert ACME.lookalike(cyrillic_e)
    for host in ("acme.com", "shop.acme.com", "acme.co.uk", "example.com", "academy.org"):
        assert not ACME.lookalike(host), host


def test_matches_name_the_pattern_and_reason() -> None:
    [match] = ACME.scan("please verify your account")
    assert (match.pattern, match.matched) == ("verify_account", "verify your account")
    assert match.why == "asks to verify an account"


def test_patterns_are_data() -> None:
    custom = PhishingDetector(
        patterns=(
            *DEFAULT_PHISHING_PATTERNS,
            PhishingPattern("gift_card", r"\bgift cards?\b", "x"),
        ),
    )
    assert [m.pattern for m in custom.scan("pay the fee in gift cards")] == ["gift_card"]
    assert PhishingDetector(patterns=()).scan("verify your account") == ()
    with pytest.raises(ValueError, match="bad"):
        PhishingDetector(patterns=(PhishingPattern("bad", "(", "broken"),))
    with pytest.raises(ValueError, match="too short"):
        PhishingDetector(brand_names=("ab",))


# Brands of the real care texts and their domains, as a care team would configure them.
TWCS_BRANDS = {
    "apple": ("apple.com", "icloud.com"),
    "amazon": ("amazon.com", "amazon.co.uk", "amazon.de", "amazon.es", "amazon.in"),
    "sprint": ("sprint.com",),
    "chase": ("chase.com",),
    "delta": ("delta.com",),
    "verizon": ("verizon.com",),
    "xfinity": ("xfinity.com", "comcast.com"),
    "uber": ("uber.com",),
    "spotify": ("spotify.com",),
    "tmobile": ("t-mobile.com",),
}

# At most 1 false alarm in 1,000 real care texts. A brand's care inbox gets a few
# thousand mentions and DMs a day; above that rate the team would see several false
# phishing alerts daily and stop reading them. Measured: 0 of 10,083 (see docs/guard.md).
MAX_FALSE_POSITIVE_RATE = 0.001


@pytest.mark.slow
def test_false_positive_rate_on_real_care_texts() -> None:
    detector = PhishingDetector(  # acme too, for the planted lures below
        brand_names=(*TWCS_BRANDS, "acme"),
        brand_domains=(*(d for ds in TWCS_BRANDS.values() for d in ds), "acme.com"),
    )
    seen: set[str] = set()
    texts: list[str] = []
    for name in ("twcs_prefix_5000.csv", "twcs_random_5000.csv", "twcs_kaggle_sample.csv"):
        for post in read_twcs(shared_path("data", "twcs", name)).posts:
            if post.id not in seen:
                seen.add(post.id)
                texts.append(post.text)
    assert len(texts) > 10_000
    flagged = [t for t in texts if detector.scan(t)]
    rate = len(flagged) / len(texts)
    assert rate <= MAX_FALSE_POSITIVE_RATE, (rate, flagged[:5])
    # The same texts with lures planted in them are found: the detector is not blind.
    # A lure is its own sentence (a negation earlier in the sentence would excuse it).
    planted = [f"{t}\n{LURES[i % len(LURES)]}" for i, t in enumerate(texts[:500])]
    assert all(detector.scan(t) for t in planted)
