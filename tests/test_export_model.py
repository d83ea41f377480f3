"""``gpt-is-you export-model``: a trained model as a Hugging Face folder, a GGUF file and an
Ollama Modelfile (providers/local/export.py, gguf_file.py, modelfile.py), each read back
as the program that takes it would, and every refusal one line with nothing written."""

from __future__ import annotations

import errno
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import SYSTEM, USER_LINES, YO_SURE, add_job
from gpt_is_you.chat_session import keep_sampling
from gpt_is_you.cli import main
from gpt_is_you.providers.local import export, gguf_file, merged, modelfile
from gpt_is_you.providers.local.train import ADAPTER
from gpt_is_you.providers.settings import Sampling
from gpt_is_you.store import jobs
from gpt_is_you.store.conversations import read_persona
from gpt_is_you.store.models import find_model

GREEDY_TOKENS = 24


@pytest.fixture
def trained(sample_home, yo_sure_run, tiny_base):
    """The sample chat's model "Sam" with a finished local job: the tiny base trained to
    answer "yo\\nsure" (its adapter only: the export prepares the merged model)."""
    model = find_model("Sam")
    with model.db() as db:
        job = jobs.create_job(db, backend="local", base_model=str(tiny_base), settings={})
        jobs.set_state(db, job, jobs.SUCCEEDED)
    shutil.copytree(yo_sure_run[0] / ADAPTER, jobs.job_folder(model.folder, job) / ADAPTER)
    return model


def _load(folder: Path, gguf: str | None = None):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    extra = {"gguf_file": gguf} if gguf else {}
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
    return model, AutoTokenizer.from_pretrained(folder, **extra)


def _greedy(pair, system: str) -> dict[str, list[int]]:
    """Each user line's greedy reply tokens."""
    import torch

    model, tokenizer = pair
    out = {}
    for line in USER_LINES:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": line}]
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
        with torch.no_grad():
            written = model.generate(
                ids,
                max_new_tokens=GREEDY_TOKENS,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
                eos_token_id=tokenizer.eos_token_id,
            )
        out[line] = written[0, ids.shape[1] :].tolist()
    return out


def _merged_folder(model) -> Path:
    with model.db() as db:
        job = jobs.read_job(db)
    return jobs.job_folder(model.folder, job.id) / "merged"


def _system(model) -> str:
    with model.db() as db:
        return read_persona(db).system


