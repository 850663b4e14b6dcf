"""The I/O of ``socialcare monitor``, ``links`` and ``webhook serve``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from rich.console import Console
from rich.markup import escape

from socialcare._clock import ManualClock
from socialcare.alerts import MemoryReplayGuard
from socialcare.cli._config import CareConfig
from socialcare.cli._data import synthetic_conversations
from socialcare.cli._errors import EXIT_CREDENTIALS, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from socialcare.errors import ConfigurationError
from socialcare.links import LinkTracker
from socialcare.models import DirectMessage, Post
from socialcare.monitor import Monitor, MonitorStore
from socialcare.platforms import Platform
from socialcare.platforms.x import ENV_VARS, OAuth2Client, StoredTokens, XPlatform
from socialcare.sandbox import Sandbox
from socialcare.storage import Store
from socialcare.webhooks import DirectMessageEvent, PostEvent, WebhookEvent, WebhookReceiver

__all__ = [
    "OAUTH2_ENV_VARS",
    "consumer_secret",
    "create_link",
    "monitor_sandbox",
    "monitor_x",
    "oauth2_client_from_env",
    "revoke_grant",
    "serve_webhooks",
    "x_from_env",
]


def x_from_env(*, api_host: str | None = None) -> XPlatform:
    """An ``XPlatform`` from the ``SOCIALCARE_X_*`` variables (``XPlatform.from_env``).

    Raises:
        CommandError: no usable credential is set (the variables are named).
    """
    options: dict[str, Any] = {} if api_host is None else {"api_host": api_host}
    try:
        return XPlatform.from_env(**options)
    except ConfigurationError as exc:
        names = ", ".join(ENV_VARS.values())
        raise CommandError(
            EXIT_CREDENTIALS, f"no X credentials: {exc}. Set them in the environment: {names}"
        ) from exc
    except ValueError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from exc


OAUTH2_ENV_VARS = {
    "client_id": "SOCIALCARE_X_CLIENT_ID",
    "client_secret": "SOCIALCARE_X_CLIENT_SECRET",
}
"""The OAuth 2.0 client's id and (confidential clients) secret, for ``socialcare oauth2``."""


def oauth2_client_from_env(*, api_host: str | None = None) -> OAuth2Client:
    """The app's OAuth 2.0 client from :data:`OAUTH2_ENV_VARS` (no secret: a public client).

    Raises:
        CommandError: no client id is set.
    """
    client_id = os.environ.get(OAUTH2_ENV_VARS["client_id"], "")
    if not client_id:
        raise CommandError(
            EXIT_CREDENTIALS,
            f"no OAuth 2.0 client: set {OAUTH2_ENV_VARS['client_id']} (and "
            f"{OAUTH2_ENV_VARS['client_secret']} for a confidential client)",
        )
    return OAuth2Client(
        client_id,
        client_secret=os.environ.get(OAUTH2_ENV_VARS["client_secret"]) or None,
        redirect_uri="",  # revocation names no callback
        api_host=api_host or "https://api.x.com",
    )


def revoke_grant(client: OAuth2Client, store: Store, key: str) -> None:
    """Revoke the grant stored under ``key`` (``StoredTokens.revoke``).

    Raises:
        CommandError: nothing is stored under ``key``.
    """
    if store.get_token(key) is None:
        raise CommandError(EXIT_USAGE, f"no OAuth 2.0 grant is stored under {key!r}")
    StoredTokens(client, store, key).revoke()


def consumer_secret() -> str:
    """The app's consumer secret from the environment (the webhook signatures' key).

    Raises:
        CommandError: the variable is not set.
    """
    name = ENV_VARS["consumer_secret"]
    secret = os.environ.get(name, "")
    if not secret:
        raise CommandError(
            EXIT_CREDENTIALS,
            f"no consumer secret: set {name} to the app's API secret key (it signs deliveries)",
        )
    return secret


def _show_post(out: Console, stream: str, post: Post, store: Store) -> None:
    author = store.get_user(post.author_id) if post.author_id else None
    who = f"@{author.username}" if author else f"user {post.author_id or '?'}"
    out.print(f"[cyan]{escape(stream)}[/cyan] {escape(who)}: {escape(post.full_text)}")


def _show_dm(out: Console, stream: str, message: DirectMessage) -> None:
    out.print(
        f"[magenta]{escape(stream)}[/magenta] DM from {message.sender_id}: {escape(message.text)}"
    )


def _configure(monitor: Monitor, config: CareConfig, out: Console, store: Store) -> None:
    if config.mentions:
        monitor.add_mentions("mentions")
    if config.direct_messages:
        monitor.add_direct_messages("dms")
    for search in config.searches:
        monitor.add_search(search.name, search.query)
    if not monitor.streams:
        raise CommandError(
            EXIT_USAGE, f"{config.source}: no streams: turn on monitor.mentions or add a search"
        )
    for stream in monitor.streams:
        if stream.kind == "dms":
            monitor.on_dm(stream.name)(lambda m, s=stream.name: _show_dm(out, s, m))
        else:
            monitor.on(stream.name)(lambda p, s=stream.name: _show_post(out, s, p, store))


