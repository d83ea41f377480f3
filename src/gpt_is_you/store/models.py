"""Model folders: creating one atomically, opening, listing and removing them.

``<data dir>/models/<slug>/model.db`` (SQLite, WAL) plus files that are better as
files. A model is built in a hidden temporary folder beside the others and renamed
into place when complete, so a crash leaves either a whole model or none.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from itertools import count, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from gpt_is_you.chats import Chat, Message
from gpt_is_you.chats.collector import collector_paused
from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.dataset.examples import ASSISTANT, USER, Example, Turn
from gpt_is_you.dataset.language import LANGUAGE_SAMPLE, chat_language, persona_language
from gpt_is_you.paths import models_dir
from gpt_is_you.store.errors import (
    FULL,
    NEWER,
    READ_ONLY,
    ModelError,
    StorageError,
    UnreadableModelError,
)
from gpt_is_you.store.faults import faults
from gpt_is_you.store.jobs import ACTIVE, RUNNING, SUCCEEDED, active_jobs, pid_alive, read_job
from gpt_is_you.store.names import check_name, shorten, slugify
from gpt_is_you.store.schema import VERSION, migrate

if TYPE_CHECKING:  # the builder loads only when a model is made or rebuilt
    from gpt_is_you.dataset.build import BuildSettings, Dataset

DB_NAME = "model.db"
# Hidden folders beside the models: one being made (``.new-<slug>-<random>-<pid>``) or
# being deleted (``.new-<slug>-removed-<pid>``). The pid comes last, so that a folder
# whose process is gone (killed) can be told from one still at work.
_TEMP_PREFIX = ".new-"
# A model's state before any job; and that of one whose store another process holds,
# or the disk failed on (a store that cannot be read is DAMAGED or NEWER: store/errors).
NO_EXAMPLES = "no examples"
READY = "ready"
UNAVAILABLE = "unavailable"


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
    # The latest job's state (store/jobs.py: queued, running, succeeded, ...); before any
    # job NO_EXAMPLES or READY; DAMAGED, NEWER or UNAVAILABLE when ``problem`` says why
    # the store cannot be read. ``state_text`` says it as the list shows it.
    state: str
    progress: float | None  # the latest job's, 0..1; None before any
    backend: str  # of the latest job; "" before any
    last_activity: str  # the latest of creation and the latest job's last update
    path: str  # the model's folder
    problem: str = ""  # why a damaged, newer or unavailable model cannot be opened

    @property
    def readable(self) -> bool:
        return not self.problem

    @property
    def active(self) -> bool:
        """Its latest job is queued or running: it must not be deleted."""
        return self.state in ACTIVE

    @property
    def training(self) -> bool:
        """Its latest job is running (busy with the machine's cores, when local)."""
        return self.state == RUNNING

    @property
    def found(self) -> Model:
        """The model as the list found it (its folder), to pass down without finding it
        again."""
        return Model(self.name, Path(self.path))

    @property
    def state_text(self) -> str:
        """The state as the models list shows it: ``training 45%``, ``trained``, ``ready``."""
        if self.state == RUNNING:
            return f"training {self.progress or 0:.0%}"
        return "trained" if self.state == SUCCEEDED else self.state

    def to_json(self) -> dict[str, object]:
        """``models --json``: the state as the list shows it, the progress within it."""
        out = asdict(self)
        out["state"] = self.state_text
        del out["progress"]
        return out


def connect(path: Path) -> sqlite3.Connection:
    """Open a model's database, brought up to date; read-only (and never changed) when
    its folder or file cannot be written, so that a read-only data folder still reads."""
    folder = path.parent
    with faults(folder, files=True):
        if path.stat().st_size == 0:
            raise UnreadableModelError(folder, "its model.db is empty")
        if not (os.access(folder, os.W_OK) and os.access(path, os.W_OK)):
            return _connect_read_only(path)
        # A training worker writes while the CLI or the app reads: wait for a lock, not fail.
        db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            # Read before anything is written: a file of another program stays as it is.
            _check_version(db, folder, writable=True)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            try:
                migrate(db)
            except sqlite3.OperationalError as e:
                if e.sqlite_errorcode & 0xFF != sqlite3.SQLITE_ERROR:
                    raise
                raise UnreadableModelError(folder, f"its tables are not a model's ({e})") from e
        except BaseException:
            db.close()
            raise
    return db


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # Nobody can write here. With no write-ahead log left over, the file holds everything
    # and is read as it is, which needs no lock file (none can be made in this folder).
    left_over = path.with_name(f"{path.name}-wal").exists()
    mode = "mode=ro" if left_over else "mode=ro&immutable=1"
    db = sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True, isolation_level=None)
    try:
        _check_version(db, path.parent, writable=False)
    except BaseException:
        db.close()
        raise
    return db


