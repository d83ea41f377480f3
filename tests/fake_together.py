"""A fake Together AI API for the tests: a real HTTP server on 127.0.0.1 that the
`together` SDK (3.x) and the `openai` SDK (Together's OpenAI-compatible endpoint) talk to
unchanged, answering with the shapes of the SDK's types (generated from Together's
OpenAPI spec).

    with FakeTogether(adapter_dir=folder) as server:
        client = together.Together(base_url=server.url, api_key=server.api_key)
        chat = openai.OpenAI(base_url=server.openai_url, api_key=server.api_key)

Routes: the upload (POST /v1/files answers 302 to a PUT on this same server, then
/preprocess), files, fine-tunes with their model limits, price estimate, events,
checkpoints and metrics, the adapter's download (a tar archive, zstandard or gzip, with
Range), chat completions (streamed or not) and the model list. A job moves one stage each
time it is retrieved, so a test that polls sees the whole life cycle in a few calls.
Faults are scripted as in tests/fake_openai.py: ``fail``, ``drop``, ``cut_stream_after``,
and ``cut_download_after`` (a download breaks once after so many bytes); ``restart``
stops the server and serves again on the same port with all state kept.
docs/testing.md says which reference each route follows and what could not be confirmed.

Standard library only (``zstandard`` for the .tar.zst archive, imported when one is
made); one lock guards all state, so tests may read the public dicts while it runs.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from fake_openai import (
    ApiError,
    Recorded,
    _Fault,
    _generate,
    _json,
    _json_reply,
    _Reply,
    _stream_reply,
    _usage,
    parse_multipart,
    pieces,
)
from fake_openai import _Handler as _OpenAIHandler
from fake_server import LocalServer

USER = "fake-user"
USER_ID = "6650a1b2c3d4e5f6a7b8c9d0"
# Base models the fake fine-tunes and serves (the tiny one stands for a test's own base).
BASES = (
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
    "Qwen/Qwen2.5-7B-Instruct",
    "fake/tiny-chat",
)
DEFAULT_REPLIES = ("hey there", "yo, all good here. you?", "haha no way\nthat's wild")
FINAL = ("completed", "error", "cancelled")
# Each retrieval moves a job one stage along this path ("running" lasts ``steps`` retrievals).
STAGES = ("pending", "queued", "running", "compressing", "uploading", "completed")
ARCHIVE_TYPES = {"zst": "application/zstd", "gz": "application/x-tar"}
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def together_error(
    status: int, message: str, *, code: str | None = None, type: str = "invalid_request_error"
) -> ApiError:
    """Together's error body, ``{"error": {message, type, param, code}}``."""
    body = {"error": {"message": message, "type": type, "param": None, "code": code}}
    return ApiError(status, body)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _tail(base: str) -> str:
    return base.rsplit("/", 1)[-1]


@dataclass
class _Download(_Reply):
    cut_body_after: int | None = None  # the connection breaks after this many bytes


@dataclass
class _Run:
    """What the server knows of a job beyond its public object."""

    fail: bool
    training_bytes: int
    step: int = 0
    stage: int = 0  # index in STAGES
    archive: bytes | None = None


