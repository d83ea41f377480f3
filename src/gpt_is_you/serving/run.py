"""``serve``'s course: the model found trained, the host and port checked and bound, the
chat model loaded once, the record written, then uvicorn until Ctrl-C (or SIGTERM): no
new reply starts, the one being written stops at its next piece, the record goes."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from gpt_is_you import providers
from gpt_is_you.providers.base import Notice
from gpt_is_you.serving import record
from gpt_is_you.serving.app import Log, Twin, build_app
from gpt_is_you.serving.errors import ServeError
from gpt_is_you.serving.listen import check_token, listen
from gpt_is_you.store.models import Model, read_setting

# Seconds uvicorn waits for open answers once stopping: a reply stops at its next piece,
# so only a client that holds a connection open without a request makes it wait.
GRACE = 5


@dataclass(frozen=True)
class Options:
    host: str
    port: int  # 0: a free one
    token: str | None  # what clients send as their API key; None: none asked
    queue: int  # requests that may wait their turn while a reply is written


class Server(uvicorn.Server):
    """uvicorn's server, stopped as ``serve`` needs: at the first Ctrl-C (or SIGTERM) no
    new reply starts and the one being written stops at its next piece."""

    def __init__(self, app: Starlette) -> None:
        config = uvicorn.Config(
            app,
            http="h11",
            ws="none",
            lifespan="off",
            access_log=False,  # ours (app.AccessLog) says the tokens and never the query
            log_level="warning",
            timeout_graceful_shutdown=GRACE,
        )
        super().__init__(config)
        self.gate = app.state.gate

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn's own raises the signal again once it has shut down, which ends the
        # process (SIGTERM) before the record is removed; stopping is how serve ends.
        if threading.current_thread() is not threading.main_thread():
            yield  # a test's server in a thread: stopped with should_exit
            return
        stopping = (signal.SIGINT, signal.SIGTERM)
        before = {sig: signal.signal(sig, self.handle_exit) for sig in stopping}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets=None) -> None:
        self.gate.close()
        await super().shutdown(sockets)


def serve(
    model: Model,
    options: Options,
    *,
    notice: Notice,
    log: Log,
    serving: Callable[[record.Serving, Server], None],
) -> None:
    """Serve ``model`` until the process is told to stop. ``notice`` is told what loading
    the model says, ``serving`` where it is served (and the server, whose ``should_exit``
    stops it) once the model is loaded and the port open, ``log`` a line per request."""
    from gpt_is_you.chat_session import kept_sampling
    from gpt_is_you.store import conversations

    with model.db() as db:
        job = conversations.chat_job(db)
        name = read_setting(db, "name")
        persona = conversations.read_persona(db)
        kept = kept_sampling(db)
    if job is None:
        raise ServeError(
            f"{model.name} is not trained yet: run `gpt-is-you train {model.name}` first"
        )
    check_token(options.host, options.token)
    record.refuse_if_served(model.folder, model.name)
    with contextlib.closing(listen(options.host, options.port)) as sock:
        chat = providers.get(job.backend).chat_model(model, None, notice)
        name = name if isinstance(name, str) else model.name  # as stored, not as typed
        twin = Twin(name, persona, kept, chat, int(time.time()))
        server = Server(build_app(twin, queue=options.queue, token=options.token, log=log))
        port = sock.getsockname()[1]
        token = options.token is not None
        where = record.claim(model.folder, model.name, options.host, port, token=token)
        try:
            serving(where, server)
            server.run(sockets=[sock])
        finally:
            record.release(model.folder)
