"""Write the bundled sample chat: a synthetic WhatsApp export (iOS, English).

Two invented people talk from January to June 2024:

- Sam Okafor writes in short lowercase bubbles, several in a row, with no full
  stops, abbreviations ("u", "rn", "tbh", "idk") and plenty of emoji;
- Robin Hale writes one long bubble at a time, in full sentences with capitals,
  semicolons and parentheses, and hardly ever an emoji.

The chat was "exported from Robin's phone", so, as in any iOS export of a 1:1 chat,
the encryption notice and the missed calls are carried by the chat's name, which is
the other person's: Sam Okafor.

Everything in it is made up for gpt-is-you: the people, their cat, their books,
their town. It is built from topic threads (a flat move, a cat, a book club, cooking,
work deadlines, a trip, weekend plans, ...) written in both voices and combined at
random, so that no real person's words are in it. A phrase is not picked again until
the others in its table have had their turn, and a longer message is reworded rather
than sent twice, so that the few thousand messages are not a few lines repeated.

The output depends only on the fixed seed below and the standard library, so running
this again writes the same bytes:

    python scripts/make_sample_chat.py           # rewrites src/gpt_is_you/sample/sample_chat.txt
    python scripts/make_sample_chat.py OUT.txt   # writes OUT.txt instead

The chat ships inside the package (package data), so an installed wheel offers it too.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

SEED = 20240105
SAM = "Sam Okafor"
ROBIN = "Robin Hale"
CHAT_NAME = SAM  # exported by Robin: a 1:1 chat is named after the other person
FIRST_DAY = date(2024, 1, 5)
LAST_DAY = date(2024, 6, 28)
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "gpt_is_you" / "sample" / "sample_chat.txt"
RETRIES = 6
LRM = "\u200e"
ENCRYPTION = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, "
    "not even WhatsApp, can read or listen to them."
)

# Dates the story hangs on.
VET = date(2024, 2, 8)
BREWERY_DUE = date(2024, 2, 16)
FLAT_FOUND = date(2024, 2, 6)
PACKING = date(2024, 3, 1)
MOVE = date(2024, 3, 16)
GRANT_DUE = date(2024, 3, 22)
TRIP_PLANNING = date(2024, 3, 25)
GIG = date(2024, 4, 12)
TESS_BIRTHDAY = date(2024, 4, 20)
BAKERY_DUE = date(2024, 4, 26)
TRIP = date(2024, 5, 17)  # four days in Aldersea, together
TRIP_END = date(2024, 5, 20)
TRAINING = date(2024, 3, 28)
RACE = date(2024, 6, 9)
SLIPS = {  # a message sent to the wrong chat and deleted, on the first session of the day
    date(2024, 1, 19): SAM,
    date(2024, 2, 13): SAM,
    date(2024, 3, 8): ROBIN,
    date(2024, 3, 30): SAM,
    date(2024, 4, 24): SAM,
    date(2024, 5, 9): ROBIN,
    date(2024, 6, 4): SAM,
    date(2024, 6, 21): SAM,
}
MISSED_CALLS = {  # the first session of these days starts with Sam's call that Robin missed
    date(2024, 2, 2): "Missed voice call",
    date(2024, 4, 3): "Missed voice call",
    date(2024, 5, 29): "Missed video call",
}


# --------------------------------------------------------------------------------------
# Specs: how the text tables below say "one of these", "maybe this", "this then that".
#   "text"      literal (with {slots})
#   (a, b, c)   one of them, at random
#   [a, b]      each in turn, joined by a space
#   Opt(p, x)   x with probability p, else nothing


class Opt:
    __slots__ = ("p", "spec")

    def __init__(self, p: float, *alternatives: object) -> None:
        self.p = p
        self.spec = alternatives if len(alternatives) > 1 else alternatives[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opt) and (self.p, self.spec) == (other.p, other.spec)

    def __hash__(self) -> int:
        return hash((self.p, self.spec))


class Balanced(random.Random):
    """A random source whose choice() takes the options of a sequence it has used least
    so far, at random among those: people vary their phrases rather than repeat one, and
    without this a few thousand messages drawn from phrase tables repeat themselves."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.used: dict[object, list[int]] = {}

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        try:
            counts = self.used.setdefault(seq, [0] * len(seq))
        except TypeError:  # a list: not worth remembering
            return super().choice(seq)
        low = min(counts)
        least = [i for i, c in enumerate(counts) if c == low]
        i = least[self._randbelow(len(least))]
        counts[i] += 1
        return seq[i]


def pick(rng: random.Random, spec: object) -> str | None:
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, Opt):
        return pick(rng, spec.spec) if rng.random() < spec.p else None
    if isinstance(spec, tuple):
        return pick(rng, rng.choice(spec))
    if isinstance(spec, list):
        parts = [pick(rng, s) for s in spec]
        return " ".join(p for p in parts if p) or None
    raise TypeError(f"not a spec: {spec!r}")


# --------------------------------------------------------------------------------------
# What a session is made of.


@dataclass
class Item:
    kind: str  # text, media, deleted, call
    text: str = ""


@dataclass
class Turn:
    speaker: str
    items: list[Item] = field(default_factory=list)


_SAM_EMOJI = (
    "😭 😂 💀 🙃 😴 🥲 ✨ 🔥 👀 🙏 ❤️ 😅 🤌 😩 🫠 🥹 👍 🤷 😬 "
    "🎉 😎 🤔 🫶 😤 🙈 😌 🤯 💯 😳 🥳 😵 🤦 👌 😍 🤞 😈 🥴 🙌"
)
SAM_EMOJI = tuple(_SAM_EMOJI.split())
ROBIN_EMOJI = ("🙂", "😊", "😅", "🙃")
# Words Sam puts before or after a statement of three words or more.
SAM_BEFORE = ("ngl", "honestly", "omg", "wait", "ok but", "tbh", "oh")
SAM_AFTER = ("lol", "tbh", "haha", "lmao", "fr", "ngl", "lol ngl", "honestly")
_QUESTION = re.compile(r"(what|how|why|when|where|who|which|r u|do u|did u|is|are|can|u )\b")
INTERJECTIONS = ("Well,", "Honestly,", "Okay,", "Right,", "Oh,", "So,", "Ah,", "Listen,")
# Asides Robin adds to anything now and then.
ASIDES = (
    "(Sorry, I'm typing this on the bus, so forgive any typos.)",
    "(I'm eating toast as I type this, which is why it has taken so long.)",
    "(The kettle has just boiled, so this is a quick one.)",
    "(I'm writing this in the queue at the post office.)",
    "(Apologies for the delay; my phone was in another room, as usual.)",
    "(Autocorrect keeps changing 'Mango' to 'Manga', which I find hilarious.)",
    "(I'm sitting in the sun for once, so I'm in a generous mood.)",
    "(I'm on my third cup of tea, for context.)",
    "(I've just noticed it's raining again.)",
    "(Sorry; I started this message twenty minutes ago and then got distracted.)",
    "(I'm in the library, so I'm whispering, in a sense.)",
    "(Tess says hello; she's reading over my shoulder.)",
    "(I'm using a pen as a bookmark, which tells you how my day is going.)",
    "(My laptop is doing an update, so I have time on my hands.)",
    "(This is me procrastinating, obviously.)",
    "(The fox is on the wall again, by the way.)",
    "(I'm typing with one hand; the other is holding a very hot mug.)",
    "(Forgive me if this makes no sense; my brain is elsewhere.)",
    "(I'm trying a new thing where I answer messages straight away; how am I doing?)",
    "(Sent from the sofa, where I have been for an hour.)",
    "(My hands are covered in flour, so this took a while.)",
    "(There's a wasp in the office and everyone is pretending it isn't happening.)",
    "(I'm on hold with the council, so you have my undivided attention.)",
    "(The man next to me on the train is eating an entire roast chicken.)",
    "(I've been composing this in my head all the way home.)",
    "(Written on the stairs, as I can't find my keys.)",
    "(I'm lying on the floor again; it's very good for the back.)",
    "(Excuse the delay; I was wrestling with a duvet cover.)",
    "(I've just burnt my toast while typing this, which feels symbolic.)",
    "(The flat is very quiet without the radio on.)",
    "(I'm hiding in the stationery cupboard, technically.)",
)

# Words Sam stretches sometimes ("sooo", "nooo", "omggg").
_STRETCH = re.compile(
    r"\b(so|no|yes|omg|pls|ok|oh|ugh|nice|wait|stop|love|lol|yay|hi|hey|yeah|why|same|cute"
    r"|good|now|soon|night|bye|what|me|sorry|tired|fine|help|yess|true)\b"
)
_SENTENCE_START = re.compile(r"([.?!]\)? )([a-z])")
# First words Robin keeps capitalised after an interjection.
NAMES = (
    "I",
    "Mango",
    "Tess",
    "Gerald",
    "Priya",
    "Dayo",
    "Jonno",
    "Sam",
    "Robin",
    "Mr",
    "Agathe",
    "Wren",
    "Caius",
    "Dolly",
    "Ilse",
    "Oona",
    "Dorian",
    "Clemency",
    "T",
    "Hester",
    "Halvard",
    "Aldersea",
    "Crumb",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Thursday",
    "Canal",
)
_KEEP_CAPITAL = re.compile(rf"(?:{'|'.join(NAMES)})(?:'\w+)?")


class Scene:
    """One session being written: the random source, the date, the slots."""

    def __init__(
        self,
        rng: random.Random,
        start: datetime,
        special: bool = False,
        done: set[object] | None = None,
    ) -> None:
        self.rng = rng
        self.start = start
        self.today = start.date()
        self.special = special  # the session that carries the day's event, if it has one
        self.done = set() if done is None else done  # what should not happen twice
        self.together = TRIP <= self.today <= TRIP_END
        self.slots: dict[str, str] = {"emo": "✨"}
        self.first = False  # the thread being written opens the session

    # where we are in the story
    def days_to(self, day: date) -> int:
        return (day - self.today).days

    def between(self, first: date, last: date) -> bool:
        return first <= self.today <= last

    @property
    def weekend(self) -> bool:
        return self.today.weekday() >= 5

    @property
    def part(self) -> str:
        h = self.start.hour
        if h < 11:
            return "morning"
        if h < 17:
            return "day"
        if h < 21:
            return "evening"
        return "late"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def one(self, *options: object) -> object:
        return self.rng.choice(options)

    # the two voices
    def sam(self, *bubbles: object, emoji: float = 0.6, tags: bool = True) -> Turn:
        rng = self.rng
        out: list[str] = []
        for bubble in bubbles:
            for _ in range(RETRIES):  # a longer bubble is reworded, not sent twice
                text = self._sam_bubble(bubble, emoji, tags)
                if text is None or len(text) < 12 or ("said", text) not in self.done:
                    break
            if text is None:
                continue
            self.done.add(("said", text))
            if out and rng.random() < 0.2 and len(out[-1]) < 25 and not _has_emoji(out[-1]):
                out[-1] = f"{out[-1]} {text}"  # two thoughts, one bubble
            else:
                out.append(text)
        return Turn(SAM, [Item("text", t) for t in out])

    def _sam_bubble(self, spec: object, emoji: float, tags: bool) -> str | None:
        rng = self.rng
        text = pick(rng, spec)
        if text:
            text = self.fill(text).lower()
            text = _STRETCH.sub(self._stretch, text)
            if text[-1].isalpha() and rng.random() < 0.07:
                text += text[-1] * rng.randint(1, 3)
            words = set(text.split())
            statement = tags and len(words) >= 3 and "?" not in text
            statement = statement and not _QUESTION.match(text)
            if statement and not _has_emoji(text) and len(text) < 45:
                if rng.random() < 0.1:
                    tag = rng.choice(SAM_BEFORE)
                    if tag not in words:
                        text = f"{tag} {text}"
                if rng.random() < 0.14:
                    tag = rng.choice(SAM_AFTER)
                    if tag not in words:
                        text = f"{text} {tag}"
            if rng.random() < emoji and not _has_emoji(text):
                text = f"{text} {self._emoji()}"
            if rng.random() < 0.015 and len(text) < 25:
                text = text.upper()
            if "." in text.replace("...", ""):
                raise ValueError(f"Sam does not use full stops: {text!r}")
        return text

    def _stretch(self, m: re.Match[str]) -> str:
        word = m.group(1)
        if self.rng.random() > 0.2:
            return word
        return word + word[-1] * self.rng.randint(1, 4)

    def _emoji(self) -> str:
        rng = self.rng
        pool = self.slots["emo"] if rng.random() < 0.35 else None
        first = rng.choice(pool.split()) if pool else rng.choice(SAM_EMOJI)
        r = rng.random()
        if r < 0.55:
            return first
        if r < 0.8:
            return first * rng.randint(2, 4)
        return first + rng.choice(SAM_EMOJI)

    def robin(self, *sentences: object) -> Turn:
        for _ in range(RETRIES):  # nor is one of Robin's sentences
            text = self._robin_text(sentences)
            if ("said", text) not in self.done:
                break
        self.done.add(("said", text))
        return Turn(ROBIN, [Item("text", text)])

    def _robin_text(self, sentences: tuple[object, ...]) -> str:
        text = pick(self.rng, list(sentences))
        assert text
        text = self.fill(text)
        rng = self.rng
        first = text.split(" ", 1)[0]
        if rng.random() < 0.1 and "\n" not in text and first[-1] not in ",:;!.?":
            text = f"{rng.choice(INTERJECTIONS)} {lower_first(text)}"
        text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
        text = text[0].upper() + text[1:]
        if rng.random() < 0.12 and "\n" not in text and len(text) < 200:
            text = f"{text} {self.rng.choice(ASIDES)}"
        if self.rng.random() < 0.03 and "\n" not in text:
            text = f"{text} {self.rng.choice(ROBIN_EMOJI)}"
        return text

    def fill(self, text: str) -> str:
        for _ in range(3):  # slot values may hold slots
            if "{" not in text:
                break
            text = text.format_map(self.slots)
        return text

    def media(self, who: str, *kinds: str) -> Turn:
        return Turn(who, [Item("media", self.rng.choice(kinds))])


def lower_first(text: str) -> str:
    """Robin's sentence, to follow a lead-in: "Hello" -> "hello", but "I", "Mango" stay."""
    first = text.split(" ", 1)[0].rstrip(",;:.!?")
    return text if _KEEP_CAPITAL.fullmatch(first) else text[0].lower() + text[1:]


def _has_emoji(text: str) -> bool:
    return any(ord(c) >= 0x2600 for c in text)


# --------------------------------------------------------------------------------------
# Shared phrase tables.

SAM_ACK = (
    "ok",
    "okk",
    "ye",
    "yeah",
    "yep",
    "fair",
    "true",
    "makes sense",
    "ahh ok",
    "oh ok",
    "right",
    "ok cool",
    "noted",
    "valid",
    "mhm",
    "gotcha",
    "ok ok",
    "ah right",
    "sure",
    "fair enough",
    "ok noted",
    "yeah true",
    "oh right",
    "i see",
    "ya",
    "kk",
    "ok fair",
    "thats fair",
    "real",
    "ok ok ok",
    "understood",
    "yeah yeah",
    "righttt",
    "copy that",
    "idk tbh",
    "idk ok",
)
SAM_LAUGH = (
    "lol",
    "lmao",
    "haha",
    "hahaha",
    "lmaooo",
    "💀",
    "😭😭",
    "im crying",
    "stoppp",
    "dead",
    "lol what",
    "the way i laughed",
    "i cant",
    "LMAO",
    "ahahah",
    "pls",
    "this is sending me",
    "im wheezing",
    "crying rn",
    "no bc",
    "howww",
    "i just laughed out loud on the bus",
    "screaming",
    "hahahaha",
    "lolol",
    "i cant breathe",
    "iconic behaviour",
    "this is so funny",
    "noooo lol",
    "help",
    "why is that so funny",
    "deceased",
)
SAM_SYMPATHY = (
    "nooo",
    "oh no",
    "ugh",
    "thats so annoying",
    "noo thats rough",
    "oof",
    "sending strength",
    "pain",
    "ugh sorry",
    "thats grim",
    "nightmare",
    "the worst",
    "ugh why is it always u",
    "oh noo",
    "thats awful",
    "im so sorry",
    "poor u",
    "that sucks",
    "ugh the universe hates u",
    "big hug",
    "noooo why",
    "not again",
    "omg no",
    "so unfair",
    "rough day huh",
    "thats so stressful",
    "ugh hate that",
)
SAM_HYPE = (
    "omg",
    "yesss",
    "lets gooo",
    "love that",
    "amazing",
    "ur a legend",
    "iconic",
    "wait thats so good",
    "so happy for u",
    "finally",
    "king behaviour",
    "ok proud of u",
    "huge",
    "wooo",
    "omg yes",
    "ur amazing",
    "this is the best news",
    "slay",
    "get in",
    "we love to see it",
    "so good",
    "incredible",
    "ur winning",
    "goals",
    "omggg yes",
    "proud of u fr",
    "the best",
)

LEAD_GOOD = (
    "Oh, that's lovely.",
    "Ha, brilliant.",
    "Oh good!",
    "That's great news.",
    "Oh, how nice.",
    "Well, that's a relief.",
    "Oh, I'm so pleased.",
    "Excellent.",
    "That's wonderful.",
)
LEAD_BAD = (
    "Oh no.",
    "Oh dear.",
    "Ugh, that's rotten luck.",
    "Oh, that's annoying.",
    "Oh no, I'm sorry.",
    "That sounds miserable.",
    "Oh, how infuriating.",
    "Poor you.",
)
LEAD_FUN = (
    "Ha!",
    "That made me laugh out loud (on the bus, which was embarrassing).",
    "Honestly, I love that.",
    "Ha, of course.",
    "I'm laughing.",
    "Oh, that's wonderful.",
    "I'm sorry, but that's very funny.",
    "You've made my morning.",
    "Ha, classic.",
)
LEAD_PLAIN = (
    "Right.",
    "Fair enough.",
    "Hmm.",
    "Ah, I see.",
    "Okay, noted.",
    "Good question.",
    "I see.",
    "Understood.",
)
TAILS = (
    "Anyway, I hope your day is going better than mine.",
    "(Sorry, that was an essay; I do go on.)",
    "Let me know what you think.",
    "Anyway, enough about that.",
    "I'll stop there before this becomes a novel.",
    "(I realise that was a lot of words for a Tuesday; apologies.)",
    "Tell me something cheerful, please.",
    "How are things with you, anyway?",
    "(Mango would agree with me, I'm sure.)",
    "More on that later, I expect.",
)

