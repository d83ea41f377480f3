"""Whose voice to learn: checking the persona (and "me") against the chat's people."""

from __future__ import annotations

import difflib

from gpt_is_you.chats.summary import ChatSummary


class PersonaError(ValueError):
    """The persona is not someone in the chat. ``str()`` is the line to show."""


def pick_participant(summary: ChatSummary, who: str, *, role: str = "persona") -> str:
    """The participant ``who`` names: exactly, or ignoring case and spaces."""
    names = [p.name for p in summary.participants]
    if who in names:
        return who
    folded = {" ".join(n.casefold().split()): n for n in names}
    key = " ".join(who.casefold().split())
    if key in folded:
        return folded[key]
    listing = ", ".join(f"{p.name} ({p.messages:,} messages)" for p in summary.participants)
    starting = [n for n in names if n.casefold().startswith(key)] if key else []
    close = starting or difflib.get_close_matches(who, names, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise PersonaError(
        f"{who!r} is not in this chat, so cannot be the {role}.{hint} People in it: {listing}"
    )


def consent_question(persona: str, messages: int, *, remote: bool) -> str:
    """What the user is asked before anyone's messages are used to train a model."""
    where = (
        "uploaded to the fine-tuning service you choose"
        if remote
        else "kept on this machine; nothing is uploaded"
    )
    return (
        f"This makes a model that writes like {persona}, from {messages:,} of their messages "
        f"({where}). Only do this with {persona}'s permission. Go on?"
    )
