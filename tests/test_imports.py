"""Importing the app's faces must not pull in the heavy ML libraries (slow cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("torch", "transformers", "peft", "openai", "gguf")


def heavy_modules_after_importing(*modules: str) -> list[str]:
    """Import ``modules`` in a fresh interpreter and list the heavy packages it loaded."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_tui_import_is_light() -> None:
    assert heavy_modules_after_importing("gpt_is_you.tui", "gpt_is_you.tui.app") == []


def test_cli_import_is_light() -> None:
    assert heavy_modules_after_importing("gpt_is_you.cli") == []


def test_the_dataset_package_imports_no_store() -> None:
    """The dependency runs store -> dataset: building examples needs neither the store
    nor anything above it, only chats/ and the small shared modules."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import gpt_is_you.dataset as dataset\n"
        "for info in pkgutil.iter_modules(dataset.__path__, 'gpt_is_you.dataset.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(' '.join(sorted({m.split('.')[1] for m in sys.modules\n"
        "                       if m.startswith('gpt_is_you.')})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert set(result.stdout.split()) <= {"chats", "dataset", "limits", "user_errors", "words"}


# What the app loads of its own before the first frame: the models screen, nothing else.
FIRST_SCREEN = {
    "gpt_is_you.tui",
    "gpt_is_you.tui.app",
    "gpt_is_you.tui.screens",
    "gpt_is_you.tui.screens.base",
    "gpt_is_you.tui.screens.models",
    "gpt_is_you.tui.widgets",
    "gpt_is_you.tui.widgets.row_table",  # the models table
}


def test_the_first_frame_loads_only_the_first_screen(tmp_path) -> None:
    """Every import waits in front of the first frame (bench/bench_start.py): the other
    screens, the dialogs and the widgets load when first shown, and Markdown (help) and
    pygments with them. Checked once the first frame is drawn, with one model listed (a
    damaged one: listed all the same, and quicker to make than a real one)."""
    (tmp_path / "models" / "broken").mkdir(parents=True)
    (tmp_path / "models" / "broken" / "model.db").write_bytes(b"not a database" * 100)
    code = (
        "import json, sys\n"
        "from gpt_is_you.tui.app import GptIsYouApp\n"
        "class FirstFrame(GptIsYouApp):\n"
        "    def on_ready(self):\n"
        "        self.exit()\n"
        "FirstFrame().run(headless=True, size=(80, 24))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "GPT_IS_YOU_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert {m for m in loaded if m.startswith("gpt_is_you.tui")} == FIRST_SCREEN
    assert not {m.split(".")[0] for m in loaded} & {"pygments", "markdown_it", *HEAVY}
