"""The OpenAI-compatible server's routes, on starlette: ``GET /v1/models`` (the one model
served, named as the user named it), ``POST /v1/chat/completions`` (streamed as
server-sent events in OpenAI's chunk shapes, or whole), every refusal in OpenAI's error
shape; a bearer token where one is set, and an access log that holds no message text."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpt_is_you.providers.base import ChatModel
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.serving.gate import Busy, Closing, Gate
from gpt_is_you.serving.generation import Generation
from gpt_is_you.serving.requests import BadRequest, read_request
from gpt_is_you.store.conversations import Persona
from gpt_is_you.words import count

Log = Callable[[str], None]
T = TypeVar("T")

TALLY = "gpt_is_you.tally"  # the request's scope key for what the access log tells
SHUTTING_DOWN = "the server is shutting down"
GONE = 499  # the status logged for a client that left before its answer (nginx's)


@dataclass(frozen=True)
class Twin:
    """The model served: its name, the persona facts its prompts need, the sampling its
    chats use (a request's own over it) and its chat model, loaded once."""

    name: str
    persona: Persona
    kept: Sampling
    chat: ChatModel
    created: int  # when the server started (Unix time), as /v1/models tells it


class Tally:
    """What the access log says of a request besides its method, path and status."""

    tokens: int | None = None  # pieces written, for a completion
    left: bool = False  # the client went away before the end


def build_app(twin: Twin, *, queue: int, token: str | None, log: Log) -> Starlette:
    app = Starlette(
        routes=[
            Route("/v1/models", _models, methods=["GET"]),
            Route("/v1/models/{model:path}", _model, methods=["GET"]),
            Route("/v1/chat/completions", _completions, methods=["POST"]),
        ],
        middleware=[Middleware(AccessLog, log=log), Middleware(Bearer, token=token)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.twin = twin
    app.state.gate = Gate(queue)
    return app


def error(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A refusal in OpenAI's shape, which its SDKs turn into their error classes."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status, headers=headers)


async def _http_error(request: Request, e: Exception) -> Response:
    assert isinstance(e, HTTPException)
    code = "unknown_url" if e.status_code == 404 else None
    return error(e.status_code, f"{request.method} {request.url.path}: {e.detail}", code=code)


def _card(twin: Twin) -> dict[str, object]:
    return {"id": twin.name, "object": "model", "created": twin.created, "owned_by": "gpt-is-you"}


async def _models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [_card(request.app.state.twin)]})


async def _model(request: Request) -> Response:
    twin: Twin = request.app.state.twin
    if request.path_params["model"].casefold() != twin.name.casefold():
        return error(404, f"no model {request.path_params['model']!r} here", code="model_not_found")
    return JSONResponse(_card(twin))


async def _completions(request: Request) -> Response:
    twin: Twin = request.app.state.twin
    gate: Gate = request.app.state.gate
    tally: Tally = request.scope[TALLY]
    try:
        asked = read_request(
            await request.json(), served=twin.name, persona=twin.persona, kept=twin.kept
        )
    except ValueError:
        return error(400, "the request's body is not JSON")
    except BadRequest as e:
        return error(e.status, str(e), param=e.param, code=e.code)
    try:
        await _unless_gone(request, gate.enter())
    except _Gone:
        tally.left = True
        return Response(status_code=GONE)
    except Busy as e:
        return error(
            429,
            f"{twin.name} is busy with other requests: try again in {e.retry_after} s",
            "requests",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(e.retry_after)},
        )
    except Closing:
        return _closing()
    # From here the generation's thread gives the model back (gate.leave) when it ends.
    generation = Generation(lambda: twin.chat.stream(asked.messages, asked.sampling), gate.leave)
    tally.tokens = 0
    reply = _Reply(twin, asked.sampling, generation, gate, tally)
    if asked.stream:
        return StreamingResponse(
            reply.events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    try:
        text = await _unless_gone(request, reply.whole())
    except _Gone:
        tally.left = True
        return Response(status_code=GONE)
    except Exception as e:  # the model failed (a remote service's error, one line)
        return error(502, f"the model failed: {e}", "server_error")
    finally:
        generation.stop()  # a client gone: the model stops at its next piece
    if reply.cut:
        return _closing()
    return JSONResponse(reply.completion(text))


def _closing() -> Response:
    return error(503, SHUTTING_DOWN, "server_error")


class _Reply:
    """One completion's pieces, as OpenAI's chunks or as one answer."""

    def __init__(
        self, twin: Twin, sampling: Sampling, generation: Generation, gate: Gate, tally: Tally
    ) -> None:
        self.twin = twin
        self.sampling = sampling
        self.generation = generation
        self.gate = gate
        self.tally = tally
        self.cut = False  # stopped before its end: the server is shutting down
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())

    async def pieces(self) -> AsyncIterator[str]:
        while (piece := await self.generation.next()) is not None:
            self.tally.tokens = self.generation.count
            yield piece
            if self.gate.closing and not self.cut:  # the reply stops between two pieces
                self.cut = True
                self.generation.stop()

    @property
    def finish_reason(self) -> str:
        # The model stops at the end of the persona's turn, or after max_tokens tokens.
        return "length" if self.generation.count >= self.sampling.max_tokens else "stop"

    async def whole(self) -> str:
        return "".join([piece async for piece in self.pieces()])

    def completion(self, text: str) -> dict[str, object]:
        return {
            **self._head("chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": self.finish_reason,
                    "logprobs": None,
                }
            ],
        }

    async def events(self) -> AsyncIterator[str]:
        """Server-sent events: the role, a chunk per piece, the finish reason, [DONE]. A
        reply cut short (the model failed, the server stopping) ends with an error event
        and no [DONE], so that the client knows it is not whole."""
        try:
            yield self._chunk({"role": "assistant", "content": ""})
            try:
                async for piece in self.pieces():
                    yield self._chunk({"content": piece})
            except Exception as e:
                yield _failure(f"the model failed: {e}")
                return
            if self.cut:
                yield _failure(SHUTTING_DOWN)
                return
            yield self._chunk({}, self.finish_reason)
            yield "data: [DONE]\n\n"
        finally:
            # The client went away (starlette cancels this iterator) or the reply ended.
            if not self.generation.ended:
                self.tally.left = True
            self.generation.stop()

    def _head(self, kind: str) -> dict[str, object]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.twin.name}

    def _chunk(self, delta: dict[str, object], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return _event({**self._head("chat.completion.chunk"), "choices": [choice]})


def _failure(message: str) -> str:
    """An error event: OpenAI's SDKs raise it as an APIError where the stream is read."""
    return _event({"error": {"message": message, "type": "server_error"}})


def _event(data: dict[str, object]) -> str:
    return f"data: {json.dumps(data)}\n\n"


class _Gone(Exception):
    """The client went away before its answer."""


async def _unless_gone(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result, unless the client goes away first: then ``work`` is cancelled
    (a request waiting its turn, or a whole reply being written, for nobody) and _Gone
    raised."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise _Gone


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


class Bearer:
    """Every request brings the token as its API key (``Authorization: Bearer TOKEN``),
    where one is set; else 401 in OpenAI's shape."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.token is not None and not self._allowed(scope):
            refusal = error(
                401,
                "a wrong or missing token: send the server's token as the API key "
                "(Authorization: Bearer TOKEN)",
                code="invalid_api_key",
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        assert self.token is not None
        given = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, sent = given.partition(b" ")
        expected = self.token.encode()
        return scheme.lower() == b"bearer" and hmac.compare_digest(sent.strip(), expected)


class AccessLog:
    """A line per request: time, client, method, path, status, duration and, for a
    completion, the tokens written; never a message's text, never the token."""

    def __init__(self, app: ASGIApp, log: Log) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        tally = scope[TALLY] = Tally()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client") or ("-", 0)
            line = (
                f"{datetime.now():%Y-%m-%d %H:%M:%S} {client[0]} {scope['method']} "
                f"{scope['path']} {GONE if tally.left else status} "
                f"{time.monotonic() - started:.2f}s"
            )
            if tally.tokens is not None:
                line += f" {count(tally.tokens, 'token')} out"
            self.log(line)
