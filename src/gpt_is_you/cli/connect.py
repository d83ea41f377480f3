"""The command line's ``connect``: where a remote backend is and its API key."""

from __future__ import annotations

import argparse
import sys


def add_commands(commands) -> None:
    connect = commands.add_parser(
        "connect",
        help="set up OpenAI, an OpenAI-compatible server, or Azure OpenAI",
        description="Save where a remote backend is and its API key (asked without echo, or "
        "read from stdin with --key-stdin), in the system keyring with --keyring or else in "
        "connections.toml (readable by you only). Environment variables (OPENAI_API_KEY, "
        "OPENAI_BASE_URL, AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION) "
        "come first. With no option, show what is set (never the key).",
    )
    connect.add_argument("backend", choices=("openai", "azure"))
    connect.add_argument("--base-url", metavar="URL", help="openai: an OpenAI-compatible server")
    connect.add_argument("--endpoint", metavar="URL", help="azure: the resource's endpoint")
    connect.add_argument("--api-version", metavar="V", help="azure: the API version")
    connect.add_argument("--key-stdin", action="store_true", help="read the key from stdin")
    connect.add_argument("--keyring", action="store_true", help="keep the key in the keyring")
    connect.add_argument("--forget", action="store_true", help="delete the saved key")
    connect.add_argument(
        "--delete-files",
        choices=("always", "ask"),
        help="after a job: delete its uploaded files always, or ask (the default)",
    )
    connect.set_defaults(run=_connect)


def _connect(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.openai import connection as connections

    if args.forget:
        connections.forget_key(args.backend)
        print(f"forgot the saved {args.backend} key")
        return 0
    settings = {
        "base_url": args.base_url,
        "endpoint": args.endpoint,
        "api_version": args.api_version,
        "delete_files": args.delete_files,
    }
    key = None
    if args.key_stdin:
        key = sys.stdin.readline().strip()
    elif sys.stdin.isatty() and (args.keyring or not any(settings.values())):
        import getpass

        key = getpass.getpass(f"{args.backend} API key (not shown; Enter keeps the saved one): ")
    if key or any(settings.values()):
        where = connections.save(
            args.backend, key=key or None, use_keyring=args.keyring, **settings
        )
        if key:
            print(f"saved the key in {where}")
    conn = connections.connection(args.backend)
    after = "always" if connections.delete_files_by_default(args.backend) else "ask"
    print(f"{args.backend}: {conn.service} ({conn.shown_url}), key from {conn.key_source}")
    print(f"uploaded files after a job: {after} (--delete-files always|ask)")
    return 0
