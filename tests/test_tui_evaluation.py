"""The evaluation screen, opened from the models list and driven with keys.

Reports are built by the real ``evaluation.report.build`` from the sample chat's held-out
material and crafted replies (no model writes them), then stored as ``evaluate`` stores
them; a new run goes through a fake ``evaluate`` that reports progress as the real one
does.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from conftest import add_job, new_model
from fake_jobs import FakeClock, use_clock
from gpt_is_you.cli.evaluate import describe
from gpt_is_you.evaluation import report as reports
from gpt_is_you.evaluation.memorisation import Memorisation
from gpt_is_you.evaluation.prompts import held_out
from gpt_is_you.evaluation.report import Report, Scores, build
from gpt_is_you.evaluation.settings import EvalSettings
from gpt_is_you.store import evaluations, jobs
from gpt_is_you.store.models import iter_examples, open_model
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.screens.evaluation import (
    RUN_GROUP,
    EvaluationScreen,
    copies,
    scores_table,
    sense_table,
)
from gpt_is_you.tui.screens.models import ModelsScreen
from gpt_is_you.tui.widgets.dialogs import ErrorDialog
from pilot_helpers import dialog_text, text, until

SIZE = (120, 40)
MODEL = "Sam"

TUNED = ["haha yes\nomw", "nah not tonight", "lol same", "ok see you there!!", "wait what"]
ASSISTANT = (
    "Certainly! I would be happy to help you with that. Here are a few suggestions "
    "that you might find useful."
)


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A data directory with one untrained model of Sam, and the store's clock fixed."""
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path))
    monkeypatch.setenv("GPT_IS_YOU_CONFIG", str(tmp_path / "config"))
    new_model(MODEL)
    fixed = FakeClock()
    use_clock(monkeypatch, fixed)
    monkeypatch.setattr(evaluations, "now", fixed)
    return fixed


def trained() -> jobs.Job:
    """A job that finished training (none ran: the reports here are crafted)."""
    job_id = add_job(MODEL, jobs.SUCCEEDED)
    with open_model(MODEL) as db:
        return jobs.read_job(db, job_id)


def crafted(job: jobs.Job, prompts: int, seed: int) -> Report:
    """A report on the sample's held-out prompts: the tuned model writes short chat turns
    (one of them a training turn, copied) and picks the real next turn on every prompt
    but the first, the base model writes like an assistant (its last reply empty) and
    picks it on the first and third."""
    with open_model(MODEL) as db:
        examples = [example for _, example, _ in iter_examples(db)]
    material = held_out(examples, prompts, seed)
    count = len(material.prompts)
    copied = next(t for t in material.training_turns if len(t.split()) >= 5)
    tuned = [copied if i == 1 else TUNED[i % len(TUNED)] for i in range(count)]
    return build(
        MODEL,
        job,
        EvalSettings(prompts=prompts, seed=seed),
        material,
        base_replies=[ASSISTANT] * (count - 1) + [""],
        tuned_replies=tuned,
        scores=(Scores.of(3.2, 0.31), Scores.of(2.1, 0.45)),
        credits=([float(i in (0, 2)) for i in range(count)], [float(i > 0) for i in range(count)]),
        seconds=42.0,
    )


def store(report: Report) -> None:
    with open_model(MODEL) as db:
        evaluations.save(db, report.job_id, asdict(report.settings), report.to_json())


async def open_evaluation(pilot: Pilot) -> EvaluationScreen:
    """From the models list, the way a user goes: the model's row is selected, e opens."""
    await pilot.press("e")
    await until(pilot, lambda: isinstance(pilot.app.screen, EvaluationScreen))
    await pilot.pause()
    return pilot.app.screen


def samples_text(pilot: Pilot) -> str:
    # Wide, so that no line of the conversation wraps.
    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(pilot.app.screen.query_one("#eval-samples", Static).content)
    return console.export_text()


def test_a_stored_run_shows_and_an_earlier_one_is_picked(clock: FakeClock) -> None:
    job = trained()
    first = crafted(job, prompts=4, seed=0)
    store(first)
    clock.tick(3600)
    latest = crafted(job, prompts=3, seed=7)
    store(latest)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await open_evaluation(pilot)
            runs = app.screen.query_one("#eval-runs", DataTable)
            assert runs.row_count == 2
            score = f"{latest.closeness.score:+.2f}"
            assert runs.get_row_at(0) == ["2025-03-14 10:30", "1", "3", "7", score]
            assert not app.screen.query_one("#eval-empty").display

            head = text(pilot, "#eval-head")
            assert "Sam · job 1 · local · base default" in head
            assert "3 held-out prompts · seed 7 · 42 s · 2025-03-14 10:30" in head
            assert "Score " + score in text(pilot, "#eval-summary")
            assert "Mean distance to the other person's turns" in text(pilot, "#eval-summary")
            copies = text(pilot, "#eval-copies")
            assert "tuned 1 of 3 replies" in copies and "base 0 of 3 replies" in copies
            shown = samples_text(pilot)
            assert "Sample 3 of 3" in shown
            assert all(s.context[-1].split("\n")[0] in shown for s in latest.samples)
            for header in ("real", "tuned", "base"):
                assert header in shown

            await pilot.press("down")  # the earlier run
            await until(pilot, lambda: "seed 0" in text(pilot, "#eval-head"))
            assert "4 held-out prompts" in text(pilot, "#eval-head")
            assert "Sample 4 of 4" in samples_text(pilot)

            await pilot.press("escape")
            assert isinstance(app.screen, ModelsScreen)

    asyncio.run(scenario())


