"""Training a model: the settings that matter, then its job followed live from the store.

The settings are a form of their own (``widgets/training_form.py``); this screen switches
between it and the live view, and starts the run the form reads back.

The job runs in a process of its own (or on a remote service, followed by a watcher
process): this screen only starts, resumes and cancels it through the backend, and reads
the model's store about once a second. Leaving the screen or quitting the app leaves the
job running; opening the screen again picks it up where it is (and starts a new watcher
for a remote job whose watcher died).

Before anything goes to a remote service the user gives the API key if none is set, then
confirms what is sent and what it costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.timer import Timer
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    ProgressBar,
    RichLog,
    Static,
)
from textual.worker import Worker, WorkerState

from gpt_is_you import providers
from gpt_is_you.providers.base import CHECKPOINT, SEND_AGAIN, WATCH
from gpt_is_you.providers.settings import RemoteSettings, TrainSettings
from gpt_is_you.store import jobs
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.jobs import Event, Job
from gpt_is_you.store.models import Model, chosen_base, find_model
from gpt_is_you.store.pace import Pace, clock, doing, elapsed
from gpt_is_you.tui.screens.base import AppScreen, styles
from gpt_is_you.tui.widgets.api_key import ApiKeyDialog, key_places
from gpt_is_you.tui.widgets.chart import LineChart, Series, percent
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog
from gpt_is_you.tui.widgets.training_form import TrainingForm
from gpt_is_you.words import count

STATE_WORDS = {
    jobs.QUEUED: "starting",
    jobs.RUNNING: "training",
    jobs.SUCCEEDED: "trained",
    jobs.FAILED: "failed",
    jobs.CANCELLED: "cancelled",
    jobs.INTERRUPTED: "interrupted",
}

TRAINED = "Press c to chat with it, or n for a new run with other settings."
# What comes after a job that ended without finishing, by what resuming it would do
# (``Provider.resume_kind``): a remote job has no checkpoint here to go on from.
NEXT_STEP = {
    CHECKPOINT: "Press r to resume from its last checkpoint, or n for a new run.",
    WATCH: "Press r to watch the job again, or n for a new run.",
    SEND_AGAIN: "Press r to try again, or n for a new run with other settings.",
    None: "Press n for a new run with other settings.",
}


@dataclass(frozen=True)
class Reading:
    """The model's latest job as the store has it, the events after those already shown,
    and the store's clock at the moment it was read."""

    job: Job | None
    metrics: dict[str, list[tuple[int, float]]]
    events: list[tuple[int, Event]]
    now: datetime
    base: str | None = None  # the base chosen when the model was made, if one was


def read_training(model: Model, after_event: int) -> Reading:
    with model.db() as db:
        job = jobs.read_job(db)
        metrics = jobs.read_metrics(db, job.id) if job else {}
        events = jobs.read_events(db, job.id, after_event) if job else []
        base = chosen_base(db)
    # The store's clock, read after the job: tests fix it, and a step is never newer.
    return Reading(job, metrics, events, datetime.fromisoformat(jobs.now()), base)


