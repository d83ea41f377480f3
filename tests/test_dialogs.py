"""Every dialog takes the same keys (Enter in a field and Ctrl+N go on, Esc cancels) and
shows its own footer; input problems are told under their field with the dialog kept
open; the app's words never tell an app user to run a command."""

from __future__ import annotations

import ast
import asyncio
import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Footer, Input

from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store.models import list_models
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.duplicate import DuplicateDialog
from gpt_is_you.tui.widgets.api_key import ApiKey, ApiKeyDialog
from gpt_is_you.tui.widgets.dataset_export import DatasetExportDialog, ExportRequest
from gpt_is_you.tui.widgets.dialogs import ConfirmDialog, ErrorDialog, TextPrompt
from gpt_is_you.tui.widgets.sampling import SamplingDialog
from pilot_helpers import dialog_text, until
from test_tui import home, make_model  # noqa: F401 (home is a fixture)

SRC = Path(__file__).parent.parent / "src" / "gpt_is_you"
SIZE = (100, 30)


def run(scenario) -> None:
    asyncio.run(scenario())


@pytest.fixture
def anna_and_bruno(home: Path) -> None:  # noqa: F811
    make_model("Anna")
    make_model("Bruno")


async def opened(pilot, key: str, kind: type):
    """The dialog ``key`` opens on the models screen, once it shows."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, kind))
    return pilot.app.screen


def footer_keys(app: App) -> dict[str, str]:
    """The keys the current screen's own footer shows, with their descriptions."""
    screen = app.screen
    assert screen.query(Footer), f"{type(screen).__name__} has no footer of its own"
    return {
        key: active.binding.description
        for key, active in screen.active_bindings.items()
        if active.binding.show and active.binding.description
    }


# A dialog of each kind with a text field: (make it, the answer Enter/Ctrl+N gives).
FIELD_DIALOGS = {
    "text": (lambda: TextPrompt("Rename", "The new name:", "Anna"), "Anna"),
    "sampling": (lambda: SamplingDialog(Sampling()), Sampling()),
    "export": (lambda: DatasetExportDialog(), "openai"),
    "api-key": (
        lambda: ApiKeyDialog("openai", keyring=False, config_file="/nowhere/c.toml"),
        "openai",
    ),
}


def _answer(answer: object) -> object:
    """What a dismissal gives, reduced to compare (an API key or export request by a field)."""
    if isinstance(answer, ApiKey):
        return answer.backend
    if isinstance(answer, ExportRequest):
        return answer.format
    return answer


async def shown(pilot, dialog, answers: list[object]) -> None:
    """``dialog`` pushed over a bare app, its answer kept in ``answers``, once it shows."""
    pilot.app.push_screen(dialog, answers.append)
    await until(pilot, lambda: dialog.is_current and pilot.app.focused is not None)


@pytest.mark.parametrize("key", ["enter", "ctrl+n"])
@pytest.mark.parametrize("kind", sorted(FIELD_DIALOGS))
def test_a_dialog_goes_on_with_enter_in_a_field_and_with_ctrl_n(kind: str, key: str) -> None:
    make, expected = FIELD_DIALOGS[kind]
    answers: list[object] = []

    async def scenario() -> None:
        async with App().run_test(size=SIZE) as pilot:
            dialog = make()
            await shown(pilot, dialog, answers)
            dialog.query(Input).first().focus()
            await pilot.pause()
            if kind == "api-key":
                await pilot.press(*"sk-test")
            await pilot.press(key)
            await until(pilot, lambda: answers, what="the dialog did not go on")

    run(scenario)
    assert [_answer(a) for a in answers] == [expected]


@pytest.mark.parametrize("kind", [*sorted(FIELD_DIALOGS), "confirm", "error"])
def test_esc_cancels_a_dialog_and_its_footer_shows_its_own_keys(kind: str) -> None:
    make = {
        **{k: m for k, (m, _) in FIELD_DIALOGS.items()},
        "confirm": lambda: ConfirmDialog("Delete?", "It goes.", confirm="Delete", danger=True),
        "error": lambda: ErrorDialog("Cannot do that", "It broke."),
    }[kind]
    answers: list[object] = []

    async def scenario() -> None:
        async with App().run_test(size=SIZE) as pilot:
            dialog = make()
            await shown(pilot, dialog, answers)
            keys = footer_keys(pilot.app)
            assert keys["escape"] in ("Cancel", "Close")
            if kind != "error":
                assert keys["ctrl+n"] == dialog.submit_label
            await pilot.press("escape")
            await until(pilot, lambda: answers, what="Esc did not close the dialog")

    run(scenario)
    assert answers == [False if kind == "confirm" else None]


def test_ctrl_n_confirms_a_question_even_with_the_focus_on_cancel() -> None:
    answers: list[object] = []

    async def scenario() -> None:
        async with App().run_test(size=SIZE) as pilot:
            dialog = ConfirmDialog("Delete?", "It goes.", confirm="Delete", danger=True)
            pilot.app.push_screen(dialog, answers.append)
            await until(pilot, lambda: dialog.is_current and pilot.app.focused is not None)
            assert pilot.app.focused.id == "cancel"  # Enter stays the safe answer
            await pilot.press("ctrl+n")
            await until(pilot, lambda: answers)

    run(scenario)
    assert answers == [True]