# --------------------------------------------------------------------------------------
# Openers and closers.


ROBIN_SITUATION = {
    "morning": (
        "I'm on the {vehicle} and it's {crowd}.",
        "I've been up since {early} (not by choice; {noise}).",
        "I'm still on my first coffee, so please be gentle with me.",
        "It's {weather} here, which feels like a personal attack.",
        "I'm walking to work the long way round, because the sun is out.",
        "I'm waiting for the {vehicle}, which is, of course, late.",
    ),
    "day": (
        "I'm on my lunch break and entirely avoiding my inbox.",
        "I'm hiding from a spreadsheet, so this is a welcome distraction.",
        "I've escaped the office for a {lunch}.",
        "I've been in meetings since {early2} and I need to talk to a human being.",
        "It's {weather} outside and I'm stuck at my desk.",
        "I'm between meetings, but I have a few minutes.",
    ),
    "evening": (
        "I've just got in and I'm lying on the floor, which feels correct.",
        "I'm making {dinner} (well, supervising a pan).",
        "I'm on the sofa with {dinner}, which is the best thing that has happened today.",
        "I've just sat down for the first time since about {early2}.",
        "The {vehicle} home took forty minutes longer than it should have.",
        "It's {weather} and I've lit a candle to cheer myself up.",
    ),
    "late": (
        "I can't sleep, so I'm bothering you instead.",
        "I'm in bed, pretending I'm about to go to sleep.",
        "I've only just sat down after {latewhy}.",
        "My brain has decided it's time to review every embarrassing thing I've ever said.",
        "I'm reading in bed and losing the fight against my eyelids.",
    ),
}
ROBIN_WEEKEND = (
    "I'm still in my dressing gown, and I intend to stay in it.",
    "I've been to the market and bought far too many lemons again.",
    "I'm doing the crossword and failing at it.",
    "It's {weather} here, so I'm having a slow sort of day.",
    "I'm on my second pot of coffee and I've achieved nothing, gloriously.",
    "I've just got back from a walk along the canal.",
)


def situation(sc: Scene) -> tuple[str, ...]:
    if sc.weekend and sc.part in ("morning", "day"):
        return ROBIN_WEEKEND
    return ROBIN_SITUATION[sc.part]


ROBIN_LATE_REPLY = (
    "I'm in bed, pretending I'm about to go to sleep.",
    "I've only just sat down after {latewhy}.",
    "I'm reading in bed and losing the fight against my eyelids.",
    "I was just about to turn the light off.",
    "I'm watching something terrible about antiques.",
    "I'm lying here listening to the rain.",
)
ROBIN_HELLO = {
    "morning": ("Good morning!", "Morning!", "Good morning.", "Morning, you!"),
    "day": ("Hello!", "Hi!", "Hello, hello.", "Hi there!", "Afternoon!"),
    "evening": ("Hello!", "Evening!", "Hi!", "Good evening.", "Hello, you."),
    "late": ("Are you still up?", "Sorry for the late message.", "Hello, night owl.", "Hi."),
}
ROBIN_ASK = (
    "How are you?",
    "How's your day been?",
    "What are you up to?",
    "Have you got a minute?",
    "How's everything with you?",
    "How are things?",
    "Are you around?",
)


def _small_slots(sc: Scene) -> None:
    sc.slots.update(
        vehicle=sc.one("bus", "train", "tram"),
        crowd=sc.one(
            "mercifully quiet",
            "packed to the doors",
            "full of schoolchildren",
            "oddly cheerful",
            "smelling faintly of oranges",
            "silent as a library",
        ),
        early=sc.one("six", "half past five", "quarter to six", "five, somehow"),
        noise=sc.one(
            "the bin lorry had opinions",
            "the neighbours' dog had opinions",
            "my alarm went off an hour early for no reason",
            "a pigeon was tapping on the window",
            "the boiler started singing",
        ),
        weather=sc.one(
            "grey and drizzly",
            "bright but freezing",
            "blowing a gale",
            "suspiciously sunny",
            "foggy",
            "raining sideways",
            "warm, finally",
        ),
        lunch=sc.one(
            "sandwich",
            "bowl of soup",
            "slightly sad salad",
            "walk round the block",
            "very large pastry",
        ),
        early2=sc.one("nine", "half past eight", "ten", "eight"),
        dinner=sc.one(
            "soup",
            "pasta",
            "a baked potato",
            "leftover curry",
            "beans on toast",
            "an omelette",
            "a bowl of noodles",
        ),
        latewhy=sc.one(
            "a very long phone call with Tess",
            "ironing, of all things",
            "a chapter that refused to end",
            "a work email that should have taken ten minutes",
            "cleaning the kitchen",
        ),
    )


SAM_HELLO = {
    "morning": (
        "morning",
        "mornin",
        "gm",
        "morning ☀️",
        "up early for once",
        "morning x",
        "good morning",
        "mornin mornin",
        "morning sunshine",
        "ok im awake",
        "morning morning",
        "its so early",
        "why am i awake",
        "morning from the bus",
        "hi good morning",
        "morning robin",
        "gm gm",
        "rise and shine",
        "morninggg",
        "im up",
        "morning from bed",
    ),
    "day": (
        "hey",
        "yo",
        "heyy",
        "u about",
        "hiya",
        "u free for a sec",
        "hello",
        "oi",
        "hey hey",
        "u on lunch",
        "hi hi",
        "u there",
        "hey u",
        "hello hello",
        "afternoon",
        "robin",
        "ok hi",
        "hey quick one",
        "yoo",
        "hey robin",
        "u alive",
    ),
    "evening": (
        "hey",
        "evening",
        "u home?",
        "hiii",
        "heyyy",
        "u around",
        "yo",
        "hellooo",
        "u busy",
        "u home yet",
        "hey hey",
        "good evening",
        "ok im home",
        "finally home",
        "sup",
        "evening robin",
        "hi its me",
        "hey u free",
        "im back",
        "made it home",
        "hellooo robin",
    ),
    "late": (
        "u up",
        "still up?",
        "cant sleep",
        "hey sorry its late",
        "u awake",
        "r u asleep",
        "psst",
        "r u still up",
        "are u awake",
        "sorry late text",
        "quick late q",
        "ok so",
        "u sleeping",
        "its me again",
        "late night thoughts",
        "sorry i know its late",
    ),
}
SAM_HELLO_MORE = (
    "whats up",
    "hows ur day",
    "how r u",
    "u good",
    "quick q",
    "guess what",
    "i have news",
    "work ok?",
    "miss u",
    "hows it going",
    "whatcha doing",
    "wyd",
    "hows life",
    "need to tell u smth",
    "u ok",
    "random q",
    "whats new",
    "hows ur week",
    "hows the day going",
    "u surviving",
    "hows work",
    "i need to vent",
    "i have gossip",
    "u wont believe this",
    "bored",
    "talk to me",
)
SAM_HI_BACK = (
    "heyy",
    "hi",
    "yo",
    "hey",
    "hiii",
    "ye im here",
    "im around",
    "hello hello",
    "hey u",
    "heya",
    "hii",
    "ello",
    "hey hey",
    "im here",
    "hiya",
    "sup",
    "oh hi",
    "hey stranger",
    "hi robin",
    "hello u",
    "yo yo",
    "hihi",
    "ayy",
    "heyyy robin",
    "oh hey",
    "helloo",
    "hi hi hi",
    "ye hi",
)
SAM_HOW = (
    "whats up",
    "hows things",
    "good thx u?",
    "tired but ok",
    "wassup",
    "all good here",
    "just got home",
    "in bed lol",
    "at work ugh",
    "im ok",
    "surviving",
    "just woke up",
    "eating",
    "on the bus",
    "bored af",
    "doing nothing",
    "mango is on me so i cant move",
    "hiding from emails",
    "just finished work",
    "making food",
    "watching stuff",
    "lying down",
    "walking home",
    "in the bath lol",
    "at the shop",
    "cleaning (shock)",
    "on the sofa",
    "drinking tea like u",
    "waiting for jonno",
    "half asleep",
    "been better",
    "at work rn",
    "in bed rn",
    "eating rn lol",
    "idk just tired",
)


def opener(sc: Scene, who: str) -> list[Turn]:
    part = sc.part
    _small_slots(sc)
    if who == SAM:
        if sc.chance(0.45):
            first = sc.sam([SAM_HELLO[part], SAM_HELLO_MORE], tags=False)
        else:
            first = sc.sam(SAM_HELLO[part], Opt(0.45, SAM_HELLO_MORE), tags=False)
        reply = sc.robin(
            ROBIN_HELLO[part]
            if part != "late"
            else ("I'm awake.", "Still up, yes.", "Hello!", "I am, unfortunately."),
            situation(sc) if part != "late" else ROBIN_LATE_REPLY,
            Opt(
                0.5,
                (
                    "What's going on?",
                    "What's up?",
                    "How are you?",
                    "Go on, then.",
                    "What news?",
                    "What's happening with you?",
                    {
                        "morning": "How did you sleep?",
                        "day": "How's your day going?",
                    }.get(part, "How was your day?"),
                ),
            ),
        )
        return [first, reply]
    first = sc.robin(ROBIN_HELLO[part], situation(sc), Opt(0.6, ROBIN_ASK))
    if sc.chance(0.4):
        reply = sc.sam([SAM_HI_BACK, SAM_HOW], tags=False)
    else:
        reply = sc.sam(SAM_HI_BACK, Opt(0.5, SAM_HOW), tags=False)
    return [first, reply]


SAM_BYE = (
    (
        "ok gotta go",
        "brb food",
        "ok ttyl",
        "anyway i should do work",
        "gtg",
        "ok back to work",
        "gonna go shower",
        "talk later",
        "ok bye",
        "laters",
        "ok i have to go",
        "brb",
        "gotta run",
        "back to the grind",
        "ok speak later",
        "ok leaving now",
        "bye for now",
        "ok going",
        "ttyl",
        "right i have to go",
        "ok im off",
        "catch u later",
    ),
    (
        "night",
        "ok sleep time",
        "going to bed",
        "gonna pass out",
        "ok im done",
        "bedtime",
        "night night",
        "im going to sleep",
        "ok goodnight",
        "sleep time for real",
        "im off to bed",
        "im crashing",
        "ok bed",
        "going to try and sleep",
        "nighty night",
        "sleepy time",
        "ok its bedtime for real",
        "cant keep my eyes open",
        "im going to sleep now",
        "shower then bed",
        "bed is calling",
    ),
)
SAM_BYE_WHY = (
    (
        "client call",
        "mango is yelling",
        "jonno needs the laptop",
        "food is here",
        "meeting in 5",
        "bus is here",
        "my tea is ready",
        "boss is walking past",
        "my laptop is dying",
        "someone is at the door",
        "i have a call at 3",
        "i need to eat something",
        "emails r piling up",
    ),
    (
        "early start tmrw",
        "mango is already asleep",
        "so tired",
        "love u bye",
        "long day tmrw",
        "my eyes r closing",
        "i have to be up at 7",
        "this was nice",
        "ttyl",
        "talk tmrw",
        "my phone is on 2%",
        "cant keep my eyes open",
    ),
)
SAM_BYE_BACK = (
    (
        "ok ttyl",
        "laters",
        "good luck",
        "ok bye",
        "cya",
        "speak later",
        "byeee",
        "ok go go",
        "bye bye",
        "good luck w it",
        "dont work too hard",
        "ok text me after",
        "later",
        "u got this",
        "byee",
        "go go go",
    ),
    (
        "night",
        "night x",
        "sleep well",
        "nighty night",
        "gn",
        "ok night",
        "sleep tight",
        "night night",
        "sweet dreams",
        "goodnight",
        "sleep well x",
        "ok sleep",
        "night robin",
        "dream of chips",
        "rest up",
    ),
)


def closer(sc: Scene, who: str) -> list[Turn]:
    late = sc.part in ("evening", "late")
    if who == SAM:
        bye = sc.sam(SAM_BYE[late], Opt(0.5, SAM_BYE_WHY[late]), emoji=0.55, tags=False)
        reply = sc.robin(
            (
                (
                    "Speak later!",
                    "Talk soon.",
                    "Good luck with it all!",
                    "Bye for now!",
                    "Off you go; speak soon.",
                    "Go, go!",
                    "Later!",
                    "Go on, then.",
                    "Good luck; you'll be brilliant.",
                    "Catch you later.",
                ),
                (
                    "Sleep well!",
                    "Goodnight!",
                    "Night night; sleep well.",
                    "Sweet dreams.",
                    "Goodnight (and put your phone down this time).",
                    "Sleep tight.",
                    "Goodnight; sleep properly, please.",
                    "Night! Speak tomorrow.",
                ),
            )[late],
            Opt(
                0.6,
                (
                    "Thanks for cheering me up.",
                    "Give Mango a scratch from me.",
                    "I'll let you know how it goes.",
                    "Thanks for the chat.",
                    "This was a lovely distraction.",
                    "Don't forget to eat something.",
                    "Text me when you're home.",
                    "Tell Jonno I said hello.",
                    "I'll send you that link tomorrow.",
                    "Don't let the client win.",
                    "I'm going to finish my chapter.",
                    "Enjoy the rest of your evening.",
                    "Don't stay up watching videos.",
                    "Good luck with the emails.",
                    "I'll think about what you said.",
                    "Mind how you go.",
                ),
            ),
        )
    else:
        bye = sc.robin(
            (
                (
                    "I must get back to it.",
                    "My tea is going cold again.",
                    "I've just realised what time it is.",
                    "My stop is next, so I'd better go.",
                    "The washing machine has finished, so duty calls.",
                    "Tess has arrived, so I'd better go.",
                    "I'm going to go for a walk while it's dry.",
                )
                if sc.weekend
                else (
                    "I have to run to a meeting.",
                    "I must get back to it.",
                    "My tea is going cold again.",
                    "The spreadsheet is calling.",
                    "I've just realised what time it is.",
                    "My lunch break is over, sadly.",
                    "Someone is waving at me from across the office.",
                    "My stop is next, so I'd better go.",
                    "The archive closes in ten minutes.",
                    "I've got a call in five minutes.",
                    "I should actually do some work.",
                ),
                (
                    "I'm going to go to bed before I fall asleep on the sofa.",
                    "I should sleep (I say this every night and never do).",
                    "I'm going to read two pages of my book and pass out.",
                    "My eyes are closing of their own accord.",
                    "I have an early start tomorrow, so I'm off to bed.",
                    "I need to do the washing-up before bed, sadly.",
                    "I'm going to have a bath and then collapse.",
                    "It's far too late for me to be awake.",
                    "I've just yawned so widely that my jaw clicked, so that's my cue.",
                    "I promised myself an early night, and it's already not early.",
                    "The fox is on the wall, which means it's bedtime.",
                    "I need to iron a shirt for tomorrow, sadly, and then bed.",
                    "I'm going to make a cup of camomile tea and pretend it works.",
                    "My book is calling to me from the bedside table.",
                ),
            )[late],
            (
                (
                    "Speak later!",
                    "I'll message you later.",
                    "Talk soon.",
                    "Let me know how it goes.",
                    "Back later.",
                    "More soon.",
                    "Bye for now!",
                    "Speak this evening, maybe.",
                ),
                (
                    "Goodnight!",
                    "Sleep well!",
                    "Night night.",
                    "Speak tomorrow.",
                    "Goodnight, and don't stay up too late.",
                    "Sleep well when you get there.",
                    "Sweet dreams.",
                    "Goodnight, you.",
                ),
            )[late],
            Opt(
                0.45,
                (
                    "Thank you for listening to me moan.",
                    "This was lovely.",
                    "Give Mango my regards.",
                    "Good luck with everything tomorrow.",
                    "Thanks for making me laugh.",
                    "Let me know how the thing goes.",
                    "Don't forget to eat something green.",
                    "I'll report back on the fox.",
                    "Text me if anything exciting happens.",
                    "Enjoy your evening.",
                    "Tell Mango I said goodnight.",
                ),
            ),
        )
        if sc.chance(0.4):
            reply = sc.sam([SAM_BYE_BACK[late], SAM_BYE_BACK[late]], emoji=0.6, tags=False)
        else:
            reply = sc.sam(SAM_BYE_BACK[late], emoji=0.6, tags=False)
    return [bye] if sc.chance(0.3) else [bye, reply]


# --------------------------------------------------------------------------------------
# Topic threads. Each returns the turns of one thread; `lead` says who brings it up.


