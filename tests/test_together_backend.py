"""The Together AI backend end to end: the CLI, the real together SDK, the watcher process
and the fake Together server on 127.0.0.1 (tests/fake_together.py), with the faults it
injects; and the adapter brought home, loaded into chat on this machine."""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from pathlib import Path

import pytest

from conftest import load_tiny, new_model
from fake_hub import FakeHub, go_offline, point_hub_at
from fake_together import FakeTogether
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.providers import service_errors
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.together import TogetherProvider, adapter, bases
from gpt_is_you.providers.together.watch import request_tag
from gpt_is_you.store import conversations, jobs, remote
from gpt_is_you.store.models import find_model, open_model

TINY = "fake/tiny-chat"  # a base the fake fine-tunes; the fake hub serves it as the tiny model


pytestmark = pytest.mark.usefixtures("stop_watchers")


@pytest.fixture
def adapter_dir(tmp_path) -> Path:
    """What the fake serves as the adapter when a test needs none that loads."""
    folder = tmp_path / "served-adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 8}')
    (folder / "adapter_model.safetensors").write_bytes(b"\0" * 4096)
    return folder


@pytest.fixture
def server(home, tmp_path, monkeypatch, adapter_dir):
    with FakeTogether(adapter_dir=adapter_dir) as fake:
        monkeypatch.setenv("TOGETHER_BASE_URL", fake.url)
        monkeypatch.setenv("TOGETHER_API_KEY", fake.api_key)
        monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.05")
        monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
        # No base is on this machine unless a test puts one in this cache.
        point_hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "hf")
        go_offline(monkeypatch)
        yield fake


@pytest.fixture
def sam(server):
    return new_model("sam")


def _job(name: str = "sam"):
    with open_model(name) as db:
        return jobs.read_job(db)


def _events(name: str = "sam") -> list:
    with open_model(name) as db:
        return [e for _, e in jobs.read_events(db, _job(name).id)]


def _until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _wait_for_the_service(name: str = "sam") -> None:
    _until(lambda: _job(name).remote_id is not None, "the job was not created")


def _watcher_done(name: str = "sam") -> None:
    """Until the job's watcher has ended (it fetches the adapter after the job ends)."""
    with open_model(name) as db:
        _until(lambda: jobs.watcher_gone(db, _job(name).id), "the watcher did not end")


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gpt-is-you: ") and "Traceback" not in err
    return lines[0]


