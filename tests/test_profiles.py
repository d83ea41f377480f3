"""OpenAI-compatible fine-tuning services as named connections with a profile: `connect NAME
--base-url URL [--profile P]`, each profile's data, the profile a connection gets, the
bases a backend offers, and the API key dialog for any service that needs a key."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Static

from conftest import new_model
from gpt_is_you import providers
from gpt_is_you.cli import main
from gpt_is_you.dataset.export import FORMATS
from gpt_is_you.providers import connection as connections
from gpt_is_you.providers.credentials import read_config
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.openai import OpenAIProvider
from gpt_is_you.providers.openai.profiles import (
    KNOWN_TO_WORK,
    NEBIUS_BASES,
    PROFILES,
    UNTESTED,
    guess,
    profile_for,
)
from gpt_is_you.providers.settings import REMOTE_BASES
from gpt_is_you.tui.widgets.api_key import FILE, ApiKey, ApiKeyDialog
from pilot_helpers import until

NEBIUS_URL = "https://api.tokenfactory.nebius.com/v1/"
README = Path(__file__).parent.parent / "README.md"


@pytest.fixture
def config(home, tmp_path, monkeypatch) -> Path:
    """A config folder of the test's own, no key in the environment."""
    monkeypatch.setenv("GPT_IS_YOU_CONFIG", str(tmp_path / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("NEBIUS_API_KEY", "MINE_API_KEY", "TOGETHER_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "connections.toml"


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpt-is-you: "), err
    assert "Traceback" not in err
    return lines[0]


# The profiles as data -------------------------------------------------------------------


def test_every_profile_is_complete_and_dated() -> None:
    assert set(PROFILES) == {"openai", "azure", "nebius", "generic"}
    for p in PROFILES.values():
        assert p.data_format in FORMATS
        assert p.status in (KNOWN_TO_WORK, UNTESTED)
        assert len(set(p.bases)) == len(p.bases)
        assert p.prices.as_of and p.prices.source
        for row in p.prices.rows:  # each price is one a page confirmed, or unknown
            assert row.training is None or row.training > 0
            assert row.model in p.bases
    assert PROFILES["openai"].bases == REMOTE_BASES
    assert PROFILES["nebius"].bases == NEBIUS_BASES and not PROFILES["nebius"].metadata
    assert PROFILES["generic"].bases == ()  # any model its server has


def test_nothing_is_said_to_work_that_was_not_run_against_the_service() -> None:
    assert all(p.status == UNTESTED for p in PROFILES.values())


@pytest.mark.parametrize(
    ("url", "profile"),
    [
        (NEBIUS_URL, "nebius"),
        ("https://api.studio.nebius.com/v1/", "nebius"),
        ("https://api.openai.com/v1", "openai"),
        ("https://my-resource.openai.azure.com/openai/v1/", "azure"),
        ("http://127.0.0.1:8000/v1", "generic"),
        ("https://tokenfactory.nebius.com.example.org/v1", "generic"),  # a host, not a text
        ("https://notapi.openai.com.evil/v1", "generic"),
    ],
)
def test_a_profile_is_guessed_from_the_hosts_name(url: str, profile: str) -> None:
    assert guess(url).name == profile


def test_the_readme_names_every_service_with_its_status() -> None:
    text = README.read_text()
    for p in PROFILES.values():
        if p.name != "generic":
            assert p.shown in text and p.status in text


# connect NAME ---------------------------------------------------------------------------


def test_connect_makes_a_named_connection_with_its_profile(config, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("nb-secret-key-123\n"))
    assert main(["connect", "nebius", "--base-url", NEBIUS_URL, "--key-stdin"]) == 0
    out = capsys.readouterr().out
    assert "nb-secret-key-123" not in out
    assert f"nebius: nebius ({NEBIUS_URL}), key from {config}" in out
    assert f"profile: nebius (Nebius Token Factory; {UNTESTED}); bases: " in out
    assert NEBIUS_BASES[0] in out
    saved = read_config()["nebius"]
    assert saved["kind"] == "openai-compatible" and saved["base_url"] == NEBIUS_URL
    assert "profile" not in saved  # guessed from the host each time
    # A backend of its own: the registry lists it, training reaches OpenAIProvider.
    assert "nebius" in providers.names(remote=True)
    provider = providers.get("nebius")
    assert isinstance(provider, OpenAIProvider) and provider.bases() == NEBIUS_BASES
    # --forget forgets the key, keeps the connection.
    assert main(["connect", "nebius", "--forget"]) == 0
    assert "api_key" not in read_config()["nebius"] and "nebius" in connections.named()


def test_a_chosen_profile_wins_over_the_hosts(config, capsys):
    url = "http://127.0.0.1:9/v1"
    assert main(["connect", "mine", "--base-url", url, "--profile", "nebius"]) == 0
    out = capsys.readouterr().out
    # No key yet: what was saved, and what is missing, in one line.
    assert out.strip() == (
        "mine: saved; no mine API key: set MINE_API_KEY or save one with `gpt-is-you connect mine`"
    )
    assert read_config()["mine"]["profile"] == "nebius"
    assert profile_for("mine").name == "nebius"
    assert main(["connect", "mine", "--profile", "generic"]) == 0  # changed, URL kept
    assert profile_for("mine").name == "generic" and read_config()["mine"]["base_url"] == url


def test_a_server_of_ones_own_takes_any_base_and_needs_it_named(config, capsys, monkeypatch):
    monkeypatch.setenv("MINE_API_KEY", "whatever")
    assert main(["connect", "mine", "--base-url", "http://127.0.0.1:9/v1"]) == 0
    assert "profile: generic (an OpenAI-compatible service; " in capsys.readouterr().out
    assert providers.get("mine").bases() == ()
    new_model("sam")
    assert main(["train", "sam", "--backend", "mine", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "--base is needed: mine fine-tunes any model its service has" in line


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["connect", "Bad Name", "--base-url", NEBIUS_URL], "cannot name a connection"),
        (["connect", "local", "--base-url", NEBIUS_URL], "'local' is a built-in backend"),
        (["connect", "newone"], "no connection named 'newone': make one with `gpt-is-you "),
        (
            ["connect", "x", "--base-url", NEBIUS_URL, "--profile", "nope"],
            "unknown profile 'nope': one of openai, azure, nebius, generic",
        ),
        (["connect", "openai", "--profile", "nebius"], "--profile is for a connection of your"),
        (["connect", "x", "--base-url", "not a url"], "is not the address of a server"),
        (["connect", "huggingface", "--profile", "nebius"], "--profile is for a remote service"),
    ],
)
def test_connect_refuses_in_one_line_and_saves_nothing(config, capsys, monkeypatch, argv, said):
    # Refused before a key is asked for: a terminal that would be asked says so.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("a key was asked"))
    assert main(argv) == 2
    assert said in _one_line(capsys.readouterr().err)
    assert not config.exists()


def test_a_saved_profile_no_one_knows_is_one_line(config, capsys, monkeypatch):
    connections.save("mine", base_url="http://127.0.0.1:9/v1", profile="vanished")
    monkeypatch.setenv("MINE_API_KEY", "whatever")
    with pytest.raises(ProviderError, match="the connection 'mine': unknown profile 'vanished'"):
        providers.get("mine").bases()
    new_model("sam")
    assert main(["train", "sam", "--backend", "mine", "--yes"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "unknown profile 'vanished'" in line and "connect mine --profile P" in line


def test_together_is_a_built_in_service_to_connect(config, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("tg-secret-key-123\n"))
    assert main(["connect", "together", "--key-stdin"]) == 0
    out = capsys.readouterr().out
    assert "together: Together AI (https://api.together.ai), key from" in out
    assert "tg-secret-key-123" not in out and "profile:" not in out  # not an OpenAI kind
    assert "together" not in connections.named()


def test_the_help_says_who_openai_fine_tunes_for(capsys):
    for command in ("train", "connect"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "existing fine-tuning customers" in text and "2027-01-06" in text
    label = providers.backend("openai")
    assert "existing fine-tuning customers" in label.label and "2027-01-06" in label.label
    for date in ("2026-05-07", "2026-07-02", "2027-01-14"):
        assert date in label.hint


# The API key dialog, for any service that needs a key ----------------------------------


def _dialog(backend: str, key: str | None = None) -> tuple[dict[str, str], list[ApiKey]]:
    """The dialog for ``backend``: its texts, and its answer once ``key`` is typed."""
    answers: list[ApiKey] = []
    texts: dict[str, str] = {}

    async def scenario() -> None:
        async with App().run_test(size=(100, 30)) as pilot:
            dialog = ApiKeyDialog(backend, keyring=False, config_file="/nowhere/c.toml")
            pilot.app.push_screen(dialog, answers.append)
            await until(pilot, lambda: dialog.is_current and pilot.app.focused is not None)
            field = dialog.query_one("#api-key", Input)
            texts["title"] = str(dialog.query_one(".dialog-title", Static).render())
            texts["body"] = " ".join(str(dialog.query_one(".dialog-body", Static).render()).split())
            texts["placeholder"] = field.placeholder
            texts["endpoint"] = str(bool(dialog.query("#api-endpoint")))
            if key is not None:
                field.value = key
                await pilot.press("enter")
                await until(pilot, lambda: answers)

    asyncio.run(scenario())
    return texts, answers


def test_the_key_dialog_asks_for_together_ais_key(config):
    texts, _ = _dialog("together")
    assert texts["title"] == "Together AI API key"
    assert "TOGETHER_API_KEY" in texts["body"] and texts["placeholder"] == "Together AI's key"
    assert texts["endpoint"] == "False"


def test_the_key_dialog_keeps_a_named_connections_key_with_it(config):
    connections.save("nebius", base_url=NEBIUS_URL)
    texts, answers = _dialog("nebius", key="nb-typed-key")
    assert texts["title"] == "nebius API key" and "NEBIUS_API_KEY" in texts["body"]
    (answer,) = answers
    assert (answer.backend, answer.where, answer.endpoint) == ("nebius", FILE, None)
    answer.keep()
    saved = read_config()["nebius"]
    assert saved["api_key"] == "nb-typed-key" and saved["base_url"] == NEBIUS_URL
    assert connections.connection("nebius").key == "nb-typed-key"


def test_the_key_dialog_keeps_openais_placeholder_and_azures_endpoint(config):
    assert _dialog("openai")[0]["placeholder"] == "sk-…"
    texts, _ = _dialog("azure")
    assert texts["title"] == "Azure OpenAI API key" and texts["endpoint"] == "True"