def t_weekend(sc: Scene, lead: str) -> list[Turn]:
    plan = sc.one(
        ("the flea market by the station", "the flea market", "apparently theres a camera guy"),
        ("brunch at crumb", "brunch at Crumb", "their pancakes r unreal"),
        ("the pub quiz at the anchor", "the quiz at the Anchor", "we came 3rd last time"),
        ("that film at the electra", "the film at the Electra", "the one w the lighthouse"),
        ("a walk up greyfield hill", "a walk up Greyfield Hill", "if it doesnt rain"),
        ("board games at mine", "board games at yours", "jonno got a new one"),
        ("the night market", "the night market", "dumplings 🥟"),
        ("bouldering", "bouldering", "i bought shoes so i have to go now"),
        ("the free museum thing", "the late opening at the museum", "theres a dj apparently"),
        ("a picnic in the park", "a picnic in Wren Park", "if the sun exists"),
        ("karaoke", "karaoke (heaven help us)", "jonnos birthday thing"),
        ("the car boot sale", "the car boot sale", "i need a lamp"),
        ("the comedy night at the anchor", "the comedy night", "its free before 8"),
        ("that new ramen place", "the new ramen place on Mill Street", "the queue is huge tho"),
        ("swimming at the lido", "the lido", "its heated now apparently"),
        ("the craft fair", "the craft fair at the church hall", "i need a present for my mum"),
    )
    sc.slots.update(
        plan_s=plan[0],
        plan_r=plan[1],
        plan_note=plan[2],
        emo="🎉 🙌 ✨",
        day=sc.one("saturday", "sunday", "sat", "sun"),
        **dict(
            zip(
                ("time_r", "time_s"),
                sc.one(
                    ("eleven", "11"),
                    ("noon", "12"),
                    ("two o'clock", "2"),
                    ("half past one", "half 1"),
                    ("seven", "7"),
                    ("eight", "8"),
                    ("ten", "10"),
                    ("three", "3"),
                    ("half past six", "half 6"),
                    ("four", "4"),
                ),
                strict=True,
            )
        ),
        busy=sc.one(
            "helping Tess move a wardrobe",
            "a dentist appointment (on a Saturday, which feels like a punishment)",
            "the farmers' market run",
            "book club prep",
            "finally doing my tax return",
            "a long run",
            "a video call with my parents",
            "repotting the fern",
            "a work thing I agreed to in a moment of weakness",
            "the launderette, because my machine has given up",
            "a haircut",
            "a volunteer shift at the library",
            "my cousin's christening",
        ),
        rweekend=sc.one(
            "I read on the sofa for most of Sunday and didn't feel guilty about it once",
            "I went to the market, bought far too many lemons and then made lemon curd "
            "until midnight",
            "Tess came over and we watched three films back to back",
            "I cleaned the oven, which tells you everything about my social life",
            "I walked along the canal to the lock and back, and saw a heron (very "
            "majestic; completely ignored me)",
            "I spent Saturday assembling a bookcase "
            "and Sunday recovering from assembling a bookcase",
            "I had lunch with my parents and my dad explained podcasts to me for an hour",
            "I finally sorted my sock drawer, which was oddly emotional",
            "I went to a talk about medieval bookbinding (it was better than it sounds)",
            "I slept for ten hours and then made pancakes for one, which felt decadent",
            "I helped Tess paint her bathroom a colour she now regrets",
        ),
        sweekend=sc.one(
            "did literally nothing",
            "went to dayos",
            "slept like 12 hrs",
            "went out sat and regretted it sun",
            "cleaned the flat finally",
            "watched all of saltmarsh bc jonno made me",
            "worked sadly",
            "went to that market thing",
            "went bouldering and now my arms dont work",
            "threw mango a birthday party (guest list: mango)",
            "saw my mum",
            "played games all sunday no regrets",
            "went to a house party and left at 11 like a grandma",
            "fixed my bike finally",
            "ate my body weight in dumplings",
            "did a big food shop and felt like an adult",
        ),
    )
    weekday = sc.today.weekday()
    if weekday == 0 or (weekday == 6 and sc.start.hour >= 17):  # how was it
        if lead == SAM:
            return [
                sc.sam(
                    (
                        "how was ur weekend",
                        "good weekend?",
                        "hows ur weekend been",
                        "did u have a nice weekend",
                        "weekend report pls",
                    )
                ),
                sc.robin(
                    Opt(
                        0.4,
                        (
                            "Lovely, thank you.",
                            "Quiet, in the best way.",
                            "Eventful!",
                            "Restful, mostly.",
                            "Oh, very pleasant.",
                        ),
                    ),
                    ("{rweekend}.", "Mostly restful: {rweekend}."),
                    (
                        "What about you?",
                        "How was yours?",
                        "Did you do anything fun?",
                        "And yours?",
                        "Tell me about yours.",
                    ),
                ),
                sc.sam(
                    ("{sweekend}", "i {sweekend}", "not much i {sweekend}"),
                    Opt(
                        0.5,
                        (
                            "it was nice tbh",
                            "10/10",
                            "no regrets",
                            "needed it",
                            "would recommend",
                            "mango approved",
                        ),
                    ),
                ),
                sc.robin(
                    (
                        "That sounds like exactly the right kind of weekend.",
                        "Honestly, that sounds better than most of my weekends.",
                        "Good; you needed a break after the week you had.",
                        "I'm very jealous, for the record.",
                        "That is a perfect weekend, I think.",
                        "I love that for you, as you would say.",
                    ),
                    Opt(0.4, TAILS),
                ),
            ]
        return [
            sc.robin(
                (
                    "How was your weekend?",
                    "Did you do anything nice at the weekend, or was it a sofa sort of weekend?",
                    "Tell me about your weekend; mine was very uneventful.",
                    "I want a full weekend report, please.",
                ),
                Opt(
                    0.4,
                    (
                        "I hope you rested.",
                        "I've been thinking about you and the {plan_r} idea.",
                        "Mine went far too quickly.",
                    ),
                ),
            ),
            sc.sam(
                ("{sweekend}", "i {sweekend}", "honestly i {sweekend}"),
                Opt(0.5, ("u?", "wbu", "hbu", "what did u do")),
            ),
            sc.robin(
                Opt(0.6, LEAD_GOOD + LEAD_FUN),
                (
                    "Mine was quieter: {rweekend}.",
                    "{rweekend}, so a success, I think.",
                    "As for me, {rweekend}.",
                ),
            ),
            sc.sam(
                (
                    "sounds nice",
                    "wholesome",
                    "thats so u",
                    "love that for u",
                    SAM_LAUGH,
                    "very robin of u",
                    "cute",
                    "u deserve it",
                )
            ),
        ]
    if lead == SAM:
        turns = [
            sc.sam(
                (
                    "what r u doing this weekend",
                    "u free {day}",
                    "any plans for the weekend",
                    "weekend plans??",
                    "r u around this weekend",
                    "r u busy {day}",
                    "do u wanna do smth this weekend",
                    "what r we doing {day}",
                ),
                Opt(
                    0.4,
                    (
                        "i need to leave the house",
                        "i have done nothing fun in weeks",
                        "mango is sick of me",
                        "i need a distraction",
                        "im so bored",
                        "i got paid so",
                    ),
                ),
            ),
            sc.robin(
                Opt(0.3, ("Good question.", "Let me check my (alarmingly full) calendar.", "Ooh.")),
                (
                    "I've got {busy} on Saturday morning, but I'm free after about two.",
                    "Saturday is mostly taken up with {busy}, sadly, but Sunday is wide open.",
                    "Nothing much, apart from {busy}.",
                    "Apart from {busy}, I'm entirely yours.",
                ),
                Opt(0.4, ("What were you thinking?", "Did you have something in mind?")),
            ),
            sc.sam(
                (
                    "wanna do {plan_s}",
                    "{plan_s}?",
                    "we could do {plan_s}",
                    "what abt {plan_s}",
                    "ok hear me out: {plan_s}",
                ),
                Opt(0.6, "{plan_note}"),
            ),
        ]
    else:
        turns = [
            sc.robin(
                (
                    "Are you free this weekend?",
                    "Do you have plans for the weekend?",
                    "I'm determined to do something this weekend that isn't laundry.",
                    "I need a plan for the weekend, or I'll spend it reorganising my spices.",
                ),
                (
                    "I was thinking we could do {plan_r}, if you fancy it.",
                    "Would you be up for {plan_r}?",
                    "Tess suggested {plan_r}, and I thought of you.",
                    "I keep walking past posters for {plan_r}, which feels like a sign.",
                ),
            ),
            sc.sam(
                (
                    "ye im in",
                    "omg yes",
                    "yesss",
                    "ok yes",
                    "sounds good",
                    "say less",
                    "100%",
                    "im so in",
                    "ok bet",
                    "idk ur call",
                ),
                Opt(0.5, "{plan_note}"),
                Opt(0.4, ("what time", "when", "which day")),
            ),
        ]
    turns += [
        sc.robin(
            Opt(0.5, ("Perfect.", "Lovely.", "Done.", "Oh, yes.", "Wonderful.", "Excellent.")),
            (
                "{plan_r} sounds ideal.",
                "I've been meaning to try {plan_r} for ages.",
                "I'm in, on the condition that we get coffee first.",
                "I'll happily do {plan_r}, as long as you don't make me sing (unless it's "
                "karaoke, in which case I'll be a good sport).",
            ),
            (
                "Shall we say {time_r}?",
                "Does {time_r} work?",
                "I could meet you there at {time_r}.",
                "How about {time_r}?",
            ),
        ),
        sc.sam(
            (
                "{time_s} works",
                "ye {time_s}",
                "perfect",
                "deal",
                "{time_s} is good",
                "{time_s} is perfect",
                "ok {time_s}",
            ),
            Opt(
                0.4,
                (
                    "see u there",
                    "cant wait",
                    "finally a plan",
                    "ill bring snacks",
                    "dont be late lol",
                    "its a date",
                ),
            ),
        ),
    ]
    if sc.chance(0.4):
        turns.append(
            sc.robin(
                (
                    "Lovely; I'll put it in the diary (by which I mean a sticky note on the "
                    "fridge).",
                    "Great. I'll message you on the day in case anything changes.",
                    "Wonderful; that gives me something to look forward to.",
                    "Excellent; I'll check the weather and worry about it all week.",
                ),
                Opt(0.3, TAILS),
            )
        )
    return turns


