"""Phases (``posecheck.assess.phase``): acceleration, transition and max-velocity strides;
a jog is not a sprint; a slowed clip gets no phase."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from posecheck.assess.phase import clip_phase, label_phases
from posecheck.gait.strides import Stride
from posecheck.pipeline import analyze_kinematics
from synthpose import truth_pose

JOG = dict(cadence=2.9, duty=0.36, speed=3.2)


def stride(k, lean, ahead, contact=0.1, flight=0.12):
    vals = {f.name: (float("nan") if f.type in (float, "float") else -1) for f in fields(Stride)}
    vals.update(side=("left", "right")[k % 2], phase="", touchdown_s=0.25 * k, toe_off_s=0.25 * k - 0.15,
                trunk_lean_td_deg=lean, foot_ahead_of_hip_td_leg=ahead, contact_time_s=contact,
                flight_time_s=flight)
    return Stride(**vals)


def test_a_run_from_the_blocks_goes_acceleration_transition_max_velocity():
    """Feet behind the hip at first, then ahead while the trunk still rises, then steady."""
    leans = [45, 40, 35, 30, 26, 22, 18, 14, 10, 7, 6, 6, 6, 6, 6, 6]
    aheads = [-0.2, -0.15, -0.1, -0.05, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.35, 0.35, 0.35,
              0.35, 0.35]
    strides = tuple(stride(k, lean, a) for k, (lean, a) in enumerate(zip(leans, aheads)))
    phases = [s.phase for s in label_phases(strides)]
    assert phases[:4] == ["acceleration"] * 4
    assert set(phases[4:9]) <= {"acceleration", "transition"} and "transition" in phases[4:9]
    assert phases[-5:] == ["max_velocity"] * 5
    assert clip_phase(label_phases(strides))[0] == "max_velocity"
    only_start = label_phases(strides[:8])
    assert clip_phase(only_start)[0] == "acceleration"


def test_a_steady_forward_lean_is_not_acceleration():
    """Leaning 20° at a steady posture is a max-velocity stride (where S-MAS may fault the
    lean), not an acceleration stride that would escape the max-velocity judgement."""
    strides = label_phases(tuple(stride(k, 20.0, 0.35) for k in range(8)))
    assert {s.phase for s in strides} == {"max_velocity"}


def test_jog_and_slowed_clips():
    jog = label_phases(tuple(stride(k, 5.0, 0.4, contact=0.25, flight=0.1) for k in range(8)))
    assert clip_phase(jog)[0] == "not_sprinting"
    sprint = label_phases(tuple(stride(k, 5.0, 0.4) for k in range(8)))
    phase, counts = clip_phase(sprint)
    assert phase == "max_velocity" and counts["max_velocity"] == 8
    assert clip_phase(sprint, slowed=True)[0] == "unknown"
    assert clip_phase(())[0] == "unknown"


@pytest.mark.parametrize("fps", [60.0, 120.0])
def test_simulated_jog_is_not_sprinting_and_gets_no_style_verdict(fps):
    pose, _gt = truth_pose(style=0.5, fps=fps, seconds=3.0, **JOG)
    _kin, _ev, strides, summary, cues, _w = analyze_kinematics(pose)
    assert summary.phase == "not_sprinting" and summary.verdict == "unknown"
    assert np.isnan(summary.score)
    assert summary.key_metrics["step_frequency_hz"]["value"] == pytest.approx(2.9, abs=0.1)
    assert not [c for c in cues if c.kind == "fault"]
    assert any("not sprinting" in c.text for c in cues)


def test_simulated_sprint_is_max_velocity():
    pose, _gt = truth_pose(style=0.5, fps=120.0, seconds=3.0)
    summary = analyze_kinematics(pose)[3]
    assert summary.phase == "max_velocity" and summary.phase_strides["max_velocity"] >= 8


def _first_seconds(pose, seconds):
    from dataclasses import replace as _replace

    n = int(np.searchsorted(pose.times, pose.times[0] + seconds))
    return _replace(pose, xy=pose.xy[:n], z=pose.z[:n], visibility=pose.visibility[:n],
                    presence=pose.presence[:n], world=pose.world[:n], times=pose.times[:n],
                    repeated=None)


@pytest.fixture(scope="module", params=[60.0, 120.0])
def accelerating(request):
    """The accelerating simulated sprinter (tools/synth/acceleration.py), exact landmarks,
    filmed by a camera moving with the runner."""
    from tools.synth import SprintParams
    from tools.synth.acceleration import simulate_acceleration
    from tools.synth.params import CameraParams
    from synthpose import exact_pose

    gt = simulate_acceleration(SprintParams(fps=request.param, camera=CameraParams(mode="track")))
    return exact_pose(gt.payload), gt.payload


def test_accelerating_sprinter_early_strides_are_acceleration_without_max_velocity_faults(
        accelerating):
    pose, gt = accelerating
    _kin, _ev, strides, summary, cues, _w = analyze_kinematics(pose)
    lean = np.asarray(gt["frames"]["angles_3d"]["trunk_lean"])
    by_time = sorted(strides, key=lambda s: s.touchdown_s)
    true_lean = [lean[min(s.touchdown_frame, lean.size - 1)] for s in by_time]
    early = [s for s, tl in zip(by_time, true_lean) if tl > 20.0]
    late = [s for s in by_time if s.touchdown_s > pose.times[-1] - 1.0]
    assert len(early) >= 4 and {s.phase for s in early} == {"acceleration"}
    assert len(late) >= 3 and {s.phase for s in late} == {"max_velocity"}
    # contacts shorten over the run as simulated
    assert np.nanmedian([s.contact_time_s for s in early]) > np.nanmedian(
        [s.contact_time_s for s in late]) + 0.01
    assert summary.phase == "max_velocity" and summary.verdict == "front-side"
    assert not [c for c in cues if c.kind == "fault"], [c.text for c in cues]
    # the first 1.6 s alone: an acceleration clip, its own information, no verdict or fault
    start = analyze_kinematics(_first_seconds(pose, 1.6))
    assert start[3].phase == "acceleration" and start[3].verdict == "unknown"
    assert start[4] and not [c for c in start[4] if c.kind == "fault"]
    assert any(c.metric == "trunk_lean_td_deg" and "acceleration" in c.text for c in start[4])
