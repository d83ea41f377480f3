"""Model folders: creating one atomically, opening, listing and removing them.

``<data dir>/models/<slug>/model.db`` (SQLite, WAL) plus files that are better as
files. A model is built in a hidden temporary folder beside the others and renamed
into place when complete, so a crash leaves either a whole model or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from itertools import count, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from gpt_is_you.chats import Chat, Message
from gpt_is_you.chats.collector import collector_paused
from gpt_is_you.dataset.examples import ASSISTANT, USER, Example, Turn
from gpt_is_you.paths import models_dir
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.jobs import RUNNING, SUCCEEDED, Job, pid_alive, read_job
from gpt_is_you.store.schema import migrate

if TYPE_CHECKING:  # the builder loads only when a model is made or rebuilt
    from gpt_is_you.dataset.build import BuildSettings, Dataset

DB_NAME = "model.db"
_TEMP_PREFIX = ".new-"


@dataclass(frozen=True)
class ModelSummary:
    name: str
    slug: str
    persona: str
    source: str
    format: str
    messages: int
    train: int
    valid: int
    created_at: str
    state: str  # no examples, ready, queued, training 45%, trained, failed, cancelled, interrupted
    backend: str  # of the latest job; "" before any
    last_activity: str  # the latest of creation and the latest job's last update

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def slugify(name: str) -> str:
    """A folder name for a model: lowercase ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise ModelError(f"{name!r} cannot name a model: use letters or digits")
    return slug[:64]


def connect(path: Path) -> sqlite3.Connection:
    # A training worker writes while the CLI or the app reads: wait for a lock, not fail.
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


def model_folder(name: str) -> Path:
    """The folder of an existing model (its database, job folders, adapters)."""
    folder = models_dir() / slugify(name)
    if not (folder / DB_NAME).is_file():
        raise ModelError(f"no model named {name!r}; `gpt-is-you models` lists them")
    return folder


@contextlib.contextmanager
def open_model(name: str) -> Iterator[sqlite3.Connection]:
    db = connect(model_folder(name) / DB_NAME)
    try:
        yield db
    finally:
        db.close()


def create_model(
    name: str,
    *,
    chat: Chat,
    source_sha256: str,
    dataset: Dataset,
    tokens: list[int | None],
    target: str = "local",
) -> Path:
    """Store a new model; its folder appears only once everything is written.
    ``target`` (local or openai) is what its examples were built for."""
    slug = slugify(name)
    root = _private_dir(models_dir())
    target_folder = free_folder(name)
    _remove_abandoned(root, slug)
    temp = root / f"{_TEMP_PREFIX}{slug}-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(mode=0o700)
    try:
        path = temp / DB_NAME
        db = sqlite3.connect(path, isolation_level=None)
        try:
            # Nobody else can see the folder yet and a crash throws it away: no journal
            # and no syncing while it fills, one sync of the whole file before the rename.
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            migrate(db)
            with collector_paused():
                _write(db, name, chat, source_sha256, dataset, tokens, target)
            db.execute("PRAGMA journal_mode = WAL")
        finally:
            db.close()
        with path.open("rb+") as f:
            os.fsync(f.fileno())
        for file in temp.iterdir():
            file.chmod(0o600)
        temp.rename(target_folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return target_folder


def free_folder(name: str) -> Path:
    """Where a model named ``name`` would go, refused when another model is there."""
    folder = models_dir() / slugify(name)
    if folder.exists():
        raise ModelError(f"a model named {name!r} exists already; choose another name or `rm` it")
    return folder


def refuse_if_training(db: sqlite3.Connection, name: str) -> None:
    """A running job's worker writes into the model's folder: it must not move or vanish."""
    job = read_job(db)
    if job is not None and job.active:
        raise ModelError(
            f"{name} is training; stop it first with `gpt-is-you train {shlex.quote(name)} "
            "--cancel`"
        )


def list_models() -> list[ModelSummary]:
    root = models_dir()
    if not root.is_dir():
        return []
    summaries = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / DB_NAME).is_file():
            continue
        try:
            summaries.append(_read_summary(folder))
        except sqlite3.Error:
            if not folder.exists():  # deleted while we looked: not a model any more
                continue
            raise
    return summaries


def _read_summary(folder: Path) -> ModelSummary:
    db = connect(folder / DB_NAME)
    try:
        return _summary(db, folder.name)
    finally:
        db.close()