def t_flat(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(
        emo="🏠 📦 🔑",
        street=sc.one(
            "Fenwick Road",
            "Alder Street",
            "Marrow Lane",
            "Quarry Road",
            "Bellweather Street",
            "Tanner's Row",
            "Orchard Close",
            "Pike Street",
            "Coldharbour Lane",
            "the far end of Mill Street",
        ),
        good=sc.one(
            "lovely big windows",
            "a proper kitchen with actual counter space",
            "a tiny balcony",
            "original floorboards",
            "a bath (a luxury I had almost forgotten)",
            "a view of the canal",
            "a landlord who seemed like a human being",
            "a window seat, which nearly made me sign on the spot",
            "a little garden, shared with a very suspicious tortoise",
            "built-in bookshelves",
            "a washing machine that wasn't in the bathroom",
        ),
        bad=sc.one(
            "the bedroom was the size of a postage stamp",
            "the agent kept calling the damp 'character'",
            "the bathroom was somehow inside the kitchen",
            "it's above a takeaway that's open until four",
            "the landlord wants six months' rent up front",
            "the boiler made a noise like a dying goose",
            "there were nine other people viewing it at the same time",
            "the 'second bedroom' was a cupboard with ambitions",
            "the front door didn't lock unless you lifted it slightly",
            "the shower was a hose attached to the tap",
            "the agent arrived forty minutes late and didn't have the keys",
            "the stairs were so steep I'd need a rope to carry a sofa up",
        ),
        **dict(
            zip(
                ("srent", "rrent"),
                sc.one(
                    (
                        "was it at least cheap",
                        "It was not cheap; it was, in fact, the opposite of cheap.",
                    ),
                    ("how much", "Cheap-ish, which is the only reason I didn't walk straight out."),
                    (
                        "is it near me at least",
                        "It's two buses from you, which is one bus too many.",
                    ),
                    (
                        "what floor",
                        "Fourth floor, no lift; my future self with the shopping is "
                        "crying already.",
                    ),
                    (
                        "does it have a washing machine",
                        "It has one, but it's on the landing, shared with three strangers.",
                    ),
                    (
                        "can mango visit",
                        "Mango would be welcome, apparently, but I wouldn't be, "
                        "judging by the agent.",
                    ),
                ),
                strict=True,
            )
        ),
        settle=sc.one(
            "I've found the box with the kettle, so civilisation has been restored",
            "the radiator in the bedroom clanks like someone is trapped inside it",
            "the neighbour downstairs left a welcome card and a (slightly terrifying) cactus",
            "I've unpacked every box except the one marked 'miscellaneous', which I fear",
            "the light in the kitchen is perfect in the mornings; I keep standing in it",
            "there's a fox that sits on the wall outside at exactly eleven every night",
            "I still can't work out which switch turns on the hall light",
            "I've hung the big print at last (slightly crooked, but with love)",
            "I can hear the canal boats' engines in the morning, which I love",
            "the shower has two settings: arctic and volcanic",
            "I bought a rug, and the whole room suddenly looks like a grown-up lives there",
            "I've met the man upstairs; he plays the cello, beautifully, at seven in the morning",
            "my books are finally on shelves instead of in towers on the floor",
            "the oven runs hot, as I discovered via a very black loaf of bread",
        ),
    )
    if sc.today < FLAT_FOUND:
        if lead == ROBIN:
            asked = sc.chance(0.5)
            return [
                sc.robin(
                    (
                        "Flat hunting update:",
                        "Today's viewing report:",
                        "Another viewing:",
                        "The flat saga continues:",
                    ),
                    (
                        "the one on {street} had {good}, but {bad}.",
                        "I saw a flat on {street}; it had {good}, but {bad}.",
                    ),
                    Opt(
                        0.4,
                        (
                            "I'm beginning to think I'll live in my current place forever.",
                            "I'm trying to stay optimistic.",
                            "Onwards, I suppose.",
                        ),
                    ),
                ),
                sc.sam(
                    ("nooo", "oh no", "RUN", "omg", "bruh", "ugh", "nope", "yikes"),
                    (
                        "thats so grim",
                        "next",
                        "the housing market is a joke",
                        "u deserve better",
                        "landlords r a scam",
                    ),
                    "{srent}" if asked else None,
                ),
                sc.robin(
                    "{rrent}" if asked else None,
                    (
                        "I have two more viewings on Thursday, so I'm clinging to hope.",
                        "The agent has promised to 'keep me in mind', which I think means never.",
                        "I'm starting to understand why people live on boats.",
                    ),
                    Opt(0.3, TAILS),
                ),
            ]
        return [
            sc.sam(
                (
                    "hows the flat hunt",
                    "any luck w flats",
                    "find a flat yet",
                    "flat news?",
                    "did u see the flat",
                    "how was the viewing",
                )
            ),
            sc.robin(
                Opt(
                    0.4, ("Not yet.", "Slowly.", "Don't ask (but I'll tell you anyway).", "Badly.")
                ),
                (
                    "I saw one on {street} yesterday; it had {good}, but {bad}.",
                    "The latest one had {good}, but {bad}, so it's a no.",
                ),
                Opt(0.3, "{rrent}"),
            ),
            sc.sam(
                SAM_SYMPATHY,
                Opt(
                    0.5, ("ull find one", "the right one is out there", "manifesting a flat for u")
                ),
            ),
        ]
    if sc.today < PACKING:
        turns = [
            sc.robin(
                (
                    "Flat news: the application for the place on Canal Street went through!",
                    "The letting agent finally replied; I've got the flat by the canal.",
                    "More flat admin today: they wanted my last three payslips, a reference "
                    "from work and, I think, a small blood sample.",
                    "I've signed the tenancy agreement for the canal flat; it's real now.",
                    "The deposit has gone through, so the canal flat is officially mine (for "
                    "twelve months, at least).",
                ),
                (
                    "I move on the sixteenth of March, assuming nothing explodes.",
                    "Now I just have to find boxes, a van and the will to live.",
                    "I've read the tenancy agreement twice and I still don't understand "
                    "clause fourteen.",
                    "I keep looking at the photos of it on my phone, like a teenager.",
                    "I'm going to need so many boxes.",
                ),
            ),
            sc.sam(
                SAM_HYPE,
                (
                    "when do u move",
                    "the canal one??",
                    "omg pics",
                    "im so happy",
                    "housewarming when",
                    "can i pick the paint",
                ),
            ),
            sc.robin(
                (
                    "The sixteenth, a Saturday.",
                    "The middle of March, if it all goes well.",
                    "The sixteenth; I've already started hoarding boxes from the supermarket.",
                ),
                (
                    "I'll send pictures once I've stopped being superstitious about it.",
                    "I'm trying not to get my hopes up until I have the keys in my hand.",
                    "There will absolutely be a housewarming, with proper food.",
                ),
            ),
        ]
        if sc.chance(0.5):
            turns.append(
                sc.sam(
                    ("i can borrow jonnos van", "i can help carry stuff", "i can help move"),
                    Opt(
                        0.6,
                        ("im strong now", "for a price", "pizza payment", "i carry boxes for food"),
                    ),
                )
            )
            turns.append(
                sc.robin(
                    (
                        "You are an angel, and I will absolutely take you up on that.",
                        "Would you really? That would save me so much stress.",
                    ),
                    Opt(
                        0.5,
                        (
                            "Pizza is the very least I can do; there may also be cake.",
                            "I'll pay you in pizza and eternal gratitude.",
                        ),
                    ),
                )
            )
        return turns
    if sc.today < MOVE:
        return [
            sc.robin(
                (
                    "Packing is going terribly.",
                    "Packing update, since you asked (you didn't).",
                    "I've started packing and I've already made mistakes.",
                    "Packing report from the front line.",
                ),
                (
                    "I have twelve boxes of books and one box of everything else.",
                    "I packed the scissors inside a box that I then taped shut with the scissors.",
                    "I found four phone chargers, none of which fit my phone.",
                    "The kitchen is done, so I'm eating toast off a book.",
                    "I've labelled a box 'important', and I have no idea what's in it.",
                    "I found a birthday card from 2016 and read it and cried, so that's the "
                    "evening gone.",
                ),
            ),
            sc.sam(
                SAM_LAUGH,
                (
                    "why do u own so many books",
                    "iconic",
                    "classic robin",
                    "u need to get rid of stuff",
                    "marie kondo is crying",
                    "this is so u",
                ),
                emoji=0.6,
            ),
            sc.robin(
                (
                    "Get rid of books? I don't know what you mean.",
                    "I have given away "
                    "two bags of clothes, which I consider enormous personal growth.",
                    "I'll have you know I've been very ruthless (I threw away a single bookmark).",
                    "In my defence, half of them are library books I forgot to return.",
                ),
                Opt(
                    0.4,
                    (
                        "Is the van still all right for Saturday?",
                        "Are you still free on the sixteenth?",
                    ),
                ),
            ),
            sc.sam(
                ("ye van is fine", "van is sorted", "jonno says yes to the van", "yes obv", "ofc"),
                (
                    "be there at 9",
                    "ill bring snacks",
                    "dont pack the kettle",
                    "ill bring tape",
                    "wear old clothes",
                ),
            ),
        ]
    if sc.today == MOVE and sc.special:
        return [
            sc.sam(("omw", "outside", "where do i park this van", "im here")),
            sc.robin("I'm coming down now; mind the bins, the lorry hasn't been yet."),
            sc.sam(("ok", "ye"), ("ur stairs r a war crime", "how many boxes is this"), emoji=0.7),
            sc.robin(
                "Forty-one boxes, three plants and a lamp; thank you so much for doing this, truly."
            ),
        ]
    if sc.today < date(2024, 4, 25):
        if lead == SAM:
            return [
                sc.sam(
                    (
                        "hows the new place",
                        "hows the flat",
                        "new flat vibes?",
                        "how r u settling in",
                        "hows canal life",
                    )
                ),
                sc.robin(
                    ("It's lovely;", "It's getting there:", "Honestly, wonderful:", "Mostly good:"),
                    "{settle}.",
                    Opt(
                        0.4,
                        (
                            "You must come round once I've got chairs.",
                            "Come for dinner soon?",
                            "I still get lost in the hallway.",
                        ),
                    ),
                ),
                sc.sam(
                    (
                        "pics??",
                        "love that",
                        SAM_LAUGH,
                        "so happy for u",
                        "the fox tho",
                        "canal queen",
                        "ok im coming over",
                    ),
                    emoji=0.55,
                ),
            ]
        if "housewarming" not in sc.done and sc.today > MOVE + timedelta(days=10):
            sc.done.add("housewarming")
            return [
                sc.robin(
                    "Housewarming plan, so it's written down somewhere:\n- Saturday the "
                    "sixth, from seven\n- a huge pot of chilli (and a vegetarian one)\n- "
                    "bring a chair if you have a spare one (I'm not joking)\n- no presents, "
                    "please\n\nCan you come?"
                ),
                sc.sam(
                    ("yes obv", "im there", "ill bring a chair and jonno"),
                    Opt(0.6, ("can mango come", "chilli 🤤", "no presents is a lie")),
                ),
            ]
        turns = [
            sc.robin(
                (
                    "New flat update:",
                    "Flat report:",
                    "Small flat news:",
                    "Canal life, day whatever:",
                ),
                "{settle}.",
            ),
            sc.sam(
                ("love", SAM_LAUGH, "aww", "omg", "ok thats cute", "iconic", "wait what"),
                Opt(
                    0.5,
                    (
                        "send pics",
                        "pics or it didnt happen",
                        "housewarming when",
                        "can i visit",
                        "this is so u",
                    ),
                ),
            ),
        ]
        if sc.chance(0.5):
            turns.append(sc.media(ROBIN, "image omitted"))
            turns.append(
                sc.sam(
                    (
                        "its so nice",
                        "the plants 😍",
                        "obsessed",
                        "ok ur winning",
                        "the light!!",
                        "so cosy",
                        "im moving in",
                    ),
                    emoji=0.6,
                )
            )
        return turns
    return [
        sc.robin(
            (
                "I think I finally feel at home in the new flat;",
                "The new place is starting to feel like mine;",
                "I had a moment this morning when the flat felt like home;",
            ),
            (
                "I found the perfect spot for the reading chair, and the fox still visits.",
                "I hosted Tess for dinner last night and nothing caught fire.",
                "the neighbours wave now, which feels like being accepted into a village.",
            ),
        ),
        sc.sam(
            (
                "that makes me so happy",
                "we love growth",
                "proud of u",
                "yay",
                "canal queen",
                "its about time",
            ),
            emoji=0.6,
        ),
    ]


def t_cat(sc: Scene, lead: str) -> list[Turn]:
    mischief = sc.one(
        ("knocked my coffee off the desk", "the coffee incident"),
        ("ate half a hair tie again", "the hair tie business"),
        ("sat on my keyboard and sent a client jjjjjjjjjj", "the keyboard email"),
        ("got stuck behind the washing machine", "the washing machine rescue"),
        ("screamed at a pigeon for 40 mins", "the pigeon stand-off"),
        ("learned how to open the treat cupboard", "the cupboard heist"),
        ("slept in the laundry basket on the clean stuff", "the laundry basket"),
        ("brought a leaf in and acted like it was a mouse", "the leaf"),
        ("attacked jonnos shoelace for an hour", "the shoelace war"),
        ("fell off the windowsill and pretended it was on purpose", "the windowsill thing"),
        ("knocked a plant off the shelf at 3am", "the 3am plant"),
        ("stole a whole slice of toast", "the toast theft"),
        ("hid in the duvet cover for 20 mins", "the duvet game"),
        ("licked the butter", "the butter situation"),
        ("climbed into my suitcase", "the suitcase"),
        ("sat in the sink and refused to move", "the sink protest"),
        ("turned off my laptop w her paw mid call", "the call incident"),
        ("chased her own tail for like 10 mins", "the tail chase"),
        ("got into the bath while it was still wet", "the bath mistake"),
        ("growled at a cucumber", "the cucumber affair"),
    )
    sc.slots.update(
        mischief=mischief[0],
        ref=mischief[1],
        emo="🐱 🐈 😼 🙀",
        catmood=sc.one(
            "sulking",
            "unhinged",
            "v cuddly today",
            "plotting smth",
            "so loud",
            "asleep for 14 hrs straight",
            "in her box era",
            "feral",
            "clingy",
            "judging me",
            "very round",
            "zooming at 3am",
        ),
    )
    if sc.between(VET - timedelta(days=1), VET + timedelta(days=2)) and "vet" not in sc.done:
        if sc.today <= VET:
            return [
                sc.sam(
                    ("taking mango to the vet", "mango has a vet appt"),
                    "tmrw" if sc.today < VET else "this afternoon",
                    (
                        "shes been weird since the hair tie",
                        "shes not eating much",
                        "im lowkey worried",
                    ),
                ),
                sc.robin(
                    ("Oh, poor Mango (and poor you).", "Oh no; I hope she's all right."),
                    (
                        "Let me know what they say; I'm sure it's nothing serious, but it's "
                        "always awful waiting to find out.",
                        "Do you want me to come with you? I can move a meeting.",
                    ),
                ),
                sc.sam(("its ok", "thank u", "ty"), ("ill keep u posted", "ill text after")),
            ]
        sc.done.add("vet")
        return [
            sc.sam(
                ("vet update", "ok vet was fine"),
                ("she is FINE", "shes ok", "nothing stuck"),
                ("just dramatic", "cost me 80 quid to be told shes fat", "shes on a diet now 😭"),
            ),
            sc.robin(
                LEAD_GOOD,
                (
                    "I'm so relieved; give her a (diet-friendly) treat from me.",
                    "Eighty pounds for a diagnosis of 'dramatic' seems fair, to be honest.",
                ),
            ),
        ]
    if lead == SAM:
        turns = []
        if sc.chance(0.35):
            turns.append(sc.media(SAM, "image omitted", "image omitted", "video omitted"))
        turns += [
            sc.sam(
                (
                    "mango just",
                    "update on mango",
                    "ur not gonna believe what mango did",
                    "mango update",
                    "so mango",
                    "breaking news",
                    "mango news",
                    "today mango",
                    "guess who",
                    "this cat",
                    "ur cat",
                    "mango strikes again",
                    "ok so this cat",
                    "cat crimes update",
                    "mango has done it again",
                    "my cat is insane",
                    "report from the mango front",
                    "u will not believe this cat",
                ),
                "{mischief}",
                Opt(
                    0.6,
                    (
                        "shes not even sorry",
                        "no remorse",
                        "shes so smug abt it",
                        "i cant w her",
                        "she looked me in the eye while doing it",
                        "and then she just left",
                        "she is unwell",
                        "im raising a criminal",
                    ),
                ),
            ),
            sc.robin(
                Opt(0.6, LEAD_FUN),
                (
                    "I'm afraid I'm entirely on Mango's side here; {ref} sounds like a "
                    "perfectly reasonable protest.",
                    "Mango is an agent of chaos and I respect her enormously; {ref} is a "
                    "new personal best.",
                    "I need a full report on {ref}, with diagrams if possible.",
                    "To be fair to her, {ref} is the most interesting thing to happen in "
                    "your flat all week.",
                    "I'm adding {ref} to the list of Mango's crimes, which is now longer than "
                    "some novels I've read.",
                    "Honestly, {ref} is exactly the kind of thing I'd do if I were a cat.",
                ),
                Opt(
                    0.4,
                    (
                        "Is she all right?",
                        "Did anything survive?",
                        "How is she now?",
                        "Are you all right?",
                        "Please tell me you filmed it.",
                    ),
                ),
            ),
            sc.sam(
                (
                    "shes a menace",
                    "she thinks shes the main character",
                    "traitor",
                    "ur always on her side",
                    "shes fine obviously",
                    "shes asleep now like nothing happened",
                    "she would agree w u",
                    "i did film it",
                    "nothing survived",
                    "shes acting innocent now",
                    "ur encouraging her",
                )
            ),
        ]
        if sc.chance(0.3):
            turns.append(
                sc.robin(
                    (
                        "Give her a chin scratch from me.",
                        "Tell her I said hello.",
                        "Tell her Aunt Robin is proud of her.",
                    ),
                    Opt(0.5, ("(And maybe hide anything breakable.)", "(And buy more hair ties.)")),
                )
            )
        return turns
    turns = [
        sc.robin(
            (
                "How is Mango doing?",
                "How is Her Majesty Mango today?",
                "Is Mango still refusing the new food?",
                "How's the small tyrant?",
                "Any news from Mango?",
                "What has Mango destroyed this week?",
                "How is my favourite cat?",
            ),
            Opt(
                0.5,
                (
                    "I miss her, which is ridiculous, because she bit me last time.",
                    "I saw a ginger cat on the way home and it made me think of her.",
                    "I've been told I ask about Mango more than I ask about you.",
                    "I dreamt about her last night, oddly.",
                    "There's a cat on our street who looks exactly like her, but friendlier.",
                    "I bought her a toy mouse, which she will ignore.",
                ),
            ),
        ),
        sc.sam(
            (
                "shes good",
                "shes fine",
                "fat and happy",
                "shes ok",
                "thriving",
                "chaotic",
                "shes being weird",
                "she is perfect as always",
                "{catmood}",
                "shes {catmood}",
                "mango is {catmood}",
                "{catmood} as usual",
                "honestly {catmood}",
            ),
            Opt(
                0.7,
                (
                    "asleep on my jumper rn",
                    "ignoring me bc i was late w dinner",
                    "she {mischief} today",
                    "staring at the wall again",
                    "she has a new favourite box",
                    "sitting on my laptop charger",
                    "she learned to open doors",
                    "shes obsessed w the radiator",
                ),
            ),
        ),
    ]
    if sc.chance(0.45):
        turns.append(sc.media(SAM, "image omitted"))
        turns.append(
            sc.robin(
                ("Look at her!", "Oh, that face.", "Incredible.", "Oh, my heart."),
                (
                    "She knows exactly what she's doing.",
                    "I'm setting that as my phone background, I'm afraid.",
                    "That is the face of a cat with no regrets whatsoever.",
                    "She looks like a Renaissance portrait of a disappointed duchess.",
                    "I would die for her, and she would step over my body.",
                ),
            )
        )
    return turns


BOOKS = {
    1: ("Salt and the Sleeping Hill", "Oona Marchetti", "Agathe", "the lighthouse", "the letters"),
    2: (
        "Nine Rooms on Kestrel Lane",
        "Dorian Pask",
        "Mr Aubel",
        "the boarding house",
        "the locked ninth room",
    ),
    3: ("Weather for Beginners", "Clemency Aldous", "Wren", "the island", "the barometer"),
    4: (
        "The Glass Ferryman",
        "T. R. Wolstenholme",
        "Caius",
        "the river crossing",
        "the ferryman's ledger",
    ),
    5: (
        "An Inventory of Quiet Things",
        "Hester Vane",
        "Dolly",
        "the auction house",
        "the inventory",
    ),
    6: ("The Unfinished Orchard", "Halvard Brisk", "Ilse", "the orchard", "the grafting"),
}


def book_club_day(day: date) -> date:
    """The last Thursday of the month."""
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 3) % 7)


def t_books(sc: Scene, lead: str) -> list[Turn]:
    meeting = book_club_day(sc.today)
    month = sc.today.month if sc.today <= meeting else sc.today.month % 12 + 1
    title, author, hero, place, motif = BOOKS[min(month, 6)]
    past = BOOKS[max(sc.today.month - (sc.today <= meeting), 1)]
    sc.slots.update(
        book=title,
        author=author,
        hero=hero,
        place=place,
        motif=motif,
        last=past[0],
        lasthero=past[2],
        lastmotif=past[4],
        emo="📚 📖 🤓",
        when=sc.one(
            "next Thursday",
            "on Thursday",
            "at the end of the month",
            "on the last Thursday, as ever",
        ),
        where=sc.one(
            "at mine",
            "at the Anchor",
            "in the back room at Crumb",
            "at Priya's",
            "at the library café",
        ),
    )
    if 0 <= sc.days_to(meeting) <= 6:
        turns = [
            sc.robin(
                (
                    "A gentle reminder that book club is {when}, {where};",
                    "Book club reminder: {when}, {where};",
                    "Don't forget book club, {when}, {where};",
                ),
                (
                    "we're discussing {book} by {author}.",
                    "it's {book}, in case you'd blocked it out.",
                    "the book is {book} (the one with {place}).",
                ),
                Opt(
                    0.6,
                    (
                        "How far have you got?",
                        "Have you started it?",
                        "No pressure (some pressure).",
                        "Be honest: have you opened it?",
                    ),
                ),
            ),
            sc.sam(
                (
                    "page 40 lol",
                    "i watched a summary on youtube does that count",
                    "ok i actually finished it",
                    "i started it on the bus and fell asleep",
                    "halfway",
                    "define started",
                    "im on chapter 3 dont judge me",
                    "i read the first and last page",
                    "its on my nightstand looking at me",
                    "like 60%",
                    "i listened to half the audiobook",
                ),
                Opt(
                    0.5,
                    (
                        "is {hero} gonna be ok",
                        "no spoilers",
                        "the vibes r strong tho",
                        "the first bit is so slow",
                        "{place} is creepy",
                        "whats the deal w {motif}",
                    ),
                ),
                emoji=0.55,
            ),
            sc.robin(
                (
                    "That's more than Priya, who has 'lost' her copy for the third month running.",
                    "I'll take it; honestly, come anyway, even if you've only read the blurb.",
                    "No spoilers, I promise, but the last fifty pages are worth the effort.",
                    "You have five days; I believe in you (mostly).",
                    "That's genuinely more than I expected, so well done.",
                    "Audiobooks absolutely count; I'm not a monster.",
                ),
                Opt(
                    0.4,
                    (
                        "I'm making the lemon cake, if that helps.",
                        "There will be snacks, as a reward for effort.",
                        "Priya is bringing her famous dip.",
                    ),
                ),
            ),
        ]
        if ("questions", meeting) not in sc.done and sc.chance(0.6):
            sc.done.add(("questions", meeting))
            turns.append(
                sc.robin(
                    "Some questions for Thursday, in case we run out of things to say (we "
                    "won't):\n1. Did you trust {hero} by the end?\n2. What did {motif} mean "
                    "to you?\n3. Would you want to live in {place}?\n\nAnswers in person, "
                    "please, not by text."
                )
            )
            turns.append(
                sc.sam(
                    ("homework??", "ok teacher", "3 is no", "i have answers", "wow a syllabus"),
                    emoji=0.6,
                )
            )
        if sc.chance(0.4):
            turns.append(
                sc.sam(
                    (
                        "ok ill finish it",
                        "the cake helps",
                        "fine i will read",
                        "bribery works on me tbh",
                        "ok reading tonight",
                        "dip is a strong argument",
                    )
                )
            )
        return turns
    if -4 <= sc.days_to(meeting) < 0:
        if lead == ROBIN:
            return [
                sc.robin(
                    (
                        "Thank you for coming to book club last night;",
                        "I'm still thinking about book club;",
                        "Book club was such fun;",
                    ),
                    (
                        "your theory about {lasthero} was the best thing anyone said all "
                        "evening (and you hadn't even finished it).",
                        "I didn't expect an hour-long argument about {lastmotif}, but here we are.",
                        "Priya has texted me three times about {lastmotif} since.",
                    ),
                ),
                sc.sam(
                    (
                        "lol i was right tho",
                        "it was fun",
                        "i had 2 slices of cake",
                        "priya was so mad",
                        "{lastmotif} discourse",
                        "i stand by my theory",
                        "that was the most fun ive had all week",
                    ),
                    emoji=0.55,
                ),
            ]
        return [
            sc.sam(
                (
                    "book club was fun",
                    "ngl book club was good",
                    "that argument tho",
                    "still thinking abt {lasthero}",
                ),
                Opt(
                    0.5,
                    ("i might actually read the next one", "priya is scary", "the cake was elite"),
                ),
            ),
            sc.robin(
                Opt(0.5, LEAD_GOOD),
                (
                    "I'm holding you to that; next month is {book}, and it's short.",
                    "I noted the 'might', but I'm choosing optimism.",
                    "I'm so glad you came; it's much more fun with you there.",
                    "Next month is {book}; I think you'll actually like it.",
                ),
            ),
        ]
    if lead == SAM:
        return [
            sc.sam(
                (
                    "ok im reading {book}",
                    "started the book club book",
                    "{book} update",
                    "im actually reading the book",
                    "reading {book} on the bus",
                ),
                (
                    "{hero} is so annoying",
                    "why is {place} so creepy",
                    "what is the deal w {motif}",
                    "i kinda love it",
                    "i dont get it yet",
                    "is it supposed to be this sad",
                    "{hero} needs therapy",
                ),
            ),
            sc.robin(
                Opt(0.4, ("Oh, I'm so pleased you started it.", "Ha, yes.", "Oh, good!")),
                (
                    "{hero} is meant to be annoying, I think; wait until the middle section.",
                    "Keep going; {motif} becomes the whole point of it, I promise.",
                    "I thought the middle dragged (the letters go on about forty pages too "
                    "long), but the ending made up for it.",
                    "{author} does that on purpose; it all pays off in the last part.",
                    "It gets sadder, I'm afraid, but in a way that feels earned.",
                ),
                Opt(
                    0.3,
                    (
                        "I'd love to hear what you make of the ending.",
                        "Tell me when you've finished; I have theories.",
                    ),
                ),
            ),
            sc.sam(
                (
                    "ok ok ill keep going",
                    "trusting u",
                    "fine",
                    "if its bad im blaming u",
                    "ur theories scare me",
                    "ok reading more tonight",
                )
            ),
        ]
    return [
        sc.robin(
            (
                "Have you started {book} yet?",
                "How are you getting on with {book}?",
                "Did you manage to get a copy of {book}?",
            ),
            Opt(
                0.5,
                (
                    "I finished it on Sunday and I have so many feelings about {motif}.",
                    "I'm halfway through and I can't decide whether I like {hero}.",
                    "The library had a waiting list, so I caved and bought it.",
                ),
            ),
        ),
        sc.sam(
            (
                "not yet lol",
                "a little",
                "its on my bedside table",
                "i read 10 pages",
                "i bought it does that count",
                "started it last night",
                "not even a bit",
            ),
            Opt(0.4, ("whats it even about", "is it long", "is it sad", "is it scary")),
        ),
        sc.robin(
            (
                "It's about {hero}, {place} and a great deal of weather;",
                "It's quite short, and the first chapter is the slowest;",
                "It's a slow start, but it's very beautiful;",
            ),
            (
                "I think you'd like it more than the last one.",
                "you'll be fine if you read a chapter a night.",
                "bring it on the bus and you'll finish it in a week.",
            ),
        ),
    ]


