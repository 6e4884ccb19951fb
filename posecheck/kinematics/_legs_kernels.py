"""Private numba kernels of leg identity. Public, validated wrappers live in
:mod:`posecheck.kinematics.legs`.

Leg features are float64 C-contiguous arrays ``fl``, ``fr`` of shape (n, m): per frame the
m coordinates of the leg labelled left / right (knee and ankle, x and y, relative to the hip
midpoint), divided by the leg length so that every cost is unit-free (leg lengths).
``d = fl − fr`` (n, m) is the *leg difference*: exchanging a frame's labels flips its sign,
and the hip cancels out of it. ``valid`` (n,) bool marks the frames whose features are all
finite; the kernels never use the features of an invalid frame. ``swapped`` (n,) bool is a
labelling: frames whose raw labels are (to be) exchanged.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _leg_features(xy, left_ids, right_ids, hip_ids, scale, fl, fr, valid):
    """Fill ``fl``, ``fr`` (n, 2·k) with the landmarks ``left_ids`` / ``right_ids`` (k,) of
    ``xy`` (n, 33, 2) pixels relative to the midpoint of the two ``hip_ids``, divided by
    ``scale`` (pixels), x and y interleaved; ``valid`` (n,) = all of them finite."""
    n = xy.shape[0]
    k = left_ids.shape[0]
    inv = 1.0 / scale
    for t in range(n):
        hx = 0.5 * (xy[t, hip_ids[0], 0] + xy[t, hip_ids[1], 0])
        hy = 0.5 * (xy[t, hip_ids[0], 1] + xy[t, hip_ids[1], 1])
        ok = math.isfinite(hx) and math.isfinite(hy)
        for i in range(k):
            a = (xy[t, left_ids[i], 0] - hx) * inv
            b = (xy[t, left_ids[i], 1] - hy) * inv
            c = (xy[t, right_ids[i], 0] - hx) * inv
            e = (xy[t, right_ids[i], 1] - hy) * inv
            fl[t, 2 * i] = a
            fl[t, 2 * i + 1] = b
            fr[t, 2 * i] = c
            fr[t, 2 * i + 1] = e
            ok = ok and math.isfinite(a) and math.isfinite(b) and math.isfinite(c) \
                and math.isfinite(e)
        valid[t] = ok


@njit(cache=True)
def _leg_lengths(xy, ids, out):
    """out[2t + side] = |hip − knee| + |knee − ankle| (pixels) of frame t, ``ids`` (2, 3) =
    hip, knee, ankle landmark indices of the two sides; NaN where a point is missing."""
    n = xy.shape[0]
    for t in range(n):
        for side in range(2):
            h, k, a = ids[side, 0], ids[side, 1], ids[side, 2]
            x1 = xy[t, k, 0] - xy[t, h, 0]
            y1 = xy[t, k, 1] - xy[t, h, 1]
            x2 = xy[t, a, 0] - xy[t, k, 0]
            y2 = xy[t, a, 1] - xy[t, k, 1]
            out[2 * t + side] = math.sqrt(x1 * x1 + y1 * y1) + math.sqrt(x2 * x2 + y2 * y2)


@njit(cache=True)
def _lag_correlations(fl, fr, lo, hi, out):
    """Normalised autocorrelation of the label-free sum u = fl + fr (n, m) at the lags
    lo … hi (frames):
    ``out[p − lo] = Σ_t u[t]·u[t+p] / sqrt(Σ_t |u[t]|² · Σ_t |u[t+p]|²)``,
    t = 0 … n − p − 1, with the mean over the valid rows removed and invalid rows (any
    non-finite value) set to 0; −1 where a denominator is 0 (``out`` (hi − lo + 1,))."""
    n, m = fl.shape
    u = np.empty((n, m))
    ok = np.empty(n, dtype=np.bool_)
    mean = np.zeros(m)
    count = 0
    for t in range(n):
        fin = True
        for j in range(m):
            v = fl[t, j] + fr[t, j]
            u[t, j] = v
            fin = fin and math.isfinite(v)
        ok[t] = fin
        if fin:
            count += 1
            for j in range(m):
                mean[j] += u[t, j]
    for j in range(m):
        mean[j] = mean[j] / count if count > 0 else 0.0
    cum = np.zeros(n + 1)                 # cum[t] = Σ_{i<t} |u[i]|²
    for t in range(n):
        acc = 0.0
        for j in range(m):
            u[t, j] = u[t, j] - mean[j] if ok[t] else 0.0
            acc += u[t, j] * u[t, j]
        cum[t + 1] = cum[t] + acc
    flat = u.ravel()
    for p in range(lo, hi + 1):
        length = (n - p) * m
        shift = p * m
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        i = 0
        while i + 4 <= length:            # four chains: not bound by the add latency
            s0 += flat[i] * flat[i + shift]
            s1 += flat[i + 1] * flat[i + 1 + shift]
            s2 += flat[i + 2] * flat[i + 2 + shift]
            s3 += flat[i + 3] * flat[i + 3 + shift]
            i += 4
        while i < length:
            s0 += flat[i] * flat[i + shift]
            i += 1
        den = math.sqrt(cum[n - p] * (cum[n] - cum[p]))
        out[p - lo] = (s0 + s1 + s2 + s3) / den if den > 0.0 else -1.0


@njit(cache=True, inline="always")
def _cs(w, i, j):
    """Compare-exchange: w[i], w[j] = min, max."""
    x = w[i]
    y = w[j]
    w[i] = min(x, y)
    w[j] = max(x, y)


@njit(cache=True)
def _median_of(w, c):
    """Median of w[:c] (c >= 1; sorts w[:c] in place). Eight values (the usual count) go
    through Batcher's 19-comparator network, which has no data-dependent branches."""
    if c == 8:
        _cs(w, 0, 2)
        _cs(w, 1, 3)
        _cs(w, 4, 6)
        _cs(w, 5, 7)
        _cs(w, 0, 4)
        _cs(w, 1, 5)
        _cs(w, 2, 6)
        _cs(w, 3, 7)
        _cs(w, 0, 1)
        _cs(w, 2, 3)
        _cs(w, 4, 5)
        _cs(w, 6, 7)
        _cs(w, 2, 4)
        _cs(w, 3, 5)
        _cs(w, 1, 4)
        _cs(w, 3, 6)
        _cs(w, 1, 2)
        _cs(w, 3, 4)
        _cs(w, 5, 6)
    else:
        for i in range(1, c):
            x = w[i]
            j = i
            while j > 0 and w[j - 1] > x:
                w[j] = w[j - 1]
                j -= 1
            w[j] = x
    h = c // 2
    return w[h] if c % 2 == 1 else 0.5 * (w[h - 1] + w[h])


