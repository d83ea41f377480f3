"""The persona-fidelity report: its held-out material, its assembly on crafted replies, and
the whole of `gpt-is-you eval` on the tiny model."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import add_job, new_model
from gpt_is_you import providers
from gpt_is_you.cli import main
from gpt_is_you.cli import train as cli_train
from gpt_is_you.cli.evaluate import describe
from gpt_is_you.dataset.examples import ASSISTANT, TRAIN, USER, VALID, Example, Turn
from gpt_is_you.evaluation.prompts import DISTRACTORS, held_out
from gpt_is_you.evaluation.report import Report, Scores, _scores, build, evaluate
from gpt_is_you.evaluation.runs import read_runs
from gpt_is_you.evaluation.sense import SenseOf, credit, echoes
from gpt_is_you.evaluation.settings import EvalSettings
from gpt_is_you.evaluation.style import words
from gpt_is_you.store import evaluations, jobs
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import find_model, iter_examples, open_model

# A report as `evaluate` stored it before the report was read back as dataclasses (written
# by that code's `Report.to_json` from EXAMPLES below), kept as it was: it must still open.
STORED = Path(__file__).parent / "fixtures" / "evaluation" / "report_v6.json"
T0 = datetime(2024, 1, 1, 9, 0)


def _turn(role: str, text: str, weight: int = 1) -> Turn:
    speaker = "Sam" if role == ASSISTANT else "Robin"
    return Turn(role, speaker, tuple(text.split("\n")), T0, T0 + timedelta(minutes=1), (0,), weight)


def _example(split: str, *turns: Turn) -> Example:
    return Example(0, 0, split, "You are Sam.", turns, False)


EXAMPLES = [
    _example(TRAIN, _turn(USER, "hi"), _turn(ASSISTANT, "yo\nsure thing mate")),
    _example(
        VALID,
        _turn(ASSISTANT, "morning!!"),  # opens the session: no prompt before it
        _turn(USER, "you up?"),
        _turn(ASSISTANT, "barely lol", weight=0),  # context only: not asked
        _turn(USER, "coffee?"),
        _turn(ASSISTANT, "omw"),
    ),
    _example(VALID, _turn(USER, "dinner at 8?"), _turn(ASSISTANT, "yes!! see you there")),
]


def test_held_out_prompts_come_from_the_validation_split_only():
    material = held_out(EXAMPLES, count=10, seed=0)
    assert sorted(p.real for p in material.prompts) == ["omw", "yes!! see you there"]
    omw = next(p for p in material.prompts if p.real == "omw")
    assert [m["role"] for m in omw.messages] == ["system", "assistant", "user", "assistant", "user"]
    assert all("weight" not in m for m in omw.messages)  # asked as a chat, not as training data
    assert omw.messages[-1]["content"] == "coffee?"
    assert sorted(material.persona_turns) == ["morning!!", "omw", "yes!! see you there"]
    assert sorted(material.other_turns) == ["coffee?", "dinner at 8?", "you up?"]
    assert material.training_turns == ("yo\nsure thing mate",)


def test_held_out_prompts_are_a_repeatable_sample():
    one = held_out(EXAMPLES, count=1, seed=3)
    assert len(one.prompts) == 1
    assert held_out(EXAMPLES, count=1, seed=3) == one
    assert len(held_out(EXAMPLES, count=0, seed=0).prompts) == 0


def _job(**changes) -> Job:
    values = dict(
        id=1,
        backend="local",
        base_model="default",
        state=jobs.SUCCEEDED,
        settings={},
        step=3,
        total_steps=3,
        checkpoint_step=3,
        created_at="2024-01-01T09:00:00",
        updated_at="2024-01-01T09:00:00",
        finished_at="2024-01-01T09:00:00",
        error=None,
        pid=None,
        remote_id=None,
    )
    return Job(**(values | changes))


def test_the_base_is_scored_at_step_0_and_the_tuned_model_at_the_end():
    metrics = {
        jobs.VALID_LOSS: [(0, 5.0), (20, 4.0), (38, 3.5)],
        jobs.VALID_ACCURACY: [(0, 0.2), (38, 0.4)],
    }
    base, tuned = _scores(_job(), metrics)
    assert base == Scores(5.0, math.exp(5.0), 0.2)
    assert tuned == Scores(3.5, math.exp(3.5), 0.4)
    # A remote job's metrics start past step 0: the base was not scored.
    base, tuned = _scores(_job(backend="openai"), {jobs.VALID_LOSS: [(5, 1.2)]})
    assert base is None and tuned == Scores(1.2, math.exp(1.2), None)
    assert _scores(_job(), {}) == (None, None)


def test_a_tuned_model_that_writes_like_the_persona_scores_above_zero():
    material = held_out(EXAMPLES, count=10, seed=0)
    assistant = (
        "Certainly! I would be happy to help you with that. Here are a few suggestions "
        "that you might find useful for your evening plans."
    )
    report = build(
        "sam",
        _job(),
        EvalSettings(prompts=10),
        material,
        base_replies=[assistant] * len(material.prompts),
        tuned_replies=["omw!!", "yes\nsee you"][: len(material.prompts)],
        scores=(Scores.of(5.0, 0.2), Scores.of(3.5, 0.4)),
    )
    assert report.closeness.score > 0
    assert "words" in report.closeness.closer
    assert report.memorised.copied_replies == 0
    assert len(report.samples) == len(material.prompts)
    assert report.samples[0].context[-1].startswith("Robin: ")
    data = report.to_json()
    assert json.loads(json.dumps(data)) == data
    assert set(data["style"]) == {"persona", "other", "base", "tuned"}
    assert set(data["to_other"]) == {"base", "tuned"}


@pytest.fixture
def sam(home, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(cli_train, "POLL_SECONDS", 0.05)
    return new_model("sam")


def test_eval_of_an_untrained_model_is_one_line(sam, capsys):
    assert main(["eval", "sam"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gpt-is-you: sam is not trained yet") and err.count("\n") == 1


def test_the_whole_report_on_the_tiny_model(sam, capsys, tiny_base):
    assert (
        main(["train", "sam", "--base", str(tiny_base), "--max-steps", "2", "--max-seq-len", "256"])
        == 0
    )
    capsys.readouterr()
    assert main(["eval", "sam", "--prompts", "3", "--max-tokens", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "sam" and report["backend"] == "local"
    assert report["scores"]["base"]["loss"] > 0 and report["scores"]["tuned"]["loss"] > 0
    assert len(report["samples"]) == 3
    for sample in report["samples"]:
        assert sample["real"] and sample["context"]
        assert isinstance(sample["base"], str) and isinstance(sample["tuned"], str)
    assert report["style"]["persona"]["replies"] > 3  # every held-out persona turn
    assert report["style"]["tuned"]["replies"] == 3
    assert -1 <= report["closeness"]["score"] <= 1
    assert report["memorisation"]["tuned"]["replies"] == 3
    # Both local models scored the candidates: a pick each, a share of the 3 prompts.
    sense = report["sense"]
    assert sense["choices"] == 3 and sense["chance"] == pytest.approx(0.2)
    assert all(0 <= sense[who]["choice"] <= 1 for who in ("base", "tuned"))

    # Stored with its settings; a second run with another seed is kept beside it.
    assert main(["eval", "sam", "--prompts", "2", "--max-tokens", "3", "--seed", "7"]) == 0
    text = capsys.readouterr().out
    assert "persona fidelity of job 1" in text and "Score " in text
    assert "validation loss" in text and "Word-for-word copies" in text
    with open_model("sam") as db:
        runs = evaluations.read_all(db)
    assert [run.settings["seed"] for run in runs] == [7, 0]
    assert main(["eval", "sam", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "seed 7" in listed[0]


def test_a_report_read_back_is_the_report_that_was_stored():
    material = held_out(EXAMPLES, count=10, seed=0)
    report = build(
        "sam",
        _job(backend="openai"),
        EvalSettings(prompts=10, seed=3),
        material,
        base_replies=["Certainly!", "Sure."],
        tuned_replies=["omw!!", "yo\nsure thing mate"],
        scores=(None, Scores.of(1.2, None)),  # a service does not score the base
        seconds=7.5,
    )
    assert Report.from_json(json.loads(json.dumps(report.to_json()))) == report


def _store_raw(name: str, report: dict) -> None:
    """``report`` stored as `evaluate` stores one, for the model's one job."""
    with open_model(name) as db:
        job_id = jobs.create_job(db, backend="local", base_model="default", settings={})
        evaluations.save(db, job_id, report["settings"], report)