RECIPES = (
    "Right, for two people:\n- 1 onion, finely chopped\n- 2 cloves of garlic\n- a tin of "
    "chopped tomatoes\n- a tin of chickpeas (drained)\n- a big handful of spinach\n\n"
    "Soften the onion for ten minutes, add the garlic, then everything but the spinach; "
    "simmer for twenty minutes and stir the spinach in at the end. Season it more than "
    "you think you should.",
    "Okay, my lazy dal:\n- 200g red lentils, rinsed\n- 1 onion\n- garlic, ginger, a "
    "teaspoon of cumin and one of turmeric\n- a tin of coconut milk\n\nFry the onion and "
    "spices, add the lentils, the coconut milk and a tin of water, and simmer for about "
    "twenty-five minutes. Lemon juice at the end; don't skip it.",
    "Here's the traybake I do every week:\n- sausages (or halloumi)\n- a red onion, in "
    "wedges\n- two peppers\n- new potatoes, halved\n\nEverything in one tin with oil, "
    "salt and a lot of paprika; forty minutes at 200 degrees, turning it once. There is "
    "no way to get this wrong (please don't take that as a challenge).",
    "For the pasta:\n- 1 lemon (zest and juice)\n- butter\n- parmesan, lots\n- black "
    "pepper\n\nCook the pasta, keep a mug of the water, then toss everything together "
    "off the heat with splashes of water until it goes glossy. Ten minutes, start to "
    "finish.",
    "My emergency fried rice:\n- yesterday's rice (it must be cold)\n- two eggs\n- frozen "
    "peas\n- spring onions\n- soy sauce and a little sesame oil\n\nGet the pan very hot, "
    "scramble the eggs first, then the rice, then everything else. Five minutes, and "
    "it's better than a takeaway (almost).",
    "Soup, for when you're sad:\n- 2 leeks\n- 3 potatoes\n- a stock cube\n- a splash of "
    "cream, if you have it\n\nSoften the leeks in butter, add the potatoes and stock, "
    "simmer until soft and blend it. Eat it on the sofa under a blanket; that part is "
    "essential.",
)


