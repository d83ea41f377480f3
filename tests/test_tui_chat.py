"""The chat screen, driven with keys through Pilot, with a scripted backend.

The model is the bundled sample chat's Sam; a succeeded job row makes it trained. The
screen's clock is fixed, so that what is drawn does not depend on the day.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual import events
from textual.screen import Screen

from conftest import add_job
from fake_chat import ScriptedChat
from gpt_is_you.chat_session import SAMPLING, kept_sampling
from gpt_is_you.cli import main
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local.merged import PREPARING
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import conversations, jobs
from gpt_is_you.store.conversations import READY_PROMPTS, ChatLine
from gpt_is_you.store.models import open_model, write_setting
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.chat import ChatInput, ChatScreen
from gpt_is_you.tui.widgets.bubbles import MessageList, Turn
from gpt_is_you.tui.widgets.dialogs import ErrorDialog
from gpt_is_you.tui.widgets.sampling import SamplingDialog
from pilot_helpers import dialog_text, until

SIZE = (110, 34)
MODEL = "Sam"
NINE = datetime(2024, 1, 13, 9, 0)


class ChatApp(GptIsYouApp):
    """The app with the chat of MODEL open over an empty screen, at a fixed time."""

    def __init__(self, provider: ScriptedChat) -> None:
        super().__init__(providers={"local": provider})
        self.trainings: list[str] = []

    def get_default_screen(self) -> Screen:
        return Screen()  # where Esc goes back to; quicker to start than the models

    def on_mount(self) -> None:
        super().on_mount()
        self.push_screen(ChatScreen(MODEL, clock=lambda: NINE))

    def open_training(self, model: str, *, replace: bool = False) -> None:
        self.trainings.append(model)


@pytest.fixture
def trained(sample_home: Path) -> Path:
    add_job(MODEL, jobs.SUCCEEDED)
    return sample_home


def run(app: ChatApp, scenario: Callable) -> None:
    async def go() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ChatScreen))
            await scenario(pilot)

    asyncio.run(go())


async def send(pilot, text: str) -> None:
    await pilot.press(*text, "enter")


async def replied(pilot) -> None:
    """Wait until the reply has been written and stored."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def turns(app) -> list[tuple[bool, list[str]]]:
    return [
        (turn.mine, [b.text for b in turn.bubbles])
        for turn in app.screen.query_one(MessageList).query(Turn)
    ]


def stored() -> list[list[ChatLine]]:
    with open_model(MODEL) as db:
        listed = conversations.list_conversations(db)
        return [conversations.lines(db, c.id) for c in reversed(listed)]


def test_a_message_gets_the_reply_streamed_into_separate_bubbles(trained):
    provider = ScriptedChat(["yo\nsure"])
    app = ChatApp(provider)

    async def scenario(pilot):
        banner = str(app.screen.query_one("#chat-banner").render())
        assert "model trained on Sam Okafor's messages" in banner
        await send(pilot, "hey you")
        await replied(pilot)
        assert turns(app) == [(True, ["hey you"]), (False, ["yo", "sure"])]
        headers = [str(h.render()) for h in app.screen.query(".turn-header")]
        assert headers == ["You · 09:00", "Sam Okafor (model) · 09:00"]
        assert app.screen.query_one(ChatInput).text == ""
        assert app.screen.query_one("#chat-conversations").option_count == 1

    run(app, scenario)
    model, messages, _ = provider.calls[0]
    assert model == MODEL
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == "hey you"
    assert stored() == [
        [
            ChatLine("user", "hey you", "2024-01-13T09:00:00"),
            ChatLine("assistant", "yo\nsure", "2024-01-13T09:00:00"),
        ]
    ]


def test_a_new_line_in_the_message_is_a_bubble_of_its_own(trained):
    app = ChatApp(ScriptedChat(["ok"]))

    async def scenario(pilot):
        await pilot.press(*"one", "ctrl+j", *"two", "enter")
        await replied(pilot)
        assert turns(app)[0] == (True, ["one", "two"])

    run(app, scenario)
    assert stored()[0][0].content == "one\ntwo"


