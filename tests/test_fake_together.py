"""The fake Together AI server (tests/fake_together.py) driven by the real `together` SDK
(and the `openai` SDK for the OpenAI-compatible chat): the SDKs run in strict mode, so an
answer whose shape differs from their types (Together's OpenAPI spec) raises."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import urllib.request
from pathlib import Path

import openai
import pytest
import together
import together.lib.resources.files as together_files
import zstandard
from together.lib import DownloadManager
from together.lib.resources.files import FileAlreadyExistsError

from fake_together import BASES, FakeTogether

BASE = "fake/tiny-chat"
TRAIN = (
    '{"messages": [{"role": "user", "content": "hey"}, '
    '{"role": "assistant", "content": "yo\\nsure 🙂"}]}\n'
    '{"messages": [{"role": "user", "content": "ça va ?"}, '
    '{"role": "assistant", "content": "ouais"}]}\n'
)
ADAPTER = {
    "adapter_config.json": b'{"peft_type": "LORA", "r": 8, "lora_alpha": 16}',
    # Bytes that do not compress, so the archive is larger than where the download breaks.
    "adapter_model.safetensors": random.Random(1).randbytes(20_000),
}


@pytest.fixture
def adapter_dir(tmp_path) -> Path:
    folder = tmp_path / "adapter"
    folder.mkdir()
    for name, content in ADAPTER.items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture
def server(adapter_dir):
    with FakeTogether(adapter_dir=adapter_dir) as fake:
        yield fake


def make_client(server: FakeTogether, *, max_retries: int = 0, api_key: str | None = None):
    return together.Together(
        base_url=server.url,
        api_key=api_key or server.api_key,
        max_retries=max_retries,
        timeout=5,
        _strict_response_validation=True,
    )


@pytest.fixture
def client(server):
    with make_client(server) as sdk:
        yield sdk


@pytest.fixture
def chat(server):
    with openai.OpenAI(
        base_url=server.openai_url,
        api_key=server.api_key,
        max_retries=0,
        timeout=5,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def upload(client, tmp_path: Path, name: str = "train.jsonl", text: str = TRAIN):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return client.files.upload(path, purpose="fine-tune", check=True)


def create(client, training_file: str, **options):
    return client.fine_tuning.create(
        training_file=training_file, model=BASE, suffix="sam", lora=True, **options
    )


def extract(archive: bytes, kind: str) -> dict[str, bytes]:
    if kind == "gz":
        raw = gzip.decompress(archive)
    else:
        raw = zstandard.ZstdDecompressor().decompress(archive)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def test_upload_is_a_redirect_a_put_and_a_preprocess(server, client, tmp_path):
    file = upload(client, tmp_path)
    assert file.id.startswith("file-") and file.object == "file"
    assert file.filename == "train.jsonl" and file.file_type == "jsonl"
    assert file.purpose == "fine-tune" and file.processing_status == "COMPLETED"
    assert server.contents[file.id] == TRAIN.encode()
    assert [(r.method, r.path.split("/")[1]) for r in server.requests] == [
        ("POST", "v1"),
        ("PUT", "upload"),
        ("POST", "v1"),
    ]
    register, put = server.requests[0], server.requests[1]
    assert b'name="checksum"' in register.body and b'name="file_type"' in register.body
    assert "authorization" not in put.headers  # a presigned URL: the key never goes there
    assert server.count("POST", f"/files/{file.id}/preprocess") == 1

    assert [f.id for f in client.files.list().data] == [file.id]
    assert client.files.retrieve(file.id).bytes == len(TRAIN.encode())
    assert client.files.content(file.id).read() == TRAIN.encode()
    # The same bytes again: 409 with the existing file's id, which the SDK hands back.
    with pytest.raises(FileAlreadyExistsError) as caught:
        client.files.upload(tmp_path / "train.jsonl", raise_if_already_exists=True)
    assert caught.value.file_id == file.id
    assert client.files.upload(tmp_path / "train.jsonl").id == file.id
    assert len(server.files) == 1

    assert client.files.delete(file.id).deleted is True
    with pytest.raises(together.NotFoundError):
        client.files.retrieve(file.id)


def test_life_cycle_events_checkpoints_and_metrics(server, client, tmp_path):
    train = upload(client, tmp_path)
    valid = upload(client, tmp_path, "valid.jsonl", TRAIN.replace("hey", "hi"))
    job = create(
        client,
        train.id,
        validation_file=valid.id,
        n_epochs=2,
        n_checkpoints=2,
        n_evals=2,
        learning_rate=2e-4,
        lora_r=16,
        random_seed=7,
    )
    # create() asked the limits and the price first, then posted the job.
    methods = [(r.method, r.path) for r in server.requests[-3:]]
    assert methods == [
        ("GET", "/v1/fine-tunes/models/limits"),
        ("POST", "/v1/fine-tunes/estimate-price"),
        ("POST", "/v1/fine-tunes"),
    ]
    assert job.id.startswith("ft-") and job.status == "pending"
    assert job.output_name.startswith("fake-user/tiny-chat-sam-")
    kept = server.jobs[job.id]
    assert (kept["n_epochs"], kept["learning_rate"], kept["random_seed"]) == (2, 2e-4, 7)
    assert kept["training_type"]["lora_r"] == 16 and kept["validation_file"] == valid.id

    statuses = []
    while job.status not in ("completed", "error", "cancelled"):
        job = client.fine_tuning.retrieve(job.id)
        statuses.append(job.status)
    assert statuses == ["queued", *["running"] * 4, "compressing", "uploading", "completed"]
    assert job.x_model_output_name.startswith("fake-user/tiny-chat-sam-")
    assert job.adapter_object_name == job.x_model_output_name + "-adapter"
    assert job.events[-1].type == "job_complete"

    events = client.fine_tuning.list_events(job.id).data
    types = [e.type for e in events]
    assert types[0] == "job_pending" and "training_start" in types
    assert types.count("checkpoint_save") == 1 and types[-1] == "job_complete"
    checkpoints = client.fine_tuning.list_checkpoints(job.id).data
    assert [(c.step, c.checkpoint_type) for c in checkpoints] == [
        (2, "Intermediate checkpoint at step 2"),
        (4, "Final"),
    ]
    metrics = client.fine_tuning.list_metrics(job.id).metrics
    assert [m["global_step"] for m in metrics] == [1, 2, 3, 4]
    assert metrics[-1]["train_loss"] < metrics[0]["train_loss"]
    assert all("eval_loss" in m for m in metrics)  # a validation file was given
    assert len(client.fine_tuning.list_metrics(job.id, global_step_from=3).metrics) == 2
    assert [j.id for j in client.fine_tuning.list().data] == [job.id]


def test_a_job_that_fails_cancel_and_delete(server, client, tmp_path):
    train = upload(client, tmp_path)
    server.fail_job = True
    failed = server.finish(create(client, train.id).id)
    assert failed["status"] == "error"
    assert server.events[failed["id"]][-1]["level"] == "error"

    job = create(client, train.id)
    server.advance(job.id)
    with pytest.raises(together.BadRequestError):
        client.fine_tuning.delete(job.id)  # still queued: cancel it first
    assert client.fine_tuning.cancel(job.id).status == "cancel_requested"
    assert client.fine_tuning.retrieve(job.id).status == "cancelled"
    with pytest.raises(together.BadRequestError):
        client.fine_tuning.cancel(job.id)
    with pytest.raises(together.BadRequestError):
        client.fine_tuning.content(ft_id=job.id, checkpoint="adapter")  # never completed

    done = create(client, train.id)
    model = server.finish(done.id)["model_output_name"]
    assert model in server.served_models()
    for job_id in (failed["id"], job.id, done.id):
        assert client.fine_tuning.delete(job_id).message
    client.files.delete(train.id)
    assert server.leftovers() == {"files": [], "jobs": [], "models": []}
    with pytest.raises(together.NotFoundError):
        client.fine_tuning.retrieve(done.id)


@pytest.fixture
def quick_retries(monkeypatch):
    """The SDK's download waits 1 s before resuming and reads 10 MB blocks: a tiny
    archive resumes only if the blocks are smaller than where it breaks."""
    monkeypatch.setattr(together_files, "DOWNLOAD_INITIAL_RETRY_DELAY", 0.01)
    monkeypatch.setattr(together_files, "DOWNLOAD_BLOCK_SIZE", 512)


def download(client, job_id: str, output: Path) -> tuple[str, int]:
    url = f"/v1/finetune/download?ft_id={job_id}&checkpoint=adapter"
    return DownloadManager(client).download(url=url, remote_name=str(output), fetch_metadata=True)


@pytest.mark.parametrize("kind", ["zst", "gz"])
def test_download_resumes_with_range_and_extracts_the_adapter(
    adapter_dir, tmp_path, quick_retries, kind
):
    with (
        FakeTogether(adapter_dir=adapter_dir, archive=kind) as server,
        make_client(server) as client,
    ):
        job = server.finish(create(client, upload(client, tmp_path).id).id)
        server.cut_download_after = 1000
        path, size = download(client, job["id"], tmp_path / "out")
        ranges = [r.headers.get("range") for r in server.requests if r.path.endswith("download")]
    # The size first (bytes=0-1), the whole, then the rest from the last whole block.
    assert ranges == ["bytes=0-1", None, "bytes=512-"]
    assert path.endswith(".tar.zst" if kind == "zst" else ".tar.gz")
    archive = Path(path).read_bytes()
    assert len(archive) == size
    assert extract(archive, kind) == ADAPTER  # the files at the archive's root


def test_sdk_download_broken_within_its_first_block_fails(server, client, tmp_path, quick_retries):
    """Not the fake's doing: the SDK resumes only once a block was written; a break
    before that re-reads the spent response, five times, and gives up."""
    job = server.finish(create(client, upload(client, tmp_path).id).id)
    server.cut_download_after = 100
    with pytest.raises(together.DownloadError):
        download(client, job["id"], tmp_path / "out")
    assert server.count("GET", "/finetune/download") == 2  # the size, then one try


def test_download_answers_ranges_and_a_bad_one(server, client, tmp_path):
    job = server.finish(create(client, upload(client, tmp_path).id).id)
    whole = client.fine_tuning.content(ft_id=job["id"], checkpoint="adapter")
    body = whole.read()
    assert whole.headers["content-type"] == "application/zstd"
    part = client.fine_tuning.with_raw_response.content(
        ft_id=job["id"], checkpoint="adapter", extra_headers={"Range": "bytes=10-19"}
    )
    assert part.status_code == 206 and part.read() == body[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(body)}"
    with pytest.raises(together.APIStatusError) as caught:
        client.fine_tuning.content(
            ft_id=job["id"], checkpoint="adapter", extra_headers={"Range": f"bytes={len(body)}-"}
        )
    assert caught.value.status_code == 416


def test_chat_streamed_and_not_through_both_sdks(server, client, chat, tmp_path):
    job = server.finish(create(client, upload(client, tmp_path).id).id)
    model = job["model_output_name"]
    answer = chat.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "hey there" and answer.usage.total_tokens
    pieces = chat.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in pieces) == "yo, all good here. you?"
    native = client.chat.completions.create(
        model=BASE, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = list(native)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "haha no way\nthat's wild"
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].usage
    assert (
        client.chat.completions.create(model=BASES[0], messages=[{"role": "user", "content": "hi"}])
        .choices[0]
        .message.content
    )

    with pytest.raises(openai.NotFoundError) as caught:
        chat.chat.completions.create(
            model="fake-user/nobody", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_available"

    server.cut_stream_after = 2
    broken = chat.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIConnectionError):
        list(broken)

    client.fine_tuning.delete(job["id"])
    with pytest.raises(openai.NotFoundError):
        chat.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


def test_models_is_a_bare_list(server, client, tmp_path, chat):
    model = server.finish(create(client, upload(client, tmp_path).id).id)["model_output_name"]
    request = urllib.request.Request(
        server.openai_url + "/models", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        listed = json.load(answer)
    assert [m["id"] for m in listed] == [*BASES, model]
    assert {m["object"] for m in listed} == {"model"}
    # The openai SDK's models.list() expects {"data": [...]}: it cannot read this one.
    with pytest.raises(openai.APIResponseValidationError):
        chat.models.list()


def test_rate_limit_server_error_and_drop(server, tmp_path):
    with make_client(server, max_retries=2) as client:
        file_id = upload(client, tmp_path).id
        server.fail("GET", "/fine-tunes", 429, retry_after=0.01)
        server.fail("GET", "/fine-tunes", 500, retry_after=0.01)
        assert client.fine_tuning.list().data == []
        assert server.count("GET", "/fine-tunes") == 3  # two refusals, then the answer

        server.fail("POST", "/v1/files", 500, times=3, retry_after=0.01)
        # The SDK's upload turns any status but 302, 401 and 409 into a bare APIStatusError.
        with pytest.raises(together.APIStatusError) as caught:
            client.files.upload(tmp_path / "train.jsonl")
        assert caught.value.status_code == 500
        assert server.count("POST", "/files") == 4  # the SDK retried the 500 twice

        # The answer to a create is lost: the job exists though the client saw an error.
        server.drop("POST", "/fine-tunes")
        with pytest.raises(together.APIConnectionError):
            client.with_options(max_retries=0).fine_tuning.create(
                training_file=file_id, model=BASE, lora=True
            )
    assert server.count("POST", "/fine-tunes") == 1
    assert len(server.jobs) == 1


def test_refused_key(server, tmp_path):
    with (
        make_client(server, api_key="tg-wrong-key-000") as client,
        pytest.raises(together.AuthenticationError) as caught,
    ):
        client.fine_tuning.list()
    assert caught.value.status_code == 401
    assert caught.value.body["error"]["code"] == "invalid_api_key"
    with (
        openai.OpenAI(base_url=server.openai_url, api_key="wrong", max_retries=0) as chat,
        pytest.raises(openai.AuthenticationError),
    ):
        chat.chat.completions.create(model=BASE, messages=[{"role": "user", "content": "hi"}])
    assert server.jobs == {} and server.count("GET", "/fine-tunes") == 1


def test_restart_keeps_the_port_and_the_state(server, client, tmp_path):
    job = create(client, upload(client, tmp_path).id)
    url = server.url
    server.stop()  # the first half of restart(): down
    with pytest.raises(together.APIConnectionError):
        client.fine_tuning.retrieve(job.id)
    server.start()
    assert server.url == url
    assert client.fine_tuning.retrieve(job.id).status == "queued"
    server.restart()
    assert server.url == url
    assert client.fine_tuning.retrieve(job.id).status == "running"
    assert [f.id for f in client.files.list().data] == list(server.files)