def _summary(monitor: Monitor, out: Console, err: Console) -> int:
    """Print each stream's counts; ``EXIT_FAILED`` when a stream's last poll failed."""
    failed = False
    for stream in monitor.health().streams:
        out.print(
            f"{stream.name}: {stream.posts_delivered} delivered, {stream.requests_used} request(s)",
            markup=False,
        )
        if stream.last_error is not None:
            failed = True
            err.print(f"socialcare: error: {stream.name}: {stream.last_error}", markup=False)
    return EXIT_FAILED if failed else EXIT_OK


def monitor_sandbox(
    config: CareConfig, store: Store, out: Console, err: Console, *, cycles: int
) -> int:
    """Monitor the offline sandbox: synthetic customers post between polls."""
    clock = ManualClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc))
    sandbox = Sandbox(clock=clock)
    brand = sandbox.add_user(config.brand, name=f"{config.brand} (sandbox)")
    platform = sandbox.platform(brand, app_reads=False)
    monitor = Monitor(
        platform,
        _monitor_store(store),
        clock=clock,
        poll_interval=config.poll_interval,
        brand_user_id=brand.id,
        start="now",
    )
    _configure(monitor, config, out, store)
    scenarios = synthetic_conversations(4 * cycles, seed=0)
    out.print(f"monitoring the sandbox as @{config.brand}: {cycles} poll(s)", markup=False)
    try:
        monitor.run_due()  # the first poll: from now on, everything new is delivered
        for cycle in range(cycles):
            for index, scenario in enumerate(scenarios):
                if index % cycles == cycle:
                    customer = sandbox.add_user(scenario.customer)
                    sandbox.add_post(
                        customer, scenario.opener.replace("@acmehelp", f"@{config.brand}")
                    )
            clock.advance(config.poll_interval)
            report = monitor.run_due()
            for stream, message in report.errors:
                out.print(f"[red]{escape(stream)}: {escape(message)}[/red]")
        return _summary(monitor, out, err)
    finally:
        monitor.close()


def _monitor_store(store: Store) -> MonitorStore:
    return store


def monitor_x(
    config: CareConfig,
    platform: Platform,
    store: Store,
    out: Console,
    err: Console,
    *,
    cycles: int | None,
) -> int:
    """Monitor X until Ctrl-C (or ``cycles`` polls), printing what arrives."""
    monitor = Monitor(platform, store, poll_interval=config.poll_interval)
    _configure(monitor, config, out, store)
    names = ", ".join(s.name for s in monitor.streams)
    err.print(f"monitoring X: {names} (Ctrl-C stops)", markup=False)
    monitor.run_forever(max_cycles=cycles)
    return _summary(monitor, out, err)


def create_link(
    store: Store,
    base_url: str,
    url: str,
    *,
    code: str | None,
    conversation_id: str | None,
    campaign: str | None,
) -> str:
    """Make a tracked short link; return its short URL."""
    try:
        tracker = LinkTracker(store, base_url)
        link = tracker.create(url, code=code, conversation_id=conversation_id, campaign=campaign)
    except ValueError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from exc
    return tracker.short_url(link.code)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """The events are printed instead of an access log."""


def _keep(store: Store | None, out: Console, event: WebhookEvent) -> None:
    if isinstance(event, PostEvent):
        out.print(f"{event.kind}: post {event.post.id}: {escape(event.post.full_text)}")
        if store is not None:
            store.upsert_posts([event.post])
    elif isinstance(event, DirectMessageEvent):
        out.print(f"{event.kind}: {len(event.messages)} DM(s)")
        if store is not None:
            store.upsert_dms(event.messages)
    else:
        out.print(f"{event.kind}: kept as an unknown event", markup=False)


def serve_webhooks(secret: str, store: Store | None, args: argparse.Namespace, out: Console) -> int:
    """Serve the webhook receiver's WSGI app (waitress when installed, else wsgiref)."""
    receiver = WebhookReceiver(secret, replay_guard=MemoryReplayGuard())
    receiver.on_any(lambda event: _keep(store, out, event))
    app = receiver.wsgi_app()
    use_waitress = args.server == "waitress" or (
        args.server == "auto" and args.max_requests is None and _has_waitress()
    )
    if use_waitress:
        if args.max_requests is not None:
            raise CommandError(EXIT_USAGE, "--max-requests needs --server wsgiref")
        import waitress  # noqa: PLC0415 - optional

        out.print(f"serving X webhooks on http://{args.host}:{args.port}/ (waitress)", markup=False)
        waitress.serve(app, host=args.host, port=args.port)
        return EXIT_OK
    try:
        server = make_server(args.host, args.port, app, handler_class=_QuietHandler)
    except OSError as exc:
        raise CommandError(EXIT_FAILED, f"cannot listen on {args.host}:{args.port}: {exc}") from exc
    with server:
        port = server.server_address[1]
        out.print(f"serving X webhooks on http://{args.host}:{port}/ (wsgiref)", markup=False)
        if args.max_requests is None:
            server.serve_forever()
        else:
            for _ in _count(args.max_requests):
                server.handle_request()
    return EXIT_OK


def _count(n: int) -> Iterable[int]:
    return range(n)


def _has_waitress() -> bool:
    try:
        import waitress  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True