def _check_version(db: sqlite3.Connection, folder: Path, *, writable: bool) -> None:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == 0:  # every model is made at the latest version: this is not one
        raise UnreadableModelError(folder, "its model.db holds no model")
    if version > VERSION:
        problem = f"its store is version {version}; this gpt-is-you reads up to {VERSION}"
        raise UnreadableModelError(folder, problem, NEWER)
    if version < VERSION and not writable:
        raise StorageError(
            f"the model in {folder} needs its store brought up to date, and the folder is "
            "read-only: make it writable, then try again",
            READ_ONLY,
        )


def model_folder(name: str) -> Path:
    """The folder of the model named ``name`` (without regard to case).

    Only the model whose name is ``name`` is found, never another whose name makes the
    same folder name. A model that cannot be read goes by its folder's name (``models``
    lists it so), which is how it is deleted.
    """
    folder = _folder_of(name)
    try:
        listed = listed_name(folder)
    except UnreadableModelError:
        if name.casefold() == folder.name:
            return folder
        raise
    _same(listed, name)
    return folder


def listed_name(folder: Path) -> str:
    """The name a model's folder is listed and found by."""
    with _opened(folder) as db:
        return _listed_name(db, folder)


@contextlib.contextmanager
def _opened(folder: Path) -> Iterator[sqlite3.Connection]:
    """The database of the model in ``folder``, closed after the block; SQLite's refusals
    in the block come out as one line that names the folder."""
    with faults(folder):
        db = connect(folder / DB_NAME)
        try:
            yield db
        finally:
            db.close()


def _listed_name(db: sqlite3.Connection, folder: Path) -> str:
    name = read_setting(db, "name")
    if not isinstance(name, str):
        raise UnreadableModelError(folder, "its model.db holds no model's name")
    # A rename moves the folder, then writes the name: a crash between the two leaves a
    # name that no longer finds the folder, and the folder's name is the one that does.
    return name if slugify(name) == folder.name else folder.name


def _folder_of(name: str) -> Path:
    """The folder a model named ``name`` would be in, when a model is there."""
    try:
        folder = models_dir() / slugify(name)
    except ModelError:
        folder = None
    if folder is None or not (folder / DB_NAME).is_file():
        raise _no_model(name)
    return folder


def _same(listed: str, name: str) -> None:
    if listed.casefold() != name.casefold():
        raise _no_model(name)


def _no_model(name: str) -> ModelError:
    return ModelError(
        f"no model named {shorten(name)}; `gpt-is-you models` lists them",
        app=f"no model named {shorten(name)}: it was deleted or renamed meanwhile",
    )


@dataclass(frozen=True)
class Model:
    """A model found by its name (``find_model``): a command or screen finds it once and
    passes it down, so that the layers below open its database by folder rather than
    resolving the name again. Not an open connection: SQLite's belong to one thread, and
    the app's workers run in threads of their own."""

    name: str  # as the user typed or saw it: every message names the model so
    folder: Path

    @contextlib.contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """Its database; SQLite's refusals in the block come out as one line that names
        its folder."""
        if not (self.folder / DB_NAME).is_file():  # deleted or renamed since it was found
            raise _no_model(self.name)
        with _opened(self.folder) as db:
            yield db


def find_model(name: str) -> Model:
    """The model named ``name``, found as ``model_folder`` finds it (with its errors)."""
    return Model(name, model_folder(name))


