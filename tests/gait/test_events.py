"""Gait-event timing on noisy feet (docs/metrics.md §3): the vectorised helpers against
NumPy references, the tangent touchdown on an exact hinge, exact synthetic landmarks with
seeded white noise, and the real pose model (MediaPipe, full) on the committed samples.

The strict exact-landmark target lives in tests/kinematics/test_kinematics_core.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posecheck.config import Config, PoseConfig
from posecheck.gait.events import (
    NOISE_FRACTION, _run_medians, detect_events, foot_noise, ground_line, lowest_foot_y,
)
from posecheck.gait.landing import LANDING_SPEED_LEG, TANGENT_HEIGHT, tangent_touchdowns
from posecheck.pipeline import analyze_kinematics
from tools.synth import SprintParams, simulate
from synthpose import exact_pose

ROOT = Path(__file__).resolve().parents[2]
#: Truth events this close (s) to either end of a clip are not scored: their contact is cut
#: by the clip, so neither its level nor its other end is known.
END_MARGIN_S = 0.1


def test_run_medians_matches_numpy():
    rng = np.random.default_rng(5)
    y = rng.normal(size=400)
    y[rng.random(400) < 0.25] = np.nan
    starts = np.sort(rng.choice(390, size=40, replace=False))
    runs = np.stack([starts, starts + rng.integers(1, 11, size=40)], axis=1)
    runs[-1] = (398, 400)
    y[10:13] = np.nan
    runs[0] = (10, 13)                                # no finite sample -> NaN
    want = []
    for a, b in runs:
        v = y[a:b][np.isfinite(y[a:b])]
        want.append(np.median(v) if v.size else np.nan)
    np.testing.assert_allclose(_run_medians(y, runs), want, equal_nan=True, rtol=0, atol=1e-12)
    assert _run_medians(y, np.empty((0, 2), dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("fps", [60.0, 120.0, 240.0])
@pytest.mark.parametrize("frac", [0.0, 0.3, 0.75])
def test_tangent_touchdown_exact_on_a_hinge(fps, frac):
    """A foot descending at constant speed onto a drifting contact level: the extrapolated
    crossing is the touchdown itself (to rounding)."""
    n = int(fps)
    t = np.arange(n) / fps
    td = t[30] + frac / fps
    drift, speed = 0.3, 2.5                           # leg lengths/s (level drift, descent)
    level = 0.2 + drift * t
    h = level + np.where(t < td, speed * (td - t), 0.0)
    b = 30 + int(0.1 * fps)
    got = tangent_touchdowns(t, h, np.array([31]), np.array([b]), fps)
    assert got[0] == pytest.approx(td, abs=1e-9)
    # a contact without a crossing of the tangent height in its window -> NaN (caller keeps
    # the rough crossing)
    flat = np.full(n, 0.2)
    assert np.isnan(tangent_touchdowns(t, flat, np.array([31]), np.array([b]), fps)[0])


def test_tangent_extrapolation_is_capped():
    """A foot that creeps down much slower than a landing is not extrapolated further than
    ``TANGENT_HEIGHT / LANDING_SPEED_LEG`` seconds past its crossing."""
    fps = 120.0
    t = np.arange(360) / fps
    td = t[150]
    h = np.where(t < td, 0.5 * (td - t), 0.0)         # 0.5 leg lengths/s
    t_cross = td - TANGENT_HEIGHT / 0.5
    a = int(np.searchsorted(t, t_cross)) - 2          # rough contact from before the crossing
    got = tangent_touchdowns(t, h, np.array([a]), np.array([a + int(0.8 * fps)]), fps)[0]
    assert got == pytest.approx(t_cross + TANGENT_HEIGHT / LANDING_SPEED_LEG, abs=1e-9)
    assert got < td


def truth_pose(style, fps, noise, seed, seconds=2.0):
    gt = simulate(SprintParams(style=style, fps=fps, seconds=seconds)).payload
    return exact_pose(gt, noise, seed), gt


def scored_errors(events, gt, fps):
    """|error| in frames of each truth event away from the clip's ends (nearest detection
    of the same side and kind; inf if none), and the number of extra detections."""
    n = gt["n_frames"]
    errs, used = [], set()
    for e in gt["events"]:
        if not END_MARGIN_S <= e["time"] <= (n - 1) / fps - END_MARGIN_S:
            continue
        cands = [x for x in events if x.side == e["side"] and x.kind == e["type"]]
        if not cands:
            errs.append(np.inf)
            continue
        best = min(cands, key=lambda x: abs(x.time_s - e["time"]))
        errs.append(abs(best.time_s - e["time"]) * fps)
        used.add(id(best))
    extra = [x for x in events if id(x) not in used
             and END_MARGIN_S <= x.time_s <= (n - 1) / fps - END_MARGIN_S]
    return np.array(errs), len(extra)


@pytest.mark.parametrize("fps,tol", [(60.0, 1.0), (120.0, 1.0), (240.0, 2.0)])
def test_events_with_noisy_landmarks(fps, tol):
    """Exact synthetic landmarks + 2 px white noise on every landmark (seeded; the leg is
    ~190 px): the noisy-feet path times the events. Measured (styles 0/0.5/1, 2 seeds):
    within the issue's tolerance 97 / 82 / 81 % at 60 / 120 / 240 fps, max 1.2 / 1.9 / 1.8
    tolerances; the previous detector (rough crossing) had 88 / 53 / 56 %, max 1.6 / 3.0 /
    2.8."""
    errs, extra = [], 0
    for style in (0.0, 0.5, 1.0):
        for seed in (0, 1):
            pose, gt = truth_pose(style, fps, 2.0, seed)
            _kin, events, *_ = analyze_kinematics(pose)
            e, x = scored_errors(events, gt, fps)
            errs.append(e)
            extra += x
    r = np.concatenate(errs) / tol
    assert np.all(np.isfinite(r)), "missed events"
    assert extra == 0
    assert np.mean(r <= 1.0) >= 0.75
    assert r.mean() <= 0.75
    assert r.max() <= 2.25


def test_noise_gate_sends_noisy_feet_to_the_tangent_path():
    """2 px of noise is far above the clean-feet gate; exact landmarks are below it."""
    for noise, want_clean in ((0.0, True), (2.0, False)):
        pose, _gt = truth_pose(0.5, 120.0, noise, 3)
        kin, *_ = analyze_kinematics(pose)
        _g, rough = ground_line(lowest_foot_y(kin.xy), pose.times, kin.leg_length_px, 0.04)
        h = -lowest_foot_y(kin.xy_events) / kin.leg_length_px
        clean = foot_noise(h, rough) < NOISE_FRACTION * LANDING_SPEED_LEG / 120.0
        assert clean == want_clean


@pytest.fixture(scope="module", params=["front_side_60fps", "back_kick_60fps"])
def sample_analysis(request):
    from posecheck.pipeline import analyze_video

    name = request.param
    an = analyze_video(ROOT / "sample_videos" / f"{name}.mp4",
                       Config(pose=PoseConfig(workers=1)))
    truth = json.loads((ROOT / "sample_videos" / f"{name}.json").read_text())
    return name, an, truth


def test_events_on_mediapipe_output_of_the_samples(sample_analysis):
    """The real pose model (MediaPipe full, deterministic for a given clip and model) on
    the committed 60 fps samples. Measured: front_side 85 % of 26 interior events within
    ±1 frame, mean 0.47, max 2.1 frames (a far-foot touchdown where MediaPipe's toe
    jumps); back_kick 96 %, mean 0.43, max 2.0 (docs/metrics.md §3)."""
    _name, an, truth = sample_analysis
    fps = truth["fps"]
    errs, extra = scored_errors(an.events, truth, fps)
    assert errs.size >= 20
    assert np.all(np.isfinite(errs)), "missed events"
    assert extra == 0
    assert np.mean(errs <= 1.0) >= 0.8
    assert errs.mean() <= 0.6
    assert errs.max() <= 2.5


def test_detect_events_without_fast_landmarks_keeps_rough_crossings():
    """Without ``fast_xy`` nothing is re-timed: the events are the score crossings, and the
    same landmarks passed as ``fast_xy`` move at least one of them."""
    pose, _gt = truth_pose(0.5, 60.0, 2.0, 4)
    kin, *_ = analyze_kinematics(pose)
    rough = detect_events(kin.xy, pose.times, kin.leg_length_px)[0]
    timed = detect_events(kin.xy, pose.times, kin.leg_length_px, fast_xy=kin.xy_events)[0]
    assert len(rough) == len(timed)
    assert any(abs(a.time_s - b.time_s) > 1e-6 for a, b in zip(rough, timed))


def _far_foot_lost_at_touchdown(pose, gt, leg_px, frames=6, lift=0.35, before=3):
    """The far foot (ankle, heel, toe) placed up to ``lift`` leg lengths higher for
    ``frames`` frames from ``before`` frames before each of its touchdowns, as MediaPipe
    does at 240 fps when the near leg passes in front of it (docs/metrics.md §3)."""
    from posecheck.gait.events import FOOT_LANDMARKS

    far = "left" if gt["near_side"] == "right" else "right"
    cols = [c for c in FOOT_LANDMARKS if c % 2 == (1 if far == "left" else 0)]
    xy = np.array(pose.xy, copy=True)
    ramp = lift * leg_px * np.sin(np.linspace(0.3, np.pi - 0.3, frames))
    for e in gt["events"]:
        if e["side"] == far and e["type"] == "touchdown":
            f = e["frame"] - before
            for k in range(frames):
                if 0 <= f + k < len(xy):
                    xy[f + k, cols, 1] -= ramp[k]
    return far, xy


def test_a_far_foot_lost_at_touchdown_does_not_delay_the_touchdown(monkeypatch):
    """240 fps, 1 px noise, the far foot lost for 6 frames around each touchdown: with the
    glitches bridged most of its touchdowns are within 2 frames; without, all come late."""
    from dataclasses import replace

    from posecheck.gait import events as E

    pose, gt = truth_pose(1.0, 240.0, 1.0, 4)
    kin, *_ = analyze_kinematics(pose)
    far, xy = _far_foot_lost_at_touchdown(pose, gt, kin.leg_length_px)
    lost = replace(pose, xy=xy)

    def far_touchdown_errors(events):
        errs = []
        for e in gt["events"]:
            if e["side"] == far and e["type"] == "touchdown" and \
                    END_MARGIN_S <= e["time"] <= (gt["n_frames"] - 1) / 240.0 - END_MARGIN_S:
                cands = [x.time_s for x in events if x.side == far and x.kind == "touchdown"]
                errs.append(min(abs(np.array(cands) - e["time"])) * 240.0 if cands else np.inf)
        return np.array(errs)

    bridged = far_touchdown_errors(analyze_kinematics(lost)[1])
    monkeypatch.setattr(E, "FOOT_JUMP_RATE_LEG", 1e9)  # bridging off
    unbridged = far_touchdown_errors(analyze_kinematics(lost)[1])
    # measured: bridged 0.3-1.4 frames and one at 4.6 (the clip's last far touchdown, where
    # the smoothed feet that time the rough contact still carry the glitch); unbridged 5.8-6.5
    assert bridged.size >= 4
    assert np.mean(bridged <= 2.0) >= 0.75 and np.median(bridged) <= 1.5, bridged
    assert np.all(unbridged > 4.0), unbridged
    assert unbridged.mean() > bridged.mean() + 3.0, (unbridged, bridged)


def test_a_one_frame_contact_at_25_fps_still_counts():
    """25 fps, a sprinter's ~0.09 s contacts (2–3 frames), and the far foot lifted 0.1 leg
    lengths on the last frame of each of its contacts, as the pose model's far foot rises
    early: one frame at the ground remains. At 25 fps one frame already spans the minimum
    contact (0.03 s), so every far touchdown is still found, within a frame (the race scene
    of ``--scene race`` lost 22 of 46 far touchdowns when two frames were required)."""
    from posecheck.gait.events import FOOT_LANDMARKS

    fps = 25.0
    pose, gt = truth_pose(1.0, fps, 0.5, 2, seconds=3.0)
    kin, *_ = analyze_kinematics(pose)
    far = "left" if gt["near_side"] == "right" else "right"
    j = 0 if far == "left" else 1
    cols = [c for c in FOOT_LANDMARKS if c % 2 == (1 if far == "left" else 0)]
    contact = np.array(gt["frames"]["contact"], dtype=bool)[:, j]
    xy = np.array(pose.xy, copy=True)
    lengths = []
    i = 0
    while i < len(contact):
        if contact[i]:
            k = i
            while k + 1 < len(contact) and contact[k + 1]:
                k += 1
            lengths.append(k - i + 1)
            if k > i:  # leave the first frame of the contact only
                xy[i + 1:k + 1, cols, 1] -= 0.1 * kin.leg_length_px
            i = k + 1
        else:
            i += 1
    assert max(lengths) <= 3  # short contacts, as a sprinter's at 25 fps
    from dataclasses import replace

    _kin, events, *_ = analyze_kinematics(replace(pose, xy=xy))
    errs = []
    for e in gt["events"]:
        if e["side"] == far and e["type"] == "touchdown" and \
                END_MARGIN_S <= e["time"] <= (gt["n_frames"] - 1) / fps - END_MARGIN_S:
            cands = [x.time_s for x in events if x.side == far and x.kind == "touchdown"]
            errs.append(min(abs(np.array(cands) - e["time"])) * fps if cands else np.inf)
    assert len(errs) >= 4
    assert np.all(np.array(errs) <= 1.0), errs


def test_a_shaking_camera_is_taken_out_of_the_feet():
    """A hand-held camera's shake (here ±55 px vertically at 1.3 and 2.7 Hz: ~1° of shake,
    the leg is ~190 px) moves the whole picture, and the ground line through the feet cannot
    follow it: without the measured background motion most events are lost or off. With it
    (``PoseSequence.background``, what the pose pass measures) the events are those of the
    steady clip."""
    from dataclasses import replace

    fps = 60.0
    pose, gt = truth_pose(0.5, fps, 2.0, 5)
    t = pose.times
    dy = 35.0 * np.sin(2 * np.pi * 1.3 * t + 0.4) + 20.0 * np.sin(2 * np.pi * 2.7 * t + 2.0)
    xy = pose.xy.copy()
    xy[..., 1] += dy[:, None]
    shaken = replace(pose, xy=xy)
    measured = replace(shaken, background=np.stack([np.zeros_like(dy), dy], axis=1))
    steady_errs, _ = scored_errors(analyze_kinematics(pose)[1], gt, fps)
    blind_errs, _ = scored_errors(analyze_kinematics(shaken)[1], gt, fps)
    errs, extra = scored_errors(analyze_kinematics(measured)[1], gt, fps)
    assert np.mean(blind_errs <= 1.0) < 0.7, blind_errs      # the shake does harm
    assert np.all(np.isfinite(errs)) and extra == 0
    assert np.mean(errs <= 1.0) >= np.mean(steady_errs <= 1.0) - 0.05
    # the same events up to the low-pass filter's slight rounding of the shake
    assert np.abs(errs - steady_errs).mean() < 0.05
    assert np.abs(errs - steady_errs).max() < 0.35
    with pytest.raises(ValueError, match="background_dy"):
        detect_events(xy, t, 190.0, background_dy=dy[:-1])
