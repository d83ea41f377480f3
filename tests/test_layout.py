"""Every screen at 80x24 (most terminals' default) and at 200x60: the main list keeps its
rows, the footer keeps Quit, Help and the screen's main keys (the others run from the
palette), nothing is drawn off the screen; and checkboxes read without colour.

Each screen is reached as the screen's own tests reach it (their helpers are reused).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Footer, RadioSet
from textual.widgets._footer import FooterKey

import test_tui_chat as chat
import test_tui_evaluation as evaluation
import test_tui_training as training
import test_tui_wizard as wizard
from conftest import SAMPLE, add_job
from fake_chat import ScriptedChat
from fake_jobs import FakeClock, FakeTrainer, use_clock
from gpt_is_you.store import jobs
from gpt_is_you.store.models import find_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.duplicate import DuplicateDialog
from gpt_is_you.tui.widgets.dialogs import TextPrompt
from gpt_is_you.tui.widgets.tick_box import RadioChoice, TickBox
from pilot_helpers import until

SMALL = (80, 24)
LARGE = (200, 60)


@dataclass(frozen=True)
class Case:
    """A screen in one of its states: the app, how a user gets there, the keys its footer
    must show, and its main list (a selector) with the rows that list must show at 80x24."""

    app: Callable[[FakeTrainer], App]
    reach: Callable[[Pilot, FakeTrainer], Awaitable[None]]
    footer: tuple[str, ...]
    main: str | None = None
    rows: int = 0


def models_app(trainer: FakeTrainer) -> App:
    return GptIsYouApp(providers={"local": trainer})


async def nothing(pilot: Pilot, trainer: FakeTrainer) -> None:
    await pilot.pause()


async def preview(pilot: Pilot, trainer: FakeTrainer) -> None:
    await pilot.press("enter")
    await until(pilot, lambda: getattr(pilot.app.screen, "loaded", False))


async def setup(pilot: Pilot, trainer: FakeTrainer) -> None:
    await training.open_training(pilot)


async def running(pilot: Pilot, trainer: FakeTrainer) -> None:
    trainer.start(find_model("Sam"), training.SETTINGS)
    training.run_steps(trainer, range(1, 41))
    await training.open_training(pilot)
    await until(pilot, training.shows_step(pilot, 40))


async def failed(pilot: Pilot, trainer: FakeTrainer) -> None:
    await running(pilot, trainer)
    trainer.fail("Sam", "the training process ran out of memory at step 40")
    await until(pilot, lambda: "failed" in str(pilot.app.screen.query_one("#job-state").render()))


async def found(pilot: Pilot, trainer: FakeTrainer) -> None:
    await wizard.open_and_read(pilot, SAMPLE)


async def options(pilot: Pilot, trainer: FakeTrainer) -> None:
    await wizard.to_options(pilot)


async def consent(pilot: Pilot, trainer: FakeTrainer) -> None:
    await wizard.to_options(pilot)
    await pilot.press("ctrl+n")
    await pilot.pause()


def chat_app(trainer: FakeTrainer) -> App:
    add_job("Sam", jobs.SUCCEEDED)
    return chat.ChatApp(ScriptedChat(["yo\nsure, what's up"]))


async def talked(pilot: Pilot, trainer: FakeTrainer) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, chat.ChatScreen))
    await chat.send(pilot, "hey")
    await chat.replied(pilot)


def evaluated_app(trainer: FakeTrainer) -> App:
    evaluation.store(evaluation.crafted(evaluation.trained(), prompts=4, seed=0))
    return GptIsYouApp()


async def evaluations(pilot: Pilot, trainer: FakeTrainer) -> None:
    await evaluation.open_evaluation(pilot)


async def duplicate(pilot: Pilot, trainer: FakeTrainer) -> None:
    await pilot.press("d")
    await until(pilot, lambda: isinstance(pilot.app.screen, DuplicateDialog))
    await pilot.pause()


QUIT_HELP = ("Quit", "Help")
CASES = {
    "models": Case(models_app, nothing, ("Examples", "Train", "Chat", *QUIT_HELP), "#models", 1),
    "preview": Case(
        models_app, preview, ("Search", "Train", "Back", *QUIT_HELP), "#preview-table", 5
    ),
    "training setup": Case(models_app, setup, ("Start", "Back", *QUIT_HELP)),
    "training running": Case(
        models_app, running, ("Cancel job", "Back", *QUIT_HELP), "#job-events", 1
    ),
    "training failed": Case(
        models_app, failed, ("Resume", "New run", "Back", *QUIT_HELP), "#job-events", 1
    ),
    "wizard found": Case(models_app, found, ("Next", "Back", *QUIT_HELP)),
    "wizard options": Case(models_app, options, ("Next", "Back", *QUIT_HELP)),
    "wizard consent": Case(models_app, consent, ("Create", "Back", *QUIT_HELP)),
    "chat": Case(chat_app, talked, ("Send", "Back", "New chat", *QUIT_HELP), "#chat-messages", 5),
    "evaluation": Case(
        evaluated_app, evaluations, ("Evaluate", "Back", *QUIT_HELP), "#eval-report", 5
    ),
    "duplicate dialog": Case(models_app, duplicate, ()),
}


@pytest.fixture
def trainer(sample_home: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTrainer:
    """The sample chat's model Sam, the store's clock fixed, and a fake local backend."""
    monkeypatch.setattr(training.TrainingScreen, "POLL_SECONDS", 0.25)
    clock = FakeClock()
    use_clock(monkeypatch, clock)
    return FakeTrainer(total_steps=100, clock=clock)


def shown_keys(pilot: Pilot) -> dict[str, FooterKey]:
    """The footer's keys that are drawn whole within the terminal, by description."""
    width = pilot.app.size.width
    return {
        key.description: key
        for footer in pilot.app.screen.query(Footer)  # a dialog has none of its own
        for key in footer.query(FooterKey)
        if key.description and key.region.width and key.region.right <= width
    }


