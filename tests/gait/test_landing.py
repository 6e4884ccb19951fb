"""Touchdown timing from the foot's final approach (posecheck/gait/landing.py,
docs/metrics.md §3): the vectorised hinge fit against a per-break-point NumPy loop, known
landings at 120 and 240 fps, the gates that hand a contact back to the tangent, and the
near foot of exact synthetic landmarks with noise through the whole event stage.
"""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.gait.landing import (
    APPROACH_MIN_SAMPLES, APPROACH_MIN_SPEED, APPROACH_POST_S, APPROACH_TOP,
    APPROACH_WINDOW_S, TANGENT_HEIGHT, TANGENT_HEIGHT_UNSMOOTHED, _hinge_break,
    approach_touchdowns, rise_crossings, tangent_crossings, tangent_touchdowns,
)
from posecheck.pipeline import analyze_kinematics
from test_events import END_MARGIN_S, truth_pose


def _hinge_break_reference(ts, r, grid, t_end):
    """Loop over the break points with np.linalg.lstsq (the model of approach_touchdowns)."""
    best, best_t = np.inf, np.nan
    for T in grid:
        u = T - ts
        pre = (u > 0) & (u <= APPROACH_WINDOW_S + 1e-12) & (r < APPROACH_TOP)
        post = (u <= 0) & (-u <= APPROACH_POST_S + 1e-12) & (ts <= t_end)
        if pre.sum() < APPROACH_MIN_SAMPLES or post.sum() < 2:
            continue
        A = np.stack([u[pre], u[pre] ** 2], axis=1)
        (alpha, beta), *_ = np.linalg.lstsq(A, r[pre], rcond=None)
        if alpha < APPROACH_MIN_SPEED or alpha + 2 * beta * u[pre].max() < 0:
            continue
        mse = (np.sum((r[pre] - A @ [alpha, beta]) ** 2) + np.sum(r[post] ** 2)) / (
            pre.sum() + post.sum())
        if mse < best:
            best, best_t = mse, T
    return best_t


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hinge_break_matches_loop_reference(seed):
    rng = np.random.default_rng(seed)
    fps = 240.0
    ts = np.arange(40) / fps
    td = ts[20] + rng.uniform(0, 1) / fps
    u = np.clip(td - ts, 0, None)
    r = 1.2 * u + 15.0 * u * u + rng.normal(0, 0.003, ts.size)
    grid = td + np.arange(-0.02, 0.02, 0.05 / fps)
    got = _hinge_break(ts, r, grid, float(ts[-1]))
    want = _hinge_break_reference(ts, r, grid, float(ts[-1]))
    assert got == pytest.approx(want, abs=1e-12)
    assert abs(got - td) < 1.0 / fps
    # no candidate with enough samples -> NaN, as the reference
    few = grid[:3] - 1.0
    assert np.isnan(_hinge_break(ts, r, few, float(ts[-1])))
    assert np.isnan(_hinge_break_reference(ts, r, few, float(ts[-1])))


def _landing(fps, frac, noise, seed, alpha=1.1, beta=25.0, drift=0.3):
    """Foot height (leg lengths, up) descending onto a drifting level, decelerating (speed
    ``alpha + 2 beta u`` at ``u`` s before the touchdown: 2.6 → 1.1 leg lengths/s over the
    last 30 ms), then resting; touchdown between frames 60 and 61 (``frac``)."""
    rng = np.random.default_rng(seed)
    n = int(0.6 * fps)
    t = np.arange(n) / fps
    td = t[60] + frac / fps
    u = np.clip(td - t, 0, None)
    level = 0.2 + drift * t
    h = level + alpha * u + beta * u * u + rng.normal(0, noise, n)
    a = 61                                        # a rough contact start after it
    b = a + int(0.1 * fps)
    return t, h, td, a, b


