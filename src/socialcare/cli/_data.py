"""Synthetic care conversations for ``socialcare demo``, written for this package.

Every text here was written for socialcare: no row of any real data set is copied
(the twcs data, loadable with ``socialcare demo --twcs PATH``, is non-commercial
and never shipped). The generator is deterministic for a given seed.
"""

from __future__ import annotations

import random
from typing import Literal

import attrs

__all__ = ["BRAND", "HELP_PAGES", "Scenario", "ScenarioKind", "synthetic_conversations"]

BRAND = "acmehelp"
"""The brand's care account in the demo."""

ScenarioKind = Literal["question", "delivery", "private", "angry", "praise", "answered"]
"""What a synthetic conversation is about (and so what the care bot should do)."""

HELP_PAGES: dict[str, tuple[str, str]] = {
    "router": ("https://acme.com/help/router-reset", "Hold the reset button for 10s, then"),
    "password": ("https://acme.com/help/password", "You can set a new password here:"),
    "billing": ("https://acme.com/help/billing", "Your bill is explained step by step here:"),
    "app": ("https://acme.com/help/app-update", "Updating the app fixes this one:"),
    "delivery": ("https://acme.com/orders/track", "Sorry for the wait! Live tracking is here:"),
}
"""Help topics: the page the bot links (tracked) and how its answer starts."""

_QUESTIONS: dict[str, tuple[str, ...]] = {
    "router": (
        "@acmehelp my router keeps dropping the wifi every evening, how do I reset it?",
        "@acmehelp internet light on the router is blinking orange since this morning",
        "@acmehelp the wifi is so slow at home, is there a way to restart the box?",
    ),
    "password": (
        "@acmehelp I can't log in to my account, forgot my password",
        "@acmehelp the password reset email never comes, what do I do?",
    ),
    "billing": (
        "@acmehelp why is my bill higher this month? nothing changed on my plan",
        "@acmehelp what is the 'service adjustment' line on my invoice?",
    ),
    "app": (
        "@acmehelp the Acme app crashes every time I open the usage page",
        "@acmehelp app says 'session expired' every five minutes, annoying",
    ),
}

_DELIVERY = (
    "@acmehelp my order was due on Tuesday and still nothing. where is it?",
    "@acmehelp parcel says delivered but it's not here??",
    "@acmehelp been waiting 9 days for my new router, any update?",
    "@acmehelp the courier keeps rescheduling my delivery",
)

_PRIVATE = (
    "@acmehelp you charged my card 4111 1111 1111 1111 twice this month!",
    "@acmehelp please update my email to jo.smith@example.com, the app won't let me",
    "@acmehelp call me back on +44 7700 900123, the line has been dead since Friday",
    "@acmehelp my card 5500 0000 0000 0004 was declined but the money left my account",
    "@acmehelp I changed my address, my email is sam.k@example.org, please fix the bill",
)

_ANGRY = (
    "@acmehelp third outage this week. I want a refund or I cancel my contract",
    "@acmehelp worst service ever, 2 hours on hold. I want to cancel NOW",
    "@acmehelp if this isn't fixed today I'm talking to my lawyer",
    "@acmehelp you billed me after I cancelled. I want a refund, this is a scam",
)

_PRAISE = (
    "@acmehelp just wanted to say the new app is great, thanks!",
    "@acmehelp the engineer today was brilliant, sorted in 10 minutes",
    "@acmehelp love the faster broadband, well done",
)

_ANSWERED = (
    (
        "@acmehelp is there an outage in Leeds? nothing loads",
        "Hi, yes: engineers are on it in Leeds, service should be back by 6pm. ^AM",
        "@acmehelp back now, thanks for the heads-up",
    ),
    (
        "@acmehelp do you ship to Ireland?",
        "We do! Delivery to Ireland takes 3-5 working days. ^AM",
        "@acmehelp perfect, ordering now",
    ),
)

_FOLLOW_UPS = (
    "@acmehelp that worked, thank you!",
    "@acmehelp thanks, sorted",
    "@acmehelp still not working after that :(",
    "@acmehelp ok will try that tonight",
)

