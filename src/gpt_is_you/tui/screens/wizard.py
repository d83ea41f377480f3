"""The import wizard: from an exported chat to a stored model, one step at a time.

The same path as ``gpt-is-you new``: the export is read once (``read_source``), built
with ``prepare()`` each time the persona or an option changes, and written with
``store()`` only after the consent step. Reading, building and storing run in thread
workers; a failure among them reaches the app's error dialog (``AppScreen``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    ProgressBar,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState, get_current_worker

from gpt_is_you.chats.message import ChatChoiceNeeded
from gpt_is_you.store.errors import ModelError, StorageError
from gpt_is_you.tui.screens.base import AppScreen, styles
from gpt_is_you.tui.widgets.dataset_options import DatasetOptions, build_counts
from gpt_is_you.tui.widgets.dialogs import FieldProblem, clear_problem, tell_problem
from gpt_is_you.tui.widgets.export_picker import ExportBrowser, ExportPathSuggester
from gpt_is_you.tui.widgets.tick_box import TickBox
from gpt_is_you.user_errors import USER_ERRORS, app_text

if TYPE_CHECKING:
    from gpt_is_you.chats.summary import ChatSummary
    from gpt_is_you.dataset.prepare import Prepared, Source

# The steps, in order: (id, what the indicator calls it).
STEPS = (
    ("export", "Export"),
    ("reading", "Reading"),
    ("found", "Found"),
    ("who", "Who"),
    ("options", "Dataset"),
    ("consent", "Consent"),
)
_ORDER = [step for step, _ in STEPS]
FORMAT_NAMES = {
    "whatsapp-android": "WhatsApp (Android)",
    "whatsapp-ios": "WhatsApp (iPhone)",
    "telegram": "Telegram",
    "messenger": "Messenger",
    "instagram": "Instagram",
}
DATE_ORDERS = (
    ("day/month/year", "dmy"),
    ("month/day/year", "mdy"),
    ("year/month/day", "ymd"),
)
_READ, _BUILD, _STORE = "wizard-read", "wizard-build", "wizard-store"
BUILD_DELAY = 0.3  # seconds after the last change of an option before building


class ImportWizard(AppScreen):
    """Export → reading → what was found → who → dataset options → consent → create."""

    CSS_PATH = styles("wizard")

    PLACE = "the import wizard"
    SUB_TITLE = "New model"

    # show=False: in the palette (Ctrl+P) and F1's list, not in the footer, which keeps
    # Quit, Help and the screen's main keys within 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", tooltip="Go on to the next step."),
        Binding(
            "ctrl+n",
            "create",
            "Create",
            id="wizard.create",
            tooltip="Create the model (once the persona's agreement is ticked).",
        ),
        Binding(
            "f3",
            "choose_base",
            "Bases",
            id="wizard.bases",
            tooltip="Choose the base model to train: what fits this machine for this chat.",
            show=False,
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="wizard.back",
            tooltip="Go back a step; on the first step, leave the wizard.",
        ),
        Binding(
            "ctrl+o",
            "browse",
            "Browse",
            id="wizard.browse",
            tooltip="Choose the export in a file browser.",
        ),
    ]

    HELP = """\
## New model

Six steps from an exported chat to a model that writes like one of its people.
Nothing is written until you press **Create** on the last step.

1. **Export**: type the path (→ accepts the suggested completion) or press **Ctrl+O**
   to browse. WhatsApp `.txt`/`.zip`, Telegram `result.json`, Messenger or Instagram
   `message_1.json`. A Telegram export of the whole account holds many chats: choose
   which one under the path.
2. **Reading**: the export is read; a bad file sends you back with the reason.
3. **Found**: who wrote how much, and when. If day and month could be either way
   round, choose the order and the export is read again.
4. **Who**: whose voice the model learns, and which one is you.
5. **Dataset**: how the chat becomes examples; the counts follow every change.
6. **Consent**: the model's name, and whether the persona agreed.

