"""Persona fidelity of one model: does it write like the person, on chats it never saw?

The screen shows one evaluation report at a time, read back from the store as the typed
report (``evaluation/runs.py``), its parts as ``evaluation/parts.py`` says them (the
command line's ``eval`` says the same), so that a run just finished and one stored a
month ago look the same: validation scores of the base and the tuned model, and
beside them the sense measure (the real next turn picked, echoes, empty replies), the
style measures against the persona, the summary score, word-for-word copies of
training turns, and the sampled replies beside the real ones. Earlier runs are listed
above it; picking one shows it.

``r`` runs a new evaluation in a thread worker (it generates two replies per held-out
prompt, and each model scores five candidate turns: minutes on a CPU). Its progress comes
back as messages; leaving the screen or ``x`` cancels the worker, and the generation
stops at the next reply without storing anything.
"""

from __future__ import annotations

from typing import ClassVar

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from gpt_is_you.evaluation import parts
from gpt_is_you.evaluation.parts import NO_VALUE
from gpt_is_you.evaluation.report import Report
from gpt_is_you.evaluation.runs import Run, read_runs
from gpt_is_you.evaluation.settings import EvalSettings
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import Model, find_model
from gpt_is_you.tui.screens.base import AppScreen, styles
from gpt_is_you.tui.widgets.dialogs import SettingsDialog
from gpt_is_you.tui.widgets.row_table import RowTable

# Wall time per held-out prompt with the default local base on a 2-core CPU, measured:
# 50 prompts took 256 s (bench/bench_eval.py, docs/benchmarks.md). Only for the estimate
# shown before the first run; later estimates come from the latest run's own time.
SECONDS_PER_PROMPT = 5.1

RUN_GROUP = "evaluation-run"
RUN_COLUMNS = ("when", "job", "prompts", "seed", "score")

EMPTY = """\
[b]No evaluation of {model} yet.[/]

An evaluation asks the base model and the tuned model to answer conversations from the
held-out validation sessions, which training never saw, and puts their replies beside
what the person really wrote. It measures how close each comes to the person's style
(length, bubbles, emoji, capitals, punctuation, openers, vocabulary, language), sums it
up in one score, and checks that the tuned model does not copy its training chats word
for word. For sense, each model picks by likelihood the real next turn among five of
the person's turns, and its replies that echo the other person or say nothing are counted.

Press [b]r[/] to evaluate ({estimate}); [b]F2[/] sets the number of prompts and the seed.
The command line does the same: [$text-accent]gpt-is-you eval {model}[/]"""


