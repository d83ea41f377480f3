"""The fast runtime for chat on the CPU (providers/local/fast.py, fast_chat.py): a tiny
Llama with an adapter merged and converted once to ONNX Runtime GenAI int8, replies
streamed through it with the conversation's cache kept between turns, its greedy
tokens against float32 PyTorch's, the conversion whole or not at all, and PyTorch
when the runtime is not wanted or cannot run the model (one notice saying why)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from conftest import SYSTEM, USER_LINES, _tiny
from gpt_is_you.providers.local import fast, merged
from gpt_is_you.providers.local.fast_chat import FastChat
from gpt_is_you.providers.local.generate import LocalChat
from gpt_is_you.providers.local.train import ADAPTER
from gpt_is_you.providers.settings import Sampling

pytest.importorskip("onnxruntime_genai")

GREEDY = Sampling(temperature=0, max_tokens=12)


@pytest.fixture(autouse=True)
def any_runtime(monkeypatch):
    monkeypatch.delenv(fast.RUNTIME, raising=False)


def _adapted(folder: Path, heads: int) -> tuple[Path, Path]:
    """A tiny base (32 wide: ``heads`` 2, heads of 16 values; 4, of 8) and a job folder
    holding a LoRA adapter of random weights for it: a job with its adapter only."""
    import torch
    from peft import LoraConfig, get_peft_model

    from conftest import load_tiny

    base = _tiny(folder / "base", "llama", heads=heads)
    torch.manual_seed(3)
    config = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
    get_peft_model(load_tiny(base), config).save_pretrained(folder / "job" / ADAPTER)
    return base, folder / "job"


@pytest.fixture(scope="module")
def adapted(tmp_path_factory) -> tuple[Path, Path]:
    return _adapted(tmp_path_factory.mktemp("fast"), heads=2)


@pytest.fixture(scope="module")
def converted(adapted) -> tuple[Path, Path, list[str]]:
    """The job merged and converted once, with the phases told."""
    base, job = adapted
    said: list[str] = []
    fast.prepare(job, str(base), said.append)
    return base, job, said


def _ask(*lines: str) -> list[dict[str, object]]:
    roles = ["user", "assistant"]
    turns = [{"role": roles[i % 2], "content": line} for i, line in enumerate(lines)]
    return [{"role": "system", "content": SYSTEM}, *turns]


def test_a_job_with_only_an_adapter_is_merged_then_converted_with_its_phases(converted):
    _, job, said = converted
    assert said == [merged.PREPARING, fast.CONVERTING]
    assert (job / merged.MERGED / "config.json").is_file()
    assert {"model.onnx", "genai_config.json", "tokenizer.json", "config.json"} <= {
        p.name for p in (job / fast.FOLDER).iterdir()
    }
    assert [p.name for p in job.iterdir() if p.name.startswith(".")] == []  # no half folder
    assert (job / fast.FOLDER).stat().st_mode & 0o777 == 0o700
    assert not (job / fast.FAILED).exists()


def test_the_conversion_is_done_once(converted, monkeypatch):
    base, job, _ = converted
    before = (job / fast.FOLDER / "model.onnx").stat().st_mtime_ns
    monkeypatch.setattr(fast.subprocess, "run", lambda *a, **k: pytest.fail("converted again"))
    said: list[str] = []
    chat = fast.chat_model(job, str(base), context=256, notice=said.append)
    assert isinstance(chat, FastChat)
    assert said == []  # nothing to prepare: no waiting line
    assert (job / fast.FOLDER / "model.onnx").stat().st_mtime_ns == before


def test_the_reply_streams_and_a_follow_up_reads_only_what_is_new(converted):
    _, job, _ = converted
    chat = FastChat(job / fast.FOLDER, context=256)
    first = _ask(USER_LINES[0])
    pieces = list(chat.stream(first, GREEDY))
    assert len(pieces) > 1 and all(pieces)  # token by token, as written
    reply = "".join(pieces)
    assert chat.fed == len(chat.prompt(first, GREEDY.max_tokens))  # a new conversation
    follow_up = _ask(USER_LINES[0], reply, USER_LINES[1])
    again = "".join(chat.stream(follow_up, GREEDY))
    whole = len(chat.prompt(follow_up, GREEDY.max_tokens))
    assert 0 < chat.fed < whole - len(chat.prompt(first, GREEDY.max_tokens))
    # What the cache kept changes nothing: a fresh runtime writes the same reply.
    assert again == "".join(FastChat(job / fast.FOLDER, context=256).stream(follow_up, GREEDY))
    # Another conversation shares only the system line: read from where they part.
    other = _ask(USER_LINES[2])
    assert "".join(chat.stream(other, GREEDY)) == "".join(
        FastChat(job / fast.FOLDER, context=256).stream(other, GREEDY)
    )


def test_a_reply_stopped_midway_leaves_the_runtime_ready(converted):
    _, job, _ = converted
    chat = FastChat(job / fast.FOLDER, context=256)
    stream = chat.stream(_ask(USER_LINES[3]), GREEDY)
    next(stream)
    stream.close()
    whole = "".join(FastChat(job / fast.FOLDER, context=256).stream(_ask("ok"), GREEDY))
    assert "".join(chat.stream(_ask("ok"), GREEDY)) == whole


def test_greedy_tokens_agree_with_float32_pytorch(converted):
    """At each position of float32 PyTorch's greedy reply, given the same text before it,
    the fast runtime's likeliest token is PyTorch's."""
    import torch

    _, job, _ = converted
    fast_chat = FastChat(job / fast.FOLDER, context=256)
    torch_chat = LocalChat(str(job / merged.MERGED), None, context=256, quantize=False)
    same = total = 0
    for line in USER_LINES:
        prompt = torch_chat.prompt(_ask(line), GREEDY.max_tokens)
        assert prompt == fast_chat.prompt(_ask(line), GREEDY.max_tokens)
        written = torch_chat.model.generate(
            torch.tensor([prompt]), max_new_tokens=GREEDY.max_tokens, do_sample=False
        )[0, len(prompt) :].tolist()
        for i, token in enumerate(written):
            same += int(fast_chat.logits_after(prompt + written[:i]).argmax()) == token
        total += len(written)
    assert same / total >= 0.95


def test_pytorch_when_asked_for_without_converting(adapted, monkeypatch, tmp_path):
    base, job = adapted
    copy = tmp_path / "job"
    shutil.copytree(job / ADAPTER, copy / ADAPTER)
    monkeypatch.setenv(fast.RUNTIME, "torch")
    said: list[str] = []
    chat = fast.chat_model(copy, str(base), context=256, notice=said.append)
    assert isinstance(chat, LocalChat)
    assert said == [merged.PREPARING]  # the merged copy PyTorch loads; nothing converted
    assert not (copy / fast.FOLDER).exists()


def test_a_model_the_runtime_cannot_run_falls_back_to_pytorch_once(tmp_path):
    base, job = _adapted(tmp_path, heads=4)  # heads of 8 values: converted, never run
    said: list[str] = []
    chat = fast.chat_model(job, str(base), context=256, notice=said.append)
    assert isinstance(chat, LocalChat)
    assert said[:3] == [fast.PREPARING, merged.PREPARING, fast.CONVERTING]
    assert said[3].startswith("chatting through PyTorch: the fast runtime cannot run this model")
    assert "head_size" in said[3] and len(said) == 4
    assert (job / fast.FAILED).is_file()
    said.clear()
    again = fast.chat_model(job, str(base), context=256, notice=said.append)
    assert isinstance(again, LocalChat)
    assert len(said) == 1 and said[0].startswith("chatting through PyTorch")  # not tried again
    assert "".join(chat.stream(_ask("hey"), GREEDY)) == "".join(again.stream(_ask("hey"), GREEDY))


def test_a_full_disk_refuses_the_conversion_and_chat_goes_on_with_pytorch(
    converted, monkeypatch, tmp_path
):
    base, job, _ = converted
    copy = tmp_path / "job"
    shutil.copytree(job / ADAPTER, copy / ADAPTER)
    shutil.copytree(job / merged.MERGED, copy / merged.MERGED)
    monkeypatch.setattr(fast.shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(9, 9, 1))
    said: list[str] = []
    chat = fast.chat_model(copy, str(base), context=256, notice=said.append)
    assert isinstance(chat, LocalChat)
    assert said[-1].startswith("chatting through PyTorch") and "free" in said[-1]
    assert sorted(p.name for p in copy.iterdir()) == [ADAPTER, merged.MERGED]  # nothing half
    with pytest.raises(OSError) as refused:
        fast.prepare(copy, str(base))
    assert refused.value.errno == errno.ENOSPC
    assert not (copy / fast.FAILED).exists()  # a full disk is not the model's fault


def test_a_conversion_killed_midway_leaves_no_folder_and_is_done_again(
    converted, monkeypatch, tmp_path
):
    base, job, _ = converted
    copy = tmp_path / "job"
    shutil.copytree(job / merged.MERGED, copy / merged.MERGED)
    real_run = fast.subprocess.run

    def killed(command, **options):
        Path(command[-1]).mkdir()
        Path(command[-1], "model.onnx").write_bytes(b"half")  # what it wrote so far
        raise KeyboardInterrupt

    monkeypatch.setattr(fast.subprocess, "run", killed)
    with pytest.raises(KeyboardInterrupt):
        fast.prepare(copy, str(base))
    assert sorted(p.name for p in copy.iterdir()) == [merged.MERGED]
    # A process killed outright leaves its hidden folder: the next conversion removes it.
    from conftest import dead_pid

    abandoned = copy / f".{fast.FOLDER}-{dead_pid()}"
    abandoned.mkdir()
    monkeypatch.setattr(fast.subprocess, "run", real_run)
    fast.prepare(copy, str(base))
    assert sorted(p.name for p in copy.iterdir()) == [merged.MERGED, fast.FOLDER]
    assert isinstance(FastChat(copy / fast.FOLDER, context=256), FastChat)


def test_the_worker_converts_after_training_showing_its_phases(adapted, home, monkeypatch):
    from conftest import add_job, new_model
    from gpt_is_you.providers.local import worker
    from gpt_is_you.store import jobs
    from gpt_is_you.store.models import find_model

    base, job = adapted
    model = find_model(new_model("sam"))
    job_id = add_job("sam", jobs.RUNNING)
    folder = jobs.job_folder(model.folder, job_id)
    shutil.copytree(job / ADAPTER, folder / ADAPTER)
    phases: list[str] = []
    set_phase = jobs.set_phase

    def seen(db, job_id: int, phase: str, *rest) -> None:
        phases.append(phase)
        set_phase(db, job_id, phase, *rest)

    monkeypatch.setattr(jobs, "set_phase", seen)
    with model.db() as db:
        worker._prepare_chat(db, job_id, model.folder, str(base))
        events = [e.message for _, e in jobs.read_events(db, job_id)]
        assert jobs.read_job(db, job_id).phase == fast.CONVERTING  # shown while it ran
    assert phases == [fast.CONVERTING]  # merged before, as always
    assert events == ["preparing the model for chat"]  # no warning
    assert isinstance(fast.chat_model(folder, str(base), context=256), FastChat)
