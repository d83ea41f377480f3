"""The errors a user can act on: their text is the whole message, shown as one line
(CLI, exit status 2) or in a dialog (the app). Light to import."""

from __future__ import annotations

from gpt_is_you.chats import ChatImportError
from gpt_is_you.dataset.errors import SettingsError
from gpt_is_you.dataset.persona import PersonaError
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.serving.errors import ServeError
from gpt_is_you.store.errors import ModelError

USER_ERRORS: tuple[type[Exception], ...] = (
    ChatImportError,
    PersonaError,
    ModelError,
    SettingsError,
    ProviderError,
    ServeError,
)


def app_text(error: BaseException) -> str:
    """The error's line as the app shows it. The command line's line may name a command
    (`gpt-is-you train NAME --cancel`); an app user has keys and dialogs instead, so such
    an error carries the app's wording too (its ``app``), which this prefers."""
    return getattr(error, "app", None) or str(error)
