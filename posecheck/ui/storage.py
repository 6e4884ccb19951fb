"""Where the app keeps uploads and per-analysis files, with names it generates itself.

An uploaded file's name never reaches a path: an upload is stored as
``<workdir>/uploads/<sha256>.<ext>`` with ``ext`` from a whitelist (the content hash names it,
so the same clip uploaded twice, by anyone, is one file), and everything derived from an
analysis lives in ``<workdir>/runs/<sha256>-<settings key>/``. The uploaded name is kept only
as display text (:func:`display_name`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from posecheck.video.files import VIDEO_EXTENSIONS  # accepted by the uploader
from posecheck.video.files import content_hash as sha256_file  # uploads are stored under it

_CHUNK = 8 << 20
_SAFE_KEY = re.compile(r"^[0-9a-f]{8,64}(-[0-9a-z]{4,64})?$")


@dataclass(frozen=True)
class StoredClip:
    """An upload written to disk.

    Attributes:
        path: ``<workdir>/uploads/<digest>.<ext>``.
        digest: SHA-256 of the content (hex).
        name: the uploaded file name, for display only (see :func:`display_name`).
        size: bytes.
    """

    path: Path
    digest: str
    name: str
    size: int


def workdir() -> Path:
    """The app's working directory: ``$POSECHECK_APP_DIR`` or ``<tmp>/posecheck-app``."""
    base = os.environ.get("POSECHECK_APP_DIR")
    path = Path(base) if base else Path(tempfile.gettempdir()) / "posecheck-app"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_extension(filename: str) -> str:
    """The whitelisted extension of ``filename`` (``mp4``/``mov``/``m4v``), else ``mp4``.

    The extension only helps FFmpeg guess the container (it probes the content anyway).
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext if ext in VIDEO_EXTENSIONS else "mp4"


def display_name(filename: str, limit: int = 80) -> str:
    """The uploaded name reduced to its last path component and printable characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > limit:
        name = name[: limit - 1] + "…"
    return name or "clip"


def store_upload(chunks: Iterable[bytes], filename: str, root: Path | None = None) -> StoredClip:
    """Write an upload to ``<root>/uploads/<sha256>.<ext>`` and return where it is.

    ``chunks`` is the content (e.g. ``iter(lambda: f.read(1 << 20), b"")``). The file is
    written under a unique temporary name and renamed into place, so concurrent uploads of
    the same clip never see a half-written file.
    """
    root = Path(root) if root is not None else workdir()
    uploads = root / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    tmp = uploads / f".{uuid.uuid4().hex}.part"
    h = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                h.update(chunk)
                f.write(chunk)
                size += len(chunk)
        digest = h.hexdigest()
        path = uploads / f"{digest}.{safe_extension(filename)}"
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredClip(path=path, digest=digest, name=display_name(filename), size=size)


def read_chunks(fileobj, size: int = _CHUNK) -> Iterable[bytes]:
    """Yield a binary file object's content in chunks, from its start."""
    fileobj.seek(0)
    return iter(lambda: fileobj.read(size), b"")


def run_dir(digest: str, settings_key: str, root: Path | None = None) -> Path:
    """The folder for one analysis (clip digest + settings key); created if needed."""
    key = f"{digest}-{settings_key}"
    if not _SAFE_KEY.match(key):
        raise ValueError(f"not a digest/settings key: {key!r}")
    path = (Path(root) if root is not None else workdir()) / "runs" / key
    path.mkdir(parents=True, exist_ok=True)
    return path


def compare_dir(key: str, root: Path | None = None) -> Path:
    """The folder for one comparison (``key``: hex digest of both analyses + alignment)."""
    if not re.fullmatch(r"[0-9a-f]{8,64}", key):
        raise ValueError(f"not a comparison key: {key!r}")
    path = (Path(root) if root is not None else workdir()) / "compare" / key
    path.mkdir(parents=True, exist_ok=True)
    return path


def prune(root: Path | None = None, max_age_s: float = 24 * 3600) -> int:
    """Delete uploads and run files not modified for ``max_age_s``; return how many.

    Called when a new browser session starts, so the working directory does not grow
    without bound on a shared machine.
    """
    root = Path(root) if root is not None else workdir()
    cutoff = time.time() - max_age_s
    removed = 0
    for sub in ("uploads", "runs", "compare"):
        base = root / sub
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*"), reverse=True):  # files before their folders
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
                elif (path.is_dir() and path.stat().st_mtime < cutoff
                      and not any(path.iterdir())):
                    path.rmdir()
            except OSError:
                pass
    return removed


