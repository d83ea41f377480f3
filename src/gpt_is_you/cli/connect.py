"""The command line's ``connect``: where a remote backend is and its API key."""

from __future__ import annotations

import argparse
import sys

from gpt_is_you.cli.common import PROG
from gpt_is_you.providers.errors import ProviderError

HUGGINGFACE = "huggingface"  # the hub's token, for gated bases: not a backend


def add_commands(commands) -> None:
    from gpt_is_you.providers import OPENAI_NO_JOBS, OPENAI_NO_LAPSED, OPENAI_NO_NEW

    connect = commands.add_parser(
        "connect",
        help="set up a remote service (OpenAI, Azure OpenAI, Together AI, or an "
        "OpenAI-compatible fine-tuning service of your choice) or a Hugging Face token",
        description="Save where a remote backend is and its API key (asked without echo, or "
        "read from stdin with --key-stdin), in the system keyring with --keyring or else in "
        "connections.toml (readable by you only). Built in: openai (OpenAI, for existing "
        f"fine-tuning customers: no new organisations since {OPENAI_NO_NEW}, none without "
        f"recent fine-tuned-model use since {OPENAI_NO_LAPSED}, no jobs for anyone from "
        f"{OPENAI_NO_JOBS}; or an OpenAI-compatible server at --base-url), azure (Azure OpenAI) "
        "and together (Together AI). Any other NAME with --base-url makes (or changes) a "
        "connection to an OpenAI-compatible fine-tuning service, a backend of its own "
        "(`train --backend NAME`); --profile says which service it is (its bases, data "
        "format and prices; guessed from the URL's host when not given). Environment "
        "variables (OPENAI_API_KEY, OPENAI_BASE_URL, AZURE_OPENAI_API_KEY, "
        "AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION, TOGETHER_API_KEY, NAME_API_KEY) come "
        "first. huggingface: the token that downloads gated bases (HF_TOKEN and the hub's own "
        "login come first). With no option, show what is set (never the key).",
    )
    connect.add_argument(
        "backend",
        metavar="NAME",
        help="openai, azure, together, huggingface, or a name for a connection of your own",
    )
    connect.add_argument(
        "--base-url", metavar="URL", help="openai, or a connection of your own: its API's URL"
    )
    connect.add_argument(
        "--profile",
        metavar="P",
        help="a connection of your own: which service it is (its bases, data format and "
        "prices): nebius, generic, …; an unknown one is told with the list",
    )
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
    from gpt_is_you.providers import connection as connections

    if args.backend == HUGGINGFACE:
        return _connect_huggingface(args)
    _check_name(args)
    if args.forget:
        connections.forget_key(args.backend)
        print(f"forgot the saved {args.backend} key")
        return 0
    settings = {
        "base_url": args.base_url,
        "endpoint": args.endpoint,
        "api_version": args.api_version,
        "delete_files": args.delete_files,
        "profile": args.profile,
    }
    key = None
    if args.key_stdin:
        key = sys.stdin.readline().strip()
    elif sys.stdin.isatty() and (args.keyring or not any(settings.values())):
        import getpass

        key = getpass.getpass(f"{args.backend} API key (not shown; Enter keeps the saved one): ")
    saved = bool(key or any(settings.values()))
    if saved:
        where = connections.save(
            args.backend, key=key or None, use_keyring=args.keyring, **settings
        )
        if key:
            print(f"saved the key in {where}")
    try:
        conn = connections.connection(args.backend)
    except ProviderError as e:
        if not saved:
            raise
        print(f"{args.backend}: saved; {e}")  # a new connection without its key yet
        return 0
    after = "always" if connections.delete_files_by_default(args.backend) else "ask"
    print(f"{args.backend}: {conn.service} ({conn.shown_url}), key from {conn.key_source}")
    if conn.kind in (connections.OPENAI, connections.AZURE, connections.COMPATIBLE):
        print(_profile_line(args.backend))
    print(f"uploaded files after a job: {after} (--delete-files always|ask)")
    return 0


def _check_name(args: argparse.Namespace) -> None:
    """One line, before anything is asked or saved, for a name that cannot be a
    connection, an unknown profile, or a new connection without its address."""
    from gpt_is_you.providers import connection as connections
    from gpt_is_you.providers.openai.profiles import profile

    name = args.backend
    if name in connections.SERVICES:
        if args.profile:
            raise ProviderError(
                f"--profile is for a connection of your own (`{PROG} connect NAME --base-url "
                f"URL --profile P`); {name} is built in"
            )
        return
    problem = connections.name_problem(name)
    if problem is not None:
        raise ProviderError(f"{problem}; nothing was saved")
    if args.profile:
        profile(args.profile)
    if name not in connections.named() and not args.base_url and not args.forget:
        raise ProviderError(
            f"no connection named {name!r}: make one with `{PROG} connect {name} --base-url "
            "URL [--profile P]`"
        )


def _profile_line(backend: str) -> str:
    """What the backend's profile says of its service: name, status, bases."""
    from gpt_is_you.providers.openai.profiles import profile_for

    p = profile_for(backend)
    bases = ", ".join(p.bases[:3]) + (", …" if len(p.bases) > 3 else "") or "any it has"
    return f"profile: {p.name} ({p.shown}; {p.status}); bases: {bases}"


def _connect_huggingface(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.credentials import forget_key
    from gpt_is_you.providers.local import download

    remote_only = ("base_url", "profile", "endpoint", "api_version", "delete_files")
    given = [name for name in remote_only if getattr(args, name)]
    if given:
        raise ProviderError(
            f"--{given[0].replace('_', '-')} is for a remote service; huggingface takes a token"
        )
    if args.forget:
        forget_key(download.SECTION)
        print("forgot the saved huggingface token")
        return 0
    token = None
    if args.key_stdin:
        token = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        import getpass

        token = getpass.getpass("Hugging Face token (not shown; Enter keeps the saved one): ")
    if token:
        print(f"saved the token in {download.save_token(token, use_keyring=args.keyring)}")
    found = download.find_token()
    if found is None:
        print("huggingface: no token (public bases need none; gated ones do)")
    else:
        print(f"huggingface: token from {found.source}")
    return 0
