"""Downloading bases from the Hugging Face hub, against the fake hub of tests/fake_hub.py
on 127.0.0.1: nothing here touches the network."""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from conftest import new_model
from fake_hub import FakeHub, go_offline, point_hub_at
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model, download
from gpt_is_you.providers.local.download import Token, needed_files

REPO = "someone/tiny-chat"
GATED = "someone/tiny-gated"
TOKEN = "hf_fakeTokenThatMustNeverBeShown0123"
# What a real repository has besides what transformers needs: the weights in another
# format, a README, an ONNX export in a folder, a GGUF file.
EXTRA = {
    "pytorch_model.bin": b"\0" * 2048,
    "README.md": b"# tiny chat\n",
    "onnx/model.onnx": b"\0" * 512,
    "model.gguf": b"\0" * 256,
}


@pytest.fixture
def hub(tmp_path, monkeypatch, home, tiny_base):
    """The fake hub serving the tiny model as REPO and as GATED, huggingface_hub pointed
    at it with a Hugging Face home of the test's own."""
    with FakeHub() as server:
        server.add(REPO, tiny_base, extra=EXTRA)
        server.add(GATED, tiny_base, gated=True)
        point_hub_at(monkeypatch, server.url, tmp_path / "hf")
        yield server


def _files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}


def _model_files(tiny_base) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_base.iterdir() if p.is_file()}


def _failure(repo: str = REPO, **options) -> str:
    with pytest.raises(ProviderError) as caught:
        download.download(repo, **options)
    line = str(caught.value)
    assert "\n" not in line and TOKEN not in line
    return line


# What is fetched ------------------------------------------------------------------------


def test_what_transformers_needs_is_fetched_into_the_cache_with_progress(hub, tiny_base):
    seen: list[tuple[int, int]] = []
    folder = download.download(REPO, progress=lambda done, total: seen.append((done, total)))

    assert folder.is_relative_to(download.hub_cache() / "models--someone--tiny-chat")
    # Not the .bin beside the safetensors, nor the README, the ONNX or the GGUF file.
    assert _files(folder) == _model_files(tiny_base)
    total = sum(len(data) for data in _model_files(tiny_base).values())
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert [r.path.rsplit("/", 1)[1] for r in hub.fetched(REPO)][-1] == "config.json"


def test_a_second_download_fetches_nothing(hub):
    download.download(REPO)
    before = len(hub.fetched(REPO))
    seen = []
    download.download(REPO, progress=lambda done, total: seen.append((done, total)))
    assert len(hub.fetched(REPO)) == before
    assert seen == []


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        (  # safetensors where there are, in shards with their index
            [
                "config.json",
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json",
                "pytorch_model.bin",
                "tokenizer.json",
                "original/consolidated.00.pth",
                "consolidated.safetensors",  # Mistral's own format: transformers' twice
            ],
            [
                "config.json",
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json",
                "tokenizer.json",
            ],
        ),
        (  # PyTorch .bin only where there are no safetensors
            ["config.json", "pytorch_model.bin", "vocab.json", "merges.txt", "flax_model.msgpack"],
            ["config.json", "merges.txt", "pytorch_model.bin", "vocab.json"],
        ),
        (["config.json", "model.gguf", "README.md", "onnx/model.safetensors"], []),  # none
    ],
)
def test_only_the_files_transformers_loads_are_chosen(files, chosen):
    assert sorted(needed_files(dict.fromkeys(files, 1))) == chosen


# Resuming -------------------------------------------------------------------------------


