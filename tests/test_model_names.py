"""Model names: what a name may be, and that a model is found by its own name only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Input

from gpt_is_you.cli import main
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import list_models
from gpt_is_you.store.names import MAX_NAME, check_name, slugify
from gpt_is_you.tui.app import GptIsYouApp
from gpt_is_you.tui.widgets.dialogs import TextPrompt

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"


def _new(name: str, export: Path = FIXTURE) -> int:
    return main(["new", name, "--from", str(export), "--persona", "Bruno Keller", "--yes"])


REFUSED = {
    "../../x": "no '/', '\\' or '..'",
    "a/b": "no '/', '\\' or '..'",
    "a\\b": "no '/', '\\' or '..'",
    "wait..": "no '/', '\\' or '..'",
    "tab\there": "no control characters",
    "two\nlines": "no control characters",
    "x" * (MAX_NAME + 1): f"{MAX_NAME} characters at most",
    "x" * 5000: f"{MAX_NAME} characters at most",
    "   ": "needs a name",
    "🙂🙂": "use letters or digits",
}


@pytest.mark.parametrize("name", REFUSED, ids=lambda name: repr(name[:12]))
def test_a_name_that_breaks_a_rule_is_refused_before_the_export_is_read(home, capsys, name):
    # The export does not exist: the name is judged first.
    assert _new(name, export=home / "missing.txt") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and REFUSED[name] in err and len(err) < 200
    assert not (home / "models").exists() or not list((home / "models").iterdir())


def test_rename_and_duplicate_refuse_the_same_names(home, capsys):
    assert _new("Bruno") == 0
    capsys.readouterr()
    for name in ("../x", "x" * (MAX_NAME + 1), "a\x00b"):
        assert main(["rename", "Bruno", name]) == 2
        assert main(["duplicate", "Bruno", name, "--yes"]) == 2
        assert capsys.readouterr().err.count("gpt-is-you: ") == 2
    assert [m.name for m in list_models()] == ["Bruno"]


def test_names_of_every_script_within_the_limit_work(home, capsys):
    for name in ("Chloé Dubois", "x" * MAX_NAME, "  Sam  ", "Anna 2.0", "Ob-La-Di"):
        assert _new(name) == 0, capsys.readouterr().err
    assert sorted(m.name for m in list_models()) == sorted(
        ["Chloé Dubois", "x" * MAX_NAME, "Sam", "Anna 2.0", "Ob-La-Di"]
    )


def test_a_model_is_found_by_its_name_never_by_a_name_sharing_its_folder(home, capsys):
    assert _new("m") == 0
    assert _new("Bruno") == 0
    capsys.readouterr()
    for other in ("../../m", "m!", "M?"):
        assert main(["rm", other, "--yes"]) == 2
        assert f"no model named {other!r}" in capsys.readouterr().err
        assert main(["rename", other, "n"]) == 2
        capsys.readouterr()
    assert sorted(m.name for m in list_models()) == ["Bruno", "m"]
    assert main(["status", "BRUNO"]) == 0  # without regard to case
    assert main(["rm", "M", "--yes"]) == 0
    assert [m.name for m in list_models()] == ["Bruno"]


def test_two_names_that_would_share_a_folder_cannot_both_exist(home, capsys):
    assert _new("Bruno") == 0
    assert _new("Anna") == 0
    capsys.readouterr()
    assert _new("BRUNO") == 2
    assert "a model named 'BRUNO' exists already" in capsys.readouterr().err
    assert _new("Bruno!") == 2
    assert "would be kept in the folder of the model 'Bruno'" in capsys.readouterr().err
    assert main(["rename", "Anna", "bruno?"]) == 2
    assert "folder of the model 'Bruno'" in capsys.readouterr().err
    # A model may take a name that keeps its own folder.
    assert main(["rename", "Bruno", "Bruno!"]) == 0
    assert sorted(m.name for m in list_models()) == ["Anna", "Bruno!"]


@given(st.text(max_size=120))
def test_an_accepted_name_is_kept_in_a_folder_of_the_models_folder(name):
    try:
        kept = check_name(name)
    except ModelError as e:
        assert str(e).count("\n") == 0 and len(str(e)) < 200
        return
    assert kept == name.strip() and 0 < len(kept) <= MAX_NAME
    assert "/" not in kept and "\\" not in kept and ".." not in kept
    folder = Path("models") / slugify(kept)
    assert folder.parent == Path("models") and folder.name not in ("", ".", "..")


def test_the_apps_rename_dialog_says_the_rule(home):
    assert _new("Bruno") == 0

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("r")
            assert isinstance(app.screen, TextPrompt)
            await pilot.press(*"/x", "enter")
            await pilot.pause()
            # Beside the field, the dialog kept open with what was typed.
            assert isinstance(app.screen, TextPrompt)
            assert "no '/'" in str(app.screen.query_one("#answer-problem").render())
            assert app.screen.query_one("#answer", Input).value == "/x"

    asyncio.run(scenario())
    assert [m.name for m in list_models()] == ["Bruno"]
