"""The command line's ``train`` (local or remote, with the upload confirmed) and ``status``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from gpt_is_you import providers
from gpt_is_you.cli.common import PROG, confirm, declined, number
from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import (
    CHECKPOINTING,
    PRECISIONS,
    QUANTIZE,
    REMOTE_BASES,
    RemoteSettings,
    TrainSettings,
)

if TYPE_CHECKING:
    from gpt_is_you.store.models import Model

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
    train.add_argument(
        "--backend",
        choices=providers.names(),
        default=providers.default(),
        help="local (this machine, private); openai (OpenAI, for its existing fine-tuning "
        f"customers only: no new organisations since {providers.OPENAI_NO_NEW}, no jobs for "
        f"anyone from {providers.OPENAI_NO_JOBS}; or an OpenAI-compatible server at "
        "OPENAI_BASE_URL); azure (Azure OpenAI); or a connection of your own (`connect NAME "
        "--base-url URL`). The remote ones upload the examples after you confirm",
    )
    defaults, limits = TrainSettings(), TrainSettings.LIMITS
    remote = RemoteSettings.LIMITS
    train.add_argument(
        "--base",
        metavar="MODEL",
        help="the model to start from. Local: default (SmolLM2-135M-Instruct), a model folder, "
        f"a .gguf file, or a hub id. OpenAI: {', '.join(REMOTE_BASES)} (first by default); "
        "a connection of your own: the bases of its service (`connect NAME` shows them)",
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
    train.add_argument(
        "--processes",
        type=number(limits["processes"]),
        metavar="N",
        help="local: training processes sharing each step (default: one per CUDA GPU, else one)",
    )
    train.add_argument(
        "--quantize",
        choices=QUANTIZE,
        default="auto",
        help="local: 4bit loads the base in 4 bits (QLoRA; a CUDA GPU and bitsandbytes; "
        "auto: when the base does not fit the GPU in bfloat16)",
    )
    train.add_argument(
        "--gradient-checkpointing",
        choices=CHECKPOINTING,
        default="auto",
        help="local: compute the layers again in the backward pass to save memory (auto: "
        "when the longest example would not fit without)",
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


def _latest_backend(model: Model) -> str:
    from gpt_is_you.store import jobs

    with model.db() as db:
        job = jobs.read_job(db)
    return job.backend if job else providers.default()


def _train(args: argparse.Namespace) -> int:
    from gpt_is_you.store.models import find_model

    if args.cancel or args.resume:
        model = find_model(args.name)
        provider = providers.get(_latest_backend(model))
        if args.cancel:
            job = provider.cancel(model)
            print(f"asked job {job.id} of {args.name} to stop; it stops after the current step")
            return 0
        job = provider.resume(model)
    else:
        provider = providers.get(args.backend)
        settings = _settings(args, provider)
        model = find_model(args.name)  # after the settings, whose mistakes are told first
        plan = provider.plan(model, settings)
        if plan is not None:  # the examples would leave this machine: ask first
            print(plan.describe(), file=sys.stderr)
            confirmed = confirm("Send it?", args.yes)
            if confirmed is None:
                raise ProviderError("uploading the examples needs your confirmation; pass --yes")
            if not confirmed:
                return declined("Nothing was sent; no job was started.")
        _fetch(provider, settings)
        job = provider.start(model, settings)
        # Told as the worker starts loading, so that a refused start says only why.
        _tell_estimate(provider.estimate(model, settings))
    if args.detach:
        print(f"training {args.name} (job {job.id}); `{PROG} status {args.name} --follow` shows it")
        return 0
    try:
        status = _follow(model)
    except KeyboardInterrupt:
        if provider.remote:
            print(
                f"\nthe job goes on at {provider.name}; `{PROG} status {args.name} --follow` "
                f"watches it, `{PROG} train {args.name} --cancel` stops it",
                file=sys.stderr,
            )
            return 130
        try:
            provider.cancel(model)
        except ProviderError:  # it ended just now
            return _follow(model, quiet=True)
        print("\ncancelling after the current step…", file=sys.stderr)
        _follow(model, quiet=True)
        print(f"`{PROG} train {args.name} --resume` continues it", file=sys.stderr)
        return 130
    _offer_cleanup(provider, model)
    return status


def _settings(args: argparse.Namespace, provider) -> TrainSettings | RemoteSettings:
    """The settings of the new run, of the kind the backend takes."""
    if provider.settings_type is TrainSettings:
        return TrainSettings.chosen(
            base=args.base or TrainSettings.base,
            epochs=TrainSettings.epochs if args.epochs is None else args.epochs,
            max_steps=args.max_steps,
            lr=args.lr,
            lora_rank=args.lora_rank,
            max_seq_len=args.max_seq_len,
            seed=args.seed,
            device=args.device,
            precision=args.precision,
            processes=args.processes,
            quantize=args.quantize,
            gradient_checkpointing=args.gradient_checkpointing,
        )
    settings = RemoteSettings(
        base=args.base or _default_base(provider),
        epochs=_remote_epochs(args.epochs),
        batch_size=args.batch_size,
        lr_multiplier=args.lr_multiplier,
        seed=args.seed,
        suffix=args.suffix,
        delete_files=args.delete_files or provider.delete_files_by_default(),
    )
    _check(settings)
    return settings


def _default_base(provider) -> str:
    """The first base the backend offers; a service that takes any model needs --base."""
    offered = provider.bases()
    if not offered:
        raise ProviderError(
            f"--base is needed: {provider.name} fine-tunes any model its service has; name one"
        )
    return offered[0]


def _tell_estimate(estimate) -> None:
    """A new run's length here, and whether it is too short to learn a voice."""
    if estimate is not None:
        print(f"training {estimate.text}", file=sys.stderr)
        if estimate.warning:
            print(f"warning: {estimate.warning}", file=sys.stderr)