def test_renaming_to_a_taken_name_says_so_beside_the_field_and_keeps_it(anna_and_bruno) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            prompt = await opened(pilot, "r", TextPrompt)
            assert footer_keys(app)["ctrl+n"] == "OK"  # its own footer, not the models'
            await pilot.press(*["backspace"] * 4, *"Bruno", "enter")
            await pilot.pause()
            assert app.screen is prompt  # still open, not an error dialog
            field = prompt.query_one("#answer", Input)
            assert field.value == "Bruno" and field.has_class("-invalid") and field.has_focus
            problem = str(prompt.query_one("#answer-problem").render())
            assert "a model named 'Bruno' exists already" in problem
            assert "`" not in problem and "rm" not in problem.split()
            await pilot.press("backspace", *"ette")  # typing clears it
            assert not prompt.query_one("#answer-problem").display
            await pilot.press("ctrl+n")
            await until(pilot, lambda: "Brunette" in [m.name for m in list_models()])

    run(scenario)
    assert sorted(m.name for m in list_models()) == ["Brunette", "Bruno"]


def test_the_duplicate_dialog_shows_the_counts_and_goes_on_with_enter(home: Path) -> None:  # noqa: F811
    make_model("Bruno")

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, DuplicateDialog))
            dialog = app.screen
            counts = dialog.query_one("#duplicate-counts-text")

            def shown() -> str:
                console = Console(width=80, file=io.StringIO(), record=True)
                console.print(counts.content)
                text = console.export_text()
                return text if "Examples" in text else ""

            # As for the model itself (64 examples: 58 to train, 6 held out)...
            await until(pilot, lambda: re.search(r"Examples +58 +6\b", shown()), what="no counts")
            assert footer_keys(app) == {
                **{k: v for k, v in footer_keys(app).items() if k not in ("escape", "ctrl+n")},
                "escape": "Cancel",
                "ctrl+n": "Duplicate",
            }
            # ... and again as an option changes: nothing held out for validation.
            dialog.query_one("#validation-share", Input).value = "0"
            await until(
                pilot,
                lambda: re.search(r"Examples +64 +0\b", shown()),
                what="the counts did not follow",
            )
            # Enter in an option's field duplicates, as in the name's.
            dialog.query_one("#validation-share", Input).focus()
            await pilot.press("enter")
            await until(pilot, lambda: len(list_models()) == 2, what="not duplicated")

    run(scenario)
    assert sorted(m.name for m in list_models()) == ["Bruno", "Bruno 2"]


def test_the_duplicate_dialog_tells_a_taken_name_beside_it(anna_and_bruno) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await opened(pilot, "d", DuplicateDialog)
            await pilot.press("ctrl+u", *"Bruno", "ctrl+n")
            await pilot.pause()
            assert isinstance(app.screen, DuplicateDialog)
            assert "exists already" in str(app.screen.query_one("#duplicate-name-problem").render())
            assert app.screen.query_one("#duplicate-name", Input).value == "Bruno"

    run(scenario)
    assert sorted(m.name for m in list_models()) == ["Anna", "Bruno"]


def test_an_unexpected_error_is_the_only_something_went_wrong(home: Path) -> None:  # noqa: F811
    from gpt_is_you.store.errors import ModelError

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            app.show_error(ModelError("line for the terminal", app="line for the app"))
            assert await dialog_text(pilot, ErrorDialog) == "line for the app"
            title = str(app.screen.query_one(".dialog-title").render())
            assert title == "Cannot do that"
            await pilot.press("escape")
            app.show_error(RuntimeError("a bug"))
            assert "RuntimeError: a bug" in await dialog_text(pilot, ErrorDialog)
            title = str(app.screen.query_one(".dialog-title").render())
            assert title == "Something went wrong"

    run(scenario)


# What a message says when it tells the user to run a command.
ADVICE = re.compile(
    r"`gpt-is-you |gpt-is-you (train|rm|status|connect|models|examples) |run `|`rm`"
)
# Where the command line's options are named in the advice (`--cancel`, --base PATH).
OPTION = re.compile(r"(^|[\s(`])--[a-z]")
ERRORS = {"ModelError", "ProviderError", "UnreadableModelError", "StorageError", "ReplyCut"}
# The first screen and the evaluation's empty state say what the command line does
# alongside the app, which is information, not what to do here.
SAID_ALONGSIDE = "The command line does the same:"


def _strings(node: ast.AST) -> str:
    return "".join(
        str(c.value)
        for c in ast.walk(node)
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    )


def test_the_apps_words_never_tell_to_run_a_command() -> None:
    found = []
    for path in sorted((SRC / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
            ):
                text = node.value.split(SAID_ALONGSIDE)[0]
                if ADVICE.search(text):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {text[:80]!r}")
    assert not found, "\n".join(found)


def test_every_error_that_names_a_command_has_the_apps_words_too() -> None:
    """An error the app shows (a user error raised in the core) whose line names a command
    or an option carries ``app=``, the way to do it in the app."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts[0] or "tui" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            t.id: _strings(n.value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS):
                continue
            if not node.args and not isinstance(node.func, ast.Name):
                continue
            said = "".join(_strings(a) for a in node.args) + "".join(
                names.get(n.id, "")
                for a in node.args
                for n in ast.walk(a)
                if isinstance(n, ast.Name)
            )
            advice = ADVICE.search(said) or OPTION.search(said)
            if advice and not any(k.arg == "app" for k in node.keywords):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {said[:80]!r}")
    assert not found, "\n".join(found)
