"""Bases from the Hugging Face hub: found in the standard Hugging Face cache, or
downloaded into it with ``huggingface_hub``.

The cache is the one the user's other tools share (``HF_HOME``/``HF_HUB_CACHE``, and
``HF_ENDPOINT`` for the hub); nothing of ours is written into it. Only what transformers
needs is fetched: the config, the tokenizer's files and the weights (safetensors, or
PyTorch ``.bin`` files where a model has no safetensors), never other formats. The
free space is checked first, from the sizes the hub lists. A download broken off by the
network is resumed where it stopped (``huggingface_hub`` asks for the rest with a Range
header); one stopped by Ctrl-C keeps every file already complete, and the next run
fetches the others.

A gated model needs a token: ``HF_TOKEN``, then the hub's own login (``hf auth login``),
then the one ``gpt-is-you connect huggingface`` saved (keyring or ``connections.toml``).
A token goes only to ``huggingface_hub``, never into a message, a model's store or a log.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from gpt_is_you.providers import credentials
from gpt_is_you.providers.errors import ProviderError

if TYPE_CHECKING:
    from gpt_is_you.providers.base import Progress

SECTION = "huggingface"  # the token's section in connections.toml and the keyring
HUB_PAGE = "https://huggingface.co"
CONFIG = "config.json"
# What transformers reads besides the weights: the config, the generation settings and
# the tokenizer (a fast tokenizer.json, or a slow one's vocabulary and merges).
NEEDED = (
    CONFIG,
    "generation_config.json",
    "tokenizer*",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.j*",
)
# The weights, in the order of preference: transformers loads the first kind present.
WEIGHTS = (("*.safetensors", "model.safetensors.index.json"), ("pytorch_model*.bin",))
# Weights beside transformers' that it never reads: Mistral's own single file, which
# would double the download.
NOT_WEIGHTS = "consolidated*"
TOKENIZERS = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")
GIVE_TOKEN = "give a token: set HF_TOKEN, run `hf auth login`, or `gpt-is-you connect huggingface`"
# The same in the app's words, which has no token dialog.
APP_GIVE_TOKEN = (
    "give a token (HF_TOKEN, or the hub's own login) and open gpt-is-you again, or choose "
    "another base (F3)"
)
OTHER_BASE = "choose a base on this machine (F3)"


@dataclass(frozen=True)
class Token:
    """A Hugging Face token and where it came from (for messages: never the token)."""

    source: str
    value: str = field(repr=False)


def find_token() -> Token | None:
    """The token to send: ``HF_TOKEN``, the hub's own login, or the one we saved."""
    if os.environ.get("HF_TOKEN"):
        return Token("HF_TOKEN", os.environ["HF_TOKEN"])
    from huggingface_hub import get_token

    login = get_token()
    if login:
        return Token("the Hugging Face login (hf auth login)", login)
    saved, source = credentials.saved_key(SECTION, credentials.read_config().get(SECTION, {}))
    return Token(source, saved) if saved else None


def save_token(value: str, *, use_keyring: bool) -> str:
    """Save the token ``connect huggingface`` was given; returns where it went."""
    config = credentials.read_config()
    section = dict(config.get(SECTION, {}))
    where = credentials.put_key(SECTION, section, value, use_keyring=use_keyring)
    config[SECTION] = section
    credentials.write_config(config)
    return where


