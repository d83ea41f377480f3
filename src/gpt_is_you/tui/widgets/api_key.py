"""The dialog that asks for a remote backend's API key (and Azure's endpoint), for any
service that needs one (OpenAI, Azure OpenAI, Together AI, a connection of the user's own),
and where to keep it: the system keyring, the config file (readable by the user only), or only this
session's environment, which the job's watcher process inherits.

The key goes from the password field to ``connection.save`` or ``os.environ``; it is never
shown, logged or put into a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, RadioSet, Static

from gpt_is_you.tui.widgets.dialogs import FieldProblem, FormDialog, tell_problem
from gpt_is_you.tui.widgets.tick_box import RadioChoice

KEYRING = "keyring"
FILE = "file"
SESSION = "session"


@dataclass(frozen=True)
class ApiKey:
    """What the user typed, and where to keep it."""

    backend: str
    key: str = field(repr=False)
    where: str  # KEYRING, FILE or SESSION
    endpoint: str | None = None  # azure
    api_version: str | None = None  # azure

    def keep(self) -> str:
        """Save the key (and the endpoint) where the user chose; returns where it went."""
        from gpt_is_you.providers.connection import save, use_for_session

        if self.where == SESSION:
            use_for_session(
                self.backend, key=self.key, endpoint=self.endpoint, api_version=self.api_version
            )
            return "this session only"

        return save(
            self.backend,
            key=self.key,
            use_keyring=self.where == KEYRING,
            endpoint=self.endpoint,
            api_version=self.api_version,
        )


def key_places() -> tuple[bool, str]:
    """Whether a system keyring can keep the key, and the config file that can (asked
    in a thread: the keyring may take a moment to answer)."""
    from gpt_is_you.providers.credentials import config_path, keyring_available

    return keyring_available(), str(config_path())


class ApiKeyDialog(FormDialog[ApiKey | None]):
    """Asks for the key of ``backend``; dismisses with an ApiKey, or None when cancelled."""

    AUTO_FOCUS = "#api-key"
    SUBMIT = "Save"

    def __init__(self, backend: str, *, keyring: bool, config_file: str) -> None:
        super().__init__()
        self.backend = backend
        self._keyring = keyring
        self._config_file = config_file

    def compose_dialog(self) -> ComposeResult:
        from gpt_is_you.providers.connection import (
            AZURE,
            DEFAULT_API_VERSION,
            OPENAI,
            saved_endpoint,
            service_of,
        )

        where = service_of(self.backend)  # its name, its key's variable, what it speaks
        service = where.shown
        with Vertical(classes="dialog-box", id="api-key-box"):
            yield Static(f"{service} API key", classes="dialog-title")
            yield Static(
                f"Training on {service} needs an API key. It is sent to {service} only, and "
                f"never shown, logged or stored with your models. ({where.key_env} in the "
                "environment works too.)",
                classes="dialog-body",
            )
            with Horizontal(classes="api-key-row"):
                yield Label("API key", classes="api-key-label")
                yield Input(
                    password=True,
                    # OpenAI's keys start so; the others' have no form worth showing.
                    placeholder="sk-…" if where.kind == OPENAI else f"{service}'s key",
                    id="api-key",
                )
            yield FieldProblem("api-key")
            if where.kind == AZURE:
                with Horizontal(classes="api-key-row"):
                    yield Label("Endpoint", classes="api-key-label")
                    yield Input(
                        saved_endpoint(),
                        placeholder="https://NAME.openai.azure.com",
                        id="api-endpoint",
                    )
                yield FieldProblem("api-endpoint")
                with Horizontal(classes="api-key-row"):
                    yield Label("API version", classes="api-key-label")
                    yield Input(DEFAULT_API_VERSION, id="api-version")
            yield Static("Keep it in", classes="api-key-where-title")
            with RadioSet(id="api-key-where"):
                yield RadioChoice(
                    "the system keyring" if self._keyring else "the system keyring (none here)",
                    value=self._keyring,
                    disabled=not self._keyring,
                    id=f"where-{KEYRING}",
                )
                yield RadioChoice(
                    f"{self._config_file} (readable by you only)",
                    value=not self._keyring,
                    id=f"where-{FILE}",
                )
                yield RadioChoice(
                    "this session only (forgotten when you quit)", id=f"where-{SESSION}"
                )
            yield from self.buttons()

    def _finish(self) -> None:
        from gpt_is_you.providers.connection import url_problem

        key = self.query_one("#api-key", Input).value.strip()
        endpoint = version = None
        problem = None
        if self.query("#api-endpoint"):  # Azure's
            endpoint = self.query_one("#api-endpoint", Input).value.strip()
            version = self.query_one("#api-version", Input).value.strip() or None
            if url_problem(endpoint) is not None:
                problem = ("#api-endpoint", "The endpoint is a URL: https://NAME.openai.azure.com")
        if not key:
            problem = ("#api-key", "Paste the API key first.")
        if problem is not None:
            tell_problem(self.query_one(problem[0], Input), problem[1])
            return
        pressed = self.query_one("#api-key-where", RadioSet).pressed_button
        where = pressed.id.removeprefix("where-") if pressed and pressed.id else FILE
        self.dismiss(ApiKey(self.backend, key, where, endpoint, version))
