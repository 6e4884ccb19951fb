"""Which clips a batch finds, whose they are, when they were filmed, where results go."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import numpy as np
import pytest

from clipfactory import make_clip

from posecheck.batch.discover import (BatchUsageError, Job, athlete_for, find_clips,
                                      output_folder)
from posecheck.config import Config
from posecheck.video.files import creation_time, is_clip_name, recorded_at


def test_find_clips_recursive_by_extension(tmp_path):
    for rel in ("squad/alice/run1.mp4", "squad/alice/Run2.MOV", "squad/bob/x.m4v",
                "squad/bob/notes.txt", "squad/.hidden/y.mp4", "squad/bob/.z.mp4", "one.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = find_clips([tmp_path / "squad", tmp_path / "one.mp4", tmp_path / "squad/alice"])
    rel = [str(c.relative_to(tmp_path)) for c, _given in found]
    assert rel == ["squad/alice/Run2.MOV", "squad/alice/run1.mp4", "squad/bob/x.m4v", "one.mp4"]
    with pytest.raises(BatchUsageError, match="nope"):
        find_clips([tmp_path / "nope"])
    assert is_clip_name("a.MP4") and not is_clip_name("a.mp4.txt") and not is_clip_name(".a.mp4")


def test_athlete_from_name_or_folder(tmp_path):
    clip = tmp_path / "squad" / "alice" / "run1.mp4"
    assert athlete_for(clip) == "alice"
    assert athlete_for(clip, "  Bo Lt ") == "Bo Lt"


def test_date_from_creation_time_tag_else_mtime(tmp_path):
    frames = [np.zeros((64, 64, 3), np.uint8)] * 3
    tagged = make_clip(tmp_path / "tagged.mp4", frames,
                       metadata={"creation_time": "2025-03-01T10:00:00.000000Z"})
    plain = make_clip(tmp_path / "plain.mp4", frames)
    os.utime(plain, (1_700_000_000, 1_700_000_000))
    assert recorded_at(tagged) == (datetime(2025, 3, 1, 10, tzinfo=timezone.utc), "creation_time")
    assert creation_time(plain) is None
    assert recorded_at(plain) == (datetime.fromtimestamp(1_700_000_000, timezone.utc), "mtime")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 100)
    assert creation_time(junk) is None  # unreadable: no tag, the file time is used


def test_output_folder_per_content_and_person(tmp_path):
    job = Job(clip_path=str(tmp_path / "a b.mp4"), clip="a b.mp4", athlete="al/ice",
              content_hash="0123456789abcdef" * 4, recorded_at=datetime.now(timezone.utc),
              date_source="mtime", config=Config(), output_dir="")
    assert output_folder(tmp_path / "out", job) == (tmp_path / "out" / "al_ice" / "a_b-0123456789")
    two = job.for_person(2, tmp_path / "out")
    assert two.clip == "a b.mp4 #2" and two.person == 2
    assert two.output_dir.endswith("a_b-p2-0123456789")
    assert two.settings_key == job.settings_key


def test_plan_skips_only_sessions_with_their_outputs(tmp_path):
    """A clip already in the library is skipped when its output folder still holds its
    report; an app session (folder with the annotated video only) or a deleted folder is
    analysed again."""
    from posecheck.batch.run import BatchOutcome, _plan
    from posecheck.library.records import SessionRecord, settings_fields, settings_key
    from posecheck.library.store import Library
    from posecheck.video.files import content_hash

    clips = tmp_path / "squad" / "alice"
    clips.mkdir(parents=True)
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (clips / name).write_bytes(name.encode() * 100)
    cfg = Config()
    folders = {"a.mp4": tmp_path / "outa", "b.mp4": tmp_path / "appdir", "c.mp4": tmp_path / "gone"}
    folders["a.mp4"].mkdir()
    (folders["a.mp4"] / "report.json").write_text("{}")
    folders["b.mp4"].mkdir()
    (folders["b.mp4"] / "annotated.mp4").write_bytes(b"")
    with Library(tmp_path / "lib.sqlite") as lib:
        for name, folder in folders.items():
            lib.add(SessionRecord(athlete="alice", clip=name, clip_path=str(clips / name),
                                  content_hash=content_hash(clips / name),
                                  recorded_at=datetime.now(timezone.utc), date_source="mtime",
                                  settings=settings_fields(cfg), settings_key=settings_key(cfg),
                                  report={}, output_dir=str(folder)))
        outcome = BatchOutcome(library=tmp_path / "lib.sqlite", summary_csv=tmp_path / "s.csv")
        jobs = _plan(find_clips([tmp_path / "squad"]), tmp_path / "out", cfg, None, lib,
                     outcome, lambda kind, text: None)
    assert [j.clip for j in jobs] == ["b.mp4", "c.mp4"]
    assert outcome.skipped == ["a.mp4"] and len(outcome.sessions) == 1
    assert all(j.output_dir.startswith(str(tmp_path / "out" / "alice")) for j in jobs)


def test_an_unreachable_scheduler_is_one_clear_error():
    from posecheck.batch.cluster import ClusterUnavailable, run_on_cluster

    with pytest.raises(ClusterUnavailable, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_on_cluster("tcp://127.0.0.1:9", print, [], print, print, print, timeout_s=2)


def test_the_batch_never_analyses_its_own_output_folder(tmp_path):
    """``posecheck batch squad --out squad/results``: the annotated videos of an earlier
    run inside the searched folder are not clips of the squad."""
    from posecheck.batch.run import run_batch

    (tmp_path / "squad" / "results" / "alice" / "run-0123").mkdir(parents=True)
    (tmp_path / "squad" / "results" / "alice" / "run-0123" / "annotated.mp4").write_bytes(b"x")
    with pytest.raises(BatchUsageError, match="no clips"):
        run_batch([tmp_path / "squad"], tmp_path / "squad" / "results")
