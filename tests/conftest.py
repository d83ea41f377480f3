"""What the tests share: the tiny base model, a data folder per test, the sample chat and
small chat exports, the one way to make a model and a job row in its store, and a reaper
for the training workers a test starts."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gpt_is_you import paths
from gpt_is_you.store import jobs

# Where the app finds the sample chat is where every test does: one line if it moves.
SAMPLE = paths.sample_chat()
PERSONA = "Sam Okafor"
OTHER = "Robin Hale"
SYSTEM = "You are Sam."
YO_SURE = "yo\nsure"
USER_LINES = [
    "hey",
    "how are you",
    "what about you",
    "ok fine",
    "thanks",
    "lol",
    "I'm lying here listening to the rain.",
    "you doing ok today?",
]


def _tiny(folder: Path, architecture: str, heads: int = 4) -> Path:
    """The tiny random model of tests/tiny_model.py, made able to learn quickly.

    Two changes to the random weights, both saved in the folder: the end-of-turn token
    is also the pad token, so a fresh model gives it an all-zero embedding row, and with
    tied embeddings its logit is then 0 whatever the model does (it could never learn
    to stop); and the final norm is scaled up so that a 32-wide model with embeddings of
    std 0.02 can make a confident prediction at all (else every logit stays within ±1).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tiny_model import make_tiny_model

    folder = make_tiny_model(folder, architecture=architecture, heads=heads)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        rows = model.get_input_embeddings().weight
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        rows[end] = torch.randn(rows.shape[1], generator=generator) * 0.02
        model.model.norm.weight.mul_(20)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny random Llama (``_tiny``): the base most tests train."""
    return _tiny(tmp_path_factory.mktemp("tiny") / "base", "llama")


@pytest.fixture(scope="session")
def tiny_qwen2(tmp_path_factory) -> Path:
    """A tiny random Qwen2 of the same sizes and tokenizer: a second architecture."""
    return _tiny(tmp_path_factory.mktemp("tiny-qwen2") / "base", "qwen2")


@pytest.fixture(params=["llama", "qwen2"])
def any_tiny_base(request) -> Path:
    """Each tiny architecture in turn, for the tests that must hold for any base."""
    return request.getfixturevalue("tiny_base" if request.param == "llama" else "tiny_qwen2")


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_base)


def load_tiny(folder: Path):
    from transformers import AutoModelForCausalLM

    from gpt_is_you.providers.local.base_model import quiet_transformers

    quiet_transformers()
    return AutoModelForCausalLM.from_pretrained(folder)


def yo_sure_conversations(repeat: int = 3) -> list[list[dict[str, object]]]:
    """Conversations in which the persona always answers "yo\\nsure"."""
    return [
        [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": line},
            {"role": "assistant", "content": YO_SURE},
        ]
        for line in USER_LINES[:6] * repeat
    ]


class Recorder:
    """A training Reporter that keeps what it is told; stops when asked to."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.steps: list[tuple[int, int, dict[str, float]]] = []
        self.events: list[str] = []
        self.checkpoints: list[int] = []
        self.phases: list[tuple[str, int, int | None]] = []  # (phase, done, of)
        self.stop_at = stop_at

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> None:
        self.steps.append((step, total, dict(metrics)))

    def phase(self, name: str, steps: int, done: int = 0, total: int | None = None) -> None:
        self.phases.append((name, done, total))

    def event(self, message: str) -> None:
        self.events.append(message)

    def checkpoint(self, step: int) -> None:
        self.checkpoints.append(step)

    def should_stop(self) -> bool:
        return self.stop_at is not None and bool(self.steps) and self.steps[-1][0] >= self.stop_at

    def series(self, name: str) -> list[tuple[int, float]]:
        return [(step, m[name]) for step, _, m in self.steps if name in m]


@pytest.fixture(scope="session")
def yo_sure_run(tiny_base, tiny_tokenizer, tmp_path_factory):
    """The tiny model trained in this process until it answers "yo\\nsure" (~90 steps)."""
    from gpt_is_you.providers.local.train import train
    from gpt_is_you.providers.settings import TrainSettings

    folder = tmp_path_factory.mktemp("yo-sure")
    settings = TrainSettings(
        base=str(tiny_base),
        epochs=30,
        lr=1e-2,
        max_seq_len=256,
        batch_tokens=256,
        eval_every=10,
        checkpoint_every=40,
        threads=1,
        device="cpu",
        precision="float32",  # whatever this CPU is faster in: the tests see the same numbers
    )
    conversations = yo_sure_conversations()
    reporter = Recorder()
    result = train(
        settings,
        conversations,
        conversations[:3],
        folder,
        reporter,
        model=load_tiny(tiny_base),
        tokenizer=tiny_tokenizer,
    )
    return folder, reporter, result


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A data folder of the test's own, and a config folder (key map, connections) too."""
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GPT_IS_YOU_CONFIG", str(tmp_path / "config"))
    return tmp_path / "home"


