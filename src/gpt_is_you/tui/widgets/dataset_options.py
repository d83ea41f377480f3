"""The dataset options of a model: where it trains and how its examples are built.

Reused by the import wizard and by duplicating a model with other settings. The
defaults are ``gpt-is-you new``'s: BuildSettings' own, and the target's (the token
limit, and redaction on for OpenAI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, Static

from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.dataset.settings import TARGETS, BuildSettings
from gpt_is_you.tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from gpt_is_you.dataset.prepare import Prepared

TARGET_CHOICES = (("this computer (local)", "local"), ("OpenAI", "openai"))
MEDIA_CHOICES = (("dropped", "drop"), ("kept as [media]", "placeholder"))


# The ranges are BuildSettings', which the command line checks too; the share is typed
# as a percentage here.
_LIMITS = BuildSettings.LIMITS
_PERCENT = _LIMITS["validation_share"].scaled(100, "%")


def _merge_window(text: str) -> timedelta:
    return timedelta(minutes=_LIMITS["merge_window"].read(text))


def _session_gap(text: str) -> timedelta:
    return timedelta(hours=_LIMITS["session_gap"].read(text))


def _min_chars(text: str) -> int:
    return int(_LIMITS["min_chars"].read(text))


def _validation_share(text: str) -> float:
    return _PERCENT.read(text) / 100


@dataclass(frozen=True)
class _Typed:
    """An option typed as a number."""

    name: str  # the BuildSettings field
    id: str
    label: str
    unit: str
    read: Callable[[str], object]  # raises ValueError, its text the problem
    show: Callable[[Any], str]  # the setting as typed in the field


_TYPED = (
    _Typed("merge_window", "merge-window", "Merge window", "minutes", _merge_window,
           lambda t: f"{t.total_seconds() / 60:g}"),
    _Typed("session_gap", "session-gap", "Session gap", "hours", _session_gap,
           lambda t: f"{t.total_seconds() / 3600:g}"),
    _Typed("min_chars", "min-chars", "Shortest turn", "characters", _min_chars, str),
    _Typed("validation_share", "validation-share", "Held out for validation", "%",
           _validation_share, lambda share: f"{share * 100:g}"),
)  # fmt: skip
# The switches: BuildSettings field, widget id, label.
_SWITCHES = (
    ("drop_link_only", "drop-link-only", "Drop turns that are only links"),
    ("drop_duplicates", "drop-duplicates", "Learn each repeated turn once"),
    ("redact", "redact", "Redact phone numbers, e-mails, IBANs, cards"),
    ("redact_links", "redact-links", "Redact links too"),
)
_TOOLTIPS = {
    "target": "Where the model will be trained: sets the token limit of an example, "
    "and turns redaction on for OpenAI.",
    "merge-window": "Messages of one person this close together become one turn.",
    "session-gap": "A silence this long starts a new conversation (session).",
    "media": "Photos, voice notes and stickers: dropped, or kept as [media]. "
    "Captions are kept either way.",
    "min-chars": "Turns shorter than this are dropped.",
    "validation-share": "The latest sessions, this share of them, are held out to "
    "check the model on conversations it never trained on.",
    "drop-link-only": "Drop turns that are nothing but links.",
    "drop-duplicates": 'A persona turn seen before ("ok", "haha") is learned once; '
    "later ones stay as context.",
    "redact": "Replace phone numbers, e-mail addresses, IBANs and card numbers by "
    "placeholders such as <PHONE>.",
    "redact-links": "Also replace links by <LINK> (with redaction on).",
}


class DatasetOptions(Widget):
    """Fields for the target and the build settings; posts ``Changed`` when they change and
    are valid."""

    DEFAULT_CSS = """
    DatasetOptions {
        height: auto;
    }
    DatasetOptions Grid {
        grid-size: 3;
        grid-columns: 24 12 1fr;
        /* The rows of the typed numbers are as high as the problem told beside them
           (it may take two lines); the others, the selects' too, one line. */
        grid-rows: 1 auto auto 1 auto auto 1;
        grid-gutter: 0 1;
        height: auto;
    }
    DatasetOptions Checkbox {
        column-span: 3;
    }
    DatasetOptions Select {
        column-span: 2;
        width: 26;
    }
    DatasetOptions .option-label {
        color: $text-muted;
    }
    DatasetOptions .option-note {
        color: $text-muted;
    }
    DatasetOptions .option-note.-bad {
        color: $text-error;
    }
    DatasetOptions Input.-bad {
        color: $text-error;
    }
    """

    HELP = """\
## Dataset options

How the chat becomes training examples. The defaults are those of the command line's `new`.