def hub_cache() -> Path:
    """The standard Hugging Face cache (``HF_HUB_CACHE``, else ``HF_HOME``/hub)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE).expanduser()


def cached(repo_id: str, revision: str | None = None) -> Path | None:
    """The cached snapshot of ``repo_id`` when it holds a whole model (read from the disk
    only: works offline), else None."""
    from huggingface_hub import try_to_load_from_cache

    config = try_to_load_from_cache(repo_id, CONFIG, revision=revision)
    if not isinstance(config, str):  # None, or "known not to exist"
        return None
    folder = Path(config).parent
    return folder if _whole(folder) else None


def download(
    repo_id: str,
    *,
    revision: str | None = None,
    progress: Progress | None = None,
    token: Token | None = None,
) -> Path:
    """Fetch what transformers needs of ``repo_id`` into the Hugging Face cache; returns
    the snapshot folder. Every failure is one ``ProviderError`` line."""
    import huggingface_hub

    token = token or find_token()
    secret = token.value if token else False  # False: send none, not one found elsewhere
    try:
        # A new HfApi: the module's own was made at import, with the endpoint of then.
        info = huggingface_hub.HfApi().model_info(
            repo_id, revision=revision, files_metadata=True, token=secret
        )
        if info.gated and token is None:
            raise ProviderError(
                f"{repo_id} is gated: accept its licence at {HUB_PAGE}/{repo_id}, then "
                f"{GIVE_TOKEN}",
                app=f"{repo_id} is gated: accept its licence at {HUB_PAGE}/{repo_id}, then "
                f"{APP_GIVE_TOKEN}",
            )
        sizes = needed_files({s.rfilename: s.size or 0 for s in info.siblings or ()})
        if not sizes:
            raise ProviderError(
                f"{repo_id} has no weights transformers can load (safetensors or PyTorch "
                ".bin); choose another base"
            )
        snapshot = hub_cache() / _folder_name(repo_id) / "snapshots" / str(info.sha)
        to_fetch = {name: size for name, size in sizes.items() if not (snapshot / name).exists()}
        _check_space(repo_id, sum(to_fetch.values()))
        bar = _Counter(sum(to_fetch.values()), progress)
        # The config last: a run stopped midway leaves no config, so that the snapshot
        # does not look like a model to other tools either (transformers).
        for name in sorted(sizes, key=lambda name: name == CONFIG):
            path = huggingface_hub.hf_hub_download(
                repo_id,
                name,
                revision=revision,
                token=secret,
                tqdm_class=_bar_class(bar),
            )
        return Path(path).parent
    except ProviderError:
        raise
    except Exception as error:
        problem = _explain(error, repo_id, revision, token)
        if problem is None:
            raise
        raise problem from None


def needed_files(sizes: dict[str, int]) -> dict[str, int]:
    """Of a repository's files (name: size), the ones transformers needs: top-level only,
    the config and tokenizer, and one kind of weights (safetensors where there are);
    empty when there are no weights."""
    top = {n: s for n, s in sizes.items() if "/" not in n and not fnmatch(n, NOT_WEIGHTS)}
    for patterns in WEIGHTS:
        weights = {n: s for n, s in top.items() if any(fnmatch(n, p) for p in patterns)}
        if any(not n.endswith(".json") for n in weights):
            others = {n: s for n, s in top.items() if any(fnmatch(n, p) for p in NEEDED)}
            return others | weights
    return {}


def _whole(folder: Path) -> bool:
    """Whether a cached snapshot can be loaded: a config, a tokenizer, and the weights
    (each shard an index names). Another tool may have fetched only the config."""
    if not (folder / CONFIG).is_file() or not any((folder / n).is_file() for n in TOKENIZERS):
        return False
    for index_name, single in (
        ("model.safetensors.index.json", "model.safetensors"),
        ("pytorch_model.bin.index.json", "pytorch_model.bin"),
    ):
        if (folder / single).is_file():
            return True
        try:
            index = json.loads((folder / index_name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        shards = set(index.get("weight_map", {}).values())
        if shards and all((folder / shard).is_file() for shard in shards):
            return True
    return False


def _folder_name(repo_id: str) -> str:
    from huggingface_hub.file_download import repo_folder_name

    return repo_folder_name(repo_id=repo_id, repo_type="model")


def _check_space(repo_id: str, needed: int) -> None:
    folder = hub_cache()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the cache is made by the download: its nearest parent
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise ProviderError(
            f"not enough disk space for {repo_id}: it needs {_size(needed)} and {folder} has "
            f"{_size(free)} free; free some space, or set HF_HOME to a folder on a larger disk"
        )


class _Counter:
    """The bytes fetched across the files of one download, told to ``progress``."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def add(self, count: int) -> None:
        self.done += count  # negative when a server ignored a Range: the part is fetched again
        if self.progress is not None:
            self.progress(self.done, self.total)