def test_a_report_stored_by_an_earlier_version_opens(sam, capsys):
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    _store_raw("sam", stored)
    (run,) = read_runs(find_model("sam"))
    assert run.report.to_json() == stored  # every part read, none lost or changed
    assert run.report.settings == EvalSettings(prompts=10)
    assert run.report.memorised.examples == ("yo\nsure thing mate",)
    assert describe(run.report)[:6] == [
        "sam: persona fidelity of job 1 (local, base default) on 2 held-out prompts, 12 s",
        "",
        f"{'':22}{'base':>10}{'tuned':>10}",
        f"{'validation loss':22}{'5.000':>10}{'3.500':>10}",
        f"{'perplexity':22}{'148.413':>10}{'33.115':>10}",
        f"{'token accuracy':22}{'0.200':>10}{'0.400':>10}",
    ]

    assert main(["eval", "sam", "--list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [stored | {"id": 1}]
    assert main(["eval", "sam", "--list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    score = stored["closeness"]["score"]
    assert line.startswith("  1  ") and line.endswith(
        f"job 1  10 prompts, seed 0  score {score:+.2f}"
    )


def test_a_run_made_with_settings_out_of_todays_ranges_still_opens(sam):
    """Before the ranges were checked (a43461b) any seed and any number of prompts ran."""
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    stored["settings"] |= {"seed": 2**40, "prompts": 20_000}
    _store_raw("sam", stored)
    (run,) = read_runs(find_model("sam"))
    assert (run.report.settings.seed, run.report.settings.prompts) == (2**40, 20_000)


def test_a_damaged_stored_report_is_one_line(sam, capsys):
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    del stored["closeness"]
    _store_raw("sam", stored)
    assert main(["eval", "sam", "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gpt-is-you: evaluation 1 of sam cannot be read") and err.count("\n") == 1


# --- the sense measure ------------------------------------------------------------------


def _session(session: int, said: str, reply: str) -> Example:
    return replace(_example(VALID, _turn(USER, said), _turn(ASSISTANT, reply)), session=session)


def _said(text: str) -> str:
    """What a turn says, case and punctuation aside."""
    return " ".join(words(text))


def test_each_prompt_has_four_distractors_of_other_sessions_and_similar_length():
    replies = [
        "ok", "OK!", "yes", "nope", "sure", "lol ok", "see you at 8", "see you at 9",
        "running late, sorry!!", "running late, sorry", "a much longer reply than all the rest",
    ]  # fmt: skip
    examples = [_session(i, f"question {i}", reply) for i, reply in enumerate(replies)]
    examples.append(_session(3, "and another", "nah"))  # a second turn of session 3
    material = held_out(examples, count=len(examples), seed=0)
    assert len(material.prompts) == len(examples)
    for prompt in material.prompts:
        chosen = prompt.distractors
        assert len(chosen) == DISTRACTORS
        said = {_said(text) for text in chosen}
        assert len(said) == DISTRACTORS and _said(prompt.real) not in said
        session = next(e.session for e in examples if e.turns[-1].text == prompt.real)
        others = [e.turns[-1].text for e in examples if e.session != session]
        assert set(chosen) <= set(others)
        # Nearest in length: none left out (saying something else) was nearer.
        left_out = [t for t in others if _said(t) not in said | {_said(prompt.real)}]

        def far(text: str, real: str = prompt.real) -> float:
            return abs(math.log(len(text) / len(real)))

        assert max(map(far, chosen)) <= min(map(far, left_out))
    see = next(p for p in material.prompts if p.real == "see you at 8")
    assert "see you at 9" in see.distractors and "lol ok" in see.distractors
    assert see.said == "question 6"
    late = next(p for p in material.prompts if p.real == "running late, sorry!!")
    assert "running late, sorry" not in late.distractors  # the same answer, punctuation aside
    # Drawn by the seed: the same again, and ties broken otherwise by another seed.
    assert held_out(examples, count=len(examples), seed=0) == material
    drawn = {
        next(
            p for p in held_out(examples, len(examples), seed).prompts if p.real == "ok"
        ).distractors
        for seed in range(10)
    }
    assert len(drawn) > 1


def test_a_tiny_split_gives_fewer_distractors_and_chance_follows():
    examples = [EXAMPLES[0], EXAMPLES[1], replace(EXAMPLES[2], session=1)]
    material = held_out(examples, count=10, seed=0)
    omw, dinner = sorted(material.prompts, key=lambda prompt: prompt.real)
    assert omw.distractors == ("yes!! see you there",)  # the one other session's turn
    assert dinner.distractors == ("morning!!", "omw")  # the nearer in length first
    assert (omw.said, dinner.said) == ("coffee?", "dinner at 8?")
    report = build(
        "sam",
        _job(),
        EvalSettings(prompts=10),
        material,
        base_replies=["Coffee!" if p is omw else "" for p in material.prompts],
        tuned_replies=["omw", "yes"],
        scores=(None, None),
        credits=([0.0, 0.5], [1.0, 1.0]),
    )
    sense = report.sense
    assert sense.choices == 2 and sense.chance == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert sense.tuned == SenseOf(choice=1.0, echo=0.0, empty=0.0)
    assert sense.base == SenseOf(choice=0.25, echo=0.5, empty=0.5)


def test_a_pick_is_right_when_the_real_turn_scores_highest_and_shared_in_a_tie():
    assert credit([-1.0, -2.0, -3.0, -2.0, -5.0]) == 1.0
    assert credit([-2.0, -1.0, -3.0, -2.0, -5.0]) == 0.0
    assert credit([-1.0, -1.0, -3.0, -2.0, -5.0]) == 0.5
    assert credit([-1.0] * 5) == pytest.approx(0.2)  # scoring all alike is chance


@pytest.mark.parametrize(
    ("reply", "said", "echo"),
    [
        ("what are you up to tonight?", "hey, what are you up to tonight?", True),
        ("Hey, what are you up to TONIGHT", "hey what are you up to tonight?!", True),
        ("ok", "OK!!", True),
        ("hey! what are you up to tonight? lol", "what are you up to tonight", True),
        ("nothing much, you?", "hey, what are you up to tonight?", False),
        ("ok cool", "ok", False),  # a word or two in common is a common phrase
        ("you up", "are you up?", False),
        ("", "hey", False),
        ("!!!", "?!", False),
    ],
)
def test_a_reply_echoes_the_other_persons_last_message(reply, said, echo):
    assert echoes(reply, said) is echo


class _Chat:
    """A chat model whose replies and picks are known: ``write(prompt)`` gives its reply,
    ``pick`` (when given) scores the candidates of a prompt; a model without one cannot
    score texts (as a remote one)."""

    def __init__(self, write, pick=None) -> None:
        self._write = write
        if pick is not None:
            self.score = pick

    def stream(self, messages, sampling):
        yield self._write(messages)


def _oracle(real_after: dict[str, str]):
    """Scores the real next turn highest: it knows the chat (``real_after``: the
    conversation before each held-out turn, as JSON, to the turn)."""

    def pick(messages, candidates):
        real = real_after[json.dumps(messages)]
        return [0.0 if text == real else -1.0 for text in candidates]

    return pick


def _blind(seed: int):
    draw = random.Random(seed)
    return lambda messages, candidates: [draw.random() for _ in candidates]


def test_the_sense_measure_on_models_whose_answers_are_known(sample_home, monkeypatch, capsys):
    add_job("Sam", jobs.SUCCEEDED)
    model = find_model("Sam")
    with model.db() as db:
        examples = [example for _, example, _ in iter_examples(db)]
    settings = EvalSettings(prompts=50, seed=0)
    material = held_out(examples, settings.prompts, settings.seed)
    real_after = {json.dumps(list(p.messages)): p.real for p in material.prompts}
    assert len(material.prompts) == 50
    assert all(len(p.distractors) == DISTRACTORS for p in material.prompts)

    def echo(messages):
        return str(messages[-1]["content"])

    knowing = _Chat(echo, _oracle(real_after))  # knows the answer, repeats the question
    remote = _Chat(lambda messages: "")  # cannot score, says nothing
    blind = _Chat(lambda messages: "haha no idea", _blind(1))
    pairs = iter([(remote, knowing), (blind, knowing)])

    class Fake:
        def eval_chats(self, found, job):
            return next(pairs)

    monkeypatch.setattr(providers, "get", lambda name: Fake())
    first = evaluate(model, settings)
    sense = first.sense
    assert (sense.chance, sense.choices) == (pytest.approx(0.2), 50)
    assert sense.tuned == SenseOf(choice=1.0, echo=1.0, empty=0.0)
    assert sense.base == SenseOf(choice=None, echo=0.0, empty=1.0)

    second = evaluate(model, settings)
    assert second.sense.base.choice == pytest.approx(0.2, abs=0.12)  # by chance
    assert second.sense.base.echo == 0.0 and second.sense.base.empty == 0.0

    # Stored, read back, and told.
    latest, earlier = read_runs(model)
    assert (latest.report.sense, earlier.report.sense) == (second.sense, first.sense)
    text = describe(earlier.report)
    assert "Sense of the replies" in text
    assert f"{'picks the real next turn':26}{'n/a':>10}{'100%':>10}" in text
    assert f"{'echoes the other person':26}{'0%':>10}{'100%':>10}" in text
    assert f"{'empty replies':26}{'100%':>10}{'0%':>10}" in text
    assert "A remote model cannot score a text" in " ".join(text)
    assert "chance 20%" in " ".join(describe(second))
    assert "cannot score" not in " ".join(describe(second))
