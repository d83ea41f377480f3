"""The fake OpenAI server (tests/fake_openai.py) driven by the real `openai` SDK: if the
SDK parses every answer into its own types, the shapes are the API reference's."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import openai
import pytest

from fake_openai import FakeOpenAI, api_path, mask_key, parse_multipart, pieces

CHAT = "gpt-4.1-mini-2025-04-14"
LEGACY_FT = "ft:babbage-002:fake-org:sam:Ab12Cd34"
TRAIN = (
    '{"messages": [{"role": "user", "content": "hey"}, '
    '{"role": "assistant", "content": "yo\\nsure 🙂"}]}\r\n'
    '{"messages": [{"role": "user", "content": "ça va ?"}, '
    '{"role": "assistant", "content": "ouais"}]}\n'
).encode()
VALID = (
    b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]}\n'
)


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


def make_client(
    server: FakeOpenAI, *, max_retries: int = 2, api_key: str | None = None, strict: bool = True
):
    return openai.OpenAI(
        base_url=server.url,
        api_key=api_key or server.api_key,
        max_retries=max_retries,
        timeout=5,
        # Strict: an answer whose shape differs from the SDK's types raises.
        _strict_response_validation=strict,
    )


@pytest.fixture
def client(server):
    with make_client(server) as sdk:
        yield sdk


def upload(client, name: str = "train.jsonl", content: bytes = TRAIN):
    return client.files.create(file=(name, content), purpose="fine-tune")


def test_whole_life_cycle(server, client):
    train, valid = upload(client), upload(client, "valid.jsonl", VALID)
    assert train.object == "file" and train.purpose == "fine-tune"
    assert train.status == "processed" and train.bytes == len(TRAIN)
    assert train.filename == "train.jsonl" and train.id.startswith("file-")
    assert server.contents[train.id] == TRAIN  # the multipart body parsed byte for byte

    job = client.fine_tuning.jobs.create(
        model=CHAT,
        training_file=train.id,
        validation_file=valid.id,
        suffix="sam",
        seed=7,
        metadata={"gpt_is_you_model": "sam-okafor"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
    )
    assert job.object == "fine_tuning.job" and job.status == "validating_files"
    assert job.seed == 7 and job.fine_tuned_model is None
    assert job.hyperparameters.n_epochs == 3 and job.hyperparameters.batch_size == "auto"

    statuses = []
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = client.fine_tuning.jobs.retrieve(job.id)
        statuses.append(job.status)
    assert statuses == ["queued", "running", "running", "running", "running", "succeeded"]
    assert job.hyperparameters.batch_size == 1  # "auto" resolved once the job ran
    assert job.fine_tuned_model.startswith(f"ft:{CHAT}:fake-org:sam:")
    assert len(job.fine_tuned_model.rsplit(":", 1)[1]) == 8
    assert job.finished_at and job.trained_tokens and len(job.result_files) == 1
    assert job.fine_tuned_model in server.models

    # Events, newest first, fetched three to a page by the SDK's paginator.
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=3))
    assert server.count("GET", f"/fine_tuning/jobs/{job.id}/events") > 2
    assert [e.id for e in events] == [e["id"] for e in reversed(server.events[job.id])]
    messages = [e.message for e in reversed(events)]
    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert messages[1] == f"Validating training file: {train.id} and validation file: {valid.id}"
    assert "Files validated, moving job to queued state" in messages
    assert "Fine-tuning job started" in messages
    assert "Checkpoint created at step 6" in messages
    assert messages[-2:] == ["New fine-tuned model created", "The job has successfully completed"]
    metrics = [e for e in reversed(events) if e.type == "metrics"]
    assert [m.data["step"] for m in metrics] == [1, 2, 3, 4, 5, 6]
    assert metrics[2].message.startswith("Step 3/6: training loss=")
    assert set(metrics[0].data) == {
        "step",
        "total_steps",
        "train_loss",
        "train_mean_token_accuracy",
    }
    assert {"valid_loss", "valid_mean_token_accuracy"} <= set(metrics[1].data)
    assert metrics[-1].data["train_loss"] < metrics[0].data["train_loss"]

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [6, 4, 2]
    assert checkpoints[0].object == "fine_tuning.job.checkpoint"
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-6"
    assert checkpoints[0].metrics.full_valid_loss is not None

    result = client.files.retrieve(job.result_files[0])
    assert result.purpose == "fine-tune-results"
    csv = base64.b64decode(client.files.content(result.id).content).decode()
    rows = csv.splitlines()
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 7 and rows[1].startswith("1,") and rows[1].endswith(",,")

    found = client.fine_tuning.jobs.list(metadata={"gpt_is_you_model": "sam-okafor"}).data
    assert [j.id for j in found] == [job.id]
    assert client.fine_tuning.jobs.list(metadata={"gpt_is_you_model": "other"}).data == []

    stream = client.chat.completions.create(
        model=job.fine_tuned_model,
        messages=[{"role": "system", "content": "You are Sam."}, {"role": "user", "content": "hi"}],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hey there"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.object == "chat.completion.chunk" for c in chunks)

    assert client.files.delete(train.id).deleted
    assert client.files.delete(valid.id).deleted
    assert [f.id for f in client.files.list(purpose="fine-tune")] == []
    deleted = client.models.delete(job.fine_tuned_model)
    assert deleted.deleted and deleted.id == job.fine_tuned_model
    assert job.fine_tuned_model not in server.models
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve(job.fine_tuned_model)
    assert caught.value.code == "model_not_found"


def test_chat_without_streaming_honours_stop_and_usage(server, client):
    server.replies = ["hello there###and more"]
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stop=["###"]
    )
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.content == "hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.completion_tokens == len(pieces("hello there"))

    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=2,
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 2
    assert chunks[-2].choices[0].finish_reason == "length"


def test_legacy_completions_end_at_the_stop_sequence(server, client):
    server.add_model(LEGACY_FT)
    done = client.completions.create(model=LEGACY_FT, prompt="hey\n\n###\n\n", stop=["###"])
    assert done.object == "text_completion"
    assert done.choices[0].text == " hey there" and done.choices[0].finish_reason == "stop"

    # Streamed completions carry "finish_reason": null until the last chunk, as the real
    # API sends them; the SDK's one type for both forms says a string, so not strict here.
    with make_client(server, strict=False) as lenient:
        streamed = lenient.completions.create(
            model=LEGACY_FT, prompt="hey\n\n###\n\n", stop="###", stream=True
        )
        chunks = list(streamed)
    assert "".join(c.choices[0].text for c in chunks) == " yo, all good here. you?"
    assert chunks[-1].choices[0].finish_reason == "stop"

    rambling = client.completions.create(model="davinci-002", prompt="hey")
    assert "###" in rambling.choices[0].text and rambling.choices[0].finish_reason == "length"

    with pytest.raises(openai.NotFoundError, match="not a chat model"):
        client.chat.completions.create(model=LEGACY_FT, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.NotFoundError, match="is a chat model"):
        client.completions.create(model=CHAT, prompt="x")
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="gpt-nope", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.code == "model_not_found"


def test_files_listing_and_refusals(server, client):
    first, second = upload(client), upload(client, "valid.jsonl", VALID)
    listed = client.files.list()
    assert {f.id for f in listed} == {first.id, second.id}
    assert client.files.retrieve(first.id).filename == "train.jsonl"
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")
    with pytest.raises(openai.NotFoundError):
        client.files.delete("file-missing")
    # OpenAI does not hand back training data, and wants JSONL for fine-tuning.
    with pytest.raises(openai.BadRequestError, match="Not allowed to download"):
        client.files.content(first.id)
    with pytest.raises(openai.BadRequestError, match="jsonl"):
        upload(client, "train.csv")


def test_job_creation_is_checked(server, client):
    train = upload(client)
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(model=CHAT, training_file="file-missing")
    assert caught.value.param == "training_file" and caught.value.code == "invalid_training_file"
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(model="gpt-5-ultra", training_file=train.id)
    assert caught.value.param == "model"
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    assert server.jobs == {}

    for model in ("gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125", "babbage-002", "gpt-4o-mini"):
        client.fine_tuning.jobs.create(model=model, training_file=train.id)
    assert [j["model"] for j in server.jobs.values()][-1] == "gpt-4o-mini-2024-07-18"


def test_legacy_hyperparameters_and_cancel(server, client):
    train = upload(client)
    job = client.fine_tuning.jobs.create(
        model="davinci-002", training_file=train.id, hyperparameters={"n_epochs": 2}
    )
    assert job.method.type == "supervised"
    assert job.method.supervised.hyperparameters.n_epochs == 2
    assert job.validation_file is None
    job = client.fine_tuning.jobs.cancel(job.id)
    assert job.status == "cancelled"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    page = client.fine_tuning.jobs.list(limit=1)
    assert [j.id for j in page.data] == [job.id] and page.has_more is False


def test_failed_validation(server, client):
    server.fail_validation = True
    job = client.fine_tuning.jobs.create(model=CHAT, training_file=upload(client).id)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed"
    assert job.error.code == "invalid_training_file" and job.error.param == "training_file"
    assert job.fine_tuned_model is None
    newest = client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    assert newest.level == "error" and newest.message == job.error.message
    assert client.fine_tuning.jobs.retrieve(job.id).status == "failed"


def test_azure_routes(server):
    azure = openai.AzureOpenAI(
        azure_endpoint=server.azure_endpoint,
        api_version="2025-04-01-preview",
        api_key=server.api_key,
        max_retries=0,
        _strict_response_validation=True,
    )
    train = azure.files.create(file=("train.jsonl", TRAIN), purpose="fine-tune")
    job = azure.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=train.id)
    job = server.finish(job.id)
    assert job["fine_tuned_model"].startswith("gpt-4o-mini-2024-07-18.ft-")
    assert azure.fine_tuning.jobs.retrieve(job["id"]).status == "succeeded"
    reply = azure.chat.completions.create(
        model=job["fine_tuned_model"], messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in reply if c.choices) == "hey there"
    assert azure.models.delete(job["fine_tuned_model"]).deleted

    for request in server.requests:
        assert request.path.startswith("/openai/")
        assert request.query["api-version"] == "2025-04-01-preview"
        assert request.headers["api-key"] == server.api_key
        assert "authorization" not in request.headers
    chat = [r for r in server.requests if r.api_path == "/chat/completions"]
    assert chat[0].path == f"/openai/deployments/{job['fine_tuned_model']}/chat/completions"
    assert server.count("POST", "/openai/fine_tuning/jobs") == 1

    with pytest.raises(openai.NotFoundError) as caught:
        azure.chat.completions.create(model="no-such", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "DeploymentNotFound"
    wrong = azure.with_options(api_key="not-the-key")
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.files.list()
    assert caught.value.code == "401"


def test_azure_wants_an_api_version(server):
    request = urllib.request.Request(
        server.azure_endpoint + "/openai/files", headers={"api-key": server.api_key}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]["message"] == "Resource not found"
    versionless = openai.OpenAI(
        base_url=server.azure_endpoint + "/openai/v1", api_key=server.api_key, max_retries=0
    )
    assert versionless.models.retrieve("gpt-4.1").id == "gpt-4.1"


def test_rate_limit_with_retry_after_is_retried(server, client):
    server.fail("POST", "/chat/completions", 429, times=2, retry_after=0.1)
    started = time.monotonic()
    reply = client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content == "hey there"
    assert time.monotonic() - started >= 0.2
    assert server.count("POST", "/v1/chat/completions") == 3
    retries = [r.headers["x-stainless-retry-count"] for r in server.requests]
    assert retries == ["0", "1", "2"]

    server.fail("POST", "/chat/completions", 429, retry_after=0.1)
    with (
        make_client(server, max_retries=0) as once,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        once.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "rate_limit_exceeded"
    headers = caught.value.response.headers
    assert headers["retry-after"] == "0.1" and headers["retry-after-ms"] == "100"
    assert headers["x-ratelimit-remaining-requests"] == "0"


def test_quota_error_keeps_its_own_code(server):
    server.fail("POST", "/fine_tuning/jobs", 429, code="insufficient_quota")
    with make_client(server, max_retries=0) as once, pytest.raises(openai.RateLimitError) as caught:
        once.fine_tuning.jobs.create(model=CHAT, training_file="file-x")
    assert caught.value.code == "insufficient_quota" and caught.value.type == "insufficient_quota"


def test_server_errors_are_retried(server, client):
    server.fail("GET", "/files", 500, times=2, retry_after=0.01)
    assert list(client.files.list()) == []
    assert server.count("GET", "/files") == 3
    server.fail("*", "/files", 503, times=3, retry_after=0.01)
    with pytest.raises(openai.InternalServerError) as caught:
        client.files.list()
    assert caught.value.status_code == 503 and caught.value.type == "server_error"


def test_wrong_key_is_not_retried_and_is_masked(server):
    wrong = "sk-wrong-key-abcdefghijklmnop1234"
    with (
        make_client(server, api_key=wrong) as bad,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        bad.files.list()
    assert len(server.requests) == 1
    assert caught.value.code == "invalid_api_key"
    assert mask_key(wrong) in caught.value.message and wrong not in caught.value.message
    assert mask_key(wrong).startswith("sk-wro") and mask_key(wrong).endswith("1234")


def test_dropped_create_still_made_the_job(server):
    with make_client(server, max_retries=0) as once:
        train = upload(once)
        server.drop("POST", "/fine_tuning/jobs")
        with pytest.raises(openai.APIConnectionError):
            once.fine_tuning.jobs.create(
                model=CHAT, training_file=train.id, metadata={"gpt_is_you_model": "sam"}
            )
        # The job exists although the client never heard of it; its metadata finds it.
        assert len(server.jobs) == 1
        found = once.fine_tuning.jobs.list(metadata={"gpt_is_you_model": "sam"}).data
        assert [j.id for j in found] == list(server.jobs)
    # The SDK, left to retry on its own, sends the create again: a second job.
    with make_client(server, max_retries=1) as retrying:
        server.drop("POST", "/fine_tuning/jobs")
        retrying.fine_tuning.jobs.create(model=CHAT, training_file=train.id)
    assert len(server.jobs) == 3


def test_stream_cut_mid_reply(server, client):
    server.replies = ["a reply long enough to be cut in the middle"]
    server.cut_stream_after = 3
    stream = client.chat.completions.create(
        model=CHAT, messages=[{"role": "user", "content": "x"}], stream=True
    )
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert received == ["", "a", " repl"]
    assert server.cut_stream_after is None
    again = client.chat.completions.create(
        model=CHAT, messages=[{"role": "user", "content": "x"}], stream=True
    )
    assert len(list(again)) == len(pieces(server.replies[0])) + 2


def test_new_model_not_found_for_a_while(server):
    model = server.add_model("ft:gpt-4o-mini-2024-07-18:fake-org:sam:Zz9Yy8Xx")["id"]
    server.model_not_found_times = 2
    with make_client(server, max_retries=0) as once:
        for _ in range(2):
            with pytest.raises(openai.NotFoundError) as caught:
                once.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "x"}]
                )
            assert caught.value.code == "model_not_found"
        reply = once.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "x"}]
        )
    assert reply.model == model


def test_helpers():
    assert api_path("/v1/fine_tuning/jobs") == "/fine_tuning/jobs"
    assert api_path("/openai/fine_tuning/jobs") == "/fine_tuning/jobs"
    assert api_path("/openai/v1/models/x") == "/models/x"
    assert api_path("/openai/deployments/d1/chat/completions") == "/chat/completions"
    text = "hey there\n\nhow's it going  "
    assert "".join(pieces(text)) == text
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nline\r\nline2\n\r\n--XyZ--\r\n"
    )
    fields, files = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert fields == {"purpose": "fine-tune"}
    assert files == {"file": ("a.jsonl", b"line\r\nline2\n")}


def test_stopping_with_an_open_connection_is_quick():
    started = time.monotonic()
    with FakeOpenAI() as fake:
        sdk = make_client(fake)
        sdk.models.list()  # leaves a keep-alive connection open
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("legacy", [False, True])
def test_stream_ended_early_but_cleanly(server, legacy):
    # The body ends well (no broken connection) but before the finish reason and [DONE]:
    # the SDK ends its iteration without an error.
    server.replies = ["a reply long enough to be ended in the middle"]
    server.end_stream_after = 3
    with make_client(server, strict=not legacy) as sdk:
        if legacy:
            server.add_model(LEGACY_FT)
            stream = sdk.completions.create(model=LEGACY_FT, prompt="x", stream=True)
        else:
            stream = sdk.chat.completions.create(
                model=CHAT, messages=[{"role": "user", "content": "x"}], stream=True
            )
        chunks = list(stream)
    assert len(chunks) == 3
    assert all(c.choices[0].finish_reason is None for c in chunks)
    assert server.end_stream_after is None  # once


def test_basic_auth_in_the_url_stands_in_for_the_key():
    with FakeOpenAI(basic_auth=("sam", "pa55word")) as fake:
        url = fake.url.replace("http://", "http://sam:pa55word@")
        with openai.OpenAI(base_url=url, api_key="none", max_retries=0) as sdk:
            assert sdk.models.retrieve("gpt-4.1").id == "gpt-4.1"
        wrong = fake.url.replace("http://", "http://sam:wrong@")
        with (
            openai.OpenAI(base_url=wrong, api_key="none", max_retries=0) as sdk,
            pytest.raises(openai.AuthenticationError),
        ):
            sdk.models.list()
