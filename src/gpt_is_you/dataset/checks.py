"""OpenAI's data checks, as human-readable problems.

- :func:`check_chat_example`: the format checks of OpenAI's cookbook for chat fine-tuning
  data ("Data preparation and analysis for chat model fine-tuning",
  examples/Chat_finetuning_data_prep.ipynb), plus the documented rule for ``weight``.
- :func:`prepare_data_advice`: the advice of the legacy ``openai tools
  fine_tunes.prepare_data`` command (openai-python 0.x, ``openai/validators.py``) for
  prompt/completion data, against the separator and stop this project writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gpt_is_you.words import count

ROLES = ("system", "user", "assistant", "function")
KEYS = ("role", "content", "name", "function_call", "weight")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def check_chat_example(example: object) -> list[str]:
    """The problems with one chat fine-tuning example; an empty list when it is fine.

    The cookbook's checks: the example is a dict with a non-empty ``messages`` list; each
    message is a dict with ``role`` and ``content``, no keys beyond role, content, name,
    function_call and weight, a role among system, user, assistant and function, and
    string content that is not empty (blank content counts as empty here); and some
    message is the assistant's. Also, as OpenAI documents, ``weight`` is 0 or 1 and only
    on assistant messages.
    """
    if not isinstance(example, Mapping):
        return [f"the example is a {_kind(example)}, not a dict"]
    messages = example.get("messages")
    if not messages:
        return ["the example has no messages list"]
    if not isinstance(messages, list):
        return [f"messages is a {_kind(messages)}, not a list"]

    problems: list[str] = []
    roles: list[object] = []
    for number, message in enumerate(messages, 1):
        where = f"message {number}"
        if not isinstance(message, Mapping):
            problems.append(f"{where} is a {_kind(message)}, not a dict")
            continue
        role = message.get("role")
        roles.append(role)
        missing = [key for key in ("role", "content") if key not in message]
        if missing:
            problems.append(f"{where} has no {' and no '.join(map(repr, missing))}")
        unknown = [key for key in message if key not in KEYS]
        if unknown:
            problems.append(
                f"{where} has unrecognized key{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))} (allowed: {', '.join(KEYS)})"
            )
        if "role" in message and role not in ROLES:
            problems.append(f"{where} has unrecognized role {role!r} (expected {', '.join(ROLES)})")
        if "content" in message:
            content = message["content"]
            if not isinstance(content, str):
                problems.append(f"{where} content is a {_kind(content)}, not a string")
            elif not content.strip():
                problems.append(f"{where} content is empty")
        if "weight" in message:
            weight = message["weight"]
            # bool is an int in Python, but JSON true is not the number 1.
            if type(weight) is not int or weight not in (0, 1):
                problems.append(f"{where} weight must be 0 or 1, not {weight!r}")
            if role != "assistant":
                problems.append(f"{where} has a weight, which only assistant messages may have")
    if "assistant" not in roles:
        problems.append("the example has no assistant message")
    return problems


# What this project's prompt/completion export writes, as the legacy tool suggested.
SEPARATOR = "\n\n###\n\n"
STOP = " ###"
MIN_EXAMPLES = 100
# The legacy tool's stand-in for "longer than 2048 tokens": prompt + completion characters.
LONG_EXAMPLE_CHARS = 10_000
_SHOW_ROWS = 10


def _rows(indexes: Sequence[int]) -> str:
    """'pair 3' / 'pairs 3, 8, …' (1-based), at most ten listed."""
    shown = ", ".join(str(i + 1) for i in indexes[:_SHOW_ROWS])
    more = ", …" if len(indexes) > _SHOW_ROWS else ""
    return f"pair{'' if len(indexes) == 1 else 's'} {shown}{more}"


def _common_suffix(texts: Sequence[str]) -> str:
    first = texts[0]
    n = 0
    while n < len(first) and all(len(t) > n and t[-1 - n] == first[-1 - n] for t in texts):
        n += 1
    return first[len(first) - n :]


def _without(text: str, ending: str) -> str:
    """``text`` less ``ending`` when it ends so."""
    return text[: -len(ending)] if text.endswith(ending) else text


def prepare_data_advice(
    pairs: Sequence[tuple[str, str]],
    *,
    separator: str = SEPARATOR,
    stop: str = STOP,
    limit: int | None = None,
    encoding: str = "cl100k_base",
) -> list[str]:
    """Advice on prompt/completion ``pairs``, after the legacy ``prepare_data`` tool.

    Reports: fewer than 100 examples; empty completions; duplicated pairs; prompts that
    do not all end with ``separator`` (or contain it before the end); completions that
    do not start with a space; completions that do not all end with ``stop`` (or contain
    it before the end); identical prompts or completions; and examples that are too long:
    over ``limit`` tokens of ``encoding`` (prompt + completion) when a limit is given,
    otherwise over the legacy tool's 10,000 characters. An empty list means no advice.
    Prompts that are all empty are open-ended generation and get no separator advice.
    """
    if not separator or not stop:
        raise ValueError("the separator and the stop must not be empty")
    n = len(pairs)
    if n == 0:
        return ["there are no prompt-completion pairs"]
    prompts = [p for p, _ in pairs]
    completions = [c for _, c in pairs]
    advice: list[str] = []

    if n < MIN_EXAMPLES:
        advice.append(
            f"only {count(n, 'prompt-completion pair')}: at least a few hundred "
            "are recommended; performance tends to increase linearly with every doubling "
            "of the number of examples"
        )

    empty = [i for i, c in enumerate(completions) if not c]
    if empty:
        advice.append(f"{count(len(empty), 'empty completion')} ({_rows(empty)}): remove them")

    seen: set[tuple[str, str]] = set()
    duplicates: list[int] = []
    for i, (prompt, completion) in enumerate(pairs):
        if (prompt, completion) in seen:
            duplicates.append(i)
        seen.add((prompt, completion))
    if duplicates:
        advice.append(
            f"{count(len(duplicates), 'duplicated prompt-completion pair')} "
            f"({_rows(duplicates)}): remove the repeats"
        )

    if any(prompts):
        if n > 1 and len(set(prompts)) == 1:
            advice.append(
                f"all prompts are identical ({prompts[0]!r}): make them differ, or "
                "leave them empty for open-ended generation"
            )
        unseparated = [i for i, p in enumerate(prompts) if not p.endswith(separator)]
        if unseparated:
            common = _common_suffix(prompts)
            shared = f"their only common ending is {common!r}" if common else "no common ending"
            advice.append(
                f"{len(unseparated)} of {n} prompts ({_rows(unseparated)}) do not end with the "
                f"separator {separator!r} ({shared}): end every prompt with it so the model "
                "knows where the completion begins"
            )
        inside = [i for i, p in enumerate(prompts) if separator in _without(p, separator)]
        if inside:
            advice.append(
                f"the separator {separator!r} also appears inside {count(len(inside), 'prompt')} "
                f"({_rows(inside)}): it should appear only at the end"
            )

    if n > 1 and len(set(completions)) == 1:
        advice.append(
            f"all completions are identical ({completions[0]!r}): the model would "
            "only learn to repeat it"
        )
    no_space = [i for i, c in enumerate(completions) if not c.startswith(" ")]
    if no_space:
        advice.append(
            f"{count(len(no_space), 'completion')} ({_rows(no_space)}) "
            f"{'does' if len(no_space) == 1 else 'do'} not start with a space: start every "
            "completion with one, which suits the tokenizer"
        )
    unstopped = [i for i, c in enumerate(completions) if not c.endswith(stop)]
    if unstopped:
        advice.append(
            f"{count(len(unstopped), 'completion')} ({_rows(unstopped)}) "
            f"{'does' if len(unstopped) == 1 else 'do'} not end with the stop {stop!r}: end "
            "every completion with it so the model knows where to stop"
        )
    stop_inside = [i for i, c in enumerate(completions) if stop in _without(c, stop)]
    if stop_inside:
        advice.append(
            f"the stop {stop!r} also appears inside {count(len(stop_inside), 'completion')} "
            f"({_rows(stop_inside)}): generation would end there"
        )

    if limit is not None:
        from gpt_is_you.dataset.tokens import count_text

        long = [i for i, (p, c) in enumerate(pairs) if count_text(p + c, encoding) > limit]
        what = f"{limit} tokens"
    else:
        long = [i for i, (p, c) in enumerate(pairs) if len(p) + len(c) > LONG_EXAMPLE_CHARS]
        what = f"{LONG_EXAMPLE_CHARS:,} characters"
    if long:
        advice.append(
            f"{count(len(long), 'example')} ({_rows(long)}) "
            f"{'is' if len(long) == 1 else 'are'} longer than {what}: shorten or split "
            f"{'it' if len(long) == 1 else 'them'}"
        )
    return advice
