"""The app on the remote backends, driven with keys through Pilot against the fake OpenAI
server on 127.0.0.1 (tests/fake_openai.py): the real SDK, the real watcher process.

Training through the form (the API key asked when none is set, the upload confirmed, the
uploaded files deleted when it is done), deleting a model with what it left at the
service, chatting with the fine-tuned model, and the errors on the way.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual import events
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Select, Static

from fake_hub import go_offline, point_hub_at
from fake_openai import FakeOpenAI
from fake_together import FakeTogether
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.providers.openai import OpenAIProvider
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.providers.together import bases
from gpt_is_you.store import conversations, jobs
from gpt_is_you.store.models import find_model, list_models, open_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.chat import ChatInput, ChatScreen
from gpt_is_you.tui.screens.training import TrainingScreen
from gpt_is_you.tui.widgets.api_key import ApiKeyDialog
from gpt_is_you.tui.widgets.bubbles import MessageList, Turn
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, ErrorDialog
from pilot_helpers import until

SIZE = (120, 40)
MODEL = "Sam"
OPENAI, AZURE, TOGETHER = 1, 2, 3  # places in the backend list
CONNECTION = "gpt_is_you.providers.connection"


pytestmark = pytest.mark.usefixtures("stop_watchers")


@pytest.fixture
def server(sample_home, monkeypatch):
    """The fake server, a copy of the sample's model, and the environment the watcher
    inherits."""
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", fake.api_key)
        monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.05")
        for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
        monkeypatch.setattr(TrainingScreen, "POLL_SECONDS", 0.25)
        yield fake


@pytest.fixture
def trained(server) -> str:
    """The model fine-tuned at the fake (through the CLI), its watcher done."""
    assert main(["train", MODEL, "--backend", "openai", "--yes"]) == 0
    deadline = time.monotonic() + 10
    with open_model(MODEL) as db:
        while not jobs.watcher_gone(db, latest_job().id):
            assert time.monotonic() < deadline, "the watcher did not end"
            time.sleep(0.02)
    return MODEL


def latest_job():
    with open_model(MODEL) as db:
        return jobs.read_job(db)


def fine_tune_files(server: FakeOpenAI) -> list[str]:
    with server.lock:
        return [i for i, f in server.files.items() if f["purpose"].startswith("fine-tune")]


def run(app: GptIsYouApp, scenario: Callable) -> None:
    async def go() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await scenario(pilot)

    asyncio.run(go())


async def dialog_up(pilot, kind: type[Screen]) -> None:
    """Wait until a dialog of ``kind`` is up and its text is in place (a dialog becomes
    the screen a moment before its contents are composed)."""
    await until(pilot, lambda: isinstance(pilot.app.screen, kind) and body(pilot))


def body(pilot) -> str:
    return "\n".join(str(s.render()) for s in pilot.app.screen.query(".dialog-body"))


async def paste(pilot, text: str) -> None:
    """Paste into the focused field, as a user pastes a key (typed, it is slow in Pilot)."""
    pilot.app.focused.post_message(events.Paste(text))
    await pilot.pause()


async def open_training(pilot, backend: int | None = None) -> TrainingScreen:
    """From the models list, t; then the backend chosen from its list, with keys."""
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TrainingScreen))
    screen = pilot.app.screen
    if backend is not None:
        await pilot.press("shift+tab", "enter", *["down"] * backend, "enter")
        await until(pilot, lambda: screen.query_one("#remote-settings").display)
    return screen


def test_training_on_openai_asks_the_key_confirms_the_upload_and_cleans_up(server, monkeypatch):
    # As against api.openai.com: without OPENAI_API_KEY there is no key (a server of one's
    # own at OPENAI_BASE_URL may take none, so the real check says there is one).
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setattr(f"{CONNECTION}.has_key", lambda backend: "OPENAI_API_KEY" in os.environ)
    expected_plan: list[str] = []

    async def scenario(pilot) -> None:
        screen = await open_training(pilot, OPENAI)
        assert not screen.query_one("#local-settings").display
        assert screen.query_one("#remote-base", Select).value == "gpt-4.1-mini-2025-04-14"
        await pilot.press("tab", "tab", "tab", "3")  # epochs
        await pilot.press("ctrl+s")

        # No key: the dialog asks for it, hidden as it is typed.
        await until(pilot, lambda: isinstance(pilot.app.screen, ApiKeyDialog))
        field = pilot.app.screen.query_one("#api-key", Input)
        assert field.password and pilot.app.focused is field
        await paste(pilot, server.api_key)
        assert field.value == server.api_key
        assert server.api_key not in str(field.render())
        await pilot.press("tab", "down", "enter")  # keep it: this session only
        await pilot.click("#confirm")

        # What is sent, and what it costs, before anything leaves.
        await dialog_up(pilot, ConfirmDialog)
        assert os.environ["OPENAI_API_KEY"] == server.api_key
        assert not (Path(os.environ["GPT_IS_YOU_CONFIG"]) / "connections.toml").exists()
        shown = body(pilot)
        expected_plan.append(
            OpenAIProvider("openai").plan(find_model(MODEL), RemoteSettings(epochs=3)).describe()
        )
        assert shown == expected_plan[0]
        assert re.search(r"Upload \d[\d,]* training and \d[\d,]* validation examples", shown)
        assert re.search(r"price unknown \(not confirmed since [\d-]+\) for 3 epochs", shown)
        assert fine_tune_files(server) == []
        await pilot.press("tab", "enter")  # Send (Cancel has the focus)

        await until(pilot, lambda: latest_job() and latest_job().state == jobs.SUCCEEDED, 20)
        await until(pilot, lambda: "trained" in str(screen.query_one("#job-state").render()))

        # Once its watcher is done, deleting the uploaded files is offered.
        await dialog_up(pilot, ConfirmDialog)
        assert "Delete the uploaded files at OpenAI now?" in str(
            pilot.app.screen.query_one(".dialog-title", Static).render()
        )
        uploaded = fine_tune_files(server)
        assert uploaded and all(file_id in body(pilot) for file_id in uploaded[:2])
        await pilot.press("tab", "enter")  # "Delete them" (Cancel has the focus)
        await until(pilot, lambda: not fine_tune_files(server))
        await until(pilot, lambda: not OpenAIProvider("openai").leftovers(find_model(MODEL)).files)

    run(GptIsYouApp(), scenario)
    job = latest_job()
    assert job.backend == "openai" and job.settings["epochs"] == 3
    assert server.jobs[job.remote_id]["hyperparameters"]["n_epochs"] == 3
    assert (
        OpenAIProvider("openai").leftovers(find_model(MODEL)).models
    )  # the fine-tuned model stays
    # The key went nowhere but the environment.
    for path in Path(os.environ["GPT_IS_YOU_HOME"]).rglob("*"):
        if path.is_file():
            assert server.api_key.encode() not in path.read_bytes(), path


def test_the_form_offers_together_with_its_bases_and_starts_a_job_there(
    sample_home, monkeypatch, tmp_path
):
    with FakeTogether(adapter_dir=tmp_path) as fake:
        monkeypatch.setenv("TOGETHER_BASE_URL", fake.url)
        monkeypatch.setenv("TOGETHER_API_KEY", fake.api_key)
        monkeypatch.setenv("GPT_IS_YOU_POLL_SECONDS", "0.05")
        monkeypatch.setattr(TrainingScreen, "POLL_SECONDS", 0.25)
        point_hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "hf")
        go_offline(monkeypatch)

        async def scenario(pilot) -> None:
            screen = await open_training(pilot, OPENAI)
            # OpenAI's bases, then Together's when it is chosen, its default first.
            assert screen.query_one("#remote-base", Select).value == "gpt-4.1-mini-2025-04-14"
            screen.query_one("#backend").focus()
            await pilot.press("enter", "down", "down", "enter")
            await until(pilot, lambda: screen.query_one("#backend").value == "together")
            picked = screen.query_one("#remote-base", Select)
            assert picked.value == bases.BASES[0].name
            assert [value for _, value in picked._options if value] == list(bases.names())
            assert "Send to Together AI" in str(screen.query_one("#start").label)
            await pilot.press("ctrl+s")
            await dialog_up(pilot, ConfirmDialog)
            assert "to Together AI and fine-tune " + bases.BASES[0].name in body(pilot)
            assert not fake.files  # nothing left before the user said so
            await pilot.press("tab", "enter")  # Send (Cancel has the focus)
            await until(pilot, lambda: latest_job() and latest_job().state == jobs.SUCCEEDED, 20)

        run(GptIsYouApp(), scenario)
        job = latest_job()
        assert job.backend == "together" and job.base_model == bases.BASES[0].name
        assert list(fake.jobs) == [job.remote_id]


def test_azure_asks_the_endpoint_too_and_cancel_sends_nothing(server):
    async def scenario(pilot) -> None:
        await open_training(pilot, AZURE)
        await pilot.press("enter")  # in the base model's list: Enter starts too
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, ApiKeyDialog))
        dialog = pilot.app.screen
        await paste(pilot, server.api_key)
        await pilot.press("enter")  # no endpoint yet: it says so
        assert "endpoint" in str(dialog.query_one("#api-endpoint-problem").render())
        assert pilot.app.focused is dialog.query_one("#api-endpoint", Input)
        await paste(pilot, server.azure_endpoint)
        await pilot.press("tab", "tab", "down", "enter")  # this session only
        await pilot.click("#confirm")
        await dialog_up(pilot, ConfirmDialog)
        assert "Azure OpenAI" in body(pilot)
        await pilot.press("enter")  # Cancel
        await until(pilot, lambda: isinstance(pilot.app.screen, TrainingScreen))
        assert not pilot.app.screen.query_one("#start").disabled

    run(GptIsYouApp(), scenario)
    assert os.environ["AZURE_OPENAI_API_KEY"] == server.api_key
    assert os.environ["AZURE_OPENAI_ENDPOINT"] == server.azure_endpoint
    assert server.count("GET", "/fine_tuning/jobs") == 1  # the access check, through Azure
    assert any(r.path.startswith("/openai/") for r in server.requests)
    assert not server.files and latest_job() is None


def test_a_refused_key_is_one_dialog_and_nothing_is_sent(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-9876543210")

    async def scenario(pilot) -> None:
        await open_training(pilot, OPENAI)
        await pilot.press("ctrl+s")
        await dialog_up(pilot, ErrorDialog)
        said = body(pilot)
        assert "refused the API key" in said and "OPENAI_API_KEY" in said
        assert "9876543210" not in said and "Traceback" not in said
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, TrainingScreen)
        assert not pilot.app.screen.query_one("#start").disabled  # ready to try again

    run(GptIsYouApp(), scenario)
    assert not server.files and latest_job() is None


def test_a_bad_remote_setting_is_named_by_its_field(server):
    async def scenario(pilot) -> None:
        screen = await open_training(pilot, OPENAI)
        await pilot.press("tab", "tab", "tab", "tab", "9", "9", "9", "enter")  # batch size 999
        await pilot.pause()
        assert str(screen.query_one("#remote-batch-size-hint").render()) == (
            "Batch size must be a whole number between 1 and 256 (got 999)"
        )
        assert pilot.app.focused.id == "remote-batch-size"
        assert isinstance(pilot.app.screen, TrainingScreen)

    run(GptIsYouApp(), scenario)
    assert not server.requests


def start_then_kill_the_watcher(server, settings: RemoteSettings | None = None) -> jobs.Job:
    """A job created at the service whose watcher is then killed, as by a restart."""
    server.steps = 30
    OpenAIProvider("openai").start(find_model(MODEL), settings or RemoteSettings())
    deadline = time.monotonic() + 10
    while latest_job().remote_id is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    job = latest_job()
    os.kill(job.pid, signal.SIGKILL)
    return job


def test_the_training_screen_watches_a_job_whose_watcher_died(server):
    start_then_kill_the_watcher(server)

    async def scenario(pilot) -> None:
        screen = await open_training(pilot)
        await until(pilot, lambda: latest_job().state == jobs.SUCCEEDED, 20)
        await until(pilot, lambda: "trained" in str(screen.query_one("#job-state").render()))
        log = "\n".join(line.text for line in screen.query_one("#job-events").lines)
        assert "watching the job again" in log

    run(GptIsYouApp(), scenario)
    assert len(server.jobs) == 1


def test_the_models_list_watches_a_job_whose_watcher_died(server):
    start_then_kill_the_watcher(server)

    async def scenario(pilot) -> None:
        # Only the list is open: it starts a new watcher, and the job ends.
        await until(pilot, lambda: latest_job().state == jobs.SUCCEEDED, 20)
        await until(pilot, lambda: list_models()[0].state == jobs.SUCCEEDED)

    run(GptIsYouApp(), scenario)
    assert len(server.jobs) == 1


def test_an_interrupted_remote_job_is_watched_again_with_r_then_a_new_run(server):
    job = start_then_kill_the_watcher(server, RemoteSettings(epochs=2))
    with open_model(MODEL) as db:  # as the watcher records losing the service
        jobs.set_state(db, job.id, jobs.INTERRUPTED, error="cannot reach the service")

    async def scenario(pilot) -> None:
        screen = await open_training(pilot)
        state = screen.query_one("#job-state")
        assert "Press r to watch the job again" in str(state.render())
        await pilot.press("r")
        await until(pilot, lambda: "trained" in str(state.render()), 20)
        await dialog_up(pilot, ConfirmDialog)
        await pilot.press("escape")  # the files: not now
        assert pilot.app.screen is screen
        await pilot.press("n")
        await until(pilot, lambda: screen.query_one("#setup").display)
        assert screen.query_one("#backend", Select).value == "openai"
        assert screen.query_one("#remote-settings").display
        assert screen.query_one("#remote-epochs", Input).value == "2"

    run(GptIsYouApp(), scenario)
    assert len(server.jobs) == 1


def test_deleting_a_model_deletes_what_it_left_at_openai(trained, server):
    fine_tuned = OpenAIProvider("openai").leftovers(find_model(MODEL)).models[0]

    async def scenario(pilot) -> None:
        await pilot.press("delete")
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert fine_tuned in body(pilot)
        check = dialog.query_one("#confirm-check", Checkbox)
        assert check.value and "also delete them at OpenAI" in str(check.label)
        await pilot.press("tab", "enter")  # Delete (Cancel has the focus)
        await until(pilot, lambda: not list_models())

    run(GptIsYouApp(), scenario)
    assert fine_tuned not in server.models
    assert not fine_tune_files(server)


def test_a_failed_remote_delete_is_a_dialog_and_keeps_the_model(trained, server):
    server.fail("DELETE", "/models", 500, times=10)

    async def scenario(pilot) -> None:
        await pilot.press("delete", "tab", "enter")
        await dialog_up(pilot, ErrorDialog)
        assert "server error" in body(pilot)

    run(GptIsYouApp(), scenario)
    assert [m.name for m in list_models()] == [MODEL]
    assert OpenAIProvider("openai").leftovers(find_model(MODEL)).models


class ChatApp(GptIsYouApp):
    """The app with the chat of MODEL open over an empty screen; it keeps what it
    notified."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []

    def notify(self, message: str, **options) -> None:
        self.notes.append(message)
        super().notify(message, **options)

    def get_default_screen(self) -> Screen:
        return Screen()

    def on_mount(self) -> None:
        super().on_mount()
        self.push_screen(ChatScreen(MODEL, clock=lambda: datetime(2024, 1, 13, 9, 0)))


