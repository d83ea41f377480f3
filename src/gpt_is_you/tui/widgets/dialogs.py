"""Modal dialogs: a question with two answers, an error that says what to do, a text field.

Each is a ``ModalScreen`` that dismisses with its answer, so a caller writes
``self.app.push_screen(ConfirmDialog(...), callback)`` or awaits ``push_screen_wait``
from a worker.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Static

from gpt_is_you.limits import Limit
from gpt_is_you.tui.screens.base import AppModal
from gpt_is_you.tui.widgets.tick_box import TickBox

T = TypeVar("T")


class ConfirmDialog(ModalScreen[bool]):
    """Asks one question; dismisses with True for the confirming button. With ``check``,
    a checkbox (ticked) goes with the question: the caller reads ``checked``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="dialog.cancel"),
    ]

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
        super().__init__(classes="dialog")
        self._title = title
        self._body = body
        self._confirm = confirm
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

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._body, classes="dialog-body")
            if self._check is not None:
                yield TickBox(self._check, True, id="confirm-check", classes="dialog-check")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    self._confirm, id="confirm", variant="error" if self._danger else "primary"
                )

    @on(Checkbox.Changed, "#confirm-check")
    def _checked(self, event: Checkbox.Changed) -> None:
        self.checked = event.value

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")


class ErrorDialog(ModalScreen[None]):
    """Something went wrong: what, and what to do next. No traceback, ever."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="dialog.close"),
    ]
    AUTO_FOCUS = "#close"

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog error-dialog")
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._message, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss()


class FormDialog(AppModal[T]):
    """A dialog of fields with Cancel and OK: Enter in a field or OK calls ``_finish``,
    which dismisses with the answer; Cancel and Esc dismiss with None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def buttons(self, confirm: str = "OK") -> ComposeResult:
        with Horizontal(classes="dialog-buttons"):
            yield Button("Cancel", id="cancel")
            yield Button(confirm, id="confirm", variant="primary")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._finish()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self._finish()
        else:
            self.dismiss(None)

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

    def compose(self) -> ComposeResult:
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
            yield Static("", id="setting-problem", classes="dialog-body")
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
                self.query_one("#setting-problem", Static).update(
                    escape(f"{label.split(' (')[0]} {problem}")
                )
                field_input.focus()
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
    """Asks for one line of text (a new name); dismisses with it, or None when cancelled."""

    def __init__(self, title: str, label: str, value: str = "") -> None:
        super().__init__()
        self._title = title
        self._label = label
        self._value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self._title, classes="dialog-title")
            yield Static(self._label, classes="dialog-body")
            yield Input(self._value, id="answer")
            yield from self.buttons()

    def _finish(self) -> None:
        value = self.query_one("#answer", Input).value.strip()
        self.dismiss(value or None)
