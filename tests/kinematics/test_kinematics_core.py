"""Kinematics core: numba kernels against NumPy references, leg-swap repair on injected
swaps, gait events and verdicts on exact synthetic landmarks, invariance properties."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.config import KinematicsConfig
from posecheck.kinematics.hamstring import hamstring_lengths
from posecheck.kinematics.chain import ankle_angle, segment_angle
from posecheck.kinematics.legs import detect_leg_swaps, swap_legs
from posecheck.pipeline import analyze_kinematics
from synthpose import exact_pose, truth_pose


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(11)


def ref_segment(a, b, d, up):
    v = b - a
    vy = -v[:, 1] if up else v[:, 1]
    return np.degrees(np.arctan2(d * v[:, 0], vy))


@pytest.mark.parametrize("up", [False, True])
@pytest.mark.parametrize("d", [1, -1])
def test_segment_angle_kernel_matches_numpy(rng, up, d):
    a, b = rng.uniform(-300, 900, size=(2, 1000, 2))
    np.testing.assert_allclose(segment_angle(a, b, d, from_up=up), ref_segment(a, b, d, up), atol=1e-9)


def test_segment_angle_conventions():
    hip, knee_ahead = np.array([[0.0, 0.0]]), np.array([[10.0, 10.0]])  # down-right
    assert segment_angle(hip, knee_ahead, 1)[0] == pytest.approx(45.0)    # knee ahead, +x run
    assert segment_angle(hip, knee_ahead, -1)[0] == pytest.approx(-45.0)  # behind, −x run
    ankle, knee = np.array([[0.0, 10.0]]), np.array([[5.0, 0.0]])         # knee up-right
    assert segment_angle(ankle, knee, 1, from_up=True)[0] > 0             # shin leaning forward


def test_ankle_kernel_matches_numpy(rng):
    k, a, h, t = rng.uniform(-300, 900, size=(4, 1000, 2))
    s, f = k - a, t - h
    cos = np.sum(s * f, 1) / (np.linalg.norm(s, axis=1) * np.linalg.norm(f, axis=1))
    want = 90.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))
    np.testing.assert_allclose(ankle_angle(k, a, h, t), want, atol=1e-6)
    # standing foot: shank vertical, foot horizontal -> 0; toes up -> dorsiflexion > 0
    knee, ank = np.array([[0.0, -10.0]]), np.array([[0.0, 0.0]])
    assert ankle_angle(knee, ank, np.array([[-2.0, 0.0]]), np.array([[8.0, 0.0]]))[0] == pytest.approx(0.0)
    assert ankle_angle(knee, ank, np.array([[-2.0, 0.0]]), np.array([[8.0, -3.0]]))[0] > 0


def test_hamstring_lengthens_with_hip_flexion_and_shortens_with_knee_flexion():
    lam = hamstring_lengths(np.array([0.0, 60.0, 60.0]), np.array([0.0, 0.0, 90.0]))
    np.testing.assert_allclose(lam[0], 1.0)
    assert np.all(lam[1] > lam[0]) and np.all(lam[2] < lam[1])
    assert lam[1, 0] > lam[1, 1]  # biceps femoris long head stretched most


# --------------------------------------------------------------------------- synthetic


@pytest.fixture(scope="module")
def front():
    pose, gt = truth_pose(1.0)
    return pose, gt, analyze_kinematics(pose)


def test_swap_repair_on_injected_swaps():
    pose, _gt = truth_pose(0.0, fps=60.0, seconds=3.0, noise=2.0)
    n = pose.n_frames
    injected = np.zeros(n, dtype=bool)
    for start in (20, 61, 100, 140):      # runs of 3–7 frames, as MediaPipe's
        injected[start:start + 3 + start % 5] = True
    xy = swap_legs(pose.xy, injected)
    found = detect_leg_swaps(xy, pose.times)
    assert np.mean(found == injected) >= 0.97
    repaired = swap_legs(xy, found)
    err = np.nanmean(np.abs(repaired - pose.xy)[:, 25:33])
    assert err < 1.0  # pixels


def test_no_swaps_found_in_clean_data():
    pose, _gt = truth_pose(1.0, fps=240.0, noise=1.0)
    assert detect_leg_swaps(pose.xy, pose.times).mean() <= 0.01


def _event_errors_frames(fps):
    pose, gt = truth_pose(0.5, fps=fps, seconds=2.0)
    _kin, events, *_ = analyze_kinematics(pose)
    errs = {"touchdown": [], "toe_off": []}
    for e in gt["events"]:
        cands = [x for x in events if x.side == e["side"] and x.kind == e["type"]]
        assert cands, f"missed {e}"
        errs[e["type"]].append(min(abs(x.time_s - e["time"]) for x in cands) * fps)
    return errs


@pytest.mark.parametrize("fps", [60.0, 120.0, 240.0])
def test_events_regression_bound(fps):
    """Loose guard kept from the previous detector (toe-off within 1–3 frames, touchdown
    within 32 ms); the issue target below is the real bound (docs/metrics.md §3)."""
    errs = _event_errors_frames(fps)
    assert max(errs["toe_off"]) <= 1.0 + 0.5 * (fps / 60.0)
    assert max(errs["touchdown"]) / fps <= 0.032


@pytest.mark.parametrize("fps,tol", [(60.0, 1.0), (120.0, 1.0), (240.0, 2.0)])
def test_events_issue_target(fps, tol):
    """The issue's target: touchdowns and toe-offs within ±1 frame at 60 and 120 fps, ±2 at
    240 fps, on exact landmarks (measured max 0.6–0.8 frames, docs/metrics.md §3)."""
    errs = _event_errors_frames(fps)
    assert max(errs["touchdown"] + errs["toe_off"]) <= tol


def test_front_and_back_verdicts(front):
    _pose, _gt, (_k, _e, strides, summary, cues, _w) = front
    assert summary.verdict == "front-side" and summary.score >= 70
    back_pose, _ = truth_pose(0.0)
    s_back = analyze_kinematics(back_pose)[3]
    assert s_back.verdict == "back-side" and s_back.score <= 30
    # the 25 % blend: the heel comes up about on the trunk line, between the two
    mixed_pose, _ = truth_pose(0.25)
    s_mix = analyze_kinematics(mixed_pose)[3]
    assert s_back.score < s_mix.score < summary.score
    assert any(c.kind == "good" for c in cues)


def test_per_stride_metrics_match_truth(front):
    _pose, gt, (_k, _e, strides, *_rest) = front
    assert len(strides) >= 2
    truth = {s["side"]: s for s in gt["strides"]}
    for s in strides:
        t = truth[s.side]
        assert s.peak_knee_flexion_deg == pytest.approx(t["peak_knee_flexion"], abs=4)
        assert s.peak_thigh_deg == pytest.approx(t["peak_thigh"], abs=4)


def _metrics(res):
    strides = res[2]
    return np.array([[s.peak_knee_flexion_deg, s.thigh_at_peak_knee_deg, s.peak_thigh_deg,
                      s.step_over_shank, s.contact_time_s] for s in strides])


def test_translation_and_scale_invariance(front):
    pose, _gt, res = front
    moved, _ = truth_pose(1.0, shift=(37.0, -21.0), scale=0.8)
    a, b = _metrics(res), _metrics(analyze_kinematics(moved))
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, atol=0.5)


def test_mirror_symmetry(front):
    """A runner going right-to-left (the clip mirrored) gives the same metrics."""
    pose, _gt, res = front
    w = pose.frame_size[0]
    mx = pose.xy.copy()
    mx[..., 0] = w - mx[..., 0]
    from dataclasses import replace

    mirrored = analyze_kinematics(replace(pose, xy=mx))
    a, b = _metrics(res), _metrics(mirrored)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, atol=0.5)
    assert mirrored[0].clip_direction == -res[0].clip_direction


def test_athlete_height_gives_metres(front):
    pose, gt, _res = front
    strides = analyze_kinematics(pose, KinematicsConfig(athlete_height_m=1.8))[2]
    step_m = np.nanmedian([s.step_length_m for s in strides])
    assert step_m == pytest.approx(gt["run_speed_mps"] * gt["step_time_s"], rel=0.1)


def test_wild_frames_never_offset_the_rest_of_the_clip(front):
    """Garbage frames whose thigh swings through the ±180° seam (the knee carried over the
    hip, as a pose model's failed frames can: seen for six frames on MediaPipe IMAGE-mode
    landmarks) stay local: every angle after them equals the clean one (running
    unwrapping carried a 360° step to the end of the clip)."""
    from posecheck.kinematics.chain import angles_from_landmarks

    _pose, _gt, res = front
    kin = res[0]
    clean = angles_from_landmarks(kin.xy, kin.direction)
    xy = kin.xy.copy()
    k = kin.xy.shape[0] // 2
    leg = float(np.nanmedian(kin.leg_length_px))
    d = float(kin.direction[k])
    # the knee goes up behind the hip, over it and down in front, one step per frame
    for i, deg in enumerate((-120.0, -160.0, 170.0, 130.0)):
        r = np.radians(deg)
        for hip, knee in ((23, 25), (24, 26)):
            xy[k + i, knee] = xy[k + i, hip] + 0.5 * leg * np.array([d * np.sin(r), np.cos(r)])
    wild = angles_from_landmarks(xy, kin.direction)
    assert np.nanmin(wild["thigh"][k:k + 4]) < -150 and np.nanmax(wild["thigh"][k:k + 4]) > 150
    for name in ("hip_flexion", "thigh", "shank"):
        np.testing.assert_allclose(wild[name][k + 4:], clean[name][k + 4:], atol=1e-9,
                                   err_msg=name)
    assert np.nanmax(np.abs(wild["thigh"])) <= 180.0 and np.nanmin(wild["shank"]) >= -120.0


def test_wrap_degrees_range_and_nan():
    from posecheck.signals.filtering import wrap_degrees

    x = np.array([-540.0, -181.0, -120.0, 0.0, 179.0, 239.9, 240.0, np.nan])
    got = wrap_degrees(x, -120.0)
    np.testing.assert_allclose(got, [180.0, 179.0, -120.0, 0.0, 179.0, 239.9, -120.0, np.nan])
    assert np.all((got[:-1] >= -120.0) & (got[:-1] < 240.0))
    with pytest.raises(ValueError):
        wrap_degrees(x, np.nan)


def _collapse(xy: np.ndarray, rows: range, factor: float = 0.25) -> np.ndarray:
    """A pose model's collapsed pose: every landmark pulled toward the hip midpoint."""
    out = xy.copy()
    for i in rows:
        c = 0.5 * (out[i, 23] + out[i, 24])
        out[i] = c + factor * (out[i] - c)
    return out


