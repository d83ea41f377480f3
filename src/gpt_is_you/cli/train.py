"""The command line's training and chat commands: ``train``, ``status``, ``chat``, and
``connect`` for the remote backends' settings and keys."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.limits import Limit
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import (
    PRECISIONS,
    REMOTE_BASES,
    RemoteSettings,
    Sampling,
    TrainSettings,
)

PROG = "gpt-is-you"
POLL_SECONDS = 1.0


def number(limit: Limit):
    """An option's ``type``: the number typed, checked against the setting's range, so
    that a bad one is refused as the arguments are read, before anything loads."""

    def read(text: str) -> int | float:
        try:
            return limit.read(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return read


def add_commands(commands) -> None:
    train = commands.add_parser(
        "train",
        help="fine-tune a model",
        description="Fine-tune the model on its examples, on this machine (LoRA). Runs in a "
        "process of its own: Ctrl-C cancels it; with --detach the command returns at once "
        "and `status` follows it.",
    )
    train.add_argument("name", metavar="NAME")
    train.add_argument(
        "--backend",
        choices=("local", "openai", "azure"),
        default="local",
        help="local (this machine, private), openai (OpenAI or an OpenAI-compatible server at "
        "OPENAI_BASE_URL) or azure (Azure OpenAI); the remote ones upload the examples after "
        "you confirm",
    )
    defaults, limits = TrainSettings(), TrainSettings.LIMITS
    remote = RemoteSettings.LIMITS
    train.add_argument(
        "--base",
        metavar="MODEL",
        help="the model to start from. Local: default (SmolLM2-135M-Instruct), a model folder, "
        f"a .gguf file, or a hub id. Remote: {', '.join(REMOTE_BASES)} (first by default)",
    )
    train.add_argument(
        "--epochs",
        type=number(limits["epochs"]),
        metavar="N",
        help="passes (local 1; remote auto, a whole number)",
    )
    train.add_argument(
        "--max-steps",
        type=number(limits["max_steps"]),
        metavar="N",
        help="local: stop after N steps",
    )
    train.add_argument(
        "--lr", type=number(limits["lr"]), default=defaults.lr, help=f"local ({defaults.lr})"
    )
    train.add_argument(
        "--lora-rank",
        type=number(limits["lora_rank"]),
        default=defaults.lora_rank,
        metavar="N",
        help="local (16)",
    )
    train.add_argument(
        "--max-seq-len",
        type=number(limits["max_seq_len"]),
        default=defaults.max_seq_len,
        metavar="N",
        help="local: tokens per example; longer ones are cut (1024)",
    )
    train.add_argument(
        "--batch-size", type=number(remote["batch_size"]), metavar="N", help="remote (auto)"
    )
    train.add_argument(
        "--lr-multiplier", type=number(remote["lr_multiplier"]), metavar="X", help="remote (auto)"
    )
    train.add_argument("--suffix", help="remote: the fine-tuned model's suffix (the model's name)")
    train.add_argument(
        "--delete-files",
        action="store_true",
        help="remote: delete the uploaded files at the service once the job ends (`connect "
        "BACKEND --delete-files always` makes it the default)",
    )
    train.add_argument(
        "--yes", action="store_true", help="remote: confirm the upload without asking"
    )
    train.add_argument("--seed", type=number(limits["seed"]), default=defaults.seed, help="(0)")
    train.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), default="auto", help="local"
    )
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="local: the weights' precision (auto: bfloat16 where this machine computes it "
        "faster, else float32)",
    )
    what = train.add_mutually_exclusive_group()
    what.add_argument(
        "--resume", action="store_true", help="continue the last job from its checkpoint"
    )
    what.add_argument("--cancel", action="store_true", help="stop the running job")
    train.add_argument(
        "--detach",
        action="store_true",
        help="start the job and return (a remote job always goes on at the service)",
    )
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
    sampling, limits = Sampling(), Sampling.LIMITS
    chat.add_argument(
        "--temperature",
        type=number(limits["temperature"]),
        default=sampling.temperature,
        help="0 for the likeliest words, up to 2",
    )
    chat.add_argument("--top-p", type=number(limits["top_p"]), default=sampling.top_p)
    chat.add_argument(
        "--max-tokens", type=number(limits["max_tokens"]), default=sampling.max_tokens, metavar="N"
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
        choices=("openai", "azure"),
        default="openai",
        help="where --remote-model lives (openai: OpenAI or the server at OPENAI_BASE_URL)",
    )
    chat.set_defaults(run=_chat)

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


def _provider(backend: str = "local"):
    if backend == "local":
        from gpt_is_you.providers.local import LocalProvider

        return LocalProvider()
    from gpt_is_you.providers.openai import OpenAIProvider

    return OpenAIProvider(backend)


def _latest_backend(name: str) -> str:
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model

    with open_model(name) as db:
        job = jobs.read_job(db)
    return job.backend if job else "local"


def _train(args: argparse.Namespace) -> int:
    if args.cancel or args.resume:
        provider = _provider(_latest_backend(args.name))
    else:
        provider = _provider(args.backend)
    if args.cancel:
        job = provider.cancel(args.name)
        print(f"asked job {job.id} of {args.name} to stop; it stops after the current step")
        return 0
    if args.resume:
        job = provider.resume(args.name)
    elif provider.name == "local":
        settings = TrainSettings.chosen(
            base=args.base or TrainSettings.base,
            epochs=TrainSettings.epochs if args.epochs is None else args.epochs,
            max_steps=args.max_steps,
            lr=args.lr,
            lora_rank=args.lora_rank,
            max_seq_len=args.max_seq_len,
            seed=args.seed,
            device=args.device,
            precision=args.precision,
        )
        job = provider.start(args.name, settings)
    else:
        from gpt_is_you.providers.openai.connection import delete_files_by_default

        settings = RemoteSettings(
            base=args.base or RemoteSettings.base,
            epochs=_remote_epochs(args.epochs),
            batch_size=args.batch_size,
            lr_multiplier=args.lr_multiplier,
            seed=args.seed,
            suffix=args.suffix,
            delete_files=args.delete_files or delete_files_by_default(provider.name),
        )
        _check(settings)
        print(provider.plan(args.name, settings).describe(), file=sys.stderr)
        confirmed = confirm("Send it?", args.yes)
        if confirmed is None:
            raise ProviderError("uploading the examples needs your confirmation; pass --yes")
        if not confirmed:
            return 1
        job = provider.start(args.name, settings)
    if args.detach:
        print(f"training {args.name} (job {job.id}); `{PROG} status {args.name} --follow` shows it")
        return 0
    try:
        status = _follow(args.name)
    except KeyboardInterrupt:
        if provider.name != "local":
            print(
                f"\nthe job goes on at {provider.name}; `{PROG} status {args.name} --follow` "
                f"watches it, `{PROG} train {args.name} --cancel` stops it",
                file=sys.stderr,
            )
            return 130
        try:
            provider.cancel(args.name)
        except ProviderError:  # it ended just now
            return _follow(args.name, quiet=True)
        print("\ncancelling after the current step…", file=sys.stderr)
        _follow(args.name, quiet=True)
        print(f"`{PROG} train {args.name} --resume` continues it", file=sys.stderr)
        return 130
    if provider.name != "local":
        _offer_cleanup(provider, args.name)
    return status


def _offer_cleanup(provider, name: str) -> None:
    """After a remote job, offer to delete the files it uploaded (when still there)."""
    from gpt_is_you.providers.openai import remote_leftovers

    left = remote_leftovers(name).get(provider.name)
    if not left or not left.files or not sys.stdin.isatty():
        return
    if confirm(f"Delete the {len(left.files)} uploaded files at {provider.name} now?", False):
        deleted = provider.delete_remote(name, files_only=True)
        print(f"deleted {', '.join(deleted)}")


def confirm(question: str, yes: bool) -> bool | None:
    """True when confirmed; None when there is no terminal to ask and no --yes."""
    if yes:
        return True
    if not sys.stdin.isatty():
        return None
    return input(f"{question} [y/N] ").strip().casefold() in ("y", "yes")


def _remote_epochs(epochs: float | None) -> int | None:
    """``--epochs`` of a remote job: read as the local one (any number of passes above
    0), it must also be a whole number in the service's range."""
    if epochs is None:
        return None
    problem = RemoteSettings.LIMITS["epochs"].problem(epochs)
    if problem is not None:
        raise SettingsError(f"--epochs of a remote job {problem}")
    return int(epochs)