class TrainingScreen(AppScreen):
    CSS_PATH = styles("training")
    PLACE = "the training screen"
    HELP = """\
## Training

**Setup**: choose the backend and the base model, change the settings if you
like, and press **Enter** or **Ctrl+S** to start. Blank max steps trains every
step of the epochs; the base model defaults to the bundled SmolLM2. **F3** lists
the bases that fit this machine, their languages, licences and how long each would
train on this model's examples, the recommended one first picked; Enter takes it.

**OpenAI, Azure OpenAI**: the examples are uploaded and trained on there. You
give the API key first if none is set, then see what is sent and its estimated
cost, and nothing leaves this machine until you press **Send**. Blank epochs,
batch size and learning-rate multiplier let the service choose.

**Live**: the job's state, step, elapsed time and ETA, the loss and token
accuracy on the training and validation examples, and its log.

- **x** cancels the job (it asks first; the job keeps a checkpoint).
- **r** resumes an interrupted, cancelled or failed job from its checkpoint
  (a remote job that lost its watcher is watched again).
- **d** deletes the files uploaded for a remote job once it has ended.
- **n** goes back to the settings for a new run once the job has ended.
- **c** chats with the model once it is trained.
- **Esc** goes back. The job goes on in its own process when you leave this
  screen or quit the app; open the screen again to follow it.
"""

    # show=False: in the palette (Ctrl+P) and F1's list, not in the footer, which keeps
    # Quit, Help and the screen's main keys within 80 columns.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "start",
            "Start",
            id="training.start",
            tooltip="Start training with these settings.",
        ),
        Binding(
            "f3",
            "choose_base",
            "Bases",
            id="training.bases",
            tooltip="Choose a base model: what fits this machine and how long each would take.",
            show=False,
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
            "d",
            "delete_uploads",
            "Delete uploads",
            id="training.delete_uploads",
            tooltip="Delete the files uploaded for this job at the service (asks first).",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="training.back",
            tooltip="Back to {below} (the job goes on).",
        ),
    ]

    # How often the store is read; tests shorten it.
    POLL_SECONDS: ClassVar[float] = 1.0

    class Read(Message):
        """A reading of the store, posted by the polling worker."""

        def __init__(self, reading: Reading) -> None:
            super().__init__()
            self.reading = reading

    class Uploads(Message):
        """The files an ended remote job left at its service (read once its watcher is
        done)."""

        def __init__(self, backend: str, files: tuple[str, ...], succeeded: bool) -> None:
            super().__init__()
            self.backend = backend
            self.files = files
            self.succeeded = succeeded

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model  # the name, as the user saw it
        self.found: Model | None = None  # the model, found once when the screen opens
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
            self.found = find_model(model)
            self._first = read_training(self.found, 0)
        except ModelError as error:
            self._first, self._missing = Reading(None, {}, [], datetime.now()), error
        self._mode = "live" if self._first.job else "setup"
        # The files a succeeded remote job left at its service: None until known.
        self._uploads: tuple[str, ...] | None = None
        self._offered = False  # deleting them is offered once per visit
        self._now = self._first.now

    # Layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial=self._mode, id="training"):
            yield TrainingForm(
                self.model, self._first.job, base=self._first.base, found=self.found, id="setup"
            )
            yield from self._compose_live()
        download = ProgressBar(id="base-download")  # shown while a base downloads
        download.display = False
        yield download
        yield Footer()

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
        if self._missing is not None:
            self.app.pop_screen()
            self.app.show_error(self._missing)
            return
        self._apply(self._first)
        self._focus_mode()
        self._timer = self.set_interval(self.POLL_SECONDS, self._poll)
        job = self._first.job
        if job is not None and providers.is_remote(job.backend):
            self._reattach(job.backend)

    @work(thread=True, exit_on_error=False, group="training-reattach")
    def _reattach(self, backend: str) -> None:
        # A remote job goes on at the service without us; if the process that watched it
        # died (the machine restarted), the backend starts another that finds it again.
        self.app.provider(backend).watch(self.found)

    # Reading the store ----------------------------------------------------------------

    def _poll(self) -> None:
        self._read(self._seen_event)

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-poll")
    def _read(self, after_event: int) -> None:
        self.post_message(self.Read(read_training(self.found, after_event)))

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
            self._uploads = None
            self.query_one("#job-events", RichLog).clear()
            self.query_one("#job-progress", ProgressBar).update(total=None, progress=0)
            self._switch("live")
        changed = job != self._job
        if self._job is not None and job.state != self._job.state:
            self._uploads = None  # resumed, or ended again: read what is left anew
        self._job = job
        self._now = reading.now
        if job.active:
            self._pace.see(job)
        self._show_state(job, reading.now)
        self._show_metrics(reading.metrics)
        self._show_events(reading.events)
        if changed:
            self.refresh_bindings()
        if providers.is_remote(job.backend) and not job.active and self._uploads is None:
            self._read_uploads(job.id, job.backend)

    def _show_state(self, job: Job, now: datetime) -> None:
        total = job.total_steps
        word = STATE_WORDS.get(job.state, job.state)
        line = f"[b {_state_colour(job)}]{word}[/]   "
        if job.active and job.phase:  # a local worker says what it does
            line = f"[b {_state_colour(job)}]{escape(doing(job))}[/]"
        elif total:
            line += f"step {job.step:,} of {total:,}"
        elif job.active and providers.is_remote(job.backend):  # until the service reports
            line += f"preparing: uploading, then waiting for {providers.service(job.backend)}"
        elif job.active:  # until its first report, the worker starts
            line += "preparing: starting the worker"
        else:
            line += f"step {job.step:,}"
        line += f"   elapsed {clock(elapsed(job, now))}"
        if job.active:
            line += f"   ETA {clock(self._pace.remaining(job))}"
        line += f"\n[dim]job {job.id} · {job.backend} · base {escape(job.base_model)}"
        if job.remote_id:
            line += f" · {escape(job.remote_id)}"
        line += "[/]"
        if (next_step := self._next_step(job)) is not None:
            line += f"\n[i]{next_step}[/]"
        if self._uploads:
            line += (
                f"\n[$text-warning]{count(len(self._uploads), 'uploaded file')} still at "
                f"{providers.service(job.backend)}: d deletes them.[/]"
            )
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

    # What a remote job left at its service -------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-uploads")
    def _read_uploads(self, job_id: int, backend: str) -> None:
        with self.found.db() as db:
            # The watcher may still be reading the results file, or deleting the files
            # itself (when asked to): what is left is known once it is done.
            if not jobs.watcher_gone(db, job_id):
                return
        left = self.app.provider(backend).leftovers(self.found)
        with self.found.db() as db:
            succeeded = jobs.read_job(db, job_id).state == jobs.SUCCEEDED
        self.post_message(self.Uploads(backend, left.files, succeeded))

    @on(Uploads)
    def _on_uploads(self, message: Uploads) -> None:
        if self._job is None or self._job.active:  # read before a resume: out of date
            return
        self._uploads = message.files
        self._show_state(self._job, self._now)
        self.refresh_bindings()
        # Offered when the training is done; after a failure the user may want to look
        # at the files first (d deletes them whenever).
        if message.files and message.succeeded and not self._offered:
            self._offered = True
            self._ask_delete_uploads(message.backend, offer=True)

    def action_delete_uploads(self) -> None:
        if self._job is not None and self._uploads:
            self._ask_delete_uploads(self._job.backend, offer=False)

    def _ask_delete_uploads(self, backend: str, *, offer: bool) -> None:
        service = providers.service(backend)
        files = self._uploads or ()

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete_uploads(backend)

        body = (
            f"{service} still keeps {count(len(files), 'file')} of this job "
            f"({', '.join(files)}), among them your examples as they were sent."
        )
        if offer:
            body = f"The training is done. {body} d deletes them later too."
        self.app.push_screen(
            ConfirmDialog(
                f"Delete the uploaded files at {service} now?",
                escape(body),
                confirm="Delete them",
                danger=True,
            ),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="training-delete")
    def _delete_uploads(self, backend: str) -> None:
        provider = self.app.provider(backend)
        deleted = provider.delete_remote(self.found, files_only=True)
        service = providers.service(backend)
        self.app.call_from_thread(
            self.notify,
            f"Deleted at {service}: {', '.join(deleted)}." if deleted else "Nothing was left.",
            title="Uploaded files deleted",
        )
        self.post_message(self.Uploads(backend, provider.leftovers(self.found).files, False))

    def _resume_kind(self, job: Job) -> str | None:
        return self.app.provider(job.backend).resume_kind(job)

    def _next_step(self, job: Job) -> str | None:
        if job.state == jobs.SUCCEEDED:
            return TRAINED
        if job.state not in jobs.RESUMABLE:
            return None
        return NEXT_STEP[self._resume_kind(job)]

    # Modes ----------------------------------------------------------------------------

    def _switch(self, mode: str) -> None:
        if mode != self._mode:
            self._mode = mode
            self.query_one("#training", ContentSwitcher).current = mode
            self._focus_mode()
            self.refresh_bindings()

    def _focus_mode(self) -> None:
        if self._mode == "setup":
            self.query_one(TrainingForm).focus_first()
        else:
            self.query_one("#job-events", RichLog).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job, live = self._job, self._mode == "live"
        if action == "start":
            return not live and not self._starting
        if action == "choose_base":
            return not live and not providers.is_remote(self.query_one(TrainingForm).backend)
        if action == "cancel_job":
            return live and job is not None and job.active
        if action == "resume":
            return live and job is not None and self._resume_kind(job) is not None
        if action == "delete_uploads":
            return live and bool(self._uploads)
        if action == "new_run":
            return live and job is not None and not job.active
        if action == "chat":
            return job is not None and job.state == jobs.SUCCEEDED
        return True

    # Setup ----------------------------------------------------------------------------

    def action_choose_base(self) -> None:
        self.query_one(TrainingForm).choose_base()

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _submit(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        if self._starting or self._mode != "setup":
            return
        run = self.query_one(TrainingForm).read()
        if run is None:
            return
        self._set_starting(True)
        if isinstance(run.settings, TrainSettings):
            self._start(run.backend, run.settings)
        else:
            self._start_remote(run.backend, run.settings)

    def _set_starting(self, starting: bool) -> None:
        self._starting = starting
        self.query_one(TrainingForm).set_starting(starting)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-start")
    def _start(self, backend: str, settings: TrainSettings) -> None:
        # A ProviderError (no base model, a failed download, training already) becomes
        # the app's dialog. A base from the hub is downloaded first, here: the job's
        # worker never downloads.
        provider = self.app.provider(backend)
        try:
            provider.fetch(settings, progress=self._downloading)
            provider.start(self.found, settings)
        finally:
            self.app.call_from_thread(self._show_download, None)
            self.app.call_from_thread(self._set_starting, False)
        self.post_message(self.Read(read_training(self.found, self._seen_event)))

    def _downloading(self, done: int, total: int) -> None:
        """From the start worker's thread: the base's download moved."""
        self.app.call_from_thread(self._show_download, (done, total))

    def _show_download(self, moved: tuple[int, int] | None) -> None:
        bar = self.query_one("#base-download", ProgressBar)
        bar.display = moved is not None
        if moved is not None:
            done, total = moved
            bar.update(total=total, progress=done)

    @work(exclusive=True, exit_on_error=False, group="training-start")
    async def _start_remote(self, backend: str, settings: RemoteSettings) -> None:
        """The key when none is set, then what goes where and its cost, confirmed, then
        the job. Calls that may wait on the network or the keyring run in threads."""
        try:
            provider = self.app.provider(backend)
            needs_key = await asyncio.to_thread(provider.needs_key)
            if needs_key and not await self._ask_key(backend):
                return
            plan = await asyncio.to_thread(provider.plan, self.found, settings)
            send = await self.app.push_screen_wait(
                ConfirmDialog(
                    f"Send the examples to {plan.service}?",
                    escape(plan.describe()),
                    confirm="Send",
                    careful=True,
                )
            )
            if not send:
                return
            await asyncio.to_thread(provider.start, self.found, settings)
        finally:
            self._set_starting(False)
        self._apply(await asyncio.to_thread(read_training, self.found, self._seen_event))

    async def _ask_key(self, backend: str) -> bool:
        """Ask for the API key and keep it where the user chose; False when cancelled."""
        keyring, config_file = await asyncio.to_thread(key_places)
        dialog = ApiKeyDialog(backend, keyring=keyring, config_file=config_file)
        answer = await self.app.push_screen_wait(dialog)
        if answer is None:
            return False
        where = await asyncio.to_thread(answer.keep)
        service = providers.service(backend)
        self.notify(f"The {service} API key is kept in {where}.", title="API key")
        return True

    # Live -----------------------------------------------------------------------------

    def action_cancel_job(self) -> None:
        def answered(cancel: bool | None) -> None:
            if cancel:
                self._act(lambda provider: provider.cancel(self.found))

        if self._job is not None and providers.is_remote(self._job.backend):
            body = (
                f"{providers.service(self._job.backend)} stops the job. A cancelled remote "
                "job cannot be resumed: n starts a new one."
            )
        else:
            body = (
                "The job stops after the step it is in and keeps its last checkpoint: "
                "r resumes it later."
            )
        self.app.push_screen(
            ConfirmDialog(
                "Cancel training?",
                body,
                confirm="Cancel training",
                danger=True,
            ),
            answered,
        )

    def action_resume(self) -> None:
        self._act(lambda provider: provider.resume(self.found))

    @work(thread=True, exclusive=True, exit_on_error=False, group="training-act")
    def _act(self, call: Callable[[object], object]) -> None:
        call(self.app.provider(self._job.backend))  # offered only once there is a job
        self.post_message(self.Read(read_training(self.found, self._seen_event)))

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
