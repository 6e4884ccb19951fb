"""The clips bench/bench_pipeline.py times are what it says they are (timings themselves are
never asserted in tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_videos" / "front_side_60fps.mp4"


def _frames(path, n):
    from posecheck.video.reader import iter_frames

    with iter_frames(path, start=0, stop=n) as reader:
        return [rgb for _i, _t, rgb in reader]


def test_loop_clip_repeats_the_frames_and_re_times_them(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_pipeline import loop_clip
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from posecheck.video.probe import probe

    src = probe(SAMPLE)
    slow = probe(loop_clip(str(SAMPLE), 1.5, tmp_path / "slow.mp4", rate_factor=4))
    assert slow.fps == 4 * src.fps                       # 60 fps -> 240 fps
    assert slow.frame_count == 2 * src.frame_count       # 1.5 s at 240 fps = 2 loops of 3 s
    assert abs(slow.duration_s - src.duration_s / 2) < 0.05
    loop = probe(loop_clip(str(SAMPLE), 5.0, tmp_path / "loop.mp4"))
    assert loop.fps == src.fps and loop.frame_count == 2 * src.frame_count
    # the same pictures, not re-encoded: frame k of the copy is frame k of the sample
    a, b = _frames(SAMPLE, 3), _frames(tmp_path / "slow.mp4", 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_bench_startup_sees_every_fixed_cost_it_reports():
    """bench/bench_startup.py wraps package internals by name; if one is renamed its row
    would silently read zero. One round on the sample (full mode, two workers): every
    timer fired and the numbers hang together."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_startup import run_round, summarise
    finally:
        sys.path.remove(str(ROOT / "bench"))
    r = run_round(str(SAMPLE), "full", 2)
    assert r["frames"] == 180
    assert len(r["build"]) >= 2 and len(r["build_inside"]) == len(r["build"])  # a landmarker per chunk at least
    assert all(0 < b <= w + 1e-6 for b, w in zip(sorted(r["build_inside"]), sorted(r["build"])))
    assert len(r["search"]) >= 1 and r["sha256"]
    assert len(r["plan"]) == 2 and len(r["chunks"]) == 2
    assert set(r["first_frame"]) == set(r["chunk_start"]) and len(r["first_frame"]) == 2
    assert not r["movenet_session"]  # full mode: no MoveNet
    rows = {label: value for label, value, _s in summarise(r)}
    assert rows["lead-in frames (tracked twice)"] == sum(s - ls for ls, s, _e in r["plan"]) > 0
    assert 0 < rows["pose pass"] < rows["analysis"]
