"""Browsing a model's examples straight from SQL: pages of rows, one example in full,
statistics, OpenAI's format checks, excluding and including.

What the preview screen shows and ``gpt-is-you examples`` changes. Nothing here rebuilds
every example at once: a selection is a list of ids, a page reads its rows and the
messages they show, the statistics come from an index of the examples' columns, and the
checks stream the examples in batches.
"""

from __future__ import annotations

import json
import math
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gpt_is_you.dataset.checks import check_chat_example
from gpt_is_you.dataset.cost import DEFAULT_REMOTE_MODEL, CostEstimate, estimate
from gpt_is_you.dataset.examples import TRAIN, VALID, Example
from gpt_is_you.dataset.redact import RedactionCounts
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import (
    iter_examples,
    read_build_settings,
    read_setting,
    read_target,
)

# Every query here is about the latest build's examples.
_LATEST = "build_id = (SELECT max(id) FROM builds)"
# The first and the last message of an example: its turns, and their messages, are in
# chat order.
_FIRST = "json_extract(e.body, '$.turns[0][0][0]')"
_LAST = "json_extract(e.body, '$.turns[#-1][0][#-1]')"
# Without statistics of its own, SQLite may pick the narrower index and read every row.
_STATS = "FROM examples INDEXED BY examples_for_stats"
EXCERPT_CHARS = 80
HISTOGRAM_BINS = 40
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class ExampleRow:
    """One example as a line of the table."""

    id: int  # the number ``gpt-is-you examples`` shows and --exclude takes
    split: str
    session: int
    part: int
    turns: int
    tokens: int | None
    learned: int  # the persona's turns the model learns from (weight 1)
    start: datetime
    excerpt: str  # one line: the first turn, or the first that holds the search text
    excluded: bool


@dataclass(frozen=True)
class Selection:
    """The examples that hold a text, of one split or both: their ids, in order."""

    ids: tuple[int, ...]
    search: str = ""
    split: str | None = None

    def page(self, offset: int, limit: int) -> tuple[int, ...]:
        return self.ids[offset : offset + limit]


def select(db: sqlite3.Connection, search: str = "", split: str | None = None) -> Selection:
    """The ids of the examples with a message containing ``search`` (any case, for
    ASCII letters), of ``split`` (TRAIN, VALID, or None for both)."""
    if split not in (None, TRAIN, VALID):
        raise ValueError(f"unknown split {split!r}")
    sql = f"SELECT id FROM examples e WHERE {_LATEST}"
    params: list[object] = []
    if split:
        sql += " AND split = ?"
        params.append(split)
    search = search.strip()
    if search:
        # The messages between an example's first and last: its own, and the system
        # lines and dropped messages among them, which ``sender IS NOT NULL`` and their
        # empty texts leave out. One range scan per example on the primary key.
        sql += (
            " AND EXISTS (SELECT 1 FROM messages m"
            f" WHERE m.id BETWEEN {_FIRST} AND {_LAST}"
            " AND m.sender IS NOT NULL AND m.text LIKE ? ESCAPE '\\')"
        )
        params.append(f"%{_escape_like(search)}%")
    return Selection(tuple(sorted(_one_list(db, sql, params))), search, split)


