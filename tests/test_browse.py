"""Browsing a model's examples (store/browse.py) and the `examples` command's
--exclude/--include: pages, search, statistics, checks, against what the examples are."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gpt_is_you.cli import main
from gpt_is_you.dataset.cost import DEFAULT_REMOTE_MODEL, estimate
from gpt_is_you.dataset.examples import TRAIN, VALID, Example
from gpt_is_you.store import browse, schema
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import iter_examples, open_model, read_examples

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"
PERSONA = "Bruno Keller"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _new(name: str, export: Path = FIXTURE, *extra: str) -> None:
    assert main(["new", name, "--from", str(export), "--persona", PERSONA, "--yes", *extra]) == 0


@pytest.fixture
def bruno(home: Path) -> str:
    _new("Bruno")
    return "Bruno"


def _texts(example) -> str:
    return "\n".join(turn.text for turn in example.turns)


def test_pages_are_slices_of_the_examples_in_order(bruno):
    with open_model(bruno) as db:
        everything = read_examples(db)
        selection = browse.select(db)
        page = browse.read_rows(db, selection.page(10, 5))
    assert len(everything) == 64
    assert selection.ids == tuple(i for i, _, _ in everything)
    assert [row.id for row in page] == [i for i, _, _ in everything[10:15]]
    for row, (_, example, tokens) in zip(page, everything[10:15], strict=True):
        assert (row.split, row.session, row.part, row.tokens) == (
            example.split,
            example.session,
            example.part,
            tokens,
        )
        assert row.turns == len(example.turns)
        assert row.learned == example.learned_turns
        assert row.start == example.turns[0].start
        assert row.excerpt == " / ".join(example.turns[0].bubbles)[:80]
        assert not row.excluded
    assert selection.page(60, 10) == selection.ids[60:]
    assert selection.page(70, 10) == ()


def test_split_filter(bruno):
    with open_model(bruno) as db:
        train = browse.select(db, split=TRAIN)
        valid = browse.select(db, split=VALID)
        splits = {i: e.split for i, e, _ in read_examples(db)}
    assert len(train.ids) == 58 and len(valid.ids) == 6
    assert all(splits[i] == TRAIN for i in train.ids)
    assert all(splits[i] == VALID for i in valid.ids)


def test_search_finds_the_examples_holding_the_text(bruno):
    with open_model(bruno) as db:
        everything = read_examples(db)
        found = browse.select(db, "Sounds GOOD")
        rows = browse.read_rows(db, found.ids, "Sounds GOOD")
        in_valid = browse.select(db, "sounds good", split=VALID)
        nothing = browse.select(db, "100%")
    expected = [i for i, e, _ in everything if "sounds good" in _texts(e).casefold()]
    assert 0 < len(expected) < 64
    assert found.ids == tuple(expected)
    assert found.search == "Sounds GOOD"
    assert all("sounds good" in row.excerpt.casefold() for row in rows)
    assert set(in_valid.ids) == {i for i, e, _ in everything if e.split == VALID} & set(expected)
    # % and _ are the text's own, not LIKE's wildcards.
    assert nothing.ids == ()


def test_one_example_in_full(bruno):
    with open_model(bruno) as db:
        _, expected, _ = read_examples(db)[3]
        example = browse.read_example(db, 4)
        with pytest.raises(ModelError, match="no example 999"):
            browse.read_example(db, 999)
    assert example == expected
    assert {t.weight for t in example.turns} <= {0, 1}
    assert any(t.speaker == PERSONA for t in example.turns)


def test_the_batched_reader_gives_the_same_examples_whatever_the_batch(bruno):
    with open_model(bruno) as db:
        assert list(iter_examples(db, batch=7)) == list(iter_examples(db, batch=1000))
        assert [i for i, _, _ in iter_examples(db, [5, 2, 9])] == [2, 5, 9]


def test_stats_add_up_the_examples(bruno):
    with open_model(bruno) as db:
        everything = read_examples(db)
        stats = browse.read_stats(db)
    for split, counted in ((TRAIN, stats.train), (VALID, stats.valid)):
        kept = [(e, n) for _, e, n in everything if e.split == split]
        assert counted.examples == len(kept)
        assert counted.turns == sum(len(e.turns) for e, _ in kept)
        assert counted.tokens == sum(n for _, n in kept)
    assert (stats.train.examples, stats.valid.examples) == (58, 6)
    assert (stats.train.tokens, stats.valid.tokens) == (6833, 661)
    tokens = sorted(n for _, _, n in everything)
    assert sum(stats.lengths) == 64
    assert stats.longest == tokens[-1]
    assert stats.median == tokens[32]
    assert len(stats.lengths) * stats.bin_tokens > stats.longest
    assert stats.lengths[tokens[0] // stats.bin_tokens] > 0
    assert (stats.target, stats.limit, stats.excluded, stats.over_limit) == ("local", 1024, 0, 0)
    assert stats.cost is None and not stats.redact
    assert stats.warnings == ()


def _back_to_version(db, version: int) -> None:
    """Take a database back to the schema of ``version``, its data kept: whatever later
    migrations added (tables, indexes, columns) is dropped."""
    import sqlite3

    old = sqlite3.connect(":memory:")
    for step in schema.MIGRATIONS[:version]:
        old.executescript(step)
    wanted = {row[0] for row in old.execute("SELECT name FROM sqlite_master")}
    columns = {
        table: {row[1] for row in old.execute(f"PRAGMA table_info({table})")}
        for (table,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    for kind, name in db.execute("SELECT type, name FROM sqlite_master").fetchall():
        if name not in wanted and kind in ("index", "table") and not name.startswith("sqlite_"):
            db.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    for table, kept in columns.items():
        for row in db.execute(f"PRAGMA table_info({table})").fetchall():
            if row[1] not in kept:
                db.execute(f"ALTER TABLE {table} DROP COLUMN {row[1]}")
    db.execute(f"PRAGMA user_version = {version}")


def test_migration_4_counts_the_turns_of_existing_examples(bruno):
    with open_model(bruno) as db:
        _back_to_version(db, 3)
    with open_model(bruno) as db:  # opening migrates
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        turns = dict(db.execute("SELECT id, turns FROM examples"))
        assert turns == {i: len(e.turns) for i, e, _ in read_examples(db)}
        assert browse.read_stats(db).train.turns == sum(
            len(e.turns) for _, e, _ in read_examples(db) if e.split == TRAIN
        )


def test_stats_of_an_openai_build_carry_the_cost_and_the_redactions(home, tmp_path):
    export = tmp_path / "chat.txt"
    export.write_text(
        "01/02/2024, 09:00 - Alice Martin: mail me at alice@example.com\n"
        "01/02/2024, 09:01 - Bruno Keller: sure, or call +41 44 668 18 00\n",
        encoding="utf-8",
    )
    _new("Remote", export, "--target", "openai", "--validation-share", "0")
    with open_model("Remote") as db:
        stats = browse.read_stats(db)
        tokens = [n for _, _, n in read_examples(db)]
    assert stats.target == "openai" and stats.redact
    assert (stats.redactions.email, stats.redactions.phone) == (1, 1)
    assert stats.cost == estimate(tokens, DEFAULT_REMOTE_MODEL, limit=65536)
    assert stats.warnings == ("nothing held out for validation",)


def test_exclude_and_include_round_trip(bruno):
    with open_model(bruno) as db:
        done = browse.set_excluded(db, [3, 1, 3], True)
        assert (done.changed, done.excluded, done.total) == (2, 2, 64)
        assert browse.set_excluded(db, [1], True).changed == 0
        assert [i for i, _, _ in read_examples(db)][:3] == [2, 4, 5]
        stats = browse.read_stats(db)
        assert stats.excluded == 2
        assert stats.train.examples + stats.valid.examples == 62
        rows = browse.read_rows(db, [1, 2, 3])
        assert [row.excluded for row in rows] == [True, False, True]
        # Excluded examples are still listed and readable: they can be taken back.
        assert len(browse.select(db).ids) == 64
        assert browse.read_example(db, 1).turns
        done = browse.set_excluded(db, [1, 3], False)
        assert (done.changed, done.excluded) == (2, 0)
        assert len(read_examples(db)) == 64


def test_an_unknown_id_changes_nothing(bruno):
    with open_model(bruno) as db:
        with pytest.raises(ModelError, match=r"no example 0, 999 in this model \(.*1 to 64"):
            browse.set_excluded(db, [2, 999, 0], True)
        assert browse.read_stats(db).excluded == 0


def test_everything_excluded_is_a_warning(bruno):
    with open_model(bruno) as db:
        browse.set_excluded(db, browse.select(db).ids, True)
        stats = browse.read_stats(db)
    assert stats.lengths == (0,) and stats.median == 0
    assert stats.warnings[0].startswith("nothing to train on")


def test_format_checks_only_for_openai(home, bruno):
    with open_model(bruno) as db:
        assert browse.check_format(db) is None
    _new("Remote", FIXTURE, "--target", "openai")
    with open_model("Remote") as db:
        assert browse.check_format(db) == browse.Findings(64, (), 0)
        # A persona turn whose stored text became blank fails "content is empty".
        turns = browse.read_example(db, 3).turns
        blank = next(k for k, turn in enumerate(turns) if turn.speaker == PERSONA)
        (body,) = db.execute("SELECT body FROM examples WHERE id = 3").fetchone()
        data = json.loads(body)
        data["turns"][blank].append([" "])
        db.execute("UPDATE examples SET body = ? WHERE id = 3", (json.dumps(data),))
        findings = browse.check_format(db)
        assert findings.total == 1
        # Message 1 is the system prompt.
        assert findings.problems == (f"example 3: message {blank + 2} content is empty",)
        browse.set_excluded(db, [3], True)
        assert browse.check_format(db) == browse.Findings(63, (), 0)
        stopped = browse.check_format(db, cancelled=lambda: True)
        assert stopped.checked == 0


def test_cli_exclude_and_include(bruno, capsys):
    assert main(["examples", bruno, "--exclude", "1", "2"]) == 0
    assert capsys.readouterr().out == "excluded 2 example(s); 2 of 64 are left out of training\n"
    assert main(["examples", bruno, "--jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 62
    assert main(["examples", bruno]) == 0
    out = capsys.readouterr().out
    assert "── example 1 ·" not in out and "── example 3 ·" in out
    assert main(["examples", bruno, "--include", "2"]) == 0
    assert capsys.readouterr().out == "included 1 example(s); 1 of 64 are left out of training\n"


def test_cli_counts_sessions_from_1_as_the_app_does(bruno, capsys):
    assert main(["examples", bruno]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    # The app's preview titles the same example "Example 1 · session 1 · train · …".
    assert first.startswith("── example 1 · session 1 · train · ")
    with open_model(bruno) as db:
        (_, example, _), *_ = read_examples(db)
    assert example.session == 0  # the store counts from 0; only what is shown changes


def test_an_examples_place_counts_sessions_and_parts_from_1():
    first = Example(session=0, part=0, split=TRAIN, system="", turns=(), group=False)
    assert first.place == "session 1"
    assert replace(first, session=2, part=1).place == "session 3, part 2"


def test_cli_unknown_id_is_one_line_and_exit_2(bruno, capsys):
    assert main(["examples", bruno, "--exclude", "5", "999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "no example 999 in this model" in captured.err
    with open_model(bruno) as db:
        assert browse.read_stats(db).excluded == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--exclude", "one"], "invalid int value"), (["--exclude", "1", "--jsonl"], "not allowed")],
)
def test_cli_exclude_wants_numbers_and_no_jsonl(bruno, capsys, arguments, message):
    with pytest.raises(SystemExit) as e:
        main(["examples", bruno, *arguments])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
