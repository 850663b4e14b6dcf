"""The labelled set for the private data guard, built at run time from ``../shared``.

The care texts are third-party data (twcs: CC BY-NC-SA 4.0; IBM: Apache-2.0), so nothing
of them is stored here: this module rebuilds the same set, deterministically, from
``shared/data/twcs/*.csv`` and ``shared/data/ibm-twitter-cdp/{dev,test}.json``. What is
stored is ``hand_labels.json``: for each real text that could hold private data, the
kinds and code-point spans found by reading it (no values). How the set is made, in four
parts (``docs/privacy.md`` says the same):

* ``real-hand``: every real text in which a deliberately broad filter (:data:`BROAD`: a
  run of 7 digits or more, anything shaped like an e-mail address, a NINO-shaped token, a
  password keyword followed by ``:``/``=``/``is``, or an order/account/PIN/SSN/IBAN
  keyword followed by 4 digits) fires, after URLs and @mentions are blanked out. Each
  was read and labelled by hand; the texts whose number could be a phone number or an id
  and do not say which are marked ambiguous and left out of the scores.
* ``real-clean``: real texts where that filter finds nothing, one in every
  :data:`CLEAN_STEP`. The filter is wider than every detector (each kind needs one of
  those shapes), so they are negatives by construction.
* ``synthetic``: clean real texts with one generated value inserted by a carrier phrase
  ("my card is ...", "call me on ..."): Luhn-valid cards of each network and layout,
  IBANs with correct mod-97 digits, python-stdnum-valid SSNs and valid NINOs, phone
  numbers that phonenumbers validates as personal lines, order and account numbers,
  passwords, e-mail addresses; the twcs ``__email__`` placeholders are filled with
  generated addresses where the masked address stood.
* ``synthetic-negative``: clean real texts with a near miss inserted: a card number that
  fails Luhn, an IBAN with wrong check digits, an SSN in a never-issued area, a toll-free
  number, a price, a date, a version, a tracking id, "my password is wrong".
"""

from __future__ import annotations

import csv
import json
import random
import re
import string
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from socialcare.privacy import PRIVATE_KINDS, PrivateDataGuard

HAND_LABELS = Path(__file__).resolve().parent / "hand_labels.json"
TWCS_FILES = ("twcs_kaggle_sample.csv", "twcs_prefix_5000.csv", "twcs_random_5000.csv")
IBM_FILES = ("dev.json", "test.json")
CLEAN_STEP = 25
SEED = 14
PER_KIND = 50

URLS_AND_MENTIONS = re.compile(r"https?://\S+|(?<![\w.+-])@\w+")
BROAD = re.compile(
    r"\d(?:[ \t().\-/]{0,2}\d){6,}"
    r"|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]\b"
    r"|(?i:\b(?:password|passwd|passcode|pwd|pw|pin|ssn|iban|social security|"
    r"national insurance|order|account|acct)\b[^\n]{0,30}\d{4})"
    r"|(?i:\b(?:password|passwd|passcode|pwd|pw|pin)\b\s*(?:[:=]|is|was))"
)

Label = tuple[str, int, int]


@dataclass(frozen=True)
class Item:
    """One labelled text: its origin, its text and its private data spans."""

    id: str
    origin: str
    text: str
    labels: tuple[Label, ...] = ()