def _check(s: RemoteSettings) -> None:
    for field, message in s.problems():
        raise ProviderError(f"--{field.replace('_', '-')} {message}")


def _status(args: argparse.Namespace) -> int:
    from gpt_is_you.store import jobs, remote
    from gpt_is_you.store.models import open_model

    if args.follow:
        return _follow(args.name)
    _watch(args.name)
    with open_model(args.name) as db:
        job = jobs.read_job(db)
        if job is None:
            print(f"{args.name} has not been trained; `{PROG} train {args.name}` starts it")
            return 0
        metrics = jobs.read_metrics(db, job.id)
        events = jobs.read_events(db, job.id)
        at_service = remote.objects(db, job_id=job.id)
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
            "remote_job": job.remote_id,
            "remote_objects": [
                {
                    "kind": o.kind,
                    "id": o.remote_id,
                    "created_at": o.created_at,
                    "deleted_at": o.deleted_at,
                }
                for o in at_service
            ],
        }
        print(json.dumps(out, indent=2))
        return 0
    print(_headline(args.name, job))
    print(_progress_line(job, metrics))
    for thing in at_service:
        gone = f", deleted {thing.deleted_at.replace('T', ' ')}" if thing.deleted_at else ""
        print(f"  {thing.kind.replace('_', ' ')}: {thing.remote_id}{gone}")
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


