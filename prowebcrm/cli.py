"""The ``prowebcrm`` command: serve, migrate, create-user, demo, stats rebuild, recordings
purge.

Every expected failure (bad setting, unreachable database, unknown login...) ends with one
line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date

from prowebcrm.settings import Settings, SettingsError, load_settings

EXIT_USAGE = 2
# A subcommand: its arguments and the settings in, the exit status out (None: 0).
Handler = Callable[[argparse.Namespace, Settings], "int | None"]


class CommandError(Exception):
    """An expected failure of a command; its message is printed as is."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None) or not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # tortoise logs every connection close at INFO: noise for an operator.
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        settings = _settings_from_args(args)
        return int(args.handler(args, settings) or 0)
    except (SettingsError, CommandError) as exc:
        print(f"prowebcrm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _database_errors() as exc:
        print(f"prowebcrm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prowebcrm",
        description="PROWEBCRM: call-center ACD (Asterisk ARI Stasis application) and CRM.",
        epilog="Settings come from PROWEBCRM_* environment variables or --config; see README.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, handler: Handler,
            under: argparse._SubParsersAction[argparse.ArgumentParser] = sub,
            ) -> argparse.ArgumentParser:
        cmd = under.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--config", help="TOML settings file (default: $PROWEBCRM_CONFIG)")
        cmd.add_argument("--data-dir", help="data directory (default: ./data)")
        cmd.add_argument("--database-url", help="sqlite://PATH or mysql://user:pass@host:port/db")
        cmd.add_argument("-v", "--verbose", action="store_true", help="debug logging")
        cmd.set_defaults(handler=handler)
        return cmd

    serve = add("serve", "Run the web app and the Stasis application against the ARI given "
                "by PROWEBCRM_ARI_URL (without one, the web app runs alone).", _cmd_serve)
    _add_listen_args(serve)
    serve.add_argument("--takeover", action="store_true",
                       help="take the Stasis application name even if Asterisk still lists it "
                       "(after a crash of the previous process)")

    add("migrate", "Create or upgrade the database schema.", _cmd_migrate)

    create_user = add("create-user", "Create a user (asks for the password unless "
                      "--password-stdin is given).", _cmd_create_user)
    create_user.add_argument("login")
    create_user.add_argument("--name", help="full name (default: the login)")
    create_user.add_argument("--role", choices=["admin", "supervisor", "agent"], default="agent")
    create_user.add_argument("--password-stdin", action="store_true",
                             help="read the password from the first line of standard input")

    demo = add("demo", "Run everything on the embedded defaults: SQLite, a simulated Asterisk "
               "with simulated phones and callers, seeded users, groups and history.", _cmd_demo)
    _add_listen_args(demo)
    demo.add_argument("--fresh", action="store_true", help="delete the demo data and start over")
    demo.add_argument("--calls-per-minute", type=float, default=None,
                      help="generated inbound calls per minute over all groups (0 = none)")
    demo.add_argument("--no-traffic", action="store_true", help="start with the generator paused")

    stats = sub.add_parser("stats", help="Statistics maintenance.",
                           description="Statistics maintenance.")
    stats_sub = stats.add_subparsers(dest="stats_command", metavar="COMMAND")
    rebuild = add("rebuild", "Rebuild every statistics rollup from the raw calls, offers and "
                  "agent states (all of history, or the local dates given).",
                  _cmd_stats_rebuild, under=stats_sub)
    rebuild.add_argument("--from", dest="date_from", type=_date_arg, metavar="YYYY-MM-DD",
                         help="first local date (default: the first one with records)")
    rebuild.add_argument("--to", dest="date_to", type=_date_arg, metavar="YYYY-MM-DD",
                         help="last local date (default: today)")
    recordings = sub.add_parser("recordings", help="Call recordings maintenance (B9).",
                                description="Call recordings maintenance (B9).")
    recordings_sub = recordings.add_subparsers(dest="recordings_command", metavar="COMMAND")
    purge = add("purge", "Delete the recordings (files and rows) older than "
                "PROWEBCRM_RECORDING_RETENTION_DAYS (the server also does it every hour).",
                _cmd_recordings_purge, under=recordings_sub)
    purge.add_argument("--days", type=int, default=None,
                       help="keep this many days instead of the setting")
    return parser


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_listen_args(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--host", help="listen address (default: $PROWEBCRM_HOST or 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="listen port (default: $PROWEBCRM_PORT or 8080)")


def _settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {
        "data_dir": getattr(args, "data_dir", None),
        "database_url": getattr(args, "database_url", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    return load_settings(config_file=getattr(args, "config", None), **overrides)


def _database_errors() -> tuple[type[Exception], ...]:
    """Failures an operator fixes from one line: database, command, or the ARI connection."""
    from crm.db import DatabaseError
    from prowebcrm.commands import CommandFailed
    from stasis_app.ari import AriError

    return (DatabaseError, CommandFailed, AriError)


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from crm.db import migrate

    asyncio.run(migrate(settings.database_url, progress=lambda line: print(line)))
    print("database schema is up to date")
    return 0


def _cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from prowebcrm.commands import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords differ")
    user_id = asyncio.run(
        create_user(settings, args.login, args.name or args.login, args.role, password)
    )
    print(f"created {args.role} {args.login!r} (id {user_id})")
    return 0


def _cmd_stats_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from prowebcrm.commands import rebuild_stats

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise CommandError(f"--from {args.date_from} is after --to {args.date_to}")
    result = asyncio.run(rebuild_stats(settings, args.date_from, args.date_to,
                                       progress=lambda line: print(line, flush=True)))
    if result is None:
        print("no calls or agent states: nothing to rebuild")
        return 0
    print(f"rebuilt {result.start} .. {result.end} in {result.seconds:.1f} s: "
          f"{result.call_rows} call, {result.offer_rows} offer and {result.agent_rows} "
          "agent-state rollup rows")
    return 0


def _cmd_recordings_purge(args: argparse.Namespace, settings: Settings) -> int:
    from prowebcrm.commands import purge_recordings

    days = settings.recording_retention_days if args.days is None else args.days
    if days < 0:
        raise CommandError(f"--days must be 0 (keep all) or more, not {days}")
    count = asyncio.run(purge_recordings(settings, days))
    print(f"purged {count} recording(s) older than {days} day(s)" if days
          else "retention 0: every recording is kept")
    return 0


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from prowebcrm.server import serve

    serve(settings, takeover=args.takeover)
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from prowebcrm.demo import run_demo

    run_demo(
        settings,
        fresh=args.fresh,
        calls_per_minute=args.calls_per_minute,
        traffic=not args.no_traffic,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