_FIRST = ("sam", "jo", "alex", "priya", "tom", "mei", "raj", "ann", "lee", "kim", "omar", "eva")
_LAST = ("k", "smith", "p", "lee", "r", "w", "b", "t", "m", "h")

# How often each kind occurs (out of 20).
_MIX: tuple[tuple[ScenarioKind, int], ...] = (
    ("question", 7),
    ("delivery", 4),
    ("private", 3),
    ("angry", 3),
    ("praise", 2),
    ("answered", 1),
)


@attrs.frozen
class Scenario:
    """One synthetic care conversation.

    Attributes:
        kind: what it is about.
        customer: the customer's handle.
        opener: the customer's first post (it mentions the brand).
        at_minute: when it is posted, minutes after the demo starts.
        topic: the help topic (router, password, billing, app, delivery) of a
            question or a delivery issue.
        follow_up: the customer's answer to the brand's reply, or ``None``.
        follow_up_after: minutes between the brand's reply and the follow-up.
        agent_reply: a human agent's reply posted from the brand account before the
            bot sees the conversation (kind ``"answered"``).
        followers: the customer's follower count.
        at_second: the second of the minute it is posted at.
    """

    kind: ScenarioKind
    customer: str
    opener: str
    at_minute: int
    topic: str | None = None
    follow_up: str | None = None
    follow_up_after: int = 5
    agent_reply: str | None = None
    followers: int = 0
    at_second: int = 0


def synthetic_conversations(
    count: int, *, seed: int = 0, span_minutes: int = 120
) -> tuple[Scenario, ...]:
    """``count`` synthetic conversations spread over ``span_minutes``, in time order.

    Raises:
        ValueError: ``count`` or ``span_minutes`` is not positive.
    """
    if count < 1 or span_minutes < 1:
        msg = f"count and span_minutes must be positive, got {count} and {span_minutes}"
        raise ValueError(msg)
    rng = random.Random(seed)  # noqa: S311 - a demo's data, not a secret
    kinds = [kind for kind, weight in _MIX for _ in range(weight)]
    scenarios: list[Scenario] = []
    used: set[str] = set()
    for index in range(count):
        # Every kind shows up in a small demo: the first few take one kind each.
        kind = _MIX[index][0] if index < len(_MIX) else rng.choice(kinds)
        handle = _handle(rng, used)
        minute = rng.randrange(span_minutes)
        followers = rng.choice((12, 85, 240, 1_300, 52_000)) if rng.random() < 0.9 else 0  # noqa: PLR2004
        scenario = _scenario(kind, handle, minute, followers, rng)
        scenarios.append(attrs.evolve(scenario, at_second=rng.randrange(60)))
    scenarios.sort(key=lambda s: (s.at_minute, s.at_second, s.customer))
    return tuple(scenarios)


def _handle(rng: random.Random, used: set[str]) -> str:
    while True:
        handle = f"{rng.choice(_FIRST)}_{rng.choice(_LAST)}{rng.randrange(10, 100)}"
        if handle not in used:
            used.add(handle)
            return handle


def _scenario(
    kind: ScenarioKind, handle: str, minute: int, followers: int, rng: random.Random
) -> Scenario:
    follow_up = rng.choice(_FOLLOW_UPS) if rng.random() < 0.6 else None  # noqa: PLR2004
    after = rng.randrange(2, 30)
    if kind == "question":
        topic = rng.choice(sorted(_QUESTIONS))
        opener = rng.choice(_QUESTIONS[topic])
        return Scenario(kind, handle, opener, minute, topic, follow_up, after, None, followers)
    if kind == "delivery":
        opener = rng.choice(_DELIVERY)
        return Scenario(kind, handle, opener, minute, "delivery", follow_up, after, None, followers)
    if kind == "private":
        return Scenario(kind, handle, rng.choice(_PRIVATE), minute, followers=followers)
    if kind == "angry":
        return Scenario(kind, handle, rng.choice(_ANGRY), minute, followers=followers)
    if kind == "praise":
        return Scenario(kind, handle, rng.choice(_PRAISE), minute, followers=followers)
    opener, agent, thanks = rng.choice(_ANSWERED)
    return Scenario(kind, handle, opener, minute, None, thanks, after, agent, followers)
