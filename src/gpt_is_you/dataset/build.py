"""Building a persona's training examples from a chat's messages.

The steps, each set in BuildSettings (the defaults are the README's):
1. keep what people typed: system lines and deleted messages go; media goes, or
   stays as a placeholder; a caption typed with a photo is kept as text;
2. merge consecutive messages of one person that are close in time into one turn,
   each message a line of it;
3. cut the chat into sessions at long silences;
4. make one example per session: the persona's turns are the assistant's, everyone
   else's the user's; a long session is cut into parts that fit the token limit,
   each part starting with a few turns of what came before, as context;
5. hold out the latest sessions for validation, so that nothing the model is
   validated on was trained on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import compress, count, pairwise, repeat
from operator import eq, gt, itemgetter, ne, or_, sub, truth

from gpt_is_you.chats import MEDIA, TEXT, Message
from gpt_is_you.chats.collector import collector_paused
from gpt_is_you.dataset.examples import ASSISTANT, TRAIN, USER, VALID, Example, Turn
from gpt_is_you.dataset.redact import RedactionCounts, Redactor
from gpt_is_you.dataset.settings import BuildSettings

_LINK_ONLY = re.compile(r"\s*(?:(?:https?://|www\.)\S+\s*)+")


@dataclass(frozen=True)
class Dataset:
    settings: BuildSettings
    examples: tuple[Example, ...]
    redactions: RedactionCounts = field(default_factory=RedactionCounts)
    sessions: int = 0  # sessions in the chat, including those without an example
    cut: int = 0  # sessions cut into several examples to fit the token limit

    def split(self, name: str) -> tuple[Example, ...]:
        return tuple(e for e in self.examples if e.split == name)


def build(
    messages: Sequence[Message],
    settings: BuildSettings,
    *,
    count_tokens: Callable[[str], int],
) -> Dataset:
    """The examples for ``settings.persona``. ``count_tokens`` sizes a text for the target."""
    with collector_paused():
        return _build(messages, settings, count_tokens)


def _build(
    messages: Sequence[Message], settings: BuildSettings, count_tokens: Callable[[str], int]
) -> Dataset:
    others = sorted({m.sender for m in messages if m.sender and m.sender != settings.persona})
    turns, redactions = _turns(messages, settings)
    sessions = _sessions(turns, settings.session_gap)
    group = len(others) > 1
    system = _system_prompt(settings.persona, settings.me, others)
    examples: list[Example] = []
    cut = 0
    seen: set[str] = set()
    for number, session in enumerate(sessions):
        if settings.drop_duplicates:
            session = _mark_repeats(session, seen)
        parts = [_answered_only(p) for p in _fit(session, system, count_tokens, settings)]
        cut += len(parts) > 1
        for part_number, part in enumerate(parts):
            if _answers_someone(part):
                examples.append(Example(number, part_number, TRAIN, system, part, group))
    examples = _hold_out(examples, settings.validation_share)
    return Dataset(settings, tuple(examples), redactions, len(sessions), cut)


def _system_prompt(persona: str, me: str | None, others: list[str]) -> str:
    if len(others) > 1:
        people = _names(others)
        return f"You are {persona}, chatting in a group with {people}. Write as {persona} writes."
    partner = me or (others[0] if others else "a friend")
    return f"You are {persona}, chatting with {partner}. Write as {persona} writes."


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _turns(messages: Sequence[Message], s: BuildSettings) -> tuple[list[Turn], RedactionCounts]:
    """The chat as turns. Worked out column by column, since a large chat has half a
    million messages: only the turns themselves are made one by one."""
    kept, texts, counts = _kept_texts(messages, s)
    if not kept:
        return [], counts
    rows = list(map(messages.__getitem__, kept))
    senders = list(map(itemgetter(1), rows))
    times = list(map(itemgetter(0), rows))
    del rows
    # A turn starts where the sender changes, or after a silence longer than the window.
    changed = map(ne, senders[1:], senders[:-1])
    silent = map(gt, map(sub, times[1:], times[:-1]), repeat(s.merge_window))
    starts = [0, *compress(count(1), map(or_, changed, silent)), len(kept)]
    persona = s.persona
    turns = [
        Turn(
            ASSISTANT if senders[a] == persona else USER,
            senders[a],
            tuple(texts[a:b]),
            times[a],
            times[b - 1],
            tuple(kept[a:b]),
        )
        for a, b in pairwise(starts)
    ]
    if s.min_chars or s.drop_link_only:
        turns = [t for t in turns if _keep(t, s)]
    return turns, counts


def _kept_texts(
    messages: Sequence[Message], s: BuildSettings
) -> tuple[list[int], list[str], RedactionCounts]:
    """Positions of the messages people typed, and their texts as they will be learned.

    System lines and deleted messages go; media goes unless it has a caption or media
    is kept as a placeholder; blank texts go.
    """
    texts = list(map(itemgetter(2), messages))
    kinds = list(map(itemgetter(3), messages))
    senders = map(itemgetter(1), messages)
    typed = map(
        all,
        zip(map(eq, kinds, repeat(TEXT)), map(truth, map(str.strip, texts)), senders, strict=True),
    )
    kept = list(compress(count(), typed))
    media = list(compress(count(), map(eq, kinds, repeat(MEDIA))))
    for i in media:
        text = texts[i]
        if s.media == "placeholder":
            text = texts[i] = f"[media] {text}".rstrip()
        if text.strip() and messages[i].sender is not None:
            kept.append(i)
    if media:
        kept.sort()
    kept_texts = list(map(texts.__getitem__, kept))
    counts = RedactionCounts()
    if s.redact:
        redactor = Redactor(links=s.redact_links)
        for k, text in enumerate(kept_texts):
            kept_texts[k], found = redactor.redact(text)
            counts += found
    return kept, kept_texts, counts


def _keep(turn: Turn, s: BuildSettings) -> bool:
    if len(turn.text) < s.min_chars:
        return False
    return not (s.drop_link_only and _LINK_ONLY.fullmatch(turn.text))


def _sessions(turns: list[Turn], gap: timedelta) -> list[tuple[Turn, ...]]:
    sessions: list[list[Turn]] = []
    for turn in turns:
        if sessions and turn.start - sessions[-1][-1].end < gap:
            sessions[-1].append(turn)
        else:
            sessions.append([turn])
    return [tuple(s) for s in sessions]


def _mark_repeats(session: tuple[Turn, ...], seen: set[str]) -> tuple[Turn, ...]:
    """A persona turn already learned elsewhere becomes context, not learned twice."""
    marked = []
    for turn in session:
        if turn.role == ASSISTANT and turn.weight:
            if turn.text in seen:
                turn = turn._replace(weight=0)
            seen.add(turn.text)
        marked.append(turn)
    return tuple(marked)


def _answered_only(part: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """Persona turns before anyone else spoke answer nobody: context, not learned."""
    first_user = next((i for i, t in enumerate(part) if t.role == USER), len(part))
    return tuple(
        t._replace(weight=0) if i < first_user and t.weight else t for i, t in enumerate(part)
    )


def _answers_someone(turns: tuple[Turn, ...]) -> bool:
    return any(t.role == ASSISTANT and t.weight for t in turns)


def _fit(
    session: tuple[Turn, ...],
    system: str,
    count_tokens: Callable[[str], int],
    s: BuildSettings,
) -> list[tuple[Turn, ...]]:
    """Cut a session into parts that each fit ``s.max_tokens``.

    A later part starts with up to ``s.context_turns`` turns before it, as context
    (their assistant turns are not learned twice). A single turn too long for the
    limit stays alone in its part: it is reported, not silently cut.
    """
    budget = s.max_tokens - count_tokens(system) - 8
    sizes = [count_tokens(t.text) + 4 for t in session]
    if sum(sizes) <= budget:
        return [session]
    parts: list[tuple[Turn, ...]] = []
    start = 0
    while start < len(session):
        context_start = max(0, start - s.context_turns) if parts else start
        used = sum(sizes[context_start:start])
        end = start
        while end < len(session) and (end == start or used + sizes[end] <= budget):
            used += sizes[end]
            end += 1
        context = tuple(
            t._replace(weight=0) if t.role == ASSISTANT else t for t in session[context_start:start]
        )
        parts.append(context + session[start:end])
        start = end
    return parts


def _hold_out(examples: list[Example], share: float) -> list[Example]:
    """The latest sessions, about ``share`` of the examples, become validation."""
    if share <= 0 or len(examples) < 2:
        return examples
    wanted = max(1, round(len(examples) * share))
    per_session = Counter(e.session for e in examples)
    held: set[int] = set()
    count = 0
    for session in sorted(per_session, reverse=True):
        if count >= wanted or len(held) == len(per_session) - 1:
            break
        held.add(session)
        count += per_session[session]
    return [replace(e, split=VALID) if e.session in held else e for e in examples]
