"""The command line's ``chat``: a conversation with a trained model in the terminal, or one
reply with ``-m``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from gpt_is_you import providers
from gpt_is_you.cli.common import PROG, number
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import Sampling


def add_commands(commands) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk to a trained model",
        description="Chat with the trained model in the terminal (Ctrl-C stops a reply, "
        "Ctrl-D or /quit leaves, /new starts over); with -m, print one reply and exit.",
    )
    chat.add_argument("name", metavar="NAME")
    chat.add_argument("-m", "--message", metavar="TEXT", help="send one message, print the reply")
    # Left out, each is the model's as last set in the app (F2), else the default.
    sampling, limits = Sampling(), Sampling.LIMITS
    chat.add_argument(
        "--temperature",
        type=number(limits["temperature"]),
        help=f"0 for the likeliest words, up to 2 (default: the model's, else "
        f"{sampling.temperature:g})",
    )
    chat.add_argument(
        "--top-p",
        type=number(limits["top_p"]),
        help=f"(default: the model's, else {sampling.top_p:g})",
    )
    chat.add_argument(
        "--max-tokens",
        type=number(limits["max_tokens"]),
        metavar="N",
        help=f"(default: the model's, else {sampling.max_tokens})",
    )
    chat.add_argument("--seed", type=number(limits["seed"]), help="make replies repeatable")
    chat.add_argument(
        "--remote-model",
        metavar="ID",
        help="talk to this model of a remote backend instead (any model the service or "
        "server has), with the persona's system prompt",
    )
    chat.add_argument(
        "--backend",
        choices=providers.names(remote=True),
        default=providers.names(remote=True)[0],
        help="where --remote-model lives (openai: OpenAI or the server at OPENAI_BASE_URL)",
    )
    chat.set_defaults(run=_chat)


def _chat(args: argparse.Namespace) -> int:
    from gpt_is_you.chat_session import LOADING, ChatSession, kept_sampling
    from gpt_is_you.store import conversations
    from gpt_is_you.store.models import find_model

    model = find_model(args.name)
    with model.db() as db:
        persona = conversations.read_persona(db)
        job = conversations.chat_job(db)
        kept = kept_sampling(db)
    given = {
        name: getattr(args, name)
        for name in ("temperature", "top_p", "max_tokens", "seed")
        if getattr(args, name) is not None
    }
    sampling = replace(kept, **given)  # this run's flags over the model's settings
    if kept != Sampling():
        print(f"the settings kept for {args.name}: {sampling.describe()}", file=sys.stderr)
    if args.remote_model:
        provider, job_id = providers.get(args.backend), None
    elif job is None:
        raise ProviderError(
            f"{args.name} is not trained yet: run `{PROG} train {args.name}`, or talk to "
            "any remote model with --remote-model"
        )
    else:
        provider, job_id = providers.get(job.backend), job.id
    session = ChatSession(model, provider, persona, job_id, remote_model=args.remote_model)
    with _Waiting() as waiting:
        if not providers.is_remote(provider.name):
            waiting.say(LOADING)
        session.load(waiting.notice)
        if args.message is not None:
            return _one_reply(session, args.message, sampling, waiting)
    return _chat_loop(session, sampling, waiting)


class _Waiting:
    """What the command waits for, on stderr, as the app says it under a reply: on a
    terminal one line written over and erased once the reply comes; the backend's
    notices (the model prepared for chat once, a remote model not served yet) as lines,
    terminal or not."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.shown = ""  # the line on the terminal now

    def __enter__(self) -> _Waiting:
        return self

    def __exit__(self, *_: object) -> None:
        self.clear()  # before the reply, or the line of an error

    def say(self, text: str) -> None:
        if self.terminal:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
            self.shown = text

    def notice(self, message: str) -> None:
        shown = self.shown
        self.clear()
        print(message, file=sys.stderr, flush=True)
        if shown:
            self.say(shown)  # still waiting, below the notice

    def clear(self) -> None:
        if self.shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
            self.shown = ""


def _one_reply(session, text: str, sampling: Sampling, waiting: _Waiting) -> int:
    from gpt_is_you.chat_session import WRITING
    from gpt_is_you.store.conversations import bubbles

    session.say(text, with_reply=True)  # a reply that fails leaves nothing stored
    waiting.say(WRITING)
    reply = session.reply(sampling, notice=waiting.notice)
    waiting.clear()
    if not reply.text and not reply.stopped:  # a barely trained model can end its turn at once
        print("(the model wrote nothing; ask again)", file=sys.stderr)
    print("\n".join(bubbles(reply.text)))
    if reply.stopped:
        print(f"{PROG}: {reply.cut or 'stopped'}", file=sys.stderr)
        return 1
    return 0


def _chat_loop(session, sampling: Sampling, waiting: _Waiting) -> int:
    name = session.persona.name
    print(f"Chatting with a model of {name} ({session.model.name}). It is a model, not the person.")
    print("Ctrl-C stops a reply; /new starts over; Ctrl-D or /quit leaves.")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit"):
            return 0
        if text == "/new":
            session.conversation = None
            continue
        if not text:
            continue
        session.say(text)
        print(f"{name} (model)> ", end="", flush=True)
        reply = session.reply(
            sampling,
            echo=lambda piece: print(piece.replace("\n", "\n  "), end="", flush=True),
            notice=waiting.notice,
        )
        print(" [stopped]" if reply.stopped and reply.cut is None else "")
        if reply.cut is not None:
            print(f"  ({reply.cut})")