def _fetch(provider, settings) -> None:
    """Download what the job needs (a base from the hub) here, with a bar, before the
    job starts: its worker never downloads."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    quiet = not console.is_terminal
    with Progress(
        "downloading {task.description}",
        *columns,
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = None

        def show(done: int, total: int) -> None:
            nonlocal task
            if task is None:  # only a download shows a bar
                task = bar.add_task(settings.base, total=total)
                if quiet:
                    print(f"downloading {settings.base} ({total / 1e6:.1f} MB)…", file=sys.stderr)
            bar.update(task, completed=done, total=total)

        provider.fetch(settings, progress=show)


def _offer_cleanup(provider, model: Model) -> None:
    """After a remote job, offer to delete the files it uploaded (when still there)."""
    left = provider.leftovers(model)
    if not left.files or not sys.stdin.isatty():
        return
    if confirm(f"Delete the {len(left.files)} uploaded files at {provider.name} now?", False):
        deleted = provider.delete_remote(model, files_only=True)
        print(f"deleted {', '.join(deleted)}")


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
    from gpt_is_you.store.models import find_model

    model = find_model(args.name)
    if args.follow:
        return _follow(model)
    _watch(model)
    with model.db() as db:
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
    if not job.active and providers.get(job.backend).resume_kind(job):
        print(f"`{PROG} train {args.name} --resume` continues it")
    return 0


def _headline(name: str, job) -> str:
    line = f"{name}: {job.state} (job {job.id}, {job.backend}, base {job.base_model})"
    return line + (f": {job.error}" if job.error else "")


def _progress_line(job, metrics: dict[str, list[tuple[int, float]]]) -> str:
    from gpt_is_you.store import jobs
    from gpt_is_you.store.pace import doing

    # A running local job says what its worker does (loading, scoring the base model n/M,
    # training step n of N, saving); otherwise the steps done.
    where = f"step {job.step}/{job.total_steps or '?'}"
    parts = [doing(job) if job.active and job.phase else where]
    for label, name in (
        ("loss", jobs.TRAIN_LOSS),
        ("accuracy", jobs.TRAIN_ACCURACY),
        ("valid loss", jobs.VALID_LOSS),
        ("valid accuracy", jobs.VALID_ACCURACY),
    ):
        if metrics.get(name):
            parts.append(f"{label} {metrics[name][-1][1]:.3f}")
    return "  ".join(parts)


def _watch(model: Model) -> None:
    """A remote job whose watcher died (the machine restarted) gets a new one."""
    providers.get(_latest_backend(model)).watch(model)


def _follow(model: Model, quiet: bool = False) -> int:
    """Show the job until it ends; its exit status says how it ended."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from gpt_is_you.store import jobs
    from gpt_is_you.store.pace import Pace, clock

    name = model.name
    _watch(model)
    console = Console(stderr=True)
    seen_event = 0
    pace = Pace()
    with (
        model.db() as db,
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
        last_line = ""
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
            if not bar.live.is_started and line != last_line and not quiet:
                print(line, file=sys.stderr)  # no terminal: one line per step or phase
            last_line = line
            if not job.active:
                break
            time.sleep(POLL_SECONDS)
    if job.state == jobs.SUCCEEDED:
        print(f"{name} is trained; `{PROG} chat {name}` talks to it")
        return 0
    print(_headline(name, job), file=sys.stderr)
    return 1
