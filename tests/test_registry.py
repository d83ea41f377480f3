"""A backend added through the registry alone: trained and talked to from the command
line and from the app, with no line of either naming it; and the two storing the same
rows for the same exchange (one chat engine, ``ChatSession``)."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterator, Sequence

import pytest

from fake_chat import pieces
from fake_jobs import FakeTrainer
from gpt_is_you import providers
from gpt_is_you.cli import main
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import conversations, jobs
from gpt_is_you.store.models import open_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.chat import ChatScreen
from gpt_is_you.tui.screens.training import TrainingScreen
from pilot_helpers import until

MODEL = "Sam"
NAME = "echo"


class Echo:
    """A trained model that answers what it was told, in two bubbles."""

    def stream(self, messages: Sequence[dict[str, object]], sampling: Sampling) -> Iterator[str]:
        yield from pieces(f"yo\nyou said {messages[-1]['content']}")


class EchoBackend(FakeTrainer):
    """A whole backend in a few lines: the fake trainer's jobs, and a model that echoes."""

    def __init__(self, name: str) -> None:
        super().__init__(total_steps=10)
        self.name = name

    def chat_model(self, model, remote_model=None, notice=None):
        return Echo()


@pytest.fixture
def registered():
    providers.register(
        NAME, EchoBackend, label="echo: a test's", service="Echo", hint="echoes", remote=False
    )
    yield
    providers.unregister(NAME)


@pytest.fixture
def sam(sample_home, registered):
    return MODEL


def finish(model: str) -> None:
    """The job ends as a worker would end it."""
    with open_model(model) as db:
        jobs.set_state(db, jobs.read_job(db).id, jobs.SUCCEEDED)


def rows(model: str) -> list[list[tuple[str, str, bool]]]:
    """Every conversation's lines, oldest conversation first, without their times."""
    with open_model(model) as db:
        listed = sorted(conversations.list_conversations(db), key=lambda c: c.id)
        return [
            [(line.role, line.content, line.stopped) for line in conversations.lines(db, c.id)]
            for c in listed
        ]


EXCHANGE = ["hi there", "what now?"]
EXPECTED = [
    ("user", "hi there", False),
    ("assistant", "yo\nyou said hi there", False),
    ("user", "what now?", False),
    ("assistant", "yo\nyou said what now?", False),
]


def test_the_registry_names_the_backends_and_makes_a_new_one(registered):
    assert providers.names() == ("local", "openai", "azure", "together", NAME)
    assert providers.names(remote=True) == ("openai", "azure", "together")
    made = providers.get(NAME)
    assert isinstance(made, EchoBackend) and made.name == NAME and not made.remote
    with pytest.raises(ProviderError, match="unknown backend 'nowhere'"):
        providers.get("nowhere")


def test_the_command_line_trains_and_chats_with_a_registered_backend(sam, capsys, monkeypatch):
    assert main(["train", MODEL, "--backend", NAME, "--detach"]) == 0
    assert "training Sam (job 1)" in capsys.readouterr().out
    finish(MODEL)
    assert main(["status", MODEL]) == 0
    assert capsys.readouterr().out.startswith(f"{MODEL}: succeeded (job 1, {NAME}, base default)")

    typed = iter(EXCHANGE)
    monkeypatch.setattr(builtins, "input", lambda prompt="": _typed(typed))
    assert main(["chat", MODEL]) == 0
    assert "yo\n  you said what now?" in capsys.readouterr().out
    assert rows(MODEL) == [EXPECTED]


def _typed(lines: Iterator[str]) -> str:
    """The next line the user types; then Ctrl-D."""
    try:
        return next(lines)
    except StopIteration:
        raise EOFError from None


def test_the_app_trains_and_chats_with_a_registered_backend(sam):
    app = GptIsYouApp()  # no fakes given: the backends come from the registry

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            await until(pilot, lambda: isinstance(app.screen, TrainingScreen))
            screen = app.screen
            # The picker offers it, after the four of the app; its settings are local ones.
            await pilot.press("shift+tab", "enter", "down", "down", "down", "down", "enter")
            await until(pilot, lambda: screen.query_one("#backend").value == NAME)
            assert screen.query_one("#local-settings").display
            await pilot.press("ctrl+s")
            backend = app.provider(NAME)
            await until(pilot, lambda: backend.started)
            finish(MODEL)
            await until(
                pilot, lambda: "Press c to chat" in str(screen.query_one("#job-state").render())
            )
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, ChatScreen))
            for text in EXCHANGE:
                await pilot.press(*text, "enter")
                await app.workers.wait_for_complete()
                await pilot.pause()

    asyncio.run(scenario())
    assert rows(MODEL) == [EXPECTED]
    with open_model(MODEL) as db:
        assert jobs.read_job(db).backend == NAME


def test_the_command_line_and_the_app_store_the_same_rows(sam, capsys, monkeypatch):
    with open_model(MODEL) as db:
        job = jobs.create_job(db, backend=NAME, base_model="default", settings={})
        jobs.set_state(db, job, jobs.SUCCEEDED)
    typed = iter(EXCHANGE)
    monkeypatch.setattr(builtins, "input", lambda prompt="": _typed(typed))
    assert main(["chat", MODEL]) == 0
    assert main(["chat", MODEL, "-m", EXCHANGE[0]]) == 0

    app = GptIsYouApp()

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, ChatScreen))
            await pilot.press("ctrl+n")  # a new conversation, as the command line starts
            for text in EXCHANGE:
                await pilot.press(*text, "enter")
                await app.workers.wait_for_complete()
                await pilot.pause()

    asyncio.run(scenario())
    by_cli, asked_once, by_app = rows(MODEL)
    assert by_cli == by_app == EXPECTED
    assert asked_once == EXPECTED[:2]
