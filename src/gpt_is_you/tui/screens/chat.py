"""Talking to a trained model in a messenger pane, with its conversations and ready prompts.

Replies are written in a thread worker that talks through the conversation's
``ChatSession`` (the one the terminal chat uses: it stores the lines and streams the
reply) and posts each piece to the screen; the reply's widget (``LiveReply``) draws it.
One worker at a time writes (a lock keeps the lines in order when a new message follows
a stopped reply).

A remote backend (OpenAI, Azure OpenAI) may say a freshly trained model is still loading
(a notification), and its stream may break mid-reply: the part that came is kept, marked
as stopped, and the error is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer, Header, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from gpt_is_you import providers
from gpt_is_you.chat_session import LOADING, WRITING, ChatSession, keep_sampling, kept_sampling
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import conversations
from gpt_is_you.store.conversations import (
    READY_PROMPTS,
    USER,
    ChatLine,
    Conversation,
    Persona,
    bubbles,
)
from gpt_is_you.store.errors import StorageError
from gpt_is_you.store.files import write_private
from gpt_is_you.store.jobs import Job, read_job
from gpt_is_you.store.models import Model, find_model, list_models, slugify
from gpt_is_you.tui.screens.base import AppScreen, styles
from gpt_is_you.tui.widgets.bubbles import LiveReply, MessageList, Turn
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, TextPrompt
from gpt_is_you.tui.widgets.sampling import SamplingDialog, describe
from gpt_is_you.user_errors import USER_ERRORS

Clock = Callable[[], datetime]
TITLE_WIDTH = 26  # characters of a conversation's title in the sidebar
PLACEHOLDER = "Write a message · Enter sends · Ctrl+J starts a new line (a new bubble)"
EMPTY = "No messages yet. Write below, or pick a ready prompt on the left (Ctrl+L)."


class ChatInput(TextArea):
    """Where the user writes. Enter sends; Ctrl+J or Alt+Enter starts a new bubble."""

    HELP = """\
## Your message

- **Enter** sends it.
- **Ctrl+J** or **Alt+Enter** starts a new line: each line is sent as its own bubble,
  as in a messenger.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: a text area would otherwise take Enter as a new line.
        Binding(
            "enter", "send", "Send", id="chat.send", tooltip="Send the message.", priority=True
        ),
        Binding(
            "ctrl+j,alt+enter",
            "newline",
            "New line",
            id="chat.newline",
            tooltip="Start a new line: a new bubble of the same message.",
            show=False,  # the placeholder says it; the footer is full
        ),
    ]

    @dataclass
    class Sent(Message):
        text: str

    def action_send(self) -> None:
        # A priority binding acts when the app reads Enter, before the keys typed just
        # ahead of it reach this widget (a burst of typing, a busy moment): take the text
        # once they have, and before the keys typed after it.
        self.call_later(self._send)

    def _send(self) -> None:
        text = self.text
        if text.strip():
            self.clear()
            self.post_message(self.Sent(text))

    def action_newline(self) -> None:
        self.insert("\n")


@dataclass
class _Piece(Message):
    reply: int
    text: str


@dataclass
class _Waiting(Message):
    reply: int
    text: str  # what the reply waits for: the model loading, being prepared, writing


@dataclass
class _Ended(Message):
    reply: int
    stopped: bool | None  # None: the backend failed (the app shows why)


@dataclass
class _Started(Message):
    conversation: int


