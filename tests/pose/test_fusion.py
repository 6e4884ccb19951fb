"""Fusion of MoveNet's crop keypoints with MediaPipe's landmarks (posecheck.pose.fusion):
NumPy-level, no model."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.pose.fusion import (
    FROM_MOVENET, body_boxes, fill_between, fuse_pose, fuse_xy, legs_swapped, swap_leg_labels,
)
from posecheck.pose.movenet import LANDMARK_IDS
from posecheck.types import LANDMARK_INDEX as L, PoseSequence

RNG = np.random.default_rng(17)


def _mediapipe(n: int = 6) -> np.ndarray:
    """(n, 33, 2) random landmarks with distinct left/right legs."""
    xy = RNG.uniform(100, 500, (n, 33, 2))
    for p, dx in (("hip", 0), ("knee", 40), ("ankle", 80), ("heel", 70), ("foot_index", 100)):
        xy[:, L[f"left_{p}"]] = [300 + dx, 200 + 2 * dx]
        xy[:, L[f"right_{p}"]] = [200 - dx, 200 + 2 * dx]
    return xy


def _movenet_from(xy: np.ndarray, shift=(3.0, -2.0), score: float = 0.9) -> np.ndarray:
    """(n, 17, 3) keypoints = the landmarks MoveNet has, moved by ``shift`` px."""
    kp = np.empty((len(xy), 17, 3))
    kp[:, :, :2] = xy[:, list(LANDMARK_IDS)] + np.asarray(shift)
    kp[:, :, 2] = score
    return kp


def _pose(xy: np.ndarray) -> PoseSequence:
    n = len(xy)
    z = RNG.normal(size=(n, 33))
    vis = RNG.uniform(0.5, 1, (n, 33))
    return PoseSequence(xy=xy, z=z, visibility=vis, presence=vis.copy(),
                        world=RNG.normal(size=(n, 33, 3)), times=np.arange(n) / 60.0,
                        frame_size=(640, 480), model="full")


def test_body_boxes_bound_the_finite_landmarks():
    xy = _mediapipe(3)
    xy[1] = np.nan
    xy[2, :30] = np.nan
    boxes = body_boxes(xy)
    np.testing.assert_allclose(boxes[0], [*xy[0].min(axis=0), *xy[0].max(axis=0)])
    assert np.isnan(boxes[1]).all()
    np.testing.assert_allclose(boxes[2], [*xy[2, 30:].min(axis=0), *xy[2, 30:].max(axis=0)])


def test_hips_knees_ankles_come_from_movenet_and_the_rest_stays():
    mp = _mediapipe()
    kp = _movenet_from(mp, shift=(3.0, -2.0))
    out = fuse_xy(mp, kp)
    for lm in FROM_MOVENET:
        np.testing.assert_allclose(out[:, lm], mp[:, lm] + [3.0, -2.0])
    kept = [i for i in range(33) if i not in FROM_MOVENET and i not in
            (L["left_heel"], L["right_heel"], L["left_foot_index"], L["right_foot_index"])]
    np.testing.assert_array_equal(out[:, kept], mp[:, kept])


def test_heel_and_toe_stay_mediapipe_unless_moved_with_their_ankle():
    mp = _mediapipe()
    kp = _movenet_from(mp, shift=(0.0, 0.0))
    kp[:, 15, :2] += [5.0, 7.0]   # MoveNet's left ankle 5 px right, 7 px down of MediaPipe's
    feet = [L[f"{s}_{p}"] for s in ("left", "right") for p in ("heel", "foot_index")]
    np.testing.assert_array_equal(fuse_xy(mp, kp)[:, feet], mp[:, feet])
    out = fuse_xy(mp, kp, move_feet=True)
    for foot in ("left_heel", "left_foot_index"):
        np.testing.assert_allclose(out[:, L[foot]], mp[:, L[foot]] + [5.0, 7.0])
    for foot in ("right_heel", "right_foot_index"):
        np.testing.assert_allclose(out[:, L[foot]], mp[:, L[foot]])
    # the foot's shape relative to its ankle is MediaPipe's
    np.testing.assert_allclose(out[:, L["left_heel"]] - out[:, L["left_ankle"]],
                               mp[:, L["left_heel"]] - mp[:, L["left_ankle"]])


def test_low_scores_and_missing_keypoints_keep_mediapipe():
    mp = _mediapipe(4)
    kp = _movenet_from(mp, shift=(10.0, 10.0))
    kp[0, 13, 2] = 0.05            # left knee barely seen in frame 0
    kp[1] = np.nan                 # MoveNet not run in frame 1
    out = fuse_xy(mp, kp, min_score=0.2)
    np.testing.assert_array_equal(out[0, L["left_knee"]], mp[0, L["left_knee"]])
    np.testing.assert_allclose(out[0, L["right_knee"]], mp[0, L["right_knee"]] + 10.0)
    np.testing.assert_array_equal(out[1], mp[1])
    np.testing.assert_allclose(out[2:, L["left_knee"]], mp[2:, L["left_knee"]] + 10.0)


def test_legs_swapped_when_mediapipe_labels_are_crossed():
    mp = _mediapipe(5)
    kp = _movenet_from(mp)
    crossed = swap_leg_labels(mp, np.array([False, True, False, True, False]))
    np.testing.assert_array_equal(legs_swapped(crossed, kp), [False, True, False, True, False])
    kp[0] = np.nan
    assert not legs_swapped(crossed, kp)[0]


def test_swap_leg_labels_exchanges_legs_only_and_is_its_own_inverse():
    mp = _mediapipe(3)
    sw = np.array([True, False, True])
    out = swap_leg_labels(mp, sw)
    np.testing.assert_array_equal(out[0, L["left_heel"]], mp[0, L["right_heel"]])
    np.testing.assert_array_equal(out[0, L["right_hip"]], mp[0, L["left_hip"]])
    np.testing.assert_array_equal(out[1], mp[1])
    np.testing.assert_array_equal(out[0, L["left_shoulder"]], mp[0, L["left_shoulder"]])
    np.testing.assert_array_equal(swap_leg_labels(out, sw), mp)


def test_fuse_pose_relabels_mediapipe_legs_to_movenet_and_keeps_the_rest():
    mp = _mediapipe(4)
    pose = _pose(swap_leg_labels(mp, np.array([False, True, False, False])))
    kp = _movenet_from(mp, shift=(1.0, 1.0))
    fused = fuse_pose(pose, kp, model="fused")
    assert fused.model == "fused"
    # frame 1: MediaPipe's crossed foot is labelled as MoveNet labels that leg
    np.testing.assert_array_equal(fused.xy[1, L["left_heel"]], mp[1, L["left_heel"]])
    np.testing.assert_allclose(fused.xy[1, L["left_knee"]], mp[1, L["left_knee"]] + 1.0)
    np.testing.assert_array_equal(fused.z[1, L["left_heel"]], pose.z[1, L["right_heel"]])
    np.testing.assert_array_equal(fused.z[0], pose.z[0])
    np.testing.assert_array_equal(fused.xy[:, L["nose"]], pose.xy[:, L["nose"]])
    np.testing.assert_array_equal(fused.times, pose.times)


@pytest.mark.parametrize("bad", [np.zeros((4, 17, 2)), np.zeros((3, 17, 3))])
def test_fuse_pose_rejects_keypoints_of_the_wrong_shape(bad):
    with pytest.raises(ValueError):
        fuse_pose(_pose(_mediapipe(4)), bad, model="fused")


def test_fill_between_adds_the_interpolated_difference_to_mediapipe():
    n = 5
    mp = _mediapipe(n)
    mp[:, :, 0] += np.arange(n)[:, None] * 10.0       # the body moves 10 px a frame
    kp = _movenet_from(mp, shift=(0.0, 0.0))
    kp[0, :, :2] += [2.0, 0.0]                         # MoveNet 2 px right of MediaPipe ...
    kp[4, :, :2] += [6.0, 0.0]                         # ... then 6 px
    kp[1:4] = np.nan
    filled = fill_between(mp, kp, max_gap=4)
    for i in (1, 2, 3):
        np.testing.assert_allclose(filled[i, :, :2], mp[i, list(LANDMARK_IDS)] + [2.0 + i, 0.0])
    assert np.isnan(fill_between(mp, kp, max_gap=3)[2]).all()  # gap too long: left alone


@pytest.mark.parametrize("fps, stride", [(30, 1), (60, 1), (120, 1), (159, 1), (240, 3), (480, 6)])
def test_movenet_runs_on_at_least_80_frames_per_second(fps, stride):
    from posecheck.pose.refine import movenet_stride

    times = np.arange(50) / fps
    assert movenet_stride(times) == stride
    assert movenet_stride(times[:1]) == 1
