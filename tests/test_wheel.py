"""The built wheel alone carries the sample chat: it is package data, found from an install
made of the wheel and nothing else (no source tree, no editable install). Offline: the
wheel is built with this environment's setuptools (`make wheel-check` goes further, with a
fresh virtual environment and the app on screen, and needs PyPI)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "gpt_is_you" / "sample"

# Run by an interpreter that sees only the target folder and the standard library; the
# sample is read with the stdlib-only readers, so nothing else needs installing.
FIND_SAMPLE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import gpt_is_you
from gpt_is_you.chats import read_export
from gpt_is_you.paths import sample_chat
path = sample_chat()
chat = read_export(path)
print(json.dumps({"package": gpt_is_you.__file__, "sample": str(path),
                  "format": chat.format, "messages": len(chat.messages)}))
"""


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: a build in the checkout leaves build/ and an egg-info behind, and
    # two runs at once would share them.
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=skip)
    out = work / "dist"
    pip("wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index", "-w", str(out))
    (built,) = out.glob("gpt_is_you-*.whl")
    return built


def test_the_wheel_carries_the_sample_chat_and_its_readme(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        sample = archive.read("gpt_is_you/sample/sample_chat.txt")
        readme = archive.read("gpt_is_you/sample/README.md")
    assert sample == (SAMPLE / "sample_chat.txt").read_bytes()
    assert readme == (SAMPLE / "README.md").read_bytes()
    assert b"scripts/make_sample_chat.py" in readme  # says how it was made


def test_an_install_of_the_wheel_alone_finds_the_sample_chat(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    # -I: no PYTHONPATH, no user site; -S: no site-packages, so none of their .pth files
    # (the editable install's) can put the checkout's src/ on the path.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", FIND_SAMPLE, str(target)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(target)
    assert Path(found["sample"]) == target / "gpt_is_you" / "sample" / "sample_chat.txt"
    assert found["format"] == "whatsapp-ios"
    assert found["messages"] == 3861


def test_the_wheel_carries_every_stylesheet(wheel: Path) -> None:
    """Each screen's styles are read from the package when it first shows: one left out
    of the wheel would leave that screen unstyled, or fail to open."""
    tui = Path(__file__).parent.parent / "src" / "gpt_is_you" / "tui"
    wanted = {f"gpt_is_you/tui/{p.relative_to(tui)}" for p in tui.rglob("*.tcss")}
    with zipfile.ZipFile(wheel) as archive:
        assert wanted <= set(archive.namelist()), wanted - set(archive.namelist())
    assert len(wanted) == 7