@pytest.mark.parametrize("frac", [0.0, 0.4, 0.8])
def test_approach_times_a_decelerating_landing_at_240fps(frac):
    """The tangent extrapolates at constant speed and is ~3 frames early on a foot that
    decelerates into the level; the approach fit is within a quarter frame
    (exact) and half a frame with 0.003 leg lengths of noise."""
    fps = 240.0
    for noise, tol in ((0.0, 0.25), (0.003, 0.5)):
        t, h, td, a, b = _landing(fps, frac, noise, 7)
        guess = tangent_touchdowns(t, h, np.array([a]), np.array([b]), fps)
        if noise == 0.0:
            assert (td - guess[0]) * fps > 2.0        # the old timing: ~3 frames early
        got = approach_touchdowns(t, h, np.array([a]), np.array([b]), guess, fps)[0]
        assert abs(got - td) * fps <= tol


@pytest.mark.parametrize("frac", [0.0, 0.5])
def test_lower_tangent_height_is_less_early_on_a_decelerating_landing(frac):
    """On a foot that decelerates into the level (2.6 → 1.1 leg lengths/s over the last
    30 ms), constant-speed extrapolation from 0.08 leg lengths is ~12 ms early; from the
    unsmoothed landmarks' 0.035 it is ~5 ms early (0.6 frame at 120 fps)."""
    fps = 120.0
    t, h, td, a, b = _landing(fps, frac, 0.0, 0)
    A, B = np.array([a]), np.array([b])
    high = tangent_touchdowns(t, h, A, B, fps, TANGENT_HEIGHT)[0]
    low = tangent_touchdowns(t, h, A, B, fps, TANGENT_HEIGHT_UNSMOOTHED)[0]
    assert high == tangent_touchdowns(t, h, A, B, fps)[0]      # the default height
    assert 1.0 < (td - high) * fps < 2.0
    assert 0.0 < (td - low) * fps < 1.0
    for bad in (0.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="height"):
            tangent_crossings(t, h, A, B, fps, bad)


@pytest.mark.parametrize("fps", [60.0, 240.0])
def test_rise_crossings_time_a_lifting_foot(fps):
    """A foot resting on a drifting level that lifts at a constant 2 leg lengths/s: the
    crossing of 0.05 leg lengths above the level is exact (linear between frames); a foot
    that never lifts within the window gives NaN."""
    n = int(fps)
    t = np.arange(n) / fps
    lift = t[40] + 0.3 / fps
    level = 0.2 + 0.3 * t
    h = level + np.where(t > lift, 2.0 * (t - lift), 0.0)
    a, b = 40 - int(0.1 * fps), 41
    got = rise_crossings(t, h, np.array([a]), np.array([b]), fps, 0.05)[0]
    assert got == pytest.approx(lift + 0.05 / 2.0, abs=1e-9)
    flat = level.copy()
    assert np.isnan(rise_crossings(t, flat, np.array([a]), np.array([b]), fps, 0.05)[0])
    assert rise_crossings(t, h, np.array([], int), np.array([], int), fps, 0.05).shape == (0,)
    with pytest.raises(ValueError, match="height"):
        rise_crossings(t, h, np.array([a]), np.array([b]), fps, 0.0)


def test_approach_at_120fps_has_too_few_samples():
    """At 120 fps the last 30 ms hold 3–4 samples: no fit (the caller keeps the tangent)."""
    fps = 120.0
    t, h, td, a, b = _landing(fps, 0.5, 0.0, 0)
    guess = tangent_touchdowns(t, h, np.array([a]), np.array([b]), fps)
    assert np.isfinite(guess[0])
    assert np.isnan(approach_touchdowns(t, h, np.array([a]), np.array([b]), guess, fps)[0])


