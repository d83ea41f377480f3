"""Training a model: the settings that matter, then its job followed live from the store.

The job runs in a process of its own (or on a remote service): this screen only starts,
resumes and cancels it through the backend, and reads the model's store about once a
second. Leaving the screen or quitting the app leaves the job running; opening the
screen again picks it up where it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.timer import Timer
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    ProgressBar,
    RichLog,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from gpt_is_you.providers.settings import TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.jobs import Event, Job
from gpt_is_you.store.models import open_model
from gpt_is_you.store.pace import Pace, clock, elapsed
from gpt_is_you.tui.screens.base import AppScreen
from gpt_is_you.tui.widgets.chart import LineChart, Series, percent
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog

BACKENDS = [("local: on this machine", "local"), ("openai: in a later version", "openai")]
DEVICES = [(name, name) for name in ("auto", "cpu", "cuda", "mps")]
DEFAULT_BASE_HINT = (
    "blank: SmolLM2-135M-Instruct (bundled); or a model folder, a .gguf file, a hub id"
)


@dataclass(frozen=True)
class Field:
    """A setting typed into the form: its ``TrainSettings`` name, label, type and hint."""

    name: str
    label: str
    kind: type[int] | type[float]
    hint: str
    optional: bool = False  # blank means None

    @property
    def id(self) -> str:
        return self.name.replace("_", "-")

    def parse(self, text: str) -> int | float | None:
        text = text.strip()
        if not text and self.optional:
            return None
        value = self.kind(text)  # ValueError for anything else
        if not math.isfinite(value):
            raise ValueError(text)
        return value


FIELDS = (
    Field("epochs", "Epochs", float, "passes over the examples"),
    Field("max_steps", "Max steps", int, "blank: every step of the epochs", optional=True),
    Field("lr", "Learning rate", float, "between 0 and 1"),
    Field("lora_rank", "LoRA rank", int, "alpha follows at twice the rank"),
    Field("max_seq_len", "Max sequence length", int, "tokens per example; longer ones are cut"),
    Field("seed", "Seed", int, "the same seed gives the same run"),
)

STATE_WORDS = {
    jobs.QUEUED: "starting",
    jobs.RUNNING: "training",
    jobs.SUCCEEDED: "trained",
    jobs.FAILED: "failed",
    jobs.CANCELLED: "cancelled",
    jobs.INTERRUPTED: "interrupted",
}

NEXT_STEP = {
    jobs.SUCCEEDED: "Press c to chat with it, or n for a new run with other settings.",
    jobs.FAILED: "Press r to resume from its last checkpoint, or n for a new run.",
    jobs.CANCELLED: "Press r to resume from its last checkpoint, or n for a new run.",
    jobs.INTERRUPTED: "Press r to resume from its last checkpoint, or n for a new run.",
}


@dataclass(frozen=True)
class Reading:
    """The model's latest job as the store has it, the events after those already shown,
    and the store's clock at the moment it was read."""

    job: Job | None
    metrics: dict[str, list[tuple[int, float]]]
    events: list[tuple[int, Event]]
    now: datetime


def read_training(model: str, after_event: int) -> Reading:
    with open_model(model) as db:
        job = jobs.read_job(db)
        metrics = jobs.read_metrics(db, job.id) if job else {}
        events = jobs.read_events(db, job.id, after_event) if job else []
    # The store's clock, read after the job: tests fix it, and a step is never newer.
    return Reading(job, metrics, events, datetime.fromisoformat(jobs.now()))


