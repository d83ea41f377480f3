"""A fake Hugging Face hub for the tests: a real HTTP server on 127.0.0.1 that
``huggingface_hub`` talks to unchanged (``HF_ENDPOINT``), serving models the test makes.

    with FakeHub() as hub:
        hub.add("someone/tiny", folder)              # a public model: the folder's files
        hub.add("someone/gated", folder, gated=True)  # a token that accepted it is needed
        hub.tokens["hf_fake"] = {"someone/gated"}     # a token, and what it may fetch

Routes, in the shapes ``huggingface_hub`` reads: the model's info
(``/api/models/REPO`` and ``/api/models/REPO/revision/REV``, with each file's size), and
a file (``HEAD``/``GET /REPO/resolve/REV/FILE``: ETag, X-Repo-Commit, Content-Length, and
a Range answered with 206). Refusals carry the hub's headers (X-Error-Code,
X-Error-Message): an unknown repository 404 RepoNotFound, a gated file without a token
401 GatedRepo, with a token that has not accepted its licence 403 GatedRepo, a token the
hub does not know 401 "Invalid credentials in Authorization header", an unknown revision
404 RevisionNotFound, an unknown file 404 EntryNotFound.

Faults: ``break_once[(repo, file)] = n`` sends the file's first n bytes, then closes the
connection (the network breaking midway), once. ``requests`` records every request
(method, path, Range header, the token sent) for the tests to read. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from fake_server import KeepAliveHandler, LocalServer

_INFO = re.compile(r"^/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?$")
_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_RANGE = re.compile(r"^bytes=(\d+)-$")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None
    token: str | None


@dataclass
class Repo:
    files: dict[str, bytes]
    sha: str  # the commit of "main", the one revision there is
    gated: bool = False


@dataclass
class _Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def point_hub_at(monkeypatch, url: str, hf_home: Path) -> None:
    """``huggingface_hub`` pointed at ``url`` with the Hugging Face home ``hf_home``, no
    token and online: in the environment (for the processes a test starts) and in its
    constants (read once, when it was first imported, for this process)."""
    from huggingface_hub import constants

    cache = hf_home / "hub"
    for name, value in {"HF_ENDPOINT": url, "HF_HOME": hf_home, "HF_HUB_CACHE": cache}.items():
        monkeypatch.setenv(name, str(value))
    for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "ENDPOINT": url,
        "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(cache),
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "HF_HUB_OFFLINE": False,
    }.items():
        monkeypatch.setattr(constants, name, value)


def go_offline(monkeypatch) -> None:
    """``HF_HUB_OFFLINE=1``, as a user sets it, here and in the processes a test starts."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


