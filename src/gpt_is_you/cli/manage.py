"""The command line's ``rename``, ``models`` and ``rm``."""

from __future__ import annotations

import argparse
import json
import sys

from gpt_is_you.cli.common import PROG, confirm, declined


def add_commands(commands) -> None:
    rename = commands.add_parser(
        "rename",
        help="rename a model",
        description="Give a model a new name; its training runs and conversations stay.",
    )
    rename.add_argument("name", metavar="OLD")
    rename.add_argument("new_name", metavar="NEW")
    rename.set_defaults(run=_rename)

    models = commands.add_parser("models", help="list the models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(run=_models)

    rm = commands.add_parser("rm", help="delete a model")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    rm.add_argument(
        "--remote",
        action="store_true",
        help="also delete its uploaded files and fine-tuned models at OpenAI or Azure OpenAI",
    )
    rm.set_defaults(run=_rm)


def _rename(args: argparse.Namespace) -> int:
    from gpt_is_you.store.manage import rename_model

    rename_model(args.name, args.new_name)
    print(f"{args.name} is now {args.new_name.strip()}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from gpt_is_you.store.models import list_models

    models = list_models()
    if args.json:
        print(json.dumps([m.to_json() for m in models], ensure_ascii=False, indent=2))
    elif not models:
        print("No models yet. Create one with: gpt-is-you new NAME --from EXPORT --persona WHO")
    else:
        for m in models:
            if m.readable:
                print(
                    f"{m.name}\t{m.persona}\t{m.source}\t{m.train} train / {m.valid} valid\t"
                    f"{m.state_text}"
                )
            else:
                print(f"{m.name}\t\t\t\t{m.state_text}: {m.problem} ({m.path})")
    return 0


def _rm(args: argparse.Namespace) -> int:
    from gpt_is_you import providers
    from gpt_is_you.store import remote
    from gpt_is_you.store.errors import UnreadableModelError
    from gpt_is_you.store.models import find_model, refuse_if_training, remove_model

    model = find_model(args.name)  # a missing model fails here, before asking
    folder = model.folder
    question = f"Delete the model {args.name!r} and everything stored with it"
    try:
        with model.db() as db:  # and a training one
            refuse_if_training(db, args.name)
            leftovers = remote.leftovers(db)
    except UnreadableModelError as e:
        # Nothing in it can be read, what it left at a service included: it goes as it is.
        leftovers = {}
        question = f"Delete the {e.state} model {args.name!r} in {folder} ({e.problem})"
        if args.remote:
            print(f"{PROG}: what it left at a service, if anything, stays there", file=sys.stderr)
    if args.remote and leftovers:
        names = ", ".join(f"{what} at {backend}" for backend, what in leftovers.items())
        question += f", and {names}"
    confirmed = confirm(question + "?", args.yes)
    if confirmed is None:
        print(f"{PROG}: deleting needs confirmation; pass --yes", file=sys.stderr)
        return 2
    if not confirmed:
        return declined(f"Kept {args.name}; nothing was deleted.")
    if args.remote:
        for backend in leftovers:
            # A failure stops here, before the local store (which remembers the ids) goes.
            for remote_id in providers.get(backend).delete_remote(model):
                print(f"deleted {remote_id} at {backend}")
    elif leftovers:
        names = "; ".join(f"{what} at {backend}" for backend, what in leftovers.items())
        print(f"left in place: {names} (`rm --remote` deletes them too)", file=sys.stderr)
    remove_model(model)
    return 0
