"""Parallel pose inference and video export (posecheck.pose.parallel) against the single stream.

Timing is measured by ``bench/bench_pipeline.py``, never asserted here; these tests check
that the chunked run gives the same analysis (angles, gait events, athlete) and a valid
annotated video.

Tolerance for gait events: the same events (side, kind, order), at most 10% of them one
frame off, none more than two, median shift 0. MediaPipe's tracking is chaotic: each frame's
region of interest comes from the previous frames' smoothed landmarks, so a stream that
starts on a different frame never becomes bit-identical again. Measured on two renderings
of the sample clip: a *single* stream started one frame later differs from the full one by a
median 0.7-1.2 deg of knee flexion and moves 2-8 of 26 events by 1-2 frames; the two-worker
run (first half bit-identical, second half after a 15-frame lead-in) differs by a median
0.06-0.07 deg and moves 2-4 of 26 events by one frame, rarely one by two (a shallow
threshold crossing).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

import synthclips
from posecheck.pose import parallel
from posecheck.config import Config, PoseConfig
from posecheck.report.export import contact_phase, render_frame, write_annotated_video
from posecheck.pipeline import analyze_video
from posecheck.video.readahead import read_ahead
from posecheck.video.reader import iter_frames

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "front_side_60fps.mp4"


@pytest.fixture(scope="module", params=["front_side_60fps.mp4", "back_kick_60fps.mp4"])
def sample_runs(request):
    """A sample clip (180 frames, 720p) as one stream and on two workers, with the number of
    pose passes the two-worker run needed (1 = no chunk had to run again)."""
    clip = ROOT / "sample_videos" / request.param
    one = analyze_video(clip, Config(pose=PoseConfig(workers=1)))
    assert parallel.resolve_workers(2, 180) == 2
    rounds = []
    with pytest.MonkeyPatch.context() as mp:
        run = parallel.run_tasks
        mp.setattr(parallel, "run_tasks", lambda *a, **k: rounds.append(1) or run(*a, **k))
        two = analyze_video(clip, Config(pose=PoseConfig(workers=2)))
    return one, two, len(rounds)


def _events(a):
    return [(e.side, e.kind, e.frame) for e in a.events]


def test_parallel_angles_match_single_stream(sample_runs):
    one, two, _rounds = sample_runs
    assert two.pose.n_frames == one.pose.n_frames == 180
    np.testing.assert_array_equal(two.pose.times, one.pose.times)
    assert two.pose.detected.sum() >= one.pose.detected.sum() - 1
    # the first chunk is the single stream's own work: bit-identical landmarks
    first = parallel.clip_plan(one.video.path, one.video, 2)[0][2]
    np.testing.assert_array_equal(two.pose.xy[:first], one.pose.xy[:first])
    for name in ("knee_flexion", "hip_flexion"):
        d = np.abs(getattr(two.angles, name) - getattr(one.angles, name))
        assert np.nanmedian(d) <= 1.0, (name, np.nanmedian(d))


def test_parallel_gait_events_match_single_stream(sample_runs):
    one, two, _rounds = sample_runs
    e1, e2 = _events(one), _events(two)
    assert len(e1) >= 20 and len(e2) == len(e1), (e1, e2)
    shift = []
    for (s1, k1, f1), (s2, k2, f2) in zip(sorted(e1), sorted(e2)):
        assert (s1, k1) == (s2, k2), (e1, e2)
        shift.append(abs(f1 - f2))
    shift = np.asarray(shift)
    # see the module docstring: +-1 frame as a rule, +-2 for the rare ambiguous crossing
    assert np.median(shift) == 0 and (shift <= 1).mean() >= 0.9 and shift.max() <= 2, (e1, e2)


def test_no_chunk_runs_again_on_the_samples(sample_runs):
    """On the front-side sample the second chunk's first frame (89) is where MediaPipe's
    detector also returns a partial pose of the runner; the tracker's first-pose check
    (posecheck.pose.tracking) keeps the complete one, so the chunks agree at the first try
    (before that check the chunk ran again from 4x earlier: twice the pose pass)."""
    assert sample_runs[2] == 1


def test_disagreeing_chunks_are_detected():
    good = _chunk(range(50), [_piece(range(50), 100)])
    same = _chunk(range(40, 100), [_piece(range(40, 100), 100)])
    off = _chunk(range(40, 100), [_piece(range(40, 100), 100)])
    off["tracks"][0]["dets"][:, :, 1] += 30  # the same person, landmarks 30% of height off
    assert not parallel._disagree(good, same, 50)
    assert parallel._disagree(good, off, 50)


def test_same_athlete_on_two_runner_clip(tmp_path, monkeypatch):
    """Two runners; the chunk boundary falls mid-clip: both runs follow the same person."""
    gt_a, gt_b, dy = synthclips.two_runners(tmp_path / "two.mp4")  # 36 frames
    truth = {"A": synthclips.hip_mid_px(gt_a), "B": synthclips.hip_mid_px(gt_b, 0, dy)}
    monkeypatch.setattr(parallel, "MIN_FRAMES_PER_WORKER", 10)  # chunks 0-17, (3-)18-35
    for rule, who in (("auto", "B"), ("top", "A")):
        runs = [analyze_video(tmp_path / "two.mp4", Config(pose=PoseConfig(athlete=rule, workers=w)))
                for w in (1, 2)]
        for a in runs:
            mid = (a.pose.xy[:, 23] + a.pose.xy[:, 24]) / 2
            det = a.pose.detected
            near = np.linalg.norm(mid - truth[who], axis=1) < 40
            other = np.linalg.norm(mid - truth["B" if who == "A" else "A"], axis=1) < 40
            assert det.mean() >= 0.9 and near[det].mean() >= 0.9, rule
            assert not other.any(), rule
            assert any("2 people were found" in w for w in a.warnings), a.warnings
        one, two = runs
        assert abs(int(one.pose.detected.sum()) - int(two.pose.detected.sum())) <= 2


def _chunk(index, tracks, complete=True, repeated=None):
    index = np.asarray(index)
    rep = np.zeros(index.size, bool) if repeated is None else np.isin(index, list(repeated))
    return {"index": index, "times": index / 30.0, "tracks": tracks,
            "size": (640, 480), "complete": complete, "repeated": rep}


def _piece(index, x, h=100.0):
    index = np.asarray(index)
    xs = x + 2.0 * index
    dets = np.zeros((len(index), 33, 9), np.float32)
    dets[:, :, 0] = xs[:, None] + np.linspace(-h / 4, h / 4, 33)
    dets[:, :, 1] = 200 + np.linspace(-h / 2, h / 2, 33)
    return {"index": index, "dets": dets, "centers": np.column_stack([xs, np.full(len(xs), 200.0)]),
            "heights": np.full(len(index), h), "times": index / 30.0}


def test_stitch_matches_people_across_the_boundary():
    # chunk 0 owns 0-49, chunk 1 decodes 40-99 (lead-in 40-49) and lists the people in the
    # opposite order; a third person appears only in chunk 1
    plan = [(0, 0, 50), (40, 50, 100)]
    r0 = _chunk(range(50), [_piece(range(50), 100), _piece(range(50), 400)], repeated={7, 8})
    r1 = _chunk(range(40, 100), [_piece(range(40, 100), 400), _piece(range(40, 100), 100),
                                 _piece(range(60, 100), 250, h=60)], repeated={41, 61})
    index, times, tracks, repeated = parallel.stitch([r0, r1], plan)
    np.testing.assert_array_equal(index, np.arange(100))
    # each frame's repeat flag comes from the chunk that owns it (41 is r1's lead-in)
    np.testing.assert_array_equal(np.flatnonzero(repeated), [7, 8, 61])
    assert len(tracks) == 3
    by_x = sorted(tracks, key=lambda t: t.centers[0][0])
    assert [len(t.rows) for t in by_x] == [100, 40, 100]
    for t in (by_x[0], by_x[2]):  # continuous: rows 0..99, x moving 2 px per frame
        assert t.rows == list(range(100))
        assert np.allclose(np.diff(np.asarray(t.centers)[:, 0]), 2.0)


def test_stitch_revives_a_person_lost_at_the_boundary_and_stops_at_a_damaged_chunk():
    plan = [(0, 0, 50), (40, 50, 100), (90, 100, 150)]
    r0 = _chunk(range(50), [_piece(range(45), 100)])            # lost 5 frames before the end
    r1 = _chunk(range(40, 80), [_piece(range(55, 80), 100)], complete=False)  # damaged
    r2 = _chunk(range(90, 150), [_piece(range(90, 150), 100)])
    index, _times, tracks, _repeated = parallel.stitch([r0, r1, r2], plan)
    np.testing.assert_array_equal(index, np.arange(80))  # nothing after the damage
    assert len(tracks) == 1 and tracks[0].rows == list(range(45)) + list(range(55, 80))


def test_stitch_motion_takes_each_frames_step_from_its_owner():
    """The background's steps join like the frames: the chunk that owns a frame gives its
    step (chunk 1 measured its lead-in, so its first own frame has one), nothing after a
    damaged chunk, NaN rows for a chunk without motion."""
    plan = [(0, 0, 50), (40, 50, 100), (90, 100, 150)]
    r0 = _chunk(range(50), [])
    r0["motion"] = np.column_stack([np.arange(50.0), np.zeros(50)])
    r1 = _chunk(range(40, 100), [])
    r1["motion"] = np.column_stack([np.arange(40.0, 100.0) + 0.5, np.ones(60)])
    r2 = _chunk(range(90, 150), [])                       # no "motion": NaN
    steps = parallel.stitch_motion([r0, r1, r2], plan)
    assert steps.shape == (150, 2)
    np.testing.assert_array_equal(steps[:50, 0], np.arange(50.0))
    np.testing.assert_array_equal(steps[50:100, 0], np.arange(50.0, 100.0) + 0.5)
    assert np.isnan(steps[100:]).all()
    r1["complete"] = False
    assert parallel.stitch_motion([r0, r1, r2], plan).shape == (100, 2)


def test_plan_and_worker_choice():
    plan = parallel.plan_chunks(180, 2, lead=15)
    assert plan == [(0, 0, 98), (83, 98, 180)]  # equal cost: 98 frames each, lead-in included
    # a keyframe near the middle: the second chunk's lead-in starts on it (nothing decoded
    # and dropped); without one, the dropped frames count at skip_cost each
    assert parallel.plan_chunks(720, 2, 15, keyframes=[0, 180, 360, 540]) == [(0, 0, 375), (360, 375, 720)]
    only_first = parallel.plan_chunks(180, 2, 15, keyframes=[0], skip_cost=0.15)
    assert only_first == [(0, 0, 104), (89, 104, 180)]  # 104 = 76 + 15 + 0.15 x 89, rounded
    assert parallel.plan_chunks(720, 2, 0, keyframes=[0, 180, 360, 540]) == [(0, 0, 360), (360, 360, 720)]
    long = parallel.plan_chunks(10_000, 2, lead=15)
    assert len(long) % 2 == 0 and len(long) > 2
    assert [c[1] for c in long[1:]] == [c[2] for c in long[:-1]] and long[-1][2] == 10_000
    assert parallel.resolve_workers(1, 10_000) == 1
    assert parallel.resolve_workers(4, 100) == 1  # too short for workers: one stream
    assert parallel.resolve_workers(2, 119) == 1  # under 60 frames each: lead-in dominates
    assert parallel.resolve_workers(2, 120) == 2
    assert parallel.resolve_workers(4, 200) == 3
    assert parallel.resolve_workers(None, 10_000) == parallel.usable_cores()
    assert parallel.lead_frames(60) == 15 and parallel.lead_frames(240) == 60
    with pytest.raises(ValueError):
        PoseConfig(workers=-1)


def _decoded(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [(f.pts, f.to_ndarray(format="rgb24").astype(np.int16)) for f in c.decode(s)]
        return frames, s.codec_context.pix_fmt, s.codec_context.name


def test_parallel_video_is_valid_and_matches_single_stream(sample_runs, tmp_path):
    """The export with several workers (faster x264 settings on x264's threads) against the
    one-stream export: same frames and time stamps, browser-playable, as close to the drawn
    frames."""
    _one, two, _rounds = sample_runs
    par = write_annotated_video(two, tmp_path / "par.mp4")
    single = dataclasses.replace(two, config=dataclasses.replace(two.config, pose=PoseConfig(workers=1)))
    seq = write_annotated_video(single, tmp_path / "seq.mp4")
    fp, pix, codec = _decoded(par)
    fs, _pix, _codec = _decoded(seq)
    assert (pix, codec) == ("yuv420p", "h264")
    assert [p for p, _ in fp] == [p for p, _ in fs] and len(fp) == 180  # same time stamps
    head = par.read_bytes()[:200_000]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # +faststart
    phases = contact_phase(two)
    drawn = [render_frame(two, i, rgb, phases).astype(np.int16)
             for i, (_j, _t, rgb) in enumerate(iter_frames(two.video.path))]
    err_par = np.mean([np.abs(f - d).mean() for (_p, f), d in zip(fp, drawn)])
    err_seq = np.mean([np.abs(f - d).mean() for (_p, f), d in zip(fs, drawn)])
    assert err_par < 6 and err_par < 1.2 * err_seq + 0.5, (err_par, err_seq)
    assert not list(tmp_path.glob("*.part*"))


def test_read_ahead_yields_everything_and_reraises():
    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))

    def boom():
        yield 1
        raise RuntimeError("decoder failed")

    it = read_ahead(boom())
    assert next(it) == 1
    with pytest.raises(RuntimeError, match="decoder failed"):
        next(it)
    closed = read_ahead(iter(range(10_000)), depth=1)
    next(closed)
    closed.close()
    assert not closed._thread.is_alive()


def test_cancelled_run_stops_every_task_and_reraises():
    """The first failing task stops the others at their next check; its error comes back."""
    started, stopped = [], []
    running = threading.Event()

    def task(k, ctx):
        started.append(k)
        if k == 0:
            assert running.wait(10)
            raise ValueError("chunk 0 failed")
        running.set()
        try:
            for _ in range(2000):  # ~20 s unless cancelled
                ctx.check()
                time.sleep(0.01)
        except parallel.Cancelled:
            stopped.append(k)
            raise
        return k

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="chunk 0 failed"):
        parallel.run_tasks(task, [(0,), (1,)], 2)
    assert time.perf_counter() - t0 < 5 and sorted(started) == [0, 1]
    assert stopped == [1]
    assert parallel.run_tasks(lambda k, ctx: k * 2, [(1,), (2,), (3,)], 2) == [2, 4, 6]


def test_parallel_run_in_a_script_without_main_guard(tmp_path):
    """A plain script (no ``if __name__ == "__main__"``) on two threads, with an empty numba
    cache so the kernels compile in a spawned warm-up process: spawn normally re-imports the
    parent's __main__, which would run the script twice; it must run once, and stderr must
    still work afterwards (MediaPipe's native logging is silenced per thread)."""
    script = tmp_path / "plain.py"
    script.write_text(textwrap.dedent(f"""
        import dataclasses, sys
        from posecheck.pose import parallel
        from posecheck.video import reader as video_io
        from posecheck.config import PoseConfig
        parallel.MIN_FRAMES_PER_WORKER = 10
        info = video_io.probe({str(SAMPLE)!r})
        info = dataclasses.replace(info, frame_count=40)
        seq = parallel.estimate_video(info.path, info, PoseConfig(model="lite", workers=2))
        print("RAN", seq.n_frames, int(seq.detected.sum()))
        print("STDERR-OK", file=sys.stderr)
    """))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cold")}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("RAN") == 1 and "RAN 40 40" in proc.stdout, proc.stdout
    assert "STDERR-OK" in proc.stderr


def test_fast_landmark_results_equal_the_public_api(monkeypatch):
    """posecheck reads MediaPipe's C results straight into arrays (the public API's Python
    objects hold the GIL ~1.5 ms per frame); the values must be exactly the public API's,
    and the fast path must really be taken with the installed MediaPipe."""
    from posecheck.pose import landmarker as pose
    from posecheck.pose.models import resolve_model

    frames = [f for _i, _t, f in iter_frames(SAMPLE, stop=30)]
    model = resolve_model("lite")
    runs = {}
    for fast in (True, False):
        monkeypatch.setattr(pose, "FAST_RESULTS", fast)
        for video, people in ((True, 1), (False, 2)):
            lm = pose._Landmarker(PoseConfig(), model, video=video, num_poses=people)
            try:
                if fast:
                    used = []
                    raw = lm._detect_raw
                    monkeypatch.setattr(lm, "_detect_raw", lambda im, ms: used.append(1) or raw(im, ms))
                runs[fast, video] = [lm.detect(f, 17 * i) for i, f in enumerate(frames)]
                if fast:
                    got = runs[fast, video]
                    assert len(used) == len(frames) and all(r is not None for r in got)
            finally:
                lm.close()
    for video in (True, False):
        a, b = runs[True, video], runs[False, video]
        assert sum(len(x) > 0 for x in a) >= 0.9 * len(frames)  # the runner is found
        assert [len(x) for x in a] == [len(x) for x in b]
        for x, y in zip(a, b):
            for p, q in zip(x, y):
                assert p.shape == (33, 8) and np.array_equal(p, q)


def test_chunks_share_one_image_landmarker_and_get_the_same_poses(tmp_path, monkeypatch):
    """The IMAGE-mode landmarker keeps no state between calls, so the chunks share one
    (pose.follow.SharedLandmarker): built once per run instead of once per chunk, and the
    analysis is the same to the bit as with one per chunk."""
    from posecheck.pose import landmarker

    synthclips.two_runners(tmp_path / "two.mp4")  # 36 frames, two people: searches happen
    monkeypatch.setattr(parallel, "MIN_FRAMES_PER_WORKER", 10)
    built = {"image": 0, "video": 0}
    real_init = landmarker._Landmarker.__init__

    def counting_init(self, cfg, model_path, video=True, **kw):
        built["video" if video else "image"] += 1
        real_init(self, cfg, model_path, video=video, **kw)

    monkeypatch.setattr(landmarker._Landmarker, "__init__", counting_init)
    cfg = Config(pose=PoseConfig(model="full", workers=2))
    shared = analyze_video(tmp_path / "two.mp4", cfg)
    assert built["image"] == 1, built

    class OnePerChunk:  # the behaviour before: every tracker builds its own
        def __init__(self, config, model_path, one_thread=False):
            self.args = (config, model_path, one_thread)

        def __call__(self):
            config, model_path, one_thread = self.args
            return landmarker._Landmarker(config, model_path, video=False,
                                          num_poses=config.max_people, one_thread=one_thread)

        def shutdown(self):
            pass

    built["image"] = 0
    monkeypatch.setattr(landmarker, "shared_image_landmarker", OnePerChunk)
    own = analyze_video(tmp_path / "two.mp4", cfg)
    assert built["image"] == 2, built
    assert np.array_equal(shared.pose.xy, own.pose.xy, equal_nan=True)
    assert np.array_equal(shared.pose.detected, own.pose.detected)
