"""Leg identity by stride periodicity: kernel vs NumPy reference, repair of injected swaps."""

import numpy as np
import pytest

from posecheck import _kernels
from posecheck.legs import periodic_leg_swaps, repair_leg_swaps, step_period_frames, swap_legs
from posecheck.types import LANDMARK_INDEX as L


def ref_periodic_costs(fl, fr, swapped, period, max_k):
    n = len(fl)
    keep, swap = np.full(n, np.nan), np.full(n, np.nan)
    for t in range(n):
        if not (np.isfinite(fl[t]).all() and np.isfinite(fr[t]).all()):
            continue
        ks, ss = [], []
        for k in [k for k in range(-max_k, max_k + 1) if k]:
            s = t + k * period
            if not 0 <= s < n:
                continue
            al, ar = (fr[s], fl[s]) if swapped[s] else (fl[s], fr[s])  # labelled legs at s
            if k % 2:  # half a stride away: the other leg
                al, ar = ar, al
            if not (np.isfinite(al).all() and np.isfinite(ar).all()):
                continue
            ks.append(np.linalg.norm(fl[t] - al) + np.linalg.norm(fr[t] - ar))
            ss.append(np.linalg.norm(fr[t] - al) + np.linalg.norm(fl[t] - ar))
        if ks:
            keep[t], swap[t] = np.median(ks), np.median(ss)
    return keep, swap


def test_periodic_kernel_matches_numpy_reference():
    rng = np.random.default_rng(3)
    n, m = 90, 8
    fl, fr = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    fl[[5, 40]] = np.nan
    swapped = rng.random(n) < 0.3
    keep, swap = np.empty(n), np.empty(n)
    _kernels._periodic_leg_costs(fl, fr, swapped, 7, 4, keep, swap)
    rk, rs = ref_periodic_costs(fl, fr, swapped, 7, 4)
    np.testing.assert_allclose(keep, rk, equal_nan=True, atol=1e-12)
    np.testing.assert_allclose(swap, rs, equal_nan=True, atol=1e-12)


def _runner(n=240, fps=60.0, step_hz=4.6):
    """(n, 33, 2) side-view legs: two pendulum-like legs half a stride apart + noise."""
    rng = np.random.default_rng(11)
    t = np.arange(n) / fps
    xy = np.full((n, 33, 2), np.nan)
    hip = np.stack([300 + 500 * t, np.full(n, 400.0)], 1)  # athlete crossing the frame
    for side, phase in (("left", 0.0), ("right", np.pi)):
        w = 2 * np.pi * step_hz / 2 * t + phase  # stride frequency = step / 2
        thigh = np.radians(20 + 45 * np.sin(w))
        knee_flex = np.radians(70 + 55 * np.sin(w - 1.2))
        knee = hip + 180 * np.stack([np.sin(thigh), np.cos(thigh)], 1)
        shank = thigh - knee_flex
        ankle = knee + 170 * np.stack([np.sin(shank), np.cos(shank)], 1)
        xy[:, L[f"{side}_hip"]] = hip + rng.normal(0, 1, (n, 2))
        xy[:, L[f"{side}_knee"]] = knee
        xy[:, L[f"{side}_ankle"]] = ankle
        xy[:, L[f"{side}_heel"]] = ankle + [-15, 10]
        xy[:, L[f"{side}_foot_index"]] = ankle + [45, 12]
    for name in ("knee", "ankle", "heel", "foot_index"):
        for side in ("left", "right"):
            xy[:, L[f"{side}_{name}"]] += rng.normal(0, 2.0, (n, 2))
    return xy, t


def test_step_period_is_found():
    xy, t = _runner(fps=60.0, step_hz=4.6)
    from posecheck.legs import _leg_features, leg_length_px
    fl, fr = _leg_features(xy, leg_length_px(xy))
    assert step_period_frames(fl, fr, 60.0) in (13, 14)  # 60 / 4.6 = 13.0


@pytest.mark.parametrize("fps", [60.0, 120.0])
def test_injected_swap_runs_are_found_and_undone(fps):
    xy, t = _runner(n=int(4 * fps), fps=fps)
    truth = np.zeros(len(t), bool)
    for start, length in ((30, 6), (95, 4), (150, 8)):
        s = int(start * fps / 60)
        truth[s:s + int(length * fps / 60)] = True
    noisy = swap_legs(xy, truth)
    found = periodic_leg_swaps(noisy, t)
    assert found is not None
    np.testing.assert_array_equal(found, truth)
    rep = repair_leg_swaps(noisy, t, direction=1)
    np.testing.assert_allclose(rep.xy, xy, equal_nan=True)


def test_short_clip_falls_back_to_continuity():
    xy, t = _runner(n=20)
    assert periodic_leg_swaps(xy, t) is None  # under two strides
    rep = repair_leg_swaps(xy, t, direction=1)
    assert not rep.swapped.any()
