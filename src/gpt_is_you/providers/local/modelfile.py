"""An Ollama ``Modelfile`` for an exported GGUF: the chat template in Ollama's Go template
syntax, the stop tokens, the persona's system prompt and the chat's sampling.

The template is not written by hand per family: the model's own chat template (Jinja) is
rendered around marker texts, one message at a time, and what it puts before and after
each role's text becomes a branch of the Go template. So the prompt Ollama builds is the
one the model was trained on (ChatML for SmolLM2 and Qwen, Llama 3's header tokens, and
whatever a base adds, such as Llama 3.1's date lines), and ``check`` compares a longer
sample conversation with the tokenizer's rendering before anything is written. A template
that does not wrap each message on its own (one that moves the system text, or changes
earlier turns) is refused.

Checked against Ollama's sources (its docs/modelfile.mdx and template.mdx, parser.go,
template.go, server/routes.go): ``FROM ./FILE.gguf`` is read relative to the Modelfile;
``.Messages`` holds the system message too (a request without one gets the Modelfile's
``SYSTEM`` as its first message), each with ``.Role`` and ``.Content``; a value in
triple quotes runs to the next ``\"\"\"`` and keeps its line breaks; ``PARAMETER stop``
is given once per stop text; ``temperature``, ``top_p``, ``num_predict`` and ``seed`` are
parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import Sampling

ROLES = ("system", "user", "assistant")
# Render(messages, add_generation_prompt) -> the prompt text (the tokenizer's template).
Render = Callable[[list[dict[str, str]], bool], str]
_MARK = "@@gpt-is-you-{}@@"  # text no template writes itself, and none trims


@dataclass(frozen=True)
class Turns:
    """What the chat template writes around each role's text, and to open a reply."""

    before: dict[str, str]
    after: dict[str, str]
    reply: str  # the generation prompt: what opens the model's turn


def turns(render: Render, bos: str | None = None) -> Turns:
    """The model's turns, read from its chat template (``render``). A leading ``bos``
    is left out: llama.cpp adds it when tokenizing, as the model's GGUF says."""
    said: list[dict[str, str]] = []
    before, after = {}, {}
    previous = ""
    for role in ("system", "user", "assistant"):
        said.append({"role": role, "content": _MARK.format(role)})
        text = _render(render, said, False)
        if not text.startswith(previous):
            raise _refused("it changes earlier messages as the conversation goes on")
        added = text[len(previous) :]
        head, found, tail = added.partition(_MARK.format(role))
        if not found:
            raise _refused(f"it does not write a {role} message's text as it is")
        before[role], after[role] = head, tail
        previous = text
    if bos and before["system"].startswith(bos):
        before["system"] = before["system"][len(bos) :]
    asked = _render(render, said[:2], True)
    reply = asked[len(_render(render, said[:2], False)) :]
    return Turns(before, after, reply)


def go_template(found: Turns) -> str:
    """The turns as an Ollama TEMPLATE: each message wrapped by its role, then the opening
    of the reply."""
    branches = "{{ else if ".join(
        f'eq .Role "{role}" }}}}{_literal(found.before[role])}{{{{ .Content }}}}'
        f"{_literal(found.after[role])}"
        for role in ROLES
    )
    each = f"{{{{ if {branches}{{{{ end }}}}"
    return f"{{{{ range .Messages }}}}{each}{{{{ end }}}}{_literal(found.reply)}"


def check(render: Render, found: Turns, bos: str | None = None) -> None:
    """Refuse turns that do not write a longer conversation as the chat template does
    (a template that treats the first or the last message of a kind apart)."""
    sample = [
        {"role": "system", "content": "You are Sam."},
        {"role": "user", "content": "hey"},
        {"role": "assistant", "content": "yo\nsure"},
        {"role": "user", "content": "what are you up to this weekend?"},
    ]
    expected = _render(render, sample, True)
    if bos:
        expected = expected.removeprefix(bos)
    if prompt(found, sample) != expected:
        raise _refused("it does not write each message on its own")


def prompt(found: Turns, messages: Sequence[dict[str, str]]) -> str:
    """The prompt the turns make of ``messages``: what the Go template renders."""
    wrapped = (found.before[m["role"]] + m["content"] + found.after[m["role"]] for m in messages)
    return "".join(wrapped) + found.reply


def stops(found: Turns, end_tokens: Sequence[str], special: Sequence[str]) -> list[str]:
    """Where a reply stops: the model's end tokens, and the special token that opens a
    user's turn (a model that writes past its end would start speaking for the user)."""
    opening = [t for t in special if t and found.before["user"].startswith(t)]
    return list(dict.fromkeys([*end_tokens, *opening[:1]]))


def modelfile(
    gguf_name: str, template: str, stop: Sequence[str], system: str, sampling: Sampling
) -> str:
    """The Modelfile's text."""
    for what, text in (("chat template", template), ("system prompt", system)):
        if '"""' in text:
            raise ProviderError(f'the {what} holds """, which a Modelfile cannot quote')
    lines = [
        "# Made by gpt-is-you: `ollama create NAME -f Modelfile` in this folder.",
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{template}"""',
        f'SYSTEM """{system}"""',
        *(f"PARAMETER stop {_quoted(text)}" for text in stop),
        f"PARAMETER temperature {sampling.temperature:g}",
        f"PARAMETER top_p {sampling.top_p:g}",
        f"PARAMETER num_predict {sampling.max_tokens}",
    ]
    if sampling.seed is not None:
        lines.append(f"PARAMETER seed {sampling.seed}")
    return "\n".join(lines) + "\n"


def _render(render: Render, messages: list[dict[str, str]], reply: bool) -> str:
    try:
        return render([dict(m) for m in messages], reply)
    except Exception as e:  # a template's raise_exception, a missing variable
        raise _refused(f"it cannot render a plain conversation ({e})") from e


def _literal(text: str) -> str:
    """``text`` as it stands in a Go template (the delimiters written as strings)."""
    if "{{" not in text and "}}" not in text:
        return text
    raise _refused("its markup holds Go's {{ or }}")


def _quoted(text: str) -> str:
    if '"' in text or "\n" in text:
        raise ProviderError(f"the stop text {text!r} cannot be written in a Modelfile")
    return f'"{text}"'


def _refused(why: str) -> ProviderError:
    return ProviderError(
        f"the model's chat template cannot be written as an Ollama template: {why}; "
        "the gguf format writes the GGUF alone (its chat template inside)"
    )
