"""A finished Together job's LoRA adapter, brought home into ``<model>/jobs/<id>/adapter/``.

Together serves it as a .tar.zst (or .tar.gz) archive of peft's files. The download goes
on from where a broken one stopped (a Range request), then the archive is unpacked into a
hidden folder beside the job's (regular files and folders only: a link, a device or a
name leading outside refuses the whole archive), the folder holding ``adapter_config.json``
renamed into place, private (0700/0600) as the rest of the store. A download that fails
leaves the job succeeded (the model is at the service) with a warning event; the next
chat on this machine or ``train --resume`` tries again.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import time
import uuid
from pathlib import Path, PurePosixPath

from gpt_is_you.providers.errors import ProviderError
from gpt_is_you.providers.remote_watch import poll_seconds
from gpt_is_you.store import jobs
from gpt_is_you.store.jobs import Job

CONFIG = "adapter_config.json"
ATTEMPTS = 5  # downloads tried, each going on from the bytes already here
CHUNK = 1 << 20
_ZSTD, _GZIP = b"\x28\xb5\x2f\xfd", b"\x1f\x8b"


def folder(model_folder: Path, job_id: int) -> Path:
    """Where the job's adapter is once home (the local backend's place for its own)."""
    from gpt_is_you.providers.local import adapter_folder

    return adapter_folder(model_folder, job_id)


def is_home(model_folder: Path, job_id: int) -> bool:
    return (folder(model_folder, job_id) / CONFIG).is_file()


def bring_home(db, conn, job: Job, model_folder: Path, client=None) -> Path | None:
    """The job's adapter downloaded and unpacked (or already here), its events written;
    None when it could not come (a warning says why and what tries again)."""
    import httpx
    import together
    import zstandard

    target = folder(model_folder, job.id)
    if (target / CONFIG).is_file():
        return target
    job_folder = jobs.job_folder(model_folder, job.id)
    archive = job_folder / "adapter.download"
    jobs.add_event(db, job.id, f"downloading the adapter from {conn.service}")
    try:
        download(client or conn.together(), str(job.remote_id), archive)
        size = archive.stat().st_size
        files = unpack(archive, target)
    except (together.APIError, httpx.HTTPError, OSError, ProviderError, zstandard.ZstdError) as e:
        from gpt_is_you.providers.service_errors import explain, is_service_error

        reason = str(explain(e, conn)) if is_service_error(e) else str(e) or type(e).__name__
        jobs.add_event(
            db,
            job.id,
            f"the adapter did not come ({reason}); the model is at {conn.service}, and the "
            "next chat here or `train --resume` tries again",
            "warning",
        )
        return None
    archive.unlink()
    jobs.add_event(
        db,
        job.id,
        f"the adapter came: {files} files from a {size / 1e6:,.1f} MB archive, in "
        f"jobs/{job.id}/adapter",
    )
    return target


def download(client, ft_id: str, part: Path) -> None:
    """The adapter's archive into ``part``, going on from its bytes after a break."""
    import httpx
    import together

    for attempt in range(1, ATTEMPTS + 1):
        done = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={done}-"} if done else {}
        try:
            with client.fine_tuning.with_streaming_response.content(
                ft_id=ft_id, checkpoint="adapter", extra_headers=headers
            ) as response:
                if response.status_code != 206:
                    done = 0  # the whole archive came again
                total = _total(response.headers, done)
                flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if done else os.O_TRUNC)
                with open(os.open(part, flags, 0o600), "wb") as out:
                    # As the bytes arrive (not in blocks: a break would lose a partial
                    # block, and a break within the first would start over every time).
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except together.APIStatusError as e:
            if e.status_code == 416 and done:  # asked past the end: it had all come
                return
            raise
        except (httpx.TransportError, together.APIConnectionError):
            if attempt == ATTEMPTS:
                raise
            time.sleep(min(10.0, poll_seconds() * attempt))
            continue
        if total is None or part.stat().st_size >= total:
            return
    raise ProviderError(f"the adapter's download stopped short {ATTEMPTS} times")


def _total(headers, done: int) -> int | None:
    """The archive's whole size: Content-Range's total, or what is left plus what came."""
    whole = headers.get("content-range", "").rpartition("/")[2]
    if whole.isdigit():
        return int(whole)
    length = headers.get("content-length", "")
    return done + int(length) if length.isdigit() else None


def unpack(archive: Path, target: Path) -> int:
    """Unpack ``archive`` (.tar.zst or .tar.gz, told by its first bytes) into ``target``,
    whole or not at all; the number of files."""
    import zstandard

    with archive.open("rb") as raw:
        magic = raw.read(4)
        raw.seek(0)
        if magic.startswith(_ZSTD):
            stream = zstandard.ZstdDecompressor().stream_reader(raw)
            mode = "r|"
        elif magic.startswith(_GZIP):
            stream, mode = raw, "r|gz"
        else:
            raise ProviderError("the adapter's archive is neither .tar.zst nor .tar.gz")
        scratch = target.parent / f".adapter-{uuid.uuid4().hex}"
        scratch.mkdir(mode=0o700)
        try:
            with tarfile.open(fileobj=stream, mode=mode) as tar:
                count = _extract(tar, scratch)
            found = sorted(scratch.rglob(CONFIG), key=lambda p: len(p.parts))
            if not found:
                raise ProviderError(f"the adapter's archive holds no {CONFIG}")
            with_config = found[0].parent
            for path in with_config.rglob("*"):
                path.chmod(0o700 if path.is_dir() else 0o600)
            with_config.chmod(0o700)
            try:
                with_config.rename(target)
            except OSError:
                if not (target / CONFIG).is_file():
                    raise  # else another process brought it home meanwhile
            return count
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _extract(tar: tarfile.TarFile, into: Path) -> int:
    """Regular files and folders only, each inside ``into``."""
    count = 0
    for member in tar:
        name = PurePosixPath(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise ProviderError(
                f"the adapter's archive holds {member.name!r}, which is not a plain file "
                "inside it: nothing was unpacked"
            )
        path = into.joinpath(*name.parts)
        if member.isdir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        source = tar.extractfile(member)
        assert source is not None  # a regular file has its bytes
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        count += 1
    return count
