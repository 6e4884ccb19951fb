"""Leg identity: every kernel against a plain NumPy reference; swap repair of injected swaps
(short and long runs, stride-locked as MediaPipe makes them, missing frames), mirror
symmetry, no false repairs on clean landmarks."""

import itertools

import numpy as np
import pytest

from posecheck.kinematics import _legs_kernels as K
from posecheck.kinematics.legs import (_features_valid, _leg_features, leg_length_px, periodic_leg_swaps,
                            repair_leg_swaps, step_period, step_period_frames, swap_legs)
from posecheck.types import LANDMARK_INDEX as L
from tools.synth import SprintParams, simulate
from tools.synth.evaluate import MP_INDEX


@pytest.fixture()
def rng():
    return np.random.default_rng(3)


# --------------------------------------------------------------------------- references


def ref_evidence(d, valid, swapped, period, max_k):
    n = len(d)
    sd = np.where(swapped[:, None], -d, d)
    out = np.full(n, np.nan)
    for t in np.flatnonzero(valid):
        vals = []
        for k in [k for k in range(-max_k, max_k + 1) if k]:
            s = t + k * period
            s0 = int(np.floor(s))
            a = s - s0
            s1 = s0 + 1 if a > 0 else s0
            if s0 < 0 or s1 >= n or not (valid[s0] and valid[s1]):
                continue
            ref = (1 - a) * sd[s0] + a * sd[s1]
            ref = -ref if k % 2 else ref
            den = 0.5 * (np.linalg.norm(d[t]) + np.linalg.norm(ref))
            vals.append(2 * d[t] @ ref / den if den > 0 else 0.0)
        if vals:
            out[t] = np.median(vals)
    return out


def ref_path_cost(fl, fr, valid, state_cost, switch_cost, s):
    """Cost of the labelling s (n,) 0/1 under the second-order Viterbi's model."""
    lab_l = np.where(s[:, None] == 1, fr, fl)
    lab_r = np.where(s[:, None] == 1, fl, fr)
    cost = float(np.sum(state_cost * s)) + switch_cost * np.count_nonzero(np.diff(s))
    for t in range(2, len(s)):
        if valid[t] and valid[t - 1] and valid[t - 2]:
            a = lab_l[t] - 2 * lab_l[t - 1] + lab_l[t - 2]
            b = lab_r[t] - 2 * lab_r[t - 1] + lab_r[t - 2]
            cost += np.sqrt(a @ a + b @ b)
    return cost


def ref_pair_energy(fl, fr, valid, swapped, period, max_k, edge_weight, switch_cost):
    """Pairwise energy of _prefix_flip_gains' model (without the prior)."""
    d = fl - fr
    sd = np.where(swapped[:, None], -d, d)
    n = len(d)
    e = ref_path_cost(fl, fr, valid, np.zeros(n), switch_cost, swapped.astype(int))
    for t in np.flatnonzero(valid):
        for k in range(1, max_k + 1):
            s = int(np.floor(t + k * period + 0.5))
            if s >= n or not valid[s]:
                continue
            g = sd[t] @ sd[s] * (-1 if k % 2 else 1)
            den = 0.5 * (np.linalg.norm(d[t]) + np.linalg.norm(d[s]))
            e -= edge_weight * (g / den if den > 0 else 0.0)
    return e