def _watch(name: str) -> None:
    """A remote job whose watcher died (the machine restarted) gets a new one."""
    backend = _latest_backend(name)
    if backend != "local":
        _provider(backend).status(name)


def _follow(name: str, quiet: bool = False) -> int:
    """Show the job until it ends; its exit status says how it ended."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model
    from gpt_is_you.store.pace import Pace, clock

    _watch(name)
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
    from gpt_is_you.store import conversations
    from gpt_is_you.store.models import open_model

    sampling = Sampling(
        temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens, seed=args.seed
    )
    with open_model(args.name) as db:
        persona = conversations.read_persona(db)
        job = conversations.chat_job(db)
    if args.remote_model:
        model = _provider(args.backend).chat_model(args.name, args.remote_model, notice=_notice)
        job_id = None
    else:
        if job is None:
            raise ProviderError(
                f"{args.name} is not trained yet: run `{PROG} train {args.name}`, or talk to "
                "any remote model with --remote-model"
            )
        provider = _provider(job.backend)
        if job.backend == "local":
            model = provider.chat_model(args.name)
        else:
            model = provider.chat_model(args.name, notice=_notice)
        job_id = job.id
    with open_model(args.name) as db:
        if args.message is not None:
            return _one_reply(db, persona, model, job_id, args.message, sampling)
        return _chat_loop(db, args.name, persona, model, job_id, sampling)


def _reply(model, messages, sampling: Sampling, echo) -> tuple[str, str | None]:
    """The reply as far as it came, and why it stopped early (None when it did not)."""
    from gpt_is_you.providers.openai.chat import ReplyCut

    pieces: list[str] = []
    try:
        for piece in model.stream(messages, sampling):
            pieces.append(piece)
            echo(piece)
    except KeyboardInterrupt:
        return "".join(pieces), "stopped"
    except ReplyCut as e:
        return "".join(pieces), str(e)
    return "".join(pieces), None


def _notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _one_reply(db, persona, model, job_id, text: str, sampling: Sampling) -> int:
    from gpt_is_you.store import conversations
    from gpt_is_you.store.conversations import bubbles

    reply, cut = _reply(model, _history(persona, [], text), sampling, lambda piece: None)
    conversation = conversations.start(db, text, job_id)
    conversations.add(db, conversation, "user", text)
    conversations.add(db, conversation, "assistant", reply, stopped=cut is not None)
    if not bubbles(reply) and cut is None:  # a barely trained model can end its turn at once
        print("(the model wrote nothing; ask again)", file=sys.stderr)
    print("\n".join(bubbles(reply)))
    if cut is not None:
        print(f"{PROG}: {cut}", file=sys.stderr)
        return 1
    return 0


def _history(persona, lines, text: str):
    from gpt_is_you.store import conversations
    from gpt_is_you.store.conversations import ChatLine

    now = datetime.now().isoformat(timespec="seconds")
    return conversations.chat_messages(persona, [*lines, ChatLine("user", text, now)])


def _chat_loop(db, name: str, persona, model, job_id: int | None, sampling: Sampling) -> int:
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
        reply, cut = _reply(
            model,
            _history(persona, history, text),
            sampling,
            lambda piece: print(piece.replace("\n", "\n  "), end="", flush=True),
        )
        print(" [stopped]" if cut == "stopped" else "")
        if cut not in (None, "stopped"):
            print(f"  ({cut})")
        conversations.add(db, conversation, "assistant", reply, stopped=cut is not None)
        history = conversations.lines(db, conversation)


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