def remove_model(name: str) -> None:
    with open_model(name) as db:
        refuse_if_training(db, name)
    folder = model_folder(name)
    # Renamed first, so that a crash half-way leaves no half model behind.
    trash = folder.with_name(f"{_TEMP_PREFIX}{folder.name}-removed-{os.getpid()}")
    folder.rename(trash)
    shutil.rmtree(trash)


def read_examples(db: sqlite3.Connection) -> list[tuple[int, Example, int | None]]:
    """(id, example, tokens) of the latest build, in order, excluded ones left out."""
    return list(iter_examples(db))


def iter_examples(
    db: sqlite3.Connection, ids: Sequence[int] | None = None, *, batch: int = 1000
) -> Iterator[tuple[int, Example, int | None]]:
    """(id, example, tokens) in order: the examples ``ids`` (excluded or not), or else
    every example of the latest build that is not excluded.

    The messages of ``batch`` examples come in one query (one per example made 100,000
    examples take minutes), and no more than a batch is held at a time.
    """
    persona = read_setting(db, "persona")
    columns = "SELECT id, session, part, split, body, tokens FROM examples"
    if ids is None:
        rows = db.execute(
            f"{columns} WHERE build_id = (SELECT max(id) FROM builds) AND NOT excluded ORDER BY id"
        )
    else:
        rows = db.execute(
            f"{columns} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(ids)),),
        )
    while chunk := rows.fetchmany(batch):
        bodies = [json.loads(row[4]) for row in chunk]
        first = min(t[0][0] for data in bodies for t in data["turns"])
        last = max(t[0][-1] for data in bodies for t in data["turns"])
        messages = {
            i: (datetime.fromisoformat(time), sender, text)
            for i, time, sender, text in db.execute(
                "SELECT id, time, sender, text FROM messages WHERE id BETWEEN ? AND ?",
                (first, last),
            )
        }
        for row, data in zip(chunk, bodies, strict=True):
            yield row[0], _example(row, data, messages, persona), row[5]


def read_setting(db: sqlite3.Connection, key: str) -> object:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def write_setting(db: sqlite3.Connection, key: str, value: object) -> None:
    db.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        (key, json.dumps(value, ensure_ascii=False)),
    )


def read_target(db: sqlite3.Connection) -> str:
    """What the model's examples were built for; models made before it was recorded were
    all built for the local target."""
    return str(read_setting(db, "target") or "local")


def read_chat(db: sqlite3.Connection) -> Chat:
    """The chat as it was imported: its messages back in export order, so that a message's
    position is its id, as the stored examples refer to it. The reader's warnings are not
    kept (they were shown at import)."""
    name, fmt, title = db.execute(
        "SELECT name, format, title FROM sources ORDER BY id DESC LIMIT 1"
    ).fetchone()
    rows = db.execute("SELECT time, sender, text, kind, edited FROM messages ORDER BY id")
    with collector_paused():
        messages = tuple(
            Message(datetime.fromisoformat(t), sender, text, kind, bool(edited))
            for t, sender, text, kind, edited in rows
        )
    return Chat(name, fmt, title, messages)


def read_build_settings(db: sqlite3.Connection) -> BuildSettings:
    """The settings of the latest build, as ``_settings_json`` stored them."""
    from gpt_is_you.dataset.build import BuildSettings

    (stored,) = db.execute("SELECT settings FROM builds ORDER BY id DESC LIMIT 1").fetchone()
    data = json.loads(stored)
    for key in ("merge_window", "session_gap"):
        data[key] = timedelta(seconds=data[key])
    known = {f.name for f in fields(BuildSettings)}
    return BuildSettings(**{k: v for k, v in data.items() if k in known})


def _private_dir(models: Path) -> Path:
    """The models folder, and the data folder around it, readable by the user alone."""
    for folder in (models.parent, models):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    return models