def test_the_figures_of_the_tables(clock: FakeClock) -> None:
    """Loss and perplexity as numbers, accuracy as a share, — where a score is missing."""
    report = replace(
        crafted(trained(), prompts=1, seed=0),
        base_scores=None,
        tuned_scores=Scores(loss=2.1, perplexity=8.17, accuracy=0.45),
    )
    console = Console(width=60, file=io.StringIO(), record=True)
    console.print(scores_table(report))
    lines = console.export_text().splitlines()
    assert any(line.split() == ["validation", "loss", "—", "2.100"] for line in lines)
    assert any(line.split() == ["perplexity", "—", "8.170"] for line in lines)
    assert any(line.split() == ["token", "accuracy", "—", "45.0%"] for line in lines)


def test_the_copies_are_counted_alike_in_the_app_and_the_command_line(clock: FakeClock) -> None:
    """Replies whose bubbles are all short: no bubble was checked, which both faces say
    in the same words (the app said "0 of 0 bubbles" beside the CLI's "0 of 3")."""
    short = Memorisation(replies=3, copied_replies=0, copied_bubbles=0, bubbles=0, examples=())
    some = Memorisation(replies=3, copied_replies=1, copied_bubbles=2, bubbles=5, examples=())
    report = replace(crafted(trained(), prompts=1, seed=0), memorised=short, base_memorised=some)
    app, cli = " ".join(copies(report).split()), " ".join(" ".join(describe(report)).split())
    for said in (
        "0 of 3 replies; no bubble of 4 words or more to check",
        "1 of 3 replies, 2 of 5 bubbles of 4 words or more",
    ):
        assert said in app and said in cli
    assert "0 of 0" not in app + cli


def _drawn(renderable, width: int = 60) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text().splitlines()


def _words(lines: list[str]) -> str:
    """The lines' words, as one line (whatever the wrapping)."""
    return " ".join(word for line in lines for word in line.split())


def test_the_sense_table_beside_the_scores(clock: FakeClock) -> None:
    """Each model's pick of the real turn, echoes and empty replies as shares, against
    chance; "n/a" for a model that cannot score; a note alone for an older report."""
    report = crafted(trained(), prompts=4, seed=0)
    lines = _drawn(sense_table(report, "green"))
    assert any(
        line.split() == ["picks", "the", "real", "next", "turn", "50%", "75%"] for line in lines
    )
    assert any(line.split() == ["echoes", "the", "other", "person", "0%", "0%"] for line in lines)
    assert any(line.split() == ["empty", "replies", "25%", "0%"] for line in lines)
    assert "chance 20%" in _words(lines)
    remote = replace(
        report, sense=replace(report.sense, base=replace(report.sense.base, choice=None))
    )
    lines = _drawn(sense_table(remote, "green"))
    assert any(line.split()[-2:] == ["n/a", "75%"] for line in lines)
    assert "A remote model cannot score a text" in _words(lines)
    older = _drawn(sense_table(replace(report, sense=None), "green"))
    assert "Not measured" in _words(older)

    async def scenario() -> None:
        store(report)
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await open_evaluation(pilot)
            scores = app.screen.query_one("#eval-scores").region
            sense = app.screen.query_one("#eval-sense").region
            assert sense.y == scores.y and sense.x >= scores.right  # side by side
            shown = _drawn(app.screen.query_one("#eval-sense", Static).content)
            assert any(line.split()[-2:] == ["50%", "75%"] for line in shown)

    asyncio.run(scenario())