def ref_lag_correlations(fl, fr, lo, hi):
    u = fl + fr
    ok = np.isfinite(u).all(axis=1)
    u = np.where(ok[:, None], u - u[ok].mean(axis=0), 0.0)
    out = []
    for p in range(lo, hi + 1):
        a, b = u[:-p], u[p:]
        out.append(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return np.array(out)


def _random_legs(rng, n=60, m=4, nan_rows=(5, 31)):
    fl, fr = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    fl[list(nan_rows)] = np.nan
    valid = np.isfinite(fl).all(axis=1) & np.isfinite(fr).all(axis=1)
    return fl, fr, valid


# --------------------------------------------------------------------------- kernels


@pytest.mark.parametrize("period", [7.0, 6.37])
def test_evidence_kernel_matches_numpy_reference(rng, period):
    fl, fr, valid = _random_legs(rng, n=90)
    swapped = rng.random(90) < 0.3
    out = np.empty(90)
    K._periodic_evidence(fl - fr, valid, swapped, period, 4, out)
    np.testing.assert_allclose(out, ref_evidence(fl - fr, valid, swapped, period, 4),
                               equal_nan=True, atol=1e-12)


def test_median_network_sorts_every_zero_one_input():
    # 0-1 principle: a comparator network that sorts all 2^8 0/1 inputs sorts everything
    for bits in itertools.product([0.0, 1.0], repeat=8):
        w = np.array(bits)
        assert K._median_of(w, 8) == np.median(bits)
        np.testing.assert_array_equal(w, np.sort(bits))


def test_viterbi_kernel_finds_the_brute_force_optimum(rng):
    n = 9
    for trial in range(5):
        fl, fr, valid = _random_legs(rng, n=n, nan_rows=(4,) if trial % 2 else ())
        cost = rng.normal(0, 0.8, n)
        out = np.zeros(n, dtype=np.int8)
        K._leg_swap_viterbi(fl, fr, valid, cost, 0.3, out)
        feasible = [np.array(s) for s in itertools.product([0, 1], repeat=n)
                    if all(valid[t] or s[t] == s[t - 1] for t in range(1, n))]
        best = min(ref_path_cost(fl, fr, valid, cost, 0.3, s) for s in feasible)
        assert all(valid[t] or out[t] == out[t - 1] for t in range(1, n))
        assert ref_path_cost(fl, fr, valid, cost, 0.3, out.astype(int)) == pytest.approx(best)


def test_prefix_flip_kernel_matches_numpy_reference(rng):
    n, period, ew, sw_cost = 70, 6.6, 0.07, 0.4
    fl, fr, valid = _random_legs(rng, n=n, nan_rows=(10, 40))
    swapped = rng.random(n) < 0.3
    out = np.empty(n + 1)
    K._prefix_flip_gains(fl, fr, valid, swapped, period, 4, ew, sw_cost, out)
    e0 = ref_pair_energy(fl, fr, valid, swapped, period, 4, ew, sw_cost)
    want = [0.0] + [ref_pair_energy(fl, fr, valid, np.r_[~swapped[:b], swapped[b:]], period,
                                    4, ew, sw_cost) - e0 for b in range(1, n)] + [0.0]
    np.testing.assert_allclose(out, want, atol=1e-9)


def test_lag_correlation_kernel_matches_numpy_reference(rng):
    fl, fr, _ = _random_legs(rng, n=120)
    out = np.empty(9)
    K._lag_correlations(fl, fr, 8, 16, out)
    np.testing.assert_allclose(out, ref_lag_correlations(fl, fr, 8, 16), atol=1e-12)


def test_feature_and_length_kernels_match_numpy(rng):
    xy = rng.uniform(0, 800, size=(50, 33, 2))
    xy[7, L["left_ankle"]] = np.nan
    scale = 123.0
    fl, fr, valid = _features_valid(xy, scale)
    hip = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    for f, side in ((fl, "left"), (fr, "right")):
        want = (xy[:, [L[f"{side}_knee"], L[f"{side}_ankle"]]] - hip[:, None]) / scale
        np.testing.assert_allclose(f, want.reshape(50, 4), equal_nan=True, atol=1e-12)
    assert not valid[7] and valid[np.arange(50) != 7].all()
    lens = []
    for side in ("left", "right"):
        h, k, a = (xy[:, L[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
        lens.append(np.linalg.norm(k - h, axis=1) + np.linalg.norm(a - k, axis=1))
    assert leg_length_px(xy) == pytest.approx(np.nanmedian(np.concatenate(lens)))


# --------------------------------------------------------------------------- repair


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
    fl, fr = _leg_features(xy, leg_length_px(xy))
    assert step_period_frames(fl, fr, 60.0) in (13, 14)  # 60 / 4.6 = 13.0
    assert step_period(fl, fr, 60.0) == pytest.approx(60 / 4.6, abs=0.15)


def test_step_period_is_the_step_not_the_stride_at_a_fast_cadence():
    xy, t = _runner(fps=60.0, step_hz=5.5, n=300)  # the stride (21.8 frames) is in range too
    fl, fr = _leg_features(xy, leg_length_px(xy))
    assert step_period(fl, fr, 60.0) == pytest.approx(60 / 5.5, abs=0.2)


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


def _sim(style, fps, direction, noise, seed=0):
    """Exact synthetic-sprinter landmarks (tools.synth, no rendering) + Gaussian noise."""
    gt = simulate(SprintParams(style=style, fps=fps, direction=direction, seconds=3.0)).payload
    n = gt["n_frames"]
    xy = np.full((n, 33, 2), np.nan)
    for k, i in MP_INDEX.items():
        xy[:, i] = np.asarray(gt["frames"]["points_px"][k], float)
    xy = xy + np.random.default_rng(seed).normal(0, noise, xy.shape)
    return xy, np.arange(n) / fps, gt["step_time_s"] * fps, gt["width"]


def _locked(n, step, frac, phase):
    """Runs of ``frac`` of a stride at the same phase of every stride (as MediaPipe swaps)."""
    out = np.zeros(n, bool)
    length = max(1, round(frac * 2 * step))
    s = phase * 2 * step
    while s < n:
        out[int(s):int(s) + length] = True
        s += 2 * step
    return out


@pytest.mark.parametrize("fps", [60.0, 120.0])
@pytest.mark.parametrize("frac", [0.05, 0.15, 0.25, 0.4])
@pytest.mark.parametrize("phase", [0.15, 0.55])
def test_stride_locked_swaps_of_any_length_are_repaired(fps, frac, phase):
    xy, t, step, _w = _sim(0.5, fps, 1, noise=3.0)
    truth = _locked(len(t), step, frac, phase)
    rep = repair_leg_swaps(swap_legs(xy, truth), t, direction=1)
    assert np.mean(rep.swapped != truth) <= 0.01       # at most a frame at a run's end
    close = np.abs(rep.xy - xy)[:, [L["left_knee"], L["left_ankle"]]].max(axis=(1, 2)) < 1e-9
    assert close.mean() >= 0.99


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_runs_with_missing_frames_are_repaired(seed):
    rng = np.random.default_rng(seed)
    xy, t, step, _w = _sim(0.0, 60.0, -1, noise=4.0, seed=seed)
    n = len(t)
    truth = np.zeros(n, bool)
    for _ in range(8):                                   # runs of 1 frame … 40 % of a stride
        s = rng.integers(0, n)
        truth[s:s + rng.integers(1, int(0.8 * step) + 1)] = True
    missing = rng.random(n) < 0.03
    noisy = swap_legs(xy, truth)
    noisy[missing] = np.nan
    rep = repair_leg_swaps(noisy, t, direction=-1)
    assert np.mean((rep.swapped != truth)[~missing]) <= 0.02


@pytest.mark.parametrize("style", [0.0, 1.0])
def test_clean_landmarks_are_left_alone(style):
    xy, t, _step, _w = _sim(style, 120.0, 1, noise=2.0)
    assert not repair_leg_swaps(xy, t, direction=1).swapped.any()


def test_mirror_image_gets_the_same_repair():
    xy, t, step, width = _sim(1.0, 60.0, 1, noise=3.0)
    truth = _locked(len(t), step, 0.3, 0.3) | _locked(len(t), step, 0.1, 0.8)
    noisy = swap_legs(xy, truth)
    mirrored = noisy.copy()
    mirrored[..., 0] = width - mirrored[..., 0]           # the same run seen right-to-left
    a = repair_leg_swaps(noisy, t, direction=1)
    b = repair_leg_swaps(mirrored, t, direction=-1)
    np.testing.assert_array_equal(a.swapped, b.swapped)
    assert (a.near_side, b.near_side) == ("right", "left")
    assert np.mean(a.swapped != truth) <= 0.01