def estimate(prompts: int, seconds_per_prompt: float = SECONDS_PER_PROMPT) -> str:
    minutes = max(1, round(prompts * seconds_per_prompt / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"about {minutes} {unit} on a CPU for {prompts} prompts"


class EvaluationScreen(AppScreen):
    CSS_PATH = styles("evaluation")
    PLACE = "the evaluation"
    AUTO_FOCUS = "#eval-runs"
    HELP = """\
## Evaluation

Whether the model learned the voice, measured on conversations it never trained
on (the held-out validation sessions): the tuned model and the base model answer
the same prompts, and their replies are compared with what the person really wrote.

- **Scores**: validation loss, perplexity and token accuracy on the person's real
  turns, for the base and the tuned model (lower loss is better).
- **Sense**: how often each model's likelihood picks the real next turn among
  it and four of the person's turns from other sessions, of similar length
  (chance: 20%; a remote model cannot score a text: not available); replies that
  repeat the other person's last message; empty replies.
- **Style**: each measure for the person, the base and the tuned model, and each
  model's distance to the person (0 is the same, 1 as far as it goes); the closer
  one is highlighted. The **score** is the mean of base distance minus tuned
  distance: above 0, the tuned model is closer to the person.
- **Copies**: replies and bubbles that repeat a training turn word for word.
- **Samples**: the last lines of each conversation, then the real, tuned and base
  replies side by side.

Keys:
- **r** runs a new evaluation (two replies per prompt: minutes on a CPU).
- **F2** sets how many prompts, and the seed that picks them.
- **x** stops a running evaluation (nothing is stored).
- **Up/Down** in the list of runs shows an earlier run; **Tab** moves to the report.
- **Esc** goes back (a running evaluation stops).
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "run",
            "Evaluate",
            id="evaluation.run",
            tooltip="Run a new evaluation on held-out prompts (it is stored with the others).",
        ),
        Binding(
            "f2",
            "settings",
            "Settings",
            id="evaluation.settings",
            tooltip="How many held-out prompts, and the seed that picks them.",
        ),
        Binding(
            "x",
            "stop",
            "Stop",
            id="evaluation.stop",
            tooltip="Stop the running evaluation (nothing is stored).",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="evaluation.back",
            tooltip="Back to {below} (a running evaluation stops).",
        ),
    ]

    class Progressed(Message):
        """Replies written so far, posted by the worker."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model  # the name, as the user saw it
        self.found: Model | None = None  # the model, found once when the screen opens
        self.sub_title = f"Evaluation · {model}"
        self.settings = EvalSettings()
        self._evaluation: Worker | None = None
        self._shown: int | None = None  # the id of the run on screen
        # One small read, so that the first paint shows the latest report. The model may
        # have been removed since the list was drawn: on_mount says so.
        self._missing: ModelError | None = None
        try:
            self.found = find_model(model)
            self._runs = read_runs(self.found)
        except ModelError as error:
            self._runs, self._missing = [], error
        if self._runs:  # F2's choice of the last run, not forgotten once the screen is left
            self.settings = self._runs[0].report.settings

    # Layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = RowTable(id="eval-runs", cursor_type="row", zebra_stripes=True)
        for column in RUN_COLUMNS:
            table.add_column(column, key=column)
        yield table
        yield Static(id="eval-next")
        with Vertical(id="eval-running"):
            yield Static(id="eval-running-text")
            yield ProgressBar(id="eval-progress", show_eta=False)
        with VerticalScroll(id="eval-report"):
            yield Static(id="eval-empty")
            with Vertical(id="eval-parts"):
                yield Static(id="eval-head")
                with Horizontal(id="eval-figures"):
                    yield Static(id="eval-scores", classes="eval-part")
                    yield Static(id="eval-sense", classes="eval-part")
                yield Static(id="eval-style", classes="eval-part")
                yield Static(id="eval-summary", classes="eval-part")
                yield Static(id="eval-copies", classes="eval-part")
                yield Static(id="eval-samples")
        yield Footer()

    def on_mount(self) -> None:
        if self._missing is not None:
            self.app.pop_screen()
            self.app.show_error(self._missing)
            return
        self.query_one("#eval-running").display = False
        self._list_runs(self._runs)

    # Earlier runs ---------------------------------------------------------------------

    def _list_runs(self, runs: list[Run]) -> None:
        """Fill the list of runs and show the latest."""
        self._runs = runs
        table = self.query_one("#eval-runs", DataTable)
        table.clear()
        for run in runs:
            table.add_row(*_run_row(run), key=str(run.id))
        table.display = bool(runs)
        self._show_next()
        if runs:
            table.move_cursor(row=0)
            self._show(runs[0])
        else:
            self._show(None)

    @on(DataTable.RowHighlighted, "#eval-runs")
    def _run_picked(self, event: DataTable.RowHighlighted) -> None:
        run = next((r for r in self._runs if str(r.id) == event.row_key.value), None)
        if run is not None and run.id != self._shown:
            self._show(run)

    # The report -----------------------------------------------------------------------

    def _show(self, run: Run | None) -> None:
        self._shown = run.id if run else None
        empty = self.query_one("#eval-empty", Static)
        empty.display = run is None
        self.query_one("#eval-parts").display = run is not None
        if run is None:
            empty.update(
                EMPTY.format(model=escape(self.model), estimate=estimate(self.settings.prompts))
            )
            return
        report = run.report
        # The Rich tables do not read Textual's variables: the theme's colour, looked up.
        highlight = self.app.theme_variables.get("text-success", "green")
        self.query_one("#eval-head", Static).update(head(report, run.created_at))
        self.query_one("#eval-scores", Static).update(scores_table(report))
        self.query_one("#eval-sense", Static).update(sense_table(report, highlight))
        self.query_one("#eval-style", Static).update(style_table(report, highlight))
        self.query_one("#eval-summary", Static).update(summary(report))
        self.query_one("#eval-copies", Static).update(copies(report))
        self.query_one("#eval-samples", Static).update(samples(report, highlight))
        self.query_one("#eval-report", VerticalScroll).scroll_home(animate=False)

    def _show_next(self) -> None:
        """What r will do, under the list of runs."""
        s = self.settings
        line = f"r runs {s.prompts} held-out prompts, seed {s.seed}"
        if self._runs:
            latest = self._runs[0].report
            per_prompt = latest.seconds / max(1, len(latest.samples))
            if per_prompt > 0:
                line += f" ({estimate(s.prompts, per_prompt).replace(' on a CPU', '')} here)"
        self.query_one("#eval-next", Static).update(f"[dim]{line} · F2 changes them[/]")

    # Settings -------------------------------------------------------------------------

    def action_settings(self) -> None:
        def chosen(settings: EvalSettings | None) -> None:
            if settings is not None:
                self.settings = settings
                self._show_next()
                if self._shown is None:
                    self._show(None)  # the estimate follows the number of prompts

        self.app.push_screen(EvalSettingsDialog(self.settings), chosen)

    # Running --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("run", "settings"):
            return self._evaluation is None
        if action == "stop":
            return self._evaluation is not None
        return True

    def action_run(self) -> None:
        if self._evaluation is not None:
            return
        self.query_one("#eval-running").display = True
        self.query_one("#eval-next").display = False
        self.query_one("#eval-running-text", Static).update("Loading the base and the tuned model…")
        self.query_one("#eval-progress", ProgressBar).update(total=None, progress=0)
        self._evaluation = self._evaluate(self.settings)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group=RUN_GROUP)
    def _evaluate(self, settings: EvalSettings) -> list[Run]:
        # Imported here, and looked up on its module, so that tests can put in a fake.
        from gpt_is_you.evaluation import report

        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                # The screen is gone or the user stopped it: raising here ends the
                # generation at this reply, and nothing is stored.
                raise _Stopped
            self.post_message(self.Progressed(done, total))

        # A ProviderError (not trained yet, no held-out sessions) becomes the app's dialog.
        report.evaluate(self.found, settings, progress)
        return read_runs(self.found)

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        if self._evaluation is None:
            return  # a message from a run stopped meanwhile
        self.query_one("#eval-progress", ProgressBar).update(
            total=message.total, progress=message.done
        )
        self.query_one("#eval-running-text", Static).update(
            f"Writing replies: {message.done} of {message.total} "
            "(the tuned and the base model answer each prompt, and pick its real next turn)"
        )

    @on(Worker.StateChanged)
    def _run_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._evaluation or not event.worker.is_finished:
            return
        self._evaluation = None
        self.query_one("#eval-running").display = False
        self.query_one("#eval-next").display = True
        self.refresh_bindings()
        if event.state == WorkerState.SUCCESS:
            self._list_runs(event.worker.result)
            if self._runs:
                score = self._runs[0].report.closeness.score
                self.notify(f"Score {score:+.2f}. Stored with the earlier runs.", title="Evaluated")
        elif event.state == WorkerState.CANCELLED:
            self.notify("The evaluation was stopped; nothing was stored.", title="Stopped")
        # An error is shown by AppScreen as a dialog.

    def action_stop(self) -> None:
        if self._evaluation is not None:
            self._evaluation.cancel()

    def action_back(self) -> None:
        # Leaving cancels this screen's workers; the generation stops at its next reply.
        self.action_stop()
        self.app.pop_screen()


class _Stopped(Exception):
    """Raised in the worker's thread to end a cancelled evaluation early."""


class EvalSettingsDialog(SettingsDialog[EvalSettings | None]):
    """How many held-out prompts, and the seed that draws them; dismisses with the new
    settings, or None when cancelled."""

    TITLE = "Evaluation settings"
    FIELDS = (
        ("prompts", "Held-out prompts (two replies each)"),
        ("seed", "Seed (picks the prompts, samples the replies)"),
    )


# Drawing a report (its parts as evaluation/parts.py says them) ---------------------------


def _run_row(run: Run) -> tuple[str, ...]:
    settings = run.report.settings
    return (
        run.created_at.replace("T", " ")[:16],
        NO_VALUE if run.job_id is None else str(run.job_id),
        str(settings.prompts),
        str(settings.seed),
        f"{run.report.closeness.score:+.2f}",
    )


def head(report: Report, created_at: str) -> str:
    asked, got = report.settings.prompts, len(report.samples)
    prompts = f"{got} held-out prompts"
    if asked != got:
        prompts += f" (of {asked} asked: all there were)"
    return (
        f"[b]{escape(report.model)}[/] · job {report.job_id} · "
        f"{escape(report.backend)} · base {escape(report.base_model)}\n"
        f"[dim]{prompts} · seed {report.settings.seed} · "
        f"{report.seconds:.0f} s · {created_at.replace('T', ' ')[:16]}[/]"
    )


def scores_table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("on the held-out turns", min_width=20)
    table.add_column("base", justify="right", min_width=9)
    table.add_column("tuned", justify="right", min_width=9)
    for row in parts.score_rows(report):
        table.add_row(row.label, _score(row.base, row.share), _score(row.tuned, row.share))
    return table


def sense_table(report: Report, highlight: str) -> RenderableType:
    """The sense measure, base and tuned, the better highlighted, and what it is against;
    only the note for a report made before it was measured."""
    note = Text(parts.sense_note(report), style="dim")
    rows = parts.sense_rows(report)
    if not rows:
        return note
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("sense of the replies", min_width=24)
    table.add_column("base", justify="right", min_width=9)
    table.add_column("tuned", justify="right", min_width=9)
    for row in rows:
        figures = {
            who: Text(parts.share(value))
            for who, value in ((parts.BASE, row.base), (parts.TUNED, row.tuned))
        }
        if row.better is not None:
            figures[row.better].stylize(f"bold {highlight}")
        table.add_row(row.label, figures[parts.BASE], figures[parts.TUNED])
    return Group(table, note)


def _score(value: float | None, share: bool) -> str:
    return f"{value:.1%}" if share and value is not None else parts.number(value)


def style_table(report: Report, highlight: str) -> Table:
    """Each measure for the persona, the base and the tuned model, and each model's
    distance to the persona, the closer one highlighted."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        caption="distance to the persona: 0 is the same, 1 as far as a measure goes",
        caption_justify="left",
    )
    table.add_column("style of the replies", min_width=20)
    for who in ("persona", "base", "tuned"):
        table.add_column(who, justify="right", max_width=18, no_wrap=True, overflow="ellipsis")
    table.add_column("base dist.", justify="right")
    table.add_column("tuned dist.", justify="right")
    for row in parts.style_rows(report):
        base_distance = Text(f"{row.base_distance:.2f}")
        tuned_distance = Text(f"{row.tuned_distance:.2f}")
        closer = {parts.TUNED: tuned_distance, parts.BASE: base_distance}.get(row.closer)
        if closer is not None:
            closer.stylize(f"bold {highlight}")
        table.add_row(
            row.label,
            *(_measure(value, row.share) for value in (row.persona, row.base, row.tuned)),
            base_distance,
            tuned_distance,
        )
    return table


def _measure(value: float | str, share: bool) -> str:
    """One measure of a style profile, written short: a share as a percentage."""
    if isinstance(value, str):
        return value
    return f"{value:.0%}" if share else f"{value:.1f}"


def summary(report: Report) -> str:
    """The score line, and the distance of each model to the other person's turns."""
    said = parts.summary(report)
    score = said.score
    colour = "$text-success" if score > 0 else "$text-error" if score < 0 else "$text-muted"
    line = (
        f"[b {colour}]Score {score:+.2f}[/]: closer to the persona than the base on "
        f"{said.closer} of {said.measures} measures"
    )
    if said.farther:
        line += "; farther on " + ", ".join(escape(label) for label in said.farther)
    if said.to_other is not None:
        base, tuned = said.to_other
        line += f"\nMean distance to the other person's turns: base {base:.2f}, tuned {tuned:.2f}"
    return line


def copies(report: Report) -> str:
    """Replies and bubbles that repeat a training turn word for word."""
    found = []
    for who, memorised in parts.copies(report):
        if memorised is None:
            found.append(f"{who}: not checked")
            continue
        found.append(f"{who} {parts.copied(memorised)}")
    text = "Copies of training turns, word for word: " + "; ".join(found)
    examples = report.memorised.examples if report.memorised else ()
    for example in examples[:3]:
        text += f"\n[dim]  tuned copied: “{escape(_one_line(example))}”[/]"
    return text


def _one_line(text: str) -> str:
    return " / ".join(line for line in text.splitlines() if line.strip())


def samples(report: Report, highlight: str) -> RenderableType:
    """Each sample: the last lines of the conversation, then the real, tuned and base
    replies side by side."""
    shown: list[RenderableType] = []
    found = report.samples
    for number, sample in enumerate(found, 1):
        context = Text()
        context.append(f"Sample {number} of {len(found)}", style="bold")
        for line in sample.context:
            context.append("\n  " + line.replace("\n", "\n    "), style="dim")
        table = Table(box=box.ROUNDED, expand=True, show_lines=False, padding=(0, 1))
        table.add_column("real", ratio=1, header_style="bold")
        table.add_column("tuned", ratio=1, header_style=f"bold {highlight}")
        table.add_column("base", ratio=1, header_style="bold dim")
        table.add_row(
            *(Text(text or NO_VALUE) for text in (sample.real, sample.tuned, sample.base))
        )
        shown += [context, table]
    if not shown:
        shown.append(Text("No samples.", style="dim"))
    return Group(*shown)