def test_approach_gates():
    """The fit hands a contact back to the tangent where it cannot be trusted."""
    fps = 240.0
    t, h, td, a, b = _landing(fps, 0.3, 0.0, 0)
    A, B = np.array([a]), np.array([b])
    guess, latest = tangent_crossings(t, h, A, B, fps)
    assert np.isfinite(approach_touchdowns(t, h, A, B, guess, fps, latest=latest)[0])
    # a bridged (replaced) sample in the fitted span -> no fit
    rep = np.zeros(t.size, dtype=bool)
    rep[58] = True
    assert np.isnan(approach_touchdowns(t, h, A, B, guess, fps, replaced=rep)[0])
    # ... but one well before the approach does not matter
    rep[:] = False
    rep[30] = True
    assert np.isfinite(approach_touchdowns(t, h, A, B, guess, fps, replaced=rep)[0])
    # a latest break point before the touchdown caps the search
    cap = np.array([td - 2.0 / fps])
    got = approach_touchdowns(t, h, A, B, guess, fps, latest=cap)[0]
    assert np.isnan(got) or got <= cap[0] + 1e-12
    # no guess -> NaN
    assert np.isnan(approach_touchdowns(t, h, A, B, np.array([np.nan]), fps)[0])
    # the pose model did not see the foot well over the fitted span -> no fit
    vis = np.full(t.size, 0.99)
    assert np.isfinite(approach_touchdowns(t, h, A, B, guess, fps, visibility=vis)[0])
    vis[50:70] = 0.9
    assert np.isnan(approach_touchdowns(t, h, A, B, guess, fps, visibility=vis)[0])
    vis[:] = np.nan                                   # no score at all -> not seen
    assert np.isnan(approach_touchdowns(t, h, A, B, guess, fps, visibility=vis)[0])


def _signed_errors(events, gt, fps, side):
    n = gt["n_frames"]
    out = []
    for e in gt["events"]:
        if e["type"] != "touchdown" or e["side"] != side:
            continue
        if not END_MARGIN_S <= e["time"] <= (n - 1) / fps - END_MARGIN_S:
            continue
        cands = [x.time_s for x in events if x.side == side and x.kind == "touchdown"]
        out.append((min(cands, key=lambda c: abs(c - e["time"])) - e["time"]) * fps
                   if cands else np.inf)
    return np.array(out)


def test_near_foot_touchdowns_at_240fps_are_not_early():
    """Exact synthetic landmarks + 1 px of white noise (styles 0/0.5/1, 240 fps): the
    near foot's touchdowns through the whole event stage. The tangent alone was 1.3–2.4
    frames early (median −1.5, the synthetic foot decelerates into the track); measured
    now median −0.45, within ±1.5 frames."""
    fps = 240.0
    errs = []
    for style in (0.0, 0.5, 1.0):
        pose, gt = truth_pose(style, fps, 1.0, 0)
        kin, events, *_ = analyze_kinematics(pose)
        errs.append(_signed_errors(events, gt, fps, kin.near_side))
    e = np.concatenate(errs)
    assert e.size >= 9 and np.all(np.isfinite(e))
    assert abs(np.median(e)) <= 0.75
    assert np.max(np.abs(e)) <= 2.0


def test_unsmoothed_landmarks_time_touchdowns_from_lower_down():
    """Exact synthetic landmarks + 2 px of white noise at 120 fps (styles 0/0.5/1), both
    feet, declared unsmoothed (``PoseSequence.smoothed`` False, as from the landmark
    network): the touchdowns are timed from the lower tangent height and are less early.
    Measured: median −0.70 → −0.24 frames."""
    from dataclasses import replace

    fps = 120.0
    med = {}
    for smoothed in (True, False):
        errs = []
        for style in (0.0, 0.5, 1.0):
            pose, gt = truth_pose(style, fps, 2.0, 0)
            kin, events, *_ = analyze_kinematics(replace(pose, smoothed=smoothed))
            errs += [_signed_errors(events, gt, fps, side) for side in ("left", "right")]
        e = np.concatenate(errs)
        assert e.size >= 12 and np.all(np.isfinite(e))
        med[smoothed] = float(np.median(e))
    assert med[False] - med[True] >= 0.2
    assert abs(med[False]) <= 0.4
