"""The command line's training and chat commands: ``train``, ``status``, ``chat``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import Sampling, TrainSettings

PROG = "gpt-is-you"
POLL_SECONDS = 1.0


def add_commands(commands) -> None:
    train = commands.add_parser(
        "train",
        help="fine-tune a model",
        description="Fine-tune the model on its examples, on this machine (LoRA). Runs in a "
        "process of its own: Ctrl-C cancels it; with --detach the command returns at once "
        "and `status` follows it.",
    )
    train.add_argument("name", metavar="NAME")
    train.add_argument("--backend", choices=("local",), default="local", help="(local)")
    defaults = TrainSettings()
    train.add_argument(
        "--base",
        metavar="MODEL",
        default=defaults.base,
        help="the model to start from: default (SmolLM2-135M-Instruct), a model folder, "
        "a .gguf file, or a hub id",
    )
    train.add_argument(
        "--epochs", type=float, default=defaults.epochs, metavar="N", help="passes (1)"
    )
    train.add_argument("--max-steps", type=int, metavar="N", help="stop after N steps")
    train.add_argument("--lr", type=float, default=defaults.lr, help=f"({defaults.lr})")
    train.add_argument(
        "--lora-rank", type=int, default=defaults.lora_rank, metavar="N", help="(16)"
    )
    train.add_argument(
        "--max-seq-len",
        type=int,
        default=defaults.max_seq_len,
        metavar="N",
        help="tokens per example; longer ones are cut (1024)",
    )
    train.add_argument("--seed", type=int, default=defaults.seed, help="(0)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    what = train.add_mutually_exclusive_group()
    what.add_argument(
        "--resume", action="store_true", help="continue the last job from its checkpoint"
    )
    what.add_argument("--cancel", action="store_true", help="stop the running job")
    train.add_argument("--detach", action="store_true", help="start the job and return")
    train.set_defaults(run=_train)

    status = commands.add_parser("status", help="show a model's training job")
    status.add_argument("name", metavar="NAME")
    status.add_argument("--follow", action="store_true", help="keep watching until it ends")
    status.add_argument("--json", action="store_true", help="print the job as JSON")
    status.set_defaults(run=_status)

    chat = commands.add_parser(
        "chat",
        help="talk to a trained model",
        description="Chat with the trained model in the terminal (Ctrl-C stops a reply, "
        "Ctrl-D or /quit leaves, /new starts over); with -m, print one reply and exit.",
    )
    chat.add_argument("name", metavar="NAME")
    chat.add_argument("-m", "--message", metavar="TEXT", help="send one message, print the reply")
    sampling = Sampling()
    chat.add_argument(
        "--temperature", type=float, default=sampling.temperature, help="0 for the likeliest"
    )
    chat.add_argument("--top-p", type=float, default=sampling.top_p)
    chat.add_argument("--max-tokens", type=int, default=sampling.max_tokens, metavar="N")
    chat.add_argument("--seed", type=int, help="make replies repeatable")
    chat.set_defaults(run=_chat)


def _provider():
    from gpt_is_you.providers.local import LocalProvider

    return LocalProvider()


def _train(args: argparse.Namespace) -> int:
    provider = _provider()
    if args.cancel:
        job = provider.cancel(args.name)
        print(f"asked job {job.id} of {args.name} to stop; it stops after the current step")
        return 0
    if args.resume:
        job = provider.resume(args.name)
    else:
        settings = TrainSettings.chosen(
            base=args.base,
            epochs=args.epochs,
            max_steps=args.max_steps,
            lr=args.lr,
            lora_rank=args.lora_rank,
            max_seq_len=args.max_seq_len,
            seed=args.seed,
            device=args.device,
        )
        _check(settings)
        job = provider.start(args.name, settings)
    if args.detach:
        print(f"training {args.name} (job {job.id}); `{PROG} status {args.name} --follow` shows it")
        return 0
    try:
        return _follow(args.name)
    except KeyboardInterrupt:
        try:
            provider.cancel(args.name)
        except ProviderError:  # it ended just now
            return _follow(args.name, quiet=True)
        print("\ncancelling after the current step…", file=sys.stderr)
        _follow(args.name, quiet=True)
        print(f"`{PROG} train {args.name} --resume` continues it", file=sys.stderr)
        return 130


def _check(s: TrainSettings) -> None:
    for field, message in s.problems():
        raise ProviderError(f"--{field.replace('_', '-')} {message}")


def _status(args: argparse.Namespace) -> int:
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model

    if args.follow:
        return _follow(args.name)
    with open_model(args.name) as db:
        job = jobs.read_job(db)
        if job is None:
            print(f"{args.name} has not been trained; `{PROG} train {args.name}` starts it")
            return 0
        metrics = jobs.read_metrics(db, job.id)
        events = jobs.read_events(db, job.id)
    if args.json:
        out = {
            "id": job.id,
            "backend": job.backend,
            "base_model": job.base_model,
            "state": job.state,
            "step": job.step,
            "total_steps": job.total_steps,
            "error": job.error,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
            "metrics": {k: [list(p) for p in v] for k, v in metrics.items()},
            "events": [e.__dict__ for _, e in events],
        }
        print(json.dumps(out, indent=2))
        return 0
    print(_headline(args.name, job))
    print(_progress_line(job, metrics))
    for _, event in events[-5:]:
        print(f"  {event.time[11:]}  {event.message}")
    return 0


def _headline(name: str, job) -> str:
    line = f"{name}: {job.state} (job {job.id}, {job.backend}, base {job.base_model})"
    return line + (f": {job.error}" if job.error else "")


def _progress_line(job, metrics: dict[str, list[tuple[int, float]]]) -> str:
    from gpt_is_you.store import jobs

    parts = [f"step {job.step}/{job.total_steps or '?'}"]
    for label, name in (
        ("loss", jobs.TRAIN_LOSS),
        ("accuracy", jobs.TRAIN_ACCURACY),
        ("valid loss", jobs.VALID_LOSS),
        ("valid accuracy", jobs.VALID_ACCURACY),
    ):
        if metrics.get(name):
            parts.append(f"{label} {metrics[name][-1][1]:.3f}")
    return "  ".join(parts)


def _follow(name: str, quiet: bool = False) -> int:
    """Show the job until it ends; its exit status says how it ended."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model
    from gpt_is_you.store.pace import Pace, clock

    console = Console(stderr=True)
    seen_event = 0
    pace = Pace()
    with (
        open_model(name) as db,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[line]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=console,
            disable=quiet or not console.is_terminal,
        ) as bar,
    ):
        task = bar.add_task(name, total=None, line="starting…", eta="?")
        last_step = -1
        while True:
            job = jobs.read_job(db)
            for event_id, event in jobs.read_events(db, job.id, seen_event):
                seen_event = event_id
                if not quiet:
                    bar.console.print(f"{event.time[11:]}  {event.message}")
            metrics = jobs.read_metrics(db, job.id)
            line = _progress_line(job, metrics)
            pace.see(job)
            eta = clock(pace.remaining(job))
            bar.update(task, total=job.total_steps, completed=job.step, line=line, eta=eta)
            if not bar.live.is_started and job.step != last_step and not quiet:
                print(line, file=sys.stderr)  # no terminal: one line per step
            last_step = job.step
            if not job.active:
                break
            time.sleep(POLL_SECONDS)
    if job.state == jobs.SUCCEEDED:
        print(f"{name} is trained; `{PROG} chat {name}` talks to it")
        return 0
    print(_headline(name, job), file=sys.stderr)
    return 1


