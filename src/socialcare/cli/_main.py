"""``socialcare``: the command line (argparse), its exit codes and its error messages."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from rich.console import Console

from socialcare._clock import Clock, ManualClock
from socialcare._version import __version__
from socialcare.cli import _commands, _desk, _render
from socialcare.cli._config import CareConfig, load_config
from socialcare.cli._demo import run_demo
from socialcare.cli._errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    CommandError,
)
from socialcare.cli._guard import GuardOptions, guard_once, guard_sandbox
from socialcare.desk import Desk
from socialcare.errors import (
    ConfigurationError,
    SchemaVersionError,
    SocialCareError,
    StorageError,
)
from socialcare.storage import Store, open_store

__all__ = ["console_script", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise CommandError(EXIT_USAGE, f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {code:3}  {what}" for code, what in EXIT_CODES.items())
    parser = _Parser(
        prog="socialcare",
        description="Social customer care on X: listen, thread, reply, escalate to DM.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"socialcare {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    demo = commands.add_parser(
        "demo", help="run a care bot end to end on the offline sandbox and report"
    )
    demo.add_argument("--conversations", type=_positive, default=40, metavar="N")
    demo.add_argument("--seed", type=int, default=0, help="same seed, same run (default 0)")
    demo.add_argument("--store", metavar="URL", help="keep the records (default: a temp dir)")
    demo.add_argument("--twcs", metavar="PATH", help="your own twcs-format CSV instead")
    demo.add_argument("--plot", metavar="PNG", help="write a chart (needs socialcare[charts])")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    monitor = commands.add_parser("monitor", help="listen to X (or the sandbox) and print")
    monitor.add_argument("--config", metavar="TOML", help="care.toml (see docs/cli.md)")
    monitor.add_argument("--sandbox", action="store_true", help="the offline sandbox, not X")
    monitor.add_argument("--store", metavar="URL", help="overrides [store] url")
    monitor.add_argument("--cycles", type=_positive, metavar="N", help="stop after N polls")
    monitor.add_argument("--api-host", metavar="URL", help="X API base URL (default X's)")
    monitor.set_defaults(run=_monitor)

    links = commands.add_parser("links", help="tracked short links and their clicks")
    link_commands = links.add_subparsers(dest="links_command", metavar="ACTION")
    link_commands.required = True
    listing = link_commands.add_parser("list", help="links in a store, with clicks")
    create = link_commands.add_parser("create", help="make a tracked short link")
    for sub in (listing, create):
        sub.add_argument("--store", metavar="URL", help="overrides [store] url")
        sub.add_argument("--config", metavar="TOML")
        sub.add_argument("--conversation", metavar="ID")
        sub.add_argument("--campaign", metavar="NAME")
    listing.add_argument("--limit", type=_positive, default=100)
    listing.set_defaults(run=_links_list)
    create.add_argument("url", help="the target URL")
    create.add_argument("--code", help="a custom code (default: random)")
    create.add_argument("--base-url", metavar="URL", help="overrides [links] base_url")
    create.set_defaults(run=_links_create)

    webhook = commands.add_parser("webhook", help="X Activity API webhooks")
    hook_commands = webhook.add_subparsers(dest="webhook_command", metavar="ACTION")
    hook_commands.required = True
    serve = hook_commands.add_parser("serve", help="serve the webhook receiver (WSGI)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--store", metavar="URL", help="keep delivered posts and DMs here")
    serve.add_argument("--config", metavar="TOML")
    serve.add_argument("--server", choices=("auto", "waitress", "wsgiref"), default="auto")
    serve.add_argument(
        "--max-requests", type=_positive, metavar="N", help="stop after N requests (wsgiref)"
    )
    serve.set_defaults(run=_webhook_serve)

    _desk_commands(commands)
    _guard_command(commands)
    _add_oauth2(commands)
    return parser


def _desk_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    queue = commands.add_parser("queue", help="the desk's open conversations, most urgent first")
    queue.add_argument("--store", metavar="URL", help="overrides [store] url")
    queue.add_argument("--config", metavar="TOML")
    queue.add_argument("--limit", type=_positive, default=50, help="rows at most (default 50)")
    queue.set_defaults(run=_queue)

    report = commands.add_parser("report", help="the desk's report: volumes, response times, price")
    report.add_argument("--store", metavar="URL", help="overrides [store] url")
    report.add_argument("--config", metavar="TOML")
    period = report.add_mutually_exclusive_group()
    period.add_argument("--since", type=_since, metavar="ISO", help="conversations opened since")
    period.add_argument("--hours", type=_positive, metavar="N", help="... in the last N hours")
    report.add_argument("--by", choices=("agent", "brand", "channel", "team"), default="agent")
    report.add_argument("--plot", metavar="PNG", help="write a chart (needs socialcare[charts])")
    report.set_defaults(run=_report)


def _guard_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    guard = commands.add_parser(
        "guard",
        help="check the brand account for posts and DMs the outbox did not send (exit 1 if any)",
    )
    guard.add_argument("--config", metavar="TOML")
    guard.add_argument("--sandbox", action="store_true", help="a rehearsal on the sandbox, not X")
    guard.add_argument("--store", metavar="URL", help="overrides [store] url")
    guard.add_argument("--api-host", metavar="URL", help="X API base URL (default X's)")
    guard.add_argument(
        "--pause-on-unrecognised",
        action="store_true",
        help="on unrecognised outbound activity, pause every sender sharing the store",
    )
    guard.add_argument("--allow-domain", action="append", default=[], metavar="DOMAIN")
    guard.add_argument("--brand-domain", action="append", default=[], metavar="DOMAIN")
    guard.add_argument("--brand-name", action="append", default=[], metavar="NAME")
    guard.add_argument("--no-mentions", action="store_true", help="do not read mentions")
    guard.add_argument(
        "--hijack",
        action="append",
        default=[],
        metavar="TEXT",
        help="with --sandbox: post TEXT as the brand outside the outbox (a drill)",
    )
    guard.set_defaults(run=_guard)


def _add_oauth2(commands: argparse._SubParsersAction[_Parser]) -> None:
    """``socialcare oauth2 revoke`` (docs/oauth2.md)."""
    oauth2 = commands.add_parser("oauth2", help="OAuth 2.0 grants kept in the store")
    oauth2_commands = oauth2.add_subparsers(dest="oauth2_command", metavar="ACTION")
    oauth2_commands.required = True
    revoke = oauth2_commands.add_parser(
        "revoke", help="revoke an account's grant at X and mark it revoked for every worker"
    )
    revoke.add_argument("--key", required=True, help="the grant's key, e.g. x:acmehelp")
    revoke.add_argument("--store", metavar="URL", help="overrides [store] url")
    revoke.add_argument("--config", metavar="TOML")
    revoke.add_argument("--api-host", metavar="URL", help="X API base URL (default X's)")
    revoke.set_defaults(run=_oauth2_revoke)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _since(text: str) -> dt.datetime:
    try:
        return _desk.parse_since(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run ``socialcare`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Errors are printed to stderr as one line naming what to fix; see :data:`EXIT_CODES`.
    """
    out = Console(file=stdout or sys.stdout, highlight=False, soft_wrap=True)
    err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal:
        out.width = 200  # a file or a pipe: whole URLs and texts, not cut to 80 columns
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        run: Callable[[argparse.Namespace, Console, Console], int] = args.run
        return run(args, out, err)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except CommandError as exc:
        err.print(f"socialcare: error: {exc}", markup=False)
        return exc.code
    except KeyboardInterrupt:
        err.print("socialcare: interrupted", markup=False)
        return EXIT_INTERRUPTED
    except SocialCareError as exc:
        err.print(f"socialcare: error: {type(exc).__name__}: {exc}", markup=False)
        return EXIT_FAILED


