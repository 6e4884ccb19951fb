"""``posecheck batch`` and ``posecheck history`` end to end (issue 19, "done when"):

a folder of clips in athlete subfolders (a committed sample copied under a new name,
half-size cuts of the samples, one with a ``creation_time`` tag) plus a broken file and a text file. The batch
analyses the good clips, reports the broken one in one line and exits 1; ``history --json``
lists one session per good clip with the athlete from its folder; a second run adds nothing
(a renamed copy is recognised by its content); the same batch on a local Dask cluster
(two worker processes) gives the same sessions; the app's History tab shows the trends and
opens two sessions in the comparison. ``--athlete all`` analyses both runners of a group
clip (two samples side by side).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from cli_helpers import one_line_error, run_cli

ROOT = Path(__file__).resolve().parent.parent
FRONT = ROOT / "sample_videos" / "front_side_60fps.mp4"
BACK = ROOT / "sample_videos" / "back_kick_60fps.mp4"
#: fast settings, the same in every run (one pose stream: identical results everywhere)
FAST = ("--model", "lite", "--workers", "1", "--max-height", "144")
FILES = {"angles.csv", "landmarks.csv", "strides.csv", "report.json", "annotated.mp4"}
JAN, FEB = 1_736_500_000, 1_739_200_000  # 2025-01-10, 2025-02-10 (file times)


@pytest.fixture(scope="module")
def squad(tmp_path_factory) -> Path:
    from clipfactory import make_clip
    from posecheck.video.reader import iter_frames

    root = tmp_path_factory.mktemp("batch") / "squad"
    (root / "alice").mkdir(parents=True)
    (root / "bob").mkdir()
    shutil.copyfile(FRONT, root / "alice" / "track day.mp4")
    half_back = [rgb[::2, ::2].copy() for _i, _t, rgb in iter_frames(BACK, stop=120)]
    make_clip(root / "alice" / "Second run.MOV", half_back, fps=60)
    os.utime(root / "alice" / "track day.mp4", (JAN, JAN))
    os.utime(root / "alice" / "Second run.MOV", (FEB, FEB))
    half_front = [rgb[::2, ::2].copy() for _i, _t, rgb in iter_frames(FRONT, start=60, stop=180)]
    make_clip(root / "bob" / "sprint.mp4", half_front, fps=60,
              metadata={"creation_time": "2025-03-01T10:00:00.000000Z"})
    (root / "broken.mp4").write_bytes(os.urandom(20_000))
    (root / "bob" / "notes.txt").write_text("not a clip")
    return root


@pytest.fixture(scope="module")
def first(squad):
    out = squad.parent / "out"
    proc = run_cli("batch", squad, "--out", out, *FAST)
    return {"proc": proc, "out": out, "library": out / "library.sqlite"}


def _history(library: Path, *args) -> list[dict]:
    proc = run_cli("history", "--library", library, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_batch_analyses_good_clips_reports_the_broken_one_and_exits_1(first):
    proc, out = first["proc"], first["out"]
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    failed = [l for l in proc.stderr.splitlines() if l.startswith("posecheck: failed:")]
    assert len(failed) == 1 and "broken.mp4" in failed[0] and "not a video" in failed[0]
    assert "3 analysed, 0 already in the library, 1 failed" in proc.stdout
    folders = sorted(p.parent for p in out.rglob("report.json"))
    assert [f.parent.name for f in folders] == ["alice", "alice", "bob"]
    for f in folders:  # the five outputs of `posecheck analyze`
        assert {p.name for p in f.iterdir()} == FILES
    rows = (out / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("athlete,date,clip,phase,verdict,score,confidence")
    assert len(rows) == 4 and not any("broken" in r for r in rows)


def test_history_lists_one_session_per_good_clip_with_athlete_and_date(first):
    sessions = _history(first["library"])
    got = [(s["athlete"], s["clip"], s["date"][:10]) for s in sessions]
    # dates: the file times of alice's copies, the creation_time tag of bob's clip
    assert got == [("alice", "track day.mp4", "2025-01-10"),
                   ("alice", "Second run.MOV", "2025-02-10"),
                   ("bob", "sprint.mp4", "2025-03-01")]
    front, back = sessions[0], sessions[1]
    assert front["verdict"] == "front-side" and back["verdict"] == "back-side"
    assert sessions[2]["verdict"] == "front-side"
    assert front["score"] > 60 > back["score"]
    report = json.loads((Path(front["output_dir"]) / "report.json").read_text())
    assert front["score"] == report["summary"]["score"]
    assert front["key_metrics"]["contact_time_s"] == report["summary"]["key_metrics"][
        "contact_time_s"]["value"]
    assert [s["clip"] for s in _history(first["library"], "--athlete", "bob")] == ["sprint.mp4"]
    table = run_cli("history", "--library", first["library"])
    assert table.returncode == 0 and "track day.mp4" in table.stdout and "front-side" in table.stdout


def test_second_run_analyses_nothing_and_knows_a_renamed_copy(first, squad):
    shutil.copyfile(squad / "alice" / "track day.mp4", squad / "alice" / "copy of day 1.mp4")
    out = first["out"]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
              and p.suffix != ".csv" and "library" not in p.name}
    db = sqlite3.connect(first["library"])
    stamps = db.execute("SELECT id, analysed_at FROM sessions ORDER BY id").fetchall()
    db.close()
    proc = run_cli("batch", squad, "--out", out, *FAST)
    assert proc.returncode == 1  # the broken file is still there
    assert "0 analysed, 3 already in the library, 1 duplicate files, 1 failed" in proc.stdout
    assert "same content as" in proc.stdout and "copy of day 1.mp4" in proc.stdout
    db = sqlite3.connect(first["library"])
    assert db.execute("SELECT id, analysed_at FROM sessions ORDER BY id").fetchall() == stamps
    db.close()
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
             and p.suffix != ".csv" and "library" not in p.name}
    assert after == before  # no output rewritten, none added
    assert len((out / "summary.csv").read_text().splitlines()) == 4


def _session_values(library: Path) -> dict:
    """content hash → (athlete, phase, verdict, score, n_strides, key metrics, strides)."""
    from posecheck.library.store import Library

    with Library(library) as lib:
        return {s["content_hash"]: (s["athlete"], s["phase"], s["verdict"], s["score"],
                                    s["n_strides"], s["key_metrics"], lib.stride_rows(s["id"]))
                for s in lib.sessions()}


def test_the_same_batch_on_a_local_dask_cluster_gives_the_same_sessions(first, squad, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "dask_out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        proc = run_cli("batch", squad, "--out", out, "--scheduler", cluster.scheduler_address,
                       "--quiet", *FAST)
    assert proc.returncode == 1, proc.stderr
    failed = [l for l in proc.stderr.splitlines() if l.startswith("posecheck: failed:")]
    assert len(failed) == 1 and "broken.mp4" in failed[0]
    local, remote = _session_values(first["library"]), _session_values(out / "library.sqlite")
    assert len(remote) == 3 and remote == local
    for folder in {p.parent for p in out.rglob("report.json")}:
        assert {p.name for p in folder.iterdir()} == FILES  # written by the workers


def _chart_data(chart) -> list:
    """The data frames of an app chart (Arrow datasets of its Vega-Lite spec)."""
    import pyarrow as pa

    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets]


def test_app_history_tab_shows_trends_and_opens_a_comparison(first, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from posecheck.ui import st_run

    monkeypatch.setenv("POSECHECK_LIBRARY", str(first["library"]))
    monkeypatch.setenv("POSECHECK_APP_DIR", str(tmp_path / "work"))
    st_run.clear_cache()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    assert not at.exception, at.exception
    box = at.selectbox(key="hist_athlete")
    assert box.options == ["alice", "bob"] and box.value == "alice"
    table = at.dataframe[0].value
    assert list(table["Clip"]) == ["track day.mp4", "Second run.MOV"]
    assert list(table["Style"]) == ["front-side", "back-side"]
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 7  # the front-side index and six key metrics per leg
    assert "Front-side index" in charts[0].proto.spec
    score = _chart_data(charts[0])[0]
    assert list(score["clip"]) == ["track day.mp4", "Second run.MOV"]
    assert [str(d.date()) for d in score["date"]] == ["2025-01-10", "2025-02-10"]
    assert list(score["value"]) == list(table["Front-side index"])
    for chart in charts[1:]:  # left and right legs, one point per session each
        data = _chart_data(chart)[0]
        assert sorted(data["side"]) == ["left", "left", "right", "right"]
    box.set_value("bob").run()
    assert list(at.dataframe[0].value["Clip"]) == ["sprint.mp4"]
    at.selectbox(key="hist_athlete").set_value("alice").run()
    at.button(key="hist_open_btn").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    before, after = at.selectbox(key="cmp_before"), at.selectbox(key="cmp_after")
    assert "track day.mp4" in before.format_func(before.value)
    assert "Second run.MOV" in after.format_func(after.value)
    assert any("front-side → back-side" in m.value or "→" in m.value for m in at.markdown)
    assert any("Opened" in s.value for s in at.success)
    st_run.clear_cache()


def _group_clip(path: Path, n: int = 120) -> Path:
    """Two runners filmed together, from the committed samples: the front-side runner
    (half size, left half of a 1280x360 frame) and, smaller, the back-kick runner (right
    half, 70 % of that). Both are in view from the first frame."""
    import cv2
    import numpy as np

    from clipfactory import make_clip
    from posecheck.video.reader import iter_frames

    frames = []
    for (_i, _t, a), (_j, _u, b) in zip(iter_frames(FRONT, stop=n), iter_frames(BACK, stop=n)):
        canvas = np.full((360, 1280, 3), 90, np.uint8)
        canvas[:, :640] = a[::2, ::2]
        canvas[108:, 736:1184] = cv2.resize(b, (448, 252), interpolation=cv2.INTER_AREA)
        frames.append(canvas)
    return make_clip(path, frames, fps=60)


def test_athlete_all_analyses_every_runner_of_a_group_clip(tmp_path):
    import numpy as np

    (tmp_path / "group").mkdir()
    clip = _group_clip(tmp_path / "group" / "relay squad.mp4")
    out = tmp_path / "out"
    proc = run_cli("batch", clip, "--out", out, "--athlete", "all", "--no-video", *FAST)
    assert proc.returncode == 0, proc.stderr
    sessions = _history(out / "library.sqlite")
    assert [(s["athlete"], s["clip"]) for s in sessions] == [
        ("group", "relay squad.mp4 #1"), ("group", "relay squad.mp4 #2")]
    # both appear in the first frame: the larger runner (front-side, left half) is #1
    assert [s["verdict"] for s in sessions] == ["front-side", "back-side"]
    for s, (lo, hi) in zip(sessions, ((0, 640), (736, 1184))):
        rows = [l.split(",") for l in
                (Path(s["output_dir"]) / "landmarks.csv").read_text().splitlines()[1:]]
        hip_x = np.array([float(r[4]) for r in rows if r[3] == "left_hip" and r[4]])
        assert len(hip_x) >= 0.9 * 120 and ((hip_x > lo) & (hip_x < hi)).all()
    again = run_cli("batch", clip, "--out", out, "--athlete", "all", "--no-video", *FAST)
    assert again.returncode == 0 and "0 analysed, 2 already in the library" in again.stdout


def test_batch_usage_errors(tmp_path):
    one_line_error(run_cli("batch", tmp_path / "nope", "--out", tmp_path / "o"), "nope")
    (tmp_path / "empty").mkdir()
    one_line_error(run_cli("batch", tmp_path / "empty", "--out", tmp_path / "o"), "no clips")
    assert run_cli("batch", tmp_path / "empty").returncode == 2  # --out is required
    one_line_error(run_cli("history", "--library", tmp_path / "none.sqlite"), "no library")
