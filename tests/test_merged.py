"""A trained job's model prepared once for chat (providers/local/merged.py): loaded without
peft, writing what the base with the adapter merged at load writes, made whole or not at
all, prepared on an older job's first chat, removed with its model."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SYSTEM, USER_LINES, YO_SURE, add_job
from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.local import base_model, merged
from gpt_is_you.providers.local.generate import LocalChat
from gpt_is_you.providers.local.train import ADAPTER
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import jobs
from gpt_is_you.store.models import find_model, remove_model

GREEDY = Sampling(temperature=0, max_tokens=40)


@pytest.fixture
def old_job(yo_sure_run, tmp_path) -> Path:
    """A job folder as a job trained before merged copies were made: its adapter only."""
    folder = tmp_path / "jobs" / "1"
    shutil.copytree(yo_sure_run[0] / ADAPTER, folder / ADAPTER)
    return folder


def _ask(text: str) -> list[dict[str, object]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def test_an_older_jobs_first_chat_prepares_the_merged_model_once(old_job, tiny_base):
    said: list[str] = []
    LocalChat.of_job(old_job, str(tiny_base), context=256, notice=said.append)
    assert said == [merged.PREPARING]
    assert (old_job / merged.MERGED / "config.json").is_file()
    assert [p.name for p in old_job.iterdir() if p.name.startswith(".")] == []
    LocalChat.of_job(old_job, str(tiny_base), context=256, notice=said.append)
    assert said == [merged.PREPARING]  # once


def test_the_merged_model_writes_what_the_adapter_merged_at_load_writes(old_job, tiny_base):
    merged.prepare(old_job, str(tiny_base))
    for quantize in (True, False):  # the CPU default (bfloat16 copies to write), float32
        at_load = LocalChat(str(tiny_base), old_job / ADAPTER, context=256, quantize=quantize)
        prepared = LocalChat(str(old_job / merged.MERGED), None, context=256, quantize=quantize)
        replies = {line: "".join(prepared.stream(_ask(line), GREEDY)) for line in USER_LINES}
        assert replies == {line: "".join(at_load.stream(_ask(line), GREEDY)) for line in USER_LINES}
        assert replies["hey"] == YO_SURE  # the trained reply, not the base's


def test_a_prepared_job_chats_without_importing_peft(old_job, tiny_base):
    merged.prepare(old_job, str(tiny_base))
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from gpt_is_you.providers.local.generate import LocalChat
        from gpt_is_you.providers.settings import Sampling
        said = []
        chat = LocalChat.of_job(Path({str(old_job)!r}), {str(tiny_base)!r}, context=256,
                                notice=said.append)
        messages = [{{"role": "system", "content": {SYSTEM!r}}},
                    {{"role": "user", "content": "hey"}}]
        reply = "".join(chat.stream(messages, Sampling(temperature=0, max_tokens=40)))
        print(repr(reply), said, "peft" in sys.modules)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert out.strip() == f"{YO_SURE!r} [] False"


def test_a_killed_preparation_leaves_no_model_and_its_leftover_is_removed(tmp_path):
    folder = tmp_path / "jobs" / "1" / merged.MERGED
    folder.parent.mkdir(parents=True)
    # A process killed while it wrote (SIGKILL: no cleanup of its own).
    script = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from gpt_is_you.providers.local import base_model
        def make(temp):
            temp.mkdir()
            (temp / "model.safetensors").write_bytes(b"half")
            print("writing", flush=True)
            time.sleep(60)
        base_model.made_once(Path({str(folder)!r}), make)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    assert killed.stdout.readline() == "writing\n"
    killed.kill()
    killed.wait()
    leftover = folder.with_name(f".{merged.MERGED}-{killed.pid}")
    assert leftover.is_dir() and not folder.exists()
    # Chat does not take the leftover for a prepared model, and its attempt removes it.
    said: list[str] = []
    with pytest.raises(ProviderError):
        merged.chat_source(folder.parent, "nobody/no-such-base", said.append)
    assert said == [merged.PREPARING]
    assert not leftover.exists() and not folder.exists()
    # A live process's temporary folder is its own: left alone.
    writing = folder.with_name(f".{merged.MERGED}-{os.getppid()}")
    writing.mkdir()
    base_model.made_once(folder, lambda temp: (temp.mkdir(), (temp / "config.json").touch()))
    assert (folder / "config.json").is_file() and writing.is_dir()


def test_a_store_that_cannot_be_written_chats_with_the_adapter_merged_at_load(
    old_job, tiny_base, monkeypatch
):
    def refused(*_):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(base_model, "made_once", refused)
    assert merged.chat_source(old_job, str(tiny_base)) == (str(tiny_base), old_job / ADAPTER)
    chat = LocalChat.of_job(old_job, str(tiny_base), context=256)
    assert "".join(chat.stream(_ask("hey"), GREEDY)) == YO_SURE


def test_rm_removes_the_merged_model_with_its_model(sample_home):
    job = add_job("Sam", jobs.SUCCEEDED)
    model = find_model("Sam")
    prepared = jobs.job_folder(model.folder, job) / merged.MERGED
    prepared.mkdir(parents=True)
    (prepared / "model.safetensors").write_bytes(b"weights")
    remove_model(model)
    assert not prepared.exists() and not model.folder.exists()
