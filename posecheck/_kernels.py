"""Private numba kernels. Public, validated wrappers live in :mod:`posecheck.angles`.

All kernels take float64 C-contiguous arrays of 2D image points, shape (n, 2), x right and
y down (pixels), write degrees into a preallocated ``out`` of shape (n,), and propagate NaN
(a missing point gives NaN, never an exception).
"""

from __future__ import annotations

import math

import numpy as np

from numba import njit

from posecheck._signal_kernels import _sorted_insert, _sorted_remove


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


@njit(cache=True)
def _leg_swap_viterbi(a, b, valid, switch_cost, swap_cost, out):
    """Second-order Viterbi over "labels as given" (0) / "labels swapped" (1) per frame.

    ``a``, ``b``: (n, m, 2) positions of m leg points labelled left and right (already
    divided by a length scale, so costs are unit-free); ``valid``: (n,) bool, frames where
    all points are finite (others cost nothing and keep the state). The hidden state at
    frame t is the pair (s[t−1], s[t]); the transition cost is the summed norm of the
    second difference (acceleration) of the relabelled trajectories,
    ``Σ_points |p[t] − 2 p[t−1] + p[t−2]|`` for both legs, plus ``switch_cost`` whenever
    s changes and ``swap_cost`` for every frame with s = 1 (labels are usually right).
    Writes the optimal s (0/1) into ``out`` (n,) int8.
    """
    n = a.shape[0]
    m = a.shape[1]
    for t in range(n):
        out[t] = 0
    if n < 3:
        return
    inf = 1e300
    # cost[t, p, c]: best cost of a path ending with s[t-1] = p, s[t] = c
    cost = np.full((n, 2, 2), inf)
    back = np.zeros((n, 2, 2), dtype=np.int8)
    for p in range(2):
        for c in range(2):
            cost[1, p, c] = swap_cost * (p + c) + (switch_cost if p != c else 0.0)
    for t in range(2, n):
        for p in range(2):          # s[t-1]
            for c in range(2):      # s[t]
                best = inf
                arg = 0
                for q in range(2):  # s[t-2]
                    prev = cost[t - 1, q, p]
                    acc = 0.0
                    if valid[t] and valid[t - 1] and valid[t - 2]:
                        for j in range(m):
                            for k in range(2):
                                # leg 0 (left) under the states q, p, c
                                l2 = a[t - 2, j, k] if q == 0 else b[t - 2, j, k]
                                l1 = a[t - 1, j, k] if p == 0 else b[t - 1, j, k]
                                l0 = a[t, j, k] if c == 0 else b[t, j, k]
                                r2 = b[t - 2, j, k] if q == 0 else a[t - 2, j, k]
                                r1 = b[t - 1, j, k] if p == 0 else a[t - 1, j, k]
                                r0 = b[t, j, k] if c == 0 else a[t, j, k]
                                dl = l0 - 2.0 * l1 + l2
                                dr = r0 - 2.0 * r1 + r2
                                acc += dl * dl + dr * dr
                        acc = math.sqrt(acc)
                    elif not valid[t] and c != p:
                        acc = inf  # no evidence: keep the state through missing frames
                    total = prev + acc
                    if total < best:
                        best = total
                        arg = q
                cost[t, p, c] = best + swap_cost * c + (switch_cost if c != p else 0.0)
                back[t, p, c] = arg
    bp = 0
    bc = 0
    best = inf
    for p in range(2):
        for c in range(2):
            if cost[n - 1, p, c] < best:
                best = cost[n - 1, p, c]
                bp = p
                bc = c
    out[n - 1] = bc
    out[n - 2] = bp
    for t in range(n - 1, 1, -1):
        q = back[t, bp, bc]
        out[t - 2] = q
        bc = bp
        bp = q


@njit(cache=True)
def _rolling_percentile(x, half, q, min_count, out):
    """out[i] = the q-th percentile (0–100, linear interpolation as ``np.percentile``) of
    the finite values of rows max(0, i − half) … i + half of ``x`` (n, m), all columns
    pooled; NaN when fewer than ``min_count`` are finite.

    The window's values are kept sorted by insertion/deletion as it slides (O(w·m) per
    row instead of a sort per row)."""
    n, m = x.shape
    buf = np.empty((2 * half + 1) * m)
    c = 0
    for r in range(0, min(n, half)):
        for j in range(m):
            v = x[r, j]
            if math.isfinite(v):
                _sorted_insert(buf, c, v)
                c += 1
    for i in range(n):
        r_in = i + half
        r_out = i - half - 1
        for j in range(m):
            if r_in < n:
                v = x[r_in, j]
                if math.isfinite(v):
                    _sorted_insert(buf, c, v)
                    c += 1
            if r_out >= 0:
                v = x[r_out, j]
                if math.isfinite(v):
                    _sorted_remove(buf, c, v)
                    c -= 1
        if c < min_count or c == 0:
            out[i] = math.nan
            continue
        pos = q / 100.0 * (c - 1)
        lo = int(math.floor(pos))
        hi = min(lo + 1, c - 1)
        out[i] = buf[lo] + (pos - lo) * (buf[hi] - buf[lo])


@njit(cache=True)
def _periodic_leg_costs(fl, fr, swapped, period, max_k, cost_keep, cost_swap):
    """Stride-periodicity evidence for the leg labels of every frame.

    ``fl``, ``fr``: (n, m) leg features labelled left / right (hip-relative positions in leg
    lengths, flattened); ``swapped``: (n,) bool, the current labelling of every frame (the
    references); ``period``: step period in frames (half a stride). For frame t and each
    k in ±1..±max_k with t + k·period inside the clip, the reference pair is the *same* legs
    a whole stride away (k even) or the *other* legs half a stride away (k odd), taken
    under the current labelling. ``cost_keep[t]`` / ``cost_swap[t]`` = median over the
    references of the summed Euclidean distances of the two legs when frame t keeps / swaps
    its labels; NaN when no reference with finite features exists.
    """
    n = fl.shape[0]
    m = fl.shape[1]
    keep = np.empty(2 * max_k)
    swap = np.empty(2 * max_k)
    for t in range(n):
        cost_keep[t] = math.nan
        cost_swap[t] = math.nan
        finite = True
        for j in range(m):
            if not (math.isfinite(fl[t, j]) and math.isfinite(fr[t, j])):
                finite = False
        if not finite:
            continue
        cnt = 0
        for kk in range(-max_k, max_k + 1):
            if kk == 0:
                continue
            s = t + kk * period
            if s < 0 or s >= n:
                continue
            other = (kk % 2) != 0
            # reference "left" / "right" legs at s under the current labelling
            ref_is_fl = swapped[s] == other  # left ref = fl[s] unless exactly one flip applies
            d_keep = 0.0
            d_swap = 0.0
            ok = True
            for side in range(2):
                dk = 0.0
                ds = 0.0
                for j in range(m):
                    if side == 0:
                        ref = fl[s, j] if ref_is_fl else fr[s, j]
                    else:
                        ref = fr[s, j] if ref_is_fl else fl[s, j]
                    if not math.isfinite(ref):
                        ok = False
                    own = fl[t, j] if side == 0 else fr[t, j]
                    alt = fr[t, j] if side == 0 else fl[t, j]
                    dk += (own - ref) ** 2
                    ds += (alt - ref) ** 2
                d_keep += math.sqrt(dk)
                d_swap += math.sqrt(ds)
            if ok:
                keep[cnt] = d_keep
                swap[cnt] = d_swap
                cnt += 1
        if cnt > 0:
            cost_keep[t] = np.median(keep[:cnt])
            cost_swap[t] = np.median(swap[:cnt])
