"""Renaming and duplicating models: the store's functions and the commands over them."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import add_job
from gpt_is_you.cli import main
from gpt_is_you.dataset.prepare import prepare
from gpt_is_you.dataset.settings import BuildSettings
from gpt_is_you.store import conversations, jobs, manage
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.manage import duplicate_model, prepare_duplicate, rename_model
from gpt_is_you.store.models import (
    find_model,
    list_models,
    model_folder,
    open_model,
    read_build_settings,
    read_chat,
    read_examples,
    read_target,
    remove_model,
)

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"
PERSONA = "Bruno Keller"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _new(name: str, *extra: str, export: Path = FIXTURE) -> None:
    assert main(["new", name, "--from", str(export), "--persona", PERSONA, "--yes", *extra]) == 0


def _stored(name: str) -> tuple[list, dict]:
    """A model's examples with their token counts, and its latest build's row."""
    with open_model(name) as db:
        examples = [(e, n) for _, e, n in read_examples(db)]
        row = db.execute("SELECT sessions, cut, redactions FROM builds").fetchone()
    return examples, {"sessions": row[0], "cut": row[1], "redactions": json.loads(row[2])}


# rename


def test_rename_moves_the_model_with_its_jobs_and_conversations(home, capsys):
    _new("Bruno")
    capsys.readouterr()
    examples, _ = _stored("Bruno")
    job = add_job("Bruno", jobs.SUCCEEDED)
    with open_model("Bruno") as db:
        talk = conversations.start(db, "hello", job)
        conversations.add(db, talk, "user", "hi")
    adapter = jobs.job_folder(model_folder("Bruno"), job) / "adapter"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")

    rename_model("Bruno", "Bruno Keller v2")

    (model,) = list_models()
    assert (model.name, model.slug, model.state_text) == (
        "Bruno Keller v2",
        "bruno-keller-v2",
        "trained",
    )
    assert not (home / "models" / "bruno").exists()
    assert _stored("Bruno Keller v2")[0] == examples
    with open_model("Bruno Keller v2") as db:
        assert jobs.read_job(db).id == job
        assert [line.content for line in conversations.lines(db, talk)] == ["hi"]
    moved = jobs.job_folder(model_folder("Bruno Keller v2"), job) / "adapter"
    assert (moved / "adapter_config.json").is_file()
    with pytest.raises(ModelError, match="no model named 'Bruno'"):
        model_folder("Bruno")


def test_a_rename_that_changes_only_capitals_changes_the_name(home):
    _new("bruno")
    rename_model("bruno", "  BRUNO ")
    (model,) = list_models()
    assert (model.name, model.slug) == ("BRUNO", "bruno")


def test_rename_refuses_a_taken_name_an_invalid_one_and_a_missing_model(home):
    _new("Anna")
    _new("Bruno")
    with pytest.raises(ModelError, match="a model named 'anna' exists already"):
        rename_model("Bruno", "anna")
    with pytest.raises(ModelError, match="cannot name a model"):
        rename_model("Bruno", "!!!")
    with pytest.raises(ModelError, match="no model named 'Carla'"):
        rename_model("Carla", "Dora")
    assert [(m.name, m.slug) for m in list_models()] == [("Anna", "anna"), ("Bruno", "bruno")]


def test_rename_refuses_while_a_job_runs(home):
    _new("Bruno")
    add_job("Bruno", jobs.RUNNING, pid=os.getpid())  # this process plays the worker
    with pytest.raises(ModelError) as refused:
        rename_model("Bruno", "Other")
    assert str(refused.value) == (
        "Bruno is training; stop it first with `gpt-is-you train Bruno --cancel`"
    )
    assert [m.slug for m in list_models()] == ["bruno"]


def test_a_failed_rename_leaves_the_model_where_it_was(home, monkeypatch):
    _new("Bruno")

    def broken(db, key, value):
        raise OSError("disk full")

    monkeypatch.setattr(manage, "write_setting", broken)
    with pytest.raises(OSError):
        rename_model("Bruno", "Carla")
    assert [(m.name, m.slug) for m in list_models()] == [("Bruno", "bruno")]


def test_a_rename_cut_short_after_the_move_still_lists_a_name_that_works(home):
    # What a crash between moving the folder and writing the new name leaves behind.
    _new("Bruno")
    (home / "models" / "bruno").rename(home / "models" / "carla")
    (model,) = list_models()
    assert model.name == "carla"
    rename_model(model.name, "Carla")
    assert [(m.name, m.slug) for m in list_models()] == [("Carla", "carla")]


def _answer(monkeypatch, answer: str) -> None:
    """A terminal on stdin, where the user types ``answer`` to the question."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": answer)