def scrolled(widget: Widget) -> bool:
    """Whether the widget is in a container that scrolls (where its content is meant to
    reach beyond the container's edges)."""
    return any(
        isinstance(node, Widget) and (node.allow_vertical_scroll or node.allow_horizontal_scroll)
        for node in widget.ancestors
    )


def off_screen(pilot: Pilot) -> list[str]:
    """The widgets shown, outside any scrolling container, that reach beyond the
    terminal's edges."""
    screen = pilot.app.screen
    return [
        repr(widget)
        for widget in screen.query("*")
        if widget.display
        and widget.visible
        and widget.region.area
        and not scrolled(widget)
        and not screen.region.contains_region(widget.region)
    ]


def visit(case: Case, trainer: FakeTrainer, size: tuple[int, int], check) -> None:
    async def scenario() -> None:
        app = case.app(trainer)
        async with app.run_test(size=size) as pilot:
            await case.reach(pilot, trainer)
            await pilot.pause()
            check(pilot)

    asyncio.run(scenario())


@pytest.mark.parametrize("name", list(CASES))
def test_at_80x24_the_main_list_shows_rows_and_the_footer_its_main_keys(
    name: str, trainer: FakeTrainer
) -> None:
    case = CASES[name]

    def check(pilot: Pilot) -> None:
        keys = shown_keys(pilot)
        assert set(case.footer) <= set(keys), f"{name}: footer shows only {sorted(keys)}"
        if case.main:
            main = pilot.app.screen.query_one(case.main)
            assert main.scrollable_content_region.height >= case.rows, main.region
            assert pilot.app.screen.region.contains_region(main.region)
        if name == "duplicate dialog":
            box = pilot.app.screen.query_one(".dialog-box")
            assert pilot.app.screen.region.contains_region(box.region)

    visit(case, trainer, SMALL, check)