def test_keys_in_a_burst_send_the_whole_message(trained):
    """A terminal can hand over several keys at once (fast typing, a busy moment): Enter
    at the end of them sends all the letters before it."""
    app = ChatApp(ScriptedChat(["ok"]))

    async def scenario(pilot):
        for key, character in (("h", "h"), ("i", "i"), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await until(pilot, lambda: len(turns(app)) == 2)
        await replied(pilot)

    run(app, scenario)
    assert stored()[0][0].content == "hi"


def test_a_long_conversation_opens_at_its_end_and_shows_earlier_messages_at_the_top(trained):
    with open_model(MODEL) as db:
        chat = conversations.start(db, "long", None, time="2024-01-12T08:00:00")
        for i in range(12):
            stamp = f"2024-01-12T08:{i:02d}:00"
            conversations.add(db, chat, "user", f"question {i}", time=stamp)
            conversations.add(db, chat, "assistant", f"answer {i}", time=stamp)
    app = ChatApp(ScriptedChat())

    async def scenario(pilot):
        window = MessageList.WINDOW
        assert len(turns(app)) == window
        assert turns(app)[-1] == (False, ["answer 11"])
        earlier = str(app.screen.query_one("#earlier").render())
        assert earlier.startswith(f"↑ {24 - window} earlier messages")
        await pilot.press("shift+tab", "home")  # to the messages, then their top
        await until(pilot, lambda: len(turns(app)) == 24)
        assert turns(app)[0] == (True, ["question 0"])
        assert not app.screen.query("#earlier")

    run(app, scenario)


def waiting_line(app) -> str:
    return str(app.screen.query_one(".typing").render())


def test_the_reply_says_it_is_being_written_until_its_first_words(trained):
    provider = ScriptedChat(["yo"], hold_after=0)
    app = ChatApp(provider)

    async def scenario(pilot):
        await send(pilot, "hi")
        await until(pilot, lambda: app.screen.query(".typing"))
        await until(pilot, lambda: waiting_line(app) == "writing…")
        assert turns(app) == [(True, ["hi"]), (False, [])]
        provider.release.set()
        await replied(pilot)
        assert not app.screen.query(".typing")
        assert turns(app)[-1] == (False, ["yo"])

    run(app, scenario)


class Loading(ScriptedChat):
    """A local backend that loads its model (preparing it for chat first, once) until the
    test sets ``loaded``."""

    def __init__(self, *, prepare: bool) -> None:
        super().__init__(["yo"])
        self.prepare = prepare
        self.loaded = threading.Event()

    def chat(self, model, messages, sampling, *, notice=None, remote_model=None):
        if self.prepare:
            notice(PREPARING)
        self.loaded.wait(10)
        return super().chat(model, messages, sampling)


@pytest.mark.parametrize(
    ("prepare", "said"), [(False, "loading the model…"), (True, PREPARING)], ids=["load", "prepare"]
)
def test_the_reply_says_the_model_is_loading_or_prepared_once_then_written(trained, prepare, said):
    provider = Loading(prepare=prepare)
    app = ChatApp(provider)

    async def scenario(pilot):
        await send(pilot, "hi")
        await until(pilot, lambda: app.screen.query(".typing") and waiting_line(app) == said)
        provider.loaded.set()
        await replied(pilot)
        assert not app.screen.query(".typing")
        assert turns(app)[-1] == (False, ["yo"])

    run(app, scenario)


def test_escape_stops_the_reply_and_keeps_what_it_wrote(trained):
    provider = ScriptedChat(["one two three\nfour five"], hold_after=2)
    app = ChatApp(provider)

    async def scenario(pilot):
        await send(pilot, "go")
        await until(pilot, lambda: turns(app)[-1] == (False, ["one two"]))
        await pilot.press("escape")
        provider.release.set()
        await replied(pilot)
        assert isinstance(app.screen, ChatScreen)  # Esc stopped the reply, not the chat
        assert turns(app)[-1] == (False, ["one two"])
        bubble = app.screen.query(".bubble").last()
        assert str(bubble.render()) == "one two (stopped)"
        # Nothing is being written now: Esc goes back.
        await pilot.press("escape")
        assert not isinstance(app.screen, ChatScreen)

    run(app, scenario)
    assert stored()[0][-1] == ChatLine("assistant", "one two", "2024-01-13T09:00:00", True)


def test_a_reply_stopped_while_the_model_loads_keeps_its_place(trained):
    provider = ScriptedChat(["late words", "ok"], hold_after=0)
    app = ChatApp(provider)

    async def scenario(pilot):
        await send(pilot, "hi")
        await until(pilot, lambda: app.screen.query(".typing"))
        await pilot.press("escape")
        await send(pilot, "hm")  # while the first reply's backend is still busy
        provider.release.set()
        await replied(pilot)
        assert turns(app) == [(True, ["hi"]), (False, [""]), (True, ["hm"]), (False, ["ok"])]
        assert str(app.screen.query(".bubble")[1].render()) == " (stopped)"

    run(app, scenario)
    assert [(line.content, line.stopped) for line in stored()[0]] == [
        ("hi", False),
        ("", True),
        ("hm", False),
        ("ok", False),
    ]


def test_a_failing_backend_says_why_and_the_chat_goes_on(trained):
    class Failing(ScriptedChat):
        def chat(self, model, messages, sampling, **options):
            raise ProviderError("the base model is missing; train again")

    app = ChatApp(Failing())

    async def scenario(pilot):
        await send(pilot, "hi")
        assert "the base model is missing" in await dialog_text(pilot, ErrorDialog)
        await pilot.press("escape")
        assert turns(app) == [(True, ["hi"])]  # no empty reply left behind
        assert app.screen.query_one(ChatInput).has_focus

    run(app, scenario)
    assert [line.content for line in stored()[0]] == ["hi"]


def test_regenerate_writes_the_last_reply_again(trained):
    provider = ScriptedChat(["first\nreply", "second"])
    app = ChatApp(provider)

    async def scenario(pilot):
        await send(pilot, "hi")
        await replied(pilot)
        await pilot.press("ctrl+r")
        await replied(pilot)
        assert turns(app) == [(True, ["hi"]), (False, ["second"])]

    run(app, scenario)
    assert provider.calls[1][1] == provider.calls[0][1]  # asked the same, without the old reply
    assert [(line.role, line.content) for line in stored()[0]] == [
        ("user", "hi"),
        ("assistant", "second"),
    ]


def test_a_ready_prompt_goes_into_the_message(trained):
    app = ChatApp(ScriptedChat())

    async def scenario(pilot):
        await pilot.press("ctrl+l", "down", "enter")
        chat_input = app.screen.query_one(ChatInput)
        assert chat_input.text == READY_PROMPTS[1].text
        assert chat_input.has_focus
        assert READY_PROMPTS[0].text.startswith("Describe the personality of the person who wrote")

    run(app, scenario)


def test_a_new_conversation_and_back_to_the_first(trained):
    app = ChatApp(ScriptedChat(["yo\nsure", "nah"]))

    async def scenario(pilot):
        await send(pilot, "one")
        await replied(pilot)
        await pilot.press("ctrl+n")
        assert turns(app) == []
        await send(pilot, "two")
        await replied(pilot)
        assert turns(app) == [(True, ["two"]), (False, ["nah"])]
        listed = app.screen.query_one("#chat-conversations")
        assert listed.option_count == 2
        # The list is beside the prompts: to the prompts, one back, the older one down.
        await pilot.press("ctrl+l", "shift+tab", "down", "enter")
        assert turns(app) == [(True, ["one"]), (False, ["yo", "sure"])]
        await send(pilot, "more")
        await replied(pilot)

    run(app, scenario)
    first, second = stored()
    assert [line.content for line in first] == ["one", "yo\nsure", "more", "yo\nsure"]
    assert [line.content for line in second] == ["two", "nah"]


def test_copy_takes_the_last_reply_or_the_picked_bubble(trained):
    app = ChatApp(ScriptedChat(["yo\nsure"]))

    async def scenario(pilot):
        await send(pilot, "hi")
        await replied(pilot)
        await pilot.press("ctrl+o")
        assert app.clipboard == "yo\nsure"
        assert any(n.title == "Copied to the clipboard" for n in app._notifications)
        await pilot.press("shift+tab", "up", "up")  # to the messages; pick "yo"
        await pilot.press("ctrl+o")
        assert app.clipboard == "yo"

    run(app, scenario)


def test_export_writes_the_conversation_as_markdown(trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ChatApp(ScriptedChat(["yo\nsure"]))

    async def scenario(pilot):
        await send(pilot, "hi")
        await replied(pilot)
        await pilot.press("ctrl+s")
        await pilot.press("enter")  # the file the dialog suggests
        await pilot.pause()
        assert any(n.title == "Conversation exported" for n in app._notifications)

    run(app, scenario)
    path = tmp_path / "sam-chat-1.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# hi\n")
    assert "**Sam Okafor (model)** · 2024-01-13 09:00\n\nyo\n\nsure\n" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_export_into_a_missing_folder_says_so_in_a_dialog(trained, tmp_path):
    app = ChatApp(ScriptedChat(["yo\nsure"]))
    missing = tmp_path / "nope" / "chat.md"

    async def scenario(pilot):
        await send(pilot, "hi")
        await replied(pilot)
        await pilot.press("ctrl+s", "ctrl+a", "ctrl+k", *str(missing), "enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        body = str(app.screen.query_one(".dialog-body").render())
        assert body == f"{missing.parent}: no such folder; create it first"

    run(app, scenario)
    assert not missing.parent.exists()


def test_sampling_settings_are_used_by_the_next_reply(trained):
    provider = ScriptedChat(["ok"])
    app = ChatApp(provider)

    async def scenario(pilot):
        await pilot.press("f2")
        await pilot.press("ctrl+u", *"0.3", "enter")
        line = str(app.screen.query_one("#chat-sampling").render())
        assert "temperature 0.3" in line
        await send(pilot, "hi")
        await replied(pilot)

    run(app, scenario)
    assert provider.calls[0][2].temperature == 0.3


def test_sampling_set_with_f2_stays_with_the_model_for_both_chats(trained, monkeypatch, capsys):
    """F2's settings were forgotten when the chat was left; now the model keeps them, the
    chat says they are not the defaults, and `gpt-is-you chat` uses them too (its own
    flags over them for that run)."""
    first = ScriptedChat(["ok"])
    app = ChatApp(first)

    async def set_them(pilot):
        assert "set for this model" not in str(app.screen.query_one("#chat-sampling").render())
        await pilot.press("f2")
        await pilot.press("ctrl+u", *"0.3", "tab", "tab", "ctrl+u", *"42", "enter")
        await pilot.pause()

    run(app, set_them)
    again = ScriptedChat(["ok"])
    app = ChatApp(again)

    async def reopened(pilot):
        line = str(app.screen.query_one("#chat-sampling").render())
        assert line == "temperature 0.3 · top-p 0.95 · up to 42 tokens · set for this model (F2)"
        await send(pilot, "hi")
        await replied(pilot)

    run(app, reopened)
    assert (again.calls[0][2].temperature, again.calls[0][2].max_tokens) == (0.3, 42)

    terminal = ScriptedChat(["ok"])
    monkeypatch.setattr("gpt_is_you.providers.get", lambda name: terminal)
    monkeypatch.setattr(terminal, "chat_model", lambda *loading: None)  # nothing to load
    capsys.readouterr()
    assert main(["chat", MODEL, "-m", "hi"]) == 0
    assert "temperature 0.3" in capsys.readouterr().err
    assert main(["chat", MODEL, "-m", "hi", "--temperature", "1.1"]) == 0
    used = [call[2] for call in terminal.calls]
    assert [(s.temperature, s.top_p, s.max_tokens) for s in used] == [
        (0.3, 0.95, 42),
        (1.1, 0.95, 42),
    ]


@pytest.mark.parametrize("stored", [{"temperature": 9}, {"top_p": "high"}, [0.3], "0.3"])
def test_sampling_stored_out_of_range_gives_the_defaults(trained, stored):
    with open_model(MODEL) as db:
        write_setting(db, SAMPLING, stored)
        assert kept_sampling(db) == Sampling()


def test_a_sampling_setting_out_of_range_is_told_with_the_range(trained):
    provider = ScriptedChat(["ok"])
    app = ChatApp(provider)

    async def scenario(pilot):
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, SamplingDialog))
        await pilot.press("ctrl+u", "9", "enter")  # the temperature, as the command line's
        await pilot.pause()
        problem = str(app.screen.query_one("#setting-temperature-problem").render())
        assert problem == "Temperature must be between 0 and 2 (got 9)"
        assert app.focused.id == "setting-temperature"
        assert app.focused.has_class("-invalid")
        await pilot.press("ctrl+u", "1", "tab", "ctrl+u", "0", "enter")  # and top-p 0
        await pilot.pause()
        problem = str(app.screen.query_one("#setting-top-p-problem").render())
        assert problem == "Top-p must be above 0 and at most 1 (got 0)"
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)

    run(app, scenario)