class FakeTogether:
    """The fake server; a context manager that starts it on 127.0.0.1 (a free port) and
    stops it on exit. See the module docstring."""

    def __init__(
        self,
        *,
        api_key: str = "tg-fake-test-key-0123456789",
        steps: int = 4,
        adapter_dir: Path | None = None,
        archive: str = "zst",
    ) -> None:
        if archive not in ARCHIVE_TYPES:
            raise ValueError(f"archive must be one of {sorted(ARCHIVE_TYPES)}")
        self.api_key = api_key
        self.steps = steps
        self.adapter_dir = adapter_dir
        self.archive = archive
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}  # job id -> oldest first
        self.checkpoints: dict[str, list[dict[str, Any]]] = {}  # job id -> oldest first
        self.metrics: dict[str, list[dict[str, float]]] = {}  # job id -> per step
        self.replies: list[str] = list(DEFAULT_REPLIES)
        self.cut_stream_after: int | None = None
        self.cut_download_after: int | None = None
        self.fail_job = False
        self.chunk_delay = 0.0  # seconds between streamed chunks
        self._uploads: dict[str, dict[str, Any]] = {}  # token -> the file registered
        self._uploaded: dict[str, dict[str, Any]] = {}  # file id -> stored, not preprocessed
        self._checksums: dict[str, str] = {}  # file id -> the checksum sent with it
        self._runs: dict[str, _Run] = {}
        self._faults: list[_Fault] = []
        self._replies_given = 0
        self._random = random.Random(0)  # ids look random yet repeat from run to run
        self._httpd: _Server | None = None
        self._port = 0
        self.url = ""
        self.openai_url = ""

    # -- life ----------------------------------------------------------------

    def start(self) -> FakeTogether:
        self._httpd = _Server(self, self._port)
        self._port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self._port}"
        self.openai_url = self.url + "/v1"
        self._httpd.serve()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
            self._httpd = None

    def restart(self) -> None:
        """A server restart: it stops (a request now fails to connect), then serves
        again on the same port with every job, file and model kept."""
        self.stop()
        self.start()

    def __enter__(self) -> FakeTogether:
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
        message: str | None = None,
        code: str | None = None,
    ) -> None:
        """The next ``times`` requests for ``method`` (or "*") and exactly ``path`` (with
        or without /v1) get ``status`` in Together's error shape; ``retry_after``
        adds Retry-After (seconds)."""
        kind = "server_error" if status >= 500 else "invalid_request_error"
        error = together_error(status, message or f"Error {status}", code=code, type=kind)
        fault = _Fault(method.upper(), _api_path(path), times, status, retry_after, error.body)
        with self.lock:
            self._faults.append(fault)

    def drop(self, method: str, path: str, *, times: int = 1) -> None:
        """The next ``times`` requests for ``method`` and exactly ``path`` are carried out,
        then the connection closes with no response: the client sees a network error
        after the server acted."""
        with self.lock:
            self._faults.append(_Fault(method.upper(), _api_path(path), times, None))

    def count(self, method: str, path: str) -> int:
        """How many requests for ``method`` and exactly ``path`` (with or without /v1)."""
        wanted, method = _api_path(path), method.upper()
        with self.lock:
            return sum(
                1
                for r in self.requests
                if _api_path(r.path) == wanted and method in ("*", r.method)
            )

    def advance(self, job_id: str) -> dict[str, Any]:
        """Move a job one stage, as a retrieval does; the job as it is now."""
        with self.lock:
            self._job(job_id)
            self._advance(job_id)
            return self.jobs[job_id]

    def finish(self, job_id: str) -> dict[str, Any]:
        """Move a job until it has ended."""
        with self.lock:
            while self._job(job_id)["status"] not in FINAL:
                self._advance(job_id)
            return self.jobs[job_id]

    def served_models(self) -> list[str]:
        """The fine-tuned models chat answers for: those of completed jobs not deleted."""
        with self.lock:
            return [
                job["model_output_name"]
                for job in self.jobs.values()
                if job["status"] == "completed"
            ]

    def leftovers(self) -> dict[str, list[str]]:
        """What still exists at the service: files, jobs and fine-tuned models."""
        with self.lock:
            return {
                "files": sorted(self.files),
                "jobs": sorted(self.jobs),
                "models": sorted(self.served_models()),
            }

    # -- dispatch ------------------------------------------------------------

    def _handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> _Reply:
        with self.lock:
            self.requests.append(Recorded(method, path, query, headers, body))
            fault = self._take_fault(method, _api_path(path))
            if fault is not None and fault.status is not None:
                return self._fault_reply(fault)
            try:
                reply = self._route(method, path, query, headers, body)
            except ApiError as error:
                reply = _json_reply(error.body, error.status, error.headers)
            reply.drop = fault is not None
            return reply

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            # The exact path, not a prefix as in the fake OpenAI server: Together's routes
            # nest (create() posts /fine-tunes/estimate-price before /fine-tunes).
            if fault.times > 0 and fault.method in ("*", method) and fault.path == path:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _fault_reply(self, fault: _Fault) -> _Reply:
        assert fault.status is not None
        headers = {}
        if fault.retry_after is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
        return _json_reply(fault.body, fault.status, headers)

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> _Reply:
        if method == "PUT" and path.startswith("/upload/"):
            # A presigned storage URL: the token is the credential, no Bearer header.
            return self._put_upload(path.removeprefix("/upload/"), body)
        if not path.startswith("/v1/"):
            raise together_error(404, f"Not found: {method} {path}")
        if headers.get("authorization") != f"Bearer {self.api_key}":
            raise together_error(
                401,
                "Invalid API key provided. You can find your API key at "
                "https://api.together.xyz/settings/api-keys.",
                code="invalid_api_key",
            )
        match (method, *path.removeprefix("/v1/").strip("/").split("/")):
            case ("POST", "files"):
                return self._register_upload(body, headers.get("content-type", ""))
            case ("GET", "files"):
                return _json_reply({"data": list(self.files.values())})
            case ("GET", "files", file_id):
                return _json_reply(self._file(file_id))
            case ("POST", "files", file_id, "preprocess"):
                return _json_reply(self._preprocess(file_id))
            case ("GET", "files", file_id, "content"):
                self._file(file_id)
                return _Reply(body=self.contents[file_id], content_type="application/octet-stream")
            case ("DELETE", "files", file_id):
                self._file(file_id)
                del self.files[file_id]
                self.contents.pop(file_id, None)
                return _json_reply({"id": file_id, "deleted": True})
            case ("GET", "fine-tunes", "models", "limits"):
                return _json_reply(_limits(self._base(query.get("model_name"))))
            case ("POST", "fine-tunes", "estimate-price"):
                return _json_reply(self._estimate(_json(body)))
            case ("POST", "fine-tunes"):
                return _json_reply(self._create_job(_json(body)))
            case ("GET", "fine-tunes"):
                return _json_reply({"data": [self._summary(j) for j in self.jobs.values()]})
            case ("GET", "fine-tunes", job_id):
                self._job(job_id)
                self._advance(job_id)
                return _json_reply(self._full(job_id))
            case ("POST", "fine-tunes", job_id, "cancel"):
                return _json_reply(self._summary(self._cancel(job_id)))
            case ("DELETE", "fine-tunes", job_id):
                return _json_reply(self._delete_job(job_id))
            case ("GET", "fine-tunes", job_id, "events"):
                self._job(job_id)
                return _json_reply({"data": self.events[job_id]})
            case ("GET", "fine-tunes", job_id, "checkpoints"):
                self._job(job_id)
                return _json_reply({"data": self.checkpoints[job_id]})
            case ("GET", "fine-tunes", job_id, "metrics"):
                return _json_reply({"metrics": self._metrics(job_id, query)})
            case ("GET", "finetune", "download"):
                return self._download(query, headers.get("range"))
            case ("POST", "chat", "completions"):
                return self._chat(_json(body))
            case ("GET", "models"):
                return _json_reply([_model_object(m) for m in (*BASES, *self.served_models())])
        raise together_error(404, f"Not found: {method} {path}")

    # -- files ---------------------------------------------------------------

    def _new_uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _register_upload(self, body: bytes, content_type: str) -> _Reply:
        fields, _ = parse_multipart(body, content_type)
        for name in ("purpose", "file_name", "file_type", "checksum"):
            if not fields.get(name):
                raise together_error(400, f"Missing required field: {name}")
        for file_id, sent in self._checksums.items():
            if sent == fields["checksum"] and file_id in self.files:
                # The SDK reads the id from the body (FileAlreadyExistsError).
                error = together_error(409, f"File already exists: {file_id}").body
                return _json_reply({**error, "file_id": file_id}, 409)
        file_id = "file-" + self._new_uuid()
        token = f"{self._random.getrandbits(96):024x}"
        self._uploads[token] = {"id": file_id, **fields}
        location = f"{self.url}/upload/{token}"
        headers = {"location": location, "x-together-file-id": file_id}
        return _Reply(302, b"", headers=headers)

    def _put_upload(self, token: str, body: bytes) -> _Reply:
        pending = self._uploads.pop(token, None)
        if pending is None:
            return _Reply(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml")
        self.contents[pending["id"]] = body
        # Stored, not yet listed: /preprocess makes it a file.
        self._uploaded[pending["id"]] = pending
        return _Reply(200, b"")

    def _preprocess(self, file_id: str) -> dict[str, Any]:
        pending = self._uploaded.pop(file_id, None)
        if pending is None:
            return self._file(file_id)
        content = self.contents[file_id]
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": pending["file_name"],
            "FileType": pending["file_type"],
            "purpose": pending["purpose"],
            "processing_status": "COMPLETED",
            "validation_report": {
                "valid": True,
                "file_id": file_id,
                "nlines": content.count(b"\n") + (not content.endswith(b"\n")),
                "dataset_format": "CONVERSATION",
            },
        }
        self._checksums[file_id] = pending["checksum"]
        return self.files[file_id]

    def _file(self, file_id: str) -> dict[str, Any]:
        if file_id not in self.files:
            raise together_error(404, f"File {file_id} not found", code="file_not_found")
        return self.files[file_id]

    # -- fine-tunes ----------------------------------------------------------

    def _base(self, model: Any) -> str:
        if model not in BASES:
            raise together_error(
                400, f"Model {model} is not supported for fine-tuning", code="invalid_model"
            )
        return model

    def _training_file(self, file_id: Any, param: str) -> dict[str, Any]:
        if not isinstance(file_id, str) or file_id not in self.files:
            raise together_error(400, f"Invalid {param}: file {file_id} not found")
        return self.files[file_id]

    def _estimate(self, body: dict[str, Any]) -> dict[str, Any]:
        self._base(body.get("model"))
        training = self._training_file(body.get("training_file"), "training_file")
        tokens = max(1, training["bytes"] // 4) * int(body.get("n_epochs") or 1)
        return {
            "estimation_available": True,
            "allowed_to_proceed": True,
            "estimated_train_token_count": tokens,
            "estimated_eval_token_count": 0,
            "estimated_total_price": round(max(tokens * 0.48e-6, 0.01), 2),
            "user_limit": 100.0,
        }

    def _create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        base = self._base(body.get("model"))
        training = self._training_file(body.get("training_file"), "training_file")
        if body.get("validation_file"):
            self._training_file(body["validation_file"], "validation_file")
        suffix = body.get("suffix")
        if suffix is not None and (not isinstance(suffix, str) or len(suffix) > 40):
            raise together_error(400, "suffix must be at most 40 characters")
        job_id = "ft-" + self._new_uuid()
        output = "-".join(
            [
                f"{USER}/{_tail(base)}",
                *([suffix] if suffix else []),
                f"{self._random.getrandbits(32):08x}",
            ]
        )
        training_type = body.get("training_type") or {
            "type": "Lora",
            "lora_r": 8,
            "lora_alpha": 16,
            "lora_dropout": 0.0,
            "lora_trainable_modules": "all-linear",
        }
        now = _now()
        # Everything the client sent is kept as sent (the hyperparameters, the seed).
        self.jobs[job_id] = {
            **body,
            "id": job_id,
            "status": "pending",
            "user_id": USER_ID,
            "owner_address": USER_ID,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "model": base,
            "model_output_name": output,
            "adapter_output_name": None,
            "training_type": training_type,
            "batch_size": 8 if body.get("batch_size") in (None, "max") else body["batch_size"],
            "total_steps": self.steps,
            "steps_completed": 0,
            "epochs_completed": 0,
            "evals_completed": 0,
            "queue_depth": 0,
            "token_count": 0,
            "param_count": 0,
            "total_price": 0,
            "trainingfile_size": training["bytes"],
            "trainingfile_numlines": training["validation_report"]["nlines"],
        }
        self.jobs[job_id].pop("wandb_key", None)  # a secret, never echoed
        self.events[job_id] = []
        self.checkpoints[job_id] = []
        self.metrics[job_id] = []
        self._runs[job_id] = _Run(self.fail_job, training["bytes"])
        self.fail_job = False
        self._event(job_id, "job_pending", "Fine tune request created")
        return self._summary(self.jobs[job_id])

    def _job(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.jobs:
            raise together_error(404, f"Fine-tune job {job_id} not found", code="not_found")
        return self.jobs[job_id]

    def _summary(self, job: dict[str, Any]) -> dict[str, Any]:
        """The truncated job of list, create and cancel: without its events."""
        return {k: v for k, v in job.items() if k != "events"}

    def _full(self, job_id: str) -> dict[str, Any]:
        return {**self.jobs[job_id], "events": list(self.events[job_id])}

    def _event(
        self, job_id: str, type: str, message: str, *, level: str = "info", **extra: Any
    ) -> None:
        event = {
            "object": "fine-tune-event",
            "created_at": _now(),
            "level": level,
            "message": message,
            "type": type,
            **extra,
        }
        self.events[job_id].append(event)

    def _advance(self, job_id: str) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        status = job["status"]
        if status in FINAL:
            return
        job["updated_at"] = _now()
        if status == "cancel_requested":
            job["status"] = "cancelled"
            self._event(job_id, "job_stopped", "Job was cancelled")
        elif status == "running" and run.step < self.steps:
            self._train_step(job_id)
        elif status == "queued" and run.fail:
            job["status"] = "error"
            self._event(
                job_id,
                "job_error",
                "Error: the training data could not be read. Please check the file format.",
                level="error",
            )
        else:
            run.stage += 1
            job["status"] = STAGES[run.stage]
            self._entered(job_id, job["status"])

    def _entered(self, job_id: str, status: str) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        if status == "queued":
            self._event(job_id, "job_start", f"Job started at {_now()}")
        elif status == "running":
            job["started_at"] = _now()
            job["param_count"] = 8_030_261_248
            job["token_count"] = max(1, run.training_bytes // 4)
            self._event(
                job_id, "model_download_complete", f"Model data downloaded for {job['model']}"
            )
            self._event(job_id, "training_start", "Training started for model " + job["model"])
            self._train_step(job_id)
        elif status == "compressing":
            self._event(job_id, "model_compressing", "Compressing output model")
        elif status == "uploading":
            self._event(job_id, "model_compression_complete", "Model compression complete")
            self._event(job_id, "model_uploading", "Uploading output model")
        elif status == "completed":
            self._complete(job_id)

    def _train_step(self, job_id: str) -> None:
        job, run = self.jobs[job_id], self._runs[job_id]
        run.step += 1
        step = run.step
        # Invented but plausible: the loss falls step by step.
        row = {"global_step": float(step), "train_loss": round(0.6 + 1.9 * 0.8**step, 4)}
        row["learning_rate"] = float(job.get("learning_rate") or 1e-5)
        if job.get("validation_file"):
            row["eval_loss"] = round(0.7 + 1.9 * 0.82**step, 4)
        self.metrics[job_id].append(row)
        job["steps_completed"] = step
        epochs = int(job.get("n_epochs") or 1)
        job["epochs_completed"] = step * epochs // self.steps
        n_checkpoints = int(job.get("n_checkpoints") or 1)
        if step < self.steps and step % max(1, self.steps // n_checkpoints) == 0:
            self._checkpoint(job_id, step, f"Intermediate checkpoint at step {step}")
            self._event(job_id, "checkpoint_save", f"Checkpoint saved at step {step}", step=step)

    def _checkpoint(self, job_id: str, step: int, label: str) -> None:
        output = self.jobs[job_id]["model_output_name"]
        self.checkpoints[job_id].append(
            {
                "checkpoint_type": label,
                "created_at": _now(),
                "path": f"s3://together-fake/finetune/{job_id}/checkpoint-{step}",
                "step": step,
                "checkpoint": "adapter",
                "object_name": f"{output}-step-{step}-adapter",
            }
        )

    def _complete(self, job_id: str) -> None:
        job = self.jobs[job_id]
        output = job["model_output_name"]
        self._checkpoint(job_id, self.steps, "Final")
        job.update(
            adapter_output_name=output + "-adapter",
            adapter_object_name=output + "-adapter",
            adapter_object_id="ml_" + self._new_uuid().replace("-", "")[:20],
            model_object_name=output,
            model_output_path=f"s3://together-fake/finetune/{job_id}/output",
            total_price=round(self.steps * 1_000_000),  # in nano-dollars, as an int
        )
        self._event(job_id, "model_upload_complete", "Model upload complete")
        self._event(job_id, "job_complete", f"Job finished at {_now()}", model_path=output)

    def _cancel(self, job_id: str) -> dict[str, Any]:
        job = self._job(job_id)
        if job["status"] in FINAL:
            raise together_error(400, f"Job {job_id} is already {job['status']}")
        job["status"] = "cancel_requested"
        job["updated_at"] = _now()
        self._event(job_id, "cancel_requested", "Cancel requested")
        return job

    def _delete_job(self, job_id: str) -> dict[str, Any]:
        job = self._job(job_id)
        if job["status"] not in (*FINAL, "cancel_requested"):
            raise together_error(
                400, f"Job {job_id} is {job['status']}: cancel it before deleting it"
            )
        for store in (self.jobs, self.events, self.checkpoints, self.metrics, self._runs):
            del store[job_id]
        return {"message": f"Fine-tune job {job_id} deleted"}

    def _metrics(self, job_id: str, query: dict[str, str]) -> list[dict[str, float]]:
        self._job(job_id)
        low = float(query.get("global_step_from", "-inf"))
        high = float(query.get("global_step_to", "inf"))
        return [row for row in self.metrics[job_id] if low <= row["global_step"] <= high]

    # -- download --------------------------------------------------------------

    def _download(self, query: dict[str, str], range_header: str | None) -> _Reply:
        job = self._job(query.get("ft_id", ""))
        checkpoint = query.get("checkpoint")
        if checkpoint not in (None, "adapter", "merged", "model_output_path") and not query.get(
            "checkpoint_step"
        ):
            raise together_error(400, f"Invalid checkpoint type: {checkpoint}")
        if job["status"] != "completed":
            raise together_error(
                400, f"Fine-tune job {job['id']} is not completed (status: {job['status']})"
            )
        run = self._runs[job["id"]]
        if run.archive is None:
            run.archive = self._archive()
        data, total = run.archive, len(run.archive)
        headers = {"accept-ranges": "bytes"}
        status = 200
        if range_header:
            match = _RANGE.match(range_header.strip())
            if match is None or int(match.group(1)) >= total:
                headers["content-range"] = f"bytes */{total}"
                return _Reply(416, b"", "text/plain", headers)
            start = int(match.group(1))
            end = min(int(match.group(2) or total - 1), total - 1)
            data, status = data[start : end + 1], 206
            headers["content-range"] = f"bytes {start}-{end}/{total}"
        headers["content-disposition"] = f'attachment; filename="{_tail(job["model_output_name"])}"'
        cut = self.cut_download_after
        if cut is not None and cut < len(data):
            self.cut_download_after = None  # it breaks once, in a body long enough
        else:
            cut = None
        return _Download(status, data, ARCHIVE_TYPES[self.archive], headers, cut_body_after=cut)

    def _archive(self) -> bytes:
        """A tar of ``adapter_dir``'s files at its root, the same bytes every time it is
        made (no times, no owners), compressed as ``archive`` says."""
        tar_bytes = io.BytesIO()
        with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
            folder = self.adapter_dir
            for path in sorted(folder.rglob("*")) if folder else []:
                if path.is_file():
                    info = tarfile.TarInfo(path.relative_to(folder).as_posix())
                    info.size, info.mode = path.stat().st_size, 0o644
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
        raw = tar_bytes.getvalue()
        if self.archive == "gz":
            return gzip.compress(raw, mtime=0)
        import zstandard

        return zstandard.ZstdCompressor().compress(raw)

    # -- chat ------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> _Reply:
        model = body.get("model")
        if model not in BASES and model not in self.served_models():
            raise together_error(
                404,
                f"Unable to access model {model}. Please visit https://api.together.ai/models "
                "to view the list of supported models.",
                code="model_not_available",
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise together_error(400, "messages must be a non-empty list")
        reply = self.replies[self._replies_given % len(self.replies)]
        self._replies_given += 1
        text, finish = _generate(reply, body)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) + 4 for m in messages)
        usage = _usage(prompt_tokens, len(pieces(text)))
        head = {
            "id": f"{self._random.getrandbits(64):016x}",
            "created": int(time.time()),
            "model": model,
        }
        if not body.get("stream"):
            message = {"role": "assistant", "content": text, "tool_calls": []}
            choice = {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish,
                "seed": 0,
            }
            return _json_reply(
                {
                    **head,
                    "object": "chat.completion",
                    "prompt": [],
                    "choices": [choice],
                    "usage": usage,
                }
            )
        head["object"] = "chat.completion.chunk"

        def chunk(piece: str, finish_reason: str | None = None, **more: Any) -> dict[str, Any]:
            # Together's delta always names the role, and each choice carries its text.
            delta = {"role": "assistant", "content": piece, "token_id": 0, "tool_calls": None}
            choice = {
                "index": 0,
                "text": piece,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish_reason,
                "seed": None,
            }
            return {**head, "choices": [choice], "usage": None, **more}

        chunks = [chunk(piece) for piece in pieces(text)]
        chunks.append(chunk("", finish, usage=usage))
        reply_ = _stream_reply(chunks, self.cut_stream_after, None)
        self.cut_stream_after = None
        return reply_


def _api_path(path: str) -> str:
    """``path`` without /v1, so one pattern names a route either way."""
    return path.removeprefix("/v1") or "/"


def _limits(base: str) -> dict[str, Any]:
    """The fine-tuning limits of a base (types/finetune_model_limits.py)."""
    return {
        "model_name": base,
        "default_gradient_accumulation_steps": 1,
        "lora_training": {
            "default_rank": 8,
            "max_rank": 64,
            "min_batch_size": 8,
            "max_batch_size": 32,
            "max_batch_size_dpo": 16,
            "target_modules": [
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ],
        },
        "full_training": {"min_batch_size": 8, "max_batch_size": 16, "max_batch_size_dpo": 8},
        "max_learning_rate": 1.0,
        "min_learning_rate": 0.0,
        "max_num_checkpoints": 10,
        "max_num_epochs": 20,
        "max_num_evals": 100,
        "max_seq_length_sft": 8192,
        "max_seq_length_dpo": 8192,
        "min_max_seq_length": 512,
        "merge_output_lora": True,
        "supports_full_training": base != "fake/tiny-chat",
        "supports_reasoning": False,
        "supports_tools": True,
        "supports_vision": False,
    }


def _model_object(name: str) -> dict[str, Any]:
    """One entry of GET /v1/models (a bare JSON list, as Together answers)."""
    base = name in BASES
    return {
        "id": name,
        "object": "model",
        "created": 1700000000 if base else int(time.time()),
        "type": "chat",
        "display_name": _tail(name),
        "organization": name.split("/")[0] if base else USER,
        "link": f"https://huggingface.co/{name}" if base else None,
        "license": None,
        "context_length": 8192,
        "pricing": {"hourly": 0, "input": 0.18, "output": 0.18, "base": 0, "finetune": 0},
    }


class _Server(LocalServer):
    def __init__(self, fake: FakeTogether, port: int) -> None:
        self.fake = fake
        self.port = port  # 0: a free one; a restart binds the same again
        super().__init__(_Handler)

    def server_bind(self) -> None:
        self.server_address = ("127.0.0.1", self.port)
        super().server_bind()


class _Handler(_OpenAIHandler):
    """The fake OpenAI server's handler (body reading, SSE streams), with PUT for the
    upload and a body that may break after so many bytes for the download."""

    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_GET

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
        self.send_header("x-request-id", f"{random.getrandbits(64):016x}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is not None:
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            self._stream(reply.events, reply.cut_after, reply.end_after)
            return
        self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        cut = reply.cut_body_after if isinstance(reply, _Download) else None
        if cut is not None:
            self.wfile.write(reply.body[:cut])
            self.wfile.flush()
            self.close_connection = True  # short of Content-Length: a broken download
            return
        self.wfile.write(reply.body)
