"""A model is found by its name once, where the name comes in (a command's argument, a
screen's opening), and passed down: the layers below open it by its folder."""

from __future__ import annotations

import pytest

from conftest import new_model, write_export
from gpt_is_you.cli import main
from gpt_is_you.store import models
from gpt_is_you.store.errors import ModelError


@pytest.fixture
def sam(home, tmp_path, capsys):
    new_model("Sam", write_export(tmp_path / "chat.txt", 12))
    return "Sam"


@pytest.fixture
def lookups(monkeypatch) -> list[str]:
    """The names looked up (each finding of a model by its name), in order."""
    seen: list[str] = []
    folder_of = models._folder_of

    def counted(name: str):
        seen.append(name)
        return folder_of(name)

    monkeypatch.setattr(models, "_folder_of", counted)
    return seen


@pytest.mark.parametrize(
    "command",
    [
        ["status", "sam"],
        ["train", "sam", "--resume"],
        ["train", "sam", "--cancel"],
        ["chat", "sam", "-m", "hi"],
        ["eval", "sam", "--list"],
        ["export", "sam", "--format", "openai"],
        ["rm", "sam", "--yes"],
    ],
    ids=" ".join,
)
def test_a_command_finds_its_model_once(sam, lookups, command, capsys):
    main(command)
    assert lookups == ["sam"], capsys.readouterr().err


def test_a_chat_session_opens_its_model_without_finding_it_again(sam, lookups):
    from fake_chat import ScriptedChat
    from gpt_is_you.chat_session import ChatSession
    from gpt_is_you.providers.settings import Sampling
    from gpt_is_you.store import conversations

    model = models.find_model("sam")
    with model.db() as db:
        persona = conversations.read_persona(db)
    session = ChatSession(model, ScriptedChat(), persona, None)
    assert session.say("hi")
    assert session.reply(Sampling()).text == "yo\nsure"
    assert lookups == ["sam"]  # find_model's, no other
    with model.db() as db:
        assert [line.content for line in conversations.lines(db, session.conversation)] == [
            "hi",
            "yo\nsure",
        ]


def test_a_model_is_found_as_it_was_opened_by_name(sam):
    found = models.find_model("SAM")
    assert found == models.Model("SAM", models.model_folder("Sam"))  # the name as typed
    with found.db() as db, models.open_model("sam") as by_name:
        assert models.read_setting(db, "name") == models.read_setting(by_name, "name") == "Sam"


def _refusal(open_it) -> str:
    with pytest.raises(ModelError) as refused, open_it():
        pass
    return str(refused.value)


def test_a_missing_model_is_refused_as_before(home):
    line = _refusal(lambda: models.open_model("nobody"))
    assert line == "no model named 'nobody'; `gpt-is-you models` lists them"
    with pytest.raises(ModelError) as refused:
        models.find_model("nobody")
    assert str(refused.value) == line


def test_a_model_renamed_or_deleted_since_it_was_found_is_refused_by_its_name(sam):
    from gpt_is_you.store.manage import rename_model

    found = models.find_model("sam")
    rename_model("Sam", "Robin")
    assert _refusal(found.db) == _refusal(lambda: models.open_model("sam"))
    robin = models.find_model("robin")
    models.remove_model(robin)
    assert _refusal(robin.db) == "no model named 'robin'; `gpt-is-you models` lists them"
