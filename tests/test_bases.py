"""The base catalogue, the hardware probe, the recommendation by memory, GPU and language,
the throughput (estimated, measured and kept), the persona's language recorded at import,
and ``gpt-is-you bases``. Machines are described, never probed: no test needs a GPU."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import PERSONA, new_model
from gpt_is_you.cli import main
from gpt_is_you.providers.local import recommend as recommending
from gpt_is_you.providers.local import throughput as speeds
from gpt_is_you.providers.local.catalogue import (
    BASES,
    BFLOAT16,
    FLOAT32,
    FOUR_BIT,
    find_base,
    training_memory,
)
from gpt_is_you.providers.local.hardware import Gpu, Hardware, probe
from gpt_is_you.providers.local.recommend import FITS, FITS_4BIT, NO, local_source, plan

GB = 1_000_000_000
# ISO 639-1 codes a card of the catalogue may name.
KNOWN_LANGUAGES = set(
    [
        "ar",
        "bn",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "fa",
        "fi",
        "fr",
        "he",
        "hi",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "ms",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sv",
        "sw",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "vi",
        "zh",
    ]
)
REQUIRED = {
    "HuggingFaceTB/SmolLM2-135M-Instruct",
    "HuggingFaceTB/SmolLM2-360M-Instruct",
    "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen/Qwen2.5-1.5B-Instruct",
    "Qwen/Qwen2.5-3B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
}


def machine(ram: float = 16, *, cores: int = 8, gpus=(), mps=False, bf16=False) -> Hardware:
    return Hardware(
        ram_total=int(ram * GB),
        ram_available=int(ram * GB),
        cores=cores,
        cpu="Test CPU",
        cpu_bfloat16=bf16,
        gpus=tuple(gpus),
        mps=mps,
    )


@pytest.fixture(autouse=True)
def own_caches(tmp_path, monkeypatch):
    """No measure kept by another test or run, and an empty Hugging Face cache."""
    monkeypatch.setenv("GPT_IS_YOU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf"))


# --- the catalogue -----------------------------------------------------------------------


def test_every_entry_is_well_formed():
    assert {b.repo for b in BASES} >= REQUIRED
    assert any(b.gated and b.repo.startswith("google/gemma") for b in BASES)
    assert len({b.name for b in BASES}) == len(BASES) == len({b.repo for b in BASES})
    assert [b.name for b in BASES if b.bundled] == ["default"]
    for b in BASES:
        assert re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", b.repo), b.repo
        assert b.name in ("default", b.repo)
        assert b.label == b.repo.split("/")[1] or b.label.lower() == b.repo.split("/")[1]
        assert min(b.params, b.layers, b.hidden, b.intermediate, b.vocab, b.size) > 0
        # Every entry stores bfloat16 weights: about 2 bytes a parameter.
        assert abs(b.size / (2 * b.params) - 1) < 0.03, b.label
        assert b.embedding_params < b.params / 2
        assert b.languages and set(b.languages) <= KNOWN_LANGUAGES, b.languages
        assert b.licence and b.licence == b.licence.strip()
        for checkpointing in (False, True):
            four, half, full = (
                training_memory(b, p, checkpointing=checkpointing)
                for p in (FOUR_BIT, BFLOAT16, FLOAT32)
            )
            assert 0 < four < half < full, b.label
    gated = {b.repo.split("/")[0] for b in BASES if b.gated}
    assert gated == {"meta-llama", "google"}


def test_memory_follows_checkpointing_and_the_batch():
    default = find_base("default")
    assert training_memory(default, FLOAT32, checkpointing=True) < training_memory(default, FLOAT32)
    assert training_memory(default, FLOAT32, batch_tokens=4096) > training_memory(default, FLOAT32)
    # The measured peak of the default fine-tune is 6.1 GB; the estimate is in its range.
    assert 3.5 * GB < training_memory(default, FLOAT32) < 6.5 * GB


def test_find_base_by_name_or_repo():
    assert find_base("default").bundled
    assert find_base("huggingfacetb/smollm2-135m-instruct").bundled
    assert find_base("Qwen/Qwen2.5-7B-Instruct").params > 7 * GB
    assert find_base("someone/else") is None


# --- the hardware probe ----------------------------------------------------------------------


def test_probe_reads_proc_files(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(
        "MemTotal:       16384000 kB\nMemFree: 1000 kB\nMemAvailable:    8192000 kB\n"
    )
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Example Xeon\nflags\t\t: fpu sse2 avx512f avx512_bf16\n"
        "processor\t: 1\nmodel name\t: Example Xeon\nflags\t\t: fpu sse2 avx512f avx512_bf16\n"
    )
    gpu = Gpu("Example RTX", 24 * GB, True)
    found = probe(meminfo=meminfo, cpuinfo=cpuinfo, accelerators=lambda: ((gpu,), False))
    assert (found.ram_total, found.ram_available) == (16384000 * 1024, 8192000 * 1024)
    assert found.cpu == "Example Xeon" and found.cpu_bfloat16
    assert found.gpus == (gpu,) and found.device == "cuda"
    assert found.cores >= 1
    cpuinfo.write_text("model name\t: Plain\nflags\t\t: fpu sse2 avx2\n")
    plain = probe(meminfo=meminfo, cpuinfo=cpuinfo, accelerators=lambda: ((), True))
    assert not plain.cpu_bfloat16 and plain.device == "mps"
    assert plain.fingerprint != found.fingerprint


def test_probe_without_proc_files_still_counts_memory(tmp_path):
    missing = tmp_path / "none"
    found = probe(meminfo=missing, cpuinfo=missing, accelerators=lambda: ((), False))
    assert found.ram_total > 0 and 0 < found.ram_available <= found.ram_total
    assert found.device == "cpu"


# --- fits, and the recommendation ------------------------------------------------------------


def test_by_ram_on_a_cpu():
    small = plan(machine(3), "en", 1000)
    assert [r.base.label for r in small.rows if r.fits] == ["SmolLM2-135M-Instruct"]
    assert small.recommended.base.bundled and small.warning is None
    assert all(r.fit != FITS_4BIT for r in small.rows)  # 4-bit is CUDA's
    big = plan(machine(48, cores=64), "en", 1000)
    assert big.recommended.base.repo == "Qwen/Qwen2.5-7B-Instruct"
    assert big.recommended.checkpointing and big.recommended.precision == FLOAT32
    none = plan(machine(1), "en", 1000)
    assert none.recommended.base.bundled and "no base fits" in none.warning


def test_bfloat16_cpu_plans_in_bfloat16():
    rows = plan(machine(16, bf16=True), "en", 1000).rows
    assert {r.precision for r in rows} == {BFLOAT16}


def test_by_vram_on_cuda():
    big = plan(machine(32, gpus=[Gpu("A", 24 * GB, True)]), "en", 1000)
    seven = big.row("Qwen/Qwen2.5-7B-Instruct")
    assert (seven.fit, seven.precision) == (FITS, BFLOAT16)
    assert big.recommended is seven
    mid = plan(machine(32, gpus=[Gpu("B", 12 * GB, True)]), "en", 1000)
    seven = mid.row("Qwen/Qwen2.5-7B-Instruct")
    assert (seven.fit, seven.precision) == (FITS_4BIT, FOUR_BIT)
    assert mid.row("default").fit == FITS
    small = plan(machine(32, gpus=[Gpu("C", 8 * GB, False)]), "en", 1000)
    assert small.row("Qwen/Qwen2.5-7B-Instruct").fit == NO
    assert small.row("default").precision == FLOAT32  # no bfloat16 on that GPU
    # The largest GPU is planned on.
    two = plan(machine(32, gpus=[Gpu("C", 8 * GB, True), Gpu("A", 24 * GB, True)]), "en", 1000)
    assert two.row("Qwen/Qwen2.5-7B-Instruct").fit == FITS


def test_language_steers_the_choice():
    ten = machine(10)
    assert plan(ten, "en", 1000).recommended.base.repo == "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    assert plan(ten, "?", 1000).recommended.base.repo == "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    german = plan(ten, "de", 1000)
    assert german.recommended.base.repo == "meta-llama/Llama-3.2-1B-Instruct"
    assert german.warning is None
    turkish = plan(ten, "tr", 1000)  # named by no card: a multilingual base, and a warning
    assert turkish.recommended.base.multilingual
    assert "'tr'" in turkish.warning
    tight = plan(machine(3), "de", 1000)  # only an English-only base fits
    assert tight.recommended.base.bundled
    assert "English only" in tight.warning


def test_time_budget():
    rows = plan(machine(64, cores=2), "en", 100_000)
    assert rows.recommended.seconds <= rows.budget
    assert all(
        r.seconds > rows.budget
        for r in rows.rows
        if r.base.params > rows.recommended.base.params and r.fits
    )
    slow = plan(machine(64, cores=2), "en", 10**9)  # nothing trains within the hour
    assert slow.recommended.base.bundled
    for row in slow.rows:
        assert row.seconds == pytest.approx(10**9 / row.throughput.tokens_per_second)


# --- throughput ----------------------------------------------------------------------------


def test_estimate_matches_the_measured_default():
    # docs/benchmarks.md: 139 tokens/s on the project's 2-core machine in float32.
    default = find_base("default")
    rate = speeds.estimate(default, machine(8, cores=2), FLOAT32, checkpointing=False)
    assert 100 < rate < 180
    assert speeds.estimate(
        default, machine(8, cores=2, bf16=True), BFLOAT16, checkpointing=False
    ) == pytest.approx(2 * rate)
    assert speeds.estimate(
        default, machine(8, cores=2), FLOAT32, checkpointing=True
    ) == pytest.approx(rate / 1.5)


def test_a_measure_is_kept_per_machine_and_base():
    here, other = machine(8, cores=2), machine(8, cores=4)
    default = find_base("default")
    assert not speeds.throughput(default, here, FLOAT32, checkpointing=False).measured
    speeds.keep(here, "default", FLOAT32, 200.0)
    kept = speeds.throughput(default, here, FLOAT32, checkpointing=False)
    assert kept == speeds.Throughput(200.0, True)
    assert not speeds.throughput(default, other, FLOAT32, checkpointing=False).measured
    row = plan(here, "en", 2000).row("default")
    assert row.throughput.measured and row.seconds == pytest.approx(10.0)


def test_the_probe_measures_and_keeps(tiny_base):
    here = machine(8, cores=2)
    measured = speeds.measure(find_base("default"), str(tiny_base), here)
    assert measured.measured and measured.tokens_per_second > 0
    # Kept under the precision training picks on this CPU (bfloat16 where it is faster).
    kept = [speeds.kept(here, "default", p) for p in (FLOAT32, BFLOAT16)]
    assert [k for k in kept if k] == [pytest.approx(measured.tokens_per_second, rel=0.01)]


# --- downloaded ----------------------------------------------------------------------------


def _cached(hub: Path, repo: str, files: dict[str, str]) -> Path:
    folder = hub / f"models--{repo.replace('/', '--')}"
    snapshot = folder / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("abc123")
    for name, text in files.items():
        (snapshot / name).write_text(text)
    return snapshot


def test_downloaded_bases_are_found_in_the_hugging_face_cache(tmp_path):
    qwen, llama = (
        find_base("Qwen/Qwen2.5-0.5B-Instruct"),
        find_base("meta-llama/Llama-3.2-1B-Instruct"),
    )
    assert local_source(qwen) is None
    snapshot = _cached(
        tmp_path / "hf",
        qwen.repo,
        {"config.json": "{}", "tokenizer.json": "{}", "model.safetensors": ""},
    )
    assert local_source(qwen) == str(snapshot)
    index = json.dumps({"weight_map": {"a": "model-1.safetensors", "b": "model-2.safetensors"}})
    files = {
        "config.json": "{}",
        "tokenizer.json": "{}",
        "model.safetensors.index.json": index,
        "model-1.safetensors": "",
    }
    partial = _cached(tmp_path / "hf", llama.repo, files)
    assert local_source(llama) is None  # a shard is missing
    (partial / "model-2.safetensors").write_text("")
    assert local_source(llama) == str(partial)


# --- the persona's language ------------------------------------------------------------------

GERMAN = [
    "ich bin heute nicht da, und du?",
    "ja das ist gut, ich hab keine zeit",
    "wir sehen uns morgen, danke dir",
    "das ist doch sehr gut so",
]


def _german_export(path: Path) -> Path:
    start = datetime(2024, 3, 2, 10, 0, 0)
    lines = []
    for i in range(12):
        t = start + timedelta(hours=6 * i)
        lines.append(f"[{t:%d/%m/%Y, %H:%M:%S}] Robin Hale: hallo, wie geht es dir?")
        lines.append(f"[{t + timedelta(minutes=1):%d/%m/%Y, %H:%M:%S}] {PERSONA}: {GERMAN[i % 4]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_language_is_recorded_at_import_and_detected_for_older_models(home, tmp_path):
    from gpt_is_you.store.models import find_model, read_language, read_setting

    new_model("Kai", _german_export(tmp_path / "chat.txt"))
    model = find_model("Kai")
    with model.db() as db:
        assert read_setting(db, "language") == "de"
        db.execute("DELETE FROM settings WHERE key = 'language'")  # stored before it was
        assert read_language(db) == "de"
    recommendation = recommending.recommend(model, hardware=machine(10))
    assert recommendation.language == "de"
    assert recommendation.recommended.base.speaks("de")


def test_the_sample_chat_is_english(sample_home):
    from gpt_is_you.store.models import find_model, read_setting

    with find_model("Sam").db() as db:
        assert read_setting(db, "language") == "en"


# --- gpt-is-you bases ----------------------------------------------------------------------


def test_bases_lists_the_catalogue_offline(home, capsys):
    assert main(["bases"]) == 0
    out = capsys.readouterr().out
    assert "This machine:" in out and "Recommended:" in out
    for base in BASES:
        assert base.label in out
    assert out.count("\n* ") == 1


def test_bases_for_a_model_as_json(sample_home, capsys):
    from gpt_is_you.store.models import find_model

    assert main(["bases", "Sam", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    with find_model("Sam").db() as db:
        tokens = db.execute(
            "SELECT sum(tokens) FROM examples WHERE split = 'train' AND NOT excluded"
        ).fetchone()[0]
    assert data["tokens"] == tokens and data["tokens_of"] == "model"
    assert data["language"] == "en"
    assert data["recommended"] in {b["name"] for b in data["bases"]}
    default = next(b for b in data["bases"] if b["name"] == "default")
    assert default["downloaded"] is True  # bundled
    assert {b["throughput"] for b in data["bases"]} == {"estimated"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bases", "nobody"], "no model named 'nobody'"),
        (["bases", "--base", "default"], "add --probe"),
        (["bases", "--probe", "--base", "foo/bar"], "not in the catalogue"),
        (["bases", "--probe", "--base", "Qwen/Qwen2.5-7B-Instruct"], "download it first"),
    ],
)
def test_bad_input_is_one_line(home, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_rows_json_round(home):
    row = plan(machine(8), "en", 1000).rows[0]
    data = row.to_json()
    assert data["name"] == "default" and data["fit"] == FITS
    assert replace(row, seconds=1.4).to_json()["seconds"] == 1