@njit(cache=True)
def _periodic_evidence(d, valid, swapped, period, max_k, out):
    """Stride-periodicity evidence for the raw labels of every frame.

    ``d`` (n, m): leg differences under the raw labels; ``period``: step period in frames
    (half a stride; real, > 0). The reference for frame t at k = ±1 … ±max_k is the leg
    difference a whole stride away (k even: the same sign expected) or one step away (k
    odd: the legs exchanged, the opposite sign), under the labels ``swapped``, linearly
    interpolated between the frames floor(s) and floor(s) + 1, s = t + k·period (both valid
    and inside the clip). Per reference ``ref`` (sign-corrected) the value is
    ``2·d[t]·ref / mean(|d[t]|, |ref|)`` (leg lengths): the squared-distance difference
    ``dist(labels exchanged) − dist(as given) = 2·d[t]·ref``, normalised so that it grows
    like a distance, not its square. ``out[t]`` (n,) = the **median** over the references
    (> 0: the raw labels fit, < 0: the exchanged ones do; NaN when t is invalid or has no
    reference): a minority of wrongly labelled references cannot outvote the rest.
    """
    n, m = d.shape
    K = 2 * max_k
    sd = np.empty((n, m))                 # leg differences under the labels
    norm = np.empty(n)
    for t in range(n):
        sg = -1.0 if swapped[t] else 1.0
        acc = 0.0
        for j in range(m):
            sd[t, j] = sg * d[t, j]
            acc += d[t, j] * d[t, j]
        norm[t] = math.sqrt(acc)
    vals = np.empty((n, K))
    cnt = np.zeros(n, dtype=np.int64)
    for kk in range(-max_k, max_k + 1):
        if kk == 0:
            continue
        s = kk * period
        off = int(math.floor(s))
        a = s - off
        c0 = 1.0 - a
        sign = -2.0 if (kk % 2) != 0 else 2.0
        lo = max(0, -off)
        hi = min(n, n - off - 1) if a > 0.0 else min(n, n - off)
        nxt = 1 if a > 0.0 else 0
        for t in range(lo, hi):
            s0 = t + off
            if not (valid[t] and valid[s0] and valid[s0 + nxt]):
                continue
            acc = 0.0
            rr = 0.0
            for j in range(m):
                r = c0 * sd[s0, j] + a * sd[s0 + nxt, j]
                acc += d[t, j] * r
                rr += r * r
            den = 0.5 * (norm[t] + math.sqrt(rr))
            vals[t, cnt[t]] = sign * acc / den if den > 0.0 else 0.0
            cnt[t] += 1
    for t in range(n):
        out[t] = _median_of(vals[t], cnt[t]) if cnt[t] > 0 else math.nan