def t_cooking(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(
        emo="🍝 🤤 🔥 🍳 🥘",
        sdish=sc.one(
            "pasta",
            "a stir fry",
            "my mums pepper soup",
            "fajitas",
            "curry",
            "pancakes",
            "a risotto",
            "dumplings",
            "shakshuka",
            "mac and cheese",
            "banana bread",
            "a lasagne",
            "noodles from scratch",
            "jollof for 1",
        ),
        sfail=sc.one(
            "burnt the rice again",
            "set off the smoke alarm",
            "forgot the salt",
            "used sugar instead of salt",
            "made enough for 9 people",
            "dropped the whole thing on the floor",
            "forgot it was in the oven",
            "added way too much chilli",
            "broke the blender",
        ),
        sq=sc.one(
            "how long do u cook rice for",
            "what do i make w chickpeas",
            "i need a dinner idea that isnt toast",
            "what do i do w a whole cabbage",
            "how do u make eggs not rubbery",
            "is it bad if the chicken is pink",
            "whats a good thing to cook for 6 ppl",
            "can u freeze cooked rice",
            "what goes w halloumi",
            "how do i make soup",
        ),
        rdish=sc.one(
            "a sourdough loaf (finally, one that rose)",
            "a lemon drizzle cake",
            "a huge pot of minestrone",
            "focaccia with far too much rosemary",
            "my grandmother's apple cake",
            "a pie with an actual lattice on top",
            "a very ambitious lasagne",
            "a risotto, which I stirred for forty minutes like a Victorian servant",
            "scones, which came out like geological specimens",
        ),
        rnote=sc.one(
            "it was edible, which is all I ask",
            "I'm unreasonably proud of it",
            "the kitchen looks like a crime scene",
            "I ate three slices standing up",
            "Tess said it was 'fine', which from her is a rave review",
            "I'm going to be eating it until Thursday",
            "the smoke alarm had opinions, but it was delicious",
        ),
    )
    if lead == SAM:
        turns = [
            sc.sam(
                (
                    "ok cooking question",
                    "help",
                    "food q",
                    "chef robin i need u",
                    "kitchen emergency",
                    "ok so dinner",
                ),
                ("{sq}", "i made {sdish}", "i tried to make {sdish} and i {sfail}"),
                Opt(
                    0.5,
                    (
                        "pls",
                        "asking for me",
                        "im starving",
                        "be honest",
                        "its bad",
                        "urgent",
                        "dont laugh",
                    ),
                ),
            ),
        ]
        if sc.chance(0.12):
            turns.append(sc.robin(RECIPES))
            turns.append(
                sc.sam(
                    (
                        "omg ty",
                        "saving this",
                        "ur a chef",
                        "ok making this",
                        "this is so detailed lol",
                        "screenshotted",
                        "ok i have none of this",
                        "adding to my notes",
                    ),
                    emoji=0.6,
                )
            )
            return turns
        turns += [
            sc.robin(
                Opt(0.5, LEAD_FUN + LEAD_PLAIN),
                (
                    "For rice, it's about twelve minutes with the lid on, then five minutes "
                    "resting off the heat; the resting is the part everyone skips.",
                    "The secret is to put the timer on before you start doing anything else "
                    "(I say this as someone who has also set off the smoke alarm).",
                    "Chickpeas, a tin of tomatoes, some spinach and whatever spices you have "
                    "left; it will be better than you expect.",
                    "Honestly, it sounds delicious; I'm very impressed.",
                    "Salt fixes most things, and the rest can be fixed with cheese.",
                    "Low heat and patience, which I know are not your favourite things.",
                    "If in doubt, put an egg on it; that's my whole philosophy.",
                    "Please do not eat pink chicken; I'm begging you.",
                ),
                Opt(
                    0.3,
                    (
                        "Send me a picture of the result, for science.",
                        "Report back, please.",
                        "I believe in you.",
                    ),
                ),
            ),
            sc.sam(
                (
                    "ok trying that",
                    "noted",
                    "the resting part ok",
                    "cheese noted",
                    "ok it worked",
                    "ur so wise",
                    "egg on it got it",
                    "patience is hard",
                    "ok no pink chicken",
                    "im trying",
                )
            ),
        ]
        if sc.chance(0.3):
            turns.append(sc.media(SAM, "image omitted"))
            turns.append(
                sc.robin(
                    (
                        "That looks genuinely excellent.",
                        "Look at that; a triumph.",
                        "I would eat that; I am, in fact, jealous.",
                        "Oh, that's beautiful.",
                    ),
                    Opt(0.5, ("You're a natural.", "Save me some.", "Who needs a takeaway?")),
                )
            )
        return turns
    turns = [
        sc.robin(
            (
                "Last night I made {rdish};",
                "I attempted {rdish} at the weekend;",
                "I've just made {rdish};",
            ),
            "{rnote}.",
            Opt(
                0.4,
                (
                    "I'll bring you a slice if there's any left.",
                    "I'll save you some, if you're nice to me.",
                ),
            ),
        ),
        sc.sam(
            (
                "omg",
                "wait pics",
                "save me some",
                "ur so good at that",
                "im jealous",
                "want",
                "bring it over",
            ),
            Opt(
                0.4,
                ("i had toast", "i had cereal for dinner", "i had crisps", "im eating noodles rn"),
            ),
        ),
    ]
    if sc.chance(0.35):
        turns.append(sc.media(ROBIN, "image omitted"))
        turns.append(
            sc.sam(
                ("STOP", "thats beautiful", "ok chef", "i want it", "bake off who", "gorgeous"),
                emoji=0.7,
            )
        )
    return turns


def t_work(sc: Scene, lead: str) -> list[Turn]:
    if sc.today <= BREWERY_DUE:
        client, rdue = "the brewery", BREWERY_DUE
    elif sc.today <= BAKERY_DUE:
        client, rdue = "the bakery", BAKERY_DUE
    else:
        client, rdue = "the yoga studio", date(2024, 6, 21)
    robin_job = "the grant report" if sc.today <= GRANT_DUE else "the exhibition catalogue"
    sc.slots.update(
        client=client,
        robjob=robin_job,
        emo="😩 💻 😤 🫠",
        due=f"{(rdue - sc.today).days} days",
        ask=sc.one(
            "the logo bigger",
            "it to 'pop more'",
            "three new versions by monday",
            "the blue but less blue",
            "to go back to the first version",
            "it in comic sans as a joke but also not a joke",
            "a 'vibe' change",
            "the font to feel more friendly",
            "everything by tomorrow",
            "a whole new colour palette",
        ),
        swoe=sc.one(
            "this client is killing me",
            "{client} want {ask}",
            "work is so bad today",
            "deadline in {due}",
            "{client} emailed again",
            "i hate rebrands",
            "i have 40 emails",
            "my laptop crashed and i lost an hour of work",
            "{client} moved the deadline forward",
            "invoice still not paid",
        ),
        swoe2=sc.one(
            "they changed the brief again",
            "i have 3 calls today",
            "my eyes hurt",
            "i havent eaten",
            "the file wont export",
            "they hated the font",
            "they want it yesterday",
            "my inbox is on fire",
        ),
        rwoe=sc.one(
            "I've been staring at the same spreadsheet since nine",
            "my manager has discovered a new template and wants everything redone in it",
            "the printer has eaten three drafts and a good part of my soul",
            "I spent the morning in a meeting about the meeting we're having on Friday",
            "someone replied-all to the whole department with a picture of their lunch",
            "the archive's heating has failed, so I'm typing in fingerless gloves",
            "a donor wants to visit the archive tomorrow and nothing is labelled",
            "the database went down for three hours and we all just stared at each other",
            "I found a box of uncatalogued letters, which is exciting and also a lot of work",
        ),
    )
    if lead == SAM:
        turns = [
            sc.sam(
                ("{swoe}", "ugh work", "work rant incoming", "send help"),
                (
                    "{swoe2}",
                    Opt(
                        0.6,
                        (
                            "i want to scream",
                            "im so tired",
                            "send help",
                            "im gonna move to the sea",
                            "why did i go freelance",
                            "i need a new career",
                            "crying in the club (my desk)",
                        ),
                    ),
                ),
            ),
            sc.robin(
                Opt(0.6, LEAD_BAD),
                (
                    "Clients who want things to 'pop' should have to define 'pop' in writing "
                    "first.",
                    "You're good at this, and they know it; that's why they keep asking for more.",
                    "Do you want to talk it through, or do you just want "
                    "me to agree that they're being unreasonable? (They are.)",
                    "Can you push back on the timeline, or is it too late for that?",
                    "Take ten minutes away from the screen; it'll still be awful when you get "
                    "back, but you'll be calmer.",
                    "I'd send them a very polite email with a very firm date in it.",
                    "Remember that you've survived every deadline "
                    "so far, including the one with the printer fire.",
                    "I'm sorry; {client} "
                    "sound exhausting, and you sound like you need a proper lunch.",
                    "Write down the three things that actually have to happen today and "
                    "ignore the rest; it's the only thing that works for me.",
                    "Have you told them what it'll cost to change it all again? That usually "
                    "focuses minds.",
                ),
                Opt(
                    0.4,
                    (
                        "You'll get there.",
                        "I'm on your side, for what it's worth.",
                        "Do you want me to ring you at six to make you stop?",
                        "I'm sending you strength (and a biscuit, telepathically).",
                    ),
                ),
            ),
            sc.sam(
                (
                    "just agree w me",
                    "too late",
                    "ur right tho",
                    "ty",
                    "ok im venting sry",
                    "ok deep breaths",
                    "polite but firm ok",
                    "ur so calm how",
                    "ok 3 things",
                    "the printer fire lol",
                    "lunch is a good idea",
                    "pls ring me at 6",
                    "i will send the scary email",
                    "telepathic biscuit received",
                ),
                Opt(
                    0.5,
                    (
                        "ill send it tmrw",
                        "almost done",
                        "its fine its fine",
                        "one more hour",
                        "ok back to it",
                        "wish me luck",
                        "nearly there",
                        "ok focus mode",
                    ),
                ),
            ),
        ]
        if sc.days_to(rdue) in (-1, 0):
            turns.append(sc.sam(("SENT IT", "it is done", "they approved it"), emoji=0.9))
            turns.append(sc.robin(LEAD_GOOD, "You should do absolutely nothing this evening."))
        return turns
    turns = [
        sc.robin(
            ("Work update:", "A dispatch from the archive:", "Today at work:"),
            (
                "{rwoe}.",
                "{rwoe}, and {robjob} is due in a week.",
                "{rwoe}; meanwhile {robjob} sits there, unwritten.",
            ),
            Opt(
                0.4,
                (
                    "I have written, generously, a title.",
                    "I'm going to need a very large cup of tea.",
                ),
            ),
        ),
        sc.sam(
            SAM_SYMPATHY,
            Opt(
                0.6,
                (
                    "thats so grim",
                    "u need a raise",
                    "quit",
                    "run away w me",
                    "u got this tho",
                    "fight them",
                    "thats actually insane",
                ),
            ),
        ),
    ]
    if sc.chance(0.4):
        turns.append(
            sc.robin(
                (
                    "I'll survive; I always do.",
                    "Thank you; that helps.",
                    "It's fine; it's all fine.",
                ),
                (
                    "Tea first, then the rest of the page.",
                    "Only four more sections to go.",
                    "I'll treat myself to a pastry if I finish by five.",
                ),
            )
        )
    if sc.today == GRANT_DUE and sc.special:
        turns.append(sc.robin("It's submitted! I'm going to lie down for a week."))
        turns.append(sc.sam(SAM_HYPE, emoji=0.9))
    return turns


def t_trip(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(emo="🌊 🚂 🏖️ 🐚", town="Aldersea")
    if sc.today < date(2024, 4, 15):
        if lead == ROBIN:
            return [
                sc.robin(
                    (
                        "Have you had a chance to look at the cottages I sent?",
                        "Trip planning:",
                        "I've been looking at places in {town} again;",
                        "A {town} update:",
                    ),
                    (
                        "there's one with a wood burner and a view of the harbour; it's a "
                        "bit more than we said, but split two ways it's manageable.",
                        "the one near the harbour has a bath, which is all I require.",
                        "I think the weekend of the seventeenth of May works for both of us.",
                        "there's a little place above a bookshop, which is obviously my dream.",
                    ),
                ),
                sc.sam(
                    (
                        "book it",
                        "omg the wood burner",
                        "how much per night",
                        "wait is there wifi",
                        "17th works",
                        "yes yes yes",
                        "the bookshop one",
                        "i trust u pick one",
                    ),
                    Opt(
                        0.4,
                        ("i need this trip", "cant wait", "im so ready", "jonno can feed mango"),
                    ),
                ),
                sc.robin(
                    (
                        "Excellent; I'll book it tonight and send you the details.",
                        "Lovely; I'll message the owner this evening.",
                    ),
                    Opt(
                        0.4,
                        (
                            "(I'm already planning the chip shops.)",
                            "(I've also found a very promising bakery.)",
                        ),
                    ),
                ),
            ]
        return [
            sc.sam(
                ("did u book the cottage", "trip update?", "hows trip planning", "{town} update?"),
                Opt(
                    0.5,
                    ("i looked at trains", "i told jonno to feed mango", "i bought a bucket hat"),
                ),
            ),
            sc.robin(
                (
                    "Booked!",
                    "Nearly; I'm waiting to hear back about the dates.",
                    "All sorted, I think.",
                ),
                (
                    "Friday the seventeenth to Monday the twentieth, with a view of the "
                    "harbour (if you lean out of the bathroom window).",
                    "The owner replied in capital letters, which I've decided is enthusiasm.",
                    "It's two minutes from the beach and three from a chip "
                    "shop, which felt like the right priorities.",
                ),
            ),
            sc.sam(SAM_HYPE, Opt(0.5, ("so excited", "best news", "bucket hat time")), emoji=0.6),
        ]
    if "itinerary" not in sc.done and sc.today >= date(2024, 5, 1) and lead == ROBIN:
        sc.done.add("itinerary")
        return [
            sc.robin(
                "Here's what I've got for {town} so far:\nFriday: the 8:12 train, chips on "
                "arrival\nSaturday: the cliff walk (eight miles; I'm sorry)\nSunday: "
                "bakery, beach, nap\nMonday: home, sadly\n\nDoes that sound all right?"
            ),
            sc.sam(
                ("perfect", "the nap is my favourite part", "8 miles tho", "love it"),
                Opt(0.6, ("can we add more chips", "ok planner", "im so excited")),
                emoji=0.6,
            ),
        ]
    if sc.today < TRIP - timedelta(days=3) or (sc.today < TRIP and "packing list" in sc.done):
        if lead == SAM:
            return [
                sc.sam(
                    (
                        "what time is the train",
                        "do i need a coat",
                        "what do i pack",
                        "is there a beach or like a beach beach",
                        "how long is the train",
                        "can we get fish and chips every day",
                    )
                ),
                sc.robin(
                    (
                        "The 8:12 from Central; I know, I'm sorry.",
                        "Bring a coat; it's the coast in May, which means all four seasons "
                        "before lunch.",
                        "It's a pebble beach, so bring shoes you don't love.",
                        "Layers, something waterproof, and your good walking shoes (not the "
                        "white trainers).",
                        "About three hours, with a change at Pellham.",
                        "Fish and chips every day is the plan, yes; I've checked with my heart.",
                    ),
                    Opt(
                        0.3,
                        (
                            "I'll send a list nearer the time.",
                            "I'm so excited, I keep checking the forecast.",
                        ),
                    ),
                ),
                sc.sam(
                    (
                        "8am is a crime",
                        "ok coat",
                        "noted",
                        "the white ones r my good ones",
                        "fine",
                        "ok perfect",
                        "love the plan",
                    ),
                    emoji=0.6,
                ),
            ]
        return [
            sc.robin(
                ("Trip logistics:", "One more {town} thing:", "Trip news:"),
                (
                    "I've bought the train tickets, and I'll send you yours.",
                    "the cottage owner says there's a bakery at the end of the lane that "
                    "sells out of everything by ten.",
                    "there's a walk along the cliffs to the next village (about eight miles; "
                    "don't panic).",
                    "there's a tiny cinema in {town} that shows one film a "
                    "week; this week it's a musical.",
                ),
            ),
            sc.sam(
                (
                    "eight miles",
                    "bakery first",
                    "ok",
                    "ty",
                    "love that",
                    "a musical lol",
                    "omg cute",
                ),
                Opt(0.5, ("ill bring snacks", "i will need carrying", "we r going")),
            ),
        ]
    if sc.today < TRIP and "packing list" not in sc.done:
        sc.done.add("packing list")
        turns = [
            sc.robin(
                "Packing list, so neither of us forgets anything:\n- tickets (on my "
                "phone)\n- coats\n- walking shoes\n- swimming things (optimistic)\n- the "
                "card game\n- snacks for the train\n\nAnything to add?"
            ),
            sc.sam(
                ("snacks x2", "sunscreen lol", "a speaker", "mango (joke)"),
                Opt(0.5, ("cant believe its friday", "im packing now", "so ready")),
                emoji=0.7,
            ),
        ]
        if sc.chance(0.5):
            turns.append(
                sc.robin("Added; see you at the station at eight, and not a minute after, please.")
            )
        return turns
    if sc.today == TRIP:
        return [
            sc.sam(("where r u", "im at the station", "which platform")),
            sc.robin("I'm by the ticket machines, next to the man with the enormous dog."),
            sc.sam(("omw", "ok see u"), emoji=0.5),
        ]
    if sc.today <= TRIP_END:
        return [
            sc.sam(("where did u go", "r u still at the bakery", "where r u hiding")),
            sc.robin(
                (
                    "I've gone to buy us pastries; back in two minutes.",
                    "In the queue for chips; do you want the usual?",
                    "On the harbour wall, being glared at by a seagull.",
                )
            ),
            sc.sam(("yes obv", "omw", "ok stay there", "guard the chips"), emoji=0.5),
        ]
    return [
        sc.sam(
            (
                "still thinking abt those chips",
                "i miss {town}",
                "back to reality ugh",
                "looking at the trip pics again",
                "i got sand in my bag still",
                "i miss the sea",
                "the seagull tho",
            ),
            Opt(0.4, ("can we go back", "best weekend", "10/10 trip", "same time next year")),
        ),
        sc.robin(
            ("Me too;", "Same here;", "I know;", "Honestly, same;"),
            (
                "I've been looking at train times to go back in August, which is probably a sign.",
                "the harbour at dusk on Saturday is going to live in my head for a long time.",
                "I still have your sunglasses, by the way.",
                "I've printed one of the photos and put it on the fridge.",
                "the office feels very grey after all that sea.",
            ),
        ),
    ]


def t_running(sc: Scene, lead: str) -> list[Turn]:
    weeks = max((RACE - sc.today).days // 7, 0)
    sc.slots.update(
        emo="🏃 💪 🔥",
        weeks=str(weeks),
        km=sc.one("5", "6", "7", "8", "9"),
        when=sc.one(
            "this morning",
            "after work",
            "before breakfast",
            "at lunch",
            "in the rain",
            "along the canal",
        ),
    )
    if sc.today < TRAINING:
        return [
            sc.sam(
                (
                    "went to the gym",
                    "i cycled to work",
                    "i did a 5k lol",
                    "yoga today",
                    "i went swimming",
                    "i did a workout video",
                ),
                Opt(
                    0.5,
                    (
                        "my legs r gone",
                        "never again",
                        "im an athlete now",
                        "i can feel my heartbeat in my ears",
                        "proud of me",
                    ),
                ),
            ),
            sc.robin(
                LEAD_GOOD + LEAD_FUN,
                (
                    "Look at you go.",
                    "I'm genuinely impressed.",
                    "I did the stairs at work, so we're even.",
                    "I'm exhausted just reading that.",
                ),
            ),
        ]
    if sc.today == RACE and sc.special:
        return [
            sc.robin("I finished the 10k! Fifty-eight minutes, and I didn't walk once."),
            sc.sam(("OMG", "YESSS"), ("ur a legend", "so proud", "told u"), emoji=0.9),
            sc.robin(
                "Thank you for the voice note at the start; it made me laugh at "
                "exactly the right moment."
            ),
        ]
    if sc.today >= RACE:
        return [
            sc.sam(("how r ur legs", "u still walking funny", "hows recovery", "medal still on?")),
            sc.robin(
                (
                    "They're recovering; stairs remain my enemy.",
                    "Much better, thank you; I'm already looking at half marathons, which "
                    "you should stop me from doing.",
                    "I may have worn the medal to the shop; I regret nothing.",
                )
            ),
        ]
    if lead == ROBIN:
        return [
            sc.robin(
                ("Training update:", "Running report:", "A quick brag:"),
                (
                    "I did {km}k {when} without stopping;",
                    "I ran {km}k {when}, which felt heroic at the time;",
                ),
                (
                    "{weeks} weeks to go until the race.",
                    "my calves are filing a complaint.",
                    "a dog ran alongside me for the last kilometre, which helped.",
                ),
            ),
            sc.sam(
                SAM_HYPE,
                Opt(
                    0.5,
                    (
                        "u r so dedicated",
                        "in the rain??",
                        "im tired for u",
                        "the dog!!",
                        "ur calves deserve a holiday",
                    ),
                ),
            ),
        ]
    return [
        sc.sam(("how was the run", "did u run today", "hows training", "run report pls")),
        sc.robin(
            ("Good, actually;", "Hard, but I did it;", "I skipped it (shh);", "Slow but steady;"),
            (
                "{km}k, and I only thought about giving up twice.",
                "I'm starting to think I might actually enjoy this, which is alarming.",
                "the rain was sideways, so I went to bed instead.",
                "{km}k {when}, and I overtook a man in a full suit.",
            ),
        ),
        sc.sam(
            (
                "ur gonna smash it",
                "lol valid",
                "proud",
                "i believe in u",
                SAM_ACK,
                "the man in the suit lol",
                "rest days r important",
            )
        ),
    ]


SHOWS = ("Saltmarsh", "The Night Ferry", "Quiet Hours", "Brackenfield")


def t_show(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(
        emo="📺 👀 😱 🍿",
        show=SHOWS[min((sc.today - FIRST_DAY).days // 42, 3)],
        ep=str(sc.rng.randint(2, 8)),
        twist=sc.one(
            "the sister",
            "the boat",
            "the letter",
            "the ending",
            "the dog",
            "the twin thing",
            "the flashback",
            "the wedding",
            "the detective",
            "the fire",
        ),
        behind=sc.one("two episodes", "a whole episode", "three episodes", "miles"),
        watched=sc.one("last night", "on the train this morning", "at lunch", "in the bath"),
        later=sc.one("tonight", "tomorrow", "at the weekend", "on Friday"),
        excuse=sc.one(
            "Tess was round",
            "I fell asleep on the sofa",
            "my internet died",
            "I had book club prep",
        ),
    )
    if lead == SAM:
        return [
            sc.sam(
                (
                    "have u watched ep {ep} of {show}",
                    "{show} ep {ep}",
                    "did u see {show}",
                    "r u caught up on {show}",
                    "{show} tho",
                ),
                Opt(
                    0.6, ("{twist}", "i have thoughts", "i screamed", "{twist}???", "what was that")
                ),
                emoji=0.6,
            ),
            sc.robin(
                (
                    "Don't you dare; I'm {behind} behind.",
                    "Yes! I watched it {watched} with my hand over my mouth the whole time.",
                    "Not yet, so please say nothing else; I'm watching it {later}.",
                    "I have, and I need to talk about {twist} immediately.",
                    "I watched it {watched}, and I still haven't recovered from {twist}.",
                    "No! I'm {behind} behind, because {excuse}.",
                ),
                Opt(
                    0.4,
                    (
                        "No spoilers, please.",
                        "I'm going to watch it on the train.",
                        "Tess keeps threatening to tell me what happens.",
                        "I'm avoiding the internet until then.",
                    ),
                ),
            ),
            sc.sam(
                (
                    "hurry up",
                    "ok my lips r sealed",
                    "TELL ME WHEN",
                    "🤐",
                    "finally someone",
                    "call me after",
                    "ur gonna lose it",
                    "i need someone to talk to abt it",
                    "{twist} tho",
                    "ok watch it NOW",
                    "ill wait",
                    "u have 24 hrs",
                ),
                emoji=0.5,
            ),
        ]
    return [
        sc.robin(
            (
                "I've started {show}, because you wouldn't stop talking about it;",
                "I finally watched episode {ep} of {show};",
                "Tess and I watched three episodes of {show} in a row;",
            ),
            (
                "I'm hooked, and I hate you a bit for that.",
                "I have a theory about {twist}, but I'll keep it to myself until you've seen it.",
                "I did not see {twist} coming at all.",
            ),
        ),
        sc.sam(
            ("told u", "finallyyy", "THANK U", "yes", "welcome to the club"),
            (
                "ur theory is wrong",
                "dont say anything",
                "wait til ep 6",
                "it gets worse",
                "{twist} is everything",
            ),
        ),
    ]


def t_daily(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(
        emo="😴 ☕ 🌧️ 🚌",
        mood=sc.one(
            "tired",
            "ok ish",
            "good actually",
            "v sleepy",
            "kinda stressed tbh",
            "fine",
            "hungry",
            "so bored",
            "weirdly productive",
            "grumpy",
            "meh",
            "surprisingly good",
            "dead inside lol",
            "chilling",
            "overcaffeinated",
            "idk tbh",
            "busy rn",
            "idk just meh",
        ),
        why=sc.one(
            "the bus was 30 mins late",
            "slept like 4 hrs",
            "its raining again",
            "jonno was playing drums at 1am",
            "i spilled coffee on my jeans",
            "my bike has a flat",
            "the wifi died",
            "i stayed up watching videos",
            "i walked into a glass door",
            "my upstairs neighbour is hoovering at 7am",
            "i forgot my lunch",
            "my phone fell in the sink",
            "the heating is broken",
            "mango woke me up at 5",
            "i had 3 coffees",
            "i lost my keys again",
        ),
        hour=sc.one("11", "2", "10am", "half 3", "4", "midday"),
        why2=sc.one(
            "i missed my stop",
            "the coffee machine broke",
            "i stepped in a puddle",
            "my laptop died",
            "a client called me by the wrong name",
        ),
        rwhy=sc.one(
            "the train was cancelled and then uncancelled",
            "I've had three coffees and no lunch",
            "it rained exactly when I left the house",
            "I lost my keys and found them in the fridge",
            "someone ate my yoghurt from the office fridge (I know who)",
            "I spent an hour on hold to the bank",
            "I wore odd shoes to work and nobody told me until three",
            "the lift at work broke and I'm on the sixth floor",
            "I locked myself out and had to wait for Tess with the spare key",
            "a seagull stole half my sandwich",
        ),
    )
    if lead == ROBIN:
        return [
            sc.robin(
                (
                    "How are you doing today?",
                    "How's your day going?",
                    "How are you feeling today?",
                    "How's life?",
                    "Are you surviving today?",
                ),
                Opt(
                    0.4,
                    (
                        "I feel like we haven't properly talked in days.",
                        "You were very quiet yesterday.",
                        "I've been thinking about you.",
                    ),
                ),
            ),
            sc.sam(
                ("{mood}", "im {mood}", "{mood} tbh", "honestly {mood}"),
                Opt(0.6, ("{why}", "bc {why}", "{why} so")),
            ),
            sc.robin(
                Opt(0.6, LEAD_BAD + LEAD_PLAIN),
                (
                    "I'm sorry; that's a rotten start.",
                    "Have something nice for dinner, at least.",
                    "My day has been similar: {rwhy}.",
                    "Solidarity; {rwhy}, so I understand completely.",
                    "Do you want me to send you a picture of a dog?",
                    "Tomorrow will be better; that's the rule.",
                ),
            ),
            sc.sam(
                (
                    SAM_LAUGH,
                    SAM_ACK,
                    "ty",
                    "same energy",
                    "we r cursed",
                    "yes send dog",
                    "lol the rule",
                    "what a day",
                    "i will have something nice",
                    "pasta it is",
                    "ur right",
                    "ok tmrw will be better",
                    "dog pls",
                    "we both need a nap",
                    "solidarity",
                    "the universe is testing us",
                )
            ),
        ]
    return [
        sc.sam(
            (
                "today is so long",
                "ugh",
                "im so tired",
                "today so far:\n{why}\nthen {why2}\nand its only {hour}",
                "this day will not end",
                "i need a nap",
                "update on my day",
            ),
            Opt(0.6, ("{why}", "i need a nap", "and its only {hour}")),
            emoji=0.5,
        ),
        sc.robin(
            Opt(0.5, LEAD_BAD),
            (
                "Mine has been peculiar: {rwhy}.",
                "It's been fine, mostly, apart from the fact that {rwhy}.",
                "Oh, poor you; do you want sympathy or distraction?",
                "Oh, poor you; {rwhy}, so I'm not doing much better.",
            ),
            Opt(0.3, ("Chin up.", "Nearly the weekend.", "Have a biscuit.")),
        ),
        sc.sam(
            (
                "lol",
                "distraction pls",
                "sympathy",
                "both",
                "ur day is worse tbh",
                "we need a holiday",
                "a biscuit ok",
                "the fridge keys lol",
                "ur so unlucky",
                "lol we r a mess",
                "ok u win",
                "both pls",
                "tell me something good",
                "i need a distraction",
                "how is ur day worse than mine",
                "we r so cursed",
                "a biscuit sounds good",
                "ok chin up",
            )
        ),
    ]


def t_family(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(emo="❤️ 🥹 🎂")
    if sc.between(TESS_BIRTHDAY - timedelta(days=10), TESS_BIRTHDAY):
        return [
            sc.robin(
                "It's Tess's birthday on the twentieth and I have no idea what to get her;",
                (
                    "she says she 'doesn't want anything', which is a trap.",
                    "last year I got her a plant and she named it after me and then killed it.",
                ),
            ),
            sc.sam(
                (
                    "a candle",
                    "concert tickets",
                    "a cake shaped like her face",
                    "a cat (not mango)",
                    "experience thing? like pottery",
                ),
                emoji=0.5,
            ),
            sc.robin(
                (
                    "Pottery is a wonderful idea; she'd love getting her hands dirty.",
                    "A cake shaped like her face would haunt her, and I love it.",
                    "Concert tickets would be lovely, if I can find a band she likes.",
                )
            ),
        ]
    if lead == SAM:
        return family_news(sc)
    if sc.chance(0.5):
        return [
            sc.robin(
                ("My parents are coming to visit this weekend;", "My parents phoned this morning;"),
                (
                    "my mother has already asked whether I'm eating enough vegetables.",
                    "my dad wants to know if the new flat has 'good water pressure'.",
                    "they want to see the canal, and I've been told to book a nice lunch.",
                ),
            ),
            sc.sam(
                SAM_LAUGH,
                Opt(
                    0.6,
                    (
                        "ur mum is so sweet",
                        "eat ur veg robin",
                        "water pressure lol",
                        "dads r all the same",
                    ),
                ),
            ),
        ]
    news = sc.one(
        (
            "she's thinking of moving to Scotland, which is news to everyone, including her.",
            "scotland??",
        ),
        (
            "she has decided to learn the accordion, and I've been chosen as the audience.",
            "the accordion lol",
        ),
        ("she says hello and that you still owe her a rematch at cards.", "rematch anytime"),
        ("she's adopted a tortoise called Colin, which I think is a cry for help.", "COLIN"),
        ("she's been promoted, so we're going out for dinner on Friday.", "tell her congrats"),
    )
    return [
        sc.robin(("Tess phoned for an hour;", "I had dinner with Tess;"), news[0]),
        sc.sam(SAM_LAUGH, Opt(0.6, (news[1], "tess is so funny", "i love tess"))),
    ]


def family_news(sc: Scene) -> list[Turn]:
    """Sam's family news: calls from his mother and Sunday dinners come round again; his
    brother's visit and his cousin's wedding are news once."""
    news = ["mum", "dinner"] + [n for n in ("dayo", "wedding") if n not in sc.done]
    which = sc.rng.choice(news)
    sc.done.add(which)
    if which == "mum":
        return [
            sc.sam(
                ("my mum called", "mum called", "had a long call w my mum"),
                ("she asked abt u again", "she says hi", "shes sending food back w me"),
            ),
            sc.robin(
                ("That's lovely;", "Oh, how nice;"),
                (
                    "tell her I said hello (and that I'm still thinking about that stew).",
                    "I'd love some of her cooking, if there's any going.",
                ),
            ),
        ]
    if which == "dinner":
        return [
            sc.sam(
                ("family dinner sunday", "family dinner this weekend"),
                ("pray for me", "my aunt will ask abt my job", "everyone will be there"),
            ),
            sc.robin(
                ("Oh, good luck;", "Ah, the annual interrogation;"),
                (
                    "eat well and smile a lot; that's my method.",
                    "tell them you're thriving, because you are.",
                ),
            ),
        ]
    if which == "dayo":
        return [
            sc.sam("dayo is visiting", ("he wants to meet u", "this weekend", "pray for me")),
            sc.robin(
                ("Oh, exciting;", "Oh, how nice;"),
                (
                    "I'd love to meet him properly, if he has time.",
                    "you'll have to show him the good bakery.",
                ),
            ),
        ]
    return [
        sc.sam(
            "my cousin is getting married",
            ("i have to give a speech apparently", "i need a suit", "in june"),
        ),
        sc.robin(
            ("Oh, exciting;", "Oh, how lovely;"),
            (
                "I'll help with the speech if you like; I'm very good at long sentences, as "
                "you know.",
                "you'll have a wonderful time.",
            ),
        ),
    ]


def t_gig(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(emo="🎸 🎶 🔥 🤘")
    if sc.today < GIG or (sc.today == GIG and not sc.special):
        return [
            sc.sam(
                (
                    "got 2 tickets for the paper moths",
                    "paper moths tickets r out",
                    "r we still on for the paper moths",
                    "paper moths soon",
                ),
                ("u coming", "12th april", "lantern rooms", "so hyped"),
                emoji=0.7,
            ),
            sc.robin(
                ("Yes, absolutely;", "Oh, I'd love to;", "Of course;"),
                (
                    "I only know two of their songs, but I know them very well.",
                    "put me down, and I'll buy the first round.",
                    "I've been listening to the album on repeat to prepare.",
                ),
            ),
        ]
    if sc.today == GIG and sc.special:
        return [
            sc.sam(("where r u", "at the bar", "front left")),
            sc.robin("I'm near the sound desk, trying to look cool; I'll come to you."),
        ]
    return [
        sc.sam(
            (
                "my ears r still ringing",
                "that gig tho",
                "paper moths were so good",
                "still thinking abt that encore",
            ),
            emoji=0.6,
        ),
        sc.robin(
            ("It was wonderful;", "Honestly, the best night out in ages;"),
            (
                "I've had the song about the lighthouse in my head for three days.",
                "my feet hurt and I regret nothing.",
                "I bought the T-shirt, which I'll never wear, but still.",
            ),
        ),
    ]


def t_plants(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(emo="🌱 🪴 🌿")
    if lead == ROBIN:
        return [
            sc.robin(
                (
                    "Gerald (the fern) has a new leaf!",
                    "Gerald the fern is thriving;",
                    "Plant news: Gerald has doubled in size;",
                ),
                (
                    "I'm absurdly proud of him.",
                    "I think he likes the new windowsill.",
                    "I talk to him in the mornings, which you're not allowed to mention.",
                ),
            ),
            sc.sam(
                (
                    "go gerald",
                    "gerald king",
                    "wish my basil was like that",
                    "my cactus is dying",
                    "gerald is thriving more than me",
                ),
                emoji=0.6,
            ),
            sc.robin(
                (
                    "How do you kill a cactus? They're famously unkillable.",
                    "Water it less; I promise it wants to be ignored.",
                    "Gerald and I believe in you.",
                    "I'll give you a cutting of Gerald; he's very forgiving.",
                    "Plants like you more than you think.",
                ),
                Opt(
                    0.4,
                    (
                        "Basil is hard, to be fair.",
                        "Mine died three times before I got the hang of it.",
                        "Try talking to it.",
                    ),
                ),
            ),
            sc.sam(("talent", "i loved it too much", "ok ill ignore it", SAM_LAUGH)),
        ]
    return [
        sc.sam(
            (
                "my basil is dead again",
                "plant question",
                "why is my plant yellow",
                "mango ate my plant",
            )
        ),
        sc.robin(
            ("Too much water, probably;", "Is it near the radiator? If so,", "Oh dear;"),
            (
                "it's nearly always too much water.",
                "they hate being moved around, too.",
                "try it on the kitchen windowsill for a week.",
            ),
        ),
        sc.sam(("ok", "oops", "i water it every day", "ive been drowning it", "noted"), SAM_LAUGH),
    ]


MEMES = (
    ("this is u", "I'm choosing to be flattered, although I'm not sure I should be."),
    ("me every monday", "That is far too accurate; I feel seen and slightly attacked."),
    ("lol look", "I don't understand this at all, and yet I'm laughing."),
    ("mango energy", "That's exactly her; the expression is perfect."),
    ("when the bus doesnt come", "I showed this to someone at work and they cried."),
    ("us on the trip", "Ha, yes, although I'd like it noted that I was the one on time."),
    ("book club be like", "Rude, accurate, and I'm going to use it in the next reminder."),
    ("this is jonno", "Poor Jonno, although I can see the resemblance."),
    ("me at 3am", "This is why you should put your phone down at night."),
    ("u when the library closes", "I'm not even going to argue with this one."),
    ("the archive rn", "That's not far off, if I'm honest; add more dust."),
    ("me doing my taxes", "I'm weeping; this is exactly what it looks like."),
    ("tess energy", "I'm forwarding this to Tess immediately; she'll be furious."),
    ("gerald if he was a person", "Gerald would never wear a hat like that, but I see it."),
    ("me on the 8:12 train", "That is a very accurate portrait of both of us, I'm afraid."),
    ("when the client says make it pop", "I'm printing this out for your wall."),
    ("every book club ever", "Priya is definitely the one at the back."),
    ("canal life", "I'm choosing to take this as a compliment about my lifestyle."),
    ("how i look at pastries", "I make exactly this face at the bakery, so that's fair."),
    ("the fox on ur wall", "He does look exactly like that, now that you mention it."),
)


def t_meme(sc: Scene, lead: str) -> list[Turn]:
    meme = sc.one(*MEMES)
    turns = [
        sc.media(SAM, "image omitted", "image omitted", "GIF omitted", "video omitted"),
        sc.sam(meme[0], Opt(0.4, SAM_LAUGH), emoji=0.6),
        sc.robin(Opt(0.4, LEAD_FUN), meme[1]),
    ]
    if sc.chance(0.4):
        turns.append(
            sc.sam(
                (
                    SAM_LAUGH,
                    "ur welcome",
                    "ill send more",
                    "it made me think of u",
                    "found it at 2am",
                    "i have a folder of these",
                    "its so u",
                    "couldnt not send it",
                    "im not sorry",
                    "theres more where that came from",
                )
            )
        )
    return turns


def t_voice(sc: Scene, lead: str) -> list[Turn]:
    turns = [
        sc.media(SAM, "audio omitted"),
        sc.sam(
            (
                "sorry long voice note",
                "listen when u can",
                "its a story",
                "pls listen",
                "voice note bc i cant type this",
                "its 4 mins sorry",
            )
        ),
        sc.robin(
            (
                "I'll listen to it when I'm off the train;",
                "I've just listened to it;",
                "Listening now;",
                "I listened to it twice;",
            ),
            (
                "I can already tell it's going to be a good one.",
                "I can't believe he said "
                "that to you, and I really can't believe you said that back.",
                "the bit about the pigeon made me laugh so much I had to sit down.",
                "I think you handled it far better than I would have.",
                "you should tell that story at book club.",
            ),
        ),
    ]
    if sc.chance(0.4):
        turns.append(
            sc.sam(("right???", "i know", "im still processing", SAM_LAUGH, "i was shaking"))
        )
    return turns


def t_sticker(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(emo="🥺 🫶")
    return [
        sc.robin(
            (
                "Thank you again for your help on Saturday;",
                "I just wanted to say thank you for last night;",
                "I've been meaning to say thank you for the book you lent me;",
                "Thank you for checking in on me this week;",
            ),
            (
                "I really appreciated it, more than I said at the time.",
                "it was exactly what I needed after a long few days.",
                "you're a very good friend, and I don't say that enough.",
            ),
        ),
        sc.media(SAM, "sticker omitted"),
        sc.sam(
            (
                "anytime",
                "always",
                "of course",
                "ofc",
                "u know it",
                "stop ur making me cry",
                "thats what im here for",
            ),
            emoji=0.7,
        ),
    ]


# Short exchanges that fit anywhere: a question and an answer, sometimes a reaction.
def t_small(sc: Scene, lead: str) -> list[Turn]:
    sc.slots.update(
        emo="✨ 👀 🤔",
        sfood=sc.one(
            "pasta again",
            "noodles",
            "toast lol",
            "a whole pizza",
            "leftover curry",
            "cereal",
            "jonnos chilli",
            "a sad salad",
            "dumplings",
            "chips",
            "nothing yet",
            "eggs on toast",
            "a burrito",
            "soup from a tin",
        ),
        rfood=sc.one(
            "a very virtuous vegetable soup",
            "the rest of the lasagne",
            "cheese on toast (I've given up)",
            "an omelette with everything in it",
            "a curry from the place on the corner",
            "Tess's leftover risotto",
            "baked potatoes, as the weather demands",
        ),
        song=sc.one(
            "that paper moths album",
            "old stuff from school lol",
            "a lofi playlist",
            "sea shanties dont ask",
            "jonnos band (its bad)",
            "film soundtracks",
            "the same song on repeat for 3 days",
        ),
        rsong=sc.one(
            "a lot of cello music, which Tess says is a cry for help",
            "a podcast about shipwrecks; I can't stop",
            "the radio, like my father",
            "the Paper Moths album you sent me (it's growing on me)",
            "an audiobook about the history of salt, which is more gripping than it sounds",
        ),
        sdoing=sc.one(
            "lying on the floor",
            "trying to fix my bike",
            "watching videos",
            "avoiding emails",
            "cleaning finally",
            "waiting for a parcel",
            "on the bus",
            "at the laundrette",
            "doing a puzzle w jonno",
            "staring at a blank page",
            "cooking rn",
            "on the sofa rn",
        ),
        rdoing=sc.one(
            "sorting out my receipts (living the dream)",
            "reading in the bath, which is a recipe for a soggy book",
            "waiting for the bread to prove",
            "ironing shirts, reluctantly",
            "writing a very polite complaint to the council",
            "trying to fix the wobbly table with a folded beer mat",
            "watching a documentary about bees",
        ),
        weather=sc.one(
            "its snowing??",
            "its so hot",
            "rain again",
            "the wind is insane",
            "its actually sunny",
            "fog everywhere",
            "hail lol",
        ),
        hour=sc.one("11", "2", "10am", "half 3", "4"),
        why=sc.one(
            "jonno was up late",
            "i was doomscrolling",
            "the neighbours were loud",
            "too much coffee",
            "bad dreams",
        ),
        rtime=sc.one("six", "half past six", "seven", "quarter to six", "eight"),
        vehicle=sc.one("bus", "train", "tram"),
        thing=sc.one(
            "drill",
            "big suitcase",
            "tent",
            "ladder",
            "hair dryer",
            "blender",
            "black blazer",
            "camping stove",
        ),
        **dict(
            zip(
                ("q", "a"),
                sc.one(
                    (
                        "would u rather fight 1 horse sized duck or 100 duck sized horses",
                        "one horse-sized duck, because I'd rather have a single enemy.",
                    ),
                    (
                        "whats the best crisp flavour",
                        "salt and vinegar, and I won't be taking questions.",
                    ),
                    ("is a hotdog a sandwich", "no, and I'm prepared to defend that in court."),
                    (
                        "tea or coffee forever",
                        "tea, obviously, although I'd miss coffee every single morning.",
                    ),
                    (
                        "what would u do w a million quid",
                        "I'd buy a house with a library and never leave it.",
                    ),
                    (
                        "would u rather live by the sea or in the mountains",
                        "the sea, as long as it comes with a chip shop.",
                    ),
                    ("whats ur comfort film", "anything with a lighthouse in it, as you know."),
                ),
                strict=True,
            )
        ),
        dog=sc.one("Biscuit", "Admiral", "Pickle", "Doris", "Mr Fitzgerald", "Pudding"),
        event=sc.one(
            "a poetry reading at the library",
            "a wine tasting (free!)",
            "a colleague's leaving drinks",
            "a pottery class taster evening",
            "Tess's friend's exhibition opening",
        ),
    )
    options = []
    if lead == SAM:
        options += [
            lambda: [
                sc.sam(("wyd", "what u up to", "what r u doing", "whatcha doing")),
                sc.robin(
                    ("I'm {rdoing}.", "Oh, just {rdoing}."),
                    Opt(0.5, ("You?", "What about you?", "Very glamorous, I know.")),
                ),
                sc.sam(("{sdoing}", "im {sdoing}", "same energy", SAM_LAUGH)),
            ],
            lambda: [
                sc.sam(("what r u listening to rn", "need new music", "send me a song")),
                sc.robin(
                    ("At the moment it's {rsong}.", "Mostly {rsong}."),
                    Opt(0.4, ("I'll send you something better later.", "What about you?")),
                ),
                sc.sam(("ur so unique", "of course u r", "ok grandpa", SAM_LAUGH, "im on {song}")),
            ],
            lambda: [
                sc.sam(
                    ("{weather}", "have u seen outside", "look outside"),
                    Opt(0.5, ("in may??", "i hate it here", "i love it", "why")),
                ),
                sc.robin(
                    (
                        "I know; I got caught in it on the way in.",
                        "I've seen; I'm staying indoors until further notice.",
                        "The weather has lost its mind.",
                    ),
                    Opt(0.4, ("Stay dry.", "Stay warm, please.", "Wear a proper coat.")),
                ),
            ],
            lambda: [
                sc.sam(("what r u having for dinner", "dinner plans?", "what r u eating")),
                sc.robin(
                    ("{rfood}, I think.", "Probably {rfood}."),
                    Opt(0.4, ("And you?", "What about you?")),
                ),
                sc.sam(("{sfood}", "im having {sfood}", "{sfood} probably")),
            ],
            lambda: [
                sc.sam(("random q", "ok serious question", "important q"), "{q}"),
                sc.robin(
                    (
                        "This is a very important question, and I've thought about it for five "
                        "minutes;",
                        "I'm glad you asked;",
                        "Obviously, the answer is clear;",
                    ),
                    "{a}",
                    Opt(0.4, "What's your answer?"),
                ),
                sc.sam(("wrong", "correct", "interesting choice", "ok respect", SAM_LAUGH)),
            ],
            lambda: [
                sc.sam(("what time r u home", "when r u home today", "when do u finish today")),
                sc.robin(
                    (
                        "About {rtime}, if the {vehicle} behaves.",
                        "Around {rtime}, I hope.",
                        "Not until {rtime}, sadly.",
                    ),
                    Opt(0.4, ("Why?", "Is everything all right?", "Do you need something?")),
                ),
                sc.sam(
                    (
                        "ok",
                        "was gonna call",
                        "i have gossip",
                        "no reason",
                        "ill call u then",
                        "i need advice",
                    ),
                    emoji=0.5,
                ),
            ],
            lambda: [
                sc.sam(
                    (
                        "do u have a {thing} i can borrow",
                        "can i borrow ur {thing}",
                        "u still have that {thing}",
                    )
                ),
                sc.robin(
                    (
                        "I do; I'll bring it on Saturday.",
                        "Of course; it's yours for as long as you need it.",
                        "I think so; let me dig it out of a box.",
                        "Yes, but I want it back this time (I'm looking at you and my umbrella).",
                    ),
                    Opt(0.3, ("What do you need it for?", "Is this a project?")),
                ),
                sc.sam(
                    (
                        "ur the best",
                        "ty ty",
                        "i will return it promise",
                        "ok ill come get it",
                        "its for a secret project",
                    ),
                    emoji=0.55,
                ),
            ],
            lambda: [
                sc.sam(
                    (
                        "i saw ur doppelganger",
                        "i saw someone who looked exactly like u",
                        "ur twin was on my bus",
                    )
                ),
                sc.robin(
                    (
                        "Was she reading?",
                        "Was he carrying a tote bag full of books?",
                        "Was it a good doppelganger or a sinister one?",
                    ),
                    Opt(0.4, ("Everyone has one, apparently.", "I've always suspected I had one.")),
                ),
                sc.sam(
                    (
                        "yes obviously",
                        "sinister",
                        "a very nice coat",
                        "she had ur exact scarf",
                        SAM_LAUGH,
                    ),
                    emoji=0.5,
                ),
            ],
            lambda: [
                sc.sam(("i think im getting a cold", "my throat hurts", "i feel so rough")),
                sc.robin(
                    (
                        "Oh no; honey and lemon, and bed early.",
                        "Poor you; do you want me to drop some soup round?",
                        "Take it easy, and please don't go to the gym.",
                    ),
                    Opt(0.4, ("Do you have paracetamol?", "Drink lots of water.")),
                ),
                sc.sam(
                    ("ty", "soup pls", "i have tea", "mango is nursing me", "ok mum"), emoji=0.55
                ),
            ],
            lambda: [
                sc.sam(
                    ("omg i just remembered", "wait do u remember", "flashback"),
                    (
                        "that time we got locked in the park",
                        "the karaoke night",
                        "when u fell in the canal (almost)",
                        "when jonno lost his shoe",
                        "the picnic in the hail",
                    ),
                ),
                sc.robin(
                    (
                        "I have tried very hard to forget that, thank you.",
                        "How could I forget? I still think about it at least once a week.",
                        "That was one of the best nights of my life, honestly.",
                    ),
                    Opt(0.3, "We should do that again (the good parts)."),
                ),
                sc.sam((SAM_LAUGH, "iconic", "never forget", "legends"), emoji=0.6),
            ],
        ]
    else:
        options += [
            lambda: [
                sc.robin(
                    (
                        "What are you up to this evening?",
                        "What are you doing right now?",
                        "What are you up to?",
                    ),
                    Opt(0.4, ("I'm {rdoing}, for context.", "I'm bored, if that isn't obvious.")),
                ),
                sc.sam(("{sdoing}", "im {sdoing}", "nothing much", "{sdoing} lol")),
                sc.robin(
                    (
                        "That sounds lovely.",
                        "Living the dream, I see.",
                        "Honestly, that sounds better than my evening.",
                    )
                ),
            ],
            lambda: [
                sc.robin(
                    ("Did you sleep last night?", "Did you sleep any better?"),
                    Opt(0.4, "You were sending me memes at two in the morning."),
                ),
                sc.sam(
                    ("no", "kinda", "like 5 hrs", "yes finally", "what is sleep"),
                    Opt(0.5, ("{why}", "mango woke me up", "ok fair")),
                ),
                sc.robin(
                    (
                        "Go to bed earlier tonight; that's an order.",
                        "Have a nap at lunch, if you can.",
                        "I'm sending you sleepy thoughts.",
                    )
                ),
            ],
            lambda: [
                sc.robin(
                    ("Have you eaten?", "What did you have for lunch?")
                    if sc.part in ("morning", "day")
                    else (
                        "Did you have dinner?",
                        "Have you eaten?",
                        "What did you have for dinner?",
                    ),
                    Opt(0.4, "I'm asking because I know you."),
                ),
                sc.sam(("{sfood}", "yes {sfood}", "no lol", "not yet")),
                sc.robin(
                    (
                        "That's not a meal, but I'll allow it.",
                        "Good; I'm proud of you.",
                        "Please eat a vegetable this week.",
                        "That counts, I suppose.",
                    )
                ),
            ],
            lambda: [
                sc.robin(
                    ("I need a recommendation:", "Quick question:"),
                    (
                        "what's a good film for a rainy Sunday?",
                        "do you know a podcast that isn't about crime?",
                        "what should I get Jonno for his birthday?",
                    ),
                ),
                sc.sam(
                    (
                        "the one w the lighthouse",
                        "literally anything w a heist",
                        "the shipwreck one",
                        "idk a plant",
                        "socks",
                        "a cookbook for him",
                    ),
                    Opt(0.5, ("trust me", "u will love it", "ur welcome")),
                ),
                sc.robin(
                    (
                        "Noted; I'll report back.",
                        "Perfect, thank you.",
                        "That's very you, and I'll trust it.",
                    )
                ),
            ],
            lambda: [
                sc.robin(
                    (
                        "I've just seen the most wonderful dog;",
                        "On the way home I saw a dog in a raincoat;",
                        "There's a new dog in the office;",
                    ),
                    (
                        "it's called {dog} and it has the face of a retired colonel.",
                        "its name is {dog}, and I'm in love.",
                        "I asked its owner for its name ({dog}) and forgot to ask hers.",
                    ),
                ),
                sc.sam(
                    (
                        "PICS",
                        "{dog}!!",
                        "i need to meet {dog}",
                        "did u pet it",
                        "mango would hate this",
                    ),
                    emoji=0.6,
                ),
                sc.robin(
                    (
                        "I did pet it, and I feel ten years younger.",
                        "No pictures; I was too busy being polite.",
                        "I'll try to get a picture tomorrow.",
                    )
                ),
            ],
            lambda: [
                sc.robin(
                    ("I've been invited to {event};", "Tess wants me to come to {event};"),
                    (
                        "do you want to come with me?",
                        "would that be your sort of thing?",
                        "please come, so that I know at least one person.",
                    ),
                ),
                sc.sam(
                    (
                        "when",
                        "ye ok",
                        "is there food",
                        "what do i wear",
                        "maybe",
                        "only if we can leave early",
                    ),
                    Opt(0.5, ("sounds fun", "sounds weird", "ok im curious")),
                ),
                sc.robin(
                    (
                        "Saturday evening; there will definitely be food.",
                        "Next Friday; wear whatever you like (within reason).",
                        "We can leave whenever you want; I promise.",
                    ),
                    Opt(0.3, "Thank you; it means a lot."),
                ),
            ],
            lambda: [
                sc.robin(
                    ("I've had a very small victory today:", "Small triumph of the day:"),
                    (
                        "I fixed the dripping tap myself, with a video and a lot of swearing.",
                        "I finally returned the library books, and the fine was only two pounds.",
                        "I remembered everyone's name in a meeting of twelve.",
                        "I got a seat on the train both ways.",
                    ),
                ),
                sc.sam(SAM_HYPE, Opt(0.4, ("ur thriving", "the swearing tho", "legend"))),
            ],
            lambda: [
                sc.robin(
                    ("I'd like your advice on something:", "I need an honest opinion:"),
                    (
                        "should I cut my hair short for the summer?",
                        "is it rude to leave a party after an hour?",
                        "should I tell my manager I'm thinking of going part-time?",
                    ),
                ),
                sc.sam(
                    ("yes", "do it", "depends", "hmm", "ok go on"),
                    (
                        "u would look great",
                        "life is short",
                        "whats the worst that happens",
                        "talk to me tmrw abt it properly",
                        "trust ur gut",
                    ),
                ),
                sc.robin(
                    (
                        "You're right; I'll think about it properly this weekend.",
                        "That's very wise, and I'm slightly annoyed that you're right.",
                        "Thank you; I needed someone to say that.",
                    )
                ),
            ],
        ]
    if lead == SAM and sc.first and sc.chance(0.3):
        return [
            sc.sam(
                (
                    "did u see my message",
                    "u never replied to my thing",
                    "hello??",
                    "robin",
                    "ROBIN",
                    "earth to robin",
                )
            ),
            sc.robin(
                (
                    "Sorry! I read your message and then forgot to reply;",
                    "Sorry, sorry;",
                    "Yes! Sorry;",
                    "I'm here, I'm here;",
                ),
                (
                    "the answer is yes, obviously.",
                    "it's been one of those days.",
                    "I'm terrible at this.",
                    "my phone was buried under a pile of papers.",
                    "I was halfway through a reply when someone came to my desk.",
                ),
            ),
            sc.sam(
                ("rude", "forgiven", "lol its fine", "ok good", "u r forgiven", "hmm ok"), emoji=0.6
            ),
        ]
    if lead == SAM and sc.part in ("evening", "late"):
        del options[5]  # "when are you home?" is a daytime question
    return options[sc.rng.choice(range(len(options)))]()


TOPICS: dict[str, Callable[[Scene, str], list[Turn]]] = {
    "weekend": t_weekend,
    "flat": t_flat,
    "cat": t_cat,
    "books": t_books,
    "cooking": t_cooking,
    "work": t_work,
    "trip": t_trip,
    "running": t_running,
    "show": t_show,
    "daily": t_daily,
    "family": t_family,
    "gig": t_gig,
    "plants": t_plants,
    "meme": t_meme,
    "voice": t_voice,
    "sticker": t_sticker,
    "small": t_small,
}


def weights(sc: Scene) -> dict[str, float]:
    d = sc.today
    w = {
        "weekend": 3.0 if d.weekday() in (3, 4, 6, 0) else 0.6,
        "flat": 2.8 if d < date(2024, 4, 25) else 0.4,
        "cat": 2.5,
        "books": 3.0 if 0 <= sc.days_to(book_club_day(d)) <= 6 else 1.2,
        "cooking": 2.0,
        "work": 2.5 if d.weekday() < 5 else 0.4,
        "trip": 3.5 if TRIP_PLANNING <= d <= date(2024, 6, 5) else 0.0,
        "running": 2.0 if TRAINING <= d <= RACE else 0.5,
        "show": 1.2,
        "daily": 2.0,
        "family": 1.0,
        "gig": 3.0 if date(2024, 3, 20) <= d <= GIG + timedelta(days=4) else 0.0,
        "plants": 0.7,
        "meme": 1.0,
        "voice": 0.6,
        "sticker": 0.4,
        "small": 4.0,
    }
    if sc.special and d in (MOVE, RACE, GIG, GRANT_DUE, VET + timedelta(days=1)):
        w = (
            dict.fromkeys(w, 0.0)
            | {
                MOVE: {"flat": 1.0},
                RACE: {"running": 1.0},
                GIG: {"gig": 1.0},
                GRANT_DUE: {"work": 1.0},
                VET + timedelta(days=1): {"cat": 1.0},
            }[d]
        )
    if sc.together:
        w = dict.fromkeys(w, 0.0) | {"trip": 1.0}
    return w


# --------------------------------------------------------------------------------------
# Sessions.


def session(sc: Scene) -> list[Turn]:
    rng = sc.rng
    who = SAM if rng.random() < 0.56 else ROBIN
    turns: list[Turn] = []
    if sc.together:
        return TOPICS["trip"](sc, SAM)
    if sc.today in MISSED_CALLS and sc.special:
        turns.append(Turn(SAM, [Item("call", MISSED_CALLS[sc.today])]))
        turns.append(
            sc.robin(
                ("Sorry, I missed your call;", "Sorry, I've just seen your call;"),
                ("I was on the bus with my headphones in.", "I was in the shower."),
                "Is everything all right?",
            )
        )
        turns.append(
            sc.sam(
                ("ye all good", "np", "its fine"),
                ("was gonna ask u something", "it was a butt dial lol"),
                Opt(0.5, "ill text u"),
            )
        )
        who = SAM
    elif sc.special and sc.today in (MOVE, GIG, RACE):
        pass  # straight to the day's event
    elif rng.random() < 0.68:
        turns += opener(sc, who)
    w = weights(sc)
    names = [n for n, x in w.items() if x > 0 and (n, sc.today) not in sc.done] or ["small"]
    count = rng.choices((1, 2, 3, 4), (0.15, 0.4, 0.32, 0.13))[0]
    chosen: list[str] = []
    while len(chosen) < min(count, len(names)):
        name = rng.choices(names, [w[n] or 1.0 for n in names])[0]
        if name not in chosen:
            chosen.append(name)
    sc.done.update((n, sc.today) for n in chosen if n != "small")
    for i, name in enumerate(chosen):
        lead = who if i == 0 else (SAM if rng.random() < 0.5 else ROBIN)
        sc.first = not turns
        thread = TOPICS[name](sc, lead)
        opening = thread[0].items[0]
        if i > 0 and rng.random() < 0.4 and opening.kind == "text" and "\n" not in opening.text:
            if thread[0].speaker == SAM:
                word = rng.choice(
                    (
                        "anyway",
                        "ok wait",
                        "unrelated but",
                        "oh also",
                        "random but",
                        "btw",
                        "also",
                        "ok so",
                        "oh yeah",
                        "changing the subject",
                    )
                )
                opening.text = f"{word} {opening.text}"
            else:
                words = rng.choice(
                    (
                        "Unrelated, but",
                        "Oh, before I forget:",
                        "Anyway,",
                        "Completely changing the subject:",
                        "Oh, also:",
                        "By the way,",
                        "While I remember:",
                        "On a different note:",
                    )
                )
                text = opening.text
                for interjection in INTERJECTIONS:
                    if text.startswith(interjection + " "):
                        text = text[len(interjection) + 1 :]
                opening.text = f"{words} {lower_first(text)}"
        turns += thread
        sc.slots = {"emo": "✨"}
    if sc.today in SLIPS and sc.special:
        turns += slip(sc, SLIPS[sc.today])
    if rng.random() < 0.55:
        last = turns[-1].speaker
        turns += closer(sc, ROBIN if last == SAM else SAM)
    return merge(rng, turns)


def slip(sc: Scene, who: str) -> list[Turn]:
    """A message sent to the wrong chat, and deleted."""
    if who == SAM:
        return [
            Turn(SAM, [Item("deleted")]),
            sc.sam(
                (
                    "wrong chat",
                    "ignore that",
                    "that wasnt for u",
                    "oops",
                    "not for u lol",
                    "pls ignore",
                    "that was meant for jonno",
                    "ignore ignore",
                ),
                emoji=0.7,
            ),
            sc.robin(
                (
                    "Now I'm very curious.",
                    "I saw nothing (I saw a little).",
                    "Too late; I've already read it. (I haven't.)",
                    "I'm going to imagine it was something scandalous.",
                    "Consider it forgotten (it is not forgotten).",
                ),
                Opt(0.4, ("Was it about me?", "Jonno, I assume?")),
            ),
        ]
    return [
        Turn(ROBIN, [Item("deleted")]),
        sc.robin(
            (
                "Ignore that; I sent it before I'd finished typing, which is unlike me.",
                "Sorry; that was meant for Tess.",
                "Ignore that, please; wrong chat.",
            )
        ),
        sc.sam(("lol", "suspicious", "ok robin", "what did it say", "sus"), emoji=0.6),
    ]


def merge(rng: random.Random, turns: list[Turn]) -> list[Turn]:
    """Join turns by the same person: Sam's bubbles run on; Robin's texts usually become one."""
    out: list[Turn] = []
    for turn in turns:
        if out and out[-1].speaker == turn.speaker:
            prev = out[-1]
            if (
                turn.speaker == ROBIN
                and rng.random() < 0.75
                and prev.items[-1].kind == "text"
                and turn.items[0].kind == "text"
                and "\n" not in prev.items[-1].text + turn.items[0].text
            ):
                joined = f"{prev.items[-1].text} {turn.items[0].text}"
                prev.items[-1] = Item("text", joined)
                prev.items += turn.items[1:]
            else:
                prev.items += turn.items
        else:
            out.append(turn)
    return out


# --------------------------------------------------------------------------------------
# Time and output.

SLOTS = (  # part of the day: earliest start, latest start
    (time(7, 30), time(9, 40)),
    (time(12, 5), time(13, 50)),
    (time(18, 20), time(21, 10)),
    (time(21, 30), time(23, 40)),
)


def session_starts(rng: random.Random, day: date) -> list[datetime]:
    weekend = day.weekday() >= 5
    odds = (0.08, 0.35, 0.42, 0.15) if weekend else (0.04, 0.2, 0.46, 0.3)
    n = rng.choices((0, 1, 2, 3), odds)[0]
    if day in SLIPS or day in MISSED_CALLS:
        n = max(n, 1)
    slots = sorted(rng.sample(range(4), n))
    if day == TRIP:  # at the station before the 8:12
        return [datetime.combine(day, time(7, 46)) + timedelta(seconds=rng.randint(0, 300))]
    if TRIP < day <= TRIP_END:
        slots = [1]
    elif day == GIG and 2 not in slots:
        slots = sorted([*slots[:1], 2]) if slots[:1] != [3] else [2]
    starts = []
    for s in slots:
        lo, hi = SLOTS[s]
        a = lo.hour * 3600 + lo.minute * 60
        b = hi.hour * 3600 + hi.minute * 60
        sec = rng.randint(a, b) + (3600 if weekend and s == 0 else 0)
        starts.append(datetime.combine(day, time()) + timedelta(seconds=sec))
    return starts


def reply_delay(rng: random.Random, turn: Turn) -> timedelta:
    r = rng.random()
    if turn.speaker == SAM:
        if r < 0.8:
            s = rng.randint(8, 90)
        else:
            s = rng.randint(90, 600) if r < 0.96 else rng.randint(900, 2700)
    else:
        length = len(turn.items[0].text)
        s = 20 + length // 4 + rng.randint(0, 150)
        if r > 0.93:
            s += rng.randint(600, 2400)
    return timedelta(seconds=s)


def header(when: datetime) -> str:
    return when.strftime("[%d/%m/%Y, %H:%M:%S]")


def render(rng: random.Random) -> str:
    lines: list[str] = []
    done: set[object] = set()
    day = FIRST_DAY
    not_before = datetime.combine(FIRST_DAY, time(18, 0))
    first = True
    while day <= LAST_DAY:
        starts = [s for s in session_starts(rng, day) if s >= not_before]
        for n, start in enumerate(starts):
            if start < not_before:
                continue
            if first:
                when = start - timedelta(seconds=rng.randint(5, 40))
                lines.append(f"{header(when)} {CHAT_NAME}: {LRM}{ENCRYPTION}")
                first = False
            special = n == (len(starts) - 1 if day == GIG else 0)  # carries the day's event
            sc = Scene(rng, start, special, done)
            t = start
            prev = None
            for turn in session(sc):
                if prev is not None:
                    t += reply_delay(rng, turn)
                for i, item in enumerate(turn.items):
                    if i:
                        gap = rng.randint(2, 14) + len(item.text) // 8
                        t += timedelta(seconds=gap if turn.speaker == SAM else gap * 4)
                    lines.append(line(rng, t, turn.speaker, item))
                prev = turn.speaker
            not_before = t + timedelta(hours=2)
        day += timedelta(days=1)
    return "\n".join(lines) + "\n"


def line(rng: random.Random, when: datetime, speaker: str, item: Item) -> str:
    head = header(when)
    if item.kind == "text":
        text = item.text
        if "\n" not in text and rng.random() < 0.006:
            text = f"{text} {LRM}<This message was edited>"
        return f"{head} {speaker}: {text}"
    if item.kind == "media":
        lead = LRM if rng.random() < 0.4 else ""
        return f"{lead}{head} {speaker}: {LRM}{item.text}"
    if item.kind == "deleted":
        body = "This message was deleted." if speaker == SAM else "You deleted this message."
        return f"{LRM}{head} {speaker}: {LRM}{body}"
    if item.kind == "call":
        return f"{head} {CHAT_NAME}: {LRM}{item.text}"
    raise ValueError(item.kind)


def generate() -> str:
    return render(Balanced(SEED))


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUTPUT
    out.write_bytes(generate().encode("utf-8"))


if __name__ == "__main__":
    main(sys.argv[1:])
