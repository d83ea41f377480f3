"""The remote backends: fine-tuning on OpenAI, Azure OpenAI or an OpenAI-compatible
fine-tuning service (a named connection), and chat with any model on them or on an
OpenAI-compatible server, all through the openai SDK. What differs between the services
(bases, data format, prices, job metadata) is their profile's (``profiles.py``).

A job runs at the service; a watcher process (``watch.py``) uploads, creates and polls
it, writing to the store. What every remote backend does (start, resume, watch again,
cancel, delete) is ``RemoteProvider``'s; this one plans the upload, cancels and deletes
with the openai SDK, chats, and gives the evaluation its pair.
"""

from __future__ import annotations

from gpt_is_you.dataset.cost import estimate
from gpt_is_you.providers.base import Notice
from gpt_is_you.providers.connection import Connection
from gpt_is_you.providers.connection import connection as _connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.openai.profiles import profile_for
from gpt_is_you.providers.remote import RemoteProvider
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model

WATCHER = "gpt_is_you.providers.openai.watch"


class OpenAIProvider(RemoteProvider):
    name = "openai"
    WATCHER = WATCHER

    def bases(self) -> tuple[str, ...]:
        return profile_for(self.name).bases

    def cost_of(self, stats, train_tokens: list[int], settings: RemoteSettings):
        try:  # at the prices of the service it goes to
            return estimate(
                train_tokens,
                settings.base,
                limit=stats.limit,
                epochs=settings.epochs,
                prices=profile_for(self.name).prices,
            )
        except ValueError:  # a base the service's table lacks
            return None

    def check_access(self, conn: Connection) -> None:
        import openai

        from gpt_is_you.providers.service_errors import explain, refused_job

        try:
            conn.client().fine_tuning.jobs.list(limit=1)
        except openai.PermissionDeniedError as e:  # no fine-tuning for this key
            raise refused_job(e, conn) from None
        except openai.APIError as e:
            raise explain(e, conn) from None

    def send_cancel(self, conn: Connection, remote_id: str) -> None:
        conn.client().fine_tuning.jobs.cancel(remote_id)

    def chat_model(
        self, model: Model, remote_model: str | None = None, notice: Notice | None = None
    ):
        """The model's fine-tuned model (or ``remote_model``, any model the service has),
        with the persona's names for the legacy prompt format."""
        from gpt_is_you.providers.openai.chat import LOAD_WAIT_SECONDS, RemoteChat
        from gpt_is_you.store.conversations import read_persona

        with model.db() as db:
            persona = read_persona(db)
        wait = 0.0
        if remote_model is None:
            _, found = self.fine_tuned(model)
            if found.deleted_at:
                raise ProviderError(
                    f"{model.name}'s fine-tuned model was deleted at {found.deleted_at[:16]}"
                )
            remote_model = found.remote_id
            wait = LOAD_WAIT_SECONDS  # it may be minutes old
        legacy = RemoteSettings(base=remote_model).legacy
        return RemoteChat(
            _connection(self.name),
            remote_model,
            legacy=legacy,
            speakers=(persona.me or "Me", persona.name),
            wait_for_load=wait,
            notice=notice,
        )

    def eval_chats(self, model: Model, job: Job):
        return self.chat_model(model, job.base_model), self.chat_model(model)
