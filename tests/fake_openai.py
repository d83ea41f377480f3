"""A fake OpenAI API for the tests: a real HTTP server on 127.0.0.1 that the `openai` SDK
talks to unchanged, answering with the shapes of OpenAI's published API reference.

    with FakeOpenAI() as server:
        client = openai.OpenAI(base_url=server.url, api_key=server.api_key)
        azure = openai.AzureOpenAI(
            azure_endpoint=server.azure_endpoint, api_version="2025-04-01-preview",
            api_key=server.api_key,
        )

Routes (under /v1 for OpenAI, under /openai with ``api-version`` for Azure, or under
/openai/v1 for Azure's versionless API): files, fine-tuning jobs with their events and
checkpoints, models, chat completions and legacy completions, each streamed or not.
A fine-tuning job moves one stage each time it is retrieved, so a test that polls sees
the whole life cycle in a few calls without waiting. Faults are scripted: ``fail`` (an
error status), ``drop`` (the request is carried out, then the connection closes with no
answer), ``cut_stream_after`` (a stream breaks mid-reply), ``end_stream_after`` (a stream
ends cleanly but early: no finish reason, no ``[DONE]``). docs/testing.md lists what each
behaviour imitates and where the API reference documents it.

Standard library only; one lock guards all state, so tests may read the public dicts
while the server runs (take ``server.lock`` for a consistent view).
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import string
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from fake_server import KeepAliveHandler, LocalServer

ORG_ID = "org-fake"
ORG_NAME = "fake-org"

# Snapshots the fine-tuning API accepts, and the aliases it resolves to them.
FINE_TUNABLE = (
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-1106",
    "babbage-002",
    "davinci-002",
)
ALIASES = {
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
}
# Models served by /completions only (prompt/completion), and their fine-tunes.
COMPLETION_MODELS = ("babbage-002", "davinci-002", "gpt-3.5-turbo-instruct")
BASE_MODELS = (*FINE_TUNABLE, *ALIASES, "gpt-3.5-turbo-instruct")

FILE_PURPOSES = ("fine-tune", "assistants", "batch", "vision", "user_data", "evals")
DEFAULT_REPLIES = ("hey there", "yo, all good here. you?", "haha no way\nthat's wild")

# Pieces a few characters long, as a tokenizer would cut them (whitespace kept, so that
# joining the pieces gives the text back).
_PIECES = re.compile(r"\s*\S{1,4}|\s+")
_DEPLOYMENT = re.compile(r"^/deployments/([^/]+)(/.*)$")


def pieces(text: str) -> list[str]:
    return _PIECES.findall(text)


def api_path(path: str) -> str:
    """``path`` below the API root: without /v1, /openai/v1 or /openai, and without
    Azure's /deployments/{name}, so one pattern names a route on OpenAI and Azure."""
    for prefix in ("/openai/v1/", "/v1/", "/openai/"):
        if path.startswith(prefix):
            path = path[len(prefix) - 1 :]
            break
    match = _DEPLOYMENT.match(path)
    return match.group(2) if match else path


def mask_key(key: str) -> str:
    """The key as OpenAI echoes it in a 401: its start and end, the rest starred."""
    if len(key) <= 10:
        return "*" * len(key)
    return key[:6] + "*" * (len(key) - 10) + key[-4:]


