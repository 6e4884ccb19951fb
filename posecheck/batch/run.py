"""``posecheck batch``: analyse every clip under some folders into one output folder each,
record them in the library, skip what the library already has.

A clip is skipped when the library holds a session of the same content (SHA-256, whatever
the file is called), the same settings (:func:`posecheck.library.records.settings_key`) and
the same person, and its output folder still exists. A clip that cannot be analysed is
reported in one line and the batch goes on; each finished analysis is written (atomically,
:func:`posecheck.report.outdir.staged_output`) and recorded (one transaction) before the
next one starts, so nothing finished is lost when a later clip fails or the run is stopped.

``all_people``: every person tracked long enough in a clip is analysed on its own
(``PoseConfig.person`` = 1, 2, ...; the first analysis tells how many there are).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from posecheck.config import Config
from posecheck.errors import PosecheckError
from posecheck.library.records import SessionRecord, settings_fields
from posecheck.library.store import LIBRARY_FILE, Library
from posecheck.batch.discover import (BatchUsageError, Job, athlete_for, find_clips,
                                      output_folder)
from posecheck.video.files import VIDEO_EXTENSIONS, content_hash, recorded_at

SUMMARY_FILE = "summary.csv"
#: say(kind, text): kind is "start", "done", "skip" or "fail"
Say = Callable[[str, str], None]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class JobResult:
    """What an analysis sends back (small and picklable, also from a cluster worker).

    Attributes:
        report: the ``report.json`` content.
        files: names of the files written to the job's output folder.
        people: people tracked in the clip when a person was asked for (else ``None``).
    """

    report: dict
    files: tuple[str, ...]
    people: int | None = None


def analyse_job(job: Job, progress: Progress | None = None) -> JobResult:
    """Analyse one job and write its output folder (the same files as ``posecheck
    analyze``, replaced atomically); runs here or on a cluster worker."""
    from posecheck.pipeline import analyze_video
    from posecheck.pose.choice import people_count
    from posecheck.report.export import report_dict, write_outputs
    from posecheck.report.outdir import staged_output

    analysis = analyze_video(job.clip_path, job.config, progress=progress)
    with staged_output(job.output_dir, force=True) as stage:
        paths = write_outputs(analysis, stage, job.config.output, progress=progress)
    people = people_count(analysis.warnings) if job.person else None
    return JobResult(report_dict(analysis), tuple(sorted(paths)), people)


@dataclass
class BatchOutcome:
    """What a batch did. ``sessions``: library session ids of every clip of the run
    (analysed now or before); ``analysed``/``skipped`` (already in the library):
    display names; ``duplicates``: paths of files whose content another file of the run
    has; ``failed``: ``(clip path, one-line reason)``."""

    library: Path
    summary_csv: Path
    sessions: list[int] = field(default_factory=list)
    analysed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every clip was analysed or already there, 1 when any failed."""
        return 1 if self.failed else 0


def one_line(exc: BaseException) -> str:
    """A failure in one line: a posecheck error's message, else its type and first line."""
    if isinstance(exc, PosecheckError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}{': ' + first if first else ''}"


def _record(job: Job, result: JobResult) -> SessionRecord:
    return SessionRecord(
        athlete=job.athlete, clip=job.clip, clip_path=job.clip_path,
        content_hash=job.content_hash, recorded_at=job.recorded_at,
        date_source=job.date_source, settings=settings_fields(job.config),
        settings_key=job.settings_key, report=result.report, person=job.person,
        output_dir=job.output_dir, source="batch")


def _people_in(session: dict) -> int | None:
    """People count of an earlier person-1 analysis, from its report.json warnings."""
    from posecheck.pose.choice import people_count

    try:
        report = json.loads((Path(session["output_dir"]) / "report.json").read_text())
    except (OSError, ValueError, TypeError):
        return None
    return people_count(report.get("warnings") or [])


def run_batch(paths: Iterable[str | os.PathLike], out: str | os.PathLike,
              config: Config | None = None, *, name: str | None = None,
              all_people: bool = False, library: str | os.PathLike | None = None,
              scheduler: str | None = None, say: Say | None = None,
              progress: Progress | None = None) -> BatchOutcome:
    """Analyse every clip under ``paths`` into ``out`` (see the module docstring).

    ``config``: the settings of every analysis; ``name``: the athlete of every clip
    (default: each clip's folder name); ``library``: the SQLite library (default
    ``out/library.sqlite``); ``scheduler``: the address of a Dask distributed scheduler to
    run the analyses on (``None``: one after the other in this process).

    Raises:
        BatchUsageError: a path does not exist or no clip was found.
        LibraryError: the library cannot be opened.
    """
    say = say or (lambda kind, text: None)
    cfg = config or Config()
    if all_people:
        cfg = replace(cfg, pose=replace(cfg.pose, person=1))
    paths = list(paths)
    out_root = Path(out).resolve()
    # never the batch's own results (annotated.mp4) when --out is inside a searched folder
    found = [(c, g) for c, g in find_clips(paths) if not c.is_relative_to(out_root)]
    if not found:
        exts = ", ".join(f".{e}" for e in VIDEO_EXTENSIONS)
        raise BatchUsageError(f"no clips ({exts}) found under {', '.join(map(str, paths))}")
    out_root.mkdir(parents=True, exist_ok=True)
    lib_path = Path(library) if library is not None else out_root / LIBRARY_FILE
    outcome = BatchOutcome(library=lib_path, summary_csv=out_root / SUMMARY_FILE)
    with Library(lib_path) as lib:
        try:
            jobs = _plan(found, out_root, cfg, name, lib, outcome, say)
            if scheduler:
                from posecheck.batch.cluster import run_on_cluster

                run_on_cluster(scheduler, analyse_job, jobs,
                               lambda j, r: _finished(j, r, lib, outcome, say, out_root),
                               lambda j, e: _failed(j, e, outcome, say), say)
            else:
                _run_here(jobs, lib, outcome, say, progress, out_root)
        finally:
            from posecheck.batch.summary import write_summary

            write_summary(outcome.summary_csv, lib, outcome.sessions)
    return outcome


