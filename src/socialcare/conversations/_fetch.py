"""Threads from a platform: backfilling missing ancestors and fetching whole conversations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from socialcare.errors import NotFoundError, PlatformError
from socialcare.models import Post, Problem
from socialcare.platforms import Platform
from socialcare.threads import PlaceholderReason, Thread, Threader

__all__ = ["BATCH", "BackfillReport", "backfill", "conversation"]

BATCH = 100
"""Ids per lookup request: X's limit for ``GET /2/tweets``."""

_NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"


@attrs.frozen
class BackfillReport:
    """What :func:`backfill` did.

    Attributes:
        requests: lookup requests made (each asks for at most 100 ids).
        requests_per_level: requests made at each depth level (level 1 first).
        fetched: posts found and threaded (those asked for, and the referenced posts
            the platform expanded alongside them, which often spare the next level).
        tombstones: ids the platform reported deleted, protected or unavailable.
        missing: ids still referenced and not held when it stopped.
        stopped: why it stopped: ``"complete"`` (nothing left to fetch),
            ``"max_depth"``, ``"max_requests"`` or ``"error"``.
        error: the platform error that stopped it (never raised), or ``None``.
        thread: the filled thread when a :class:`Thread` was backfilled.
    """

    requests: int
    requests_per_level: tuple[int, ...]
    fetched: int
    tombstones: tuple[str, ...]
    missing: tuple[str, ...]
    stopped: str
    error: PlatformError | None = None
    thread: Thread | None = None


def _reason(problem: Problem) -> PlaceholderReason:
    if problem.is_not_found:
        return "deleted"
    if problem.type == _NOT_AUTHORIZED:
        return "protected"
    return "unavailable"


def _threader_of(thread: Thread) -> Threader:
    threader = Threader(brands=thread.brands)
    threader.ingest(thread.posts)
    threader.ingest(thread.quotes)
    for node_id in thread.tombstones:
        node = thread.node(node_id)
        threader.mark_unavailable(node_id, getattr(node, "reason", "unavailable"))
    for node_id in thread.missing:
        threader.mark_unavailable(node_id, "missing")
    return threader


def backfill(  # noqa: C901 - levels, batches, bounds and problems in one loop
    platform: Platform,
    target: Thread | Threader,
    *,
    max_depth: int = 20,
    max_requests: int = 50,
) -> BackfillReport:
    """Fetch the posts a thread (or every thread of a threader) references but lacks.

    Works level by level: the missing ids are looked up in batches of at most 100
    (the fewest requests possible: ``ceil(missing / 100)`` per level); the posts found
    may reference further missing ancestors, the next level. Posts the platform
    reports deleted or protected become tombstones. Platform errors never raise: the
    report says where and why it stopped.

    Args:
        platform: where to look posts up.
        target: a :class:`Threader`, filled in place, or a :class:`Thread`, whose
            filled copy is the report's ``thread``.
        max_depth: at most this many levels.
        max_requests: at most this many lookup requests in all.

    Raises:
        ValueError: a bound is below 1.
    """
    if max_depth < 1 or max_requests < 1:
        msg = f"max_depth and max_requests must be >= 1, got {max_depth} and {max_requests}"
        raise ValueError(msg)
    threader = target if isinstance(target, Threader) else _threader_of(target)
    anchor = None if isinstance(target, Threader) else target.conversation_id

    def missing() -> list[str]:
        if anchor is None:
            return list(threader.missing)
        thread = threader.thread_of(anchor)
        gone = set(thread.tombstones)
        return [i for i in thread.missing if i not in gone]

    tried: set[str] = set()
    per_level: list[int] = []
    fetched = 0
    tombstones: list[str] = []
    stopped = "max_depth"
    error: PlatformError | None = None
    for _ in range(max_depth):
        wanted = [i for i in missing() if i not in tried]
        if not wanted:
            stopped = "complete"
            break
        per_level.append(0)
        for start in range(0, len(wanted), BATCH):
            if sum(per_level) >= max_requests:
                stopped = "max_requests"
                break
            batch = wanted[start : start + BATCH]
            tried.update(batch)
            per_level[-1] += 1
            try:
                page = platform.get_posts(batch)
            except PlatformError as exc:
                stopped, error = "error", exc
                break
            found = [p for p in page.items if not p.is_retweet]
            extra = [p for p in page.includes.posts if not p.is_retweet and p.id not in threader]
            fetched += len(found) + len(extra)
            threader.ingest(found)
            threader.ingest(extra)  # referenced posts X expanded: often the next level
            reported = set()
            for problem in page.errors:
                if problem.resource_id in batch and problem.resource_type in {"tweet", None}:
                    reported.add(problem.resource_id)
                    threader.mark_unavailable(problem.resource_id, _reason(problem))
                    tombstones.append(problem.resource_id)
            held = {p.id for p in found} | {v for p in found for v in p.edit_history_ids}
            for silent in set(batch) - held - reported:
                threader.mark_unavailable(silent, "unavailable")
                tombstones.append(silent)
        if stopped in {"max_requests", "error"}:
            break
    else:
        if not [i for i in missing() if i not in tried]:
            stopped = "complete"
    per_level = [n for n in per_level if n]
    return BackfillReport(
        requests=sum(per_level),
        requests_per_level=tuple(per_level),
        fetched=fetched,
        tombstones=tuple(sorted(set(tombstones), key=lambda i: (len(i), i))),
        missing=tuple(missing()),
        stopped=stopped,
        error=error,
        thread=None if anchor is None else threader.thread_of(anchor),
    )


def conversation(
    platform: Platform,
    post_or_id: Post | str,
    *,
    brands: Iterable[str] = (),
    full_archive: bool = False,
    start_time: dt.datetime | None = None,
    max_depth: int = 20,
    max_requests: int = 50,
) -> Thread:
    """The whole conversation a post belongs to, with its root exactly once.

    Searches ``conversation_id:<id>`` (the recent window, or the full archive with
    ``full_archive=True``), pages through the results, then backfills the ancestors
    the search did not return (the root, replies older than the window). Posts the
    platform cannot give back stay as placeholders or tombstones.

    Args:
        platform: where to read.
        post_or_id: a post, or a post id to look up first.
        brands: brand account ids, for roles.
        full_archive: search the full archive instead of the last 7 days.
        start_time: search only posts at or after this time.
        max_depth: backfill depth bound.
        max_requests: bound on search pages and on lookup requests (each).

    Raises:
        NotFoundError: ``post_or_id`` is an id the platform does not return.
        PlatformError: the first lookup or the search failed.
    """
    if isinstance(post_or_id, Post):
        post = post_or_id
    else:
        page = platform.get_posts([post_or_id])
        if not page.items:
            raise NotFoundError(f"post {post_or_id[:40]!r} was not found")
        post = page.items[0]
    threader = Threader(brands=brands)
    threader.ingest([post])
    conversation_id = post.conversation_id or post.id
    search = platform.search_all if full_archive else platform.search_recent
    token: str | None = None
    for _ in range(max_requests):
        result = search(
            f"conversation_id:{conversation_id}",
            start_time=start_time,
            max_results=500 if full_archive else 100,
            next_token=token,
        )
        threader.ingest(p for p in result.items if not p.is_retweet)
        token = result.next_token
        if token is None:
            break
    # What could not be fetched shows in the thread (placeholders, tombstones).
    backfill(platform, threader, max_depth=max_depth, max_requests=max_requests)
    return threader.thread_of(post.id)
