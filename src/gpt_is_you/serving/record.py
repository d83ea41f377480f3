"""``serving.json``: a small record in a model's folder while ``serve`` runs, so that the
app can tell that the model is served and where. Written private (0600) once the port is
bound, removed when the server stops; a record whose process died (a server killed) is
ignored and replaced. Standard library only: the models screen reads it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from gpt_is_you.serving.errors import ServeError
from gpt_is_you.store.files import write_private
from gpt_is_you.store.jobs import now, pid_alive

RECORD = "serving.json"


@dataclass(frozen=True)
class Serving:
    host: str
    port: int
    pid: int
    started: str
    token: bool  # whether requests need the bearer token (never the token itself)

    @property
    def url(self) -> str:
        """The base URL an OpenAI client is given."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"http://{host}:{self.port}/v1"


def read(folder: Path) -> Serving | None:
    """The model in ``folder`` as it is being served now; None when it is not (no record,
    one that cannot be read, or one whose server process is gone)."""
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        serving = Serving(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(serving.pid, int) or not pid_alive(serving.pid):
        return None
    return serving


def refuse_if_served(folder: Path, name: str) -> None:
    """One server per model (each would hold the model in memory): refused while another
    process serves it."""
    serving = read(folder)
    if serving is not None and serving.pid != os.getpid():
        raise ServeError(
            f"{name} is served already at {serving.url} (process {serving.pid}): stop that "
            "one first (Ctrl-C where it runs)"
        )


def claim(folder: Path, name: str, host: str, port: int, *, token: bool) -> Serving:
    """Record that this process serves the model in ``folder`` at ``host``:``port``."""
    refuse_if_served(folder, name)
    serving = Serving(host, port, os.getpid(), now(), token)
    write_private(folder / RECORD, json.dumps(asdict(serving)))
    return serving


def release(folder: Path) -> None:
    """Remove this process's record (not another's: a second server refused at start
    must not erase the first one's)."""
    serving = read(folder)
    if serving is not None and serving.pid == os.getpid():
        (folder / RECORD).unlink(missing_ok=True)