@njit(cache=True)
def _leg_swap_viterbi(fl, fr, valid, state_cost, switch_cost, out):
    """Second-order Viterbi over "labels as given" (0) / "labels swapped" (1) per frame.

    The hidden state at frame t is the pair (s[t−1], s[t]). Path cost =
    Σ_t ``state_cost[t]`` · s[t]  (per-frame cost of the swapped state, (n,), may be
    negative: evidence *for* a swap) + ``switch_cost`` per change of s + Σ_t the
    acceleration cost ``sqrt(Σ_features (p[t] − 2 p[t−1] + p[t−2])²)`` of the relabelled
    trajectories of both legs (leg lengths per frame²), counted where t, t−1, t−2 are all
    valid. The state is kept through invalid frames (no evidence there). Writes the
    optimal s (0/1) into ``out`` (n,) int8.
    """
    n, m = fl.shape
    for t in range(n):
        out[t] = 0
    if n == 0:
        return
    if n == 1:
        out[0] = 1 if state_cost[0] < 0.0 else 0
        return
    inf = 1e300
    back = np.zeros((n, 2, 2), dtype=np.int8)
    cost = np.empty((2, 2))   # cost[p, c]: best path ending with s[t-1] = p, s[t] = c
    new = np.empty((2, 2))
    acc = np.empty((2, 2))    # acceleration cost of the states (0, p, c); (1, 1-p, 1-c) equal
    for p in range(2):
        for c in range(2):
            cost[p, c] = (state_cost[0] * p + state_cost[1] * c
                          + (switch_cost if p != c else 0.0)) if (valid[1] or c == p) else inf
    for t in range(2, n):
        if valid[t] and valid[t - 1] and valid[t - 2]:
            a00 = 0.0
            a01 = 0.0
            a10 = 0.0
            a11 = 0.0
            for j in range(m):
                l2 = fl[t - 2, j]
                r2 = fr[t - 2, j]
                u1 = fl[t - 1, j]
                v1 = fr[t - 1, j]
                u0 = fl[t, j]
                v0 = fr[t, j]
                # left trajectory (l2, x1, x0), right = the complements
                g = u0 - 2.0 * u1 + l2
                h = v0 - 2.0 * v1 + r2
                a00 += g * g + h * h
                g = v0 - 2.0 * u1 + l2
                h = u0 - 2.0 * v1 + r2
                a01 += g * g + h * h
                g = u0 - 2.0 * v1 + l2
                h = v0 - 2.0 * u1 + r2
                a10 += g * g + h * h
                g = v0 - 2.0 * v1 + l2
                h = u0 - 2.0 * u1 + r2
                a11 += g * g + h * h
            acc[0, 0] = math.sqrt(a00)
            acc[0, 1] = math.sqrt(a01)
            acc[1, 0] = math.sqrt(a10)
            acc[1, 1] = math.sqrt(a11)
        else:
            acc[0, 0] = 0.0
            acc[0, 1] = 0.0
            acc[1, 0] = 0.0
            acc[1, 1] = 0.0
        for p in range(2):          # s[t-1]
            for c in range(2):      # s[t]
                if not valid[t] and c != p:
                    new[p, c] = inf  # no evidence: keep the state through missing frames
                    back[t, p, c] = 0
                    continue
                best = inf
                arg = 0
                for q in range(2):  # s[t-2]
                    total = cost[q, p] + acc[p ^ q, c ^ q]
                    if total < best:
                        best = total
                        arg = q
                new[p, c] = best + state_cost[t] * c + (switch_cost if c != p else 0.0)
                back[t, p, c] = arg
        for p in range(2):
            for c in range(2):
                cost[p, c] = new[p, c]
    bp = 0
    bc = 0
    best = inf
    for p in range(2):
        for c in range(2):
            if cost[p, c] < best:
                best = cost[p, c]
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
def _prefix_flip_gains(fl, fr, valid, swapped, period, max_k, edge_weight, switch_cost, out):
    """Change of a pairwise energy when the labels of *every* frame before b are exchanged
    (a whole block of the labelling, not one frame), for every b.

    Energy of the labelling ``swapped``: for every edge (t, s), s = round(t + k·period),
    k = 1 … max_k, both valid, ``−edge_weight · g / mean(|d_t|, |d_s|)`` with
    ``g = D_t·D_s`` for even k and ``−D_t·D_s`` for odd k (``D`` = leg difference fl − fr
    under the labels; exchanging one end changes it by twice that, the per-reference value
    of :func:`_periodic_evidence`, nearest frame instead of interpolation); plus the
    continuity terms of :func:`_leg_swap_viterbi` (acceleration cost of every valid triple
    of frames, ``switch_cost`` per change of label). Exchanging the prefix [0, b) negates
    the edges with t < b <= s and changes the triples ending at b and b + 1 and the switch
    at b, nothing else. ``out`` (n + 1,):
    out[b] = that change (negative = the flip lowers the energy), 0 at b = 0 and b = n. The
    prior (cost per exchanged frame) is left to the caller.
    """
    n, m = fl.shape
    for b in range(n + 1):
        out[b] = 0.0
    for t in range(n):
        if not valid[t]:
            continue
        st = -1.0 if swapped[t] else 1.0
        for kk in range(1, max_k + 1):
            s = int(math.floor(t + kk * period + 0.5))
            if s >= n or not valid[s]:
                continue
            ss = -1.0 if swapped[s] else 1.0
            acc = 0.0
            nt = 0.0
            ns = 0.0
            for j in range(m):
                dt = fl[t, j] - fr[t, j]
                ds = fl[s, j] - fr[s, j]
                acc += dt * ds
                nt += dt * dt
                ns += ds * ds
            den = 0.5 * (math.sqrt(nt) + math.sqrt(ns))
            g = st * ss * acc * (-1.0 if (kk % 2) != 0 else 1.0) / den if den > 0.0 else 0.0
            delta = 2.0 * edge_weight * g
            out[t + 1] += delta           # the edge straddles b = t + 1 … s
            out[s + 1] -= delta
    run = 0.0
    for b in range(n + 1):
        run += out[b]
        out[b] = run
    out[0] = 0.0
    out[n] = 0.0
    for b in range(1, n):
        chg = switch_cost if swapped[b - 1] == swapped[b] else -switch_cost
        for t in range(b, min(b + 2, n)):
            if t < 2 or not (valid[t] and valid[t - 1] and valid[t - 2]):
                continue
            old = 0.0
            new = 0.0
            for side in range(2):
                # leg labelled `side` under the labels, and after the prefix flip
                own2 = swapped[t - 2] == (side == 1)
                own1 = swapped[t - 1] == (side == 1)
                own0 = swapped[t] == (side == 1)
                for j in range(m):
                    p2 = fl[t - 2, j] if own2 else fr[t - 2, j]
                    p1 = fl[t - 1, j] if own1 else fr[t - 1, j]
                    p0 = fl[t, j] if own0 else fr[t, j]
                    q2 = fr[t - 2, j] if own2 else fl[t - 2, j]
                    q1 = p1
                    if t - 1 < b:
                        q1 = fr[t - 1, j] if own1 else fl[t - 1, j]
                    e = p0 - 2.0 * p1 + p2
                    f = p0 - 2.0 * q1 + q2
                    old += e * e
                    new += f * f
            chg += math.sqrt(new) - math.sqrt(old)
        out[b] += chg