**Ctrl+N** goes on, **Esc** goes back (and leaves from the first step).
"""

    def __init__(self, export: str | None = None) -> None:
        super().__init__()
        self._export = export or ""
        self._step = "export"
        self._source: Source | None = None
        self._read_path = ""  # the file of ``_source``
        self._read_chat: str | None = None  # the chat of that file ``_source`` is
        self._chats_for = ""  # the file whose chats the "Which chat?" list offers
        self._date_order: str | None = None  # chosen by the user for ``_read_path``
        self._prepared: Prepared | None = None
        self._built_for: tuple[object, ...] | None = None  # what ``_prepared`` was built from
        self._building_for: tuple[object, ...] | None = None  # what the build under way is
        self._workers: dict[str, Worker] = {}  # the latest worker of each group
        self._default_name = ""  # the name proposed, replaced while the user keeps it
        self._build_timer: Timer | None = None
        self._base: str | None = None  # chosen with F3: the model's first run starts from it

    # Layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="wizard-steps")
        with ContentSwitcher(initial="export", id="wizard-body"):
            with Vertical(id="export"):
                yield Static("Which chat export?", classes="wizard-title")
                yield Static(
                    "A WhatsApp .txt or .zip, a Telegram result.json, or a Messenger or "
                    "Instagram message_1.json.",
                    classes="wizard-hint",
                )
                with Horizontal(id="export-row"):
                    yield Input(
                        self._export,
                        placeholder="path of the export",
                        suggester=ExportPathSuggester(),
                        id="export-path",
                    )
                    yield Button("Browse…", id="export-browse")
                yield FieldProblem("export-path")
                yield Static(
                    "→ accepts a suggested completion · Ctrl+O browses · Enter reads it",
                    classes="wizard-hint",
                )
                with Vertical(id="export-chat-row"):
                    yield Static("Which chat?", classes="wizard-title")
                    yield Select([], prompt="choose a chat", id="export-chat")
            with Vertical(id="reading"):
                yield Static("", id="reading-what", classes="wizard-title", markup=False)
                yield ProgressBar(total=1.0, show_eta=False, id="reading-progress")
                yield Static("", id="reading-stage", classes="wizard-hint")
            with VerticalScroll(id="found"):
                yield Static("", id="found-facts")
                yield Static("", id="found-people")
                yield Static("", id="found-warnings")
                with Horizontal(id="date-order-row"):
                    yield Static("Dates read as", classes="wizard-label")
                    yield Select(DATE_ORDERS, allow_blank=False, compact=True, id="date-order")
            with Vertical(id="who"):
                yield Static("Whose voice should the model learn?", classes="wizard-title")
                yield Select([], prompt="choose someone", id="persona")
                yield Static("Which one are you?", classes="wizard-title")
                yield Select([], prompt="none of them", id="me")
                yield Static(
                    "The model learns to answer as the persona; what the others wrote is "
                    "what it answers to.",
                    classes="wizard-hint",
                )
            with VerticalScroll(id="options"):
                yield DatasetOptions(id="dataset-options")
                with Vertical(id="build"):
                    yield Static("", id="build-stage", classes="wizard-hint")
                    yield ProgressBar(total=1.0, show_eta=False, id="build-progress")
                    yield Static("", id="build-counts")
                    yield Static("", id="build-warnings")
            with Vertical(id="consent"):
                yield Static("", id="consent-text")
                yield TickBox("", id="agreed")
                yield Static("Name of the model", classes="wizard-title")
                yield Input(id="model-name")
                yield FieldProblem("model-name")
                yield Static("", id="consent-base", classes="wizard-hint")
        with Horizontal(id="wizard-nav"):
            yield Button("Back", id="back")
            yield Button("Next", id="next", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self._show("export")

    def _show(self, step: str) -> None:
        """Switch to ``step``: the indicator, the nav buttons, the keys, the focus."""
        self._step = step
        self.query_one(ContentSwitcher).current = step
        self.query_one("#wizard-steps", Static).update(_indicator(step))
        self.query_one("#back", Button).label = "Leave" if step == "export" else "Back"
        next_button = self.query_one("#next", Button)
        next_button.label = "Create" if step == "consent" else "Next"
        next_button.disabled = step == "reading"
        self.refresh_bindings()
        focus = {
            "export": "#export-chat" if self._offers_chats() else "#export-path",
            "found": "#date-order" if self._offers_date_order() else "#next",
            "who": "#persona",
            "options": "#target",
            "consent": "#agreed",
        }.get(step)
        if focus:
            self.query_one(focus).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "browse":
            return self._step == "export"
        if action == "next":
            return self._step not in ("reading", "consent")
        if action == "create":
            return self._step == "consent"
        if action == "choose_base":
            return self._step == "consent" and not self._prepared.remote
        return True

    # Navigation -----------------------------------------------------------------------

    def action_next(self) -> None:
        if self._step == "export":
            self._read_export()
        elif self._step == "found":
            self._to_who()
        elif self._step == "who":
            self._to_options()
        elif self._step == "options":
            self._to_consent()

    def action_back(self) -> None:
        if self._step == "export":
            self.dismiss()
            return
        if self._step == "consent" and self._busy(_STORE):
            return  # the model is being written: it will be there in a moment
        if self._step == "options":
            self.workers.cancel_group(self, _BUILD)
        if self._step == "reading":
            self.workers.cancel_group(self, _READ)
            self._show(self._after_read_failure())
        elif self._step == "found":
            self._show("export")  # the reading step is passed through, never gone back to
        else:
            self._show(_ORDER[_ORDER.index(self._step) - 1])

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        if self._step == "consent":
            self.action_create()
        else:
            self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def _busy(self, group: str) -> bool:
        worker = self._workers.get(group)
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    # Step 1: the export ---------------------------------------------------------------

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self) -> None:
        self._read_export()

    @on(Button.Pressed, "#export-browse")
    def action_browse(self) -> None:
        typed = Path(self._typed_path() or ".")
        start = typed if typed.is_dir() else typed.parent
        if not start.is_dir():
            start = Path.cwd()
        self.app.push_screen(ExportBrowser(start), self._browsed)

    def _browsed(self, path: str | None) -> None:
        field = self.query_one("#export-path", Input)
        if path:
            field.value = path
            field.cursor_position = len(path)
        field.focus()

    def _typed_path(self) -> str:
        return os.path.expanduser(self.query_one("#export-path", Input).value.strip())

    @on(Input.Changed, "#export-path")
    def _path_changed(self) -> None:
        clear_problem(self.query_one("#export-path", Input))
        if self._offers_chats() and self._typed_path() != self._chats_for:
            self._offer_chats("", ())  # the chats were those of another file

    def _offer_chats(self, path: str, choices: tuple[tuple[str, str], ...]) -> None:
        """Show the chats of the export at ``path`` to choose from; none hides them."""
        self._chats_for = path
        select = self.query_one("#export-chat", Select)
        with select.prevent(Select.Changed):
            select.set_options([(Content(label), value) for label, value in choices])
        self.query_one("#export-chat-row").display = bool(choices)

    def _offers_chats(self) -> bool:
        return bool(self.query_one("#export-chat-row").display)

    def _chosen_chat(self) -> str | None:
        select = self.query_one("#export-chat", Select)
        return None if not self._offers_chats() or select.is_blank() else str(select.value)

    @on(Select.Changed, "#export-chat")
    def _chat_chosen(self) -> None:
        if self._chosen_chat() is not None:
            self._read_export()

    def _read_export(self, date_order: str | None = None) -> None:
        """Read the export in the field; ``date_order`` when the user chose one."""
        path = self._typed_path()
        if not path:
            tell_problem(
                self.query_one("#export-path", Input),
                "Type the path of an export, or press Ctrl+O to browse.",
            )
            return
        chat = self._chosen_chat()
        if self._offers_chats() and chat is None:
            self.notify("Choose which chat of the export to read.", title="Export")
            self.query_one("#export-chat").focus()
            return
        if date_order is None and path == self._read_path:
            date_order = self._date_order  # the same file, read as the user chose before
        self.query_one("#reading-what", Static).update(f"Reading {Path(path).name}")
        self._show_progress("reading", 0.0, "#reading")
        self._show("reading")
        self._workers[_READ] = self._read(path, date_order, chat)

    @work(thread=True, exclusive=True, exit_on_error=False, group=_READ)
    def _read(
        self, path: str, date_order: str | None, chat: str | None
    ) -> tuple[str, str | None, str | None, Source]:
        from gpt_is_you.dataset.prepare import read_source

        report = self._reporter(get_current_worker(), "#reading")
        source = read_source(path, date_order=date_order, chat=chat, progress=report)
        return path, date_order, chat, source

    def _after_read_failure(self) -> str:
        """Where a failed or cancelled read leaves the user: what was read before when
        the file and chat are the same (a date order tried), else the export field."""
        same = (self._read_path, self._read_chat) == (self._typed_path(), self._chosen_chat())
        if self._source is not None and same:
            self._show_date_order()
            return "found"
        return "export"

    # Progress, from the worker threads ------------------------------------------------

    def _reporter(self, worker: Worker, where: str) -> Callable[[str, float], None]:
        def report(stage: str, fraction: float) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_progress, stage, fraction, where)

        return report

    def _show_progress(self, stage: str, fraction: float, where: str) -> None:
        self.query_one(f"{where}-progress", ProgressBar).update(progress=fraction)
        text = "Done." if stage == "done" else f"{stage.capitalize()}…"
        self.query_one(f"{where}-stage", Static).update(text)

    # Worker outcomes: the one place that changes state after a worker -----------------

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if self._workers.get(worker.group) is not worker:
            return  # a worker replaced by a newer one of its group
        state = event.state
        if worker.group == _READ:
            if state == WorkerState.SUCCESS:
                self._read_done(*worker.result)
            elif state == WorkerState.ERROR and isinstance(worker.error, ChatChoiceNeeded):
                # Not a failure to show: the export holds several chats, so ask which.
                event.prevent_default()  # keeps AppScreen from showing it as an error
                self._offer_chats(self._typed_path(), worker.error.choices)
                self._show("export")
            elif state == WorkerState.ERROR:
                # The user goes back to what they can change; a file that cannot be read
                # is told under its path (a fault of ours is the app's error dialog).
                back = self._after_read_failure()
                self._show(back)
                if back == "export" and isinstance(worker.error, USER_ERRORS):
                    event.prevent_default()
                    tell_problem(self.query_one("#export-path", Input), app_text(worker.error))
        elif worker.group == _BUILD:
            if state == WorkerState.SUCCESS:
                key, prepared = worker.result
                self._built(key, prepared)
            elif state in (WorkerState.ERROR, WorkerState.CANCELLED):
                self._building_for = None
                self.query_one("#build-progress").display = False
                stage = self.query_one("#build-stage", Static)
                stage.update("Not built.")
                if state == WorkerState.ERROR and isinstance(worker.error, USER_ERRORS):
                    # Options the chat cannot be built with: said where the counts go.
                    event.prevent_default()
                    stage.update(Text(f"Not built: {app_text(worker.error)}"))
        elif worker.group == _STORE:
            if state == WorkerState.SUCCESS:
                self.app.open_preview(worker.result, replace=True)
            elif state == WorkerState.ERROR:
                self.query_one("#next", Button).disabled = False
                name = self.query_one("#model-name", Input)
                name.focus()
                # A name taken or against the rules is told under it (a full disk is not
                # the name's fault: the app's dialog says that).
                error = worker.error
                if isinstance(error, ModelError) and not isinstance(error, StorageError):
                    event.prevent_default()
                    tell_problem(name, app_text(error))

    # Step 3: what was found -----------------------------------------------------------

    def _read_done(
        self, path: str, date_order: str | None, chat: str | None, source: Source
    ) -> None:
        self._source, self._read_path, self._date_order = source, path, date_order
        self._read_chat = chat
        self._prepared, self._built_for = None, None
        summary = source.summary
        self.query_one("#found-facts", Static).update(_facts(Path(path).name, summary))
        self.query_one("#found-people", Static).update(_people(summary))
        warnings = Text("\n").join(Text(f"⚠ {w}") for w in summary.warnings)
        self.query_one("#found-warnings", Static).update(warnings)
        self.query_one("#found-warnings").display = bool(summary.warnings)
        self._show_date_order()
        self._fill_who(summary)
        self._show("found")

    def _read_date_order(self) -> str | None:
        """The date order the export was read in, where the user may choose it: a guess
        of the reader's, or the user's own choice."""
        if self._source is None:
            return None
        return self._date_order or self._source.chat.guessed_date_order

    def _show_date_order(self) -> None:
        order = self._read_date_order()
        self.query_one("#date-order-row").display = order is not None
        if order is not None:
            select = self.query_one("#date-order", Select)
            with select.prevent(Select.Changed):
                select.value = order

    def _offers_date_order(self) -> bool:
        return self._read_date_order() is not None

    @on(Select.Changed, "#date-order")
    def _date_order_chosen(self, event: Select.Changed) -> None:
        if self._source is not None and event.value != self._read_date_order():
            self._read_export(str(event.value))

    # Step 4: who ----------------------------------------------------------------------

    def _to_who(self) -> None:
        if not self._source or not self._source.summary.participants:
            self.notify(
                "Nobody wrote anything that could be read in this export.",
                title="No messages",
                severity="error",
            )
            return
        self._show("who")

    def _fill_who(self, summary: ChatSummary) -> None:
        """The participants as choices; the persona is the one who wrote most, and "me"
        in a two-person chat the other one."""
        people = [
            (Content(f"{p.name}  ({p.messages:,} messages)"), p.name) for p in summary.participants
        ]
        names = [p.name for p in summary.participants]
        # Read again (another date order), the same people stay chosen.
        chosen, me = self._persona(), self._me()
        persona = self.query_one("#persona", Select)
        with persona.prevent(Select.Changed):
            persona.set_options(people)
            if names:
                persona.value = chosen if chosen in names else names[0]
        self._fill_me(me)

    def _fill_me(self, chosen: str | None = None) -> None:
        if self._source is None:
            return
        persona = self._persona()
        others = [p.name for p in self._source.summary.participants if p.name != persona]
        me = self.query_one("#me", Select)
        with me.prevent(Select.Changed):
            me.set_options([(Content(name), name) for name in others])
            if chosen in others:
                me.value = chosen
            elif len(others) == 1:
                me.value = others[0]

    @on(Select.Changed, "#persona")
    def _persona_chosen(self) -> None:
        self._fill_me()

    def _to_options(self) -> None:
        if self._persona() is None:
            self.notify("Choose whose voice to learn.", title="Who", severity="warning")
            self.query_one("#persona").focus()
            return
        self._show("options")
        self._build()

    def _persona(self) -> str | None:
        select = self.query_one("#persona", Select)
        return None if select.is_blank() else str(select.value)

    def _me(self) -> str | None:
        select = self.query_one("#me", Select)
        return None if select.is_blank() else str(select.value)

    # Step 5: the dataset --------------------------------------------------------------

    @on(DatasetOptions.Changed)
    def _options_changed(self) -> None:
        if self._step != "options":
            return
        # Typing "100" changes the options three times: build once the typing pauses.
        if self._build_timer is not None:
            self._build_timer.stop()
        self._build_timer = self.set_timer(BUILD_DELAY, self._build)

    @property
    def built_as_shown(self) -> bool:
        """The examples and counts shown are those of the options shown (nothing waits
        for the pause after typing, nor for a build), or the options are not valid."""
        dataset_options = self.query_one(DatasetOptions)
        if not dataset_options.valid:
            return True
        return self._built_for == (self._persona(), self._me(), dataset_options.options())

    def _build(self) -> None:
        """Build again if the persona, "me" or the options differ from the last build."""
        dataset_options = self.query_one(DatasetOptions)
        if not dataset_options.valid or self._source is None:
            return
        key = (self._persona(), self._me(), dataset_options.options())
        if key in (self._built_for, self._building_for):
            return
        self._building_for = key
        self.query_one("#build-progress").display = True
        self._show_progress("building", 0.0, "#build")
        self._workers[_BUILD] = self._build_in_thread(self._source, key)

    @work(thread=True, exclusive=True, exit_on_error=False, group=_BUILD)
    def _build_in_thread(
        self, source: Source, key: tuple[str | None, str | None, dict[str, object]]
    ) -> tuple[tuple[object, ...], Prepared]:
        from gpt_is_you.dataset.prepare import prepare
        from gpt_is_you.dataset.settings import BuildSettings

        persona, me, options = key
        worker = get_current_worker()
        assert persona is not None
        chosen = dict(options)
        target = str(chosen.pop("target"))
        settings = BuildSettings.for_target(target, persona=persona, me=me, **chosen)
        progress = self._reporter(worker, "#build")
        return key, prepare(source, settings, target=target, progress=progress)

    def _built(self, key: tuple[object, ...], prepared: Prepared) -> None:
        self._prepared, self._built_for, self._building_for = prepared, key, None
        self.query_one("#build-progress").display = False
        self.query_one("#build-stage", Static).update("")
        self.query_one("#build-counts", Static).update(build_counts(prepared))
        warnings = Text("\n").join(Text(f"⚠ {w}") for w in prepared.warnings)
        self.query_one("#build-warnings", Static).update(warnings)

    def _to_consent(self) -> None:
        dataset_options = self.query_one(DatasetOptions)
        if not dataset_options.valid:
            bad = next(iter(dataset_options.errors))
            self.notify(
                "Correct the option marked in red first.", title="Dataset", severity="error"
            )
            self.query_one(f"#{bad}").focus()
            return
        current = (self._persona(), self._me(), dataset_options.options())
        if self._prepared is None or self._built_for != current:
            self._build()  # under way already, or waiting for typing to pause, or failed
            self.notify("The examples are being built: a moment.", title="Dataset")
            return
        if not self._prepared.dataset.examples:
            self.notify(
                "There is nothing to learn with these settings: choose another persona or "
                "other options.",
                title="No examples",
                severity="error",
            )
            return
        self._fill_consent(self._prepared)
        self._show("consent")

    # Step 6: consent, and creating the model ------------------------------------------

    def _fill_consent(self, prepared: Prepared) -> None:
        from gpt_is_you.store.new import unused_name

        persona = prepared.dataset.settings.persona
        self.query_one("#consent-text", Static).update(_consent(prepared))
        self._show_base()
        agreed = self.query_one("#agreed", Checkbox)
        agreed.label = Content(f"{persona} agreed to this")
        name = self.query_one("#model-name", Input)
        default = unused_name((persona.split() or [persona])[0])
        # Keep a name the user typed; propose a new one when the persona changed.
        if not name.value or name.value == self._default_name:
            name.value = default
        self._default_name = default

    def _show_base(self) -> None:
        line = self.query_one("#consent-base", Static)
        line.display = not self._prepared.remote
        base = self._base or "the bundled SmolLM2-135M-Instruct"
        line.update(f"Base model: {base}. F3 shows the bases that fit this machine for this chat.")

    def action_choose_base(self) -> None:
        from gpt_is_you.tui.widgets.base_choice import BaseChoiceDialog

        prepared = self._prepared

        def find():
            from gpt_is_you.dataset.examples import TRAIN
            from gpt_is_you.providers.local.hardware import probe
            from gpt_is_you.providers.local.recommend import plan

            tokens = prepared.split_tokens(TRAIN)
            return plan(probe(), prepared.language, tokens, for_model=True)

        def chosen(name: str | None) -> None:
            if name is not None:
                self._base = None if name == "default" else name
                self._show_base()

        self.app.push_screen(BaseChoiceDialog(find), chosen)

    @on(Input.Submitted, "#model-name")
    def _name_submitted(self) -> None:
        self.action_create()

    @on(Input.Changed, "#model-name")
    def _name_changed(self) -> None:
        clear_problem(self.query_one("#model-name", Input))

    def action_create(self) -> None:
        if self._prepared is None or self._busy(_STORE):
            return
        persona = self._prepared.dataset.settings.persona
        if not self.query_one("#agreed", Checkbox).value:
            self.notify(
                f"Tick that {persona} agreed: only make a model of someone who said yes.",
                title="Consent",
                severity="warning",
            )
            self.query_one("#agreed").focus()
            return
        name = self.query_one("#model-name", Input).value.strip()
        if not name:
            tell_problem(self.query_one("#model-name", Input), "Give the model a name.")
            return
        self.query_one("#next", Button).disabled = True
        self._workers[_STORE] = self._store(name, self._prepared, self._base)

    @work(thread=True, exclusive=True, exit_on_error=False, group=_STORE)
    def _store(self, name: str, prepared: Prepared, base: str | None) -> str:
        from gpt_is_you.store.models import choose_base, find_model
        from gpt_is_you.store.new import store

        store(name, prepared)
        if base is not None:
            with find_model(name).db() as db:
                choose_base(db, base)
        return name


# What each step shows, as text ----------------------------------------------------------


def _indicator(here: str) -> Content:
    """``✓ 1 Export  ›  2 Reading  ›  3 Found …``: done, current (bold), to come (dim)."""
    at = _ORDER.index(here)
    parts = []
    for index, (_, title) in enumerate(STEPS):
        label = f"{index + 1} {title}"
        if index < at:
            parts.append(f"✓ {label}")
        elif index == at:
            parts.append(f"[b $text-accent]{label}[/]")
        else:
            parts.append(f"[$text-muted]{label}[/]")
    return Content.from_markup("  ›  ".join(parts))


def _facts(file_name: str, summary: ChatSummary) -> Content:
    span = "no dates"
    if summary.first and summary.last:
        span = f"{summary.first:%Y-%m-%d} to {summary.last:%Y-%m-%d}"
    kinds = " · ".join(f"{n:,} {kind}" for kind, n in summary.kinds.items())
    return Content.from_markup(
        "[b]$format[/b]  $file$title\n$messages messages, $span\n[$text-muted]$kinds[/]",
        format=FORMAT_NAMES.get(summary.format, summary.format),
        # A folder or zip: which of its files was read (the others are in a warning).
        file=f"{file_name} › {summary.member}" if summary.member else file_name,
        title=f"  ·  {summary.title}" if summary.title else "",
        messages=f"{summary.messages:,}",
        span=span,
        kinds=kinds,
    )


def _people(summary: ChatSummary) -> Table:
    table = Table(box=None, show_edge=False, pad_edge=False)
    table.add_column("Participant")
    table.add_column("messages", justify="right")
    for p in summary.participants:
        table.add_row(Text(p.name), f"{p.messages:,}")
    return table


def _consent(prepared: Prepared) -> Content:
    settings = prepared.dataset.settings
    if not prepared.remote:
        where = (
            "It will be trained on this computer: the messages stay here and nothing is uploaded."
        )
    else:
        redacted = (
            "with phone numbers, e-mails, IBANs and cards replaced"
            if settings.redact
            else "unredacted"
        )
        where = (
            "It will be trained by OpenAI: when you start training, the examples "
            f"({redacted}) are uploaded to OpenAI. Nothing leaves this computer before then."
        )
    return Content.from_markup(
        "A model will learn to write like [b]$persona[/b], from $messages of their "
        "messages in this chat.\n\n$where\n\nOnly do this if $persona agreed. Did they?",
        persona=settings.persona,
        messages=f"{prepared.persona_messages():,}",
        where=where,
    )
