"""Changing models that exist: renaming one, and duplicating one with other build settings.

The CLI (``rename``, ``duplicate``) and the app's models screen both call these.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from gpt_is_you.chats.summary import summarize
from gpt_is_you.dataset.prepare import Prepared, Source, prepare
from gpt_is_you.dataset.settings import BuildSettings, Target
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.faults import faults
from gpt_is_you.store.models import (
    DB_NAME,
    connect,
    find_model,
    free_folder,
    open_model,
    read_build_settings,
    read_chat,
    read_target,
    refuse_if_training,
    write_setting,
)
from gpt_is_you.store.names import check_name, shorten, slugify
from gpt_is_you.store.new import store


def rename_model(old: str, new: str) -> None:
    """Give ``old`` the name ``new``: its folder moves to the new name's slug, with its
    jobs, adapters and conversations (nothing stores the folder's path)."""
    new = check_name(new)
    model = find_model(old)
    folder = model.folder
    with model.db() as db:
        # The worker holds the folder's path: moving it would lose the job's writes.
        refuse_if_training(db, old)
    check_rename(folder, new)
    moved = folder.with_name(slugify(new))
    if moved != folder:
        try:
            # One rename moves everything; it fails, rather than replacing, when another
            # model took the name since the check above.
            folder.rename(moved)
        except OSError as e:
            raise ModelError(
                f"cannot rename {shorten(old)} to {shorten(new)}: {e.strerror}"
            ) from None
    try:
        db = connect(moved / DB_NAME)
        try:
            with faults(moved):
                write_setting(db, "name", new)
        finally:
            db.close()
    except BaseException:
        if moved != folder:
            moved.rename(folder)
        raise


def check_rename(folder: Path, new: str) -> None:
    """Refuse ``new`` as the name of the model in ``folder`` as ``rename_model`` does (a
    name against the rules, or another model's), before anything moves: the app checks
    it as the name is given, to say so beside the field."""
    if folder.with_name(slugify(check_name(new))) != folder:
        free_folder(new)


def prepare_duplicate(name: str, *, target: str | None = None, **changes: object) -> Prepared:
    """``name``'s chat built again, without its export: from the messages it stored.

    ``changes`` are BuildSettings fields to change; the others keep the model's latest
    build settings. A ``target`` other than the model's brings that target's defaults
    (token limit, redaction) unless ``changes`` set them. The persona and "me" stay.
    """
    if {"persona", "me"} & changes.keys():
        raise ValueError("a duplicate learns the same persona; make a new model for another")
    with open_model(name) as db:
        chat = read_chat(db)
        stored = read_build_settings(db)
        source_target = read_target(db)
        (sha256,) = db.execute("SELECT sha256 FROM sources ORDER BY id DESC LIMIT 1").fetchone()
    target = target or source_target
    kept = {f.name: getattr(stored, f.name) for f in fields(stored)}
    if target != source_target:
        for key in Target.SETTINGS:
            del kept[key]
    settings = BuildSettings.for_target(target, **(kept | changes))
    # The same path as an import's, from the stored chat: the same examples and counts.
    return prepare(Source(chat, summarize(chat), sha256), settings, target=target)


def duplicate_model(
    name: str, new_name: str, *, target: str | None = None, **changes: object
) -> Path:
    """A new model ``new_name`` from ``name``'s chat with other build settings (see
    ``prepare_duplicate``); no jobs or conversations come with it. Returns its folder."""
    free_folder(new_name)  # before building, which takes seconds on a large chat
    return store(new_name, prepare_duplicate(name, target=target, **changes))
