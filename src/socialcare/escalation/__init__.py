"""Escalation: policies as data decide which posts move to a DM or a person; a flow moves them.

An :class:`EscalationPolicy` holds optional rules: private data in the post (the
:mod:`socialcare.privacy` guard), keywords, negative sentiment (a
:class:`SentimentScorer`; VADER with the ``sentiment`` extra), VIPs and follower counts,
repeat contact, and posts the brand may not answer in public (X's summoned-reply rule).
:meth:`EscalationPolicy.decide` returns an :class:`EscalationDecision` with every
:class:`Reason` and the suggested action: ``"public_then_dm"``, ``"dm"`` or ``"human"``.
Policies read from plain data with :meth:`EscalationPolicy.from_dict`. The policies are
pure.

:class:`EscalationFlow` acts on a decision through the exactly-once
:class:`~socialcare.outbox.Outbox`: a public acknowledgement with a DM deep link, the DM
with the case context, the conversation ``escalated``; an invitation or the alternative
contact when the customer's DMs are closed; the DM only or a person when a public reply
is not permitted (:data:`EscalationRoute`).

Example:
    >>> from socialcare.models import Post
    >>> policy = EscalationPolicy(
    ...     keywords=(KeywordRule(("lawyer",), name="legal", action="human"),)
    ... )
    >>> post = Post(id="7", text="@acme my card 4111 1111 1111 1111 was charged twice, lawyer next")
    >>> decision = policy.decide(post)
    >>> decision.action, [reason.rule for reason in decision.reasons]
    ('human', ['private_data', 'keyword'])
    >>> decision.reasons[1].detail
    "legal: the post says 'lawyer'"

See ``docs/escalation.md``.
"""

from __future__ import annotations

from socialcare._exports import publish
from socialcare.escalation._flow import EscalationFlow, EscalationOutcome, EscalationRoute
from socialcare.escalation._policy import (
    ACTIONS,
    RULES,
    EscalationDecision,
    EscalationPolicy,
    KeywordRule,
    PrivateDataRule,
    Reason,
    RepeatContactRule,
    ReplyNotPermittedRule,
    RuleName,
    SentimentRule,
    SuggestedAction,
    VipRule,
)
from socialcare.escalation._sentiment import SentimentScorer, VaderScorer

__all__ = [
    "ACTIONS",
    "RULES",
    "EscalationDecision",
    "EscalationFlow",
    "EscalationOutcome",
    "EscalationPolicy",
    "EscalationRoute",
    "KeywordRule",
    "PrivateDataRule",
    "Reason",
    "RepeatContactRule",
    "ReplyNotPermittedRule",
    "RuleName",
    "SentimentRule",
    "SentimentScorer",
    "SuggestedAction",
    "VaderScorer",
    "VipRule",
]

publish(__name__, globals(), __all__)