def error_body(
    status: int,
    *,
    message: str | None = None,
    code: str | None = None,
    type: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error body, ``{"error": {message, type, param, code}}``, with the
    defaults the real API uses for ``status``."""
    defaults: dict[int, tuple[str, str, str | None]] = {
        400: ("Invalid request.", "invalid_request_error", None),
        401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
        403: ("You are not allowed to sample from this model", "invalid_request_error", None),
        404: ("Not found.", "invalid_request_error", None),
        409: ("Conflict with the current state of the resource.", "invalid_request_error", None),
        429: (
            "Rate limit reached for requests. Please try again in a moment.",
            "requests",
            "rate_limit_exceeded",
        ),
        500: (
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
        502: ("Bad gateway.", "server_error", None),
        503: ("The server is overloaded or not ready yet.", "server_error", None),
    }
    if code == "insufficient_quota":
        defaults[429] = (
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        )
    default_message, default_type, default_code = defaults.get(
        status, ("Error.", "server_error" if status >= 500 else "invalid_request_error", None)
    )
    return {
        "error": {
            "message": message or default_message,
            "type": type or default_type,
            "param": param,
            "code": code if code is not None else default_code,
        }
    }


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it; ``path`` is unquoted, without the query."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def api_path(self) -> str:
        return api_path(self.path)

    def json(self) -> Any:
        return json.loads(self.body)


class ApiError(Exception):
    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, message: str, *, code: str | None = None, param: str | None = None):
    return ApiError(status, error_body(status, message=message, code=code, param=param))


@dataclass
class _Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    events: list[bytes] | None = None  # the SSE payloads of a stream
    cut_after: int | None = None  # the connection breaks before this event
    end_after: int | None = None  # the stream ends, cleanly, before this event
    drop: bool = False


@dataclass
class _Fault:
    method: str
    path: str
    times: int
    status: int | None  # None: drop the connection after doing the work
    retry_after: float | None = None
    body: dict[str, Any] | None = None

    def matches(self, method: str, path: str) -> bool:
        prefix = self.path.rstrip("/")
        return (self.method in ("*", method)) and (path == prefix or path.startswith(prefix + "/"))


@dataclass
class _Run:
    """What the server knows of a job beyond its public object."""

    fine_tuned_model: str
    fail_validation: bool
    training_bytes: int
    step: int = 0
    rows: list[dict[str, float | None]] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    api: str  # "openai", "azure" (api-version required) or "azure-v1"
    path: str  # below the API root, deployment removed
    deployment: str | None


def _target(path: str) -> _Target | None:
    if path.startswith("/v1/"):
        return _Target("openai", api_path(path), None)
    if path.startswith("/openai/v1/"):
        return _Target("azure-v1", api_path(path), None)
    if path.startswith("/openai/"):
        match = _DEPLOYMENT.match(path[len("/openai") :])
        return _Target("azure", api_path(path), match.group(1) if match else None)
    return None


class FakeOpenAI:
    """The fake server; a context manager that starts it on 127.0.0.1 (a free port) and
    stops it on exit. See the module docstring."""

    def __init__(
        self,
        *,
        api_key: str = "sk-fake-test-key-0123456789",
        steps: int = 6,
        basic_auth: tuple[str, str] | None = None,
        bases: Iterable[str] = (),
    ) -> None:
        self.api_key = api_key
        # ``bases``: chat models it fine-tunes besides OpenAI's, as an OpenAI-compatible
        # fine-tuning service offers open models (meta-llama/…).
        self.fine_tunable = (*FINE_TUNABLE, *bases)
        self.base_models = (*BASE_MODELS, *bases)
        # A server of one's own behind a proxy that asks for a user and a password (the
        # client writes them into the URL): they stand in for the key.
        self.basic_auth = basic_auth
        self.steps = steps
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}  # job id -> events, oldest first
        self.checkpoints: dict[str, list[dict[str, Any]]] = {}  # job id -> oldest first
        self.models: dict[str, dict[str, Any]] = {}
        self.replies: list[str] = list(DEFAULT_REPLIES)
        self.cut_stream_after: int | None = None
        self.end_stream_after: int | None = None
        self.fail_validation = False
        self.model_not_found_times = 0
        self.chunk_delay = 0.0  # seconds between streamed chunks
        self._runs: dict[str, _Run] = {}
        self._faults: list[_Fault] = []
        self._replies_given = 0
        self._random = random.Random(0)  # ids look random yet repeat from run to run
        self._httpd: _Server | None = None
        self.url = ""
        self.azure_endpoint = ""

    # -- life ----------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        self._httpd = _Server(self)
        port = self._httpd.server_address[1]
        self.azure_endpoint = f"http://127.0.0.1:{port}"
        self.url = self.azure_endpoint + "/v1"
        self._httpd.serve()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
            self._httpd = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -----------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``times`` requests for ``method`` (or "*") and ``path`` (a prefix,
        with or without /v1 or /openai) get ``status`` and OpenAI's error body (``body``
        replaces it whole; ``code``/``message`` change the default one). ``retry_after``
        adds Retry-After (seconds) and retry-after-ms."""
        if body is None:
            body = error_body(status, code=code, message=message)
        fault = _Fault(method.upper(), api_path(path), times, status, retry_after, body)
        with self.lock:
            self._faults.append(fault)

    def drop(self, method: str, path: str, *, times: int = 1) -> None:
        """The next ``times`` matching requests are carried out, then the connection is
        closed with no response: the client sees a network error after the server acted."""
        with self.lock:
            self._faults.append(_Fault(method.upper(), api_path(path), times, None))

    def count(self, method: str, path: str) -> int:
        """How many requests for ``method`` and exactly ``path`` (either form) came in."""
        wanted = api_path(path)
        method = method.upper()
        with self.lock:
            return sum(
                1 for r in self.requests if r.api_path == wanted and method in ("*", r.method)
            )

    def add_model(self, model_id: str) -> dict[str, Any]:
        """Make a fine-tuned model exist without running a job."""
        with self.lock:
            self.models[model_id] = {
                "id": model_id,
                "object": "model",
                "created": int(time.time()),
                "owned_by": ORG_NAME,
            }
            return self.models[model_id]

    def advance(self, job_id: str) -> dict[str, Any]:
        """Move a job one stage on, as a retrieval does; returns the job object."""
        with self.lock:
            self._advance(job_id)
            return self.jobs[job_id]

    def finish(self, job_id: str) -> dict[str, Any]:
        """Advance a job until it has ended (succeeded, failed or cancelled)."""
        with self.lock:
            while self.jobs[job_id]["status"] not in ("succeeded", "failed", "cancelled"):
                self._advance(job_id)
            return self.jobs[job_id]

    # -- dispatch --------------------------------------------------------------

    def _handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> _Reply:
        with self.lock:
            self.requests.append(Recorded(method, path, query, headers, body))
            target = _target(path)
            fault: _Fault | None = None
            try:
                if target is None:
                    raise _error(404, f"Invalid URL ({method} {path})")
                self._authorize(target, query, headers)
                fault = self._take_fault(method, target.path)
                if fault is not None and fault.status is not None:
                    return self._fault_reply(fault)
                reply = self._route(method, target, query, headers, body)
            except ApiError as err:
                reply = _json_reply(err.body, err.status, err.headers)
            reply.drop = fault is not None
            return reply

    def _authorize(self, target: _Target, query: dict[str, str], headers: dict[str, str]) -> None:
        if target.api == "openai" or (
            target.api == "azure-v1" and "authorization" in headers and "api-key" not in headers
        ):
            auth = headers.get("authorization", "")
            if self.basic_auth and auth == "Basic " + base64.b64encode(
                ":".join(self.basic_auth).encode()
            ).decode("ascii"):
                return
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                raise _error(
                    401,
                    "You didn't provide an API key. Send it in an Authorization header "
                    "using Bearer auth (Authorization: Bearer YOUR_KEY).",
                )
            key = auth[7:].strip()
            if key != self.api_key:
                raise _error(
                    401,
                    f"Incorrect API key provided: {mask_key(key)}. You can find your API "
                    "key at https://platform.openai.com/account/api-keys.",
                    code="invalid_api_key",
                )
            return
        # Azure answers in its own error shape: a string code and a message.
        if headers.get("api-key") != self.api_key:
            raise ApiError(
                401,
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription key or wrong "
                        "API endpoint. Make sure to provide a valid key for an active "
                        "subscription and use a correct regional API endpoint for your "
                        "resource.",
                    }
                },
            )
        if target.api == "azure" and not query.get("api-version"):
            raise ApiError(404, {"error": {"code": "404", "message": "Resource not found"}})

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_reply(self, fault: _Fault) -> _Reply:
        assert fault.status is not None and fault.body is not None
        headers: dict[str, str] = {}
        if fault.status == 429:
            reset = f"{fault.retry_after or 1:g}s"
            headers.update(_rate_headers(remaining=0, reset=reset))
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
            headers["retry-after-ms"] = str(round(fault.retry_after * 1000))
        return _json_reply(fault.body, fault.status, headers)

    def _route(
        self,
        method: str,
        target: _Target,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> _Reply:
        parts = target.path.strip("/").split("/")
        route = (method, *parts)
        match route:
            case ("POST", "files"):
                return _json_reply(self._upload(body, headers.get("content-type", "")))
            case ("GET", "files"):
                return _json_reply(self._list_files(query))
            case ("GET", "files", file_id):
                return _json_reply(self._file(file_id))
            case ("GET", "files", file_id, "content"):
                return self._file_content(file_id)
            case ("DELETE", "files", file_id):
                self._file(file_id)
                del self.files[file_id]
                self.contents.pop(file_id, None)
                return _json_reply({"id": file_id, "object": "file", "deleted": True})
            case ("POST", "fine_tuning", "jobs"):
                return _json_reply(self._create_job(_json(body), azure=target.api != "openai"))
            case ("GET", "fine_tuning", "jobs"):
                return _json_reply(self._list_jobs(query))
            case ("GET", "fine_tuning", "jobs", job_id):
                self._job(job_id)
                self._advance(job_id)
                return _json_reply(self.jobs[job_id])
            case ("POST", "fine_tuning", "jobs", job_id, "cancel"):
                return _json_reply(self._cancel(job_id))
            case ("GET", "fine_tuning", "jobs", job_id, "events"):
                self._job(job_id)
                return _json_reply(_page(list(reversed(self.events[job_id])), query, 20))
            case ("GET", "fine_tuning", "jobs", job_id, "checkpoints"):
                self._job(job_id)
                return _json_reply(_page(list(reversed(self.checkpoints[job_id])), query, 10))
            case ("GET", "models"):
                data = [self._model(m) for m in self.base_models] + list(self.models.values())
                return _json_reply({"object": "list", "data": data})
            case ("GET", "models", *name):
                return _json_reply(self._model("/".join(name)))
            case ("DELETE", "models", *name):
                return _json_reply(self._delete_model("/".join(name)))
            case ("POST", "chat", "completions"):
                return self._chat(target, _json(body))
            case ("POST", "completions"):
                return self._completion(target, _json(body))
        if target.api == "openai":
            raise _error(404, f"Invalid URL ({method} /v1{target.path})")
        raise ApiError(404, {"error": {"code": "404", "message": "Resource not found"}})

    # -- files -----------------------------------------------------------------

    def _new_id(self, prefix: str, length: int = 24) -> str:
        alphabet = string.ascii_letters + string.digits
        return prefix + "".join(self._random.choice(alphabet) for _ in range(length))

    def _store_file(self, filename: str, purpose: str, content: bytes) -> dict[str, Any]:
        file_id = self._new_id("file-", 22)
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
            "expires_at": None,
        }
        self.contents[file_id] = content
        return self.files[file_id]

    def _upload(self, body: bytes, content_type: str) -> dict[str, Any]:
        fields, uploads = parse_multipart(body, content_type)
        purpose = fields.get("purpose")
        if purpose not in FILE_PURPOSES:
            raise _error(
                400,
                f"'{purpose}' is not one of {list(FILE_PURPOSES)} - 'purpose'",
                param="purpose",
            )
        if "file" not in uploads:
            raise _error(400, "Missing required parameter: 'file'.", param="file")
        filename, content = uploads["file"]
        if purpose == "fine-tune" and not filename.endswith(".jsonl"):
            raise _error(
                400,
                "Invalid file format for Fine-Tuning API. Must be .jsonl",
                param="file",
            )
        return self._store_file(filename, purpose, content)

    def _file(self, file_id: str) -> dict[str, Any]:
        if file_id not in self.files:
            raise _error(404, f"No such File object: {file_id}", param="id")
        return self.files[file_id]

    def _list_files(self, query: dict[str, str]) -> dict[str, Any]:
        files = sorted(self.files.values(), key=lambda f: f["created_at"])
        if query.get("order", "desc") == "desc":
            files.reverse()
        if "purpose" in query:
            files = [f for f in files if f["purpose"] == query["purpose"]]
        return _page(files, query, 10000)

    def _file_content(self, file_id: str) -> _Reply:
        purpose = self._file(file_id)["purpose"]
        # OpenAI refuses to hand back what was uploaded for fine-tuning.
        if purpose == "fine-tune":
            raise _error(400, f"Not allowed to download files of purpose: {purpose}")
        return _Reply(body=self.contents[file_id], content_type="application/octet-stream")

    # -- fine-tuning -------------------------------------------------------------

    def _job(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.jobs:
            raise _error(404, f"Fine-tuning job {job_id} not found.", param="fine_tuning_job_id")
        return self.jobs[job_id]

    def _fine_tune_file(self, file_id: Any, param: str) -> dict[str, Any]:
        if not isinstance(file_id, str) or file_id not in self.files:
            raise _error(400, f"Invalid file ID: {file_id}", code=f"invalid_{param}", param=param)
        file = self.files[file_id]
        if file["purpose"] != "fine-tune":
            raise _error(
                400,
                f"File {file_id} has purpose '{file['purpose']}', expected 'fine-tune'.",
                code=f"invalid_{param}",
                param=param,
            )
        return file

    def _create_job(self, body: dict[str, Any], *, azure: bool) -> dict[str, Any]:
        requested = body.get("model")
        base = ALIASES.get(requested, requested)
        if isinstance(base, str) and base in self.models:  # a fine-tune fine-tuned again
            base = base.split(":")[1] if base.startswith("ft:") else base
        if base not in self.fine_tunable:
            raise _error(
                400,
                f"Model {requested} is not available for fine-tuning or does not exist.",
                code="model_not_available",
                param="model",
            )
        training = self._fine_tune_file(body.get("training_file"), "training_file")
        if body.get("validation_file") is not None:
            self._fine_tune_file(body["validation_file"], "validation_file")
        suffix = body.get("suffix")
        if suffix is not None and (not isinstance(suffix, str) or len(suffix) > 64):
            raise _error(400, "suffix must be a string of at most 64 characters.", param="suffix")
        metadata = body.get("metadata")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or len(metadata) > 16
            or not all(isinstance(v, str) for v in metadata.values())
        ):
            raise _error(400, "metadata must map at most 16 keys to strings.", param="metadata")
        method = body.get("method")
        if method is None:  # the legacy form: top-level hyperparameters
            method = {"type": "supervised", "supervised": {}}
            if body.get("hyperparameters"):
                method["supervised"]["hyperparameters"] = body["hyperparameters"]
        method = json.loads(json.dumps(method))
        kind = method.get("type")
        if kind not in ("supervised", "dpo", "reinforcement"):
            raise _error(400, f"Invalid method type: {kind}", param="method.type")
        hyper = {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"}
        hyper.update(method.setdefault(kind, {}).get("hyperparameters") or {})
        epochs = hyper["n_epochs"]
        if epochs != "auto" and (not isinstance(epochs, int) or not 1 <= epochs <= 50):
            raise _error(
                400, "n_epochs must be between 1 and 50.", param="hyperparameters.n_epochs"
            )
        method[kind]["hyperparameters"] = hyper

        job_id = self._new_id("ftjob-")
        if azure:  # Azure names a fine-tune after its base and a hex id
            model_name = f"{base}.ft-{self._random.getrandbits(128):032x}"
        else:
            tail = self._new_id("", 8)
            model_name = ":".join(["ft", base, ORG_NAME, *([suffix] if suffix else []), tail])
        seed = body.get("seed")
        self.jobs[job_id] = {
            "object": "fine_tuning.job",
            "id": job_id,
            "model": base,
            "created_at": int(time.time()),
            "finished_at": None,
            "fine_tuned_model": None,
            "organization_id": ORG_ID,
            "result_files": [],
            "status": "validating_files",
            "validation_file": body.get("validation_file"),
            "training_file": training["id"],
            "hyperparameters": dict(hyper),
            "trained_tokens": None,
            "error": None,
            "user_provided_suffix": suffix,
            "seed": seed if isinstance(seed, int) else self._random.randrange(2**31),
            "estimated_finish": None,
            "integrations": body.get("integrations") or [],
            "metadata": metadata,
            "method": method,
        }
        self.events[job_id] = []
        self.checkpoints[job_id] = []
        self._runs[job_id] = _Run(model_name, self.fail_validation, training["bytes"])
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        files = f"training file: {training['id']}"
        if body.get("validation_file"):
            files += f" and validation file: {body['validation_file']}"
        self._event(job_id, f"Validating {files}")
        return self.jobs[job_id]

    def _list_jobs(self, query: dict[str, str]) -> dict[str, Any]:
        jobs = list(reversed(self.jobs.values()))  # newest first
        if query.get("metadata") == "null":
            jobs = [j for j in jobs if not j["metadata"]]
        for key, value in query.items():
            if key.startswith("metadata[") and key.endswith("]"):
                name = key[len("metadata[") : -1]
                jobs = [j for j in jobs if (j["metadata"] or {}).get(name) == value]
        return _page(jobs, query, 20)

    def _cancel(self, job_id: str) -> dict[str, Any]:
        job = self._job(job_id)
        if job["status"] in ("succeeded", "failed", "cancelled"):
            raise _error(400, f"Job {job_id} has already ended ({job['status']}).")
        job["status"] = "cancelled"
        job["estimated_finish"] = None
        self._event(job_id, "Fine-tuning job cancelled")
        return job

    def _event(
        self,
        job_id: str,
        message: str,
        *,
        level: str = "info",
        data: dict[str, Any] | None = None,
        type: str = "message",
    ) -> None:
        self.events[job_id].append(
            {
                "object": "fine_tuning.job.event",
                "id": self._new_id("ftevent-"),
                "created_at": int(time.time()),
                "level": level,
                "message": message,
                "data": data or {},
                "type": type,
            }
        )

    def _advance(self, job_id: str) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        status = job["status"]
        if status == "validating_files" and run.fail_validation:
            job["status"] = "failed"
            job["finished_at"] = int(time.time())
            job["error"] = {
                "code": "invalid_training_file",
                "message": "The job failed due to an invalid training file. Invalid file "
                'format. Line 1, key "messages": Each line must be a JSON object with a '
                "list of messages.",
                "param": "training_file",
            }
            self._event(job_id, job["error"]["message"], level="error")
        elif status == "validating_files":
            job["status"] = "queued"
            self._event(job_id, "Files validated, moving job to queued state")
        elif status == "queued":
            job["status"] = "running"
            resolved = {"batch_size": 1, "learning_rate_multiplier": 2.0, "n_epochs": 3}
            hyper = {
                k: resolved[k] if v == "auto" else v for k, v in job["hyperparameters"].items()
            }
            job["hyperparameters"] = hyper
            kind = job["method"]["type"]
            job["method"][kind]["hyperparameters"] = dict(hyper)
            job["estimated_finish"] = int(time.time()) + 600
            self._event(job_id, "Fine-tuning job started")
        elif status == "running" and run.step < self.steps:
            last = min(self.steps, run.step + max(1, math.ceil(self.steps / 3)))
            for step in range(run.step + 1, last + 1):
                self._train_step(job_id, step)
            run.step = last
        elif status == "running":
            self._succeed(job_id)

    def _train_step(self, job_id: str, step: int) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        total = self.steps
        # Invented but plausible: the loss falls and the accuracy rises, step by step.
        row: dict[str, float | None] = {
            "train_loss": round(0.6 + 1.9 * 0.8**step, 4),
            "train_mean_token_accuracy": round(0.45 + 0.4 * (1 - 0.8**step), 4),
            "valid_loss": None,
            "valid_mean_token_accuracy": None,
        }
        message = f"Step {step}/{total}: training loss={row['train_loss']:.2f}"
        if job["validation_file"] and (step % 2 == 0 or step == total):
            row["valid_loss"] = round(0.7 + 1.9 * 0.82**step, 4)
            row["valid_mean_token_accuracy"] = round(0.42 + 0.38 * (1 - 0.82**step), 4)
            message += f", validation loss={row['valid_loss']:.2f}"
        run.rows.append(row)
        data = {"step": step, "total_steps": total}
        data.update({k: v for k, v in row.items() if v is not None})
        self._event(job_id, message, data=data, type="metrics")
        epochs = job["hyperparameters"]["n_epochs"]
        epochs = epochs if isinstance(epochs, int) else 3
        # One checkpoint at the end of each of the last three epochs, as OpenAI keeps.
        ends = {round(total * e / epochs) for e in range(max(1, epochs - 2), epochs + 1)}
        if step in ends:
            metrics = {"step": step, **{k: v for k, v in row.items() if v is not None}}
            if job["validation_file"]:
                metrics["full_valid_loss"] = round(0.72 + 1.9 * 0.82**step, 4)
                metrics["full_valid_mean_token_accuracy"] = round(0.41 + 0.38 * (1 - 0.82**step), 4)
            self.checkpoints[job_id].append(
                {
                    "object": "fine_tuning.job.checkpoint",
                    "id": self._new_id("ftckpt_"),
                    "created_at": int(time.time()),
                    "fine_tuned_model_checkpoint": f"{run.fine_tuned_model}:ckpt-step-{step}",
                    "fine_tuning_job_id": job_id,
                    "metrics": metrics,
                    "step_number": step,
                }
            )
            self._event(job_id, f"Checkpoint created at step {step}")

    def _succeed(self, job_id: str) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        lines = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
        for step, row in enumerate(run.rows, start=1):
            values = [row["train_loss"], row["train_mean_token_accuracy"]]
            values += [row["valid_loss"], row["valid_mean_token_accuracy"]]
            lines.append(",".join([str(step), *("" if v is None else str(v) for v in values)]))
        # The results file comes back base64-encoded, as OpenAI serves it.
        csv = base64.b64encode(("\n".join(lines) + "\n").encode())
        result = self._store_file("step_metrics.csv", "fine-tune-results", csv)
        self._event(job_id, "Usage policy evaluations completed, model is now enabled for sampling")
        self._event(job_id, "New fine-tuned model created")
        self._event(job_id, "The job has successfully completed")
        epochs = job["hyperparameters"]["n_epochs"]
        job.update(
            status="succeeded",
            fine_tuned_model=run.fine_tuned_model,
            finished_at=int(time.time()),
            estimated_finish=None,
            trained_tokens=max(1, run.training_bytes // 4)
            * (epochs if isinstance(epochs, int) else 3),
            result_files=[result["id"]],
        )
        self.add_model(run.fine_tuned_model)

    # -- models ------------------------------------------------------------------

    def _model(self, name: str) -> dict[str, Any]:
        if name in self.models:
            return self.models[name]
        if name in self.base_models:
            return {"id": name, "object": "model", "created": 1700000000, "owned_by": "system"}
        raise _model_not_found(name)

    def _delete_model(self, name: str) -> dict[str, Any]:
        if name in self.base_models:
            raise _error(403, f"You have insufficient permissions to delete the model {name}.")
        if name not in self.models:
            raise _model_not_found(name)
        del self.models[name]
        return {"id": name, "object": "model", "deleted": True}

    # -- generation ----------------------------------------------------------------

    def _kind(self, model: str) -> str | None:
        """'chat' or 'completion' for a model that exists here, else None."""
        if model in self.base_models:
            base = model
        elif model in self.models:
            base = model.split(":")[1] if model.startswith("ft:") else model.split(".ft-")[0]
        else:
            return None
        return "completion" if base in COMPLETION_MODELS else "chat"

    def _check_model(self, target: _Target, model: Any, kind: str) -> str:
        name = target.deployment or model
        if not isinstance(name, str) or not name:
            raise _error(400, "you must provide a model parameter", param="model")
        found = self._kind(name)
        fresh = name in self.models and self.model_not_found_times > 0
        if fresh:
            self.model_not_found_times -= 1
        if found is None or fresh:
            if target.deployment:
                raise ApiError(
                    404,
                    {
                        "error": {
                            "code": "DeploymentNotFound",
                            "message": "The API deployment for this resource does not exist. "
                            "If you created the deployment within the last 5 minutes, "
                            "please wait a moment and try again.",
                        }
                    },
                )
            raise _model_not_found(name)
        if found != kind and kind == "chat":
            raise _error(
                404,
                "This is not a chat model and thus not supported in the v1/chat/completions "
                "endpoint. Did you mean to use v1/completions?",
                param="model",
            )
        if found != kind:
            raise _error(
                404,
                "This is a chat model and not supported in the v1/completions endpoint. "
                "Did you mean to use v1/chat/completions?",
                param="model",
            )
        return name

    def _next_reply(self) -> str:
        reply = self.replies[self._replies_given % len(self.replies)]
        self._replies_given += 1
        return reply

    def _stream_reply(self, chunks: list[dict[str, Any]]) -> _Reply:
        """The chunks as a stream, cut or ended early once when that was scripted."""
        reply = _stream_reply(chunks, self.cut_stream_after, self.end_stream_after)
        self.cut_stream_after = self.end_stream_after = None
        return reply

    def _chat(self, target: _Target, body: dict[str, Any]) -> _Reply:
        model = self._check_model(target, body.get("model"), "chat")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _error(400, "'messages' must be a non-empty array.", param="messages")
        text, finish = _generate(self._next_reply(), body)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) + 4 for m in messages)
        usage = _usage(prompt_tokens, len(pieces(text)))
        head = {
            "id": self._new_id("chatcmpl-", 29),
            "created": int(time.time()),
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
        }
        if not body.get("stream"):
            message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            return _json_reply(
                {**head, "object": "chat.completion", "choices": [choice], "usage": usage},
                headers=_rate_headers(),
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        head = {**head, "object": "chat.completion.chunk"}
        if include_usage:
            head["usage"] = None

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**head, "choices": [choice]}

        chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks += [chunk({"content": piece}) for piece in pieces(text)]
        chunks.append(chunk({}, finish))
        if include_usage:
            chunks.append({**head, "choices": [], "usage": usage})
        return self._stream_reply(chunks)

    def _completion(self, target: _Target, body: dict[str, Any]) -> _Reply:
        model = self._check_model(target, body.get("model"), "completion")
        prompt = body.get("prompt")
        if isinstance(prompt, list):
            prompt = prompt[0] if prompt else ""
        if not isinstance(prompt, str):
            raise _error(400, "'prompt' must be a string or an array of strings.", param="prompt")
        # A legacy model writes on past its answer, into the next turn; only ``stop``
        # (the separator the training data ended completions with) ends it there.
        reply = self._next_reply()
        text, finish = _generate(f" {reply}###\n\n{reply}", body, natural="length")
        head = {
            "id": self._new_id("cmpl-", 29),
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake0001",
        }
        usage = _usage(len(prompt.split()), len(pieces(text)))
        if not body.get("stream"):
            choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
            return _json_reply(
                {**head, "choices": [choice], "usage": usage}, headers=_rate_headers()
            )

        def chunk(piece: str, finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"text": piece, "index": 0, "logprobs": None, "finish_reason": finish_reason}
            return {**head, "choices": [choice]}

        chunks = [chunk(piece) for piece in pieces(text)] + [chunk("", finish)]
        return self._stream_reply(chunks)