@pytest.mark.parametrize("name", list(CASES))
def test_at_200x60_everything_shows_within_the_screen(name: str, trainer: FakeTrainer) -> None:
    case = CASES[name]

    def check(pilot: Pilot) -> None:
        assert off_screen(pilot) == []
        keys = shown_keys(pilot)
        assert set(case.footer) <= set(keys)

    visit(case, trainer, LARGE, check)


def test_at_80x24_the_models_table_keeps_the_state_and_the_last_activity(
    trainer: FakeTrainer,
) -> None:
    add_job("Sam", jobs.SUCCEEDED)

    def check(pilot: Pilot) -> None:
        table = pilot.app.screen.query_one("#models", DataTable)
        labels = [str(column.label) for column in table.ordered_columns]
        assert {"name", "state", "last activity"} <= set(labels)
        # Every column drawn: nothing to scroll sideways to.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.get_row_at(0)[labels.index("state")] == "trained"

    visit(CASES["models"], trainer, SMALL, check)


def test_the_models_table_goes_wide_and_compact_as_the_terminal_is_resized(
    trainer: FakeTrainer,
) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SMALL) as pilot:
            table = app.screen.query_one("#models", DataTable)
            assert "source" not in [str(c.label) for c in table.ordered_columns]
            await pilot.resize_terminal(*LARGE)
            await pilot.pause()
            assert "source" in [str(c.label) for c in table.ordered_columns]
            assert table.row_count == 1

    asyncio.run(scenario())


def test_a_key_left_out_of_the_footer_runs_from_the_palette(trainer: FakeTrainer) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            assert "Rename" not in shown_keys(pilot)
            await pilot.press("ctrl+p")
            await pilot.press(*"Rename")
            await pilot.pause(0.3)  # the palette searches its commands in a worker
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TextPrompt))

    asyncio.run(scenario())


class Boxes(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("ticked", True, id="ticked")
        yield TickBox("not ticked", False, id="unticked")
        with RadioSet():
            yield RadioChoice("chosen", True, id="chosen")
            yield RadioChoice("not chosen", id="other")


def test_checkboxes_and_radio_buttons_read_on_or_off_in_their_characters() -> None:
    async def scenario() -> None:
        app = Boxes()
        async with app.run_test(size=SMALL) as pilot:

            def drawn(selector: str) -> str:
                return str(app.query_one(selector).render())[:3]

            assert (drawn("#ticked"), drawn("#unticked")) == ("▐X▌", "▐ ▌")
            assert (drawn("#chosen"), drawn("#other")) == ("▐●▌", "▐ ▌")
            await pilot.click("#unticked")
            await pilot.click("#other")
            assert (drawn("#unticked"), drawn("#chosen"), drawn("#other")) == ("▐X▌", "▐ ▌", "▐●▌")

    asyncio.run(scenario())


def test_the_consent_box_reads_unticked_until_ticked(home: Path) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SMALL) as pilot:
            await consent(pilot, FakeTrainer())
            box = app.screen.query_one("#agreed", TickBox)
            assert str(box.render()).startswith("▐ ▌")
            box.focus()
            await pilot.press("space")
            assert str(box.render()).startswith("▐X▌")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("size", "wanted"),
    [
        ((80, 24), {"-narrow", "-short"}),
        ((120, 40), {"-wide", "-tall"}),
        ((99, 34), {"-narrow", "-tall"}),
    ],
)
def test_a_screen_has_its_size_classes_before_it_is_styled(home, size, wanted) -> None:
    """Textual sets them at a screen's first resize, which restyled the whole screen once
    more before the first frame (40–70 ms of the cold start); a screen made in the app
    has them from the start, the same ones Textual's breakpoints give it."""
    from gpt_is_you.tui.app import GptIsYouApp
    from gpt_is_you.tui.screens.base import AppScreen

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=size) as pilot:
            made = AppScreen()
            sizes = {"-narrow", "-wide", "-short", "-tall"}
            assert made.classes & sizes == wanted
            await pilot.pause()
            assert app.screen.classes & sizes == wanted  # what Textual's resize set

    asyncio.run(scenario())
