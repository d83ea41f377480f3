"""The command line's ``connect``: where a remote backend is and its API key."""

from __future__ import annotations

import argparse
import sys

from gpt_is_you.providers.errors import ProviderError

HUGGINGFACE = "huggingface"  # the hub's token, for gated bases: not a backend


def add_commands(commands) -> None:
    connect = commands.add_parser(
        "connect",
        help="set up OpenAI, an OpenAI-compatible server, Azure OpenAI, or a Hugging Face token",
        description="Save where a remote backend is and its API key (asked without echo, or "
        "read from stdin with --key-stdin), in the system keyring with --keyring or else in "
        "connections.toml (readable by you only). Environment variables (OPENAI_API_KEY, "
        "OPENAI_BASE_URL, AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION) "
        "come first. huggingface: the token that downloads gated bases (HF_TOKEN and the hub's "
        "own login come first). With no option, show what is set (never the key).",
    )
    connect.add_argument("backend", choices=("openai", "azure", HUGGINGFACE))
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
    from gpt_is_you.providers import connection as connections

    if args.backend == HUGGINGFACE:
        return _connect_huggingface(args)
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


def _connect_huggingface(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.credentials import forget_key
    from gpt_is_you.providers.local import download

    remote_only = ("base_url", "endpoint", "api_version", "delete_files")
    given = [name for name in remote_only if getattr(args, name)]
    if given:
        raise ProviderError(
            f"--{given[0].replace('_', '-')} is for openai or azure; huggingface takes a token"
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