class FakeHub:
    """The fake hub; a context manager that starts it on a free port and stops it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, set[str]] = {}  # token -> gated repositories it accepted
        self.requests: list[Request] = []
        self.break_once: dict[tuple[str, str], int] = {}
        self.url = ""
        self._httpd: _Server | None = None

    def add(
        self,
        repo_id: str,
        folder: Path,
        *,
        gated: bool = False,
        extra: dict[str, bytes] | None = None,
    ) -> Repo:
        """Serve the files of ``folder`` (and ``extra``: other files a repository has)."""
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}
        files = {name: data for name, data in files.items() if (folder / name).is_file()}
        files |= extra or {}
        sha = hashlib.sha1(repo_id.encode()).hexdigest()
        self.repos[repo_id] = Repo(files, sha, gated)
        return self.repos[repo_id]

    def fetched(self, repo_id: str) -> list[Request]:
        """The GET requests of the repository's files, in order."""
        prefix = f"/{repo_id}/resolve/"
        return [r for r in self.requests if r.method == "GET" and r.path.startswith(prefix)]

    # -- life ----------------------------------------------------------------

    def start(self) -> FakeHub:
        self._httpd = _Server(self).serve()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
            self._httpd = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answers -------------------------------------------------------------

    def answer(self, method: str, path: str, headers: dict[str, str]) -> _Answer:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() or None
        with self.lock:
            self.requests.append(Request(method, path, headers.get("range"), token))
        if token is not None and token not in self.tokens:
            return _refusal(401, None, "Invalid credentials in Authorization header")
        if match := _INFO.match(path):
            repo_id, revision = match[1], match[2]
            repo = self.repos.get(repo_id)
            if repo is None:
                return _refusal(404, "RepoNotFound", "Repository not found")
            if revision not in (None, "main", repo.sha):
                return _refusal(404, "RevisionNotFound", "Invalid rev id: " + revision)
            return _json(_info(repo_id, repo))
        if match := _RESOLVE.match(path):
            return self._file(method, match[1], unquote(match[2]), match[3], token, headers)
        return _refusal(404, None, "Sorry, we can't find the page you are looking for.")

    def _file(self, method: str, repo_id: str, revision: str, name: str, token, headers) -> _Answer:
        repo = self.repos.get(repo_id)
        if repo is None:
            return _refusal(404, "RepoNotFound", "Repository not found")
        if revision not in ("main", repo.sha):
            return _refusal(404, "RevisionNotFound", "Invalid rev id: " + revision)
        if repo.gated and token is None:
            return _refusal(
                401,
                "GatedRepo",
                f"Access to model {repo_id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in.",
            )
        if repo.gated and repo_id not in self.tokens.get(token, set()):
            return _refusal(
                403,
                "GatedRepo",
                f"Access to model {repo_id} is restricted and you are not in the authorized "
                f"list. Visit https://huggingface.co/{repo_id} to ask for access.",
            )
        data = repo.files.get(name)
        if data is None:
            answer = _refusal(404, "EntryNotFound", f"{name} does not exist on main")
            answer.headers["X-Repo-Commit"] = repo.sha
            return answer
        common = {
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
            "X-Repo-Commit": repo.sha,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start = 0
        if method == "GET" and (ranged := _RANGE.match(headers.get("range", ""))):
            start = int(ranged[1])
            common["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        status = 206 if "Content-Range" in common else 200
        return _Answer(status, common, data[start:])


def _info(repo_id: str, repo: Repo) -> dict[str, Any]:
    def sibling(name: str, data: bytes) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "rfilename": name,
            "size": len(data),
            "blobId": hashlib.sha1(data).hexdigest(),
        }
        if name.endswith((".safetensors", ".bin")):
            entry["lfs"] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "pointerSize": 134,
            }
        return entry

    return {
        "_id": repo.sha[:24],
        "id": repo_id,
        "modelId": repo_id,
        "author": repo_id.split("/")[0],
        "sha": repo.sha,
        "lastModified": "2025-01-01T00:00:00.000Z",
        "private": False,
        "gated": "manual" if repo.gated else False,
        "disabled": False,
        "library_name": "transformers",
        "tags": ["transformers", "safetensors", "llama", "text-generation"],
        "pipeline_tag": "text-generation",
        "siblings": [sibling(name, data) for name, data in sorted(repo.files.items())],
    }


def _json(data: dict[str, Any]) -> _Answer:
    return _Answer(200, {"Content-Type": "application/json"}, json.dumps(data).encode())


def _refusal(status: int, code: str | None, message: str) -> _Answer:
    headers = {"Content-Type": "application/json", "X-Error-Message": message}
    if code is not None:
        headers["X-Error-Code"] = code
    return _Answer(status, headers, json.dumps({"error": message}).encode())


class _Server(LocalServer):
    def __init__(self, hub: FakeHub) -> None:
        self.hub = hub
        super().__init__(_Handler)


class _Handler(KeepAliveHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        hub = self.server.hub
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = hub.answer(method, path, headers)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if method == "HEAD":
            return
        match = _RESOLVE.match(path)
        key = (match[1], match[3]) if match else None
        with hub.lock:
            cut = hub.break_once.pop(key, None) if answer.status == 200 else None
        if cut is None:
            self.wfile.write(answer.body)
            return
        self.wfile.write(answer.body[:cut])  # then the network breaks
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
