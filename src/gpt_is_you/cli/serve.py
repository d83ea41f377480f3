"""The command line's ``serve``: a trained model as an OpenAI-compatible server, for other
apps (bots, chat front ends, scripts) to talk to."""

from __future__ import annotations

import argparse
import os
import sys

from gpt_is_you.cli.common import PROG, number
from gpt_is_you.limits import Limit
from gpt_is_you.serving.listen import DEFAULT_HOST, DEFAULT_PORT, TOKEN_VARIABLE

PORT = Limit(0, 65535, whole=True)
QUEUE = Limit(0, 1000, whole=True)
DEFAULT_QUEUE = 4


def add_commands(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve a trained model to other apps (OpenAI-compatible)",
        description="Serve the trained model as an OpenAI-compatible endpoint "
        "(/v1/models, /v1/chat/completions, streamed or not) until Ctrl-C. Any OpenAI "
        "client or bot framework that takes a base URL can talk to it; requests without "
        "a system message get the persona's. Requests are answered one at a time, a few "
        "wait their turn, more are refused with 429.",
    )
    serve.add_argument("name", metavar="NAME")
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default: {DEFAULT_HOST}, this machine only; any "
        "other needs a token)",
    )
    serve.add_argument(
        "--port",
        type=number(PORT),
        default=DEFAULT_PORT,
        metavar="N",
        help=f"(default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    serve.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"the API key clients must send (default: ${TOKEN_VARIABLE}, which other "
        "users of the machine cannot read in the process list; optional on 127.0.0.1)",
    )
    serve.add_argument(
        "--queue",
        type=number(QUEUE),
        default=DEFAULT_QUEUE,
        metavar="N",
        help=f"requests that may wait while a reply is written; more get 429 "
        f"(default: {DEFAULT_QUEUE})",
    )
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from gpt_is_you.serving.run import Options, serve
    from gpt_is_you.store.models import find_model

    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    options = Options(args.host, args.port, token, args.queue)

    def serving(where, server) -> None:
        asked = "; clients send the token as their API key" if where.token else ""
        print(f"serving {args.name} at {where.url} (Ctrl-C stops{asked})", flush=True)

    serve(find_model(args.name), options, notice=_say, log=_say, serving=serving)
    print(f"{PROG}: stopped serving {args.name}", file=sys.stderr)
    return 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
