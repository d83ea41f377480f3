"""What differs between the services the OpenAI backend fine-tunes on, as data: one
``Profile`` per service, so that one provider and one watcher serve them all.

A profile says which bases the service offers (its default first), the data format it
learns, its training prices (dated, each confirmed by a page or unknown), whether a job can
carry metadata (the token that finds a job whose create answer was lost; without it the
watcher finds that job by its training file and suffix), and how far it is known to work.
Only what was run against the real service is "known to work": nothing has been, here.

A named connection (``connect NAME --base-url URL [--profile P]``) has the profile it was
given, or the one its base URL's host names, else ``generic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from gpt_is_you.dataset.cost import OPENAI_PRICES, Price, PriceTable
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.settings import REMOTE_BASES

CHAT = "openai"  # the export format of chats: {"messages": [...]}
KNOWN_TO_WORK = "known to work"
UNTESTED = "untested (documented OpenAI-compatible API)"
CHECKED_ON = "2026-12-03"  # the day the services' stored pages below were read


@dataclass(frozen=True)
class Profile:
    name: str
    shown: str  # as messages and the README name the service
    bases: tuple[str, ...]  # offered, the default first; () = any model the service has
    data_format: str  # the export format it learns (dataset/export.py)
    prices: PriceTable
    metadata: bool  # a job can carry metadata (a lost create is found by it)
    status: str  # KNOWN_TO_WORK or UNTESTED
    hosts: tuple[str, ...] = ()  # base URL hosts that name the service (their subdomains too)

    def owns(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.hosts)


def _unknown(service: str, bases: tuple[str, ...], source: str) -> PriceTable:
    """A service's table where no stored page confirmed a price."""
    return PriceTable(service, tuple(Price(b, training=None) for b in bases), CHECKED_ON, source)


# Nebius Token Factory: https://docs.tokenfactory.nebius.com/post-training/how-to-fine-tune
# (the openai SDK at https://api.tokenfactory.nebius.com/v1/) and its API reference's "Create
# a fine-tuning job" (model, training_file, validation_file, hyperparameters or
# method.supervised.hyperparameters, seed, suffix, tags: no metadata). Its datasets page
# takes conversations ({"messages": …}) and prompt/completion pairs. The bases are the two
# a summary of its models page names as LoRA-trainable (the models page itself was not
# among the stored pages); no stored page gave a fine-tuning price.
NEBIUS_BASES = ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct")

PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            "openai",
            "OpenAI",
            REMOTE_BASES,
            CHAT,  # babbage-002 and davinci-002 learn prompt/completion pairs (settings.legacy)
            OPENAI_PRICES,
            metadata=True,
            status=UNTESTED,
            hosts=("api.openai.com",),
        ),
        Profile(
            "azure",
            "Azure OpenAI",
            REMOTE_BASES,
            CHAT,
            _unknown(
                "Azure OpenAI",
                REMOTE_BASES,
                "https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/",
            ),
            metadata=True,  # as before profiles: its API follows OpenAI's, not confirmed
            status=UNTESTED,
            hosts=("openai.azure.com",),
        ),
        Profile(
            "nebius",
            "Nebius Token Factory",
            NEBIUS_BASES,
            CHAT,
            _unknown("Nebius Token Factory", NEBIUS_BASES, "https://tokenfactory.nebius.com/"),
            metadata=False,
            status=UNTESTED,
            hosts=("tokenfactory.nebius.com", "studio.nebius.com"),
        ),
        Profile(
            "generic",
            "an OpenAI-compatible service",
            (),
            CHAT,
            PriceTable("this service", (), CHECKED_ON, "its own pricing page"),
            metadata=False,  # not every server keeps it: the training file finds a job
            status=UNTESTED,
        ),
    )
}
GENERIC = PROFILES["generic"]


def profile(name: str) -> Profile:
    """The profile named ``name``; a ProviderError naming the others when there is none."""
    if name not in PROFILES:
        raise ProviderError(f"unknown profile {name!r}: one of {', '.join(PROFILES)}")
    return PROFILES[name]


def guess(url: str) -> Profile:
    """The profile of the service at ``url``, by its host; ``generic`` when none owns it."""
    host = (urlsplit(url).hostname or "").lower()
    return next((p for p in PROFILES.values() if p.owns(host)), GENERIC)


def profile_for(backend: str) -> Profile:
    """The profile the backend named ``backend`` trains with: OpenAI's and Azure's own, a
    named connection's chosen one, or the one its base URL names. Read without a key."""
    from gpt_is_you.providers.connection import AZURE, COMPATIBLE, named, service_of

    kind = service_of(backend).kind
    if kind == AZURE:
        return PROFILES["azure"]
    if kind != COMPATIBLE:
        return PROFILES["openai"]
    section = named()[backend]
    if "profile" not in section:
        return guess(section.get("base_url", ""))
    try:
        return profile(section["profile"])
    except ProviderError as e:
        raise ProviderError(
            f"the connection {backend!r}: {e}; set it with `gpt-is-you connect {backend} "
            "--profile P`",
            app=f"the connection {backend!r}: {e}; set it with the command line's connect",
        ) from None