def test_hf_folder_reloads_and_writes_what_the_merged_model_writes(trained, tmp_path, capsys):
    out = tmp_path / "sam-hf"
    assert main(["export-model", "Sam", "--format", "hf", "-o", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == str(out)
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "generation_config.json"} <= names
    assert "README.md" in names
    pair = _load(out)
    assert pair[1].chat_template  # the chat template came with the tokenizer
    replies = _greedy(pair, SYSTEM)  # the system prompt the tiny model was trained with
    assert replies == _greedy(_load(_merged_folder(trained)), SYSTEM)
    assert pair[1].decode(replies["hey"], skip_special_tokens=True) == YO_SURE
    generation = json.loads((out / "generation_config.json").read_text())
    assert generation["temperature"] == Sampling().temperature
    assert generation["max_new_tokens"] == Sampling().max_tokens
    card = (out / "README.md").read_text()
    assert "A fine-tune of base made with gpt-is-you" in card  # the tiny base's folder
    assert "Sam Okafor" not in card  # neutral: no persona's name
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("architecture", ["tiny_base", "tiny_qwen2"])
def test_a_float32_gguf_reads_back_as_the_same_model(architecture, request, tmp_path):
    """Without rounding, the file gives exactly the model's greedy tokens: the tensor names,
    the Llama rotary permutation and the tokenizer are right, for both architectures."""
    folder = request.getfixturevalue(architecture)
    gguf_file.write(folder, tmp_path / "m.gguf", title="t", kind=gguf_file.F32)
    back = _load(tmp_path, "m.gguf")
    assert _greedy(back, SYSTEM) == _greedy(_load(folder), SYSTEM)
    assert back[1].chat_template == _load(folder)[1].chat_template


def test_gguf_export_is_checked_by_loading_it_back(trained, tmp_path, capsys):
    """In Q8_0 the tiny random model's close calls may go the other way, so the check
    reports agreement rather than promising it; the trained reply, a confident one,
    survives."""
    out = tmp_path / "sam-gguf"
    assert main(["export-model", "Sam", "--format", "gguf", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "the GGUF was checked: loaded back with transformers" in err
    assert "its tokenizer splits 3 of 3 prompts the same" in err
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "sam.gguf"]
    assert "GGUF checked: " in (out / "README.md").read_text()
    agreed = re.search(r"at (\d+) of (\d+) positions", err)
    assert int(agreed[1]) >= 0.8 * int(agreed[2])
    back = _load(out, "sam.gguf")
    reply = _greedy(back, SYSTEM)["hey"]
    assert back[1].decode(reply, skip_special_tokens=True) == YO_SURE


# Ollama's Go templates, for the constructs the Modelfile uses: range .Messages, if/else if
# eq .Role "...", end, .Role and .Content.
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)


def _go_render(template: str, messages: list[dict[str, str]]) -> str:
    parts = _ACTION.split(template)  # text, action, text, action, ...

    def block(i: int, scope: dict | None) -> tuple[str, int, str]:
        """Render from part i to the next else/end: (text, index after, what stopped it)."""
        out = ""
        while i < len(parts):
            text = parts[i]
            if i % 2 == 0:
                out += text
                i += 1
                continue
            if text == "end" or text.startswith("else"):
                return out, i, text
            if text == "range .Messages":
                start, rendered = i + 1, ""
                for message in messages:
                    rendered_part, after, _ = block(start, message)
                    rendered += rendered_part
                out, i = out + rendered, after + 1
                if not messages:
                    _, i, _ = block(start, {})
                    i += 1
            elif text.startswith("if "):
                i, taken = i, False
                condition = text[3:]
                while True:
                    role = re.fullmatch(r'eq \.Role "(\w+)"', condition)[1]
                    rendered, i, stop = block(i + 1, scope)
                    if not taken and scope.get("role") == role:
                        out, taken = out + rendered, True
                    if stop == "end":
                        i += 1
                        break
                    condition = stop.removeprefix("else if ")
            elif text in (".Content", ".Role"):
                out += scope[text[1:].lower()]
                i += 1
            else:
                raise AssertionError(f"the test's renderer does not know {{{{ {text} }}}}")
        return out, i, ""

    return block(0, None)[0]


def _parse_modelfile(text: str) -> list[tuple[str, str]]:
    """Commands and values as Ollama's parser reads them: a value in triple quotes runs to
    the next triple quotes, line breaks and all; one in quotes to the next quote."""
    found = re.findall(r'^(\w+) ((?:\w+ )?)(?:"""(.*?)"""|"(.*?)"|(.*?))$', text, re.M | re.S)
    return [
        (cmd + (" " + name.strip() if name else ""), a or b or c) for cmd, name, a, b, c in found
    ]


def test_the_modelfile_writes_the_prompt_the_model_was_trained_on(trained, tmp_path, capsys):
    keep_sampling(trained, Sampling(temperature=0.5, top_p=0.9, max_tokens=77, seed=3))
    out = tmp_path / "sam-ollama"
    assert main(["export-model", "Sam", "--format", "ollama", "-o", str(out)]) == 0
    assert f"next: cd {out} && ollama create sam -f Modelfile" in capsys.readouterr().err
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o600}
    commands = _parse_modelfile((out / "Modelfile").read_text())
    values = dict(commands)
    assert values["FROM"] == "./sam.gguf" and (out / "sam.gguf").is_file()
    system = _system(trained)
    assert values["SYSTEM"] == system and system.startswith("You are Sam Okafor")
    assert [v for c, v in commands if c == "PARAMETER stop"] == ["<|im_end|>", "<|im_start|>"]
    assert values["PARAMETER temperature"] == "0.5"
    assert values["PARAMETER top_p"] == "0.9"
    assert values["PARAMETER num_predict"] == "77"
    assert values["PARAMETER seed"] == "3"
    # Ollama puts SYSTEM first when a request brings no system message of its own.
    conversation = [
        {"role": "system", "content": values["SYSTEM"]},
        {"role": "user", "content": "hey"},
        {"role": "assistant", "content": "yo\nsure"},
        {"role": "user", "content": "what about you"},
    ]
    tokenizer = _load(_merged_folder(trained))[1]
    expected = tokenizer.apply_chat_template(
        conversation, add_generation_prompt=True, tokenize=False
    )
    assert _go_render(values["TEMPLATE"], conversation) == expected