class ChatScreen(AppScreen):
    """A conversation with the model of ``model``; ``clock`` gives the time of new lines."""

    CSS_PATH = styles("chat")

    PLACE = "the chat"
    SUB_TITLE = "Chat"

    HELP = """\
## Chat

You are talking to a **model** trained on one person's messages, not to the person.

- Write below and press **Enter**; the reply streams in, one bubble per message.
- **Esc** stops a reply (what it wrote is kept); when nothing is being written it goes back.
- **Ctrl+R** writes the last reply again; **Ctrl+O** copies the picked message (or the
  last reply); **Ctrl+S** saves the conversation as Markdown.
- **Ctrl+N** starts a new conversation; earlier ones are in the list on the left.
- **Ctrl+L** goes to the ready prompts: Enter puts one in your message.
- **F2** sets how replies are written (temperature, top-p, length).
"""

    # show=False: in the palette (Ctrl+P) and F1's list, not in the footer, which keeps
    # Quit, Help and the screen's main keys within 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "stop",
            "Stop",
            id="chat.stop",
            tooltip="Stop the reply; what it wrote so far is kept.",
        ),
        Binding("escape", "back", "Back", id="chat.back", tooltip="Back to {below}."),
        Binding(
            "ctrl+r",
            "regenerate",
            "Regenerate",
            id="chat.regenerate",
            tooltip="Write the last reply again.",
        ),
        Binding(
            "ctrl+o",
            "copy",
            "Copy",
            id="chat.copy",
            tooltip="Copy the picked message, or the last reply, to the clipboard.",
            show=False,
        ),
        Binding("ctrl+n", "new", "New chat", id="chat.new", tooltip="Start a new conversation."),
        Binding(
            "ctrl+l",
            "prompts",
            "Prompts",
            id="chat.prompts",
            tooltip="Go to the ready prompts; Enter puts one in your message.",
            show=False,
        ),
        Binding(
            "f2",
            "sampling",
            "Sampling",
            id="chat.sampling",
            tooltip="Temperature, top-p and the length of replies.",
            show=False,
        ),
        Binding(
            "ctrl+s",
            "export",
            "Export",
            id="chat.export",
            tooltip="Save the conversation as a Markdown file.",
            show=False,
        ),
        Binding(
            "t",
            "train",
            "Train",
            id="chat.train",
            tooltip="Open the training of this model.",
            show=False,
        ),
    ]

    def __init__(self, model: str, *, clock: Clock = datetime.now) -> None:
        super().__init__()
        self.model = model  # the name, as the user saw it
        self.found: Model | None = None  # the model, found once when the screen opens
        self._clock = clock
        self._persona: Persona | None = None
        self._job: Job | None = None
        self._sampling = Sampling()
        self._session: ChatSession | None = None  # the conversation shown (once trained)
        self._reply: LiveReply | None = None  # the one being written, if any
        self._live: dict[int, LiveReply] = {}  # replies whose worker has not ended
        self._replies = 0
        self._day: str | None = None  # of the last message shown
        self._store_lock = threading.Lock()  # one worker at a time writes the store

    # Layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="chat-body"):
            with Vertical(id="chat-sidebar"):
                yield Static("Conversations", classes="chat-sidebar-title")
                yield OptionList(id="chat-conversations")
                yield Static("Ready prompts", classes="chat-sidebar-title")
                yield OptionList(
                    *(Option(p.title, id=str(i)) for i, p in enumerate(READY_PROMPTS)),
                    id="chat-prompts",
                )
            with Vertical(id="chat-main"):
                yield Static(id="chat-banner")
                yield MessageList(id="chat-messages")
                yield ChatInput(id="chat-input", placeholder=PLACEHOLDER)
                yield Static(describe(self._sampling), id="chat-sampling")
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = f"Chat · {self.model}"
        try:
            self.found = find_model(self.model)
            with self.found.db() as db:
                self._persona = conversations.read_persona(db)
                self._job = conversations.chat_job(db)
                latest = read_job(db)
                listed = conversations.list_conversations(db)
                history = conversations.lines(db, listed[0].id) if listed else []
                self._sampling = kept_sampling(db)
        except USER_ERRORS as e:
            self.app.pop_screen()
            self.app.show_error(e, title="The chat cannot open")
            return
        self.query_one("#chat-sampling", Static).update(describe(self._sampling))
        name = self._persona.name
        self.query_one("#chat-banner", Static).update(
            Content.assemble(
                "You are talking to a ",
                ("model", "bold"),
                f" trained on {name}'s messages, not to {name}.",
            )
        )
        if self._job is None:
            await self._show_untrained(latest)
            return
        self._session = self._conversation(listed[0].id if listed else None)
        if listed:
            self._show_conversations(listed)
        await self._show_history(history)
        self.query_one(ChatInput).focus()
        if not providers.is_remote(self._job.backend):
            self._warn_if_training()
            self._load(self._session)

    @work(thread=True, exit_on_error=False, group="chat-load")
    def _load(self, session: ChatSession) -> None:
        """Load the model while the first message is written, not after it is sent: the
        reply then finds it loaded, or waits for this load (its "loading the model…"
        line) rather than starting another."""
        notice = partial(self.app.call_from_thread, self.notify, title="The model is loading")
        try:
            session.load(notice)
        except Exception as e:  # the first reply loads it again, and tells what is wrong
            self.log.warning(f"loading the chat's model: {e!r}")

    def _conversation(self, conversation: int | None) -> ChatSession:
        """The session of a conversation (None: a new one, from its first message)."""
        provider = self.app.provider(self._job.backend)
        return ChatSession(
            self.found, provider, self._persona, self._job.id, conversation=conversation
        )

    @work(thread=True, exit_on_error=False, group="chat-check")
    def _warn_if_training(self) -> None:
        # Generating and training on one machine share its cores: both crawl.
        busy = [m.name for m in list_models() if not providers.is_remote(m.backend) and m.training]
        if busy:
            self.app.call_from_thread(
                self.notify,
                f"{', '.join(busy)} is training on this machine: replies will be slow, and "
                "so will the training while you chat.",
                title="Sharing the processor",
                severity="warning",
            )

    async def _show_untrained(self, latest: Job | None) -> None:
        name = self._persona.name
        if latest is not None and latest.active:
            text = f"The model of {name} is training now ({latest.progress:.0%}). "
            text += "Press t to watch it; the chat opens once it has finished."
        else:
            text = f"The model of {name} is not trained yet. Press t to train it."
        await self.query_one(MessageList).mount(Static(text, id="chat-untrained"))
        for widget in (ChatInput, "#chat-conversations", "#chat-prompts"):
            self.query_one(widget).disabled = True
        self.query_one("#chat-sampling").display = False
        self.refresh_bindings()

    def _show_conversations(self, listed: list[Conversation]) -> None:
        options = self.query_one("#chat-conversations", OptionList)
        options.clear_options()
        for c in listed:
            title = c.title if len(c.title) <= TITLE_WIDTH else c.title[: TITLE_WIDTH - 1] + "…"
            when = c.last_time.replace("T", " ")[:16]
            options.add_option(
                Option(Content.assemble(title, "\n", (when, "$text-muted")), id=str(c.id))
            )
        if self._session is not None and self._session.conversation is not None:
            options.highlighted = options.get_option_index(str(self._session.conversation))

    def _refresh_conversations(self) -> None:
        with self.found.db() as db:
            self._show_conversations(conversations.list_conversations(db))

    async def _show_history(self, history: list[ChatLine]) -> None:
        # A reply the model ended at once is stored, with nothing in it to show.
        history = [line for line in history if line.content or line.stopped]
        self._day = history[-1].time[:10] if history else None
        if not history:
            await self.query_one(MessageList).clear()
            await self.query_one(MessageList).mount(Static(EMPTY, id="chat-empty"))
            return
        days = [None] + [line.time[:10] for line in history]
        await self.query_one(MessageList).show(
            [
                partial(self._line, line, new_day=line.time[:10] != day)
                for line, day in zip(history, days, strict=False)
            ]
        )

    def _line(self, line: ChatLine, *, new_day: bool) -> list[Widget]:
        turn = self._turn(line.role, line.time, bubbles(line.content), line.stopped)
        return [_day_label(line.time), turn] if new_day else [turn]

    def _dated(self, time: str) -> list[Static]:
        """A line with the day before the first message of each day."""
        if time[:10] == self._day:
            return []
        self._day = time[:10]
        return [_day_label(time)]

    def _turn(self, role: str, time: str, texts: list[str], stopped: bool = False) -> Turn:
        if role == USER:
            return Turn("You", time, texts, mine=True)
        return Turn(f"{self._persona.name} (model)", time, texts, mine=False, stopped=stopped)

    async def _add_turn(self, turn: Turn, time: str) -> None:
        messages = self.query_one(MessageList)
        await messages.query("#chat-empty").remove()
        await messages.mount_all([*self._dated(time), turn])

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds")

    # Writing a reply ------------------------------------------------------------------

    @on(ChatInput.Sent)
    async def _send(self, event: ChatInput.Sent) -> None:
        text = "\n".join(bubbles(event.text))
        if not text or self._session is None:
            return
        self._stop()
        now = self._now()
        await self._add_turn(self._turn(USER, now, bubbles(text)), now)
        # Your own message: back to the bottom, following the reply from there.
        self.query_one(MessageList).scroll_end(animate=False)
        await self._begin(ChatLine(USER, text, now))

    async def _begin(self, user: ChatLine | None) -> None:
        """Start the reply to the conversation (after ``user``'s message when given)."""
        now = self._now()
        self._replies += 1
        reply = LiveReply(self._replies, f"{self._persona.name} (model)", now)
        await self._add_turn(reply, now)
        self._reply = self._live[reply.number] = reply
        self._write(reply, self._session, user, now, self._sampling)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="chat-reply")
    def _write(
        self,
        reply: LiveReply,
        session: ChatSession,
        user: ChatLine | None,
        time: str,
        sampling: Sampling,
    ) -> None:
        """Store the user's message, stream the reply to the screen, store the reply."""
        worker = get_current_worker()
        stopped: bool | None = None  # stays None when the backend fails
        with self._store_lock:
            try:
                if user is not None and session.say(user.content, time=user.time):
                    self.post_message(_Started(session.conversation))
                written = session.reply(
                    sampling,
                    time=time,
                    echo=lambda piece: self.post_message(_Piece(reply.number, piece)),
                    stop=lambda: reply.stop.is_set() or worker.is_cancelled,
                    loading=lambda loading: self._waiting(reply, LOADING if loading else WRITING),
                    notice=partial(self._notice, reply),
                )
                stopped = written.stopped
                if written.cut is not None:  # the part that came stays, marked stopped
                    self.app.call_from_thread(self.app.show_error, written.cut, "The reply was cut")
            finally:
                self.post_message(_Ended(reply.number, stopped))

    def _notice(self, reply: LiveReply, message: str) -> None:
        """Told by the backend, from the reply's worker, while the reply waits for the
        model (prepared for chat once, or not served yet by a remote service): said under
        the reply, and once per reply as a notification (a remote backend asks again
        every few seconds)."""
        self._waiting(reply, message)
        if reply.noticed:
            return
        reply.noticed = True
        self.app.call_from_thread(
            self.notify, message, title="The model is loading", markup=False, timeout=10
        )

    @on(_Started)
    def _started(self) -> None:
        self._refresh_conversations()

    def _waiting(self, reply: LiveReply, text: str) -> None:
        # A message, not a call: it keeps its place among the reply's other messages.
        self.post_message(_Waiting(reply.number, text))

    @on(_Waiting)
    def _show_waiting(self, message: _Waiting) -> None:
        reply = self._reply
        if reply is not None and reply.number == message.reply:
            reply.waiting(message.text)

    @on(_Piece)
    def _grow(self, message: _Piece) -> None:
        reply = self._live.get(message.reply)
        if reply is not None:
            reply.grow(message.text)

    @on(_Ended)
    async def _ended(self, message: _Ended) -> None:
        reply = self._live.pop(message.reply, None)
        if reply is None:
            return
        if reply is self._reply:
            self._reply = None
            self.refresh_bindings()
        if not await reply.end(message.stopped) and message.stopped is False:
            self.notify("The model wrote nothing; Ctrl+R asks again.", title="No reply")
        if self._session.conversation is not None:
            self._refresh_conversations()

    def _stop(self, *, discard: bool = False) -> None:
        """Stop the reply being written: its worker ends at the next piece, and what it
        wrote is kept (unless ``discard``: it is about to be written again)."""
        reply = self._reply
        if reply is None:
            return
        if discard:
            reply.discard()
        else:
            reply.halt()
        self._reply = None
        self.refresh_bindings()

    def _discard_live(self) -> None:
        """The pane is emptied: replies still ending have nowhere to go (their workers
        still store them)."""
        self._stop()
        for reply in self._live.values():
            reply.discarded = True

    # Actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        writing = self._reply is not None
        trained = self._job is not None
        if action == "stop":
            return writing
        if action == "back":
            return not writing and len(self.app.screen_stack) > 1
        if action == "train":
            return not trained
        if action in ("regenerate", "copy", "new", "prompts", "sampling", "export"):
            return trained
        return True

    def action_stop(self) -> None:
        self._stop()

    def action_back(self) -> None:
        self.app.pop_screen()

    async def action_regenerate(self) -> None:
        turns = list(self.query_one(MessageList).query(Turn))
        if not turns:
            self.notify("Nothing to write again yet.", severity="warning")
            return
        if self._reply is not None:
            self._stop(discard=True)
        elif not turns[-1].mine:
            if isinstance(turns[-1], LiveReply):  # a stopped reply still ending
                turns[-1].discarded = True
            await turns[-1].remove()
        await self._begin(None)

    def action_copy(self) -> None:
        messages = self.query_one(MessageList)
        if messages.picked is not None:
            text = messages.picked.text
        else:
            turns = list(messages.query(Turn))
            theirs = [t for t in turns if not t.mine] or turns
            if not theirs:
                self.notify("Nothing to copy yet.", severity="warning")
                return
            text = theirs[-1].text
        self.app.copy_to_clipboard(text)
        short = text if len(text) <= 40 else text[:39] + "…"
        self.notify(short, title="Copied to the clipboard", markup=False)

    async def action_new(self) -> None:
        self._discard_live()
        self._session = self._conversation(None)
        await self._show_history([])
        self.query_one("#chat-conversations", OptionList).highlighted = None
        self.query_one(ChatInput).focus()

    @on(OptionList.OptionSelected, "#chat-conversations")
    async def _open_conversation(self, event: OptionList.OptionSelected) -> None:
        chosen = int(event.option.id)
        if chosen != self._session.conversation:
            self._discard_live()
            with self.found.db() as db:
                history = conversations.lines(db, chosen)
            self._session = self._conversation(chosen)
            await self._show_history(history)
        self.query_one(ChatInput).focus()

    def action_prompts(self) -> None:
        self.query_one("#chat-prompts").focus()

    @on(OptionList.OptionSelected, "#chat-prompts")
    def _use_prompt(self, event: OptionList.OptionSelected) -> None:
        chat_input = self.query_one(ChatInput)
        chat_input.text = READY_PROMPTS[int(event.option.id)].text
        chat_input.move_cursor(chat_input.document.end)
        chat_input.focus()

    def action_sampling(self) -> None:
        self.app.push_screen(SamplingDialog(self._sampling), self._set_sampling)

    def _set_sampling(self, sampling: Sampling | None) -> None:
        if sampling is not None:
            self._sampling = sampling
            self.query_one("#chat-sampling", Static).update(describe(sampling))
            keep_sampling(self.found, sampling)  # for the next chat, here or in the terminal

    def action_export(self) -> None:
        conversation = self._session.conversation
        if conversation is None:
            self.notify("Nothing to export yet: send a message first.", severity="warning")
            return
        name = f"{slugify(self.model)}-chat-{conversation}.md"
        self.app.push_screen(
            TextPrompt(
                "Export to Markdown",
                "Write the conversation to this file:",
                str(Path.cwd() / name),
            ),
            lambda answer: self._export_to(answer, conversation, name),
        )

    def _export_to(self, answer: str | None, conversation: int, name: str) -> None:
        if not answer:
            return
        path = Path(answer).expanduser()
        if path.is_dir():
            path = path / name
        if path.exists():
            self.app.push_screen(
                ConfirmDialog(
                    "Replace the file?", f"{path} exists already.", confirm="Replace", danger=True
                ),
                lambda replace: replace and self._write_markdown(path, conversation),
            )
        else:
            self._write_markdown(path, conversation)

    def _write_markdown(self, path: Path, conversation: int) -> None:
        with self.found.db() as db:
            text = conversations.to_markdown(
                self._persona,
                conversations.title(db, conversation),
                conversations.lines(db, conversation),
            )
        try:
            write_private(path, text)
        except StorageError as e:  # a missing or read-only folder, a full disk
            self.app.show_error(e, title="Export")
            return
        self.notify(str(path), title="Conversation exported", markup=False)

    def action_train(self) -> None:
        self.app.open_training(self.model)


def _day_label(time: str) -> Static:
    day = datetime.fromisoformat(time[:10]).strftime("%A %d %B %Y")
    return Static(day, classes="chat-day")