def test_an_untrained_model_says_so_and_offers_training(sample_home):
    app = ChatApp(ScriptedChat())

    async def scenario(pilot):
        text = str(app.screen.query_one("#chat-untrained").render())
        assert "not trained yet" in text
        assert app.screen.query_one(ChatInput).disabled
        await pilot.press("t")
        assert app.trainings == [MODEL]

    run(app, scenario)


def test_empty_chat_snapshot(trained, snap_compare):
    assert snap_compare(ChatApp(ScriptedChat()), terminal_size=SIZE)


def test_conversation_snapshot(trained, snap_compare):
    replies = ["yo\nsure, what's up", "long\nbut worth it\nsending pics later"]

    async def talk(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        await send(pilot, "hey")
        await replied(pilot)
        await send(pilot, "the trip?")
        await replied(pilot)

    assert snap_compare(ChatApp(ScriptedChat(replies)), terminal_size=SIZE, run_before=talk)


def test_empty_chat_snapshot_80x24(trained, snap_compare):
    assert snap_compare(ChatApp(ScriptedChat()), terminal_size=(80, 24))


def test_conversation_snapshot_80x24(trained, snap_compare):
    async def talk(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        await send(pilot, "hey")
        await replied(pilot)

    replies = ScriptedChat(["yo\nsure, what's up"])
    assert snap_compare(ChatApp(replies), terminal_size=(80, 24), run_before=talk)


def test_chatting_while_a_local_model_trains_warns_of_the_shared_processor(trained):
    assert main(["duplicate", MODEL, "Sam busy", "--yes"]) == 0
    add_job("Sam busy", jobs.RUNNING, pid=os.getpid())
    app = ChatApp(ScriptedChat(["ok"]))

    async def scenario(pilot):
        await until(pilot, lambda: bool(app._notifications))
        (note,) = app._notifications
        assert "Sam busy is training on this machine" in note.message

    run(app, scenario)


class Preloading(ScriptedChat):
    """A local backend whose model loads until the test sets ``loaded``, in whichever
    thread asks first; the others wait for it, as ``LocalProvider.chat_model`` does."""

    def __init__(self) -> None:
        super().__init__(["yo"])
        self.loaded = threading.Event()
        self.asked: list[str] = []  # the threads that asked for the model, in order

    def chat_model(self, model, remote_model=None, notice=None):
        self.asked.append(threading.current_thread().name)
        self.loaded.wait(10)
        return self

    def chat(self, model, messages, sampling, *, notice=None, remote_model=None):
        self.chat_model(model, remote_model, notice)
        return super().chat(model, messages, sampling)

    def stream(self, messages, sampling):
        raise AssertionError("not used: chat streams")


def test_the_model_loads_as_the_chat_opens_not_after_the_first_message(trained):
    """Issue 16: the first reply waited for the whole load (35 s on a busy machine) after
    it was sent; now the load starts with the chat, while the message is written."""
    provider = Preloading()
    app = ChatApp(provider)

    async def scenario(pilot):
        await until(pilot, lambda: provider.asked)  # nothing sent yet
        await send(pilot, "hi")
        await until(pilot, lambda: waiting_line(app) == "loading the model…")
        provider.loaded.set()
        await replied(pilot)
        assert turns(app)[-1] == (False, ["yo"])
        assert len(provider.asked) == 2  # the chat's load, then the reply's (found loaded)

    run(app, scenario)


def test_a_model_trained_here_has_its_chat_imports_warmed_up_after_the_first_frame(
    trained,
) -> None:
    warmed = threading.Event()

    class Warming(ScriptedChat):
        def warm_up(self) -> None:
            warmed.set()

    async def scenario() -> None:
        app = GptIsYouApp(providers={"local": Warming([])})
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, warmed.is_set)

    asyncio.run(scenario())


def test_the_local_backend_loads_a_chats_model_once_for_threads_asking_together(
    trained, monkeypatch
) -> None:
    from gpt_is_you.providers.local import LocalProvider
    from gpt_is_you.providers.local.generate import LocalChat
    from gpt_is_you.store.models import find_model

    loads: list[Path] = []
    release = threading.Event()

    def slow_load(cls, folder, base, *, context, notice=None):
        loads.append(folder)
        release.wait(10)
        return object()

    monkeypatch.setattr(LocalChat, "of_job", classmethod(slow_load))
    provider, model = LocalProvider(), find_model(MODEL)
    got: list[object] = []
    askers = [
        threading.Thread(target=lambda: got.append(provider.chat_model(model))) for _ in range(3)
    ]
    for asker in askers:
        asker.start()
    release.set()
    for asker in askers:
        asker.join(10)
    assert len(loads) == 1 and len(got) == 3 and got[0] is got[1] is got[2]
