"""Rigid-shank correction (posecheck.kinematics.segments): exact landmarks stay as they are, shanks a
pose model shortened get their length back, and a shank foreshortened by an oblique view is
left alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from posecheck.config import KinematicsConfig
from posecheck.pipeline import analyze_kinematics
from posecheck.kinematics.segments import restore_shank_length, view_cosine
from synthpose import exact_pose
from tools.synth import SprintParams, simulate
from tools.synth.params import CameraParams

KNEES, ANKLES = (25, 26), (27, 28)


@pytest.fixture(scope="module")
def side_on():
    """Exact landmarks of a 50/50 sprinter filmed side-on by a tracking camera, 60 fps."""
    gt = simulate(SprintParams(style=0.5, fps=60.0, seconds=2.0,
                               camera=CameraParams(mode="track", lag=0.0))).payload
    return exact_pose(gt), gt


def shrink_folded_shanks(xy: np.ndarray, knee_flexion: np.ndarray, share: float = 0.15):
    """What MediaPipe does on a folded leg: knee and ankle pulled toward each other along the
    shank by ``share`` of its length, in proportion to knee flexion beyond 60°."""
    out = xy.copy()
    for j, (k, a) in enumerate(zip(KNEES, ANKLES)):
        amount = share * np.clip((knee_flexion[:, j] - 60.0) / 60.0, 0.0, 1.0)
        step = 0.5 * amount[:, None] * (xy[:, a] - xy[:, k])
        out[:, k] += step
        out[:, a] -= step
    return out


def test_exact_side_on_landmarks_are_left_alone(side_on):
    pose, _gt = side_on
    cos = view_cosine(pose.xy, pose.times)
    assert cos.min() > 0.99
    out, refs = restore_shank_length(pose.xy, pose.times, cos)
    assert np.all(np.isfinite(refs))
    assert np.nanmax(np.abs(out - pose.xy)) < 0.5   # < 0.5 px anywhere


def test_shortened_shanks_get_their_length_and_the_knee_angle_back(side_on):
    pose, gt = side_on
    truth = np.asarray(gt["frames"]["angles_2d"]["knee_flexion"], float)
    bad = shrink_folded_shanks(pose.xy, truth)
    out, _ = restore_shank_length(bad, pose.times, view_cosine(bad, pose.times))
    for k, a in zip(KNEES, ANKLES):
        for xy in (bad, out):
            assert np.all(np.hypot(*(xy[:, a] - xy[:, k]).T) > 0)
        # landmarks back within 1.5 px of the joint centres (were up to ~7 px off)
        assert np.nanmax(np.abs(bad[:, k] - pose.xy[:, k])) > 5.0
        assert np.nanmax(np.abs(out[:, [k, a]] - pose.xy[:, [k, a]])) < 1.5
    # through the whole core: the per-frame knee error shrinks to near the exact run's
    ref = analyze_kinematics(pose)[0].knee_flexion
    on = analyze_kinematics(replace(pose, xy=bad))[0].knee_flexion
    off = analyze_kinematics(replace(pose, xy=bad),
                             KinematicsConfig(restore_shank_length=False))[0].knee_flexion
    deep = truth > 100.0
    err_on, err_off = (np.nanmean(np.abs(x - ref)[deep]) for x in (on, off))
    assert err_off > 3.0 and err_on < 0.3 * err_off


def test_an_oblique_view_is_not_taken_for_a_short_shank():
    """A shank seen 45° off side-on looks shorter when it is horizontal; with the view's
    cosine that is expected and nothing moves, without it the shank would be stretched."""
    n = 40
    xy = np.zeros((n, 33, 2))
    phi = np.radians(np.linspace(0.0, 90.0, n))             # vertical → horizontal shank
    cos = np.full(n, np.cos(np.radians(45.0)))
    for k, a in zip(KNEES, ANKLES):
        xy[:, k] = [300.0, 300.0]
        xy[:, a] = xy[:, k] + 100.0 * np.stack([np.sin(phi) * cos, np.cos(phi)], axis=1)
    t = np.arange(n) / 60.0
    out, refs = restore_shank_length(xy, t, cos)
    np.testing.assert_allclose(refs, 100.0, rtol=1e-6)
    np.testing.assert_allclose(out, xy, atol=1e-9)
    stretched, _ = restore_shank_length(xy, t)               # "side-on": stretched
    assert np.abs(stretched - xy).max() > 5.0


def test_view_cosine_from_the_body_width():
    n = 30
    xy = np.zeros((n, 33, 2))
    xy[:, [23, 24]] = [500.0, 400.0]                           # hips
    xy[:, [11, 12]] = [500.0, 200.0]                           # shoulders: trunk 200 px
    half = 0.5 * 0.8 * 200.0 * np.sin(np.radians(30.0))         # 30° off side-on
    xy[:15, 11, 0] -= half
    xy[:15, 12, 0] += half
    cos = view_cosine(xy, np.arange(n) / 30.0)
    assert cos[:5] == pytest.approx(np.cos(np.radians(30.0)), abs=1e-6)
    assert cos[-5:] == pytest.approx(1.0)
    xy[3] = np.nan
    assert np.all(np.isfinite(view_cosine(xy, np.arange(n) / 30.0)))


def test_input_checks_and_short_legs_left_alone():
    xy = np.full((5, 33, 2), 1.0)
    xy[:, 27, 1] = 50.0
    t = np.arange(5) / 30.0
    out, refs = restore_shank_length(xy, t)                   # fewer than MIN_FRAMES
    assert np.isnan(refs).all() and np.array_equal(out, xy)
    with pytest.raises(ValueError):
        restore_shank_length(xy[:, :10], t)
    with pytest.raises(ValueError):
        restore_shank_length(xy, t[:3])
    with pytest.raises(ValueError):
        restore_shank_length(xy, t, cos_view=np.zeros(5))
    with pytest.raises(ValueError):
        restore_shank_length(xy, t, percentile=10.0)
    with pytest.raises(ValueError):
        KinematicsConfig(restore_shank_length="yes")