def test_rm_answered_no_says_what_it_kept(home, capsys, monkeypatch):
    _new("Bruno")
    capsys.readouterr()
    _answer(monkeypatch, "n")
    # As `new` and `train` answered no: one line, and status 1 (the command did not do its
    # work, so a script's next step does not run).
    assert main(["rm", "Bruno"]) == 1
    assert capsys.readouterr().err == "Kept Bruno; nothing was deleted.\n"
    assert find_model("Bruno").folder.is_dir()
    _answer(monkeypatch, "y")
    assert main(["rm", "Bruno"]) == 0
    assert [m.name for m in list_models()] == []


def test_rm_refuses_while_a_job_runs(home, capsys):
    _new("Bruno")
    add_job("Bruno", jobs.RUNNING, pid=os.getpid())  # this process plays the worker
    with pytest.raises(ModelError, match="Bruno is training"):
        remove_model(find_model("Bruno"))
    capsys.readouterr()
    assert main(["rm", "Bruno", "--yes"]) == 2
    assert capsys.readouterr().err == (
        "gpt-is-you: Bruno is training; stop it first with `gpt-is-you train Bruno --cancel`\n"
    )
    assert [m.slug for m in list_models()] == ["bruno"]


# duplicate


def test_duplicate_rebuilds_the_same_chat_with_other_settings(home, tmp_path):
    export = tmp_path / "chat.txt"
    shutil.copyfile(FIXTURE, export)
    _new("Bruno", "--min-chars", "2", export=export)
    source_examples, _ = _stored("Bruno")
    job = add_job("Bruno")
    with open_model("Bruno") as db:
        conversations.start(db, "hello", job)
    export.unlink()  # the duplicate reads the chat from the model, not from the export

    duplicate_model("Bruno", "Bruno long sessions", session_gap=timedelta(hours=48))

    with open_model("Bruno") as db, open_model("Bruno long sessions") as copy:
        assert read_chat(copy) == read_chat(db)
        assert copy.execute("SELECT name, sha256, format FROM sources").fetchall() == (
            db.execute("SELECT name, sha256, format FROM sources").fetchall()
        )
        built = read_build_settings(copy)
        assert built.session_gap == timedelta(hours=48)
        assert (built.min_chars, built.persona) == (2, PERSONA)  # kept from the source
        assert read_build_settings(db).session_gap == timedelta(hours=3)
        assert copy.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM conversations").fetchone() == (0,)
    copied, _ = _stored("Bruno long sessions")
    assert len(copied) < len(source_examples)
    assert _stored("Bruno")[0] == source_examples
    assert [m.name for m in list_models()] == ["Bruno", "Bruno long sessions"]


def test_duplicate_with_the_source_settings_gives_the_same_examples_and_tokens(home):
    _new(
        "Bruno", "--me", "Alice Martin", "--media", "placeholder", "--redact", "--merge-window", "3"
    )
    duplicate_model("Bruno", "Twin")
    assert _stored("Twin") == _stored("Bruno")
    with open_model("Bruno") as db, open_model("Twin") as copy:
        assert read_build_settings(copy) == read_build_settings(db)
        assert read_build_settings(copy).me == "Alice Martin"


@pytest.fixture(scope="module")
def source_model(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPT_IS_YOU_HOME", str(tmp_path_factory.mktemp("home")))
        _new("Bruno")
        yield


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    session_gap=st.integers(min_value=1, max_value=72).map(lambda h: timedelta(hours=h)),
    merge_window=st.integers(min_value=0, max_value=60).map(lambda m: timedelta(minutes=m)),
    media=st.sampled_from(["drop", "placeholder"]),
    min_chars=st.integers(min_value=0, max_value=8),
    max_tokens=st.integers(min_value=64, max_value=2048),
    validation_share=st.sampled_from([0.0, 0.1, 0.3]),
    drop_duplicates=st.booleans(),
    redact=st.booleans(),
)
def test_a_duplicate_builds_what_new_builds_from_the_export(source_model, **options):
    copy = prepare_duplicate("Bruno", **options)
    fresh = prepare(FIXTURE, BuildSettings.for_target("local", persona=PERSONA, **options))
    assert copy.dataset == fresh.dataset
    assert copy.tokens == fresh.tokens
    assert (copy.sha256, copy.target) == (fresh.sha256, fresh.target)