def test_a_file_broken_off_midway_is_resumed_from_where_it_stopped(hub, tiny_base, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub keeps what it received a chunk at a time (10 MB): the tiny weights
    # need smaller chunks to be cut in the middle of one.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    weights = (tiny_base / "model.safetensors").read_bytes()
    cut = 4096 * 10 + 100
    hub.break_once[(REPO, "model.safetensors")] = cut

    folder = download.download(REPO)

    assert (folder / "model.safetensors").read_bytes() == weights
    asked = [r.range for r in hub.fetched(REPO) if r.path.endswith("/model.safetensors")]
    assert asked == [None, f"bytes={4096 * 10}-"]  # the second time, only the rest


def test_an_interrupted_download_keeps_what_it_fetched(hub, tiny_base):
    calls = []

    def interrupt(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:  # the first file is in, the second is coming: Ctrl-C
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download.download(REPO, progress=interrupt)
    first = [r.path for r in hub.fetched(REPO)]
    assert len(first) == 2
    assert base_model.resolve(REPO, convert=False).missing  # not whole: no config yet

    folder = download.download(REPO)
    again = [r.path for r in hub.fetched(REPO)][2:]
    assert first[0] not in again and first[1] in again
    assert _files(folder) == _model_files(tiny_base)


# Failures, each one line ------------------------------------------------------------------


def test_an_unreachable_hub(hub):
    hub.stop()
    line = _failure()
    assert "cannot reach the Hugging Face hub" in line and "--base PATH" in line


def test_offline_mode(hub, monkeypatch):
    go_offline(monkeypatch)
    line = _failure()
    assert "HF_HUB_OFFLINE is set" in line and "--base PATH" in line
    assert hub.requests == []


def test_a_model_that_does_not_exist(hub):
    assert _failure("someone/nothing-here") == (
        "no model someone/nothing-here on the Hugging Face hub: check its id (a private one "
        "needs a token: give a token: set HF_TOKEN, run `hf auth login`, or `gpt-is-you "
        "connect huggingface`)"
    )


def test_a_revision_that_does_not_exist(hub):
    assert "has no revision 'v9'" in _failure(revision="v9")


def test_a_gated_model_without_a_token_names_the_page_to_accept(hub):
    line = _failure(GATED)
    assert line.startswith(
        f"{GATED} is gated: accept its licence at https://huggingface.co/{GATED}"
    )
    assert "HF_TOKEN" in line and "gpt-is-you connect huggingface" in line
    assert hub.fetched(GATED) == []  # told before any file is asked for


def test_a_gated_model_whose_licence_the_account_has_not_accepted(hub, monkeypatch):
    hub.tokens[TOKEN] = set()
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    line = _failure(GATED)
    assert "token from HF_TOKEN has no access to someone/tiny-gated" in line
    assert f"accept its licence at https://huggingface.co/{GATED}" in line


def test_a_gated_model_with_an_accepted_licence_downloads(hub, monkeypatch, tiny_base):
    hub.tokens[TOKEN] = {GATED}
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    folder = download.download(GATED)
    assert _files(folder) == _model_files(tiny_base)
    assert {r.token for r in hub.requests} == {TOKEN}


def test_a_token_the_hub_does_not_know(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert _failure() == (
        "the Hugging Face hub refused the token from HF_TOKEN: check it, or save another "
        "with `gpt-is-you connect huggingface`"
    )


def test_not_enough_disk_space_is_told_before_anything_is_fetched(hub, monkeypatch):
    real = shutil.disk_usage
    monkeypatch.setattr(download.shutil, "disk_usage", lambda path: real(path)._replace(free=1000))
    line = _failure()
    assert line.startswith(f"not enough disk space for {REPO}: it needs 0.1 MB and ")
    assert "1.0 kB free" not in line and "0.0 MB free" in line and "HF_HOME" in line
    assert hub.fetched(REPO) == []


def test_a_disk_that_fills_up_while_downloading(hub):
    def full(done: int, total: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    line = _failure(progress=full)
    assert line.startswith("the disk is full: someone/tiny-chat did not fit in ")


# Tokens ---------------------------------------------------------------------------------


def test_the_token_comes_from_hf_token_then_the_login_then_connect(hub, monkeypatch, capsys):
    from huggingface_hub import constants

    assert download.find_token() is None
    monkeypatch.setattr("sys.stdin", _Stdin("hf_saved_by_connect\n"))
    assert main(["connect", "huggingface", "--key-stdin"]) == 0
    out = capsys.readouterr().out
    assert "hf_saved_by_connect" not in out and "token from " in out
    assert download.find_token().value == "hf_saved_by_connect"

    os.makedirs(os.path.dirname(constants.HF_TOKEN_PATH), exist_ok=True)
    with open(constants.HF_TOKEN_PATH, "w") as f:
        f.write("hf_from_the_login")
    assert download.find_token() == Token(
        "the Hugging Face login (hf auth login)", "hf_from_the_login"
    )
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert download.find_token() == Token("HF_TOKEN", TOKEN)
    assert TOKEN not in repr(download.find_token())

    assert main(["connect", "huggingface", "--forget"]) == 0
    monkeypatch.delenv("HF_TOKEN")
    os.remove(constants.HF_TOKEN_PATH)
    assert download.find_token() is None


def test_connect_huggingface_refuses_the_remote_options(home, capsys):
    assert main(["connect", "huggingface", "--base-url", "http://127.0.0.1:1/v1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "gpt-is-you: --base-url is for a remote service; huggingface takes a token"
    )


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def readline(self) -> str:
        return self.text

    def isatty(self) -> bool:
        return False


# The cache, offline -----------------------------------------------------------------------


def test_a_cached_base_resolves_offline_and_one_not_cached_must_be_downloaded(hub, monkeypatch):
    assert base_model.resolve(REPO, convert=False).missing
    with pytest.raises(ProviderError) as caught:
        base_model.resolve(REPO)  # the worker's call: it never downloads
    assert str(caught.value) == (
        f"{REPO} is not downloaded yet: `gpt-is-you train --base {REPO}` downloads it "
        "before training"
    )
    folder = download.download(REPO)

    hub.stop()
    go_offline(monkeypatch)
    for convert in (False, True):
        found = base_model.resolve(REPO, convert=convert)
        assert (found.source, found.hub_id, found.missing) == (str(folder), REPO, False)


def test_train_downloads_the_base_first_then_trains_on_it(hub, monkeypatch, capsys):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
    hub.tokens[TOKEN] = {GATED}
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    new_model("sam")
    options = ["--max-steps", "2", "--max-seq-len", "256", "--precision", "float32"]

    code = main(["train", "sam", "--base", GATED, *options])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"downloading {GATED} (" in captured.err  # no terminal: one line, then the job
    assert "sam is trained" in captured.out
    requests = len(hub.requests)
    assert base_model.resolve(GATED, convert=False).source != GATED
    # The worker found the base in the cache: every request was the command's.
    assert all(r.path.startswith((f"/api/models/{GATED}", f"/{GATED}/")) for r in hub.requests)
    assert len(hub.requests) == requests
    _assert_token_nowhere(captured.out + captured.err)


def _assert_token_nowhere(printed: str) -> None:
    from gpt_is_you import paths

    assert TOKEN not in printed
    for path in paths.data_dir().rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_train_with_a_gated_base_and_no_token_is_one_line(hub, monkeypatch, capsys):
    new_model("sam")
    assert main(["train", "sam", "--base", GATED]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"gpt-is-you: {GATED} is gated: accept its licence at ")
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model

    with open_model("sam") as db:
        assert jobs.read_job(db) is None  # nothing started


# The app's training screen ----------------------------------------------------------------


def test_the_training_screen_shows_the_download_before_the_job_starts(sample_home):
    """A backend whose fetch reports progress and waits for the test: the screen shows
    the download's bar while it runs, hides it, then starts the job."""
    import asyncio
    import threading

    from textual.widgets import ProgressBar

    from fake_jobs import FakeTrainer
    from gpt_is_you.tui.app import GptIsYouApp
    from gpt_is_you.tui.screens.training import TrainingScreen
    from pilot_helpers import until

    halfway, go_on = threading.Event(), threading.Event()

    class Downloading(FakeTrainer):
        def fetch(self, settings, progress=None) -> None:
            progress(0, 1000)
            progress(500, 1000)
            halfway.set()
            go_on.wait(10)
            progress(1000, 1000)

    trainer = Downloading()

    async def scenario() -> None:
        async with GptIsYouApp(providers={"local": trainer}).run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            await until(pilot, lambda: isinstance(pilot.app.screen, TrainingScreen))
            bar = pilot.app.screen.query_one("#base-download", ProgressBar)
            assert not bar.display
            await pilot.press("enter")
            await until(pilot, lambda: halfway.is_set() and bar.progress == 500)
            assert bar.display and bar.total == 1000 and not trainer.started
            go_on.set()
            await until(pilot, lambda: trainer.started)
            await until(pilot, lambda: not bar.display)

    asyncio.run(scenario())


def test_resuming_a_job_whose_base_left_the_cache_is_one_line(hub, capsys):
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import open_model

    new_model("sam")
    with open_model("sam") as db:
        job_id = jobs.create_job(db, backend="local", base_model=REPO, settings={"base": REPO})
        jobs.set_state(db, job_id, jobs.INTERRUPTED)
    assert main(["train", "sam", "--resume"]) == 2
    assert capsys.readouterr().err == (
        f"gpt-is-you: {REPO} is not downloaded yet: `gpt-is-you train --base {REPO}` "
        "downloads it before training\n"
    )
    with open_model("sam") as db:
        assert jobs.read_job(db).state == jobs.INTERRUPTED  # nothing started


def test_a_xet_download_counts_the_bytes_written_once():
    """The real hub serves most weights through Xet, which the fake cannot: the bar that
    huggingface_hub's Xet reporter is given counts each written byte once, whatever the
    bytes received say."""
    import logging
    from types import SimpleNamespace

    from huggingface_hub.utils._xet_progress_reporting import XetDownloadProgressReporter

    seen = []
    counter = download._Counter(1000, lambda done, total: seen.append((done, total)))
    reporter = XetDownloadProgressReporter(
        reconstruction_desc="model.safetensors",
        total=1000,
        log_level=logging.WARNING,
        tqdm_class=download._bar_class(counter),
    )
    for written, received in ((0, 300), (400, 600), (1000, 700)):
        reporter.update_progress(
            SimpleNamespace(
                total_bytes_completed=written,
                total_transfer_bytes_completed=received,
                total_bytes_completion_rate=1e6,
                total_transfer_bytes_completion_rate=1e6,
                total_bytes=1000,
            )
        )
    reporter.close()
    assert seen == [(400, 1000), (1000, 1000)]