def turns(app) -> list[tuple[bool, list[str], bool]]:
    """Each turn: mine or not, its bubbles' texts, and whether it is marked stopped."""
    return [
        (
            turn.mine,
            [b.text for b in turn.bubbles],
            bool(turn.bubbles) and str(turn.bubbles[-1].render()).endswith("(stopped)"),
        )
        for turn in app.screen.query_one(MessageList).query(Turn)
    ]


def last_stored() -> tuple[str, bool]:
    with open_model(MODEL) as db:
        (conversation,) = conversations.list_conversations(db)
        line = conversations.lines(db, conversation.id)[-1]
    return line.content, line.stopped


def test_the_fine_tuned_model_replies_after_it_has_loaded(trained, server):
    server.replies = ["yo\nsure thing"]
    server.model_not_found_times = 2  # a model minutes old is not served yet
    fine_tuned = OpenAIProvider("openai").leftovers(find_model(MODEL)).models[0]

    async def scenario(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await until(pilot, lambda: isinstance(app.focused, ChatInput))
        await pilot.press(*"hey you", "enter")
        await until(pilot, lambda: turns(app)[-1][1] == ["yo", "sure thing"])
        await app.workers.wait_for_complete()
        assert len([n for n in app.notes if "not ready" in n]) == 1  # said once, asked twice

    run(ChatApp(), scenario)
    assert last_stored() == ("yo\nsure thing", False)
    chat = [r for r in server.requests if r.path.endswith("/chat/completions")][-1]
    assert chat.json()["model"] == fine_tuned


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("cut_stream_after", "broke during the reply"),
        ("end_stream_after", "ended the reply before it was finished"),  # no finish reason
    ],
)
def test_a_reply_cut_mid_stream_is_kept_and_marked(trained, server, fault, said):
    server.replies = ["this reply is long enough to be cut in the middle of it"]
    setattr(server, fault, 3)

    async def scenario(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: isinstance(app.focused, ChatInput))
        await pilot.press(*"tell me", "enter")
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        assert said in body(pilot) and "Traceback" not in body(pilot)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        mine, shown, stopped = turns(app)[-1]
        assert not mine and stopped
        assert shown and " ".join(shown) in server.replies[0]

    run(ChatApp(), scenario)
    content, stopped = last_stored()
    assert stopped and content and content in server.replies[0]