def test_duplicate_for_another_target_takes_its_defaults(home):
    _new("Bruno")
    duplicate_model("Bruno", "Bruno remote", target="openai")
    duplicate_model("Bruno remote", "Bruno remote short", max_tokens=512)
    with open_model("Bruno remote") as db:
        built = read_build_settings(db)
        assert (read_target(db), built.max_tokens, built.redact) == ("openai", 65536, True)
    with open_model("Bruno remote short") as db:
        built = read_build_settings(db)
        assert (read_target(db), built.max_tokens, built.redact) == ("openai", 512, True)


def test_duplicate_refuses_a_taken_name_and_a_new_persona(home):
    _new("Anna")
    _new("Bruno")
    with pytest.raises(ModelError, match="a model named 'anna' exists already"):
        duplicate_model("Bruno", "anna")
    with pytest.raises(ValueError, match="same persona"):
        prepare_duplicate("Bruno", persona="Alice")


# the commands


def test_rename_command(home, capsys):
    _new("Anna")
    _new("Bruno")
    capsys.readouterr()
    assert main(["rename", "Bruno", "Bruno K"]) == 0
    assert capsys.readouterr().out == "Bruno is now Bruno K\n"
    assert main(["rename", "Bruno K", "Anna"]) == 2
    assert capsys.readouterr().err == (
        "gpt-is-you: a model named 'Anna' exists already; choose another name or `rm` it\n"
    )
    add_job("Anna", jobs.RUNNING, pid=os.getpid())  # this process plays the worker
    assert main(["rename", "Anna", "Anna 2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stop it first with `gpt-is-you train Anna --cancel`" in err
    assert main(["rename", "Nobody", "Somebody"]) == 2
    assert [m.name for m in list_models()] == ["Anna", "Bruno K"]


def test_duplicate_command_prints_what_new_prints(home, capsys):
    _new("Bruno")
    capsys.readouterr()
    assert main(["duplicate", "Bruno", "Bruno 6h", "--session-gap", "6", "--min-chars", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Bruno 6h: writes like {PERSONA}"
    assert out[1].startswith("participants: ")
    assert out[2].startswith("examples: ")
    assert main(["duplicate", "Bruno", "Twin", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["name"], report["target"], report["cost"]) == ("Twin", "local", None)
    twin = next(m for m in list_models() if m.name == "Twin")
    assert report["examples"] == {"train": twin.train, "valid": twin.valid}


def test_duplicate_command_errors_are_one_line(home, capsys):
    _new("Bruno")
    capsys.readouterr()
    for argv in (
        ["duplicate", "Nobody", "Copy"],
        ["duplicate", "Bruno", "bruno"],
        # Uploading their messages is a new question for the persona; no terminal to ask.
        ["duplicate", "Bruno", "Copy", "--target", "openai"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("gpt-is-you: ") and err.count("\n") == 1, err
    with pytest.raises(SystemExit) as refused:  # a number out of range: refused by argparse
        main(["duplicate", "Bruno", "Copy", "--validation-share", "1"])
    assert refused.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert [m.name for m in list_models()] == ["Bruno"]
    assert main(["duplicate", "Bruno", "Copy", "--target", "openai", "--yes"]) == 0
    assert "estimated cost on" in capsys.readouterr().out


def test_numbers_stored_before_they_were_checked_read_as_their_defaults(home, capsys):
    """An older gpt-is-you stored `--min-chars -5` and `--merge-window -5`: the model still
    shows its examples and duplicates, those numbers read as the defaults, the rest kept."""
    _new("old", "--session-gap", "5")
    with open_model("old") as db:
        (stored,) = db.execute("SELECT settings FROM builds").fetchone()
        settings = {**json.loads(stored), "min_chars": -5, "merge_window": -300}
        db.execute("UPDATE builds SET settings = ?", (json.dumps(settings),))
        read = read_build_settings(db)
    assert (read.min_chars, read.merge_window) == (0, timedelta(minutes=10))
    assert read.session_gap == timedelta(hours=5) and read.persona == PERSONA
    capsys.readouterr()
    assert main(["examples", "old"]) == 0
    assert main(["duplicate", "old", "copy"]) == 0
    with open_model("copy") as db:
        assert read_build_settings(db).session_gap == timedelta(hours=5)