def _chat(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.local import trained_job
    from gpt_is_you.providers.local.generate import bubbles
    from gpt_is_you.store import conversations
    from gpt_is_you.store.models import open_model

    sampling = Sampling(
        temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=args.seed
    )
    provider = _provider()
    with open_model(args.name) as db:
        job = trained_job(db, args.name)
        persona = conversations.read_persona(db)
        model = provider.chat_model(args.name)
        if args.message is not None:
            reply = "".join(model.stream(_history(persona, [], args.message), sampling))
            conversation = conversations.start(db, args.message, job.id)
            conversations.add(db, conversation, "user", args.message)
            conversations.add(db, conversation, "assistant", reply)
            if not bubbles(reply):  # a barely trained model can end its turn at once
                print("(the model wrote nothing; ask again)", file=sys.stderr)
            print("\n".join(bubbles(reply)))
            return 0
        return _chat_loop(db, args.name, persona, model, job.id, sampling)


def _history(persona, lines, text: str):
    from gpt_is_you.store import conversations
    from gpt_is_you.store.conversations import ChatLine

    now = datetime.now().isoformat(timespec="seconds")
    return conversations.chat_messages(persona, [*lines, ChatLine("user", text, now)])


def _chat_loop(db, name: str, persona, model, job_id: int, sampling: Sampling) -> int:
    from gpt_is_you.store import conversations

    print(f"Chatting with a model of {persona.name} ({name}). It is a model, not the person.")
    print("Ctrl-C stops a reply; /new starts over; Ctrl-D or /quit leaves.")
    conversation = None
    history: list = []
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit"):
            return 0
        if text == "/new":
            conversation, history = None, []
            continue
        if not text:
            continue
        if conversation is None:
            conversation = conversations.start(db, text, job_id)
        conversations.add(db, conversation, "user", text)
        print(f"{persona.name} (model)> ", end="", flush=True)
        pieces = []
        try:
            for piece in model.stream(_history(persona, history, text), sampling):
                pieces.append(piece)
                print(piece.replace("\n", "\n  "), end="", flush=True)
        except KeyboardInterrupt:
            print(" [stopped]", end="")
        print()
        reply = "".join(pieces)
        conversations.add(db, conversation, "assistant", reply)
        history = conversations.lines(db, conversation)