class TrainingScreen(AppScreen):
    HELP = """\
## Training

**Setup**: choose the backend and the base model, change the settings if you
like, and press **Enter** or **Ctrl+S** to start. Blank max steps trains every
step of the epochs; the base model defaults to the bundled SmolLM2.

**Live**: the job's state, step, elapsed time and ETA, the loss and token
accuracy on the training and validation examples, and its log.

- **x** cancels the job (it asks first; the job keeps a checkpoint).
- **r** resumes an interrupted, cancelled or failed job from its checkpoint.
- **n** goes back to the settings for a new run once the job has ended.
- **c** chats with the model once it is trained.
- **Esc** goes back. The job goes on in its own process when you leave this
  screen or quit the app; open the screen again to follow it.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "start",
            "Start",
            id="training.start",
            tooltip="Start training with these settings.",
        ),
        Binding(
            "x",
            "cancel_job",
            "Cancel job",
            id="training.cancel",
            tooltip="Stop the job after its current step (asks first; it can be resumed).",
        ),
        Binding(
            "r",
            "resume",
            "Resume",
            id="training.resume",
            tooltip="Continue the job from its last checkpoint.",
        ),
        Binding(
            "n",
            "new_run",
            "New run",
            id="training.new_run",
            tooltip="Back to the settings to train again.",
        ),
        Binding("c", "chat", "Chat", id="training.chat", tooltip="Chat with the trained model."),
        Binding(
            "escape",
            "back",
            "Back",
            id="training.back",
            tooltip="Back to the previous screen (the job goes on).",
        ),
    ]

    # How often the store is read; tests shorten it.
    POLL_SECONDS: ClassVar[float] = 1.0

    class Read(Message):
        """A reading of the store, posted by the polling worker."""

        def __init__(self, reading: Reading) -> None:
            super().__init__()
            self.reading = reading

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.sub_title = f"Training · {model}"
        self._job: Job | None = None
        self._seen_event = 0
        self._pace = Pace()
        self._starting = False
        self._timer: Timer | None = None
        # A few small reads, so that the first paint shows the job. The model may have
        # been removed since the list was drawn: on_mount says so.
        self._missing: ModelError | None = None
        try:
            self._first = read_training(model, 0)
        except ModelError as error:
            self._first, self._missing = Reading(None, {}, [], datetime.now()), error
        self._mode = "live" if self._first.job else "setup"

    # Layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial=self._mode, id="training"):
            yield from self._compose_setup()
            yield from self._compose_live()
        yield Footer()

    def _compose_setup(self) -> ComposeResult:
        job = self._first.job
        defaults = TrainSettings.from_json(job.settings) if job else TrainSettings()
        with VerticalScroll(id="setup"):
            yield Static(f"Train [b]{escape(self.model)}[/b]", id="setup-title")
            with Horizontal(classes="field"):
                yield Label("Backend", classes="field-label")
                yield Select(BACKENDS, value="local", allow_blank=False, id="backend")
                yield Static("OpenAI fine-tuning comes in a later version.", classes="field-hint")
            with Horizontal(classes="field"):
                yield Label("Base model", classes="field-label")
                base = "" if defaults.base == "default" else defaults.base
                yield Input(base, placeholder="default", id="base")
                yield Static(DEFAULT_BASE_HINT, id="base-hint", classes="field-hint")
            for field in FIELDS:
                value = getattr(defaults, field.name)
                with Horizontal(classes="field"):
                    yield Label(field.label, classes="field-label")
                    yield Input(
                        "" if value is None else f"{value:g}",
                        type="integer" if field.kind is int else "number",
                        id=field.id,
                    )
                    yield Static(field.hint, id=f"{field.id}-hint", classes="field-hint")
            with Horizontal(classes="field"):
                yield Label("Device", classes="field-label")
                yield Select(DEVICES, value=defaults.device, allow_blank=False, id="device")
                yield Static("auto: a GPU when there is one", classes="field-hint")
            yield Button("Start training", id="start", variant="primary")

    def _compose_live(self) -> ComposeResult:
        with Vertical(id="live"):
            yield Static(id="job-state")
            yield ProgressBar(id="job-progress", show_eta=False)
            yield Static(id="job-error", markup=False)
            with Horizontal(id="charts"):
                yield LineChart("Loss", id="loss-chart")
                yield LineChart("Token accuracy", value_format=percent, id="accuracy-chart")
            yield RichLog(id="job-events", wrap=True, markup=False)

    def on_mount(self) -> None:
        # The openai backend is listed so that people know it is coming, but not offered.
        self.query_one("#backend", Select).query_one(OptionList).disable_option_at_index(1)
        if self._missing is not None:
            self.app.pop_screen()
            self.app.show_error(self._missing)
            return
        self._apply(self._first)
        self._focus_mode()
        self._timer = self.set_interval(self.POLL_SECONDS, self._poll)

    # Reading the store ----------------------------------------------------------------

    def _poll(self) -> None:
        self._read(self._seen_event)

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-poll")
    def _read(self, after_event: int) -> None:
        self.post_message(self.Read(read_training(self.model, after_event)))

    @on(Read)
    def _on_read(self, message: Read) -> None:
        self._apply(message.reading)

    @on(Worker.StateChanged)
    def _poll_failed(self, event: Worker.StateChanged) -> None:
        # The base screen shows the error (the model was removed, say) once; polling
        # again would show it every second.
        failed = event.worker.group == "training-poll" and event.state == WorkerState.ERROR
        if failed and self._timer is not None:
            self._timer.stop()

    def _apply(self, reading: Reading) -> None:
        job = reading.job
        if job is None:
            return
        if self._job is None or job.id != self._job.id:
            # A job this screen has not shown yet (just started, or from the CLI).
            self._pace = Pace()
            self._seen_event = 0
            self.query_one("#job-events", RichLog).clear()
            self.query_one("#job-progress", ProgressBar).update(total=None, progress=0)
            self._switch("live")
        changed = job != self._job
        self._job = job
        if job.active:
            self._pace.see(job)
        self._show_state(job, reading.now)
        self._show_metrics(reading.metrics)
        self._show_events(reading.events)
        if changed:
            self.refresh_bindings()

    def _show_state(self, job: Job, now: datetime) -> None:
        total = job.total_steps
        word = STATE_WORDS.get(job.state, job.state)
        line = f"[b {_state_colour(job)}]{word}[/]   "
        if total:
            line += f"step {job.step:,} of {total:,}"
        elif job.active:  # until its first report, the worker loads the base model
            line += "preparing: loading the base model"
        else:
            line += f"step {job.step:,}"
        line += f"   elapsed {clock(elapsed(job, now))}"
        if job.active:
            line += f"   ETA {clock(self._pace.remaining(job))}"
        line += f"\n[dim]job {job.id} · {job.backend} · base {escape(job.base_model)}[/]"
        if job.state in NEXT_STEP:
            line += f"\n[i]{NEXT_STEP[job.state]}[/]"
        self.query_one("#job-state", Static).update(line)
        bar = self.query_one("#job-progress", ProgressBar)
        if total:
            bar.update(total=total, progress=job.step)
        elif not job.active:  # ended before it knew its length: a still bar, not a busy one
            bar.update(total=1, progress=1 if job.state == jobs.SUCCEEDED else 0)
        error = self.query_one("#job-error", Static)
        error.display = bool(job.error) and not job.active
        if error.display:
            title = "Training failed" if job.state == jobs.FAILED else "Training stopped"
            error.update(f"{title}: {job.error}")
            error.set_class(job.state == jobs.FAILED, "-failed")

    def _show_metrics(self, metrics: dict[str, list[tuple[int, float]]]) -> None:
        def series(label: str, name: str) -> Series:
            return Series(label, tuple(metrics.get(name, ())))

        self.query_one("#loss-chart", LineChart).set_series(
            series("train", jobs.TRAIN_LOSS), series("valid", jobs.VALID_LOSS)
        )
        self.query_one("#accuracy-chart", LineChart).set_series(
            series("train", jobs.TRAIN_ACCURACY), series("valid", jobs.VALID_ACCURACY)
        )

    def _show_events(self, events: list[tuple[int, Event]]) -> None:
        log = self.query_one("#job-events", RichLog)
        for event_id, event in events:
            if event_id <= self._seen_event:  # a slower, older poll may bring it again
                continue
            self._seen_event = event_id
            style = {"error": "bold red", "warning": "yellow"}.get(event.level, "")
            log.write(Text(f"{event.time[11:]}  {event.message}", style=style))

    # Modes ----------------------------------------------------------------------------

    def _switch(self, mode: str) -> None:
        if mode != self._mode:
            self._mode = mode
            self.query_one("#training", ContentSwitcher).current = mode
            self._focus_mode()
            self.refresh_bindings()

    def _focus_mode(self) -> None:
        if self._mode == "setup":
            self.query_one("#base", Input).focus()
        else:
            self.query_one("#job-events", RichLog).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job, live = self._job, self._mode == "live"
        if action == "start":
            return not live and not self._starting
        if action == "cancel_job":
            return live and job is not None and job.active
        if action == "resume":
            return live and job is not None and job.state in jobs.RESUMABLE
        if action == "new_run":
            return live and job is not None and not job.active
        if action == "chat":
            return job is not None and job.state == jobs.SUCCEEDED
        return True

    # Setup ----------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _submit(self) -> None:
        self.action_start()

    @on(Input.Changed)
    def _forget_problem(self, event: Input.Changed) -> None:
        if event.input.id is not None:
            self._mark(event.input.id, None)

    def action_start(self) -> None:
        if self._starting or self._mode != "setup":
            return
        settings = self._settings()
        if settings is None:
            return
        self._set_starting(True)
        self._start(str(self.query_one("#backend", Select).value), settings)

    def _settings(self) -> TrainSettings | None:
        """The settings in the form, or None after marking what is wrong by its field."""
        values: dict[str, object] = {}
        problems: list[tuple[str, str]] = []
        for field in FIELDS:
            try:
                values[field.name] = field.parse(self.query_one(f"#{field.id}", Input).value)
            except ValueError:
                word = "a whole number" if field.kind is int else "a number"
                problems.append((field.name, f"must be {word}"))
        if not problems:
            settings = TrainSettings.chosen(
                base=self.query_one("#base", Input).value.strip() or "default",
                device=str(self.query_one("#device", Select).value),
                **values,
            )
            problems = settings.problems()
        for field in FIELDS:
            self._mark(field.id, dict(problems).get(field.name))
        if problems:
            self.query_one(f"#{problems[0][0].replace('_', '-')}", Input).focus()
            return None
        return settings

    def _mark(self, field_id: str, problem: str | None) -> None:
        field = next((f for f in FIELDS if f.id == field_id), None)
        if field is None:
            return
        self.query_one(f"#{field_id}", Input).set_class(problem is not None, "-invalid")
        hint = self.query_one(f"#{field_id}-hint", Static)
        hint.update(f"{field.label} {problem}" if problem else field.hint)
        hint.set_class(problem is not None, "-problem")

    def _set_starting(self, starting: bool) -> None:
        self._starting = starting
        self.query_one("#start", Button).disabled = starting
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-start")
    def _start(self, backend: str, settings: TrainSettings) -> None:
        # A ProviderError (no base model, training already) becomes the app's dialog.
        try:
            self.app.provider(backend).start(self.model, settings)
        finally:
            self.app.call_from_thread(self._set_starting, False)
        self.post_message(self.Read(read_training(self.model, self._seen_event)))

    # Live -----------------------------------------------------------------------------

    def action_cancel_job(self) -> None:
        def answered(cancel: bool | None) -> None:
            if cancel:
                self._act(lambda provider: provider.cancel(self.model))

        self.app.push_screen(
            ConfirmDialog(
                "Cancel training?",
                "The job stops after the step it is in and keeps its last checkpoint: "
                "r resumes it later.",
                confirm="Cancel training",
                danger=True,
            ),
            answered,
        )

    def action_resume(self) -> None:
        self._act(lambda provider: provider.resume(self.model))

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-act")
    def _act(self, call: Callable[[object], object]) -> None:
        backend = self._job.backend if self._job else "local"
        call(self.app.provider(backend))
        self.post_message(self.Read(read_training(self.model, self._seen_event)))

    def action_new_run(self) -> None:
        self._switch("setup")

    def action_chat(self) -> None:
        self.app.open_chat(self.model)

    def action_back(self) -> None:
        # Nothing here stops the job: it belongs to its own process, not to this screen.
        self.dismiss()


def _state_colour(job: Job) -> str:
    if job.state == jobs.FAILED:
        return "$error"
    if job.state == jobs.SUCCEEDED:
        return "$success"
    return "$warning" if job.state in jobs.RESUMABLE else "$accent"
