"""Style verdict (``posecheck.assess.verdict``) and cues (``posecheck.assess.cues``): Mann's
trunk-line definition with the pose model's error, published norms never faulted, a
simulated profile of published elite values, monotone in the synthetic style blend."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from posecheck.assess import verdict as V
from posecheck.assess.cues import make_cues
from posecheck.assess.norms import NORMS, REFERENCES, STYLE_ERROR, cite
from posecheck.gait.strides import Stride
from posecheck.pipeline import analyze_kinematics
from synthpose import ELITE, exact_pose, truth_pose

ROOT = Path(__file__).resolve().parents[2]
T = np.arange(400) / 60.0


def make_stride(side="left", frame=10, **metrics) -> Stride:
    vals = {}
    for f in fields(Stride):
        if f.name == "side":
            vals[f.name] = side
        elif f.name == "phase":
            vals[f.name] = "max_velocity"
        elif f.type in (int, "int"):
            vals[f.name] = frame
        else:
            vals[f.name] = float("nan")
    vals.update(metrics)
    return Stride(**vals)


def strides_at(value, n=8, **more):
    return tuple(make_stride(side=("left", "right")[i % 2], frame=10 + i,
                             hip_flexion_at_peak_knee_deg=value, **more) for i in range(n))


# ------------------------------------------------------------------------------ scale


def test_index_is_the_probability_of_being_in_front_of_the_trunk_line():
    assert V.front_side_index(0.0) == pytest.approx(50.0)
    sigma = V.style_sigma("full", 1)
    assert V.front_side_index(sigma) == pytest.approx(84.13, abs=0.01)
    assert V.front_side_index(-sigma) == pytest.approx(15.87, abs=0.01)
    assert math.isnan(V.front_side_index(float("nan")))
    # more strides, smaller error (down to the model's bias); a better model, smaller error
    assert V.style_sigma("full", 12) < V.style_sigma("full", 1)
    assert V.style_sigma("full", 10_000) == pytest.approx(STYLE_ERROR["full"][1], rel=0.01)
    assert V.style_sigma("heavy", 6) < V.style_sigma("full", 6) < V.style_sigma("lite", 6)


@pytest.mark.parametrize("value, verdict", [(-20, "back-side"), (-2, "mixed"), (0, "mixed"),
                                            (2, "mixed"), (20, "front-side")])
def test_verdict_classes(value, verdict):
    s = V.summarise(strides_at(value))
    assert s.verdict == verdict and s.phase == "max_velocity" and s.n_strides == 8
    assert s.style.startswith(verdict)


def test_verdict_is_monotone_and_the_index_rises_with_the_metric():
    values = np.linspace(-30, 30, 13)
    scores = [V.summarise(strides_at(v)).score for v in values]
    assert np.all(np.diff(scores) > 0)


def test_no_verdict_without_max_velocity_strides():
    assert V.summarise(()).verdict == "unknown"
    assert V.summarise((make_stride(), make_stride())).verdict == "unknown"
    accel = tuple(make_stride(frame=i, phase="acceleration", hip_flexion_at_peak_knee_deg=-20.0)
                  for i in range(6))
    s = V.summarise(accel, phase="acceleration")
    assert s.verdict == "unknown" and s.phase == "acceleration" and math.isnan(s.score)
    assert V.summarise(strides_at(20.0), phase="not_sprinting").verdict == "unknown"


def test_confidence_grows_with_clarity_and_strides_and_falls_with_swaps_and_warnings():
    def conf(v, n=8, **kw):
        return V.summarise(strides_at(v, n), **kw).confidence
    assert conf(30) > conf(12) > conf(8)
    assert conf(30, n=8) > conf(30, n=3)
    assert conf(30, swap_rate=0.2) < conf(30)
    assert conf(30, n_quality_warnings=2) < conf(30)
    # strides that disagree with the clip's call lower it
    mixed_bag = strides_at(30.0, 6) + strides_at(-30.0, 2)
    assert V.summarise(mixed_bag).confidence < conf(30)
    assert V.summarise(strides_at(0.0)).confidence <= 0.5


# ------------------------------------------------------------------------------ cues


def test_back_side_gives_the_fault_with_its_source_and_front_side_a_good_cue():
    back = make_cues(strides_at(-20.0), T)
    front = make_cues(strides_at(20.0), T)
    assert [c.kind for c in back if c.metric == V.STYLE_METRIC] == ["fault"]
    assert [c.kind for c in front if c.metric == V.STYLE_METRIC] == ["good"]
    assert "Mann 1986" in back[0].source and back[0].kind == "fault"


def test_published_values_are_shown_never_faulted():
    """Knee lift below the world-class range, long contacts, a foot far ahead of the hip:
    information with the published values, never a fault."""
    cues = make_cues(strides_at(20.0, peak_thigh_deg=50.0, contact_time_s=0.13,
                                foot_ahead_of_hip_td_leg=0.8), T)
    by = {c.metric: c for c in cues}
    for m in ("peak_thigh_deg", "contact_time_s", "foot_ahead_of_hip_td_leg"):
        assert by[m].kind == "info" and by[m].source
    assert "65–70°" in by["peak_thigh_deg"].text
    assert not [c for c in cues if c.kind == "fault"]


@pytest.mark.parametrize("model, metric, value, kind", [
    ("full", "trunk_lean_td_deg", 25.0, "fault"), ("full", "trunk_lean_td_deg", 17.0, "info"),
    ("full", "trunk_lean_td_deg", 5.0, None), ("full", "shank_td_deg", -12.0, "fault"),
    ("full", "shank_td_deg", -2.0, None), ("full", "thigh_separation_td_deg", 50.0, "fault"),
    ("full", "thigh_separation_td_deg", 40.0, "info"),
    ("full", "thigh_separation_td_deg", 8.0, "info"),     # MediaPipe: always within its error
    ("exact", "thigh_separation_td_deg", 8.0, None),
    ("exact", "thigh_separation_td_deg", 27.0, "fault")])
def test_smas_touchdown_criteria_with_the_models_error(model, metric, value, kind):
    """S-MAS (Bramah et al. 2024) faults only beyond the criterion plus twice the model's
    mean error; within it posecheck says it cannot tell."""
    cues = [c for c in make_cues(strides_at(20.0, **{metric: value}), T, model)
            if c.metric == metric]
    assert [c.kind for c in cues] == ([kind] if kind else [])
    if kind == "info":
        assert "cannot tell" in cues[0].text
    if kind:
        assert cues[0].source == "Bramah et al. 2024"


def test_no_max_velocity_fault_while_accelerating_or_jogging():
    accel = tuple(make_stride(frame=i, phase="acceleration", hip_flexion_at_peak_knee_deg=-20.0,
                              trunk_lean_td_deg=40.0, shank_td_deg=-20.0, contact_time_s=0.18)
                  for i in range(6))
    cues = make_cues(accel, T, phase="acceleration")
    assert cues and not [c for c in cues if c.kind == "fault"]
    jog = make_cues(strides_at(-20.0, contact_time_s=0.25, flight_time_s=0.1,
                               step_frequency_hz=2.8), T, phase="not_sprinting")
    assert len(jog) == 1 and "not sprinting" in jog[0].text and jog[0].kind == "info"


def test_every_norm_is_sourced():
    for name, norm in NORMS.items():
        assert all(k in REFERENCES for k in norm.sources), name
        assert norm.use in ("criterion", "reference", "report")
        if norm.use != "report":
            assert norm.sources, name
            assert cite(name) != "no published norm"


# ------------------------------------------------------------------ exact synthetic clips


def test_published_elite_profile_is_front_side_with_no_fault():
    """Knee lift 65–70°, peak knee flexion 138–142°, 4.9 steps/s, 0.09 s contacts (Ito et al.
    2008; Čoh et al. 2018): front-side style, no fault cue at all."""
    pose, _gt = truth_pose(style=1.0, fps=120.0, seconds=3.0, **ELITE)
    kin, events, strides, summary, cues, _w = analyze_kinematics(pose)
    key = summary.key_metrics
    assert 64 <= key["peak_thigh_deg"]["value"] <= 70
    assert 137 <= key["peak_knee_flexion_deg"]["value"] <= 143
    assert key["step_frequency_hz"]["value"] == pytest.approx(4.9, abs=0.1)
    assert key["contact_time_s"]["value"] == pytest.approx(0.09, abs=0.01)
    assert summary.phase == "max_velocity" and summary.verdict == "front-side"
    assert summary.confidence_label == "high"
    assert not [c for c in cues if c.kind == "fault"], [c.text for c in cues]


@pytest.fixture(scope="module")
def style_sweep():
    out = {}
    for style in (0.0, 0.25, 0.5, 0.75, 1.0):
        pose, _gt = truth_pose(style=style, fps=60.0, seconds=3.0)
        out[style] = analyze_kinematics(pose)[3]
    return out


def test_index_monotone_in_style_blend(style_sweep):
    scores = [style_sweep[s].score for s in sorted(style_sweep)]
    metric = [style_sweep[s].key_metrics[V.STYLE_METRIC]["value"] for s in sorted(style_sweep)]
    assert np.all(np.diff(metric) >= 5.0), metric          # the metric itself: clearly rising
    assert np.all(np.diff(scores) >= 0.0), scores           # the index never falls
    assert style_sweep[0.0].verdict == "back-side"
    assert style_sweep[1.0].verdict == "front-side"
    assert [style_sweep[s].phase for s in sorted(style_sweep)] == ["max_velocity"] * 5


@pytest.mark.parametrize("name, verdict", [("front_side_60fps", "front-side"),
                                           ("back_kick_60fps", "back-side")])
def test_committed_samples_on_exact_landmarks(name, verdict):
    gt = json.loads((ROOT / "sample_videos" / f"{name}.json").read_text())
    s = analyze_kinematics(exact_pose(gt))[3]
    assert s.verdict == verdict and s.confidence_label == "high"
