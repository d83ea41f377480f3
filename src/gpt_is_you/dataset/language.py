"""Which language a text is written in, from its frequent short words.

The import detects the persona's language (``persona_language``) so that the choice of a
base can follow it; the evaluation measures the language of replies with the same code.
Plain Python on strings: no model, no store, no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from gpt_is_you.chats.message import Message

UNSURE = "?"

# Letters and digits, with apostrophes inside ("don't", "c'est"); "_" is not a letter.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, with typographic apostrophes made plain."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


# Frequent short words per language, chat words included. A word in several lists counts
# for each of them in part, so "de" or "la" says little and "und" or "och" a lot.
_STOPWORDS: dict[str, frozenset[str]] = {
    code: frozenset(text.split())
    for code, text in {
        "en": "the and you i to is it that of in for on with are was this have be not but "
        "what my me so just it's i'm don't can will your we at do how know yeah what's "
        "there they he she if or about would could should really think going been",
        "de": "und ich du nicht das ist die der es ein eine zu mit auf auch wie was aber "
        "noch mir mich dich dir hast bin bist sind schon jetzt heute gleich ja nein doch "
        "mal wir kann wenn oder sehr gut danke haben habe hab dem den weiß",
        "fr": "je tu le la les et est pas un une de des du que qui ce c'est j'ai il elle "
        "on nous vous mais pour dans avec sur suis oui non très bien moi toi ça merci au "
        "aux ne qu'il d'accord n'est t'es c'était j'suis mon ma tes ses sont fait",
        "es": "el la los las y que de en un una es no por para con lo se me te mi tu "
        "pero más muy sí qué cómo estoy está estás bien hola gracias del al ya también "
        "bueno vale nos hay eso esto pues tengo",
        "it": "il lo la gli le e è che di non un una per con mi ti ci sono sei ma anche "
        "come cosa ho hai ha molto bene grazie ciao della del nel questo quello io noi "
        "voi perché già oggi va allora però sto",
        "pt": "o a os as e é que de do da dos das em no na um uma não para com por eu "
        "você voce vc tu mas muito bem obrigado obrigada sim tá está estou isso isto "
        "também mais meu minha ele ela nós já hoje aqui tudo né",
        "nl": "de het een en ik je jij is niet dat van op te met voor zijn maar ook wat "
        "hoe er nog wel heb hebt ben bent we wij kan naar om dan als dit deze ja nee "
        "goed dank echt gewoon even toch zo al mijn",
        "sv": "och jag du det är att en ett inte som på med för har kan vi han hon den "
        "till av om men så var vad hur mig dig nu bara också bra tack ja nej ska vill "
        "mycket här där",
        "da": "og jeg du det er at en et ikke som på med for har kan vi han hun den til "
        "af om men så var hvad hvordan mig dig nu bare også godt tak ja nej skal vil "
        "meget her der",
        "pl": "i w nie to na się że jest z do co jak ale tak mnie mi ja ty już jestem "
        "jesteś czy po o za od tylko też bardzo dzięki dobrze wiem teraz może będzie "
        "tego tu",
        "tr": "ve bir bu da de ne mi mı ben sen çok için ama var yok evet hayır tamam "
        "nasıl şimdi gibi daha o ile kadar neden sonra iyi değil misin musun seni beni "
        "bana sana",
    }.items()
}


def _weights() -> dict[str, dict[str, float]]:
    """Per listed word, the languages listing it, each with weight 1 / how many list it."""
    listing: dict[str, list[str]] = {}
    for code, listed in _STOPWORDS.items():
        for word in listed:
            listing.setdefault(word, []).append(code)
    return {word: {code: 1 / len(codes) for code in codes} for word, codes in listing.items()}


_WEIGHTS = _weights()

# To name a language, its score must reach this many words, be this share of all words
# (a language without a list is not named after the few of its words another list has)
# and lead the runner-up by this factor.
_MIN_SCORE = 2.0
_MIN_SHARE = 0.08
_LEAD = 1.5


def language_of(counts: Mapping[str, int]) -> str:
    scores: Counter[str] = Counter()
    total = 0
    for word, n in counts.items():
        if word.isdigit():
            continue  # numbers are in no language
        total += n
        for code, weight in _WEIGHTS.get(word, {}).items():
            scores[code] += n * weight
    if not scores:
        return UNSURE
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best_code, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if best < _MIN_SCORE or best < _MIN_SHARE * total or best < _LEAD * second:
        return UNSURE
    return best_code


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is written in, or "?" when unsure."""
    return language_of(Counter(words(text)))


# Messages a chat's language is told from (the persona's latest ones).
LANGUAGE_SAMPLE = 5000


def chat_language(messages: Sequence[Message], persona: str) -> str:
    """The language ``persona`` writes in, from their latest ``LANGUAGE_SAMPLE`` text
    messages: enough words to tell, a bounded cost on a chat of half a million."""
    texts: list[str] = []
    for message in reversed(messages):
        if message.sender == persona and message.kind == "text":
            texts.append(message.text)
            if len(texts) == LANGUAGE_SAMPLE:
                break
    return persona_language(texts)


def persona_language(texts: Iterable[str]) -> str:
    """The language of a person's messages taken together, or "?" when unsure."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    return language_of(counts)