def read_rows(db: sqlite3.Connection, ids: Sequence[int], search: str = "") -> list[ExampleRow]:
    """The table rows of the examples ``ids``, in id order: two queries whatever their
    number (the examples, then the messages they are made of)."""
    rows = db.execute(
        "SELECT id, split, session, part, tokens, excluded, body FROM examples "
        "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(list(ids)),),
    ).fetchall()
    bodies = [json.loads(row[6]) for row in rows]
    wanted = [i for data in bodies for turn in data["turns"] for i in turn[0]]
    messages = {
        i: (time, sender, text)
        for i, time, sender, text in db.execute(
            "SELECT id, time, sender, text FROM messages "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
    }
    persona = read_setting(db, "persona")
    needle = search.strip().casefold()
    out = []
    for (id_, split, session, part, tokens, excluded, _), data in zip(rows, bodies, strict=True):
        turns = data["turns"]
        texts = [
            tuple(extra[0]) if extra else tuple(messages[i][2] for i in sources)
            for sources, _, *extra in turns
        ]
        learned = sum(
            weight == 1 and messages[sources[0]][1] == persona for sources, weight, *_ in turns
        )
        out.append(
            ExampleRow(
                id=id_,
                split=split,
                session=session,
                part=part,
                turns=len(turns),
                tokens=tokens,
                learned=learned,
                start=datetime.fromisoformat(messages[turns[0][0][0]][0]),
                excerpt=_excerpt(texts, needle),
                excluded=bool(excluded),
            )
        )
    return out


def read_example(db: sqlite3.Connection, example_id: int) -> Example:
    """One example in full: its turns with speakers, times, texts and weights."""
    for _, example, _ in iter_examples(db, [example_id]):
        return example
    raise ModelError(f"no example {example_id} in this model")


@dataclass(frozen=True)
class SplitStats:
    examples: int = 0
    turns: int = 0
    tokens: int = 0


@dataclass(frozen=True)
class Stats:
    """What the examples that will be trained on add up to (excluded ones left out)."""

    target: str  # local or openai: what the examples were built for
    limit: int  # the build's token limit for one example
    train: SplitStats
    valid: SplitStats
    excluded: int
    lengths: tuple[int, ...]  # examples per token-length bin, from 0 up
    bin_tokens: int  # the width of a bin
    median: int  # tokens of the median example
    longest: int
    over_limit: int  # examples longer than the limit (one turn alone was)
    redact: bool
    redactions: RedactionCounts = field(default_factory=RedactionCounts)
    cost: CostEstimate | None = None  # training on the openai target

    @property
    def warnings(self) -> tuple[str, ...]:
        found = []
        if not self.train.examples:
            found.append("nothing to train on: every example is excluded, or there are none")
        elif not self.valid.examples:
            found.append("nothing held out for validation")
        if self.over_limit:
            found.append(
                f"{self.over_limit:,} example(s) longer than the {self.limit:,}-token limit "
                "(one turn alone was)"
            )
        return tuple(found)


def read_stats(db: sqlite3.Connection) -> Stats:
    """Counts per split, the length distribution, redactions and the cost: three scans of
    an index (schema v4), 100,000 examples in well under a tenth of a second."""
    settings = read_build_settings(db)
    limit = settings.max_tokens
    (redactions,) = db.execute("SELECT redactions FROM builds ORDER BY id DESC LIMIT 1").fetchone()
    splits = {TRAIN: SplitStats(), VALID: SplitStats()}
    excluded = 0
    for split, left_out, n, tokens, turns in db.execute(
        f"SELECT split, excluded, count(*), coalesce(sum(tokens), 0), sum(turns) {_STATS} "
        f"WHERE {_LATEST} GROUP BY split, excluded"
    ):
        if left_out:
            excluded += n
        else:
            splits[split] = SplitStats(n, turns, tokens)
    tokens_of = {split: split_tokens(db, split) for split in (TRAIN, VALID)}
    lengths = sorted(tokens_of[TRAIN] + tokens_of[VALID])
    longest = lengths[-1] if lengths else 0
    width = max(1, math.ceil((longest + 1) / HISTOGRAM_BINS))
    histogram = [0] * math.ceil((longest + 1) / width)
    for n in lengths:
        histogram[n // width] += 1
    target = read_target(db)
    cost = None
    if target == "openai" and tokens_of[TRAIN]:
        cost = estimate(tokens_of[TRAIN], DEFAULT_REMOTE_MODEL, limit=limit)
    return Stats(
        target=target,
        limit=limit,
        train=splits[TRAIN],
        valid=splits[VALID],
        excluded=excluded,
        lengths=tuple(histogram),
        bin_tokens=width,
        median=lengths[len(lengths) // 2] if lengths else 0,
        longest=longest,
        over_limit=len(lengths) - bisect_right(lengths, limit),
        redact=settings.redact,
        redactions=RedactionCounts(**json.loads(redactions)),
        cost=cost,
    )


@dataclass(frozen=True)
class Findings:
    """OpenAI's format checks over the examples that will be trained on."""

    checked: int
    problems: tuple[str, ...]  # the first SHOWN_PROBLEMS, "example 12: message 3 …"
    total: int  # problems found in all


def check_format(
    db: sqlite3.Connection, cancelled: Callable[[], bool] = lambda: False
) -> Findings | None:
    """Run OpenAI's checks on every example kept (None when the model is built for local
    training, which has no such rules). Seconds for 100,000 examples: run it in the
    background; ``cancelled`` is asked between batches and stops the work early."""
    if read_target(db) != "openai":
        return None
    checked = total = 0
    problems: list[str] = []
    for example_id, example, _ in iter_examples(db):
        if checked % 1000 == 0 and cancelled():
            break
        checked += 1
        for problem in check_chat_example({"messages": example.chat_messages()}):
            total += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(f"example {example_id}: {problem}")
    return Findings(checked, tuple(problems), total)


@dataclass(frozen=True)
class Exclusion:
    changed: int  # examples whose mark changed
    excluded: int  # examples excluded now
    total: int  # examples of the latest build


def set_excluded(db: sqlite3.Connection, ids: Sequence[int], excluded: bool) -> Exclusion:
    """Leave the examples ``ids`` out of training (``excluded``) or take them back in.
    An id that is not one of the latest build's examples changes nothing and fails."""
    wanted = sorted(set(ids))
    known = {
        row[0]
        for row in db.execute(
            f"SELECT id FROM examples WHERE {_LATEST} AND id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
    }
    unknown = [i for i in wanted if i not in known]
    if unknown:
        first, last = db.execute(
            f"SELECT min(id), max(id) FROM examples WHERE {_LATEST}"
        ).fetchone()
        numbered = f"they are numbered {first} to {last}" if first is not None else "it has none"
        raise ModelError(
            f"no example {', '.join(map(str, unknown))} in this model ({numbered}; "
            "`gpt-is-you examples NAME` lists them)",
            app=f"no example {', '.join(map(str, unknown))} in this model ({numbered})",
        )
    changed = db.execute(
        "UPDATE examples SET excluded = ? WHERE excluded != ? "
        "AND id IN (SELECT value FROM json_each(?))",
        (int(excluded), int(excluded), json.dumps(wanted)),
    ).rowcount
    now, total = db.execute(
        f"SELECT coalesce(sum(excluded), 0), count(*) FROM examples WHERE {_LATEST}"
    ).fetchone()
    return Exclusion(changed, now, total)


def split_tokens(db: sqlite3.Connection, split: str) -> list[int]:
    """The token counts of a split's examples that will be trained on."""
    return _one_list(
        db,
        f"SELECT tokens {_STATS} WHERE {_LATEST} AND excluded = 0 AND split = ? "
        "AND tokens IS NOT NULL",
        [split],
    )


def _one_list(db: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[int]:
    """The one column of ``sql``'s rows, fetched as one JSON array. A row at a time,
    Python takes the interpreter lock back for every row, and waits for it each time
    the app's thread is busy drawing: 100,000 rows took half a second instead of 50 ms.
    """
    (array,) = db.execute(
        f"WITH t(v) AS ({sql}) SELECT json_group_array(v) FROM t", params
    ).fetchone()
    return json.loads(array)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _excerpt(turns: list[tuple[str, ...]], needle: str) -> str:
    """One line of an example: the first turn, or the first bubble holding ``needle``
    (from a little before it, so that the match shows)."""
    line = " / ".join(turns[0]) if turns else ""
    if needle:
        for bubble in (b for texts in turns for b in texts):
            at = bubble.casefold().find(needle)
            if at >= 0:
                line = bubble if at < EXCERPT_CHARS // 2 else "…" + bubble[at - 20 :]
                break
    line = " ".join(line.split())
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 1] + "…"


def has_examples(db: sqlite3.Connection) -> bool:
    """Whether any example is left to train on (not all excluded)."""
    return db.execute("SELECT 1 FROM examples WHERE NOT excluded LIMIT 1").fetchone() is not None
