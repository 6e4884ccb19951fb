"""Private numba kernels. Public, validated wrappers live in :mod:`posecheck.kinematics.angles`.

All kernels take float64 C-contiguous arrays of 2D image points, shape (n, 2), x right and
y down (pixels), write degrees into a preallocated ``out`` of shape (n,), and propagate NaN
(a missing point gives NaN, never an exception).
"""

from __future__ import annotations

import math

import numpy as np

from numba import njit


@njit(cache=True)
def _knee_flexion(hip, knee, ankle, out):
    """out[i] = 180° − interior angle hip–knee–ankle (0 = straight leg), degrees."""
    for i in range(hip.shape[0]):
        ax = hip[i, 0] - knee[i, 0]
        ay = hip[i, 1] - knee[i, 1]
        bx = ankle[i, 0] - knee[i, 0]
        by = ankle[i, 1] - knee[i, 1]
        cross = ax * by - ay * bx
        dot = ax * bx + ay * by
        if (ax == 0.0 and ay == 0.0) or (bx == 0.0 and by == 0.0):
            out[i] = math.nan
        else:
            out[i] = 180.0 - math.degrees(math.atan2(abs(cross), dot))


@njit(cache=True)
def _hip_flexion(shoulder_mid, hip_mid, hip, knee, direction, out):
    """Signed angle (degrees) from the trunk line to the thigh.

    Trunk vector t = hip_mid − shoulder_mid (pointing down the body), thigh vector
    h = knee − hip. In image coordinates (y down) a thigh rotated towards +x from t has a
    negative cross product t × h; multiplying by −direction makes "ahead in the running
    direction" positive for both directions (+1 = running to +x, −1 = to −x).
    """
    for i in range(hip.shape[0]):
        tx = hip_mid[i, 0] - shoulder_mid[i, 0]
        ty = hip_mid[i, 1] - shoulder_mid[i, 1]
        hx = knee[i, 0] - hip[i, 0]
        hy = knee[i, 1] - hip[i, 1]
        if (tx == 0.0 and ty == 0.0) or (hx == 0.0 and hy == 0.0):
            out[i] = math.nan
            continue
        cross = tx * hy - ty * hx
        dot = tx * hx + ty * hy
        out[i] = -direction * math.degrees(math.atan2(cross, dot))


@njit(cache=True)
def _segment_angle(a, b, direction, up, out):
    """Signed angle (degrees) of the segment a → b from the vertical, per frame.

    ``up`` = 0: from the downward vertical (image +y), e.g. thigh hip → knee; ``up`` = 1: from
    the upward vertical (image −y), e.g. shank ankle → knee, trunk hip → shoulder. Positive
    when b lies ahead of a in the running direction: ``direction[i]`` is +1 (running to +x) or
    −1 (to −x) for frame i. Range (−180°, 180°]; NaN for a missing or coincident point.
    """
    for i in range(a.shape[0]):
        vx = (b[i, 0] - a[i, 0]) * direction[i]
        vy = b[i, 1] - a[i, 1]
        if up == 1:
            vy = -vy
        if (vx == 0.0 and vy == 0.0) or not (math.isfinite(vx) and math.isfinite(vy)):
            out[i] = math.nan
        else:
            out[i] = math.degrees(math.atan2(vx, vy))


@njit(cache=True)
def _ankle_angle(knee, ankle, heel, toe, out):
    """Ankle angle (degrees): 90° − the angle between the shank (ankle → knee) and the foot
    (heel → toe). 0 = foot at right angles to the shank, + = dorsiflexed (toes towards the
    shin), − = plantarflexed (pointed). NaN for a missing or coincident point."""
    for i in range(knee.shape[0]):
        sx = knee[i, 0] - ankle[i, 0]
        sy = knee[i, 1] - ankle[i, 1]
        fx = toe[i, 0] - heel[i, 0]
        fy = toe[i, 1] - heel[i, 1]
        if (sx == 0.0 and sy == 0.0) or (fx == 0.0 and fy == 0.0):
            out[i] = math.nan
            continue
        ang = math.degrees(math.atan2(abs(sx * fy - sy * fx), sx * fx + sy * fy))
        out[i] = 90.0 - ang
