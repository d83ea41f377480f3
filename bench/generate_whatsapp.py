"""Write a large, deterministic two-person WhatsApp export (Android, English, 24-hour clock).

Every line looks like a real Android export::

    14/03/2018, 08:02 - Léa Dubois: on my way 😅

Day-first dates, bursts of messages within the same minute, long gaps between conversations
over several years, mostly short messages with some long ones, about 3% multi-line messages,
a few percent ``<Media omitted>``, some deleted messages and a few system lines (no sender),
starting with the encryption notice.

The output depends only on the seed and the message count. Next to it goes a small JSON
stamp with those parameters and what was written (message and system-line counts, size), so a
second run with the same parameters skips the work and the benchmark knows the true counts.

    python bench/generate_whatsapp.py [OUT.txt] [--messages N] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

# Bump when the output changes for the same parameters, so old files get regenerated.
VERSION = 1
SEED = 20180314
DEFAULT_MESSAGES = 500_000
DATA_DIR = Path(__file__).resolve().parent / ".data"

PEOPLE = ("Léa Dubois", "Marco Rossi")
START = datetime(2018, 3, 14, 8, 2)

ENCRYPTION_NOTICE = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)
# Later system lines, one every few tens of thousands of messages. None contains ": ", which
# would make them look like "sender: text" to every parser.
SYSTEM_LINES = (
    "Your security code with {contact} changed. Tap to learn more.",
    "{contact} changed their phone number to a new number. Tap to message or add the new number.",
    "{name} turned on disappearing messages. New messages will disappear from this chat 7 days"
    " after they're sent, except when kept.",
    "{name} turned off disappearing messages.",
)
MEDIA = "<Media omitted>"
DELETED = "This message was deleted"

# Whole messages people send all the time, separated by |.
_SHORT = (
    "ok|okay|Ok 👍|yes|yeah|no|nope|haha|hahaha|lol|😂|😂😂|❤️|👍|🙈|thanks!|thank you ❤️|sure|"
    "on my way|omw|home now|good night 😴|morning ☀️|see you soon|love you|miss you|same|"
    "really?|wait what|true|exactly|one sec|call me?|can't talk now|nice!|wow|ahh|I know|"
    "no worries|sounds good|deal|where are you?|5 min|just landed ✈️|à plus!|ciao 👋|"
    "bien sûr|perfecto|🎉🎉|😅|🥲"
)
SHORT = _SHORT.split("|")

_WORDS = (
    "the I you it to and a that of is in we was so just but for this have be on not me what "
    "are with do can my at if like think know it's get go going really don't now about just "
    "time one yeah all out up when there some good how maybe tomorrow tonight today later "
    "weekend work train flat dinner lunch coffee café crème brûlée pizza pasta risotto "
    "gelato film movie show episode book mum dad sister brother Giulia Hélène friends party "
    "birthday present ticket flight holiday Lisbon Milano Paris Zürich beach mountains rain "
    "cold sunny tired hungry busy late early sorry great lovely funny weird crazy honestly "
    "actually probably definitely still already again never always something nothing "
    "everything someone nobody forgot remember told said asked bought cooked watched read "
    "booked cancelled missed found lost need want should could would will meet call text "
    "send check look wait leave come stay sleep eat drink naïve déjà vu jalapeño señor façade "
    "piñata über 😂 ❤️ 👍 🙈 🎉 😅 🥲 😍 🤔 🍕 ☕ 👨‍👩‍👧"
)
WORDS = _WORDS.split()


def default_path(messages: int = DEFAULT_MESSAGES) -> Path:
    return DATA_DIR / f"whatsapp_android_{messages}.txt"


def stamp_path(out: Path) -> Path:
    return out.with_name(out.name + ".json")


def read_stamp(out: Path) -> dict | None:
    """The stamp of an up-to-date file at ``out``, or None."""
    try:
        stamp = json.loads(stamp_path(out).read_text())
        if out.stat().st_size != stamp["bytes"]:
            return None
    except (OSError, ValueError, KeyError):
        return None
    return stamp


def _text(rng: random.Random) -> str:
    """One message body: mostly a few words, sometimes long, sometimes several lines."""
    roll = rng.random()
    if roll < 0.03:
        return MEDIA
    if roll < 0.035:
        return DELETED
    if roll < 0.065:  # multi-line: a list, an address, a pasted paragraph
        lines = [
            " ".join(rng.choices(WORDS, k=rng.randint(1, 12))) for _ in range(rng.randint(2, 5))
        ]
        return "\n".join(lines)
    if roll < 0.38:
        return rng.choice(SHORT)
    if roll < 0.97:
        words = rng.choices(WORDS, k=rng.randint(2, 10))
    else:  # the occasional long message
        words = rng.choices(WORDS, k=rng.randint(25, 100))
    words[0] = words[0].capitalize()
    return " ".join(words)


def _minutes_between_messages(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return 0  # same minute
    if roll < 0.9:
        return 1
    if roll < 0.98:
        return rng.randint(2, 8)
    return rng.randint(10, 40)


def _minutes_between_conversations(rng: random.Random) -> int:
    if rng.random() < 0.003:  # holidays, fights, lost phones
        return rng.randint(5 * 24 * 60, 21 * 24 * 60)
    # Log-uniform from 20 minutes to a day.
    return round(20 * 72 ** rng.random())


def generate(out: Path, messages: int = DEFAULT_MESSAGES, seed: int = SEED) -> dict:
    """Write the export to ``out`` (atomically) and its stamp next to it; return the stamp."""
    rng = random.Random(seed)
    names = list(PEOPLE)
    lines = [f"{START:%d/%m/%Y, %H:%M} - {ENCRYPTION_NOTICE}"]
    system_lines = 1
    next_system = rng.randint(10_000, 40_000)

    now = START
    sender = 0
    left_in_conversation = 0
    header = ""
    header_minute = None
    for i in range(messages):
        if left_in_conversation == 0:
            left_in_conversation = rng.randint(5, 160)
            now += timedelta(minutes=_minutes_between_conversations(rng))
            if 1 <= now.hour < 7:  # people sleep
                now = now.replace(hour=7) + timedelta(minutes=rng.randint(0, 120))
        else:
            now += timedelta(minutes=_minutes_between_messages(rng))
        left_in_conversation -= 1
        if rng.random() > 0.6:  # each person tends to send several in a row
            sender = 1 - sender
        if now != header_minute:
            header = f"{now:%d/%m/%Y, %H:%M} - "
            header_minute = now
        if i == next_system:
            template = rng.choice(SYSTEM_LINES)
            lines.append(header + template.format(name=names[sender], contact=PEOPLE[1]))
            system_lines += 1
            next_system += rng.randint(10_000, 40_000)
        lines.append(f"{header}{names[sender]}: {_text(rng)}")

    data = ("\n".join(lines) + "\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    stamp = {
        "version": VERSION,
        "seed": seed,
        "messages": messages,  # messages with a sender
        "system_lines": system_lines,  # lines without a sender, the encryption notice included
        "bytes": len(data),
        "first": START.isoformat(),
        "last": now.isoformat(),
    }
    stamp_path(out).write_text(json.dumps(stamp, indent=2) + "\n")
    return stamp


def ensure(out: Path, messages: int = DEFAULT_MESSAGES, force: bool = False) -> dict:
    """Generate ``out`` unless it already holds this generator's output for these parameters."""
    stamp = None if force else read_stamp(out)
    wanted = {"version": VERSION, "seed": SEED, "messages": messages}
    if stamp is not None and all(stamp.get(k) == v for k, v in wanted.items()):
        print(
            f"{out}: up to date ({stamp['bytes'] / 1e6:.1f} MB), not regenerated", file=sys.stderr
        )
        return stamp
    stamp = generate(out, messages)
    print(
        f"{out}: wrote {messages:,} messages + {stamp['system_lines']} system lines, "
        f"{stamp['bytes'] / 1e6:.1f} MB, {stamp['first'][:10]} to {stamp['last'][:10]}",
        file=sys.stderr,
    )
    return stamp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out", nargs="?", type=Path, help="default: bench/.data/whatsapp_android_N.txt"
    )
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, metavar="N")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = parser.parse_args(argv)
    ensure(args.out or default_path(args.messages), args.messages, args.force)


if __name__ == "__main__":
    main()
