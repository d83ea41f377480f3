"""``gpt-is-you serve``: the twin as an OpenAI-compatible server, driven by the openai SDK
as other apps drive it. The server runs in this process (uvicorn in a thread, on a free
port) with a scripted chat model; the Ctrl-C test runs the real command in a process."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest

from conftest import add_job, dead_pid
from fake_chat import ScriptedChat, pieces
from gpt_is_you import providers
from gpt_is_you.cli import main
from gpt_is_you.serving import record
from gpt_is_you.serving.run import Options, serve
from gpt_is_you.store import conversations, jobs
from gpt_is_you.store.models import find_model, open_model

MODEL = "Sam"
BACKEND = "scripted"
REPLIES = ("yo\nsure", "fine thanks", "on my way", "haha ok", "see you at 8")
LONG = " ".join(f"word{i}" for i in range(40))
SECRET = "my purple elephant secret"
TESTS = Path(__file__).parent


def wait_for(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Wait until ``condition`` holds (no fixed sleeps: a loaded machine is slow)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} (within {timeout:g} s)"
        time.sleep(0.01)


@pytest.fixture
def trained(sample_home):
    """Sam's model, trained on a backend whose replies are scripted; the backend's one
    instance is what ``providers.get`` makes, so that the test holds its replies."""
    chat = ScriptedChat(REPLIES)
    providers.register(
        BACKEND, lambda name: chat, label="scripted", service="here", hint="", remote=False
    )
    add_job(MODEL, jobs.SUCCEEDED, backend=BACKEND)
    yield chat
    providers.unregister(BACKEND)


class Served:
    """A server running in a thread: its URL, its log lines and an SDK client for it."""

    def __init__(self, url: str, server, log: list[str], token: str | None) -> None:
        self.url = url
        self.server = server
        self.log = log
        self.token = token

    def client(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key=key or self.token or "none", max_retries=0)

    def logged(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in self.log)


@contextlib.contextmanager
def serving(token: str | None = None, queue: int = 4) -> Iterator[Served]:
    log: list[str] = []
    started: list[Served] = []
    failed: list[BaseException] = []

    def told(where: record.Serving, server) -> None:
        started.append(Served(where.url, server, log, token))

    def run() -> None:
        try:
            serve(
                find_model(MODEL),
                Options("127.0.0.1", 0, token, queue),
                notice=log.append,
                log=log.append,
                serving=told,
            )
        except BaseException as e:
            failed.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(lambda: failed or (started and started[0].server.started), "the server never started")
    assert not failed, failed
    try:
        yield started[0]
    finally:
        started[0].server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "the server did not stop"
    assert not failed, failed


def post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """A request as any HTTP client sends it (no SDK): its status and JSON answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def persona() -> conversations.Persona:
    with open_model(MODEL) as db:
        return conversations.read_persona(db)


HI = [{"role": "user", "content": "hi"}]


def test_the_model_is_listed_and_answers_whole_and_streamed(trained):
    with serving() as served:
        client = served.client()
        assert [m.id for m in client.models.list()] == [MODEL]
        assert client.models.retrieve(MODEL).id == MODEL

        whole = client.chat.completions.create(model=MODEL, messages=HI)
        assert whole.choices[0].message.content == "yo\nsure"
        assert whole.choices[0].finish_reason == "stop"
        assert whole.model == MODEL

        chunks = list(client.chat.completions.create(model=MODEL, messages=HI, stream=True))
        assert chunks[0].choices[0].delta.role == "assistant"
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert text == "fine thanks"
        assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
        assert len({c.id for c in chunks}) == 1