@dataclass
class Score:
    """True positives, false positives and false negatives of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def real_texts(shared: Path) -> dict[str, str]:
    """Every real care text by ``source:tweet id`` (first occurrence wins)."""
    texts: dict[str, str] = {}
    for name in TWCS_FILES:
        with (shared / "data" / "twcs" / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                texts.setdefault(f"twcs:{row['tweet_id']}", row["text"])
    for name in IBM_FILES:
        path = shared / "data" / "ibm-twitter-cdp" / name
        for conversation in json.loads(path.read_text(encoding="utf-8")):
            for turn in conversation["dialogContent"]:
                texts.setdefault(f"ibm:{turn['tweet_ID']}", turn["message"])
            final = conversation["agentURL"]
            texts.setdefault(f"ibm:{final['tweet_ID']}", final["url_utterance"])
    return texts


def is_candidate(text: str) -> bool:
    """Whether the broad filter fires (URLs and mentions blanked, offsets kept)."""
    blanked = URLS_AND_MENTIONS.sub(lambda m: " " * len(m.group(0)), text)
    return BROAD.search(blanked) is not None


def hand_labels() -> dict[str, dict[str, object]]:
    loaded: dict[str, dict[str, object]] = json.loads(HAND_LABELS.read_text(encoding="utf-8"))
    return loaded


# ---------------------------------------------------------------------------------------
# Generated values


def _luhn_complete(body: str) -> str:
    for check in string.digits:
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError(body)  # pragma: no cover - one check digit always fits


CARD_PREFIXES = (
    ("4", 16),
    ("4", 13),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3528", 16),
    ("36", 14),
    ("62", 16),
    ("6759", 16),
)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    digits = _luhn_complete(body)
    layout = rng.choice(("spaces", "dashes", "plain"))
    if layout == "plain":
        return digits
    sep = " " if layout == "spaces" else "-"
    if length == 15:
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    return sep.join(digits[i : i + 4] for i in range(0, length, 4))


def bad_card(rng: random.Random) -> str:
    good = card(rng).replace(" ", "").replace("-", "")
    last = str((int(good[-1]) + rng.randint(1, 9)) % 10)
    digits = good[:-1] + last
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


IBAN_FORMATS = {  # country: (length, BBAN shape: n digit, a capital, c either)
    "DE": "18n",
    "GB": "4a14n",
    "FR": "10n11c2n",
    "NL": "4a10n",
    "ES": "20n",
    "IT": "1a10n12c",
    "BE": "12n",
    "IE": "4a14n",
    "AT": "16n",
    "CH": "5n12c",
}


def _bban(rng: random.Random, shape: str) -> str:
    out = []
    for count, kind in re.findall(r"(\d+)([nac])", shape):
        pool = {
            "n": string.digits,
            "a": string.ascii_uppercase,
            "c": string.digits + string.ascii_uppercase,
        }[kind]
        out.append("".join(rng.choice(pool) for _ in range(int(count))))
    return "".join(out)


def _iban_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


def iban(rng: random.Random, *, valid: bool = True) -> str:
    import stdnum.iban  # noqa: PLC0415

    while True:
        country = rng.choice(sorted(IBAN_FORMATS))
        bban = _bban(rng, IBAN_FORMATS[country])
        check = _iban_digits(country, bban)
        if not valid:
            check = f"{(int(check) + rng.randint(1, 90)) % 97 + 2:02d}"
        compact = country + check + bban
        if stdnum.iban.is_valid(compact) == valid:
            break
    if rng.random() < 0.5:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def ssn(rng: random.Random) -> str:
    import stdnum.us.ssn  # noqa: PLC0415

    while True:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        value = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if stdnum.us.ssn.is_valid(value):
            return value if rng.random() < 0.8 else value.replace("-", " ")


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(rng: random.Random) -> str:
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return prefix + digits + suffix


US_AREAS = ("212", "310", "415", "512", "646", "713", "305", "404", "206", "617", "702", "303")


def phone(rng: random.Random) -> str:
    import phonenumbers  # noqa: PLC0415

    personal = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    while True:
        if rng.random() < 0.6:
            raw = f"+1{rng.choice(US_AREAS)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        else:
            raw = f"+447{rng.randint(400, 999)}{rng.randint(0, 999999):06d}"
        number = phonenumbers.parse(raw)
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in personal:
            break
    style = rng.choice(("national", "international", "dots", "dashes"))
    if style == "international":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if style == "dots" and raw.startswith("+1"):
        return f"{raw[2:5]}.{raw[5:8]}.{raw[8:]}"
    if style == "dashes" and raw.startswith("+1"):
        return f"{raw[2:5]}-{raw[5:8]}-{raw[8:]}"
    return national


FIRST = ("ann", "bo", "carla", "dev", "emeka", "fatima", "gus", "hana", "ivan", "jo", "kim")
LAST = ("smith", "okafor", "nguyen", "garcia", "patel", "kowalski", "berg", "silva", "lee")
DOMAINS = ("gmail.com", "yahoo.co.uk", "outlook.com", "hotmail.com", "mail.example.org")


def email(rng: random.Random) -> str:
    local = rng.choice(FIRST) + rng.choice((".", "_", "")) + rng.choice(LAST)
    if rng.random() < 0.5:
        local += str(rng.randint(1, 1999))
    return f"{local}@{rng.choice(DOMAINS)}"


def password(rng: random.Random) -> str:
    word = rng.choice(("Sunshine", "dragon", "Liverpool", "monkey", "Shadow", "qwerty", "Tigger"))
    return word + str(rng.randint(1, 9999)) + rng.choice(("", "!", "#", "$", ""))


def order_number(rng: random.Random) -> str:
    return f"{rng.randint(100, 999)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"


def account_number(rng: random.Random) -> str:
    return str(rng.randint(10**7, 10**12))


# (kind, carrier phrase with {v}, value maker); the phrase is added to a real text
CARRIERS: dict[str, tuple[tuple[str, object], ...]] = {
    "card": (
        ("my card {v} was charged twice", card),
        ("card number: {v}", card),
        ("I paid with {v} and got nothing", card),
    ),
    "iban": (
        ("please refund to IBAN {v}", iban),
        ("my account is {v}", iban),
        ("send it to {v} thanks", iban),
    ),
    "national_id": (
        ("my SSN is {v}", ssn),
        ("social security {v}", ssn),
        ("NI number {v}", nino),
        ("my national insurance is {v}", nino),
    ),
    "phone": (
        ("call me on {v}", phone),
        ("my number is {v}", phone),
        ("reach me at {v} after 5", phone),
        ("{v} is my cell", phone),
    ),
    "account": (
        ("order #{v} still not here", order_number),
        ("Order {v}", order_number),
        ("account number {v}", account_number),
        ("acct no. {v}", account_number),
    ),
    "password": (
        ("password: {v}", password),
        ("my pw is {v}", password),
        ("pwd={v}", password),
        ("my password is {v} can you check", password),
        ('the password is "{v}"', password),
        ("PIN: {v}", lambda rng: f"{rng.randint(0, 9999):04d}"),
    ),
    "email": (
        ("email me at {v}", email),
        ("my e-mail is {v}", email),
        ("{v} is my login", email),
    ),
}

NEAR_MISSES: tuple[tuple[str, object], ...] = (
    ("my card {v} was charged twice", bad_card),
    ("please refund to IBAN {v}", lambda rng: iban(rng, valid=False)),
    (
        "my SSN is {v}",
        lambda rng: f"{rng.choice(('000', '666', '912'))}-12-{rng.randint(1, 9999):04d}",
    ),
    (
        "call us free on 1-800-{v}",
        lambda rng: f"{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
    ),
    ("it cost {v} and broke", lambda rng: f"${rng.randint(1, 9)},{rng.randint(100, 999)}.99"),
    ("booked for {v}", lambda rng: f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2017 at 10:30"),
    ("running version {v}", lambda rng: f"8.4.{rng.randint(10, 99)}.{rng.randint(100, 999)}"),
    ("tracking {v}", lambda rng: f"1Z{rng.randint(10**15, 10**16 - 1)}"),
    ("my password is {v}", lambda rng: rng.choice(("wrong", "not working", "incorrect"))),
    ("order {v}", lambda rng: rng.choice(("never came", "status please", "#late"))),
)


def _insert(rng: random.Random, text: str, phrase: str, value: str) -> tuple[str, int, int]:
    sentence = phrase.replace("{v}", value)
    joiner = rng.choice((" ", ". ", "\n"))
    if rng.random() < 0.5:
        combined = text.rstrip() + joiner + sentence
        start = len(text.rstrip()) + len(joiner) + phrase.index("{v}")
    else:
        combined = sentence + joiner + text
        start = phrase.index("{v}")
    return combined, start, start + len(value)


def _make(rng: random.Random, maker: object) -> str:
    value = maker(rng)  # type: ignore[operator]
    assert isinstance(value, str)
    return value


def build(shared: Path) -> list[Item]:
    """The labelled set, the same on every run."""
    texts = real_texts(shared)
    labels = hand_labels()
    rng = random.Random(SEED)
    items: list[Item] = []
    clean: list[str] = []
    placeholders: list[tuple[str, str]] = []
    for number, (key, text) in enumerate(sorted(texts.items())):
        if is_candidate(text):
            entry = labels[key]  # every candidate was read: a KeyError is a new, unread text
            if entry.get("ambiguous"):
                continue
            spans = tuple((str(k), int(a), int(b)) for k, a, b in entry["labels"])  # type: ignore[attr-defined]
            items.append(Item(key, "real-hand", text, spans))
        elif "__email__" in text:
            placeholders.append((key, text))
        else:
            clean.append(text)
            if number % CLEAN_STEP == 0:
                items.append(Item(key, "real-clean", text))
    carriers = [t for t in clean if len(t) < 200]
    count = 0
    for kind, phrases in CARRIERS.items():
        for i in range(PER_KIND):
            phrase, maker = phrases[i % len(phrases)]
            value = _make(rng, maker)
            text, start, end = _insert(rng, rng.choice(carriers), phrase, value)
            items.append(Item(f"synthetic:{kind}:{i}", "synthetic", text, ((kind, start, end),)))
            count += 1
    for key, text in placeholders:
        filled = text
        spans: list[Label] = []
        while "__email__" in filled:
            at = filled.index("__email__")
            value = email(rng)
            filled = filled[:at] + value + filled[at + len("__email__") :]
            spans.append(("email", at, at + len(value)))
        items.append(Item(f"{key}:filled", "synthetic", filled, tuple(spans)))
    for i in range(PER_KIND * 2):
        phrase, maker = NEAR_MISSES[i % len(NEAR_MISSES)]
        value = _make(rng, maker)
        text, _, _ = _insert(rng, rng.choice(carriers), phrase, value)
        items.append(Item(f"near-miss:{i}", "synthetic-negative", text))
    return items


def score(
    items: Iterable[Item], guard: PrivateDataGuard, *, origins: Iterable[str] | None = None
) -> dict[str, Score]:
    """Per kind: a finding is a true positive when a label of its kind overlaps it."""
    wanted = None if origins is None else set(origins)
    scores = {kind: Score() for kind in PRIVATE_KINDS}
    for item in items:
        if wanted is not None and item.origin not in wanted:
            continue
        findings = guard.scan(item.text)
        matched: set[int] = set()
        for f in findings:
            hit = next(
                (
                    n
                    for n, (kind, a, b) in enumerate(item.labels)
                    if kind == f.kind and f.start < b and a < f.end and n not in matched
                ),
                None,
            )
            if hit is None:
                scores[f.kind].fp += 1
                scores[f.kind].false.append(item.id)
            else:
                matched.add(hit)
                scores[f.kind].tp += 1
        for n, (kind, _, _) in enumerate(item.labels):
            if n not in matched:
                scores[kind].fn += 1
                scores[kind].misses.append(item.id)
    return scores


def origins(items: Iterable[Item]) -> Counter[str]:
    return Counter(item.origin for item in items)


def iter_positive_kinds(items: Iterable[Item]) -> Iterator[str]:
    for item in items:
        for kind, _, _ in item.labels:
            yield kind
