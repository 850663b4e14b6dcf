"""Read a page of X search results into typed models and triage it.

Runs offline: the payload below has the exact shape of ``GET /2/tweets/search/recent``
with ``expansions=author_id``. Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

import socialcare

PAYLOAD: dict[str, object] = {
    "data": [
        {
            "id": "1850000000000000003",
            "text": "@AcmeSupport my order #A123 never arrived and nobody answers",
            "author_id": "2001",
            "conversation_id": "1850000000000000003",
            "created_at": "2026-11-20T09:15:00.000Z",
            "lang": "en",
            "entities": {"mentions": [{"start": 0, "end": 12, "username": "AcmeSupport"}]},
        },
        {
            "id": "1850000000000000002",
            "text": "RT @AcmeSupport: Our holiday opening hours are up",
            "author_id": "2002",
            "referenced_tweets": [{"type": "retweeted", "id": "1849999999999999999"}],
            "created_at": "2026-11-20T09:10:00.000Z",
            "lang": "en",
        },
        {
            "id": "1850000000000000001",
            "text": "@AcmeSupport thanks, the replacement works great!",
            "author_id": "2003",
            "conversation_id": "1849999999999999000",
            "in_reply_to_user_id": "1000",
            "referenced_tweets": [{"type": "replied_to", "id": "1849999999999999000"}],
            "created_at": "2026-11-20T09:05:00.000Z",
            "lang": "en",
        },
    ],
    "includes": {
        "users": [
            {"id": "2001", "username": "dana", "name": "Dana"},
            {"id": "2002", "username": "lee", "name": "Lee"},
            {"id": "2003", "username": "sam", "name": "Sam"},
        ]
    },
    "meta": {"result_count": 3, "newest_id": "1850000000000000003"},
}


def main() -> None:
    """Print who is talking to the brand, skipping reposts."""
    page = socialcare.Page.posts_from_x(PAYLOAD)
    print(f"{page.result_count} posts, newest {page.newest_id}")
    for post in page:
        if post.is_retweet:
            continue
        author = page.includes.user(post.author_id)
        handle = f"@{author.username}" if author else post.author_id
        kind = "reply in a thread" if post.is_reply else "new conversation"
        when = post.created_at.strftime("%H:%M") if post.created_at else "?"
        print(f"[{when}] {handle} ({kind}): {post.full_text}")


if __name__ == "__main__":
    main()