def _remove_abandoned(root: Path, slug: str) -> None:
    """Temporary folders left by a ``new`` that was killed (its process is gone)."""
    for folder in root.glob(f"{_TEMP_PREFIX}{slug}-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _write(
    db: sqlite3.Connection,
    name: str,
    chat: Chat,
    sha256: str,
    dataset: Dataset,
    tokens: list[int | None],
    target: str,
) -> None:
    now = datetime.now().isoformat(timespec="seconds")
    s = dataset.settings
    db.execute("BEGIN")
    settings = {
        "name": name,
        "persona": s.persona,
        "me": s.me,
        "created_at": now,
        "target": target,
    }
    db.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        [(k, json.dumps(v, ensure_ascii=False)) for k, v in settings.items()],
    )
    source = db.execute(
        "INSERT INTO sources (name, sha256, format, title, imported_at) VALUES (?, ?, ?, ?, ?)",
        (Path(chat.source).name, sha256, chat.format, chat.title, now),
    ).lastrowid
    if chat.messages:
        # Column by column, so that no Python code runs per message. Exports give
        # seconds at most, and then isoformat() writes them alone.
        msgs = chat.messages
        times, senders, texts, kinds, edited = (map(itemgetter(i), msgs) for i in range(5))
        rows = zip(
            count(), repeat(source), map(datetime.isoformat, times), senders, texts, kinds, edited
        )
        db.executemany(
            "INSERT INTO messages (id, source_id, time, sender, text, kind, edited) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    build = db.execute(
        "INSERT INTO builds (settings, created_at, sessions, cut, redactions) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            json.dumps(_settings_json(s), ensure_ascii=False),
            now,
            dataset.sessions,
            dataset.cut,
            json.dumps(asdict(dataset.redactions)),
        ),
    ).lastrowid
    rewritten = s.redact or s.media == "placeholder"
    db.executemany(
        "INSERT INTO examples (build_id, session, part, split, body, tokens, turns) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                build,
                e.session,
                e.part,
                e.split,
                json.dumps(_example_json(e, chat, rewritten)),
                n,
                len(e.turns),
            )
            for e, n in zip(dataset.examples, tokens, strict=True)
        ),
    )
    db.execute("COMMIT")


def _settings_json(s: BuildSettings) -> dict[str, object]:
    out = asdict(s)
    out["merge_window"] = s.merge_window.total_seconds()
    out["session_gap"] = s.session_gap.total_seconds()
    return out


def _example_json(e: Example, chat: Chat, rewritten: bool) -> dict[str, object]:
    """An example as stored: its turns by the messages they are made of.

    The texts, senders and times are the messages table's; only a turn whose texts the
    build changed (redaction, media placeholders) carries its own. Storing the chat's
    text a second time would double the database and take seconds to write.
    """
    turns: list[list[object]] = []
    for t in e.turns:
        row: list[object] = [t.sources, t.weight]
        if rewritten and t.bubbles != tuple(chat.messages[i].text for i in t.sources):
            row.append(t.bubbles)
        turns.append(row)
    return {"system": e.system, "group": e.group, "turns": turns}


def _example(
    row: tuple, data: dict, messages: dict[int, tuple[datetime, str, str]], persona: object
) -> Example:
    _, session, part, split, _, _ = row
    turns = []
    for sources, weight, *bubbles in data["turns"]:
        start, speaker, _ = messages[sources[0]]
        texts = tuple(bubbles[0]) if bubbles else tuple(messages[i][2] for i in sources)
        role = ASSISTANT if speaker == persona else USER
        end = messages[sources[-1]][0]
        turns.append(Turn(role, speaker, texts, start, end, tuple(sources), weight))
    return Example(session, part, split, data["system"], tuple(turns), data["group"])


def _summary(db: sqlite3.Connection, slug: str) -> ModelSummary:
    source = db.execute("SELECT name, format FROM sources ORDER BY id DESC LIMIT 1").fetchone()
    job = read_job(db)
    created = str(read_setting(db, "created_at"))
    splits = dict(
        db.execute(
            "SELECT split, count(*) FROM examples WHERE build_id = (SELECT max(id) FROM builds) "
            "AND NOT excluded GROUP BY split"
        ).fetchall()
    )
    name = str(read_setting(db, "name"))
    return ModelSummary(
        # A rename moves the folder, then writes the name: a crash between the two leaves
        # a name that no longer finds the folder, and the slug is the name that does.
        name=name if slugify(name) == slug else slug,
        slug=slug,
        persona=str(read_setting(db, "persona")),
        source=source[0] if source else "",
        format=source[1] if source else "",
        messages=db.execute("SELECT count(*) FROM messages").fetchone()[0],
        train=splits.get("train", 0),
        valid=splits.get("valid", 0),
        created_at=created,
        state=_state(job, bool(splits)),
        backend=job.backend if job else "",
        last_activity=max(created, job.updated_at) if job else created,
    )


def _state(job: Job | None, has_examples: bool) -> str:
    if job is None:
        return "ready" if has_examples else "no examples"
    if job.state == RUNNING:
        return f"training {job.progress:.0%}"
    return "trained" if job.state == SUCCEEDED else job.state