def _has_outputs(session: dict | None) -> bool:
    """A session whose output folder is still there with its report (an app session, whose
    folder holds only the annotated video, is analysed again into the batch's folder)."""
    folder = (session or {}).get("output_dir")
    return bool(folder) and (Path(folder) / "report.json").is_file()


def _plan(found, out_root: Path, cfg: Config, name: str | None, lib: Library,
          outcome: BatchOutcome, say: Say) -> list[Job]:
    """The jobs still to run; clips already in the library are counted as skipped."""
    jobs: list[Job] = []
    seen: dict[str, str] = {}
    for clip, _given in found:
        try:
            digest = content_hash(clip)
            when, source = recorded_at(clip)
        except OSError as exc:
            _failed_path(str(clip), f"cannot read {clip.name}: {exc.strerror or exc}", outcome, say)
            continue
        if digest in seen:
            outcome.duplicates.append(str(clip))
            say("skip", f"{clip}: same content as {seen[digest]}, skipped")
            continue
        seen[digest] = str(clip)
        job = Job(clip_path=str(clip), clip=clip.name, athlete=athlete_for(clip, name),
                  content_hash=digest, recorded_at=when, date_source=source, config=cfg,
                  output_dir="")
        job = job.for_person(cfg.pose.person, out_root) if cfg.pose.person else replace(
            job, output_dir=str(output_folder(out_root, job)))
        done = lib.find(digest, job.settings_key, job.person)
        if not _has_outputs(done):
            jobs.append(job)
            continue
        outcome.sessions.append(done["id"])
        outcome.skipped.append(done["clip"])
        say("skip", f"{clip}: already analysed with these settings ({done['output_dir']})")
        if job.person == 1:  # the other people of a group clip
            for k in range(2, (_people_in(done) or 1) + 1):
                more = job.for_person(k, out_root)
                other = lib.find(digest, more.settings_key, k)
                if not _has_outputs(other):
                    jobs.append(more)
                else:
                    outcome.sessions.append(other["id"])
                    outcome.skipped.append(other["clip"])
    return jobs


def _finished(job: Job, result: JobResult, lib: Library, outcome: BatchOutcome, say: Say,
              out_root: Path) -> list[Job]:
    """Record a finished analysis; return the follow-up jobs (people 2..n of a clip)."""
    sid, added = lib.add(_record(job, result))
    if not added:  # known, but its output folder was gone or was the app's: now this one
        lib.set_output_dir(sid, job.output_dir)
    outcome.sessions.append(sid)
    outcome.analysed.append(job.clip)
    s = result.report.get("summary") or {}
    style = (f"{s.get('verdict')} style, front-side index {s.get('score')}"
             if s.get("verdict") not in (None, "unknown") else "style not judged")
    say("done", f"{job.clip} ({job.athlete}): {style} -> {job.output_dir}")
    if job.person == 1 and result.people and result.people > 1:
        return [job.for_person(k, out_root) for k in range(2, result.people + 1)
                if lib.find(job.content_hash, job.settings_key, k) is None]
    return []


def _failed_path(path: str, why: str, outcome: BatchOutcome, say: Say) -> None:
    outcome.failed.append((path, why))
    say("fail", f"{path}: {why}")


def _failed(job: Job, exc: BaseException, outcome: BatchOutcome, say: Say) -> None:
    label = job.clip_path + (f" #{job.person}" if job.person else "")
    _failed_path(label, one_line(exc), outcome, say)


def _run_here(jobs: list[Job], lib: Library, outcome: BatchOutcome, say: Say,
              progress: Progress | None, out_root: Path) -> None:
    queue = deque(jobs)
    done = 0
    while queue:
        job = queue.popleft()
        done += 1
        say("start", f"[{done}/{done + len(queue)}] {job.clip_path}"
                     + (f" #{job.person}" if job.person else ""))
        try:
            result = analyse_job(job, progress)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one clip's failure never stops the batch
            _failed(job, exc, outcome, say)
            continue
        queue.extend(_finished(job, result, lib, outcome, say, out_root))