- **Train on**: this computer (nothing leaves it), or OpenAI (redaction turns on).
- **Merge window**: messages of one person this close together become one turn.
- **Session gap**: a silence this long starts a new conversation.
- **Media**: dropped, or kept as `[media]`; captions are kept either way.
- **Shortest turn**: turns shorter than this many characters are dropped.
- **Held out for validation**: the latest sessions, this share, are kept for checking.
- **Redact**: phone numbers, e-mails, IBANs and card numbers become placeholders.
"""

    class Changed(Message):
        """The options changed and every field is valid."""

        def __init__(self, dataset_options: DatasetOptions, options: dict[str, object]) -> None:
            super().__init__()
            self.dataset_options = dataset_options
            self.options = options

        @property
        def control(self) -> DatasetOptions:
            return self.dataset_options

    def __init__(
        self,
        *,
        target: str = "local",
        settings: BuildSettings | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._target = target
        # ``new``'s defaults for the target; the persona is not this widget's.
        self._settings = settings or BuildSettings.for_target(target, persona="")
        self._errors: dict[str, str] = {}
        self._posted: dict[str, object] | None = None

    def compose(self) -> ComposeResult:
        s = self._settings
        with Grid():
            yield Static("Train on", classes="option-label")
            yield Select(TARGET_CHOICES, value=self._target, allow_blank=False, compact=True,
                         id="target", tooltip=_TOOLTIPS["target"])  # fmt: skip
            for typed in _TYPED[:2]:
                yield from self._typed(typed)
            yield Static("Media", classes="option-label")
            yield Select(MEDIA_CHOICES, value=s.media, allow_blank=False, compact=True,
                         id="media", tooltip=_TOOLTIPS["media"])  # fmt: skip
            for typed in _TYPED[2:]:
                yield from self._typed(typed)
            for field, widget_id, label in _SWITCHES:
                yield TickBox(label, value=bool(getattr(s, field)), compact=True,
                               id=widget_id, tooltip=_TOOLTIPS[widget_id])  # fmt: skip

    def _typed(self, typed: _Typed) -> ComposeResult:
        yield Static(typed.label, classes="option-label")
        value = typed.show(getattr(self._settings, typed.name))
        kind = "integer" if typed.name == "min_chars" else "number"
        yield Input(value, type=kind, compact=True, id=typed.id, tooltip=_TOOLTIPS[typed.id])
        yield Static(typed.unit, classes="option-note", id=f"{typed.id}-note")

    def on_mount(self) -> None:
        self._posted = self._read()

    # What the fields say --------------------------------------------------------------

    @property
    def errors(self) -> dict[str, str]:
        """What is wrong with each bad field, by widget id (empty when all are valid)."""
        return dict(self._errors)

    @property
    def valid(self) -> bool:
        return not self._errors

    def options(self) -> dict[str, object]:
        """``target`` and the BuildSettings fields shown (``BuildSettings.for_target``
        takes the fields; ``duplicate_model`` all of them).

        Raises SettingsError naming the first bad field: check ``valid`` first.
        """
        options = self._read()
        if options is None:
            bad = next(t for t in _TYPED if t.id in self._errors)
            raise SettingsError(f"{bad.label} {self._errors[bad.id]}")
        return options

    def _read(self) -> dict[str, object] | None:
        """The options, or None when a field is bad (``_errors`` then says which)."""
        options: dict[str, object] = {
            "target": self.query_one("#target", Select).value,
            "media": self.query_one("#media", Select).value,
        }
        self._errors = {}
        for typed in _TYPED:
            try:
                options[typed.name] = typed.read(self.query_one(f"#{typed.id}", Input).value)
            except ValueError as problem:
                self._errors[typed.id] = str(problem)
        for field, widget_id, _ in _SWITCHES:
            options[field] = self.query_one(f"#{widget_id}", Checkbox).value
        return None if self._errors else options

    # Changes --------------------------------------------------------------------------

    @on(Select.Changed, "#target")
    def _target_changed(self, event: Select.Changed) -> None:
        # As with ``new``: choosing a target brings its redaction default, which the
        # user may then change.
        if event.value != self._target:
            self._target = str(event.value)
            redact = self.query_one("#redact", Checkbox)
            with redact.prevent(Checkbox.Changed):
                redact.value = TARGETS[self._target].redact
        self._changed()

    @on(Select.Changed, "#media")
    @on(Checkbox.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        options = self._read()
        for typed in _TYPED:
            problem = self._errors.get(typed.id)
            note = self.query_one(f"#{typed.id}-note", Static)
            note.update(problem or typed.unit)
            note.set_class(problem is not None, "-bad")
            self.query_one(f"#{typed.id}", Input).set_class(problem is not None, "-bad")
        if options is not None and options != self._posted:
            self._posted = options
            self.post_message(self.Changed(self, options))


def build_counts(prepared: Prepared) -> Group:
    """Examples and tokens per split, sessions, redactions and the price of training: what
    the options give (the wizard and the duplicate dialog show it as options change)."""
    from gpt_is_you.dataset.examples import TRAIN, VALID

    data = prepared.dataset
    table = Table(box=None, show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column("training", justify="right")
    table.add_column("validation", justify="right")
    table.add_row("Examples", f"{len(data.split(TRAIN)):,}", f"{len(data.split(VALID)):,}")
    table.add_row(
        "Tokens", f"{prepared.split_tokens(TRAIN):,}", f"{prepared.split_tokens(VALID):,}"
    )
    lines = [f"{data.sessions:,} session{'' if data.sessions == 1 else 's'}"]
    if data.cut:
        lines[0] += f", {data.cut:,} cut to fit {data.settings.max_tokens:,} tokens"
    if data.settings.redact:
        r = data.redactions
        found = [(r.phone, "phone"), (r.email, "e-mail"), (r.iban, "IBAN"), (r.card, "card")]
        if data.settings.redact_links:
            found.append((r.link, "link"))
        lines.append("Redacted: " + ", ".join(f"{n:,} {what}" for n, what in found))
    cost = prepared.cost()
    if cost is not None:
        lines.append(
            f"Training on OpenAI: {cost.amount} ({cost.epochs} epochs, "
            f"{cost.billed_tokens:,} tokens, {cost.model}"
            + ("" if cost.cost_usd is None else f", prices of {cost.prices_as_of}")
            + ")"
        )
    return Group(table, Text(""), *(Text(line) for line in lines))
