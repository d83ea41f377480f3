"""A chat completion request read as OpenAI's API takes it: the messages the model reads
and the sampling to write with. Everything a client sent wrong is a ``BadRequest``,
answered in OpenAI's error shape; fields this server has no use for (``user``,
``presence_penalty``, ``stream_options``...) are ignored, as other compatible servers do."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store.conversations import ChatLine, Persona, chat_messages

# The request's field for each of the chat's sampling settings; max_completion_tokens is
# OpenAI's newer name for max_tokens.
SAMPLING_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "seed": "seed",
}
SYSTEM_ROLES = ("system", "developer")  # developer: OpenAI's newer name for system
ROLES = (*SYSTEM_ROLES, "user", "assistant")


class BadRequest(Exception):
    """A request this server cannot answer: its HTTP status, message and the field."""

    def __init__(
        self, message: str, param: str | None = None, *, status: int = 400, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Asked:
    messages: list[dict[str, object]]  # as the model reads them (OpenAI chat format)
    sampling: Sampling
    stream: bool


def read_request(body: object, *, served: str, persona: Persona, kept: Sampling) -> Asked:
    """The request ``body`` (parsed JSON) to the model named ``served``: its messages with
    the persona's system prompt (unless they bring their own), the sampling asked for over
    ``kept`` (the model's chat settings)."""
    if not isinstance(body, dict):
        raise BadRequest("the request's body must be a JSON object")
    asked = body.get("model")
    if asked is not None and (not isinstance(asked, str) or asked.casefold() != served.casefold()):
        raise BadRequest(
            f"the model {asked!r} does not exist: this server serves {served!r}",
            "model",
            status=404,
            code="model_not_found",
        )
    if body.get("n") not in (None, 1):
        raise BadRequest("only one choice is written per request (n=1)", "n")
    stream = body.get("stream")
    if stream not in (None, True, False):
        raise BadRequest("stream must be true or false", "stream")
    return Asked(_messages(body.get("messages"), persona), _sampling(body, kept), bool(stream))


def _messages(given: object, persona: Persona) -> list[dict[str, object]]:
    if not isinstance(given, list) or not given:
        raise BadRequest("messages must be a list of at least one message", "messages")
    read = [_message(m, i) for i, m in enumerate(given)]
    if any(role in SYSTEM_ROLES for role, _ in read):
        # The client wrote the prompt: its own system message, its messages as they are.
        return [{"role": "system" if r in SYSTEM_ROLES else r, "content": c} for r, c in read]
    # As the app's chat builds them: the persona's system prompt, and in a group chat
    # the user's turns named as in training.
    return chat_messages(persona, [ChatLine(role, content, "") for role, content in read])


def _message(message: object, index: int) -> tuple[str, str]:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise BadRequest(f"{where} must be an object with a role and a content", where)
    role = message.get("role")
    if role not in ROLES:
        raise BadRequest(
            f"{where}.role must be one of {', '.join(ROLES)} (got {role!r})", f"{where}.role"
        )
    return role, _text(message.get("content"), f"{where}.content")


def _text(content: object, where: str) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        for part in content
    ):
        return "\n".join(part["text"] for part in content)
    raise BadRequest(f"{where} must be text (a string, or a list of text parts)", where)


def _sampling(body: dict[str, object], kept: Sampling) -> Sampling:
    chosen: dict[str, object] = {}
    for field, setting in SAMPLING_FIELDS.items():
        value = body.get(field)
        if value is None:  # left out, or null: the model's own
            continue
        limit = Sampling.LIMITS[setting]
        problem = limit.problem(value)
        if problem is not None:
            raise BadRequest(f"{field} {problem}", field)
        chosen[setting] = int(value) if limit.whole else value  # 200.0 is 200 tokens
    return replace(kept, **chosen)
