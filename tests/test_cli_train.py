"""The train, status and chat commands as a user meets them (tiny base model, sample chat)."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

from conftest import add_job, new_model
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.providers.local.generate import bubbles
from gpt_is_you.providers.local.merged import MERGED, PREPARING
from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import conversations, jobs
from gpt_is_you.store.models import model_folder, open_model


@pytest.fixture
def sam(home, monkeypatch):
    """A model of Sam made from the sample chat, not trained yet."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the worker's torch: no fight for 2 cores
    monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
    return new_model("sam")


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gpt-is-you: ")
    assert "Traceback" not in err
    return lines[0]


def test_train_of_a_missing_model_is_one_line(home, capsys, tiny_base):
    assert main(["train", "nobody", "--base", str(tiny_base)]) == 2
    captured = capsys.readouterr()
    assert "no model named 'nobody'" in _one_line(captured.err)
    assert captured.out == ""


def test_chat_with_an_untrained_model_says_so(sam, capsys):
    assert main(["chat", "sam", "-m", "hi"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "not trained yet" in line and "gpt-is-you train sam" in line
    with open_model("sam") as db:
        assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


def test_status_resume_and_cancel_of_an_untrained_model(sam, capsys):
    assert main(["status", "sam"]) == 0
    assert "has not been trained" in capsys.readouterr().out
    assert main(["train", "sam", "--resume"]) == 2
    assert "no interrupted or cancelled job" in _one_line(capsys.readouterr().err)
    assert main(["train", "sam", "--cancel"]) == 2
    assert "no running job" in _one_line(capsys.readouterr().err)


def _refused(capsys, argv: list[str]) -> str:
    """The one line a bad argument gets: exit status 2 as the arguments are read."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--lr", "5"], "--lr: must be above 0 and below 1 (got 5)"),
        (["--lr", "0"], "--lr: must be above 0 and below 1 (got 0)"),
        (["--epochs", "0"], "--epochs: must be above 0 and at most 100 (got 0)"),
        (["--epochs", "nan"], "--epochs: must be above 0 and at most 100 (got nan)"),
        (["--epochs", "inf"], "--epochs: must be above 0 and at most 100 (got inf)"),
        (["--max-steps", "0"], "--max-steps: must be a whole number between 1 and 1,000,000"),
        (["--lora-rank", "0"], "--lora-rank: must be a whole number between 1 and 256 (got 0)"),
        (["--lora-rank", "1000000"], "--lora-rank: must be a whole number between 1 and 256"),
        (["--max-seq-len", "8"], "--max-seq-len: must be a whole number between 16 and 32,768"),
        (["--max-seq-len", "100000000"], "between 16 and 32,768 tokens (got 100,000,000)"),
        (["--seed", "-1"], "--seed: must be a whole number between 0 and 2,147,483,647"),
        (["--batch-size", "0"], "--batch-size: must be a whole number between 1 and 256"),
        (["--lr-multiplier", "nan"], "--lr-multiplier: must be above 0 and at most 10 (got nan)"),
        (["--quantize", "8bit"], "--quantize: invalid choice: '8bit'"),
        (["--gradient-checkpointing", "yes"], "--gradient-checkpointing: invalid choice: 'yes'"),
    ],
)
def test_bad_settings_are_refused_before_anything_starts(sam, capsys, tiny_base, option, message):
    line = _refused(capsys, ["train", "sam", "--base", str(tiny_base), *option])
    assert line.startswith("gpt-is-you train: argument ") and message in line
    with open_model("sam") as db:
        assert jobs.read_job(db) is None


def test_remote_epochs_must_be_whole(sam, capsys):
    # --epochs is read as a local run's (any number of passes); a remote job takes whole ones.
    assert main(["train", "sam", "--backend", "openai", "--epochs", "2.5", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.endswith(
        "--epochs of a remote job must be a whole number between 1 and 50 (got 2.5)"
    )
    with open_model("sam") as db:
        assert jobs.read_job(db) is None


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--temperature", "9"], "--temperature: must be between 0 and 2 (got 9)"),
        (["--temperature", "nan"], "--temperature: must be between 0 and 2 (got nan)"),
        (["--top-p", "-1"], "--top-p: must be above 0 and at most 1 (got -1)"),
        (["--top-p", "0"], "--top-p: must be above 0 and at most 1 (got 0)"),
        (["--max-tokens", "-5"], "--max-tokens: must be a whole number between 1 and 4,096"),
        (["--seed", "x"], "--seed: must be a whole number between 0 and 2,147,483,647 (got 'x')"),
    ],
)
def test_bad_sampling_is_refused_before_any_model_loads(sam, capsys, option, message):
    # Refused as the arguments are read: before "not trained yet", before any model loads.
    line = _refused(capsys, ["chat", "sam", "-m", "hi", *option])
    assert line.startswith("gpt-is-you chat: argument ") and message in line
    with open_model("sam") as db:
        assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--prompts", "0"], "--prompts: must be a whole number between 1 and 10,000 (got 0)"),
        (["--temperature", "-1"], "--temperature: must be between 0 and 2 (got -1)"),
        (["--max-tokens", "0"], "--max-tokens: must be a whole number between 1 and 4,096"),
        (["--seed", "1e3"], "--seed: must be a whole number between 0 and 2,147,483,647"),
    ],
)
def test_bad_evaluation_settings_are_refused(sam, capsys, option, message):
    line = _refused(capsys, ["eval", "sam", *option])
    assert line.startswith("gpt-is-you eval: argument ") and message in line


def test_a_job_whose_stored_settings_are_bad_fails_with_one_line(sam):
    """An older version let ``--epochs nan`` into a job: its worker fails it with the
    settings' own line, not a traceback."""
    from gpt_is_you.providers.local import worker
    from gpt_is_you.store.models import model_folder

    stored = TrainSettings().to_json() | {"epochs": float("nan")}
    job_id = add_job("sam", settings=stored)
    previous = signal.getsignal(signal.SIGTERM)  # run() sets the worker's own
    try:
        assert worker.run(model_folder("sam"), job_id) == 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    with open_model("sam") as db:
        job = jobs.read_job(db, job_id)
    assert job.state == jobs.FAILED
    assert job.error == "epochs must be above 0 and at most 100 (got nan)"


def test_a_missing_base_is_refused(sam, capsys, tmp_path):
    assert main(["train", "sam", "--base", str(tmp_path / "nothing.gguf")]) == 2
    assert "no GGUF file" in _one_line(capsys.readouterr().err)


def test_the_memory_choices_reach_the_job(sam, capsys, tiny_base):
    options = ["--max-steps", "1", "--max-seq-len", "256", "--precision", "float32"]
    memory = ["--gradient-checkpointing", "on", "--quantize", "none"]
    assert main(["train", "sam", "--base", str(tiny_base), *options, *memory]) == 0
    err = capsys.readouterr().err
    assert "gradient checkpointing on (asked for)" in err  # an event
    # Before the first step: how long, and that one step will not learn a voice.
    assert "\ntraining about 1 steps\n" in f"\n{err}"  # a base the catalogue does not list
    assert "warning: 1 steps are too few to learn a voice" in err
    with open_model("sam") as db:
        settings = jobs.read_job(db).settings
    assert (settings["gradient_checkpointing"], settings["quantize"]) == ("on", "none")


def test_train_then_status_then_chat(sam, capsys, tiny_base, monkeypatch):
    options = ["--max-steps", "3", "--max-seq-len", "256", "--precision", "float32"]
    code = main(["train", "sam", "--base", str(tiny_base), *options])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "sam is trained; `gpt-is-you chat sam` talks to it" in captured.out
    assert "step 3/3" in captured.err  # progress, one line per step without a terminal
    assert "training 3 steps on cpu in float32" in captured.err  # and the job's events

    assert main(["status", "sam"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"sam: succeeded (job 1, local, base {tiny_base})")
    assert "step 3/3" in out and "loss " in out

    assert main(["status", "sam", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "succeeded"
    assert (status["step"], status["total_steps"]) == (3, 3)
    assert status["base_model"] == str(tiny_base)
    assert [s for s, _ in status["metrics"]["train_loss"]] == [1, 2, 3]
    assert [s for s, _ in status["metrics"]["valid_loss"]] == [0, 3]
    assert any(e["message"].startswith("done: 3 steps") for e in status["events"])

    code = main(["chat", "sam", "-m", "hey", "--max-tokens", "5", "--seed", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    with open_model("sam") as db:
        ids = [row[0] for row in db.execute("SELECT id, job_id FROM conversations")]
        assert len(ids) == 1
        assert db.execute("SELECT job_id FROM conversations").fetchone()[0] == 1
        lines = conversations.lines(db, ids[0])
    assert (lines[0].role, lines[0].content) == ("user", "hey")
    assert [line.role for line in lines] == ["user", "assistant"]
    reply = lines[1].content
    assert captured.out == "\n".join(bubbles(reply)) + "\n", repr(reply)

    # The worker prepared the model for chat: without a terminal, stderr says no more.
    assert (jobs.job_folder(model_folder("sam"), 1) / MERGED / "config.json").is_file()
    assert "preparing the model for chat" in status["events"][-2]["message"]
    assert captured.err in ("", "(the model wrote nothing; ask again)\n")

    # The same seed gives the same reply; from the adapter of a job trained before the
    # merged copies, prepared once on its first chat, too.
    shutil.rmtree(jobs.job_folder(model_folder("sam"), 1) / MERGED)
    for said in (PREPARING + "\n", ""):
        assert main(["chat", "sam", "-m", "hey", "--max-tokens", "5", "--seed", "1"]) == 0
        again = capsys.readouterr()
        assert (again.out, again.err) == (captured.out, said + captured.err)

    # The terminal chat: two messages make one conversation, /new starts another, /quit leaves.
    with open_model("sam") as db:
        before = db.execute("SELECT max(id) FROM conversations").fetchone()[0]
    typed = iter(["hey", "", "and you?", "/new", "again", "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert main(["chat", "sam", "--max-tokens", "4", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "It is a model, not the person." in out
    assert out.count("Sam Okafor (model)> ") == 3
    with open_model("sam") as db:
        rows = db.execute(
            "SELECT conversation_id, role, content FROM conversation_messages "
            "WHERE conversation_id > ? ORDER BY id",
            (before,),
        ).fetchall()
    first, second = sorted({row[0] for row in rows})
    assert [(c, r) for c, r, _ in rows] == [
        (first, "user"),
        (first, "assistant"),
        (first, "user"),
        (first, "assistant"),
        (second, "user"),
        (second, "assistant"),
    ]
    assert [content for _, role, content in rows if role == "user"] == ["hey", "and you?", "again"]


def test_status_of_a_running_job_says_what_its_worker_does(sam, capsys):
    """Issue 16: `status` said "step 0/?" for minutes while the base model was scored."""
    job = add_job("sam", jobs.RUNNING, pid=os.getpid())
    with open_model("sam") as db:
        jobs.set_phase(db, job, jobs.SCORING_BASE, 12, 3, 8)
    assert main(["status", "sam"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "scoring the base model 3/8"
    with open_model("sam") as db:
        jobs.set_phase(db, job, jobs.TRAINING, 12)
        jobs.set_progress(db, job, 4, 12, {jobs.TRAIN_LOSS: 2.5})
    assert main(["status", "sam"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "training step 5 of 12  loss 2.500"


def test_a_job_that_can_go_on_is_told_how_in_each_ones_words(sam, capsys):
    """Issue 16: the worker's events (shown in the app too) said "`train --resume`
    continues it"; the store's words name no command, and `status` adds the CLI's."""
    from conftest import dead_pid

    job = add_job("sam", jobs.RUNNING, pid=dead_pid())
    assert main(["status", "sam"]) == 0
    out = capsys.readouterr().out
    assert "the training process is gone; it can be resumed" in out
    assert out.splitlines()[-1] == "`gpt-is-you train sam --resume` continues it"
    with open_model("sam") as db:
        assert not any("`" in e.message for _, e in jobs.read_events(db, job))
    with open_model("sam") as db:
        jobs.set_state(db, add_job("sam", jobs.RUNNING), jobs.SUCCEEDED)
    assert main(["status", "sam"]) == 0
    assert "--resume" not in capsys.readouterr().out


def test_on_a_terminal_chat_says_what_it_waits_for_on_one_line_then_erases_it(capsys, monkeypatch):
    from gpt_is_you.cli.chat import _Waiting

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    erase = "\r\033[K"
    with _Waiting() as waiting:
        waiting.say("loading the model…")
        waiting.notice(PREPARING)  # a line that stays, the waiting line below it
        waiting.say("writing…")
    assert capsys.readouterr().err == (
        f"{erase}loading the model…{erase}{PREPARING}\n{erase}loading the model…"
        f"{erase}writing…{erase}"
    )