def test_the_persona_s_system_prompt_unless_the_request_brings_its_own(trained):
    own = [{"role": "system", "content": "You are a pirate."}, *HI]
    with serving() as served:
        client = served.client()
        client.chat.completions.create(model=MODEL, messages=HI)
        client.chat.completions.create(model=MODEL, messages=own)
        # OpenAI's newer role for the system message counts as the request's own too.
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "developer", "content": "Be brief."}, *HI]
        )
    system = persona().system
    assert system
    assert [messages for _, messages, _ in trained.calls] == [
        [{"role": "system", "content": system}, *HI],
        own,
        [{"role": "system", "content": "Be brief."}, *HI],
    ]


def test_sampling_from_the_request_over_the_model_s_and_out_of_range_refused(trained):
    with serving() as served:
        client = served.client()
        client.chat.completions.create(model=MODEL, messages=HI)
        client.chat.completions.create(
            model=MODEL, messages=HI, temperature=0.3, top_p=0.5, max_tokens=20, seed=7
        )
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model=MODEL, messages=HI, temperature=9)
        assert refused.value.status_code == 400
        assert refused.value.body["message"] == "temperature must be between 0 and 2 (got 9)"
        assert refused.value.body["param"] == "temperature"
        with pytest.raises(openai.NotFoundError, match="this server serves 'Sam'"):
            client.chat.completions.create(model="gpt-4o", messages=HI)
        status, answer = post(f"{served.url}/chat/completions", b"{not json")
        assert status == 400 and answer["error"]["type"] == "invalid_request_error"
        status, answer = post(f"{served.url}/chat/completions", {"messages": [{"role": "tool"}]})
        assert status == 400 and answer["error"]["param"] == "messages[0].role"
    sampled = [s for _, _, s in trained.calls]
    assert len(sampled) == 2  # refused requests never reach the model
    assert (sampled[0].temperature, sampled[0].max_tokens, sampled[0].seed) == (0.8, 200, None)
    assert (sampled[1].temperature, sampled[1].top_p, sampled[1].max_tokens) == (0.3, 0.5, 20)
    assert sampled[1].seed == 7


def test_the_token_none_wrong_and_right(trained):
    with serving(token="s3cret-token") as served:
        status, answer = post(f"{served.url}/chat/completions", {"messages": HI})
        assert status == 401 and answer["error"]["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            served.client("wrong").models.list()
        with pytest.raises(openai.AuthenticationError):
            served.client("wrong").chat.completions.create(model=MODEL, messages=HI)
        reply = served.client().chat.completions.create(model=MODEL, messages=HI)
        assert reply.choices[0].message.content == "yo\nsure"
    assert len(trained.calls) == 1
    assert not any("s3cret" in line for line in served.log)


def test_a_full_queue_is_refused_with_429_and_retry_after(trained):
    trained.hold_after = 1  # every reply waits after its first piece until released
    answers: dict[str, str] = {}

    def ask(key: str, client: openai.OpenAI) -> None:
        reply = client.chat.completions.create(model=MODEL, messages=HI)
        answers[key] = reply.choices[0].message.content

    with serving(queue=1) as served:
        client = served.client()
        first = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        assert next(iter(first)).choices[0].delta.role == "assistant"  # it holds the model
        waiting = threading.Thread(target=ask, args=("second", client))
        waiting.start()
        wait_for(lambda: served.server.gate.waiting == 1, "the second request never queued")
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model=MODEL, messages=HI)
        assert refused.value.response.headers["retry-after"].isdigit()
        assert "busy" in refused.value.body["message"]
        trained.release.set()
        assert "".join(c.choices[0].delta.content or "" for c in first) == "yo\nsure"
        waiting.join(15)
    assert answers == {"second": "fine thanks"}
    assert served.logged(r"POST /v1/chat/completions 429 ")