def _model_not_found(name: str) -> ApiError:
    return _error(
        404,
        f"The model `{name}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def _generate(raw: str, body: dict[str, Any], *, natural: str = "stop") -> tuple[str, str]:
    """The text a request gets from ``raw``: cut before the first ``stop`` sequence, or
    after ``max_tokens`` pieces; with the finish reason the API would give."""
    stops = body.get("stop")
    stops = [stops] if isinstance(stops, str) else list(stops or [])
    cuts = [raw.find(s) for s in stops if s and s in raw]
    if cuts:
        raw, natural = raw[: min(cuts)], "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and len(pieces(raw)) > limit:
        return "".join(pieces(raw)[:limit]), "length"
    return raw, natural


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _rate_headers(*, remaining: int = 499, reset: str = "120ms") -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": str(remaining),
        "x-ratelimit-reset-requests": reset,
        "x-ratelimit-limit-tokens": "200000",
        "x-ratelimit-remaining-tokens": str(199000 if remaining else 0),
        "x-ratelimit-reset-tokens": "300ms" if remaining else reset,
    }


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise _error(400, "We could not parse the JSON body of your request.") from None
    if not isinstance(value, dict):
        raise _error(400, "The request body must be a JSON object.")
    return value


def _json_reply(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(value).encode(), headers=dict(headers or {}))


