"""The settings of a new training run: the backend, then the local or the remote settings.

The training screen shows this form before its first job and again for a new run. The
form composes the fields (filled from the latest job's settings, so that a new run starts
from the last one), shows one backend's settings at a time, and reads them back as a
``NewRun``, marking each problem by its field. Starting the job is the screen's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.worker import get_current_worker

from gpt_is_you import providers
from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.limits import Limit
from gpt_is_you.providers.settings import PRECISIONS, REMOTE_BASES, RemoteSettings, TrainSettings
from gpt_is_you.store.jobs import Job
from gpt_is_you.tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from gpt_is_you.providers.local.estimate import Estimate
    from gpt_is_you.store.models import Model

DEVICES = [(name, name) for name in ("auto", "cpu", "cuda", "mps")]
DEFAULT_BASE_HINT = (
    "blank: SmolLM2-135M-Instruct (bundled); or a model folder, a .gguf file, a hub id"
)


@dataclass(frozen=True)
class Field:
    """A setting typed into the form: its ``TrainSettings`` (or ``RemoteSettings``) name,
    label and hint, and the range of a number (None for text) from the settings'
    ``LIMITS``, which the command line checks too."""

    name: str
    label: str
    limit: Limit | None
    hint: str
    optional: bool = False  # blank means None
    prefix: str = ""  # of the widget's id: the remote form has fields of the same names

    @property
    def id(self) -> str:
        return self.prefix + self.name.replace("_", "-")

    @property
    def input_type(self) -> str:
        if self.limit is None:
            return "text"
        return "integer" if self.limit.whole else "number"

    def parse(self, text: str) -> int | float | str | None:
        """The value typed; ValueError, its text the problem, for a bad number."""
        text = text.strip()
        if not text and self.optional:
            return None
        return text if self.limit is None else self.limit.read(text)


def _local(name: str, label: str, hint: str, *, optional: bool = False) -> Field:
    return Field(name, label, TrainSettings.LIMITS[name], hint, optional=optional)


FIELDS = (
    _local("epochs", "Epochs", "passes over the examples"),
    _local("max_steps", "Max steps", "blank: every step of the epochs", optional=True),
    _local("lr", "Learning rate", "between 0 and 1"),
    _local("lora_rank", "LoRA rank", "alpha follows at twice the rank"),
    _local("max_seq_len", "Max sequence length", "tokens per example; longer ones are cut"),
    _local("seed", "Seed", "the same seed gives the same run"),
)

REMOTE = "remote-"


def _remote(name: str, label: str, hint: str) -> Field:
    """A field of the remote form: blank leaves the choice to the service."""
    limit = RemoteSettings.LIMITS.get(name)  # none for the suffix, a name
    return Field(name, label, limit, hint, optional=True, prefix=REMOTE)


REMOTE_FIELDS = (
    _remote("epochs", "Epochs", "blank: auto (the service chooses)"),
    _remote("batch_size", "Batch size", "blank: auto"),
    _remote("lr_multiplier", "LR multiplier", "of the learning rate; blank: auto"),
    _remote("seed", "Seed", "the same seed gives the same run; blank: any"),
    _remote("suffix", "Suffix", "in the tuned model's id; blank: this model's name"),
)
ALL_FIELDS = (*FIELDS, *REMOTE_FIELDS)
OTHER_BASE_HINT = "blank: the one chosen above; or any model name (ft:… trains a fine-tune again)"


@dataclass(frozen=True)
class NewRun:
    """What the form says to start: the backend, and the settings of its kind
    (``TrainSettings`` for the local one, ``RemoteSettings`` for a remote one)."""

    backend: str
    settings: TrainSettings | RemoteSettings


class TrainingForm(VerticalScroll):
    """The training settings, scrolled when the terminal is short.

    The form is the ``VerticalScroll`` itself rather than a container around one: the
    screen's layout, focus order and stylesheet (``#setup …`` in app.tcss) then see the
    same widgets as when the screen composed them itself."""

    def __init__(
        self,
        model: str,
        latest: Job | None,
        *,
        base: str | None = None,
        found: Model | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.model = model
        self._found = found  # the model as the screen found it: the estimate reads it
        self._latest = latest
        self._base = base  # chosen when the model was made: the first run starts from it
        # The latest job's backend is offered again; a backend this app no longer offers
        # falls back to training here.
        offered = providers.names()
        self.backend = (
            latest.backend if latest and latest.backend in offered else providers.default()
        )

    def compose(self) -> ComposeResult:
        job = self._latest
        remote_job = job is not None and providers.is_remote(job.backend)
        local = _latest_settings(TrainSettings, None if remote_job else job)
        if (job is None or remote_job) and self._base:
            local = replace(local, base=self._base)
        yield Static(f"Train [b]{escape(self.model)}[/b]", id="setup-title")
        with Horizontal(classes="field"):
            yield Label("Backend", classes="field-label")
            yield Select(
                [(b.label, b.name) for b in providers.backends()],
                value=self.backend,
                allow_blank=False,
                id="backend",
            )
            yield Static(self._chosen.hint, id="backend-hint", classes="field-hint")
        with Vertical(id="local-settings"):
            yield from self._compose_local(local)
        with Vertical(id="remote-settings"):
            yield from self._compose_remote(
                _latest_settings(RemoteSettings, job if remote_job else None)
            )
        yield Button("Start training", id="start", variant="primary")

    def _compose_local(self, defaults: TrainSettings) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Base model", classes="field-label")
            base = "" if defaults.base == "default" else defaults.base
            yield Input(base, placeholder="default", id="base")
            yield Static(DEFAULT_BASE_HINT, id="base-hint", classes="field-hint")
        with Horizontal(classes="field"):
            yield Label("", classes="field-label")
            choose = Button("Choose… (F3)", id="choose-base", compact=True)
            choose.can_focus = False  # F3 from anywhere; Tab goes on to the next setting
            yield choose
            yield Static(
                "what fits this machine, and how long it takes",
                classes="field-hint",
            )
        yield from _compose_fields(FIELDS, defaults)
        # How long this run takes here, and whether it can learn a voice: shown once the
        # backend says (``Provider.estimate``, worked out in a thread).
        with Horizontal(classes="field", id="estimate-row") as row:
            row.display = False
            yield Label("Estimate", classes="field-label")
            yield Static(id="estimate", classes="field-hint")
        with Horizontal(classes="field"):
            yield Label("Device", classes="field-label")
            yield Select(DEVICES, value=defaults.device, allow_blank=False, id="device")
            yield Static("auto: a GPU when there is one", classes="field-hint")
        with Horizontal(classes="field"):
            yield Label("Precision", classes="field-label")
            yield Select(
                [(name, name) for name in PRECISIONS],
                value=defaults.precision,
                allow_blank=False,
                id="precision",
            )
            yield Static("auto: bfloat16 where it is faster here", classes="field-hint")

    def _compose_remote(self, defaults: RemoteSettings) -> ComposeResult:
        offered = self._remote_bases()
        listed = defaults.base in offered
        with Horizontal(classes="field"):
            yield Label("Base model", classes="field-label")
            yield Select(
                [(name, name) for name in offered],
                value=defaults.base if listed else offered[0],
                allow_blank=False,
                id="remote-base",
            )
            yield Static("what the service fine-tunes now", classes="field-hint")
        with Horizontal(classes="field"):
            yield Label("Or another model", classes="field-label")
            yield Input("" if listed else defaults.base, id="remote-base-other")
            yield Static(OTHER_BASE_HINT, id="remote-base-other-hint", classes="field-hint")
        yield from _compose_fields(REMOTE_FIELDS, defaults)
        with Horizontal(classes="field"):
            yield Label("", classes="field-label")
            yield TickBox(
                "delete the uploaded files when the job ends",
                defaults.delete_files,
                id="delete-files",
            )

    def on_mount(self) -> None:
        self._show_backend()
        self._estimate()

    # The backend ----------------------------------------------------------------------

    def _show_backend(self) -> None:
        """The settings of the chosen backend: the local ones, or the remote ones."""
        chosen = self._chosen
        self.query_one("#local-settings").display = not chosen.remote
        self.query_one("#remote-settings").display = chosen.remote
        if chosen.remote:
            self._offer_bases()
        self.query_one("#backend-hint", Static).update(chosen.hint)
        self.query_one("#start", Button).label = (
            f"Send to {chosen.service}…" if chosen.remote else "Start training"
        )

    def _remote_bases(self) -> tuple[str, ...]:
        """The bases the chosen remote backend fine-tunes, its default first (OpenAI's
        where a backend names none)."""
        chosen = self._chosen
        return (chosen.remote and self.app.provider(self.backend).bases()) or REMOTE_BASES

    def _offer_bases(self) -> None:
        """The chosen backend's bases in the base field, the one picked kept if offered."""
        offered = self._remote_bases()
        select = self.query_one("#remote-base", Select)
        picked = select.value
        select.set_options([(name, name) for name in offered])
        select.value = picked if picked in offered else offered[0]

    @property
    def _chosen(self) -> providers.Backend:
        return providers.backend(self.backend)

    @on(Button.Pressed, "#choose-base")
    def choose_base(self) -> None:
        """The bases on this machine for this model's examples; the one chosen goes in
        the base model's field."""
        from gpt_is_you.tui.widgets.base_choice import BaseChoiceDialog

        def find():
            from gpt_is_you.providers.local.recommend import recommend
            from gpt_is_you.store.models import find_model

            return recommend(find_model(self.model))

        def chosen(name: str | None) -> None:
            if name is not None:
                self.query_one("#base", Input).value = "" if name == "default" else name

        self.app.push_screen(BaseChoiceDialog(find), chosen)

    @on(Select.Changed, "#backend")
    def _backend_chosen(self, event: Select.Changed) -> None:
        self.backend = str(event.value)
        self._show_backend()
        self._estimate()

    # The estimate ---------------------------------------------------------------------

    @on(Input.Changed, "#base, #epochs, #max-steps")
    def _estimate(self) -> None:
        """Ask the backend again how long the run would take, as its budget changes."""
        if self._chosen.remote or self._found is None:
            return
        values, problems = self._values(FIELDS)
        if problems:  # the field says what is wrong; no estimate of a run that cannot start
            self.query_one("#estimate-row").display = False
            return
        base = self.query_one("#base", Input).value.strip() or "default"
        self._find_estimate(self.backend, TrainSettings.chosen(base=base, **values))

    @work(thread=True, exclusive=True, group="training-estimate", exit_on_error=False)
    def _find_estimate(self, backend: str, settings: TrainSettings) -> None:
        # A thread: knowing the machine may import torch (seconds), which the form's
        # opening must not wait for. A failure shows nothing (no event leaves the form).
        estimate = self.app.provider(backend).estimate(self._found, settings)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_estimate, estimate)

    def _show_estimate(self, estimate: Estimate | None) -> None:
        row = self.query_one("#estimate-row")
        row.display = estimate is not None and not self._chosen.remote
        if estimate is not None:
            line = escape(estimate.text)
            if estimate.warning:
                line += f"\n[$text-warning]{escape(estimate.warning)}[/]"
            self.query_one("#estimate", Static).update(line)

    def focus_first(self) -> None:
        """Focus the first setting of the chosen backend: its base model."""
        self.query_one("#remote-base" if self._chosen.remote else "#base").focus()

    def set_starting(self, starting: bool) -> None:
        """The start button is off while a run is being started."""
        self.query_one("#start", Button).disabled = starting

    # Reading the fields ---------------------------------------------------------------

    def read(self) -> NewRun | None:
        """The run the form says to start, or None after marking what is wrong by its
        field (and focusing the first such field)."""
        remote = self._chosen.remote
        settings = self._remote_settings() if remote else self._local_settings()
        return None if settings is None else NewRun(self.backend, settings)

    def _local_settings(self) -> TrainSettings | None:
        values, problems = self._values(FIELDS)
        if self._show_problems(FIELDS, problems):
            return None
        return TrainSettings.chosen(  # every number is in its range: nothing left to check
            base=self.query_one("#base", Input).value.strip() or "default",
            device=str(self.query_one("#device", Select).value),
            precision=str(self.query_one("#precision", Select).value),
            **values,
        )

    def _remote_settings(self) -> RemoteSettings | None:
        values, problems = self._values(REMOTE_FIELDS)
        settings = None
        if not problems:
            other = self.query_one("#remote-base-other", Input).value.strip()
            settings = RemoteSettings(
                base=other or str(self.query_one("#remote-base", Select).value),
                delete_files=self.query_one("#delete-files", Checkbox).value,
                **values,
            )
            problems = settings.problems()
        return None if self._show_problems(REMOTE_FIELDS, problems) else settings

    def _values(self, fields: tuple[Field, ...]) -> tuple[dict[str, object], list[tuple]]:
        values: dict[str, object] = {}
        problems: list[tuple[str, str]] = []
        for field in fields:
            try:
                values[field.name] = field.parse(self.query_one(f"#{field.id}", Input).value)
            except ValueError as problem:
                problems.append((field.name, str(problem)))
        return values, problems

    # Problems by their fields ---------------------------------------------------------

    def _show_problems(self, fields: tuple[Field, ...], problems: list[tuple[str, str]]) -> bool:
        """Mark each field by its problem (or none); True when there is one."""
        found = dict(problems)
        for field in fields:
            self._mark(field.id, found.get(field.name))
        if not problems:
            return False
        first = next((f for f in fields if f.name == problems[0][0]), None)
        # RemoteSettings' "base" is the typed model name: it has no field of its own here.
        self.query_one(f"#{first.id}" if first else "#remote-base-other", Input).focus()
        return True

    @on(Input.Changed)
    def _forget_problem(self, event: Input.Changed) -> None:
        # Whatever was wrong with a field may be right now: its hint comes back until the
        # next start says otherwise.
        if event.input.id is not None:
            self._mark(event.input.id, None)

    def _mark(self, field_id: str, problem: str | None) -> None:
        field = next((f for f in ALL_FIELDS if f.id == field_id), None)
        if field is None:
            return
        self.query_one(f"#{field_id}", Input).set_class(problem is not None, "-invalid")
        hint = self.query_one(f"#{field_id}-hint", Static)
        hint.update(f"{field.label} {problem}" if problem else field.hint)
        hint.set_class(problem is not None, "-problem")


def _latest_settings(kind: type, job: Job | None):
    """The settings of ``job`` to start from, or the defaults: also when a job stored
    numbers out of their ranges (an older version let ``--epochs nan`` through)."""
    if job is None:
        return kind()
    try:
        return kind.from_json(job.settings)
    except SettingsError:
        return kind()


def _compose_fields(fields: tuple[Field, ...], defaults: object) -> ComposeResult:
    for field in fields:
        value = getattr(defaults, field.name)
        with Horizontal(classes="field"):
            yield Label(field.label, classes="field-label")
            yield Input(
                "" if value is None else value if field.limit is None else f"{value:g}",
                type=field.input_type,
                id=field.id,
            )
            yield Static(field.hint, id=f"{field.id}-hint", classes="field-hint")