LLAMA3 = (
    "{{- bos_token }}{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{%- if message['role'] == 'system' %}"
    "{{- 'Cutting Knowledge Date: December 2023\\nToday Date: 26 Jul 2024\\n\\n' }}{%- endif %}"
    "{{- message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


def test_a_llama_3_template_becomes_an_ollama_template_without_its_bos():
    """Llama 3's header tokens and the date lines Llama 3.1 writes into the system message;
    its <|begin_of_text|> is llama.cpp's to add."""
    import jinja2

    template = jinja2.Environment().from_string(LLAMA3)

    def render(messages, reply):
        return template.render(
            messages=messages, add_generation_prompt=reply, bos_token="<|begin_of_text|>"
        )

    turns = modelfile.turns(render, "<|begin_of_text|>")
    modelfile.check(render, turns, "<|begin_of_text|>")
    conversation = [
        {"role": "system", "content": "You are Sam."},
        {"role": "user", "content": "hey"},
    ]
    expected = render(conversation, True).removeprefix("<|begin_of_text|>")
    assert _go_render(modelfile.go_template(turns), conversation) == expected
    specials = ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>"]
    stops = modelfile.stops(turns, ["<|eot_id|>"], specials)
    assert stops == ["<|eot_id|>", "<|start_header_id|>"]


def test_a_template_that_treats_the_last_message_apart_is_refused():
    import jinja2

    # The last user message alone gets a marker: no Go template of one branch per role
    # can write that.
    odd = jinja2.Environment().from_string(
        "{% for m in messages %}<{{ m.role }}>{% if loop.last %}!{% endif %}{{ m.content }}"
        "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    with pytest.raises(Exception, match="cannot be written as an Ollama template"):
        render = lambda messages, reply: odd.render(messages=messages, add_generation_prompt=reply)  # noqa: E731
        modelfile.check(render, modelfile.turns(render), None)


# Refusals: one line, exit 2, nothing written. ------------------------------------------


def _refused(capsys, *argv: str) -> str:
    assert main(["export-model", *argv]) == 2
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("gpt-is-you:")]
    assert len(said) == 1 and "Traceback" not in err  # after any progress lines
    return said[0]


def test_a_model_never_trained_is_refused(sample_home, tmp_path, capsys):
    err = _refused(capsys, "Sam", "--format", "hf", "-o", str(tmp_path / "out"))
    assert "Sam is not trained yet: run `gpt-is-you train Sam`" in err
    assert not (tmp_path / "out").exists()


def test_a_model_trained_at_openai_has_no_weights_to_export(sample_home, tmp_path, capsys):
    add_job("Sam", jobs.SUCCEEDED, backend="openai")
    err = _refused(capsys, "Sam", "--format", "gguf", "-o", str(tmp_path / "out"))
    assert "fine-tuned at OpenAI, which keeps the weights: there is nothing here to export" in err


def test_a_together_job_whose_base_is_not_here_is_refused(sample_home, tmp_path, capsys):
    job = add_job("Sam", jobs.SUCCEEDED, backend="together")
    model = find_model("Sam")
    adapter = jobs.job_folder(model.folder, job) / ADAPTER
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    with model.db() as db:
        db.execute("UPDATE jobs SET base_model = ? WHERE id = ?", ("nobody/no-such-base", job))
    err = _refused(capsys, "Sam", "--format", "hf", "-o", str(tmp_path / "out"))
    assert "fine-tuned from nobody/no-such-base, which is not on this machine" in err


def test_a_folder_that_holds_files_is_refused_unless_forced(trained, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    err = _refused(capsys, "Sam", "--format", "hf", "-o", str(out))
    assert f"{out} exists and holds files" in err and "--force" in err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert main(["export-model", "Sam", "--format", "hf", "-o", str(out), "--force"]) == 0
    assert "mine.txt" not in {p.name for p in out.iterdir()}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_full_disk_is_refused_before_writing_and_while_writing(
    trained, tiny_base, tmp_path, capsys, monkeypatch
):
    merged.prepare(_merged_folder(trained).parent, str(tiny_base))  # as chat leaves it
    out = tmp_path / "out"
    real = shutil.disk_usage
    monkeypatch.setattr(export.shutil, "disk_usage", lambda path: real(path)._replace(free=1000))
    err = _refused(capsys, "Sam", "--format", "hf", "-o", str(out))
    assert f"not enough space in {tmp_path}" in err and "0.0 MB is free" in err
    monkeypatch.setattr(export.shutil, "disk_usage", real)

    def full(folder, path, **_):
        path.write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(gguf_file, "write", full)
    err = _refused(capsys, "Sam", "--format", "gguf", "-o", str(out))
    assert err == f"gpt-is-you: no space left for {out}: free some space"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_default_folder_is_beside_the_models_other_exports(trained, capsys):
    assert main(["export-model", "Sam", "--format", "hf"]) == 0
    folder = trained.folder / "exports" / "model-hf"
    assert capsys.readouterr().out.splitlines()[0] == str(folder)
    assert (folder / "model.safetensors").is_file()
