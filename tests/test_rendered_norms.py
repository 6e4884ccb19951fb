"""Published norms through the whole pipeline (MediaPipe full model) on rendered clips:
a sprinter built from published elite values is front-side style with no fault cue, a
rendered jog is not a sprint (issue "Judge real sprinters by published sprint science")."""

from __future__ import annotations

import pytest

from posecheck.pipeline import analyze_video
from tools.synth import SprintParams, render_clip
from synthpose import ELITE


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("rendered")
    elite = d / "elite_rtl.mp4"
    render_clip(SprintParams(style=1.0, fps=60.0, seconds=2.0, direction=-1, **ELITE), elite)
    jog = d / "jog.mp4"
    render_clip(SprintParams(style=0.5, cadence=2.9, duty=0.36, speed=3.2, fps=60.0,
                             seconds=2.5), jog)
    return {"elite": elite, "jog": jog}


def test_rendered_elite_profile_is_front_side_with_no_fault(clips):
    a = analyze_video(clips["elite"])
    s = a.summary
    assert s.phase == "max_velocity" and s.verdict == "front-side", (s.phase, s.verdict)
    assert 60 <= s.key_metrics["peak_thigh_deg"]["value"] <= 75
    assert not [c.text for c in a.cues if c.kind == "fault"]
    assert not a.timing.slowed


def test_rendered_jog_is_not_sprinting(clips):
    a = analyze_video(clips["jog"])
    assert a.summary.phase == "not_sprinting" and a.summary.verdict == "unknown"
    assert not [c for c in a.cues if c.kind == "fault"]
    assert a.summary.key_metrics["step_frequency_hz"]["value"] == pytest.approx(2.9, rel=0.1)
