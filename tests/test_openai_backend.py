"""The remote backends end to end: the CLI, the real openai SDK, the watcher process and a
fake OpenAI server on 127.0.0.1 (tests/fake_openai.py), with faults it injects.

The life-cycle tests run twice (the ``backend`` fixture): on ``openai``, and on a named
connection with a profile (``nebius``: Nebius Token Factory's bases, no job metadata) whose
base URL is the fake's, as `connect nebius --base-url URL --profile nebius` makes it."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import time
from datetime import date
from pathlib import Path

import pytest

from conftest import new_model
from fake_openai import FakeOpenAI
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.providers import connection as connections
from gpt_is_you.providers import service_errors as openai_errors
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.openai import OpenAIProvider
from gpt_is_you.providers.openai.profiles import NEBIUS_BASES, profile_for
from gpt_is_you.providers.openai.watch import parse_results
from gpt_is_you.providers.service_errors import refused_job
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.store import conversations, jobs, remote
from gpt_is_you.store.models import find_model, open_model

SHARED_METRICS = {jobs.TRAIN_LOSS, jobs.TRAIN_ACCURACY, jobs.VALID_LOSS, jobs.VALID_ACCURACY}


pytestmark = pytest.mark.usefixtures("stop_watchers")


@pytest.fixture
def server(home, tmp_path, monkeypatch):
    with FakeOpenAI(bases=NEBIUS_BASES) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", fake.api_key)
        monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.05")
        monkeypatch.setenv("GPT_IS_YOU_CONFIG", str(tmp_path / "config"))
        for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
        yield fake


@pytest.fixture
def sam(server):
    return new_model("sam")


KEY_ENV = {"openai": "OPENAI_API_KEY", "nebius": "NEBIUS_API_KEY"}


@pytest.fixture(params=["openai", "nebius"])
def backend(request, server, monkeypatch):
    """The backend a life-cycle test trains on: OpenAI, or a named connection to an
    OpenAI-compatible service with its profile, at the fake's URL."""
    if request.param == "nebius":
        monkeypatch.setenv("NEBIUS_API_KEY", server.api_key)
        connections.save("nebius", base_url=server.url, profile="nebius")
    return request.param


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gpt-is-you: ")
    assert "Traceback" not in err
    return lines[0]


def _job(name: str = "sam"):
    with open_model(name) as db:
        return jobs.read_job(db)


def _wait_for_the_service(name: str = "sam") -> None:
    """Until the watcher has created the job at the service."""
    deadline = time.monotonic() + 20
    while _job(name).remote_id is None:
        assert time.monotonic() < deadline, "the job was not created"
        time.sleep(0.02)


