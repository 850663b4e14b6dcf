"""X's 2026 rule on who a self-serve app may reply to (the summoned-reply rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import attrs

from socialcare.models import Includes, Post, User

__all__ = ["ReplyPermission", "ReplyRule", "can_reply"]

ReplyRule = Literal[
    "enterprise", "own_post", "mentioned", "quoted", "replied_to_brand", "not_summoned"
]
"""Which rule decided a :class:`ReplyPermission`."""


@attrs.frozen
class ReplyPermission:
    """Whether the brand may reply to a post, and why.

    Truthy when the reply is allowed. ``certain`` is ``False`` for the one case X leaves
    open: a reply to the brand's post without an explicit @mention (X's Activity API does
    not treat it as a mention; whether the reply endpoint does is unverified).

    Attributes:
        allowed: whether X should accept the reply.
        rule: the rule that decided.
        reason: the decision in words.
        certain: whether X documents the decision.
    """

    allowed: bool
    rule: ReplyRule
    reason: str
    certain: bool = True

    def __bool__(self) -> bool:
        return self.allowed


def can_reply(
    post: Post,
    brand: User,
    *,
    includes: Includes | Iterable[Post] | None = None,
    enterprise: bool = False,
    replies_summon: bool = True,
) -> ReplyPermission:
    """Whether ``brand`` may reply to ``post`` under X's summoned-reply rule (2026).

    Self-serve apps may reply only when the post's author summoned the account: the post
    mentions it, quotes one of its posts, or (``replies_summon``, the default) replies to
    it. Enterprise access is exempt; the brand may always answer its own posts.

    Args:
        post: the post to answer.
        brand: the account that would reply.
        includes: where to find a quoted post's author (the page's includes, or posts).
        enterprise: the account has Enterprise access (no summoned-reply rule).
        replies_summon: count a reply to the brand, without an @mention, as summoning.
    """
    if enterprise:
        return ReplyPermission(
            allowed=True, rule="enterprise", reason="Enterprise access may reply to any post"
        )
    if post.author_id == brand.id:
        return ReplyPermission(allowed=True, rule="own_post", reason="the post is the brand's own")
    handle = brand.username.lower()
    mentions = (post.note_entities or post.entities).mentions
    if any(m.username.lower() == handle or m.id == brand.id for m in mentions):
        return ReplyPermission(
            allowed=True, rule="mentioned", reason=f"the author mentioned @{brand.username}"
        )
    quoted_id = post.quoted_id
    if quoted_id is not None:
        quoted = _find(quoted_id, includes)
        if quoted is not None and quoted.author_id == brand.id:
            return ReplyPermission(
                allowed=True, rule="quoted", reason=f"the author quoted a post of @{brand.username}"
            )
    if replies_summon and post.in_reply_to_user_id == brand.id:
        return ReplyPermission(
            allowed=True,
            rule="replied_to_brand",
            reason=f"the author replied to @{brand.username} (without an explicit @mention: "
            "X may not count this as summoning; unverified)",
            certain=False,
        )
    return ReplyPermission(
        allowed=False,
        rule="not_summoned",
        reason=f"the author neither mentioned nor quoted @{brand.username}"
        + ("" if not replies_summon else " nor replied to it")
        + ": self-serve apps may reply only when summoned (move to DM instead)",
    )


def _find(post_id: str, where: Includes | Iterable[Post] | None) -> Post | None:
    if where is None:
        return None
    if isinstance(where, Includes):
        return where.post(post_id)
    return next((p for p in where if p.id == post_id), None)
