"""The Together AI backend: LoRA fine-tuning of an open base through the ``together`` SDK,
the adapter brought home, and chat here or at the service.

A job runs at Together; its watcher process (``watch.py``) uploads, creates, follows it
and downloads the adapter (``adapter.py``). What every remote backend does (start,
resume, watch again, cancel, delete) is ``RemoteProvider``'s. Chat: on this machine with
the downloaded adapter when the base's weights are here too (the hub's cache, see
``bases.hub_repo``), else at Together's OpenAI-compatible endpoint; ``chat --remote-model
NAME --backend together`` always asks the service.
"""

from __future__ import annotations

import threading

from gpt_is_you.providers.base import Notice
from gpt_is_you.providers.connection import Connection, connection
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.remote import RemoteProvider, clean_suffix
from gpt_is_you.providers.settings import RemoteSettings
from gpt_is_you.providers.together import bases
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import Job
from gpt_is_you.store.models import Model

SUFFIX_LIMIT = 40  # characters Together allows in a suffix


class TogetherProvider(RemoteProvider):
    name = "together"
    WATCHER = "gpt_is_you.providers.together.watch"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        # A model loaded here is kept, as the local backend keeps its own: each reply
        # asks for it again.
        self._chats: dict[tuple[str, int], object] = {}
        self._loading = threading.Lock()

    def bases(self) -> tuple[str, ...]:
        return bases.names()

    def suffix(self, chosen: str, request: str) -> str:
        """The chosen suffix, cut to leave room for the request's token: the one mark a
        job created by a request whose answer was lost is found by."""
        from gpt_is_you.providers.together.watch import REQUEST_TAG, request_tag

        room = SUFFIX_LIMIT - REQUEST_TAG - 1
        return f"{clean_suffix(chosen, room).strip('-')}-{request_tag(request)}"

    def cost_of(self, stats, train_tokens: list[int], settings: RemoteSettings):
        return bases.estimate(
            train_tokens,
            settings.base,
            limit=stats.limit,
            epochs=settings.epochs,
            eval_tokens=stats.valid.tokens,
        )

    def check_access(self, conn: Connection) -> None:
        import together

        from gpt_is_you.providers.service_errors import explain

        try:
            conn.together().fine_tuning.list()
        except together.APIError as e:
            raise explain(e, conn) from None

    def resume(self, model: Model) -> Job:
        """A succeeded job whose adapter did not come is fetched again here (in the
        foreground); any other is resumed as every remote job is."""
        with model.db() as db:
            job = jobs.read_job(db)
            if job is not None and job.backend == self.name and job.state == jobs.SUCCEEDED:
                from gpt_is_you.providers.together import adapter

                if adapter.is_home(model.folder, job.id):
                    raise ProviderError(
                        f"{model.name}'s job ended at Together AI (succeeded) and its adapter "
                        f"is here; `gpt-is-you chat {model.name}` talks to it",
                        app=f"{model.name}'s job ended at Together AI (succeeded) and its "
                        "adapter is here; c on the models screen talks to it",
                    )
                if adapter.bring_home(db, connection(self.name), job, model.folder) is None:
                    raise ProviderError(
                        f"the adapter of {model.name}'s job did not come; `gpt-is-you status "
                        f"{model.name}` says why",
                        app=f"the adapter of {model.name}'s job did not come; the training "
                        "screen's events say why",
                    )
                return job
        return super().resume(model)

    def send_cancel(self, conn: Connection, remote_id: str) -> None:
        conn.together().fine_tuning.cancel(remote_id)

    # Chat -----------------------------------------------------------------------------

    def chat_model(
        self, model: Model, remote_model: str | None = None, notice: Notice | None = None
    ):
        """The fine-tuned model on this machine (the adapter on its base) when both are
        here, else at Together; ``remote_model``: any model Together serves."""
        if remote_model is not None:
            return self._at_service(remote_model, notice)
        job, output = self._trained(model)
        local = self._here(model, job, notice)
        if local is not None:
            return local
        if notice is not None:
            notice(
                f"talking to {output} at Together AI (the base "
                f"{bases.hub_repo(job.base_model)} is not on this machine)"
            )
        return self._at_service(output, notice)

    def eval_chats(self, model: Model, job: Job):
        """The base and the tuned model, both where chat would talk to them."""
        from gpt_is_you.providers.openai.chat import RemoteChat

        tuned = self.chat_model(model)
        if not isinstance(tuned, RemoteChat):
            # Both through PyTorch, as the local backend's: the same runtime for the two,
            # and candidates scored (``LocalChat.score``).
            from gpt_is_you.providers.local.generate import LocalChat

            repo, folder = bases.hub_repo(job.base_model), jobs.job_folder(model.folder, job.id)
            base = LocalChat(repo, None, context=tuned.context)
            return base, LocalChat.of_job(folder, repo, context=tuned.context)
        return self._at_service(job.base_model, None), tuned

    def _trained(self, model: Model) -> tuple[Job, str]:
        """The model's latest succeeded job here and its fine-tuned model's name."""
        job, found = self.fine_tuned(model)
        if found.deleted_at:
            from gpt_is_you.providers.together import adapter

            if not adapter.is_home(model.folder, job.id):
                raise ProviderError(
                    f"{model.name}'s fine-tuned model was deleted at Together AI at "
                    f"{found.deleted_at[:16]}, and its adapter is not here"
                )
        return job, found.remote_id

    def _here(self, model: Model, job: Job, notice: Notice | None):
        """The tuned model on this machine, when its base is here; the adapter is
        fetched first when it did not come with the job."""
        from gpt_is_you.providers.local import base_model
        from gpt_is_you.providers.together import adapter

        repo = bases.hub_repo(job.base_model)
        try:
            if base_model.resolve(repo, convert=False).missing:
                return None
        except ProviderError:  # not a hub id: only the service has it
            return None
        if not adapter.is_home(model.folder, job.id):
            if notice is not None:
                notice("downloading the adapter from Together AI…")
            with model.db() as db:
                if adapter.bring_home(db, connection(self.name), job, model.folder) is None:
                    return None
        from gpt_is_you.providers.local import fast

        key = (str(model.folder), job.id)
        with self._loading:
            if key not in self._chats:
                if notice is not None:
                    notice(f"loading {repo} with the adapter trained at Together AI…")
                # Merged once, converted for the fast runtime on the CPU, as a local job.
                folder = jobs.job_folder(model.folder, job.id)
                self._chats[key] = fast.chat_model(folder, repo, context=1024, notice=notice)
            return self._chats[key]

    def _at_service(self, model_id: str, notice: Notice | None):
        from gpt_is_you.providers.openai.chat import RemoteChat

        return RemoteChat(connection(self.name), model_id, notice=notice)
