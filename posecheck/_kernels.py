"""Private numba kernels. Public, validated wrappers live in :mod:`posecheck.angles`.

All kernels take float64 C-contiguous arrays of 2D image points, shape (n, 2), x right and
y down (pixels), write degrees into a preallocated ``out`` of shape (n,), and propagate NaN
(a missing point gives NaN, never an exception).
"""

from __future__ import annotations

import math

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