def test_stopping_the_server_cuts_the_reply_and_turns_away_those_waiting(trained):
    trained.hold_after = 1
    answers: dict[str, object] = {}

    def ask(key: str, client: openai.OpenAI) -> None:
        try:
            answers[key] = client.chat.completions.create(model=MODEL, messages=HI)
        except openai.APIStatusError as e:
            answers[key] = e

    with serving(queue=2) as served:
        client = served.client()
        asking = [threading.Thread(target=ask, args=(key, client)) for key in ("first", "second")]
        asking[0].start()
        wait_for(lambda: trained.calls, "the first request never reached the model")
        asking[1].start()
        wait_for(lambda: served.server.gate.waiting == 1, "the second request never queued")
        served.server.should_exit = True
        wait_for(lambda: served.server.gate.closing, "the server never began to stop")
        trained.release.set()
        for thread in asking:
            thread.join(15)
    # Neither gets a reply that looks whole: the first was cut after a piece.
    assert {key: getattr(a, "status_code", a) for key, a in answers.items()} == {
        "first": 503,
        "second": 503,
    }
    assert trained.written == [2]


def test_concurrent_clients_each_get_a_whole_reply(trained):
    trained.delay = 0.005  # pieces come in turn, so that interleaving would show
    got: list[str] = []

    def ask(stream: bool) -> None:
        client = served.client()
        if stream:
            chunks = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
            got.append("".join(c.choices[0].delta.content or "" for c in chunks))
        else:
            reply = client.chat.completions.create(model=MODEL, messages=HI)
            got.append(reply.choices[0].message.content)

    with serving(queue=4) as served:
        clients = [threading.Thread(target=ask, args=(i % 2 == 0,)) for i in range(5)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(30)
    assert sorted(got) == sorted(REPLIES)


def test_a_client_that_leaves_mid_stream_frees_the_model(trained):
    trained.replies = [LONG, "yo\nsure"]
    trained.hold_after = 1
    with serving(queue=0) as served:
        client = served.client()
        stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        chunks = iter(stream)
        next(chunks), next(chunks)  # the role, then the first word
        stream.close()
        wait_for(lambda: served.logged(r"POST /v1/chat/completions 499 "), "the leaving unseen")
        trained.release.set()  # the model's next piece: the generation stops there
        wait_for(lambda: trained.written, "the reply's generator was never closed")
        assert trained.written[0] < len(pieces(LONG))
        reply = client.chat.completions.create(model=MODEL, messages=HI)
        assert reply.choices[0].message.content == "yo\nsure"


def test_a_model_that_fails_is_a_502_or_an_error_event_and_the_model_is_free(trained):
    from gpt_is_you.providers.errors import ProviderError

    def failing(reply: str) -> Iterator[str]:
        yield "yo"
        raise ProviderError("the service refused the key")

    trained._stream = failing
    with serving(queue=0) as served:
        client = served.client()
        with pytest.raises(openai.APIStatusError, match="refused the key") as failed:
            client.chat.completions.create(model=MODEL, messages=HI)
        assert failed.value.status_code == 502
        stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        with pytest.raises(openai.APIError, match="the model failed: the service refused"):
            list(stream)
        assert served.logged(r"POST /v1/chat/completions 502 ")


def test_the_access_log_holds_no_message_text(trained):
    trained.replies = [SECRET]
    with serving(token="tok-123") as served:
        client = served.client()
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": SECRET}])
        list(client.chat.completions.create(model=MODEL, messages=HI, stream=True))
        client.models.list()
    text = "\n".join(served.log)
    assert "purple" not in text and "tok-123" not in text
    assert served.logged(r" POST /v1/chat/completions 200 \d+\.\d\ds 4 tokens out$")
    assert served.logged(r" GET /v1/models 200 \d+\.\d\ds$")


def test_the_record_while_served_and_a_stale_one_ignored(trained, sample_home):
    folder = find_model(MODEL).folder
    (folder / record.RECORD).write_text(
        json.dumps(
            {"host": "127.0.0.1", "port": 1, "pid": dead_pid(), "started": "", "token": False}
        )
    )
    assert record.read(folder) is None  # its server died
    with serving() as served:
        shown = record.read(folder)
        assert shown is not None and shown.url == served.url and shown.pid == os.getpid()
        assert (folder / record.RECORD).stat().st_mode & 0o777 == 0o600
    assert not (folder / record.RECORD).exists()


def refusal(capsys, *argv: str) -> str:
    try:
        status = main(["serve", *argv])
    except SystemExit as e:  # argparse's own refusals
        status = e.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_the_command_s_refusals_are_one_line(trained, capsys, monkeypatch):
    monkeypatch.delenv("GPT_IS_YOU_SERVE_TOKEN", raising=False)
    assert "must be a whole number between 0 and 65,535" in refusal(
        capsys, MODEL, "--port", "70000"
    )
    assert "set a token with --token" in refusal(capsys, MODEL, "--host", "0.0.0.0")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert f"port {port} on 127.0.0.1 is in use" in refusal(capsys, MODEL, "--port", port)
    with open_model(MODEL) as db:
        db.execute("DELETE FROM jobs")
    assert "Sam is not trained yet" in refusal(capsys, MODEL)
    assert "no model named 'Nobody'" in refusal(capsys, "Nobody")
    assert trained.model is None  # no model was loaded for any of them


def test_a_second_server_of_the_same_model_is_refused(trained, capsys):
    folder = find_model(MODEL).folder
    other = {"host": "127.0.0.1", "port": 8123, "pid": os.getppid(), "started": "", "token": False}
    (folder / record.RECORD).write_text(json.dumps(other))
    line = refusal(capsys, MODEL, "--port", "0")
    assert "Sam is served already at http://127.0.0.1:8123/v1" in line
    assert trained.model is None
    assert json.loads((folder / record.RECORD).read_text()) == other  # left as it was


SCRIPT = """
import sys
from fake_chat import ScriptedChat
from gpt_is_you import providers
from gpt_is_you.cli import main
chat = ScriptedChat([" ".join(f"w{i}" for i in range(400))], delay=0.05)
providers.register("scripted", lambda name: chat, label="", service="", hint="", remote=False)
sys.exit(main(["serve", "Sam", "--port", "0"]))
"""


def test_ctrl_c_stops_the_server_and_its_reply_and_removes_the_record(trained, sample_home):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), str(TESTS)]),
        "GPT_IS_YOU_HOME": str(sample_home),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"at (http://\S+)", line).group(1)
        folder = find_model(MODEL).folder
        assert record.read(folder).pid == process.pid
        client = openai.OpenAI(base_url=url, api_key="none", max_retries=0)
        stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        chunks = iter(stream)
        next(chunks), next(chunks)  # writing: 400 pieces take 20 s
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        with pytest.raises(openai.APIError, match="shutting down"):
            list(chunks)
        assert process.wait(15) == 0
        assert time.monotonic() - started < 10  # the reply stopped, not written to its end
    finally:
        if process.poll() is None:
            process.kill()
    _, err = process.communicate()
    assert "stopped serving Sam" in err
    assert "Traceback" not in err
    assert not (folder / record.RECORD).exists()


def test_the_models_screen_tells_the_serve_command_and_where_it_is_served(trained):
    import asyncio

    from gpt_is_you.tui.app import GptIsYouApp
    from pilot_helpers import until

    folder = find_model(MODEL).folder
    record.claim(folder, MODEL, "127.0.0.1", 8123, token=False)  # served by this process

    async def scenario() -> None:
        app = GptIsYouApp()
        async with app.run_test(size=(120, 40)) as pilot:
            line = app.screen.query_one("#serve-line")

            def says(text: str) -> bool:
                return line.display and text in str(line.render())

            assert says("served at http://127.0.0.1:8123/v1 (gpt-is-you serve Sam)")
            record.release(folder)  # the list is read again every 2 s
            await until(pilot, lambda: says("gpt-is-you serve Sam serves it to other apps"))
            with open_model(MODEL) as db:
                db.execute("UPDATE jobs SET state = ?", (jobs.FAILED,))
            await until(pilot, lambda: not line.display, what="an untrained model's line shown")

    asyncio.run(scenario())