def _wait_until_ended(name: str = "sam", seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _job(name)
        if job is not None and not job.active:
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job did not end: {_job(name)}")


def test_the_whole_life_cycle(sam, server, capsys, home, backend):
    profile = profile_for(backend)
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 0
    captured = capsys.readouterr()
    assert "Upload" in captured.err and "to " in captured.err
    # No stored page confirmed either service's price: the plan says so, with no figure.
    assert f"price unknown (not confirmed since {profile.prices.as_of})" in captured.err
    assert "sam is trained" in captured.out

    job = _job()
    assert job.state == jobs.SUCCEEDED and job.backend == backend
    assert job.remote_id in server.jobs
    created = server.jobs[job.remote_id]
    assert created["model"] == profile.bases[0]  # the service's default base
    assert created["method"]["type"] == "supervised"
    assert created["user_provided_suffix"] == "sam" or created["fine_tuned_model"].count("sam")
    if profile.metadata:
        assert created["metadata"]["gpt_is_you_model"] == "sam"
    else:  # Nebius's create takes none
        assert created["metadata"] is None
    # What went up is the chat-format dataset.
    train_file = server.files[created["training_file"]]
    assert train_file["purpose"] == "fine-tune"
    with open_model("sam") as db:
        metrics = jobs.read_metrics(db, job.id)
        events = [e.message for _, e in jobs.read_events(db, job.id)]
        objects = {o.kind: o for o in remote.objects(db)}
    assert set(metrics) == SHARED_METRICS
    assert len(metrics[jobs.TRAIN_LOSS]) == server.steps
    assert job.step == server.steps and job.total_steps == server.steps
    assert any("checkpoint at step" in e for e in events)
    assert any(e.startswith("trained: ft:") for e in events)
    assert {remote.TRAINING_FILE, remote.VALIDATION_FILE, remote.RESULTS_FILE, remote.MODEL} <= set(
        objects
    )
    fine_tuned = objects[remote.MODEL].remote_id
    assert fine_tuned in server.models

    # Chat with the fine-tuned model, streamed through chat completions.
    server.replies = ["yo\nsure thing"]
    assert main(["chat", "sam", "-m", "hey, you around?"]) == 0
    assert capsys.readouterr().out == "yo\nsure thing\n"
    chat_request = [r for r in server.requests if r.path.endswith("/chat/completions")][-1]
    sent = json.loads(chat_request.body)
    assert sent["model"] == fine_tuned and sent["stream"] is True
    assert sent["messages"][0]["role"] == "system"

    # status shows it as the local backend's jobs are shown, with what is at the service.
    assert main(["status", "sam"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and f"model: {fine_tuned}" in out
    assert main(["status", "sam", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["remote_job"] == job.remote_id
    assert {o["kind"] for o in status["remote_objects"]} == {
        remote.TRAINING_FILE,
        remote.VALIDATION_FILE,
        remote.RESULTS_FILE,
        remote.MODEL,
    }

    # rm --remote deletes the files and the model there, then the model here.
    assert main(["rm", "sam", "--remote", "--yes"]) == 0
    out = capsys.readouterr().out
    assert fine_tuned in out
    assert fine_tuned not in server.models
    assert not [f for f in server.files.values() if f["purpose"] == "fine-tune"]
    assert not (home / "models" / "sam").exists()

    # The key went nowhere it should not.
    _assert_key_absent(server.api_key, home)


def _assert_key_absent(key: str, *folders: Path) -> None:
    needle = key.encode()
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert needle not in path.read_bytes(), f"the API key is in {path}"


def test_the_key_stays_out_of_the_store_and_the_logs(sam, server, capsys, home, backend):
    assert main(["train", "sam", "--backend", backend, "--yes", "--detach"]) == 0
    job = _wait_until_ended()
    assert job.state == jobs.SUCCEEDED
    assert main(["chat", "sam", "-m", "hi"]) == 0
    assert main(["status", "sam", "--json"]) == 0
    captured = capsys.readouterr()
    assert server.api_key not in captured.out + captured.err
    logs = list(home.rglob("worker.log"))
    assert logs, "the watcher writes a log"
    _assert_key_absent(server.api_key, home)


def test_uploading_needs_a_confirmation(sam, server, capsys):
    # No terminal and no --yes: nothing leaves the machine.
    assert main(["train", "sam", "--backend", "openai"]) == 2
    assert "--yes" in capsys.readouterr().err.splitlines()[-1]
    assert not [r for r in server.requests if r.method == "POST"]
    assert _job() is None


def test_uploading_answered_no_sends_nothing_and_says_so(sam, server, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    assert main(["train", "sam", "--backend", "openai"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "Nothing was sent; no job was started."
    assert not [r for r in server.requests if r.method == "POST"]
    assert _job() is None


def test_azure_routes_every_call_through_its_endpoint(sam, server, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.azure_endpoint)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", server.api_key)
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    assert main(["train", "sam", "--backend", "azure", "--yes"]) == 0
    assert main(["chat", "sam", "-m", "hi"]) == 0
    capsys.readouterr()
    assert server.requests
    for request in server.requests:
        assert request.path.startswith("/openai/"), request.path
        assert request.query.get("api-version") == "2025-04-01-preview"
        assert request.headers.get("api-key") == server.api_key
        assert "authorization" not in request.headers
    chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    fine_tuned = server.jobs[_job().remote_id]["fine_tuned_model"]
    assert chats[-1].path == f"/openai/deployments/{fine_tuned}/chat/completions"


def test_rate_limits_and_server_errors_are_waited_out(sam, server, capsys, monkeypatch, backend):
    monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.3")
    server.fail("POST", "/files", 429, retry_after=0.1)
    assert main(["train", "sam", "--backend", backend, "--yes", "--detach"]) == 0
    _wait_for_the_service()
    # More server errors than the SDK retries: the watcher notes them and asks again.
    server.fail("GET", "/fine_tuning/jobs", 500, times=4)
    assert main(["status", "sam", "--follow"]) == 0
    assert _job().state == jobs.SUCCEEDED
    uploads = [r for r in server.requests if r.method == "POST" and r.path.endswith("/files")]
    assert len(uploads) == 3  # the refused one, then training and validation
    with open_model("sam") as db:
        events = [e for _, e in jobs.read_events(db, _job().id)]
    (warning,) = [e.message for e in events if e.level == "warning"]
    assert "server error (500)" in warning and "asking again" in warning


def test_a_connection_dropped_while_creating_the_job_makes_no_second_job(
    sam, server, capsys, backend
):
    server.drop("POST", "/fine_tuning/jobs")
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 0
    assert len(server.jobs) == 1
    assert _job().remote_id in server.jobs
    with open_model("sam") as db:
        events = [e.message for _, e in jobs.read_events(db, _job().id)]
    assert any("dropped while creating the job; it was created" in e for e in events)
    if not profile_for(backend).metadata:  # found by its training file, not by metadata
        listed = [r for r in server.requests if r.method == "GET" and r.path.endswith("/jobs")]
        assert listed and not any("metadata" in k for r in listed for k in r.query)


def test_a_refused_key_is_one_clear_line_and_not_retried(sam, server, capsys, monkeypatch, backend):
    monkeypatch.setenv(KEY_ENV[backend], "sk-wrong-key-9876543210")
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 2
    err = capsys.readouterr().err
    line = _one_line(err)
    assert "refused the API key" in line and KEY_ENV[backend] in line
    assert "9876543210" not in err and "sk-wro" not in err
    assert len(server.requests) == 1
    assert _job() is None


def test_a_job_that_fails_validation_says_why(sam, server, capsys, backend):
    server.fail_validation = True
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 1
    err = capsys.readouterr().err
    job = _job()
    assert job.state == jobs.FAILED
    # The service as messages name it: the fake's URL set as OpenAI's base URL, or the
    # named connection.
    assert job.error.startswith(f"{connections.connection(backend).service}: ")
    assert "training file" in job.error.lower()
    assert job.error in err


def test_a_stream_cut_mid_reply_keeps_the_part_that_came(sam, server, capsys, backend):
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 0
    capsys.readouterr()
    server.replies = ["this reply is long enough to be cut in the middle of it"]
    server.cut_stream_after = 3
    assert main(["chat", "sam", "-m", "tell me"]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() and captured.out.strip() in server.replies[0]
    assert "broke during the reply" in captured.err
    with open_model("sam") as db:
        (conversation,) = conversations.list_conversations(db)
        last = db.execute(
            "SELECT content, stopped FROM conversation_messages ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert last[0] == captured.out.strip() and last[1] == 1
    assert conversation.title == "tell me"


def test_a_new_model_not_loaded_yet_is_asked_again(sam, server, capsys):
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 0
    capsys.readouterr()
    server.model_not_found_times = 2
    server.replies = ["ready now"]
    assert main(["chat", "sam", "-m", "hi"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "ready now\n"
    assert captured.err.count("not ready") == 2


def test_cancel_stops_the_remote_job(sam, server, capsys, monkeypatch, backend):
    monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.5")  # a job long enough to cancel
    server.steps = 30
    assert main(["train", "sam", "--backend", backend, "--yes", "--detach"]) == 0
    _wait_for_the_service()
    assert main(["train", "sam", "--cancel"]) == 0
    job = _wait_until_ended()
    assert job.state == jobs.CANCELLED
    assert server.jobs[job.remote_id]["status"] == "cancelled"


def test_a_dead_watcher_is_replaced_and_the_job_found_again(sam, server, capsys, backend):
    server.steps = 40
    assert main(["train", "sam", "--backend", backend, "--yes", "--detach"]) == 0
    _wait_for_the_service()
    first = _job()
    os.kill(first.pid, signal.SIGKILL)  # as if the machine restarted
    while jobs.pid_alive(first.pid):
        time.sleep(0.02)
    assert main(["status", "sam", "--follow"]) == 0
    job = _job()
    assert job.state == jobs.SUCCEEDED and job.pid != first.pid
    assert job.remote_id == first.remote_id and len(server.jobs) == 1
    with open_model("sam") as db:
        messages = [e.message for _, e in jobs.read_events(db, job.id)]
    assert "watching the job again" in messages
    # Every remote event is kept once, though the new watcher read them all again.
    assert len([m for m in messages if m.startswith("checkpoint at step")]) == len(
        server.checkpoints[job.remote_id]
    )


def test_delete_files_when_done(sam, server, capsys, backend):
    assert main(["train", "sam", "--backend", backend, "--yes", "--delete-files"]) == 0
    assert not [f for f in server.files.values() if f["purpose"].startswith("fine-tune")]
    left = OpenAIProvider(backend).leftovers(find_model("sam"))
    assert left.files == () and len(left.models) == 1
    with open_model("sam") as db:
        deleted = [o for o in remote.objects(db) if o.deleted_at]
    assert {o.kind for o in deleted} == set(remote.FILES)


def test_without_remote_rm_says_what_stays(sam, server, capsys, home):
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 0
    capsys.readouterr()
    assert main(["rm", "sam", "--yes"]) == 0
    err = capsys.readouterr().err
    assert "left in place" in err and "fine-tuned model" in err and "rm --remote" in err
    assert server.models  # still there


def test_legacy_models_learn_and_answer_prompt_completion_pairs(sam, server, capsys):
    assert main(["train", "sam", "--backend", "openai", "--base", "babbage-002", "--yes"]) == 0
    job = server.jobs[_job().remote_id]
    first_line = server.contents[job["training_file"]].decode().splitlines()[0]
    pair = json.loads(first_line)
    assert set(pair) == {"prompt", "completion"}
    assert pair["prompt"].endswith("\n\n###\n\n") and pair["completion"].endswith(" ###")
    capsys.readouterr()
    server.replies = ["on my way"]
    assert main(["chat", "sam", "-m", "where are you?"]) == 0
    assert capsys.readouterr().out == "on my way\n"
    request = [r for r in server.requests if r.path.endswith("/completions")][-1]
    sent = json.loads(request.body)
    assert sent["stop"] == ["###"]
    assert sent["prompt"].endswith("Sam Okafor: hey\n\n###\n\n") or sent["prompt"].endswith(
        "\n\n###\n\n"
    )


def test_chat_with_any_model_of_a_compatible_server(sam, server, capsys):
    server.replies = ["hi from a server of my own"]
    assert main(["chat", "sam", "-m", "hello", "--remote-model", "gpt-4o-mini-2024-07-18"]) == 0
    assert capsys.readouterr().out == "hi from a server of my own\n"


def test_connect_saves_the_key_readable_by_the_user_only(server, capsys, monkeypatch, tmp_path):
    import io

    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr("sys.stdin", io.StringIO(server.api_key + "\n"))
    assert main(["connect", "openai", "--key-stdin"]) == 0
    out = capsys.readouterr().out
    assert server.api_key not in out and "connections.toml" in out
    saved = tmp_path / "config" / "connections.toml"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert OpenAIProvider("openai").name == "openai"
    from gpt_is_you.providers.connection import connection

    assert connection("openai").key == server.api_key
    assert main(["connect", "openai", "--forget"]) == 0
    assert server.api_key not in saved.read_text()


def test_no_key_is_one_line_naming_what_to_set(sam, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "OPENAI_API_KEY" in line and "gpt-is-you connect openai" in line


@pytest.mark.parametrize("encode", [False, True])
def test_results_file_plain_or_base64(encode):
    csv = (
        "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
        "1,2.5,0.4,,\n"
        "2,2.0,0.5,2.2,0.45\n"
    )
    raw = base64.b64encode(csv.encode()) if encode else csv.encode()
    assert parse_results(raw) == {
        1: {jobs.TRAIN_LOSS: 2.5, jobs.TRAIN_ACCURACY: 0.4},
        2: {
            jobs.TRAIN_LOSS: 2.0,
            jobs.TRAIN_ACCURACY: 0.5,
            jobs.VALID_LOSS: 2.2,
            jobs.VALID_ACCURACY: 0.45,
        },
    }


@pytest.mark.parametrize(
    ("status", "options", "expected"),
    [
        (403, {"code": "model_not_available"}, "has no access to that"),
        (429, {"code": "insufficient_quota", "times": 3}, "out of quota"),
        (429, {"retry_after": 0.1, "times": 3}, "rate-limiting this key: try again in 1 s"),
        (500, {"times": 3}, "server error (500)"),
    ],
)
def test_service_refusals_are_one_line_before_anything_goes(
    sam, server, capsys, status, options, expected, backend
):
    server.fail("GET", "/fine_tuning/jobs", status, **options)
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert expected in line
    assert not [r for r in server.requests if r.method == "POST"]
    assert _job() is None


def test_the_network_down_is_one_line(sam, server, capsys, monkeypatch):
    server.stop()
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"cannot reach {server.url}" in line and "network" in line


def test_an_invalid_file_fails_the_job_with_the_services_message(sam, server, capsys):
    server.fail(
        "POST",
        "/fine_tuning/jobs",
        400,
        code="invalid_training_file",
        message="File file-x has 3 lines with an invalid format.",
    )
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 1
    err = capsys.readouterr().err
    job = _job()
    assert job.state == jobs.FAILED
    assert "rejected the request: File file-x has 3 lines with an invalid format." in job.error
    assert job.error in err and "Traceback" not in err


def test_connect_can_make_deleting_files_the_default(sam, server, capsys):
    assert main(["connect", "openai", "--delete-files", "always"]) == 0
    assert "uploaded files after a job: always" in capsys.readouterr().out
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 0
    assert OpenAIProvider("openai").leftovers(find_model("sam")).files == ()


def test_eval_of_a_remote_model_uses_the_jobs_own_validation_scores(sam, server, capsys, backend):
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 0
    capsys.readouterr()
    server.replies = ["omw", "Certainly! Here is a detailed answer to your question."]
    assert main(["eval", "sam", "--prompts", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backend"] == backend and report["scores"]["base"] is None
    with open_model("sam") as db:
        last_valid = jobs.read_metrics(db, _job().id)[jobs.VALID_LOSS][-1][1]
    assert report["scores"]["tuned"]["loss"] == last_valid
    assert len(report["samples"]) == 3
    # A remote model cannot score a text: no pick of the real turn, the rest measured.
    sense = report["sense"]
    assert sense["base"]["choice"] is None and sense["tuned"]["choice"] is None
    assert sense["tuned"]["empty"] == 0.0 and 0 <= sense["tuned"]["echo"] <= 1
    asked = {
        json.loads(r.body)["model"] for r in server.requests if r.path.endswith("/chat/completions")
    }
    fine_tuned = server.jobs[_job().remote_id]["fine_tuned_model"]
    assert asked == {fine_tuned, profile_for(backend).bases[0]}  # the tuned model, its base


@pytest.mark.parametrize("model", ["gpt-4o-mini-2024-07-18", "babbage-002"])
def test_a_stream_that_ends_too_early_is_a_cut_reply(sam, server, capsys, model):
    # The server closes the stream cleanly, but with no finish reason and no [DONE]: the
    # part that came is kept and marked as cut, as when the connection breaks.
    server.replies = ["this reply is long enough to be ended in the middle of it"]
    server.end_stream_after = 3
    assert main(["chat", "sam", "-m", "tell me", "--remote-model", model]) == 1
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert "ended the reply before it was finished; the part that came is kept" in line
    assert captured.out.strip() and captured.out.strip() in server.replies[0]
    with open_model("sam") as db:
        last = db.execute(
            "SELECT content, stopped FROM conversation_messages ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert last == (captured.out.strip(), 1)


@pytest.mark.parametrize("fault", ["cut_stream_after", "end_stream_after"])
def test_a_stream_closed_before_any_text_does_not_blame_the_network(sam, server, capsys, fault):
    # The server answered (200) and closed the reply at once, broken or clean.
    setattr(server, fault, 1)  # only the chunk that names the role came
    assert main(["chat", "sam", "-m", "hi", "--remote-model", "gpt-4o-mini-2024-07-18"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{server.url} closed the reply before any text came: try again" in line
    assert "network" not in line and "cannot reach" not in line
    with open_model("sam") as db:
        assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


PASSWORD = "pa55word-Zq8"


def test_credentials_in_the_url_are_never_shown(sam, server, capsys, monkeypatch, home, tmp_path):
    """A server behind a proxy that asks for a user and password, written into
    OPENAI_BASE_URL: every message, event, log and saved file shows http://***@host."""
    server.basic_auth = ("sam", PASSWORD)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url.replace("http://", f"http://sam:{PASSWORD}@"))
    monkeypatch.delenv("OPENAI_API_KEY")
    masked = server.url.replace("http://", "http://***@")
    said = []

    def run(*argv: str) -> int:
        code = main(list(argv))
        captured = capsys.readouterr()
        said.append(captured.out + captured.err)
        return code

    assert run("train", "sam", "--backend", "openai", "--yes") == 0
    assert run("chat", "sam", "-m", "hi") == 0
    assert run("status", "sam") == 0 and run("status", "sam", "--json") == 0
    assert run("connect", "openai") == 0
    assert f"openai: {masked} ({masked})" in said[-1]
    with open_model("sam") as db:
        events = [e.message for _, e in jobs.read_events(db, _job().id)]
    assert any(f"at {masked}" in e for e in events)
    server.basic_auth = ("sam", "another")  # the password changed at the proxy
    assert run("chat", "sam", "-m", "hi") == 2
    assert f"{masked} refused the API key" in said[-1]
    server.stop()
    assert run("train", "sam", "--backend", "openai", "--yes") == 2
    assert f"cannot reach {masked}: is the network up?" in said[-1]
    assert PASSWORD not in "".join(said)
    _assert_key_absent(PASSWORD, home, tmp_path / "config")


@pytest.mark.parametrize(
    ("backend", "option", "url"),
    [
        ("openai", "--base-url", "not a url"),
        ("openai", "--base-url", "localhost:11434/v1"),
        ("azure", "--endpoint", "ftp://example.openai.azure.com"),
        ("azure", "--endpoint", "https://"),
    ],
)
def test_connect_refuses_what_is_not_a_url(server, capsys, tmp_path, backend, option, url):
    assert main(["connect", backend, option, url]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{url!r} is not the address of a server: write it as http(s)://HOST/" in line
    assert "nothing was saved" in line
    assert not (tmp_path / "config" / "connections.toml").exists()


def test_a_base_url_set_in_the_environment_that_is_not_one_is_named(
    sam, server, capsys, monkeypatch
):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://sam:secret@")
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("gpt-is-you: the base URL in OPENAI_BASE_URL: 'http://***@' is not")
    assert "secret" not in line and "connect openai --base-url URL" in line


# OpenAI's wind-down of self-serve fine-tuning: a refused job says why, and what instead.


def _refused_create(server, conn):
    """A job creation OpenAI (the fake) refuses with a 403, and the SDK's error for it."""
    import openai

    server.fail("POST", "/fine_tuning/jobs", 403, message="You have insufficient permissions.")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        conn.client(max_retries=0).fine_tuning.jobs.create(model="gpt-4.1-mini", training_file="x")
    return refused.value


@pytest.fixture
def at_openai(server, monkeypatch):
    """The fake server taken for OpenAI itself (its official URL)."""
    conn = connections.connection("openai")
    monkeypatch.setattr(openai_errors, "OPENAI_URL", conn.url.rstrip("/"))
    return conn


def test_a_job_openai_refuses_says_why_and_what_to_do_instead(sam, server, at_openai):
    from gpt_is_you.providers.openai.watch import Watcher

    server.fail("POST", "/fine_tuning/jobs", 403, message="You have insufficient permissions.")
    with server.lock:
        file_id = server._store_file("train.jsonl", "fine-tune", b"{}\n")["id"]
    model = find_model("sam")
    with model.db() as db:
        settings = {**RemoteSettings().to_json(), "suffix": "sam", "request": "token-1"}
        job_id = jobs.create_job(db, backend="openai", base_model="x", settings=settings)
        watcher = Watcher(db, jobs.read_job(db, job_id), at_openai, "sam", model.folder)
        with pytest.raises(ProviderError) as refused:
            watcher.create({remote.TRAINING_FILE: file_id})
    line = str(refused.value)
    # Which dates it names depends on today (the next test fixes the day).
    assert line.startswith("OpenAI ") and "2027-01-06" in line
    assert "`--backend together`" in line and "`--backend local`" in line
    assert "insufficient permissions" in line  # what OpenAI said, too
    assert "--backend" not in refused.value.app and "Together AI" in refused.value.app
    assert server.count("POST", "/fine_tuning/jobs") == 1 and not server.jobs  # not retried


@pytest.mark.parametrize("today", [date(2026, 12, 3), date(2027, 1, 5)])
def test_until_2027_01_06_openai_refuses_new_and_lapsed_organisations(server, at_openai, today):
    line = str(refused_job(_refused_create(server, at_openai), at_openai, today=today))
    assert line.startswith("OpenAI refused to start a fine-tuning job for this key's organisation")
    for said in ("no new organisations since 2026-05-07", "since 2026-07-02", "2027-01-06"):
        assert said in line
    assert "`--backend together`" in line and "`--backend local`" in line


@pytest.mark.parametrize("today", [date(2027, 1, 6), date(2027, 3, 1)])
def test_from_2027_01_06_no_one_can_start_a_job_at_openai(server, at_openai, today):
    line = str(refused_job(_refused_create(server, at_openai), at_openai, today=today))
    assert line.startswith("OpenAI starts no fine-tuning job for anyone since 2027-01-06")
    assert "retired on 2027-01-14" in line and "`--backend together`" in line


def test_elsewhere_a_refused_job_says_nothing_of_openais_rules(sam, server, capsys, backend):
    # A server at OPENAI_BASE_URL (the fake, not taken for OpenAI here), or a named
    # connection: what the service said, without OpenAI's dates.
    server.fail("GET", "/fine_tuning/jobs", 403, message="Fine-tuning is not enabled.")
    assert main(["train", "sam", "--backend", backend, "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "has no access to that on" in line and "Fine-tuning is not enabled." in line
    line = line.replace(server.url, "URL")  # its port might hold "2026"
    assert "2026" not in line and "2027" not in line and "existing users" not in line


def test_openai_refusing_before_anything_goes_says_why(sam, server, capsys, at_openai):
    server.fail("GET", "/fine_tuning/jobs", 403, message="You have insufficient permissions.")
    assert main(["train", "sam", "--backend", "openai", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("gpt-is-you: OpenAI ") and "2027-01-06" in line
    assert "`--backend together`" in line
    assert not [r for r in server.requests if r.method == "POST"]
