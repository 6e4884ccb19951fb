"""Hamstring musculotendon length (``posecheck.kinematics.hamstring``): the Delp et al. (1990) model
geometry from OpenSim's gait2392 reproduced, sign conventions, monotonicity, and the numba
kernel (``posecheck.kinematics._muscle_kernels``) against the plain NumPy formulation it replaced."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posecheck.kinematics.hamstring import (HIP_IN_PELVIS, KNEE_MODEL_RANGE_DEG, MUSCLES, PATHS,
                                 UPRIGHT_LENGTHS_M, _TX, _TY, hamstring_lengths,
                                 musculotendon_lengths_m)


def _rot_z(p: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """Rotate points ``p`` (n, 3) by ``ang`` (n,) rad about z."""
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1], p[:, 2]], axis=1)


def reference_lengths_m(hip_flexion, knee_flexion) -> np.ndarray:
    """The NumPy implementation the kernel replaced (posecheck before the numba kernel),
    kept verbatim as the reference: (..., 3) metres [bflh, sm, st], NaN where an angle is."""
    h = np.asarray(hip_flexion, dtype=np.float64)
    k = np.asarray(knee_flexion, dtype=np.float64)
    hf, kf = h.ravel(), k.ravel()
    hr = np.radians(hf)
    kc = np.clip(kf, *KNEE_MODEL_RANGE_DEG)
    q = -np.radians(kc)
    qs = np.where(np.isfinite(q), q, 0.0)
    t_knee = np.stack([_TX(qs), _TY(qs), np.zeros_like(qs)], axis=1)
    out = np.empty((hf.size, len(MUSCLES)))
    for j, m in enumerate(MUSCLES):
        prev = None
        length = np.zeros(hf.size)
        for body, loc, active in PATHS[m]:
            p = np.broadcast_to(np.asarray(loc, dtype=np.float64), (hf.size, 3))
            if body == "tibia":
                p = HIP_IN_PELVIS + _rot_z(_rot_z(p, q) + t_knee, hr)
            on = (np.ones(hf.size, bool) if active is None
                  else (kc >= active[0]) & (kc <= active[1]))
            if prev is None:
                prev = p.copy()
                continue
            seg = np.linalg.norm(p - prev, axis=1)
            length += np.where(on, seg, 0.0)
            prev = np.where(on[:, None], p, prev)
        length[~(np.isfinite(hf) & np.isfinite(kf))] = np.nan
        out[:, j] = length
    return out.reshape(h.shape + (len(MUSCLES),))


def test_kernel_matches_the_numpy_reference():
    """Every knee branch: the clamp below -10 and above 120 deg, both conditional via points
    (SM 32 deg, ST 19 deg) on both sides, spline knots, NaN, hip -60..150 deg."""
    rng = np.random.default_rng(3)
    knee = np.concatenate([rng.uniform(-40.0, 170.0, 20_000),
                           [-10.0, 120.0, 19.0, 32.0, 19.0 + 1e-9, 32.0 - 1e-9, 0.0, -25.0, 150.0,
                            np.degrees(0.349066), np.degrees(1.0472), np.nan, 30.0, np.inf]])
    hip = np.concatenate([rng.uniform(-60.0, 150.0, 20_000),
                          [0.0, 45.0, 60.0, 60.0, 60.0, 60.0, 0.0, -20.0, 90.0, 10.0, 10.0,
                           20.0, np.nan, 10.0]])
    ref = reference_lengths_m(hip, knee)
    got = musculotendon_lengths_m(hip, knee)
    assert got.shape == ref.shape == (knee.size, 3)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(hamstring_lengths(hip, knee), ref / reference_lengths_m(0.0, 0.0),
                               rtol=0, atol=1e-12, equal_nan=True)
    # (n, 2) inputs as the kinematics passes them, and a 0-d pair
    h2, k2 = hip[:200].reshape(100, 2), knee[:200].reshape(100, 2)
    np.testing.assert_allclose(hamstring_lengths(h2, k2), hamstring_lengths(hip[:200], knee[:200])
                               .reshape(100, 2, 3), rtol=0, atol=0)
    assert musculotendon_lengths_m(30.0, 40.0).shape == (3,)
    np.testing.assert_allclose(UPRIGHT_LENGTHS_M, reference_lengths_m(0.0, 0.0), atol=1e-15)


def _independent_bflh(hip_deg: float, knee_deg: float) -> float:
    """BFlh length (m) written out from the .osim numbers with scipy rotations: origin on the
    pelvis, two insertion points on the tibia; knee translation read at knee_angle_r = 0
    (the spline's value there is between the knots -0.0031 @ -0.1745 and -0.005227 @
    0.1973 for x and -0.3966 / -0.395264 for y, so only poses with knee 0 are checked)."""
    hip = np.array([-0.0707, -0.0661, 0.0835])
    origin = np.array([-0.12596, -0.10257, 0.06944])
    ins = [np.array([-0.0301, -0.036, 0.02943]), np.array([-0.0234, -0.0563, 0.0343])]
    assert knee_deg == 0.0
    from posecheck.kinematics.hamstring import _TX, _TY
    t = np.array([float(_TX(0.0)), float(_TY(0.0)), 0.0])
    r = Rotation.from_euler("z", hip_deg, degrees=True)
    pts = [origin] + [hip + r.apply(p + t) for p in ins]
    return float(sum(np.linalg.norm(b - a) for a, b in zip(pts, pts[1:])))


def test_upright_is_one_and_lengths_match_the_model_file():
    lam = hamstring_lengths(np.zeros(4), np.zeros(4))
    np.testing.assert_allclose(lam, 1.0, atol=1e-12)
    # the gait2392 muscle parameters of the same file: optimal fibre length * cos(pennation)
    # + tendon slack length is close to the path length in the default (upright) pose
    lopt_ts = {"bflh": 0.109 + 0.326, "sm": 0.080 * np.cos(0.26179939) + 0.359,
               "st": 0.201 * np.cos(0.08726646) + 0.2555}
    for j, m in enumerate(MUSCLES):
        assert UPRIGHT_LENGTHS_M[j] == pytest.approx(lopt_ts[m], rel=0.06)


@pytest.mark.parametrize("hip", [-20.0, 0.0, 45.0, 90.0])
def test_bflh_path_reproduced_independently(hip):
    got = musculotendon_lengths_m(np.array([hip]), np.array([0.0]))[0, 0]
    assert got == pytest.approx(_independent_bflh(hip, 0.0), abs=1e-9)


def test_monotonic_more_hip_flexion_and_less_knee_flexion_is_longer():
    h = np.arange(-30.0, 121.0, 2.0)
    k = np.arange(-5.0, 151.0, 2.0)
    hh, kk = np.meshgrid(h, k, indexing="ij")
    lam = hamstring_lengths(hh, kk)
    assert np.all(np.diff(lam, axis=0) > 0)    # hip flexion lengthens every muscle
    dk = np.diff(lam, axis=1)
    assert np.all(dk[:, k[:-1] < 110] < 0)     # knee flexion shortens every muscle
    # beyond ~110 deg the model's straight paths pass near the knee axis: nearly flat
    assert np.all(dk < 5e-4)
    assert np.all(lam[:, -1] < lam[:, k.searchsorted(60.0)])


def test_conditional_path_points_do_not_jump():
    for kf in (19.0, 32.0):                     # ST and SM via points switch here
        a = hamstring_lengths(np.array([40.0]), np.array([kf - 1e-3]))
        b = hamstring_lengths(np.array([40.0]), np.array([kf + 1e-3]))
        np.testing.assert_allclose(a, b, atol=2e-4)


def test_effective_moment_arms_are_anatomical():
    """Finite-difference moment arms at a late-swing pose (hip 60, knee 30): hip extension
    5-7 cm, knee flexion 3-5 cm (the model file's geometry, not a fit)."""
    d = 0.5
    L = lambda h, k: musculotendon_lengths_m(np.array([h]), np.array([k]))[0]  # noqa: E731
    r_hip = (L(60 + d, 30) - L(60 - d, 30)) / np.radians(2 * d)
    r_knee = -(L(60, 30 + d) - L(60, 30 - d)) / np.radians(2 * d)
    assert np.all((r_hip > 0.045) & (r_hip < 0.07))
    assert np.all((r_knee > 0.03) & (r_knee < 0.05))


def test_biceps_femoris_stretched_most_in_late_swing():
    """Thelen et al. (2005): peak late-swing stretch BF 9.5 % > ST 8.1 % > SM 7.4 %."""
    lam = hamstring_lengths(np.array([60.0]), np.array([35.0]))[0]
    bflh, sm, st = lam
    assert bflh > st > sm
    assert 1.05 < sm and bflh < 1.15


def test_nan_shape_and_validation():
    lam = hamstring_lengths(np.array([[np.nan, 10.0], [20.0, 30.0]]),
                            np.array([[0.0, np.nan], [10.0, 20.0]]))
    assert lam.shape == (2, 2, 3)
    assert np.isnan(lam[0, 0]).all() and np.isnan(lam[0, 1]).all()
    assert np.isfinite(lam[1]).all()
    with pytest.raises(ValueError):
        hamstring_lengths(np.zeros(3), np.zeros(4))
    # knee flexion is clamped to the model's coordinate range (-10..120 deg)
    deep = hamstring_lengths(np.array([0.0, 0.0, 0.0]), np.array([120.0, 140.0, 100.0]))
    np.testing.assert_allclose(deep[1], deep[0])
    assert np.all(deep[0] < deep[2])
