"""Private numba kernel for the hamstring musculotendon lengths of :mod:`posecheck.kinematics.hamstring`
(Delp et al. 1990 / OpenSim gait2392 geometry). The validated public wrappers are
:func:`posecheck.kinematics.hamstring.musculotendon_lengths_m` and
:func:`posecheck.kinematics.hamstring.hamstring_lengths`; the model constants are packed into arrays
there (:func:`posecheck.kinematics.hamstring._packed_model`).

Per frame the kernel computes what the NumPy formulation kept in ``tests/kinematics/test_hamstring.py``
(``reference_lengths_m``) computes, to ~1e-16 m: clamp the knee flexion to the model's
range, evaluate the knee's tibia-translation cubic splines at the OpenSim coordinate
q = −knee (rad), and sum the segment lengths of the polyline through the active path
points, a tibia point p sitting at hip + Rz(hip)·(Rz(q)·p + t(q)) in the pelvis frame.
A segment between two points of the same body is rigid: its length is precomputed
(``same_body_dist``), so per frame only the segments that cross the hip and knee (pelvis →
first active tibia point) need transforming.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Frames per block of the kernel's scratch (7 float64 per frame: 28 kB).
_BLOCK = 512


@njit(cache=True, inline="always")
def _spline_eval(x, c, q):
    """Piecewise cubic (scipy ``PPoly`` layout: breakpoints ``x`` (m,), coefficients ``c``
    (4, m − 1), highest power first) at ``q``; the end pieces extrapolate, like scipy."""
    m = x.shape[0]
    i = 0
    while i < m - 2 and q >= x[i + 1]:
        i += 1
    d = q - x[i]
    return ((c[0, i] * d + c[1, i]) * d + c[2, i]) * d + c[3, i]


@njit(cache=True)
def _musculotendon_lengths(hip_deg, knee_deg, knee_lo, knee_hi, tx_x, tx_c, ty_x, ty_c,
                           hip_centre, pts, body, act_lo, act_hi, n_pts, same_body_dist,
                           scale, out):
    """Musculotendon lengths of k muscles for n frames.

    hip_deg, knee_deg: (n,) float64 degrees (hip + = flexion, knee 0 = straight, + bent).
    knee_lo, knee_hi: the model's knee-flexion range (deg); knee flexion is clamped to it.
    tx_x, tx_c, ty_x, ty_c: tibia translation splines along femur x / y (m) of the OpenSim
        coordinate ``knee_angle_r`` (rad), ``PPoly`` layout (see :func:`_spline_eval`).
    hip_centre: (3,) hip joint centre in the pelvis frame (m).
    pts: (k, p, 3) path points (m) in their body's frame, body: (k, p) int64 0 = pelvis,
        1 = tibia; act_lo, act_hi: (k, p) knee-flexion range (deg) in which a point is
        active (−inf/inf = always; the first point is always used); n_pts: (k,) points per
        muscle; same_body_dist: (k, p, p) distance (m) between two points of one body.
    scale: (k,) divisor of each length (1 for metres, the upright length for λ).
    out: (n, k) float64, filled; NaN where an angle is NaN or infinite.
    """
    n = hip_deg.shape[0]
    k = pts.shape[0]
    hx, hy, hz = hip_centre[0], hip_centre[1], hip_centre[2]
    # in blocks of frames (a small scratch that stays in cache): pass 1, per frame, the
    # clamped knee, knee translation, cos/sin of the knee and hip rotations; pass 2, muscle
    # by muscle (the same path structure frame after frame, which branch prediction likes)
    fr = np.empty((_BLOCK, 7))
    for b0 in range(0, n, _BLOCK):
        b1 = min(b0 + _BLOCK, n)
        for f in range(b0, b1):
            r = f - b0
            h = hip_deg[f]
            kf = knee_deg[f]
            if not (math.isfinite(h) and math.isfinite(kf)):
                fr[r, 0] = np.nan
                continue
            hr = math.radians(h)
            kc = min(max(kf, knee_lo), knee_hi)
            q = -math.radians(kc)
            fr[r, 0] = kc
            fr[r, 1] = _spline_eval(tx_x, tx_c, q)
            fr[r, 2] = _spline_eval(ty_x, ty_c, q)
            fr[r, 3] = math.cos(q)
            fr[r, 4] = math.sin(q)
            fr[r, 5] = math.cos(hr)
            fr[r, 6] = math.sin(hr)
        for j in range(k):
            for f in range(b0, b1):
                r = f - b0
                kc = fr[r, 0]
                if math.isnan(kc):
                    out[f, j] = np.nan
                    continue
                tkx, tky, cq, sq = fr[r, 1], fr[r, 2], fr[r, 3], fr[r, 4]
                ch, sh = fr[r, 5], fr[r, 6]
                length = 0.0
                prev = 0
                for i in range(1, n_pts[j]):
                    if not (act_lo[j, i] <= kc <= act_hi[j, i]):
                        continue
                    if body[j, i] == body[j, prev]:
                        length += same_body_dist[j, prev, i]
                    else:                                 # crosses the hip and the knee
                        ax, ay, az = pts[j, prev, 0], pts[j, prev, 1], pts[j, prev, 2]
                        bx, by, bz = pts[j, i, 0], pts[j, i, 1], pts[j, i, 2]
                        if body[j, i] == 1:               # b: tibia -> femur -> pelvis
                            x1 = cq * bx - sq * by + tkx
                            y1 = sq * bx + cq * by + tky
                            bx, by, bz = ch * x1 - sh * y1 + hx, sh * x1 + ch * y1 + hy, bz + hz
                        else:                             # a is the tibia point
                            x1 = cq * ax - sq * ay + tkx
                            y1 = sq * ax + cq * ay + tky
                            ax, ay, az = ch * x1 - sh * y1 + hx, sh * x1 + ch * y1 + hy, az + hz
                        dx, dy, dz = bx - ax, by - ay, bz - az
                        length += math.sqrt(dx * dx + dy * dy + dz * dz)
                    prev = i
                out[f, j] = length / scale[j]