def test_implausible_poses_flags_collapsed_frames_only():
    from posecheck.signals.outliers import implausible_poses

    pose, _gt = truth_pose(0.5, fps=60.0, seconds=2.0, noise=1.0)
    assert not implausible_poses(pose.xy, pose.times).any()
    xy = _collapse(pose.xy, range(50, 55))
    xy[80] = np.nan                                   # no person: not "implausible"
    got = implausible_poses(xy, pose.times)
    assert np.flatnonzero(got).tolist() == [50, 51, 52, 53, 54]
    stretched = pose.xy.copy()
    stretched[90, [11, 12]] -= np.array([0.0, 300.0])  # shoulders far above the body
    assert implausible_poses(stretched, pose.times)[90]
    with pytest.raises(ValueError):
        implausible_poses(xy[:, :10], pose.times)


def test_collapsed_frames_are_bridged_not_smeared():
    """Five collapsed frames (83 ms at 60 fps) are left out and gap-filled: the knee angle
    around them stays near the clean one (the low-pass used to spread them)."""
    from dataclasses import replace

    pose, _gt = truth_pose(0.5, fps=60.0, seconds=2.0, noise=1.0)
    clean = analyze_kinematics(pose)[0]
    wild = analyze_kinematics(replace(pose, xy=_collapse(pose.xy, range(50, 55))))[0]
    near = slice(46, 60)
    assert np.nanmax(np.abs(wild.knee_flexion[near] - clean.knee_flexion[near])) < 8.0
    assert np.nanmax(np.abs(wild.hip_flexion[near] - clean.hip_flexion[near])) < 8.0
    assert any("implausible pose" in n for n in wild.notes)