def _assert_key_absent(key: str, folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_the_whole_life_cycle_on_together(sam, server, capsys, home):
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 0
    captured = capsys.readouterr()
    assert "to Together AI and fine-tune" in captured.err
    assert bases.BASES[0].name in captured.err  # Together's first base by default
    # No stored page confirmed its price: the billed tokens are told, the price is not.
    assert "price unknown (not confirmed since 2026-12-01) for 1 epoch (" in captured.err
    assert "sam is trained" in captured.out

    job = _job()
    assert job.state == jobs.SUCCEEDED and job.backend == "together"
    created = server.jobs[job.remote_id]
    assert created["model"] == bases.BASES[0].name
    assert created["training_type"]["type"] == "Lora"
    assert created["random_seed"] == 0
    assert created["validation_file"] and created["n_evals"] > 0
    # The request's token is in the suffix: what finds a job whose answer was lost.
    assert request_tag(job.settings["request"]) in created["suffix"]
    assert created["suffix"].startswith("sam-") and len(created["suffix"]) <= 40
    # What went up is the chat format, written privately in the job's folder first.
    sent = server.contents[created["training_file"]].decode()
    assert json.loads(sent.splitlines()[0])["messages"][-1]["role"] == "assistant"
    (written,) = (home / "models" / "sam" / "jobs" / str(job.id)).glob("*-training.jsonl")
    assert written.stat().st_mode & 0o777 == 0o600

    with open_model("sam") as db:
        metrics = jobs.read_metrics(db, job.id)
        kinds = {o.kind: o for o in remote.objects(db)}
    assert {jobs.TRAIN_LOSS, jobs.VALID_LOSS} <= set(metrics)
    assert len(metrics[jobs.TRAIN_LOSS]) == server.steps
    assert job.step == server.steps and job.total_steps == server.steps
    output = created["model_output_name"]
    assert kinds[remote.MODEL].remote_id == output
    assert kinds[remote.FINE_TUNE_JOB].remote_id == job.remote_id
    messages = [e.message for e in _events()]
    assert any(m.startswith("checkpoint at step") for m in messages)
    # The price no stored page gave: Together's own estimate, asked once it has the files.
    assert any(
        re.match(r"Together AI estimates this job at \$[\d.,]+ \([\d,]+ tokens\)$", m)
        for m in messages
    )
    assert f"trained: {output}" in messages

    # The adapter came home, in peft's place, privately.
    _watcher_done()
    home_adapter = adapter.folder(find_model("sam").folder, job.id)
    assert (home_adapter / "adapter_config.json").is_file()
    assert home_adapter.stat().st_mode & 0o777 == 0o700
    assert any(e.message.startswith("the adapter came: 2 files") for e in _events())

    # status names what is at the service.
    assert main(["status", "sam"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and f"model: {output}" in out and "fine tune job" in out

    # The base is not on this machine: chat goes to the service, with the tuned model.
    server.replies = ["yo\nsure thing"]
    assert main(["chat", "sam", "-m", "hey, you around?"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "yo\nsure thing\n"
    assert "at Together AI" in captured.err
    request = [r for r in server.requests if r.path.endswith("/chat/completions")][-1]
    assert json.loads(request.body)["model"] == output

    # rm --remote leaves nothing at the service.
    assert main(["rm", "sam", "--remote", "--yes"]) == 0
    assert server.leftovers() == {"files": [], "jobs": [], "models": []}
    assert not (home / "models" / "sam").exists()
    _assert_key_absent(server.api_key, home)


def test_a_refused_key_is_one_line_before_anything_goes(sam, server, capsys, monkeypatch):
    monkeypatch.setenv("TOGETHER_API_KEY", "tgp_v1_wrongkey9876543210")
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 2
    err = capsys.readouterr().err
    line = _one_line(err)
    assert "Together AI refused the API key" in line and "TOGETHER_API_KEY" in line
    assert "9876543210" not in err
    assert not server.files and not server.jobs and _job() is None


def test_rate_limits_and_server_errors_are_waited_out(sam, server, capsys, monkeypatch):
    monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.2")
    # Refused before anything was made: asked again (the SDK retries nothing here).
    server.fail("POST", "/fine-tunes", 429, times=2, retry_after=0.1)
    assert main(["train", "sam", "--backend", "together", "--yes", "--detach"]) == 0
    _wait_for_the_service()
    # More server errors than the SDK retries: the watcher notes them and asks again.
    server.fail("GET", f"/fine-tunes/{_job().remote_id}", 500, times=4)
    assert main(["status", "sam", "--follow"]) == 0
    assert _job().state == jobs.SUCCEEDED
    assert len(server.jobs) == 1
    (warning,) = [e.message for e in _events() if e.level == "warning"]
    assert "server error (500)" in warning and "asking again" in warning


def test_a_dropped_create_response_makes_exactly_one_job(sam, server, capsys):
    server.drop("POST", "/fine-tunes")
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 0
    assert len(server.jobs) == 1 and server.count("POST", "/fine-tunes") == 1
    assert _job().remote_id in server.jobs
    assert any("dropped while creating the job; it was created" in e.message for e in _events())


def test_a_stream_cut_mid_reply_keeps_the_part_that_came(sam, server, capsys):
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 0
    capsys.readouterr()
    server.replies = ["this reply is long enough to be cut in the middle of it"]
    server.cut_stream_after = 3
    assert main(["chat", "sam", "-m", "tell me"]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() and captured.out.strip() in server.replies[0]
    assert "broke during the reply" in captured.err
    with open_model("sam") as db:
        last = db.execute(
            "SELECT content, stopped FROM conversation_messages ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert len(conversations.list_conversations(db)) == 1
    assert last == (captured.out.strip(), 1)


def test_a_key_refused_mid_job_interrupts_it_and_resume_watches_it_again(sam, server, capsys):
    server.steps = 30
    assert main(["train", "sam", "--backend", "together", "--yes", "--detach"]) == 0
    _wait_for_the_service()
    right = server.api_key
    server.api_key = "tgp_v1_rotated-on-the-site"  # the key was revoked
    _until(lambda: _job().state == jobs.INTERRUPTED, "the job was not interrupted")
    job = _job()
    assert "refused the API key" in job.error and right not in job.error
    assert TogetherProvider("together").resume_kind(job) == "watch"
    server.api_key = right
    assert main(["train", "sam", "--resume"]) == 0
    assert _job().state == jobs.SUCCEEDED and len(server.jobs) == 1


def test_a_server_restarted_mid_job_is_watched_to_the_end(sam, server, capsys, monkeypatch):
    monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.2")
    server.steps = 20
    assert main(["train", "sam", "--backend", "together", "--yes", "--detach"]) == 0
    _wait_for_the_service()
    server.stop()  # down for a while, then back on the same port with its state
    _until(lambda: any(e.level == "warning" for e in _events()), "no warning was told")
    server.start()
    assert main(["status", "sam", "--follow"]) == 0
    assert _job().state == jobs.SUCCEEDED and len(server.jobs) == 1


def test_cancel_stops_the_job_at_together(sam, server, capsys, monkeypatch):
    monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.3")
    server.steps = 40
    assert main(["train", "sam", "--backend", "together", "--yes", "--detach"]) == 0
    _wait_for_the_service()
    assert main(["train", "sam", "--cancel"]) == 0
    _until(lambda: not _job().active, "the job did not end")
    job = _job()
    assert job.state == jobs.CANCELLED
    assert server.jobs[job.remote_id]["status"] == "cancelled"


def test_a_failed_job_says_why(sam, server, capsys):
    server.fail_job = True
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 1
    job = _job()
    assert job.state == jobs.FAILED
    assert job.error.startswith("Together AI: ") and "could not be read" in job.error


def test_delete_files_when_done_keeps_the_model(sam, server, capsys):
    assert main(["train", "sam", "--backend", "together", "--yes", "--delete-files"]) == 0
    assert server.leftovers()["files"] == []
    left = TogetherProvider("together").leftovers(find_model("sam"))
    assert left.files == () and len(left.models) == 1 and len(left.jobs) == 1


def test_a_broken_gzip_download_goes_on_from_where_it_stopped(sam, server, capsys):
    server.archive = "gz"
    server.cut_download_after = 100
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 0
    _watcher_done()
    assert adapter.is_home(find_model("sam").folder, _job().id)
    downloads = [r for r in server.requests if r.path.endswith("/finetune/download")]
    assert len(downloads) == 2 and downloads[1].headers.get("range") == "bytes=100-"


def test_an_adapter_that_does_not_come_leaves_the_job_succeeded(sam, server, capsys):
    server.fail("GET", "/finetune/download", 500, times=3)  # the SDK's request and 2 retries
    assert main(["train", "sam", "--backend", "together", "--yes"]) == 0
    _watcher_done()
    job = _job()
    assert job.state == jobs.SUCCEEDED and not adapter.is_home(find_model("sam").folder, job.id)
    (warning,) = [e.message for e in _events() if e.level == "warning"]
    assert "the adapter did not come" in warning and "tries again" in warning
    assert "server error (500)" in warning
    # train --resume fetches it now.
    assert main(["train", "sam", "--resume"]) == 0
    assert adapter.is_home(find_model("sam").folder, job.id)


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/absolute", "link"])
def test_an_archive_with_a_name_outside_or_a_link_unpacks_nothing(tmp_path, bad):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        config = tarfile.TarInfo("adapter_config.json")
        config.size = 2
        tar.addfile(config, io.BytesIO(b"{}"))
        odd = tarfile.TarInfo(bad)
        if bad == "link":
            odd.type, odd.linkname = tarfile.SYMTYPE, "/etc/passwd"
        else:
            odd.size = 1
        tar.addfile(odd, io.BytesIO(b"x") if bad != "link" else None)
    archive = tmp_path / "adapter.download"
    archive.write_bytes(raw.getvalue())
    target = tmp_path / "jobs" / "1" / "adapter"
    target.parent.mkdir(parents=True)
    with pytest.raises(ProviderError, match="not a plain file"):
        adapter.unpack(archive, target)
    assert not target.exists() and list(target.parent.iterdir()) == []
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("sdk_name, http_name", [("together", "httpx"), ("openai", "httpx2")])
def test_explain_reads_each_sdks_own_errors(sdk_name, http_name):
    """Both SDKs name their errors alike; each is explained with its own classes."""
    import importlib

    from gpt_is_you.providers.connection import Connection

    sdk, http = importlib.import_module(sdk_name), importlib.import_module(http_name)
    conn = Connection(
        "together", "https://api.together.ai", None, "TOGETHER_API_KEY", "k", "together"
    )
    request = http.Request("GET", "https://api.together.ai/v1/fine-tunes")
    refused = sdk.AuthenticationError("no", response=http.Response(401, request=request), body=None)
    assert service_errors.is_service_error(refused)
    assert "Together AI refused the API key" in str(service_errors.explain(refused, conn))
    assert not service_errors.is_service_error(ValueError("x"))


@pytest.fixture
def tiny_adapter(tmp_path, tiny_base) -> Path:
    """A tiny PEFT adapter for the tiny base, as Together would send one home."""
    from peft import LoraConfig, get_peft_model

    tuned = get_peft_model(load_tiny(tiny_base), LoraConfig(r=4, target_modules=["q_proj"]))
    folder = tmp_path / "tiny-adapter"
    tuned.save_pretrained(folder)
    return folder


def test_the_adapter_comes_home_and_chats_on_this_machine(
    home, tmp_path, monkeypatch, tiny_base, tiny_adapter, capsys
):
    with FakeHub() as hub, FakeTogether(adapter_dir=tiny_adapter) as fake:
        hub.add(TINY, tiny_base)
        point_hub_at(monkeypatch, hub.url, tmp_path / "hf")
        monkeypatch.setenv("TOGETHER_BASE_URL", fake.url)
        monkeypatch.setenv("TOGETHER_API_KEY", fake.api_key)
        monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.05")
        monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
        new_model("sam")
        assert main(["train", "sam", "--backend", "together", "--base", TINY, "--yes"]) == 0
        _watcher_done()
        job = _job()
        assert adapter.is_home(find_model("sam").folder, job.id)
        # The base from the hub, as any base is downloaded: then chat runs here.
        from gpt_is_you.providers.local import base_model

        base_model.resolve(TINY, download=True)
        capsys.readouterr()
        assert main(["chat", "sam", "-m", "hey", "--max-tokens", "4", "--seed", "1"]) == 0
        assert not [r for r in fake.requests if r.path.endswith("/chat/completions")]
        provider = TogetherProvider("together")
        chat = provider.chat_model(find_model("sam"))
        from gpt_is_you.providers.local.generate import LocalChat

        assert isinstance(chat, LocalChat)
        assert provider.chat_model(find_model("sam")) is chat  # loaded once, then kept


def test_an_estimate_counts_the_epochs_and_the_evaluations(monkeypatch):
    monkeypatch.setattr(bases, "BASES", (bases.TogetherBase("b/priced", "b/priced", 2.0),))
    cost = bases.estimate([100, 5000], "b/priced", limit=1000, epochs=None, eval_tokens=50)
    assert cost.epochs == bases.DEFAULT_EPOCHS == 1  # Together's default, not OpenAI's
    assert cost.billed_tokens == 1100 + 50 * bases.N_EVALS
    assert cost.cost_usd == pytest.approx(cost.billed_tokens * 2.0 / 1e6)
    assert cost.prices_as_of == bases.PRICES_AS_OF
    # A base not listed: no estimate at all; a listed one without a price: its tokens.
    assert bases.estimate([100], "other/base", limit=1000, epochs=2) is None
    monkeypatch.setattr(bases, "BASES", (bases.TogetherBase("b/unpriced", "b/unpriced", None),))
    unpriced = bases.estimate([100], "b/unpriced", limit=1000, epochs=2)
    assert unpriced.billed_tokens == 200 and unpriced.cost_usd is None
    assert unpriced.amount.startswith("price unknown")
