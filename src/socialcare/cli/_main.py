"""``socialcare``: the command line (argparse), its exit codes and its error messages."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from rich.console import Console

from socialcare._version import __version__
from socialcare.cli import _commands, _render
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
    _add_oauth2(commands)
    # Extension points: `queue`, `report` and `guard` join here with socialcare.desk and
    # socialcare.guard (each a sub-parser and a function taking (args, out, err)).
    return parser


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
def _store(url: str | None, *, create: bool) -> Iterator[Store]:
    if url is None:
        raise CommandError(EXIT_USAGE, "no store: pass --store URL or set [store] url in --config")
    try:
        store = open_store(url, create_schema=create)
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