def write_export(path: Path, sessions: int) -> Path:
    """A WhatsApp export: ``sessions`` short sessions hours apart, Robin then Sam."""
    start = datetime(2024, 1, 13, 9, 0, 0)
    lines = []
    for i in range(sessions):
        t = start + timedelta(hours=6 * i)
        said = [
            (t, OTHER, USER_LINES[i % len(USER_LINES)]),
            (t + timedelta(minutes=1), PERSONA, "yo"),
            (t + timedelta(minutes=1, seconds=20), PERSONA, "sure"),
        ]
        if i % 3 == 0:
            said.append((t + timedelta(minutes=2), OTHER, "ok cool"))
            said.append((t + timedelta(minutes=3), PERSONA, "fine thanks"))
        lines += [f"[{when:%d/%m/%Y, %H:%M:%S}] {who}: {text}" for when, who, text in said]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def new_model(name: str, export: Path = SAMPLE) -> str:
    """The model ``name`` of Sam Okafor made from ``export`` (the sample chat unless told)
    in the data folder of the moment, as ``gpt-is-you new`` makes it; returns its name."""
    from gpt_is_you.dataset.prepare import prepare
    from gpt_is_you.dataset.settings import BuildSettings
    from gpt_is_you.store.new import store

    store(name, prepare(export, BuildSettings.for_target("local", persona=PERSONA)))
    return name


@pytest.fixture(scope="session")
def sample_made(tmp_path_factory) -> Path:
    """A data folder with the sample chat's model "Sam", made once a session."""
    made = tmp_path_factory.mktemp("sample-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPT_IS_YOU_HOME", str(made))
        new_model("Sam")
    return made


@pytest.fixture
def sample_home(sample_made: Path, home: Path) -> Path:
    """The test's own data folder (``home``) with a copy of the sample chat's model "Sam"."""
    shutil.copytree(sample_made, home)
    return home


@pytest.fixture
def reap_workers():
    """Register worker pids; whatever is still alive at the test's end is killed."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if pid and jobs.pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(autouse=True)
def torch_runtime(monkeypatch):
    """Chat through PyTorch, as on a GPU: converting for the fast runtime takes seconds
    per job, and the tiny models' heads are too small for it (tests/test_fast_runtime.py
    unsets this)."""
    monkeypatch.setenv("GPT_IS_YOU_RUNTIME", "torch")


@pytest.fixture(autouse=True)
def no_system_keyring(monkeypatch):
    """Tests never read or write the keyring of the machine they run on."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def snap_compare(snap_compare):
    """pytest-textual-snapshot's snap_compare, its screenshot taken with steady cursors
    (pilot_helpers.steady_cursors) after the test's own steps and key presses."""
    import inspect

    from pilot_helpers import steady_cursors

    def compare(app, *, press=(), run_before=None, **options) -> bool:
        async def steady(pilot) -> None:
            if run_before is not None:
                done = run_before(pilot)
                if inspect.isawaitable(done):
                    await done
            await pilot.press(*press)
            steady_cursors(pilot)
            await pilot.pause()

        return snap_compare(app, run_before=steady, **options)

    return compare


def add_job(
    model: str,
    state: str = jobs.QUEUED,
    *,
    pid: int | None = None,
    backend: str = "local",
    settings: dict[str, object] | None = None,
    error: str | None = None,
) -> int:
    """A job row in ``model``'s store as a worker leaves it: in ``state`` (with ``error``),
    its worker process ``pid`` (alive or not, as the test needs); returns its id. No
    training runs: what the job did is the test's to add."""
    from gpt_is_you.store.models import open_model

    with open_model(model) as db:
        job_id = jobs.create_job(db, backend=backend, base_model="default", settings=settings or {})
        if pid is not None:
            jobs.set_worker(db, job_id, pid)
        jobs.set_state(db, job_id, state, error=error)
    return job_id


def dead_pid() -> int:
    """The id of a process that has ended (a worker that died, to the store)."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    return ended.pid


@pytest.fixture
def stop_watchers():
    """Kill any job process (a remote job's watcher) a test leaves behind: the modules
    that start them use it (``pytestmark``)."""
    yield
    from gpt_is_you.store.models import open_model

    home = os.environ.get("GPT_IS_YOU_HOME")
    for db_path in Path(home).glob("models/*/model.db") if home else ():
        with open_model(db_path.parent.name) as db:
            for (pid,) in db.execute("SELECT pid FROM jobs WHERE pid IS NOT NULL"):
                if jobs.pid_alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
