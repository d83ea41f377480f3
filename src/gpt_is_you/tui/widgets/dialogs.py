"""Modal dialogs: a question with two answers, an error that says what to do, a text field.

Each is a ``Dialog`` that dismisses with its answer, so a caller writes
``self.app.push_screen(ConfirmDialog(...), callback)`` or awaits ``push_screen_wait``
from a worker. Every dialog takes the same keys (``Dialog``), and tells what is wrong
with a field under that field (``FieldProblem``), keeping what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Static

from gpt_is_you.limits import Limit
from gpt_is_you.tui.screens.base import AppModal, styles
from gpt_is_you.tui.widgets.tick_box import TickBox
from gpt_is_you.user_errors import USER_ERRORS, app_text

T = TypeVar("T")


class Dialog(AppModal[T]):
    """What every dialog shares: Ctrl+N, and Enter in a text field, submit it
    (``action_submit``); Esc cancels (``action_cancel``: dismisses with None); its own
    footer shows those keys, not the screen's below. A checkbox, a select, a list or a
    button keeps its own Enter (tick, open, choose, press), as everywhere in the app.

    A subclass yields its box from ``compose_dialog`` and names its answer ``SUBMIT``
    (the confirming button's label, and the footer's word for Ctrl+N).
    """

    CSS_PATH = styles("dialogs")

    SUBMIT = "OK"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close, changing nothing."
        ),
        Binding(
            "ctrl+n", "submit", "OK", id="dialog.submit", tooltip="Go on with this dialog's answer."
        ),
    ]

    def __init__(self, *, classes: str = "dialog", submit: str | None = None) -> None:
        super().__init__(classes=classes)
        self.submit_label = submit or self.SUBMIT
        # The footer names what Ctrl+N does here ("Delete", "Save"), not a bare "OK".
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                replace(b, description=self.submit_label) if b.id == "dialog.submit" else b
                for b in bindings
            ]

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield Footer()

    def compose_dialog(self) -> ComposeResult:
        raise NotImplementedError

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="dialog-buttons"):
            yield Button("Cancel", id="cancel")
            yield Button(self.submit_label, id="confirm", variant="primary")

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # A problem told under a field goes once the field is typed in again.
        clear_problem(event.input)

    def action_submit(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class FieldProblem(Static):
    """What is wrong with the field above it (``tell_problem``), in the error colour;
    hidden while nothing is."""

    DEFAULT_CSS = """
    FieldProblem {
        color: $text-error;
        height: auto;
        display: none;
    }
    """

    def __init__(self, field_id: str) -> None:
        super().__init__("", id=f"{field_id}-problem", classes="field-problem", markup=False)


def tell_problem(field: Widget, problem: str) -> None:
    """Show ``problem`` under ``field`` (its ``FieldProblem``), mark the field invalid and
    focus it: what was typed stays, to be corrected."""
    note = field.screen.query_one(f"#{field.id}-problem", FieldProblem)
    note.update(problem)
    note.display = True
    field.add_class("-invalid")
    field.focus()


def clear_problem(field: Widget) -> None:
    """Hide the problem told under ``field``, if any. A field with validators keeps the
    invalid mark they set as it is typed."""
    for note in field.screen.query(f"#{field.id}-problem").results(FieldProblem):
        if note.display:
            note.display = False
            if not getattr(field, "validators", None):
                field.remove_class("-invalid")


class ConfirmDialog(Dialog[bool]):
    """Asks one question; dismisses with True for the confirming answer (its button, or
    Ctrl+N), False for Cancel or Esc. With ``check``, a checkbox (ticked) goes with the
    question: the caller reads ``checked``."""

    def __init__(
        self,
        title: str,
        body: str,
        *,
        confirm: str = "OK",
        danger: bool = False,
        careful: bool = False,
        check: str | None = None,
    ) -> None:
        super().__init__(submit=confirm)
        self._title = title
        self._body = body
        self._danger = danger
        # The focus on Cancel: for answers that cannot be taken back (deleting, sending
        # data away), so that a second Enter does nothing.
        self._careful = careful or danger
        # The safe answer has the focus: Enter on a dialog that deletes deletes nothing.
        # (Focused as the screen shows, not on mount: a dialog pushed as the app quits is
        # mounted without its buttons.)
        self.AUTO_FOCUS = "#cancel" if self._careful else "#confirm"
        self._check = check
        # Kept as it changes: the caller reads it once the dialog is gone.
        self.checked = check is not None

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._body, classes="dialog-body")
            if self._check is not None:
                yield TickBox(self._check, True, id="confirm-check", classes="dialog-check")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    self.submit_label, id="confirm", variant="error" if self._danger else "primary"
                )

    @on(Checkbox.Changed, "#confirm-check")
    def _checked(self, event: Checkbox.Changed) -> None:
        self.checked = event.value

    def action_submit(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ErrorDialog(Dialog[None]):
    """Something is wrong: what, and what to do next. No traceback, ever. Enter, Esc and
    Ctrl+N close it."""

    SUBMIT = "Close"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="dialog.cancel", tooltip="Close the message."),
        # Closes as well (every dialog goes on with Ctrl+N); one "Close" in the footer is enough.
        Binding("ctrl+n", "submit", "Close", id="dialog.submit", show=False),
    ]
    AUTO_FOCUS = "#close"

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog error-dialog")
        self._title = title
        self._message = message

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._message, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    def action_submit(self) -> None:
        self.dismiss()


class FormDialog(Dialog[T]):
    """A dialog of fields with Cancel and OK: Enter in a field, Ctrl+N or OK calls
    ``_finish``, which dismisses with the answer or tells a field's problem under it;
    Cancel and Esc dismiss with None."""

    def action_submit(self) -> None:
        self._finish()

    def _finish(self) -> None:
        raise NotImplementedError


class SettingsDialog(FormDialog[T]):
    """Numbers of a frozen dataclass, one field each, checked against the dataclass's
    ``LIMITS`` (the ranges the command line checks too); dismisses with the dataclass
    changed, or None when cancelled."""

    TITLE: ClassVar[str]
    FIELDS: ClassVar[tuple[tuple[str, str], ...]]  # (field, label)

    def __init__(self, current: T) -> None:
        super().__init__()
        self._current = current

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box settings-box"):
            yield Static(self.TITLE, classes="dialog-title")
            for field, label in self.FIELDS:
                with Horizontal(classes="setting-row"):
                    yield Static(label, classes="setting-label")
                    yield Input(
                        str(getattr(self._current, field)),
                        id=_field_id(field),
                        validators=[_InLimit(self._limit(field))],
                        classes="setting-input",
                    )
                yield FieldProblem(_field_id(field))
            yield from self.buttons()

    def _limit(self, field: str) -> Limit:
        return type(self._current).LIMITS[field]

    def _finish(self) -> None:
        values: dict[str, float | int] = {}
        for field, label in self.FIELDS:
            field_input = self.query_one(f"#{_field_id(field)}", Input)
            try:
                values[field] = self._limit(field).read(field_input.value)
            except ValueError as problem:
                tell_problem(field_input, f"{label.split(' (')[0]} {problem}")
                return
        self.dismiss(replace(self._current, **values))


class _InLimit(Validator):
    """Marks a field whose text is not a number in its range as it is typed."""

    def __init__(self, limit: Limit) -> None:
        super().__init__()
        self.limit = limit

    def validate(self, value: str) -> ValidationResult:
        try:
            self.limit.read(value)
        except ValueError as problem:
            return self.failure(str(problem))
        return self.success()


def _field_id(field: str) -> str:
    return f"setting-{field.replace('_', '-')}"


class TextPrompt(FormDialog[str | None]):
    """Asks for one line of text (a new name); dismisses with it, or None when cancelled.

    ``check(text)`` raises a user error (``USER_ERRORS``) when the text will not do (a
    name taken or against the rules): the dialog then says why under the field and stays
    open with what was typed. It runs on the app's thread, so it must be quick.
    """

    def __init__(
        self,
        title: str,
        label: str,
        value: str = "",
        *,
        check: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self._title = title
        self._label = label
        self._value = value
        self._check = check

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._label, classes="dialog-body")
            yield Input(self._value, id="answer")
            yield FieldProblem("answer")
            yield from self.buttons()

    def _finish(self) -> None:
        field = self.query_one("#answer", Input)
        value = field.value.strip()
        if not value:
            tell_problem(field, "Type it first, or press Esc to leave it as it was.")
            return
        if self._check is not None:
            try:
                self._check(value)
            except USER_ERRORS as e:
                tell_problem(field, app_text(e))
                return
        self.dismiss(value)