class _Bar:
    """What ``huggingface_hub`` takes for a tqdm bar, made once per file: adds the bytes
    written to the download's counter. ``update_transfer`` (the bytes received, which a
    Xet download counts apart) makes the library give the two counts to one bar, of
    which only the written bytes are counted; the speed it reports is not shown."""

    counter: _Counter

    def __init__(self, *args, initial: int = 0, total: int | None = None, **kwargs) -> None:
        self.n, self.total = initial, total
        if initial:
            self.counter.add(initial)

    def update(self, count: float | None = 1) -> None:
        self.n += int(count or 0)
        self.counter.add(int(count or 0))

    def update_transfer(self, count: float | None = 1) -> None:
        pass

    def set_postfix_str(self, *args, **kwargs) -> None:
        pass

    set_transfer_postfix_str = set_postfix_str

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _bar_class(counter: _Counter) -> type[_Bar]:
    """A bar class of one download's own (the library makes the bars itself)."""
    return type("DownloadBar", (_Bar,), {"counter": counter})


def _explain(
    error: Exception, repo_id: str, revision: str | None, token: Token | None
) -> ProviderError | None:
    """``error`` as the one line a user can act on (never the token), None when it is no
    failure a user can act on (a bug: its traceback is wanted)."""
    import httpx2
    from huggingface_hub import constants, errors

    page = f"{HUB_PAGE}/{repo_id}"
    if isinstance(error, errors.OfflineModeIsEnabled) or (
        isinstance(error, errors.LocalEntryNotFoundError) and constants.is_offline_mode()
    ):
        return ProviderError(
            f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: unset it "
            "to download it, or give a model folder on this machine with --base PATH",
            app=f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: "
            f"{OTHER_BASE}",
        )
    if isinstance(error, errors.GatedRepoError):
        if token is None:
            return ProviderError(
                f"{repo_id} is gated: accept its licence at {page}, then {GIVE_TOKEN}",
                app=f"{repo_id} is gated: accept its licence at {page}, then {APP_GIVE_TOKEN}",
            )
        return ProviderError(
            f"the Hugging Face account of the token from {token.source} has no access to "
            f"{repo_id} yet: accept its licence at {page} (access may take a while to be "
            "granted), then run this again"
        )
    if isinstance(error, errors.RevisionNotFoundError):
        return ProviderError(f"{repo_id} has no revision {revision!r} on the Hugging Face hub")
    if isinstance(error, errors.RepositoryNotFoundError):
        private = "" if token else f" (a private one needs a token: {GIVE_TOKEN})"
        return ProviderError(
            f"no model {repo_id} on the Hugging Face hub: check its id{private}",
            app=f"no model {repo_id} on the Hugging Face hub: check its id",
        )
    if isinstance(error, errors.HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        if status == 401 and token is not None:
            return ProviderError(
                f"the Hugging Face hub refused the token from {token.source}: check it, or "
                "save another with `gpt-is-you connect huggingface`",
                app=f"the Hugging Face hub refused the token from {token.source}: check it",
            )
        return ProviderError(
            f"the Hugging Face hub answered {status} for {repo_id}: try again later"
        )
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return ProviderError(
            f"the disk is full: {repo_id} did not fit in {hub_cache()}; free some space and "
            "run this again (the files already fetched are kept)"
        )
    if isinstance(
        error, httpx2.ConnectError | httpx2.TimeoutException | errors.LocalEntryNotFoundError
    ):
        return ProviderError(
            f"cannot reach the Hugging Face hub ({constants.ENDPOINT}) to download {repo_id}: "
            "check the connection, or give a model folder on this machine with --base PATH",
            app=f"cannot reach the Hugging Face hub ({constants.ENDPOINT}) to download "
            f"{repo_id}: check the connection, or {OTHER_BASE}",
        )
    if isinstance(error, httpx2.HTTPError | OSError):  # broken off, or cut short
        return ProviderError(
            f"the download of {repo_id} broke off ({type(error).__name__}): run this again; "
            "the files already fetched are kept"
        )
    return None


def _size(count: int) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e8 else f"{count / 1e6:.1f} MB"
