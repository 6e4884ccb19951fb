"""Clip files as a library sees them: accepted extensions, content hash, recording date.

Nothing here decodes pictures; :func:`creation_time` opens the container for its tags only.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

#: Extensions of the clips posecheck accepts (lower case, no dot): the app's uploader and
#: ``posecheck batch``'s folder search.
VIDEO_EXTENSIONS = ("mp4", "mov", "m4v")
_CHUNK = 8 << 20


def is_clip_name(path: str | os.PathLike) -> bool:
    """True if the file name ends in an accepted extension (any case) and is not hidden."""
    name = Path(path).name
    return (not name.startswith(".") and "." in name
            and name.rsplit(".", 1)[-1].lower() in VIDEO_EXTENSIONS)


def content_hash(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes: the same clip under another name has the same hash."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _parse_time(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    if not text or text.startswith("0000") or text.startswith("1904-01-01"):
        return None  # an empty QuickTime date (seconds since 1904 = 0)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def creation_time(path: str | os.PathLike) -> datetime | None:
    """The container's (else the video stream's) ``creation_time`` tag as an aware UTC
    datetime; ``None`` when there is none or the file cannot be opened."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            tags = [dict(c.metadata)] + [dict(s.metadata) for s in c.streams.video[:1]]
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        return None
    for t in tags:
        for key, value in t.items():
            if key.lower() == "creation_time":
                parsed = _parse_time(str(value))
                if parsed is not None:
                    return parsed.astimezone(timezone.utc)
    return None


def recorded_at(path: str | os.PathLike) -> tuple[datetime, str]:
    """When the clip was filmed: ``(UTC datetime, source)`` with source ``"creation_time"``
    (the container tag) or ``"mtime"`` (the file's modification time)."""
    tagged = creation_time(path)
    if tagged is not None:
        return tagged, "creation_time"
    return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc), "mtime"
