"""Rendered sprint clips exported slowed, through the whole pipeline (MediaPipe): a clip
re-timed to half speed is flagged with its factor, a clip whose every picture is repeated
three times is re-timed to real time (issue: "Is time real?")."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from posecheck.config import Config, PoseConfig, VideoConfig
from posecheck.pipeline import analyze_video
from posecheck.video.reader import iter_frames
from clipfactory import make_clip

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "front_side_60fps.mp4"
CADENCE = 4.6  # steps/s, the sample's truth (sample_videos/README.md)


def _median(analysis, name):
    return float(np.nanmedian([getattr(s, name) for s in analysis.strides]))


@pytest.fixture(scope="module")
def real_time():
    return analyze_video(SAMPLE, Config(pose=PoseConfig(model="lite")))


def test_real_time_clip_is_left_alone(real_time):
    t = real_time.timing
    assert t.repeat_factor == 1.0 and t.retime == 1.0 and not t.slowed
    assert 0.75 <= t.gravity_factor <= 1.3
    assert _median(real_time, "step_frequency_hz") == pytest.approx(CADENCE, rel=0.05)


def test_clip_exported_at_half_speed_is_flagged_with_its_factor(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_pipeline import loop_clip
    finally:
        sys.path.remove(str(ROOT / "bench"))
    slowed = loop_clip(str(SAMPLE), 6.0, tmp_path / "half_speed.mp4", Fraction(1, 2))
    a = analyze_video(slowed, Config(pose=PoseConfig(model="lite")))
    assert a.video.fps == pytest.approx(30.0)
    assert a.timing.slowed and a.timing.retime == 1.0
    assert a.timing.gravity_factor == pytest.approx(2.0, rel=0.25)
    note = [w for w in a.warnings if "looks slowed" in w]
    assert len(note) == 1 and "--slowmo" in note[0]
    # with the factor the user is told, the clip reads as real time
    given = float(note[0].rsplit("--slowmo", 1)[1])
    b = analyze_video(slowed, Config(pose=PoseConfig(model="lite"),
                                     video=VideoConfig(slowmo_factor=given)))
    assert not b.timing.slowed
    assert _median(b, "step_frequency_hz") == pytest.approx(CADENCE, rel=0.25)


def test_every_picture_repeated_three_times_is_retimed(tmp_path):
    frames = [rgb for _i, _t, rgb in iter_frames(SAMPLE)]
    clip = make_clip(tmp_path / "repeated.mp4", [f for f in frames for _ in range(3)], fps=60)
    a = analyze_video(clip, Config(pose=PoseConfig(model="lite")))
    assert a.timing.repeat_factor == pytest.approx(3.0)
    assert a.timing.retime == pytest.approx(3.0) and not a.timing.slowed
    assert a.pose.repeated.sum() == 2 * len(frames)
    assert a.pose.detection_rate > 0.95           # repeats are not missed detections
    assert _median(a, "step_frequency_hz") == pytest.approx(CADENCE, rel=0.05)
    assert any("shown 3 times" in w for w in a.warnings)