@contextlib.contextmanager
def open_model(name: str) -> Iterator[sqlite3.Connection]:
    """The database of the model named ``name`` (found as ``model_folder`` finds it);
    SQLite's refusals in the block come out as one line that names the model's folder."""
    folder = _folder_of(name)
    with _opened(folder) as db:
        _same(_listed_name(db, folder), name)
        yield db


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
    name = check_name(name)
    root = models_dir()
    try:
        with faults(root, files=True):
            _private_dir(root)
            remove_abandoned(root)
            target_folder = free_folder(name)
            temp = Path(
                tempfile.mkdtemp(
                    prefix=f"{_TEMP_PREFIX}{target_folder.name}-",
                    suffix=f"-{os.getpid()}",
                    dir=root,
                )
            )
            try:
                _fill(temp, name, chat, source_sha256, dataset, tokens, target)
                _move_into_place(temp, target_folder, name)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
    except StorageError as e:
        if e.reason != FULL:
            raise
        raise StorageError(_too_full(root, chat), FULL) from e
    return target_folder


def _fill(
    temp: Path,
    name: str,
    chat: Chat,
    source_sha256: str,
    dataset: Dataset,
    tokens: list[int | None],
    target: str,
) -> None:
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


def _move_into_place(temp: Path, folder: Path, name: str) -> None:
    try:
        # Fails, rather than replacing, when another ``new`` of the name finished first.
        temp.rename(folder)
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        free_folder(name)  # says which model took the folder
        raise ModelError(f"a model named {shorten(name)} exists already") from None