# -- shared -----------------------------------------------------------------------------------


def _config(path: str | None) -> CareConfig:
    if path is None:
        return CareConfig()
    try:
        return load_config(path)
    except ConfigurationError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from exc


@contextmanager
def _store(url: str | None, *, create: bool, clock: Clock | None = None) -> Iterator[Store]:
    if url is None:
        raise CommandError(EXIT_USAGE, "no store: pass --store URL or set [store] url in --config")
    try:
        store = open_store(url, create_schema=create, clock=clock)
    except ConfigurationError as exc:
        raise CommandError(EXIT_USAGE, str(exc)) from exc
    except SchemaVersionError as exc:
        raise CommandError(EXIT_STORE, f"{exc} (create it with `socialcare demo --store`)") from exc
    except StorageError as exc:
        raise CommandError(EXIT_STORE, f"the store cannot be opened: {exc}") from exc
    try:
        yield store
    finally:
        store.close()


# -- commands ---------------------------------------------------------------------------------


def _demo(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.plot is not None:
        _render.require_matplotlib()
    if args.twcs is not None and not Path(args.twcs).is_file():
        raise CommandError(EXIT_USAGE, f"--twcs {args.twcs}: no such file")
    with tempfile.TemporaryDirectory(prefix="socialcare-demo-") as tmp:
        url = args.store or f"sqlite:///{Path(tmp) / 'demo.db'}"
        _check_store(url)
        with _render.progress(err, enabled=not args.no_progress) as advance:
            report = run_demo(
                conversations=args.conversations,
                seed=args.seed,
                store_url=url,
                twcs=args.twcs,
                progress=advance,
            )
        _render.demo_report(out, report, kept=args.store is not None)
        if args.plot is not None:
            _render.plot_demo(report, Path(args.plot))
            out.print(f"chart written to {args.plot}")
    return EXIT_OK


def _check_store(url: str) -> None:
    with _store(url, create=True):
        pass


def _monitor(args: argparse.Namespace, out: Console, err: Console) -> int:
    config = _config(args.config)
    url = args.store or config.store_url
    if args.sandbox:
        with _store(url or "memory:", create=True) as store:
            return _commands.monitor_sandbox(config, store, out, err, cycles=args.cycles or 3)
    platform = _commands.x_from_env(api_host=args.api_host)
    if url is None:
        raise CommandError(
            EXIT_USAGE,
            "monitoring X needs a store for its cursors: pass --store URL or set [store] url",
        )
    with platform, _store(url, create=True) as store:
        return _commands.monitor_x(config, platform, store, out, err, cycles=args.cycles)


def _links_list(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    with _store(args.store or config.store_url, create=False) as store:
        links = store.find_short_links(
            conversation_id=args.conversation, campaign=args.campaign, limit=args.limit
        )
        _render.links_table(out, links)
    return EXIT_OK


def _links_create(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    base = args.base_url or config.link_base_url
    if base is None:
        raise CommandError(EXIT_USAGE, "no short domain: pass --base-url or set [links] base_url")
    with _store(args.store or config.store_url, create=True) as store:
        short = _commands.create_link(
            store,
            base,
            args.url,
            code=args.code,
            conversation_id=args.conversation,
            campaign=args.campaign,
        )
    out.print(short, markup=False)
    return EXIT_OK


def _webhook_serve(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    secret = _commands.consumer_secret()
    url = args.store or config.store_url
    if url is None:
        return _commands.serve_webhooks(secret, None, args, out)
    with _store(url, create=True) as store:
        return _commands.serve_webhooks(secret, store, args, out)


def _queue(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    with _store(args.store or config.store_url, create=False) as store:
        return _desk.print_queue(out, Desk(store), limit=args.limit)


def _report(args: argparse.Namespace, out: Console, _err: Console) -> int:
    if args.plot is not None:
        _render.require_matplotlib()
    config = _config(args.config)
    with _store(args.store or config.store_url, create=False) as store:
        desk = Desk(store)
        since = args.since
        if args.hours is not None:
            since = desk.clock.now() - dt.timedelta(hours=args.hours)
        report = desk.report(since=since)
        plot = None if args.plot is None else Path(args.plot)
        return _desk.print_report(out, report, by=args.by, plot=plot)


def _guard(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    url = args.store or config.store_url
    options = GuardOptions(
        allowed_domains=tuple(args.allow_domain),
        brand_domains=tuple(args.brand_domain),
        brand_names=tuple(args.brand_name),
        pause=args.pause_on_unrecognised,
        mentions=not args.no_mentions,
    )
    if args.sandbox:
        clock = ManualClock(dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0))
        with _store(url or "memory:", create=True, clock=clock) as store:
            return guard_sandbox(options, config, store, out, clock=clock, hijack=args.hijack)
    if args.hijack:
        raise CommandError(EXIT_USAGE, "--hijack is a drill on the sandbox: add --sandbox")
    platform = _commands.x_from_env(api_host=args.api_host)
    if url is None:
        raise CommandError(
            EXIT_USAGE,
            "the guard needs a store (its outbox, audit log and high-water marks): "
            "pass --store URL or set [store] url",
        )
    with platform, _store(url, create=True) as store:
        return guard_once(options, platform, store, out)


def _oauth2_revoke(args: argparse.Namespace, out: Console, _err: Console) -> int:
    config = _config(args.config)
    client = _commands.oauth2_client_from_env(api_host=args.api_host)
    with _store(args.store or config.store_url, create=False) as store:
        _commands.revoke_grant(client, store, args.key)
    out.print(f"revoked the OAuth 2.0 grant {args.key}", markup=False)
    return EXIT_OK


def console_script() -> None:
    """The ``socialcare`` console script's entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console_script()
