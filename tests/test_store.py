"""The per-model store: migrations, atomic creation, listing, removal, privacy."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpt_is_you.cli import main
from gpt_is_you.store import schema
from gpt_is_you.store.models import list_models, open_model, read_examples

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_each_migration_from_the_schema_before_it():
    db = sqlite3.connect(":memory:", isolation_level=None)
    for version, step in enumerate(schema.MIGRATIONS):
        assert db.execute("PRAGMA user_version").fetchone()[0] == version
        db.executescript(f"BEGIN;\n{step}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(fresh)
    dump = [r for r in db.iterdump() if not r.startswith("PRAGMA")]
    assert dump == [r for r in fresh.iterdump() if not r.startswith("PRAGMA")]
    assert fresh.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION


def test_a_failed_migration_step_leaves_the_version_before(monkeypatch):
    db = sqlite3.connect(":memory:", isolation_level=None)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, "CREATE TABLE broken (;"))
    monkeypatch.setattr(schema, "VERSION", len(schema.MIGRATIONS))
    with pytest.raises(sqlite3.Error):
        schema.migrate(db)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION - 1


def _new(name: str, *extra: str) -> int:
    return main(["new", name, "--from", str(FIXTURE), "--persona", "Bruno Keller", "--yes", *extra])


def test_new_models_rm(home, capsys):
    assert _new("Bruno") == 0
    capsys.readouterr()
    (model,) = list_models()
    assert (model.name, model.persona, model.format) == (
        "Bruno",
        "Bruno Keller",
        "whatsapp-android",
    )
    assert model.train > 0 and model.valid > 0
    folder = home / "models" / "bruno"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in folder.iterdir())
    with open_model("Bruno") as db:
        examples = read_examples(db)
        stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert stored == model.messages and len(examples) == model.train + model.valid
    assert main(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "bruno"
    assert _new("bruno") == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["rm", "Bruno", "--yes"]) == 0
    assert list_models() == []
    assert main(["rm", "Bruno", "--yes"]) == 2


def test_unknown_persona_lists_the_people(home, capsys):
    code = main(["new", "x", "--from", str(FIXTURE), "--persona", "Bruno Keler", "--yes"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Did you mean 'Bruno Keller'?" in err and "Alice Martin" in err
    assert not (home / "models").exists() or not any((home / "models").iterdir())


def test_without_a_terminal_new_needs_yes(home, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["new", "x", "--from", str(FIXTURE), "--persona", "Bruno Keller"]) == 2
    assert "permission" in capsys.readouterr().err
    assert list_models() == []


def test_examples_jsonl_is_what_would_be_trained_on(home, capsys):
    assert _new("Bruno") == 0
    capsys.readouterr()
    assert main(["examples", "Bruno", "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(m["messages"][0]["role"] == "system" for m in lines)
    assert all(
        any(x["role"] == "assistant" and x.get("weight", 1) == 1 for x in m["messages"])
        for m in lines
    )


def test_a_new_killed_part_way_leaves_no_model_and_can_run_again(home, tmp_path):
    big = tmp_path / "big.txt"
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    big.write_text("\n".join(lines * 60) + "\n", encoding="utf-8")
    env = {**os.environ, "GPT_IS_YOU_HOME": str(home)}
    command = [
        sys.executable,
        "-m",
        "gpt_is_you",
        "new",
        "big",
        "--from",
        str(big),
        "--persona",
        "Bruno Keller",
        "--yes",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    models = home / "models"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (models.is_dir() and any(models.glob(".new-*"))):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert any(models.glob(".new-*")), "the kill came too late to test anything"
    assert [p.name for p in models.iterdir() if not p.name.startswith(".")] == []
    assert list_models() == []
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert [m.name for m in list_models()] == ["big"]
    assert not any(models.glob(".new-*"))


@pytest.mark.parametrize("fmt", ["openai", "prompt-completion", "sharegpt"])
def test_every_export_passes_its_checks(home, tmp_path, capsys, fmt):
    from gpt_is_you.dataset.checks import check_chat_example, prepare_data_advice

    assert _new("Bruno") == 0
    out = tmp_path / "data.jsonl"
    assert main(["export", "Bruno", "--format", fmt, "-o", str(out)]) == 0
    train = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    valid_path = tmp_path / "data.valid.jsonl"
    valid = [json.loads(line) for line in valid_path.read_text(encoding="utf-8").splitlines()]
    assert train and valid
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = train + valid
    if fmt == "openai":
        assert all(check_chat_example(row) == [] for row in rows)
    elif fmt == "prompt-completion":
        advice = prepare_data_advice([(r["prompt"], r["completion"]) for r in rows])
        # A small chat makes few examples; everything else the old tool checked holds.
        assert [a for a in advice if "examples" not in a.split(":")[0]] == [], advice
    else:
        assert all(row["system"] and row["conversations"] for row in rows)
        assert all(t["from"] in ("human", "gpt") for row in rows for t in row["conversations"])


def test_new_for_openai_redacts_and_prices(home, capsys):
    code = main(
        [
            "new",
            "Bruno",
            "--from",
            str(FIXTURE),
            "--persona",
            "Bruno Keller",
            "--target",
            "openai",
            "--yes",
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["redactions"] is not None and set(report["redactions"]) >= {
        "phone",
        "email",
        "iban",
        "card",
    }
    cost = report["cost"]
    assert cost["model"].startswith("gpt-4o-mini")
    # No stored page confirmed OpenAI's price: no figure, and the day that was checked.
    assert cost["usd"] is None
    assert cost["amount"] == f"price unknown (not confirmed since {cost['prices_as_of']})"
    assert cost["billed_tokens"] == report["tokens"]["train"] * cost["epochs"]
    assert report["examples"]["train"] > 0


def test_local_models_have_no_price(home, capsys):
    assert (
        main(
            ["new", "Bruno", "--from", str(FIXTURE), "--persona", "Bruno Keller", "--yes", "--json"]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["cost"] is None and report["redactions"] is None


@pytest.mark.parametrize(
    ("flags", "stored"),
    [
        ([], ("local", 1024, False)),
        (["--target", "openai"], ("openai", 65536, True)),
        (["--target", "openai", "--no-redact", "--max-tokens", "512"], ("openai", 512, False)),
        (["--redact", "--max-tokens", "4096"], ("local", 4096, True)),
    ],
)
def test_new_takes_the_targets_limit_and_redaction_unless_given(home, capsys, flags, stored):
    from gpt_is_you.store.models import read_build_settings, read_target

    args = ["new", "Bruno", "--from", str(FIXTURE), "--persona", "bruno keller", "--yes"]
    assert main([*args, "--json", *flags]) == 0
    with open_model("Bruno") as db:
        settings = read_build_settings(db)
        assert (read_target(db), settings.max_tokens, settings.redact) == stored
        assert settings.persona == "Bruno Keller"  # named as in the chat, not as typed


@pytest.mark.parametrize(
    "options",
    [{}, {"media": "placeholder"}, {"redact": True, "redact_links": True}],
)
def test_examples_read_back_as_built(home, options, tmp_path):
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.dataset.settings import BuildSettings
    from gpt_is_you.store.new import store

    export = tmp_path / "chat.txt"
    export.write_text(
        FIXTURE.read_text(encoding="utf-8")
        + "01/06/2023, 10:00 - Alice Martin: call me on +44 7911 123456 or alice@example.org\n"
        + "01/06/2023, 10:01 - Bruno Keller: <Media omitted>\n"
        + "01/06/2023, 10:02 - Bruno Keller: will do, see https://example.org/x\n",
        encoding="utf-8",
    )
    prepared = prepare(export, BuildSettings.for_target("local", persona="Bruno Keller", **options))
    store("Bruno", prepared)
    with open_model("Bruno") as db:
        stored = [example for _, example, _ in read_examples(db)]
    assert stored == list(prepared.dataset.examples)
    if options.get("redact"):
        assert any("<PHONE>" in t.text for e in stored for t in e.turns)


def test_a_chat_too_short_to_validate_says_so(home, capsys):
    export = Path(__file__).parent / "fixtures" / "messenger" / "weekend_group"
    assert (
        main(["new", "b", "--from", str(export), "--persona", "Bruno Keller", "--yes", "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == {"train": 1, "valid": 0}
    assert any("nothing held out for validation" in w for w in report["warnings"])


def test_the_source_is_stored_with_its_hash(home, capsys):
    import hashlib

    folder = Path(__file__).parent / "fixtures" / "messenger" / "weekend_group"
    assert _new("Bruno") == 0
    assert main(["new", "fb", "--from", str(folder), "--persona", "Bruno Keller", "--yes"]) == 0
    with open_model("Bruno") as db:
        name, digest = db.execute("SELECT name, sha256 FROM sources").fetchone()
    assert (name, digest) == (FIXTURE.name, hashlib.sha256(FIXTURE.read_bytes()).hexdigest())
    with open_model("fb") as db:
        assert len(db.execute("SELECT sha256 FROM sources").fetchone()[0]) == 64


def _typed(model) -> tuple[object, ...]:
    return (model.state, model.progress, model.active, model.training, model.state_text)


def _listed(capsys) -> tuple[str, str]:
    """The state as `models` prints it, in its text and in its JSON."""
    capsys.readouterr()
    assert main(["models"]) == 0
    line = capsys.readouterr().out.rstrip("\n").rsplit("\t", 1)[-1]
    assert main(["models", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert "progress" not in listed  # the JSON says the state as the list does, no more
    return line, listed["state"]


def test_the_model_list_shows_each_models_training_state(home, capsys):
    from gpt_is_you.store import jobs

    assert _new("m") == 0
    (model,) = list_models()
    assert _typed(model) == ("ready", None, False, False, "ready")
    assert (model.backend, model.last_activity) == ("", model.created_at)
    assert _listed(capsys) == ("ready", "ready")
    with open_model("m") as db:
        job = jobs.create_job(db, backend="local", base_model="default", settings={})
    assert _typed(list_models()[0]) == (jobs.QUEUED, 0.0, True, False, "queued")
    with open_model("m") as db:
        jobs.set_worker(db, job, os.getpid())  # alive, with a fresh heartbeat
        jobs.set_state(db, job, jobs.RUNNING)
        jobs.set_progress(db, job, 9, 20, {jobs.TRAIN_LOSS: 1.0})
    assert _typed(list_models()[0]) == (jobs.RUNNING, 0.45, True, True, "training 45%")
    assert _listed(capsys) == ("training 45%", "training 45%")
    for state, progress, shown in [
        (jobs.FAILED, 0.45, "failed"),  # a stopped job keeps the progress it made
        (jobs.CANCELLED, 0.45, "cancelled"),
        (jobs.SUCCEEDED, 1.0, "trained"),
    ]:
        with open_model("m") as db:
            if state == jobs.SUCCEEDED:
                jobs.set_progress(db, job, 20, 20, {jobs.TRAIN_LOSS: 0.5})
            jobs.set_state(db, job, state)
        (model,) = list_models()
        assert _typed(model) == (state, progress, False, False, shown)
        assert model.backend == "local"
        assert model.last_activity >= model.created_at
        assert _listed(capsys) == (shown, shown)
