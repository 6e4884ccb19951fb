"""Which clips a batch analyses, who is in them, when they were filmed, where results go."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from posecheck.config import Config
from posecheck.errors import PosecheckError
from posecheck.library.records import settings_key
from posecheck.video.files import is_clip_name


class BatchUsageError(PosecheckError):
    """A batch command line that cannot be run (a missing path, no clips found)."""


@dataclass(frozen=True)
class Job:
    """One analysis of a batch: a clip (for one person) with everything needed to run it
    anywhere the clip's path can be read (a worker of a cluster too).

    Attributes:
        clip_path: absolute path of the clip.
        clip: display name: the file name, ``"<file> #k"`` for the k-th person.
        athlete: the athlete's name.
        content_hash: SHA-256 of the clip's bytes.
        recorded_at, date_source: when it was filmed (aware UTC) and how that is known.
        config: the analysis settings (``config.pose.person`` = k, or 0).
        output_dir: the analysis's output folder (absolute).
    """

    clip_path: str
    clip: str
    athlete: str
    content_hash: str
    recorded_at: datetime
    date_source: str
    config: Config
    output_dir: str

    @property
    def person(self) -> int:
        return self.config.pose.person

    @property
    def settings_key(self) -> str:
        return settings_key(self.config)

    def for_person(self, k: int, out_root: str | os.PathLike) -> "Job":
        """The same clip for the k-th person (``"<file> #k"``, its own output folder)."""
        cfg = replace(self.config, pose=replace(self.config.pose, person=k))
        name = Path(self.clip_path).name
        job = replace(self, clip=f"{name} #{k}", config=cfg)
        return replace(job, output_dir=str(output_folder(out_root, job)))


def find_clips(paths: list[str | os.PathLike]) -> list[tuple[Path, Path]]:
    """``(clip, given path)`` for every clip under ``paths`` (files as given; folders
    searched recursively for the accepted extensions, hidden files and folders skipped),
    each clip once, in path order.

    Raises:
        BatchUsageError: a path does not exist.
    """
    out: dict[Path, Path] = {}
    for given in map(Path, paths):
        if not given.exists():
            raise BatchUsageError(f"{given} does not exist")
        if given.is_file():
            out.setdefault(given.resolve(), given)
            continue
        found = []
        for root, dirs, files in os.walk(given):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / f for f in files if is_clip_name(f)]
        for clip in sorted(found):
            out.setdefault(clip.resolve(), given)
    return list(out.items())


def athlete_for(clip: Path, name: str | None = None) -> str:
    """``name`` if given, else the clip's folder name (``squad/alice/run1.mp4`` → ``alice``)."""
    if name and name.strip():
        return name.strip()
    return clip.resolve().parent.name or "athlete"


_UNSAFE = re.compile(r"[^\w.+-]+")


def _safe(text: str, limit: int = 60) -> str:
    return _UNSAFE.sub("_", text).strip("._")[:limit] or "clip"


def output_folder(out_root: str | os.PathLike, job: Job) -> Path:
    """``<out>/<athlete>/<clip stem>[-p<k>]-<first 10 hex of the content hash>``: one
    folder per analysis, the same for a renamed copy of the clip."""
    stem = Path(job.clip_path).stem
    person = f"-p{job.person}" if job.person else ""
    return (Path(out_root).resolve() / _safe(job.athlete)
            / f"{_safe(stem)}{person}-{job.content_hash[:10]}")
