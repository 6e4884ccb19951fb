"""Angle kernels against a plain NumPy reference, plus the documented sign conventions."""

import numpy as np
import pytest

from posecheck.kinematics import _kernels
from posecheck.kinematics.angles import compute_angles, hip_flexion, knee_flexion, running_direction
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import PoseSequence


def ref_knee(hip, knee, ankle):
    a, b = hip - knee, ankle - knee
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def ref_hip(sm, hm, hip, knee, direction):
    t, h = hm - sm, knee - hip
    ang_t = np.arctan2(t[:, 1], t[:, 0])
    ang_h = np.arctan2(h[:, 1], h[:, 0])
    d = np.degrees(ang_h - ang_t)
    d = (d + 180.0) % 360.0 - 180.0  # wrap to [-180, 180)
    # image y is down: a rotation towards +x from a downward vector is clockwise on screen,
    # i.e. a negative angle in the atan2 frame; "ahead" for direction +1 is +x.
    return -direction * d


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_knee_kernel_matches_numpy_reference(rng):
    pts = rng.uniform(-500, 1500, size=(3, 2000, 2))
    got = knee_flexion(*pts)
    np.testing.assert_allclose(got, ref_knee(*pts), atol=1e-6)
    assert np.all((got >= 0) & (got <= 180))


