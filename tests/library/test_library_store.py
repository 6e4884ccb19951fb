"""The SQLite library: records from report content, schema migrations, several writers at
once, the history queries and the trend charts' data."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from posecheck.config import Config, OutputConfig, PoseConfig
from posecheck.library import store
from posecheck.library.records import (SessionRecord, settings_fields, settings_key,
                                       stride_metrics, summary_metrics)
from posecheck.library.store import MIGRATIONS, Library, LibraryError, history_json
from posecheck.library.trends import trend_chart, trend_frame

T0 = datetime(2025, 1, 6, 17, 30, tzinfo=timezone.utc)


def _report(score: float, thigh_left: list[float], thigh_right: list[float]) -> dict:
    """A report.json-shaped dict with strides of both legs (values chosen per test)."""
    strides = [{"side": "left", "phase": "max_velocity", "thigh_at_peak_knee_deg": v,
                "contact_time_s": 0.1, "touchdown_frame": 3 * i} for i, v in enumerate(thigh_left)]
    strides += [{"side": "right", "phase": "max_velocity", "thigh_at_peak_knee_deg": v,
                 "contact_time_s": None, "touchdown_frame": 3 * i + 1}
                for i, v in enumerate(thigh_right)]
    return {"posecheck_version": "test", "warnings": [],
            "summary": {"verdict": "front-side" if score >= 60 else "back-side", "score": score,
                        "confidence": 0.8, "confidence_label": "high", "n_strides": len(strides),
                        "phase": "max_velocity",
                        "key_metrics": {"thigh_at_peak_knee_deg": {"value": 12.5, "unit": "deg"}}},
            "strides": strides}


def _record(i: int, athlete: str = "alice", score: float = 70.0, person: int = 0,
            cfg: Config | None = None) -> SessionRecord:
    cfg = cfg or Config()
    return SessionRecord(athlete=athlete, clip=f"run{i}.mp4", clip_path=f"/clips/run{i}.mp4",
                         content_hash=f"{i:064x}", recorded_at=T0 + timedelta(days=7 * i),
                         date_source="mtime", settings=settings_fields(cfg),
                         settings_key=settings_key(cfg), report=_report(score, [10.0 + i, 20.0 + i, 30.0],
                                                                        [5.0, 7.0]),
                         person=person, output_dir=f"/out/run{i}", source="batch")


def test_summary_and_stride_metrics_from_report():
    rep = _report(81.0, [10.0, 20.0, 40.0], [5.0, 7.0])
    rows = {(m, side): (v, u) for m, side, v, u in summary_metrics(rep)}
    assert rows[("score", "both")] == (81.0, "/100")
    assert rows[("thigh_at_peak_knee_deg", "both")] == (12.5, "deg")  # the summary's value
    assert rows[("thigh_at_peak_knee_deg", "left")][0] == 20.0        # median of the leg
    assert rows[("thigh_at_peak_knee_deg", "right")][0] == 6.0
    assert rows[("contact_time_s", "right")][0] is None               # no measured stride
    per_stride = stride_metrics(rep)
    assert (0, "left", "max_velocity", "thigh_at_peak_knee_deg", 10.0) in per_stride
    assert (4, "right", "max_velocity", "contact_time_s", None) in per_stride
    assert len(per_stride) == 5 * 3


def test_settings_key_ignores_speed_and_output_only():
    base = settings_key(Config())
    assert settings_key(Config(pose=PoseConfig(workers=1))) == base
    assert settings_key(Config(output=OutputConfig(video=False))) == base
    assert settings_key(Config(pose=PoseConfig(person=2))) == base  # person is its own column
    assert settings_key(Config(pose=PoseConfig(model="lite"))) != base
    assert settings_key(Config(pose=PoseConfig(athlete="top"))) != base


def test_add_find_sessions_and_history_json(tmp_path):
    with Library(tmp_path / "lib.sqlite") as lib:
        assert lib.schema_version == len(MIGRATIONS)
        sid, added = lib.add(_record(2, score=40.0))
        assert added
        assert lib.add(_record(1))[1]
        assert lib.add(_record(2, score=99.0)) == (sid, False)   # same content and settings
        assert lib.add(_record(3, athlete="bob"))[1]
        assert lib.athletes() == ["alice", "bob"]
        alice = lib.sessions("alice")
        assert [s["clip"] for s in alice] == ["run1.mp4", "run2.mp4"]  # by date
        assert alice[1]["score"] == 40.0 and alice[1]["verdict"] == "back-side"
        assert alice[0]["date"] == (T0 + timedelta(days=7)).isoformat()
        assert alice[0]["key_metrics"]["thigh_at_peak_knee_deg"] == 12.5
        assert alice[0]["settings"]["pose"]["model"] == PoseConfig().model   # the default mode
        found = lib.find(f"{2:064x}", settings_key(Config()))
        assert found["id"] == sid and found["athlete"] == "alice"
        assert lib.find(f"{2:064x}", settings_key(Config()), person=1) is None
        assert len(lib.stride_rows(sid)) == 15
        lib.set_output_dir(sid, "/elsewhere")
        assert lib.find(f"{2:064x}", settings_key(Config()))["output_dir"] == "/elsewhere"
        js = history_json(lib.sessions())
        assert {"athlete", "date", "clip", "verdict", "score"} <= set(js[0])
        assert [j["athlete"] for j in js] == ["alice", "alice", "bob"]


def _apply_first_migration(path):
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO athletes (name) VALUES ('old')")
    db.execute("INSERT INTO sessions (athlete_id, clip, clip_path, content_hash, recorded_at, "
               "date_source, settings, settings_key, source, posecheck_version, analysed_at) "
               "VALUES (1, 'a.mp4', '/a.mp4', 'ab', '2024-05-01T00:00:00+00:00', 'mtime', '{}', "
               "'k', 'batch', '0.1', '2024-05-01T00:00:00+00:00')")
    db.commit()
    db.close()


def test_an_older_library_is_migrated_and_keeps_its_sessions(tmp_path):
    path = tmp_path / "old.sqlite"
    _apply_first_migration(path)
    with Library(path) as lib:
        assert lib.schema_version == len(MIGRATIONS) == 2
        assert [s["clip"] for s in lib.sessions("old")] == ["a.mp4"]
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "sessions_by_athlete" in names
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_newer_or_foreign_files_are_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(LibraryError, match="newer posecheck"):
        Library(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="not a posecheck library"):
        Library(junk)


def _writer(path: str, first: int, n: int, barrier) -> None:
    barrier.wait()
    with Library(path) as lib:
        for i in range(first, first + n):
            assert lib.add(_record(i, athlete=f"athlete{i % 3}"))[1]


def test_two_processes_write_at_once_and_nothing_is_lost(tmp_path):
    """Two writer processes (a batch and the app) open a new library at the same moment
    (both may migrate it) and add sessions concurrently; a reader reads meanwhile."""
    path = str(tmp_path / "shared.sqlite")
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_writer, args=(path, k * 100, 40, barrier)) for k in range(2)]
    for p in procs:
        p.start()
    barrier.wait()
    seen = []
    while any(p.is_alive() for p in procs):
        with Library(path) as lib:  # a reader never fails while they write
            seen.append(len(lib.sessions()))
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Library(path) as lib:
        sessions = lib.sessions()
        assert len(sessions) == 80
        assert {s["content_hash"] for s in sessions} == {f"{i:064x}" for k in (0, 100)
                                                        for i in range(k, k + 40)}
        # every session arrived with all its metrics (one transaction each)
        assert all(len(lib.stride_rows(s["id"])) == 15 for s in sessions)
        assert lib.schema_version == len(MIGRATIONS)
    assert seen == sorted(seen)  # readers only ever see whole sessions, growing


def test_default_library_path(monkeypatch, tmp_path):
    monkeypatch.setenv("POSECHECK_LIBRARY", str(tmp_path / "x.sqlite"))
    assert store.default_library_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("POSECHECK_LIBRARY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if store.sys.platform.startswith("linux"):
        assert store.default_library_path() == tmp_path / "data" / "posecheck" / "library.sqlite"


def test_trend_data_and_chart(tmp_path):
    with Library(tmp_path / "lib.sqlite") as lib:
        for i in (1, 2, 3):
            lib.add(_record(i, score=30.0 * i))
        rows = lib.metric_rows("alice")
    df = trend_frame(rows, "thigh_at_peak_knee_deg")
    assert sorted(df.side.unique()) == ["left", "right"] and len(df) == 6
    left = df[df.side == "left"].sort_values("date")
    np.testing.assert_allclose(left.value, [21.0, 22.0, 23.0])  # medians of 10+i, 20+i, 30
    assert str(left.date.dt.tz) == "UTC"
    score = trend_frame(rows, "score", ("both",))
    assert list(score.sort_values("date").value) == [30.0, 60.0, 90.0]
    spec = trend_chart(rows, "thigh_at_peak_knee_deg").to_dict()
    assert spec["title"]["text"] == "Thigh angle at peak knee flexion"
    assert "#FF8C00" in str(spec) and "#1E90FF" in str(spec)
    with pytest.raises(ValueError):
        trend_chart(rows, "nonsense")


def test_set_up_is_retried_while_the_file_is_busy_and_other_errors_pass_through():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    store._retry_while_busy(flaky, timeout_s=5.0)
    assert len(calls) == 3

    def broken():
        calls.append(1)
        raise sqlite3.OperationalError("no such table: sessions")

    calls.clear()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store._retry_while_busy(broken, timeout_s=5.0)
    assert len(calls) == 1  # not retried

    def always_locked():
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store._retry_while_busy(always_locked, timeout_s=0.05)  # gives up after the timeout