def _stream_reply(
    chunks: list[dict[str, Any]], cut_after: int | None, end_after: int | None
) -> _Reply:
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]
    events.append(b"data: [DONE]\n\n")
    return _Reply(
        events=events,
        cut_after=cut_after,
        end_after=end_after,
        content_type="text/event-stream; charset=utf-8",
        headers=_rate_headers(),
    )


def _page(items: list[dict[str, Any]], query: dict[str, str], default_limit: int) -> dict:
    """A cursor page: the items after the one whose id is ``after``, ``limit`` of them."""
    after = query.get("after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = int(query.get("limit", default_limit))
    except ValueError:
        raise _error(400, "limit must be an integer.", param="limit") from None
    data = items[:limit]
    page: dict[str, Any] = {"object": "list", "data": data, "has_more": len(items) > limit}
    if data:
        page["first_id"], page["last_id"] = data[0]["id"], data[-1]["id"]
    return page


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """The text fields and the uploaded files (name -> (filename, bytes)) of a
    multipart/form-data body, split on its boundary (``cgi`` is gone from 3.13)."""
    header = BytesHeaderParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str):
        raise _error(400, "Expected a multipart/form-data body.")
    fields: dict[str, str] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_filename()
        if not isinstance(name, str):
            continue
        if filename is None:
            fields[name] = content.decode()
        else:
            uploads[name] = (filename, content)
    return fields, uploads


class _Server(LocalServer):
    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(_Handler)


class _Handler(KeepAliveHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_GET
    do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return body
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _serve(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake._handle(self.command, unquote(url.path), query, headers, body)
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("content-type", reply.content_type)
        self.send_header("x-request-id", "req_" + f"{random.getrandbits(96):024x}")
        self.send_header("openai-organization", ORG_NAME)
        self.send_header("openai-version", "2020-10-01")
        self.send_header("openai-processing-ms", "1")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is None:
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        self._stream(reply.events, reply.cut_after, reply.end_after)

    def _stream(
        self, events: Iterable[bytes], cut_after: int | None, end_after: int | None
    ) -> None:
        delay = self.server.fake.chunk_delay
        for index, event in enumerate(events):
            if index == cut_after:
                # Gone mid-reply: no closing chunk, so the client sees a broken body.
                self.close_connection = True
                return
            if index == end_after:
                break  # a body that ends well, but before the reply did
            if delay and index:
                time.sleep(delay)
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