@pytest.mark.parametrize("direction", [1, -1])
def test_hip_kernel_matches_numpy_reference(rng, direction):
    pts = rng.uniform(-500, 1500, size=(4, 2000, 2))
    got = hip_flexion(*pts, direction)
    want = ref_hip(*pts, direction)
    # equal modulo the ±180° seam
    diff = (got - want + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(diff, 0.0, atol=1e-6)


def test_kernels_propagate_nan_and_degenerate_points():
    hip = np.array([[0.0, 0.0], [np.nan, 0.0], [5.0, 5.0]])
    knee = np.array([[0.0, 1.0], [0.0, 1.0], [5.0, 5.0]])
    ankle = np.array([[0.0, 2.0], [0.0, 2.0], [5.0, 9.0]])
    out = knee_flexion(hip, knee, ankle)
    assert out[0] == pytest.approx(0.0)
    assert np.isnan(out[1]) and np.isnan(out[2])
    out = np.empty(3)
    _kernels._hip_flexion(hip, knee, hip, knee, 1.0, out)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_knee_flexion_known_values():
    hip, knee = np.array([[0.0, 0.0]]), np.array([[0.0, 100.0]])
    assert knee_flexion(hip, knee, [[0.0, 200.0]])[0] == pytest.approx(0.0)
    assert knee_flexion(hip, knee, [[-100.0, 100.0]])[0] == pytest.approx(90.0)
    assert knee_flexion(hip, knee, [[-50.0, 100 - 50 * np.sqrt(3)]])[0] == pytest.approx(150.0)


@pytest.mark.parametrize("direction", [1, -1])
def test_hip_flexion_sign_convention(direction):
    # upright trunk: shoulders above hips (y down). Thigh 30° ahead in running direction.
    sm, hm = np.array([[0.0, 0.0]]), np.array([[0.0, 100.0]])
    ahead = np.array([[direction * 50.0, 100 + 50 * np.sqrt(3)]])
    behind = np.array([[-direction * 50.0, 100 + 50 * np.sqrt(3)]])
    assert hip_flexion(sm, hm, hm, ahead, direction)[0] == pytest.approx(30.0)
    assert hip_flexion(sm, hm, hm, behind, direction)[0] == pytest.approx(-30.0)
    # thigh horizontal forward = 90° flexion
    assert hip_flexion(sm, hm, hm, hm + [[direction * 80.0, 0.0]], direction)[0] == pytest.approx(90.0)


def test_wrappers_validate_input():
    with pytest.raises(ValueError, match="shape"):
        knee_flexion(np.zeros((4, 3)), np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="length"):
        knee_flexion(np.zeros((4, 2)), np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="direction"):
        hip_flexion(*np.zeros((4, 3, 2)), direction=0)


def _stick_runner(n=60, direction=1, travel=True):
    """(n, 33, 2) landmarks of a crude side-view runner moving along x."""
    xy = np.full((n, 33, 2), np.nan)
    t = np.arange(n) / 60.0
    x0 = 300 + direction * 400 * t if travel else np.full(n, 640.0)
    phase = 2 * np.pi * 2.2 * t
    for side, sgn in (("left", 1), ("right", -1)):
        thigh = np.radians(35 * sgn * np.sin(phase))  # + = forward
        knee_flex = np.radians(60 + 50 * np.sin(phase + sgn * 1.0))
        hip = np.stack([x0, np.full(n, 400.0)], 1)
        knee = hip + 200 * np.stack([direction * np.sin(thigh), np.cos(thigh)], 1)
        shank = thigh - knee_flex
        ankle = knee + 200 * np.stack([direction * np.sin(shank), np.cos(shank)], 1)
        xy[:, L[f"{side}_hip"]] = hip
        xy[:, L[f"{side}_knee"]] = knee
        xy[:, L[f"{side}_ankle"]] = ankle
        xy[:, L[f"{side}_heel"]] = ankle + [[-direction * 20, 10]]
        xy[:, L[f"{side}_foot_index"]] = ankle + [[direction * 50, 15]]
        xy[:, L[f"{side}_shoulder"]] = hip + [[direction * 30, -250]]
        xy[:, L[f"{side}_ear"]] = hip + [[direction * 35, -330]]
    xy[:, L["nose"]] = xy[:, L["left_ear"]] + [[direction * 25, 5]]
    return xy, t


@pytest.mark.parametrize("direction", [1, -1])
@pytest.mark.parametrize("travel", [True, False])
def test_running_direction_from_travel_or_body(direction, travel):
    xy, t = _stick_runner(direction=direction, travel=travel)
    assert running_direction(xy, t) == direction


@pytest.mark.parametrize("direction", [1, -1])
def test_running_direction_facing_beats_camera_motion(direction):
    """A camera panning ahead of the runner moves the hips backwards in the image."""
    xy, t = _stick_runner(direction=direction, travel=False)
    xy[..., 0] -= direction * 600 * t[:, None]  # hips travel 300 px the wrong way
    assert running_direction(xy, t) == direction


@pytest.mark.parametrize("direction", [1, -1])
def test_running_direction_from_travel_when_face_is_unclear(direction):
    xy, t = _stick_runner(direction=direction, travel=True)
    xy[:, L["nose"]] = np.nan  # e.g. face turned away or not detected
    for side in ("left", "right"):  # feet pointing the wrong way would mislead
        xy[:, L[f"{side}_foot_index"], 0] = xy[:, L[f"{side}_heel"], 0] - direction * 10
    assert running_direction(xy, t) == direction


def test_running_direction_without_any_detection_defaults_to_right():
    assert running_direction(np.full((5, 33, 2), np.nan)) == 1


def test_compute_angles_mirror_symmetry():
    """A runner mirrored left-right gives the same knee and hip angles."""
    xy, t = _stick_runner(direction=1)
    mirrored = xy.copy()
    mirrored[..., 0] = 1280 - mirrored[..., 0]
    n = len(t)
    nan = np.full((n, 33), np.nan)

    def seq(p):
        return PoseSequence(xy=p, z=nan, visibility=nan, presence=nan,
                            world=np.full((n, 33, 3), np.nan), times=t, frame_size=(1280, 720))

    a, b = compute_angles(seq(xy)), compute_angles(seq(mirrored))
    assert (a.direction, b.direction) == (1, -1)
    np.testing.assert_allclose(a.knee_flexion, b.knee_flexion, atol=1e-9)
    np.testing.assert_allclose(a.hip_flexion, b.hip_flexion, atol=1e-9)
    # and the stick runner's hip flexion follows its applied ±35° thigh swing (trunk leans 7°)
    assert 25 < np.nanmax(a.hip_flexion) < 50 and -45 < np.nanmin(a.hip_flexion) < -25
