"""When the disk refuses: a read-only data folder still reads, a full disk and a bad
destination are one line that names the folder, and nothing is left half-written."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import add_job, dead_pid
from gpt_is_you.cli import main
from gpt_is_you.store import jobs, models
from gpt_is_you.store.errors import StorageError
from gpt_is_you.store.files import write_private
from gpt_is_you.store.models import list_models, open_model

FIXTURE = Path(__file__).parent / "fixtures" / "whatsapp" / "android_large_dmy.txt"
PERSONA = "Bruno Keller"


def _new(name: str) -> int:
    return main(["new", name, "--from", str(FIXTURE), "--persona", PERSONA, "--yes"])


def _interrupted_without_notice(name: str) -> None:
    """A job left `running` by a worker that died before anyone looked."""
    job = add_job(name, jobs.RUNNING, pid=dead_pid())
    with open_model(name) as db:
        db.execute("UPDATE jobs SET heartbeat_at = NULL WHERE id = ?", (job,))


def _one_line(capsys, *parts: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected" not in err, err
    for part in parts:
        assert part in err, err
    return err


# A read-only data folder


@pytest.fixture
def read_only_home(tmp_path, monkeypatch):
    """A data folder, and a function that makes it read-only for real.

    chmod does not bind root (CI may run as root): there a tmpfs is mounted for it and
    remounted read-only, and where mounting is not allowed either, the test is skipped
    (``test_a_read_only_store_reads_without_writing`` covers the store's side anywhere).
    """
    mount = tmp_path / "mount"
    mount.mkdir()
    root = os.geteuid() == 0
    if root:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)],
            capture_output=True,
        )
        if mounted.returncode != 0:
            pytest.skip("running as root where a read-only tmpfs cannot be mounted")
    home = mount / "home"
    monkeypatch.setenv("GPT_IS_YOU_HOME", str(home))

    def freeze() -> None:
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            return
        for folder, _, files in os.walk(mount):
            for file in files:
                Path(folder, file).chmod(0o400)
            Path(folder).chmod(0o500)

    yield home, freeze
    if root:
        subprocess.run(["umount", str(mount)], check=True)
    else:
        for folder, _, _ in os.walk(mount):
            Path(folder).chmod(0o700)


def test_a_read_only_data_folder_still_lists_shows_and_exports(read_only_home, tmp_path, capsys):
    home, freeze = read_only_home
    assert _new("Bruno") == 0
    _interrupted_without_notice("Bruno")
    freeze()
    folder = home / "models" / "bruno"
    before = sorted(p.name for p in folder.iterdir())
    capsys.readouterr()

    assert main(["models"]) == 0
    assert capsys.readouterr().out.startswith("Bruno\tBruno Keller\t")
    assert main(["models", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["state"] == "interrupted"  # seen so, though it could not be recorded
    assert main(["status", "Bruno"]) == 0
    assert "interrupted" in capsys.readouterr().out
    assert main(["examples", "Bruno", "--jsonl"]) == 0
    assert capsys.readouterr().out.count("\n") == listed["train"] + listed["valid"]
    out = tmp_path / "out.jsonl"
    assert main(["export", "Bruno", "--format", "openai", "-o", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == listed["train"]
    capsys.readouterr()

    # What writes is refused with one line that names where.
    for command in (
        ["train", "Bruno"],
        ["examples", "Bruno", "--exclude", "1"],
        ["export", "Bruno", "--format", "openai"],
        ["export", "Bruno", "--format", "openai", "-o", str(folder.parent / "x.jsonl")],
        ["rm", "Bruno", "--yes"],
        ["new", "Anna", "--from", str(FIXTURE), "--persona", PERSONA, "--yes"],
    ):
        assert main(command) == 2, command
        _one_line(capsys, str(home))
    assert sorted(p.name for p in folder.iterdir()) == before
    assert [m.name for m in list_models()] == ["Bruno"]


def test_a_read_only_store_reads_without_writing(home, monkeypatch, capsys):
    """The store's side of a read-only folder on any host, root included: told that the
    folder cannot be written, it opens read-only and never tries to write."""
    assert _new("Bruno") == 0
    _interrupted_without_notice("Bruno")
    access = os.access

    def no_writing_in_home(path, mode):
        return access(path, mode) and not (mode & os.W_OK and home in Path(path).parents)

    monkeypatch.setattr(os, "access", no_writing_in_home)
    db_file = home / "models" / "bruno" / "model.db"
    changed = db_file.stat().st_mtime_ns
    capsys.readouterr()

    assert main(["status", "Bruno"]) == 0
    assert "interrupted" in capsys.readouterr().out
    assert [m.state for m in list_models()] == ["interrupted"]
    assert main(["examples", "Bruno", "--exclude", "1"]) == 2
    _one_line(capsys, str(db_file.parent), "read-only")
    assert db_file.stat().st_mtime_ns == changed
    assert not db_file.with_name("model.db-wal").exists()
    monkeypatch.setattr(os, "access", access)
    with open_model("Bruno") as db:  # writable again: the job's end is recorded now
        assert jobs.read_job(db).state == jobs.INTERRUPTED
        assert db.execute("SELECT count(*) FROM examples WHERE excluded").fetchone() == (0,)


# A full disk


def test_new_on_a_full_disk_says_where_and_how_much_and_leaves_nothing(home, monkeypatch, capsys):
    real = models.migrate

    def tiny_disk(db):
        real(db)
        # The store fills after its first few pages, as a disk that is nearly full does.
        db.execute("PRAGMA max_page_count = 20")

    monkeypatch.setattr(models, "migrate", tiny_disk)
    assert _new("Bruno") == 2
    err = _one_line(capsys, f"not enough space in {home / 'models'}", "nothing was written")
    assert re.search(r"the model needs about \d+\.\d MB, [\d,]+\.\d MB is free", err)
    assert list((home / "models").iterdir()) == []


def test_a_disk_full_when_syncing_is_the_same_line(home, monkeypatch, capsys):
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    assert _new("Bruno") == 2
    _one_line(capsys, f"not enough space in {home / 'models'}", "nothing was written")
    assert list((home / "models").iterdir()) == []


# Where an export goes


def test_an_export_into_a_folder_that_does_not_exist_says_so(home, tmp_path, capsys):
    assert _new("Bruno") == 0
    capsys.readouterr()
    missing = tmp_path / "nope" / "x.jsonl"
    assert main(["export", "Bruno", "--format", "openai", "-o", str(missing)]) == 2
    _one_line(capsys, f"{missing.parent}: no such folder; create it first")
    assert not missing.parent.exists()
    assert main(["export", "Bruno", "--format", "openai", "-o", str(tmp_path)]) == 2
    _one_line(capsys, f"{tmp_path} is a folder")
    # The validation file's name taken by a folder: refused before the training file.
    (tmp_path / "data.valid.jsonl").mkdir()
    assert main(["export", "Bruno", "--format", "openai", "-o", str(tmp_path / "data.jsonl")]) == 2
    _one_line(capsys, "data.valid.jsonl is a folder")
    assert not (tmp_path / "data.jsonl").exists()


def test_a_private_file_is_written_whole_with_mode_0600(tmp_path: Path):
    path = tmp_path / "chat.md"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    write_private(path, "# new\n")
    assert path.read_text(encoding="utf-8") == "# new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["chat.md"]  # no temporary file left


def test_a_file_that_cannot_be_written_leaves_nothing(tmp_path: Path, monkeypatch):
    with pytest.raises(StorageError, match="no such folder"):
        write_private(tmp_path / "missing" / "chat.md", "x")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "")))
    with pytest.raises(StorageError, match=f"no space left for {tmp_path}"):
        write_private(tmp_path / "chat.md", "x")
    assert list(tmp_path.iterdir()) == []
