"""Left/right (``posecheck.assess.symmetry``): per-leg medians, θ_SYM, flagged only beyond
the stride-to-stride spread and the measurement's resolution."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from posecheck.assess.symmetry import hamstring_by_leg, left_right, symmetry_angle
from posecheck.gait.strides import Stride
from posecheck.pipeline import analyze_kinematics
from synthpose import truth_pose


def stride(side, **metrics):
    vals = {f.name: (float("nan") if f.type in (float, "float") else -1) for f in fields(Stride)}
    vals.update(side=side, phase="max_velocity", **metrics)
    return Stride(**vals)


def test_symmetry_angle():
    assert symmetry_angle(1.0, 1.0) == 0.0
    assert symmetry_angle(0.9, 1.1) == pytest.approx((45 - np.degrees(np.arctan(0.9 / 1.1))) / 90 * 100)
    assert symmetry_angle(1.1, 0.9) == pytest.approx(-symmetry_angle(0.9, 1.1))
    assert np.isnan(symmetry_angle(-1.0, 1.0))


def test_a_one_sided_difference_beyond_the_scatter_is_flagged():
    rng = np.random.default_rng(3)
    strides = ([stride("left", contact_time_s=0.10 + 0.002 * rng.standard_normal(),
                       peak_knee_flexion_deg=130 + rng.standard_normal()) for _ in range(6)]
               + [stride("right", contact_time_s=0.12 + 0.002 * rng.standard_normal(),
                         peak_knee_flexion_deg=130 + rng.standard_normal()) for _ in range(6)])
    lr = left_right(tuple(strides), frame_s=1 / 240)
    assert lr["contact_time_s"]["flagged"] and lr["contact_time_s"]["difference"] > 0.015
    assert lr["contact_time_s"]["strides"] == [6, 6]
    assert not lr["peak_knee_flexion_deg"]["flagged"]
    assert "hip_flexion_at_peak_knee_deg" not in lr          # not measured: left out
    # a 20 ms difference is above half a frame at 30 fps (16.7 ms), not at 10 fps (50 ms)
    assert left_right(tuple(strides), frame_s=1 / 30)["contact_time_s"]["flagged"]
    assert not left_right(tuple(strides), frame_s=1 / 10)["contact_time_s"]["flagged"]


def test_heel_glute_time_grows_with_deeper_knee_flexion():
    """The front-side prototype folds the knee deeper (136° vs 118°): more time per swing
    with the heel up at the glute."""
    times = {}
    for style in (0.0, 1.0):
        strides = analyze_kinematics(truth_pose(style=style, fps=120.0, seconds=3.0)[0])[2]
        times[style] = np.nanmedian([s.heel_glute_time_s for s in strides])
    assert times[1.0] > times[0.0] + 0.03 and times[1.0] < 0.15


def test_symmetric_simulated_sprinter_has_nothing_flagged_and_hamstring_per_leg():
    pose, _gt = truth_pose(style=0.5, fps=120.0, seconds=3.0)
    summary = analyze_kinematics(pose)[3]
    assert summary.left_right and not [k for k, v in summary.left_right.items() if v["flagged"]]
    ham = summary.hamstring
    assert ham["reference"]["bflh_peak_pct"] == 9.5 and "not an injury" in ham["note"]
    for side in ("left", "right"):
        assert 3.0 < ham[side]["bflh_peak_pct"] < 15.0
        assert 70.0 < ham[side]["peak_pct_stride"] < 100.0
        assert 0.0 <= ham[side]["heel_glute_time_s"] < 0.2
    assert hamstring_by_leg(())["reference"]