def _too_full(root: Path, chat: Chat) -> str:
    """The line for a disk too full for a new model: where, and how much it needs."""
    # Measured: a model's database takes its messages' text plus about 60 bytes a message
    # (time, kind, ids, its share of the examples), on top of SQLite's empty tables.
    need = 64 * 1024 + sum(
        len(m.text.encode()) + len((m.sender or "").encode()) + 60 for m in chat.messages
    )
    free = shutil.disk_usage(root).free
    return (
        f"not enough space in {root}: the model needs about {_megabytes(need)}, "
        f"{_megabytes(free)} is free; nothing was written"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def free_folder(name: str) -> Path:
    """Where a model named ``name`` would go, refused when the name breaks a rule
    (``check_name``) or a model is there already (two names that make the same folder
    name cannot both exist)."""
    folder = models_dir() / slugify(check_name(name))
    if not folder.exists():
        return folder
    try:
        other = listed_name(folder) if (folder / DB_NAME).is_file() else name
    except ModelError:
        other = folder.name
    if other.casefold() == name.casefold():
        raise ModelError(
            f"a model named {shorten(name)} exists already; choose another name or `rm` it",
            app=f"a model named {shorten(name)} exists already: choose another name, or "
            "delete that model first (x on the models screen)",
        )
    raise ModelError(
        f"{shorten(name)} would be kept in the folder of the model {shorten(other)} "
        f"({folder.name}); choose a name that differs in its letters or digits"
    )


def refuse_if_training(db: sqlite3.Connection, name: str) -> None:
    """A running job's worker writes into the model's folder: it must not move or vanish."""
    if active_jobs(db):
        raise ModelError(
            f"{name} is training; stop it first with `gpt-is-you train {shlex.quote(name)} "
            "--cancel`",
            app=f"{name} is training: stop it first (open it with t and press the cancel key)",
        )


def list_models() -> list[ModelSummary]:
    """Every model, in folder order; one that cannot be read is listed with its problem."""
    root = models_dir()
    with faults(root, files=True):
        folders = sorted(root.iterdir()) if root.is_dir() else []
    summaries = []
    for folder in folders:
        if folder.name.startswith(".") or not (folder / DB_NAME).is_file():
            continue
        try:
            summaries.append(_read_summary(folder))
        except ModelError as e:
            if not (folder / DB_NAME).exists():  # deleted while we looked
                continue
            summaries.append(_unreadable(folder, e))
    return summaries


def _read_summary(folder: Path) -> ModelSummary:
    with _opened(folder) as db:
        return _summary(db, folder)


def _unreadable(folder: Path, e: ModelError) -> ModelSummary:
    if isinstance(e, UnreadableModelError):
        state, problem = e.state, e.problem
    else:
        state, problem = UNAVAILABLE, str(e)
    try:
        changed = datetime.fromtimestamp((folder / DB_NAME).stat().st_mtime)
        activity = changed.isoformat(timespec="seconds")
    except OSError:
        activity = ""
    return ModelSummary(
        name=folder.name,
        slug=folder.name,
        persona="",
        source="",
        format="",
        messages=0,
        train=0,
        valid=0,
        created_at="",
        state=state,
        progress=None,
        backend="",
        last_activity=activity,
        path=str(folder),
        problem=problem,
    )


def remove_model(model: Model) -> None:
    """Delete ``model``: refused while it trains; a damaged one (nothing in it can be read,
    a job included) goes as it is."""
    folder = model.folder
    try:
        with model.db() as db:
            refuse_if_training(db, model.name)
    except UnreadableModelError:
        pass
    # Renamed first, so that a crash half-way leaves no half model behind; the next
    # ``new`` removes what a killed one left.
    trash = folder.with_name(f"{_TEMP_PREFIX}{folder.name}-removed-{os.getpid()}")
    with faults(folder, files=True):
        folder.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


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


def read_language(db: sqlite3.Connection) -> str:
    """The ISO 639-1 code of the language the persona writes in ("?" when unsure); for a
    model stored before it was recorded, detected from its stored messages."""
    language = read_setting(db, "language")
    if language is not None:
        return str(language)
    rows = db.execute(
        "SELECT text FROM messages WHERE sender = ? AND kind = 'text' ORDER BY id DESC LIMIT ?",
        (read_setting(db, "persona"), LANGUAGE_SAMPLE),
    )
    return persona_language(text for (text,) in rows)


def chosen_base(db: sqlite3.Connection) -> str | None:
    """The base chosen for the model when it was made (the app's wizard), if any: a new
    training run starts from it."""
    base = read_setting(db, "base")
    return None if base is None else str(base)


def choose_base(db: sqlite3.Connection, base: str) -> None:
    write_setting(db, "base", base)


def read_target(db: sqlite3.Connection) -> str:
    """What the model's examples were built for; models made before it was recorded were
    all built for the local target."""
    return str(read_setting(db, "target") or "local")


def messages_of(db: sqlite3.Connection, sender: str) -> int:
    """How many of the stored chat's messages ``sender`` wrote."""
    return db.execute("SELECT count(*) FROM messages WHERE sender = ?", (sender,)).fetchone()[0]


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
    values = {k: v for k, v in data.items() if k in known}
    try:
        return BuildSettings(**values)
    except SettingsError:
        # Stored by a gpt-is-you that let numbers through unchecked (--min-chars -5): such
        # a number is read as its default, so that the model still opens and a duplicate
        # of it is built with one that fits.
        for name in BuildSettings.LIMITS:
            try:
                BuildSettings(persona=values["persona"], **{name: values[name]})
            except SettingsError:
                del values[name]
        return BuildSettings(**values)


def _private_dir(models: Path) -> Path:
    """The models folder, and the data folder around it, readable by the user alone (a
    folder the user made read-only stays so: only others' access is taken away)."""
    for folder in (models.parent, models):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            folder.chmod(mode & 0o700)
    return models


def remove_abandoned(root: Path) -> None:
    """Hidden folders left by a ``new`` or an ``rm`` that was killed (whatever model
    they were for): those whose process is gone."""
    for folder in root.glob(f"{_TEMP_PREFIX}*"):
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
        # What the persona writes in: the choice of a base follows it (bases that speak it).
        "language": chat_language(chat.messages, s.persona),
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


def _summary(db: sqlite3.Connection, folder: Path) -> ModelSummary:
    name = _listed_name(db, folder)
    source = db.execute("SELECT name, format FROM sources ORDER BY id DESC LIMIT 1").fetchone()
    job = read_job(db)
    created = str(read_setting(db, "created_at"))
    splits = dict(
        db.execute(
            "SELECT split, count(*) FROM examples WHERE build_id = (SELECT max(id) FROM builds) "
            "AND NOT excluded GROUP BY split"
        ).fetchall()
    )
    return ModelSummary(
        name=name,
        slug=folder.name,
        persona=str(read_setting(db, "persona")),
        source=source[0] if source else "",
        format=source[1] if source else "",
        # Messages are numbered from 0 in the export's order and never deleted: the last
        # number gives the count from the primary key, where count(*) read the whole
        # table (the listing's largest query; the app's first frame waits for it).
        messages=db.execute("SELECT coalesce(max(id) + 1, 0) FROM messages").fetchone()[0],
        train=splits.get("train", 0),
        valid=splits.get("valid", 0),
        created_at=created,
        state=job.state if job else READY if splits else NO_EXAMPLES,
        progress=job.progress if job else None,
        backend=job.backend if job else "",
        last_activity=max(created, job.updated_at) if job else created,
        path=str(folder),
    )