def test_r_runs_an_evaluation_with_the_settings_chosen(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = trained()
    store(crafted(job, prompts=4, seed=0))
    asked: list[EvalSettings] = []
    go_on = threading.Event()

    def fake_evaluate(model, settings, progress):
        asked.append(settings)
        progress(1, 4)
        assert go_on.wait(5)
        for done in (2, 3, 4):
            progress(done, 4)
        clock.tick(60)
        report = crafted(job, settings.prompts, settings.seed)
        store(report)
        return report

    monkeypatch.setattr(reports, "evaluate", fake_evaluate)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_evaluation(pilot)
            await pilot.press("f2")
            await until(pilot, lambda: app.screen.query("#setting-prompts"))
            await pilot.press("ctrl+u", "3", "tab", "ctrl+u", "5", "enter")
            await until(pilot, lambda: app.screen is screen)
            assert "r runs 3 held-out prompts, seed 5" in text(pilot, "#eval-next")

            await pilot.press("r")
            await until(pilot, lambda: "1 of 4" in text(pilot, "#eval-running-text"))
            assert app.screen.query_one("#eval-running").display
            assert not screen.check_action("run", ())  # one run at a time
            go_on.set()
            runs = screen.query_one("#eval-runs", DataTable)
            await until(pilot, lambda: runs.row_count == 2)
            assert not app.screen.query_one("#eval-running").display
            assert "seed 5" in text(pilot, "#eval-head")  # the new run is shown
            assert runs.cursor_row == 0

    asyncio.run(scenario())
    assert asked == [EvalSettings(prompts=3, seed=5)]


def test_the_next_run_starts_from_the_settings_of_the_latest(clock: FakeClock) -> None:
    """F2's prompts and seed were forgotten once the screen was left, as the chat's were."""
    store(crafted(trained(), prompts=4, seed=3))

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_evaluation(pilot)
            assert screen.settings == EvalSettings(prompts=4, seed=3)
            assert "r runs 4 held-out prompts, seed 3" in text(pilot, "#eval-next")

    asyncio.run(scenario())


def test_an_untrained_model_says_so_in_a_dialog(clock: FakeClock) -> None:
    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_evaluation(pilot)
            assert not screen.query_one("#eval-runs").display
            empty = text(pilot, "#eval-empty")
            assert "No evaluation of Sam yet." in empty
            assert "Press r to evaluate (about 4 minutes on a CPU for 50 prompts)" in empty

            await pilot.press("r")  # the real evaluate: it refuses before loading a model
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, ErrorDialog)
                    and "not trained yet" in text(pilot, ".dialog-body")
                ),
            )
            await pilot.press("escape")
            assert app.screen is screen
            assert screen.check_action("run", ())  # it can be tried again

    asyncio.run(scenario())


def test_leaving_while_it_runs_stops_it_and_stores_nothing(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained()
    ended: list[BaseException] = []

    def endless_evaluate(model, settings, progress):
        try:
            for done in range(1, 10_000):
                progress(done, 10_000)
                threading.Event().wait(0.01)
        except BaseException as stopped:
            ended.append(stopped)
            raise
        raise AssertionError("never stopped")

    monkeypatch.setattr(reports, "evaluate", endless_evaluate)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await open_evaluation(pilot)
            await pilot.press("r")
            await until(pilot, lambda: "Writing replies" in text(pilot, "#eval-running-text"))
            await pilot.press("escape")
            assert isinstance(app.screen, ModelsScreen)
            # The thread stopped at its next reply, and the worker is done with.
            await until(
                pilot,
                lambda: ended and not any(w.group == RUN_GROUP for w in app.workers),
            )
            await pilot.pause()  # what it posted last is handled
            assert isinstance(app.screen, ModelsScreen)  # no dialog, no crash

    asyncio.run(scenario())
    assert len(ended) == 1
    with open_model(MODEL) as db:
        assert evaluations.read_all(db) == []


def test_evaluation_snapshot(clock: FakeClock, snap_compare) -> None:
    store(crafted(trained(), prompts=4, seed=0))

    async def opened(pilot: Pilot) -> None:
        await open_evaluation(pilot)

    assert snap_compare(GptIsYouApp(), terminal_size=SIZE, run_before=opened)


def test_evaluation_snapshot_80x24(clock: FakeClock, snap_compare) -> None:
    store(crafted(trained(), prompts=4, seed=0))

    async def opened(pilot: Pilot) -> None:
        await open_evaluation(pilot)

    assert snap_compare(GptIsYouApp(), terminal_size=(80, 24), run_before=opened)


STORED = Path(__file__).parent / "fixtures" / "evaluation" / "report_v6.json"


def store_json(report: dict) -> None:
    """``report`` stored as `evaluate` stored one, as JSON, for a job of the model."""
    job = trained()
    with open_model(MODEL) as db:
        evaluations.save(db, job.id, report["settings"], report)


def test_a_report_stored_by_an_earlier_version_shows(clock: FakeClock) -> None:
    store_json(json.loads(STORED.read_text(encoding="utf-8")))

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await open_evaluation(pilot)
            head = text(pilot, "#eval-head")
            assert "sam · job 1 · local · base default" in head
            assert "2 held-out prompts (of 10 asked: all there were) · seed 0 · 12 s" in head
            assert "tuned copied: “yo / sure thing mate”" in text(pilot, "#eval-copies")
            assert "Sample 2 of 2" in samples_text(pilot)

    asyncio.run(scenario())


def test_a_damaged_stored_report_is_a_dialog(clock: FakeClock) -> None:
    damaged = json.loads(STORED.read_text(encoding="utf-8"))
    del damaged["style"]
    store_json(damaged)

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("e")
            assert "evaluation 1 of Sam cannot be read" in await dialog_text(pilot, ErrorDialog)
            await pilot.press("escape")
            assert isinstance(app.screen, ModelsScreen)

    asyncio.run(scenario())
