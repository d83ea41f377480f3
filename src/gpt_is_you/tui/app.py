"""The Textual application: backends, screens, global keys, errors, the command palette.

Screens are imported when first opened, so that the first screen paints quickly
(``bench/bench_tui.py`` measures it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from gpt_is_you.paths import APP_NAME, config_dir
from gpt_is_you.tui.screens.models import ModelsScreen
from gpt_is_you.user_errors import USER_ERRORS, app_text

if TYPE_CHECKING:
    from gpt_is_you.providers.base import Provider

KEYMAP_FILE = "keymap.toml"


class GptIsYouApp(App[None]):
    # Absolute, so that subclasses (tests, the start benchmark) find it wherever they live.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = APP_NAME
    # Classes every screen gets by the terminal's size, for app.tcss: at 80x24 (most
    # terminals' default) side panels narrow or give way before the main list does.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (34, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        # Ctrl+Q too: where a text field takes q, the footer still shows a way out.
        Binding(
            "q,ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Quit gpt-is-you (training goes on).",
        ),
        Binding(
            "f1",
            "toggle_help",
            "Help",
            id="app.help",
            tooltip="Show or hide the keys and help for the focused place.",
        ),
    ]

    def __init__(self, providers: Mapping[str, Provider] | None = None) -> None:
        super().__init__()
        # Backends by name; tests give fakes, the real ones are made when first needed.
        self._providers: dict[str, Provider] = dict(providers or {})
        self._warmed: set[str] = set()  # backends whose chat imports are done or under way

    def get_default_screen(self) -> Screen:
        return ModelsScreen()

    def on_mount(self) -> None:
        self._load_keymap()

    def on_ready(self) -> None:
        # The app's own objects (Textual's, the first screen's) live as long as it does:
        # kept out of the collector's sight, a full collection no longer walks them all,
        # which here took 50-130 ms and held up whatever key was pressed meanwhile.
        gc.freeze()

    # Backends -------------------------------------------------------------------------

    def provider(self, backend: str) -> Provider:
        """The backend named ``backend`` (``providers.get``), made when first needed, so
        that neither torch nor the openai SDK loads before a screen asks for it."""
        if backend not in self._providers:
            from gpt_is_you import providers

            self._providers[backend] = providers.get(backend)
        return self._providers[backend]

    def warm_up(self, backends: set[str]) -> None:
        """Import, in a thread, what chatting with the models of ``backends`` needs (torch
        and transformers for a local one: seconds), once per backend, so that the first
        chat opened loads its model in a fraction of that."""
        for backend in backends - self._warmed:
            self._warmed.add(backend)
            self._warm(backend)

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm(self, backend: str) -> None:
        try:
            self.provider(backend).warm_up()
        except Exception as e:
            self.log.warning(f"warming up {backend}: {e!r}")

    # Screens, imported when opened ----------------------------------------------------

    def open_wizard(self, export: str | None = None) -> None:
        from gpt_is_you.tui.screens.wizard import ImportWizard

        self.push_screen(ImportWizard(export))

    def open_preview(self, model: str, *, replace: bool = False) -> None:
        from gpt_is_you.tui.screens.preview import PreviewScreen

        self._open(PreviewScreen(model), replace)

    def open_training(self, model: str, *, replace: bool = False) -> None:
        from gpt_is_you.tui.screens.training import TrainingScreen

        self._open(TrainingScreen(model), replace)

    def open_chat(self, model: str, *, replace: bool = False) -> None:
        from gpt_is_you.tui.screens.chat import ChatScreen

        self._open(ChatScreen(model), replace)

    def open_evaluation(self, model: str, *, replace: bool = False) -> None:
        from gpt_is_you.tui.screens.evaluation import EvaluationScreen

        self._open(EvaluationScreen(model), replace)

    def _open(self, screen: Screen, replace: bool) -> None:
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # Errors ---------------------------------------------------------------------------

    def show_error(self, error: BaseException | str, title: str = "Cannot do that") -> None:
        """One dialog that says what is wrong and what to do, in the app's words; never a
        traceback. "Something went wrong" is kept for faults of ours (unexpected errors)."""
        from gpt_is_you.tui.widgets.dialogs import ErrorDialog  # not needed to start

        if isinstance(error, (*USER_ERRORS, str)):
            self.push_screen(
                ErrorDialog(title, error if isinstance(error, str) else app_text(error))
            )
        else:
            self.log.error(error)
            self.push_screen(
                ErrorDialog(
                    "Something went wrong",
                    f"{type(error).__name__}: {error}\n\nPlease report it; "
                    "your models and chats are unchanged.",
                )
            )

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        # Every worker runs with exit_on_error=False: its failure ends here, once. This
        # catches the app's own workers; screens forward theirs (screens/base.py).
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    # Keys, help and the command palette -----------------------------------------------

    def action_toggle_help(self) -> None:
        # Queried by name: importing HelpPanel here would load Markdown at every start.
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every action the current screen offers, then Textual's own."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            # Ours all have ids; the focused widget's cursor keys would drown them. Quit is
            # among Textual's own commands already.
            if binding.id in (None, "app.quit") or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            help_text = active.tooltip or binding.tooltip or f"Key: {binding.key}"
            run = partial(self.run_action, binding.action, active.node)
            yield SystemCommand(binding.description, help_text, run)
        yield from super().get_system_commands(screen)

    def _load_keymap(self) -> None:
        """Remapped keys from ``keymap.toml``: ``"chat.stop" = "escape,ctrl+x"`` by binding id."""
        path = config_dir() / KEYMAP_FILE
        if not path.is_file():
            return
        import tomllib

        try:
            keymap = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            self.notify(f"{path} was not read: {e}", title="Key map", severity="warning")
            return
        self.set_keymap({str(k): str(v) for k, v in keymap.items() if isinstance(v, str)})


def run() -> None:
    GptIsYouApp().run()
