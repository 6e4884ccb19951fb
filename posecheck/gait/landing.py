"""Touchdown timing on noisy feet (``docs/metrics.md`` §3): where the descending foot
reaches its contact level.

Two estimators, both on the lowest foot point's height in the image (leg lengths, up; any
offset) over one rough contact ``[start, stop)`` (frames):

* :func:`tangent_touchdowns`: the foot crosses a height above its contact level
  (:data:`TANGENT_HEIGHT`; :data:`TANGENT_HEIGHT_UNSMOOTHED` for landmarks without the
  landmarker's temporal smoothing) and is extrapolated down along its velocity there.
  Robust to a few noisy samples, but a landing foot decelerates in its last ~10–20 ms (it
  comes down tangentially onto the track), so constant velocity reaches the level early:
  0.5–1 frame at 60–120 fps and 1–2.5 frames at 240 fps on exact landmarks from
  :data:`TANGENT_HEIGHT`, less from the lower height.
* :func:`approach_touchdowns`: the final approach (the last :data:`APPROACH_WINDOW_S` s
  below :data:`APPROACH_TOP`) fitted with a decelerating parabola that meets the contact
  level at the touchdown, the touchdown being the break point that fits best (a hinge
  fit; sub-frame grid). Unbiased on exact landmarks at any rate, but it needs enough
  samples in those 30 ms to average the landmark noise (:data:`APPROACH_MIN_SAMPLES`: 240
  fps has 7, 120 fps 3–4), so the caller uses it only where it has them and the approach
  was observed (not bridged over a pose-model glitch), else the tangent.
"""

from __future__ import annotations

import numpy as np

#: Typical vertical speed of the foot at touchdown in leg lengths per second (~1 m/s for
#: a 0.9 m leg; docs/metrics.md §3).
LANDING_SPEED_LEG = 1.1
#: Half-width (s) of the search window around a rough event for its refinement.
REFINE_WINDOW_S = 0.05
#: Height above the contact level (leg lengths) at which a noisy descending foot is timed
#: (:func:`tangent_touchdowns`): well above the landmark noise (~0.01–0.02 leg lengths for
#: MediaPipe) and above the last ~2 cm where the pose model's temporal smoothing rounds the
#: landing off, but still in the final approach (reached ~10–35 ms before touchdown).
TANGENT_HEIGHT = 0.08
#: The same height for landmarks without the landmarker's temporal smoothing (the landmark
#: network, :attr:`posecheck.types.PoseSequence.smoothed` ``False``): nothing rounds their
#: landing off, so the foot is timed lower, where less of the final deceleration is left
#: to extrapolate over, at about twice the landmark noise (docs/metrics.md §3; chosen on
#: tuning clips: 0.03–0.045 within 3 % of events in tolerance, 0.08 12 % fewer).
TANGENT_HEIGHT_UNSMOOTHED = 0.035
#: The final approach fitted by :func:`approach_touchdowns`: its last this many seconds
#: before the touchdown ...
APPROACH_WINDOW_S = 0.03
#: ... below this height above the contact level (leg lengths; the foot's path above it,
#: still swinging down and forward, is not part of the landing) ...
APPROACH_TOP = 0.10
#: ... and this long after it (s), where the foot must be on the level.
APPROACH_POST_S = 0.03
#: Fewest approach samples for the 2-parameter parabola to average out landmark noise; with
#: fewer (below ~200 fps) the tangent is used.
APPROACH_MIN_SAMPLES = 6
#: Slowest descent (leg lengths/s) at the break point of a fitted approach: a landing foot
#: comes down at ~1 leg length/s (:data:`LANDING_SPEED_LEG`); a fit much slower than that
#: has put its break where a hovering foot's path is flat, which is not a landing.
APPROACH_MIN_SPEED = 0.25 * LANDING_SPEED_LEG
#: Least mean visibility (the pose model's own score, min of heel and toe per frame) over
#: the fitted span for the fit to be used: MediaPipe scores a foot it sees 0.97–0.99, and
#: the far foot at its touchdown, behind the near leg swinging past, 0.90–0.96, where it
#: hovers above the track and lands late (docs/metrics.md §3; chosen on tuning clips).
APPROACH_MIN_VISIBILITY = 0.965
#: Half-width (s) of the break-point search around the tangent touchdown, and its step in
#: frames.
APPROACH_SEARCH_S = 0.03
APPROACH_STEP_FRAMES = 0.05


def contact_level(t: np.ndarray, h: np.ndarray, a: int, b: int):
    """Line ``(t_ref, c0, slope)`` fitted to the foot height ``h`` over the middle half of the
    contact ``[a, b)`` (all of it if shorter than 4 frames); ``None`` without 2 finite
    samples. A pinned toe drifts in the image of a panning camera, so the level is a line."""
    q = max(1, (b - a) // 4)
    sl = slice(a + q, b - q) if b - a >= 4 else slice(a, b)
    tm, hm = t[sl], h[sl]
    ok = np.isfinite(hm)
    if ok.sum() < 2:
        return None
    tm, hm = tm[ok], hm[ok]
    t_ref = float(np.mean(tm))
    slope, c0 = np.polyfit(tm - t_ref, hm, 1) if tm.size >= 3 else (0.0, float(np.median(hm)))
    return t_ref, float(c0), float(slope)


def tangent_touchdowns(t: np.ndarray, h: np.ndarray, starts, stops, fps: float,
                       height: float = TANGENT_HEIGHT) -> np.ndarray:
    """(m,) touchdown times (s) of :func:`tangent_crossings` (its first output)."""
    return tangent_crossings(t, h, starts, stops, fps, height)[0]


def tangent_crossings(t: np.ndarray, h: np.ndarray, starts, stops, fps: float,
                      height: float = TANGENT_HEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Touchdown times (s) on noisy feet, one per contact: where the descending foot crosses
    ``height`` leg lengths above its contact level (:data:`TANGENT_HEIGHT` for smoothed
    landmarks, :data:`TANGENT_HEIGHT_UNSMOOTHED` for unsmoothed ones), extrapolated down to
    the level along the foot's velocity at that crossing. Vectorised over the contacts of
    one foot.

    Args:
        t: (n,) real seconds. h: (n,) the lowest foot point's height in the image (leg
            lengths, up; any offset), low-passed (the caller uses 15 Hz).
        starts, stops: (m,) int rough contacts ``[start, stop)`` (frames), ``start >= 1``.
        fps: frame rate (frames per real second).

    Returns:
        ``(touchdown, latest)``: (m,) touchdown times in seconds, NaN where there is no
        such crossing (the caller keeps the rough crossing); and (m,) the latest time (s) a
        foot that crossed there at that speed, decelerating uniformly, can land at
        :data:`APPROACH_MIN_SPEED` (``t_cross + 2 height / (v + APPROACH_MIN_SPEED)``,
        not past the contact middle): a later landing means the foot hovered on the way
        down, which a pose model's lost foot does and a landing does not.

    The contact level is the line fitted to ``h`` over the middle half of the contact
    (as :func:`contact_level`). The crossing is the last downward crossing of level +
    ``height`` between ``REFINE_WINDOW_S`` before the contact and its middle
    (linear between frames); the velocity is the height change over that frame interval.
    Assuming the foot keeps that velocity is early for a foot that decelerates before
    landing (module docstring). The extrapolation is capped at
    ``height / LANDING_SPEED_LEG`` seconds and at the contact middle.
    """
    a = np.asarray(starts, dtype=np.int64)
    b = np.asarray(stops, dtype=np.int64)
    m, n = a.size, h.size
    out = np.full(m, np.nan)
    latest = np.full(m, np.nan)
    if m == 0:
        return out, latest
    hm, slope, tm, tt, good = _level_lines(t, h, a, b)
    if not (np.isfinite(height) and height > 0):
        raise ValueError(f"height must be a positive number of leg lengths, got {height}")
    # downward crossings of level + height in [lo, centre)
    centre = np.minimum((a + b) // 2, n - 1)
    lo = np.maximum(0, a - max(3, int(round(REFINE_WINDOW_S * fps))))
    width = int(max(1, (centre - lo).max()))
    idx = lo[:, None] + np.arange(width)[None, :]                  # (m, width)
    valid = idx < centre[:, None]
    i0 = np.minimum(idx, n - 2)
    lev = lambda i: hm[:, None] + slope[:, None] * (tt[i] - tm[:, None]) + height
    r0, r1 = h[i0] - lev(i0), h[i0 + 1] - lev(i0 + 1)
    with np.errstate(invalid="ignore"):
        down = valid & (r0 > 0) & (r1 <= 0)
    has = down.any(axis=1) & good
    last = width - 1 - np.argmax(down[:, ::-1], axis=1)
    rows = np.flatnonzero(has)
    i = idx[rows, last[rows]]
    ra, rb = r0[rows, last[rows]], r1[rows, last[rows]]
    dt = t[i + 1] - t[i]
    drop = ra - rb
    tc = t[i] + dt * ra / drop
    ext = np.minimum(height * dt / drop, height / LANDING_SPEED_LEG)
    out[rows] = np.minimum(tc + ext, t[centre[rows]])
    latest[rows] = np.minimum(tc + 2 * height / (drop / dt + APPROACH_MIN_SPEED),
                              t[centre[rows]])
    return out, latest


def _level_lines(t, h, a, b):
    """Least-squares contact lines over the middle half of each contact ``[a, b)`` from
    cumulative sums: ``(level at tm, slope, tm, t - t[0], enough samples)``, (m,) each
    (``tt`` is (n,))."""
    q = np.maximum(1, (b - a) // 4)
    long = b - a >= 4
    lo_l, hi_l = np.where(long, a + q, a), np.where(long, b - q, b)
    ok = np.isfinite(h)
    tt = t - t[0]
    hz = np.where(ok, h, 0.0)
    cs = [np.concatenate(([0.0], np.cumsum(v))) for v in
          (ok.astype(np.float64), np.where(ok, tt, 0.0), hz, np.where(ok, tt * tt, 0.0), tt * hz)]
    s0, s1, sh, s2, s1h = (c[hi_l] - c[lo_l] for c in cs)
    with np.errstate(invalid="ignore", divide="ignore"):
        tm, hm = s1 / s0, sh / s0
        sxx = s2 - s0 * tm * tm
        slope = np.where((s0 >= 3) & (sxx > 0), (s1h - s0 * tm * hm) / sxx, 0.0)
    return hm, slope, tm, tt, s0 >= 2


def approach_touchdowns(t: np.ndarray, h: np.ndarray, starts, stops, guess,
                        fps: float, replaced=None, latest=None,
                        visibility=None) -> np.ndarray:
    """Touchdown times (s), one per contact, from a hinge fit of the final approach.

    Args:
        t: (n,) real seconds, strictly increasing. h: (n,) the lowest foot point's height
            in the image (leg lengths, up; any offset), not low-passed (the fit averages).
        starts, stops: (m,) int rough contacts ``[start, stop)`` (frames).
        guess: (m,) first estimates (s), e.g. :func:`tangent_touchdowns`; NaN = skip.
        fps: frame rate (frames per real second).
        replaced: optional (n,) bool, samples that are not the foot's path (e.g. a
            pose-model glitch bridged by a straight line): no fit where the approach from
            the guess to the break point, or the post window, contains one.
        latest: optional (m,) latest break point (s) per contact (e.g. the second output
            of :func:`tangent_crossings`); NaN = no limit.
        visibility: optional (n,) the pose model's visibility of the foot in [0, 1] (min of
            heel and toe); no fit where its mean over the fitted span is below
            :data:`APPROACH_MIN_VISIBILITY` (NaN samples ignored).

    Returns:
        (m,) touchdown times in seconds; NaN where the contact has no finite guess, no
        contact level, fewer than :data:`APPROACH_MIN_SAMPLES` approach samples at every
        candidate break point, or a replaced sample or low visibility in the fitted span
        (the caller keeps its other estimate).

    Model, relative to the contact level ``c(t)`` (the line of :func:`contact_level`, then
    shifted to the median height of the first :data:`APPROACH_POST_S` s after the break,
    where the foot first rests: a pose model's foot may creep up later in the stance):
    for a break point ``T``, ``h - c = α u + β u²`` with ``u = T − t`` on the approach
    (``T − APPROACH_WINDOW_S <= t < T`` and below :data:`APPROACH_TOP`) and ``h - c = 0``
    on ``[T, T + APPROACH_POST_S]`` (not past the contact middle); the foot must descend
    over the whole approach (``α + 2βu >= 0``) and land at ``α >=``
    :data:`APPROACH_MIN_SPEED`. ``α, β`` by least squares for
    each ``T`` on a grid of :data:`APPROACH_STEP_FRAMES` frames within
    ±:data:`APPROACH_SEARCH_S` of the guess; the touchdown is the ``T`` with the smallest
    mean squared residual. The level shift and the fit are done twice.
    """
    t = np.asarray(t, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    a = np.asarray(starts, dtype=np.int64)
    b = np.asarray(stops, dtype=np.int64)
    g = np.asarray(guess, dtype=np.float64)
    n = h.size
    out = np.full(a.size, np.nan)
    rep = np.zeros(n, dtype=bool) if replaced is None else np.asarray(replaced, dtype=bool)
    cum = np.concatenate(([0], np.cumsum(rep.astype(np.int64))))
    grid_off = np.arange(-APPROACH_SEARCH_S, APPROACH_SEARCH_S + 1e-12,
                         APPROACH_STEP_FRAMES / fps)
    for k in range(a.size):
        if not np.isfinite(g[k]):
            continue
        level = contact_level(t, h, int(a[k]), int(b[k]))
        if level is None:
            continue
        t_ref, c0, slope = level
        centre = min(int((a[k] + b[k]) // 2), n - 1)
        lo = int(np.searchsorted(t, g[k] - APPROACH_SEARCH_S - APPROACH_WINDOW_S - 1e-9))
        hi = min(centre, int(np.searchsorted(t, g[k] + APPROACH_SEARCH_S + APPROACH_POST_S,
                                             side="right")) - 1)
        idx = np.arange(lo, hi + 1)
        idx = idx[np.isfinite(h[idx]) & ~rep[idx]]
        if idx.size < APPROACH_MIN_SAMPLES + 2:
            continue
        ts = t[idx]
        r0 = h[idx] - (c0 + slope * (ts - t_ref))
        grid = g[k] + grid_off
        grid = grid[grid < t[centre]]
        if latest is not None and np.isfinite(latest[k]):
            grid = grid[grid <= latest[k]]
        best, shift = np.nan, 0.0
        for _ in range(2):
            best = _hinge_break(ts, r0 - shift, grid, float(t[centre]))
            if not np.isfinite(best):
                break
            post = (ts >= best) & (ts <= best + APPROACH_POST_S)
            if post.any():
                shift = float(np.median(r0[post]))
        if np.isfinite(best):
            i0 = int(np.searchsorted(t, min(best, g[k]) - APPROACH_WINDOW_S - 1e-9))
            i1 = int(np.searchsorted(t, max(best, g[k]) + APPROACH_POST_S + 1e-9, side="right"))
            seen = True
            if visibility is not None:
                v = np.asarray(visibility, dtype=np.float64)[i0:i1]
                v = v[np.isfinite(v)]
                seen = v.size > 0 and float(v.mean()) >= APPROACH_MIN_VISIBILITY
            if cum[i1] == cum[i0] and seen:
                out[k] = best
    return out


def _hinge_break(ts: np.ndarray, r: np.ndarray, grid: np.ndarray, t_end: float) -> float:
    """Best break point of the approach model of :func:`approach_touchdowns` among ``grid``
    (s) for samples ``(ts, r)`` (heights above the level); NaN if no candidate has enough
    samples or a descending fit. Vectorised over the grid."""
    if grid.size == 0:
        return float("nan")
    u = grid[:, None] - ts[None, :]                                 # (g, s)
    pre = (u > 0) & (u <= APPROACH_WINDOW_S + 1e-12) & (r[None, :] < APPROACH_TOP)
    post = (u <= 0) & (-u <= APPROACH_POST_S + 1e-12) & (ts[None, :] <= t_end)
    up = np.where(pre, u, 0.0)
    u2 = up * up
    s11, s12, s22 = u2.sum(1), (u2 * up).sum(1), (u2 * u2).sum(1)
    y1, y2 = (up * r).sum(1), (u2 * r).sum(1)
    det = s11 * s22 - s12 * s12
    n_pre, n_post = pre.sum(1), post.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = (s22 * y1 - s12 * y2) / det
        beta = (s11 * y2 - s12 * y1) / det
        umax = up.max(1)
        fit = alpha[:, None] * up + beta[:, None] * u2
        sse = (np.where(pre, r - fit, 0.0) ** 2).sum(1) + (np.where(post, r, 0.0) ** 2).sum(1)
        mse = sse / (n_pre + n_post)
        ok = ((n_pre >= APPROACH_MIN_SAMPLES) & (n_post >= 2) & (det > 0)
              & (alpha >= APPROACH_MIN_SPEED) & (alpha + 2 * beta * umax >= 0))
    if not ok.any():
        return float("nan")
    mse = np.where(ok, mse, np.inf)
    return float(grid[int(np.argmin(mse))])


def rise_crossings(t: np.ndarray, h: np.ndarray, starts, stops, fps: float,
                   height: float) -> np.ndarray:
    """Toe-off times (s), one per contact: where the rising foot first crosses ``height`` leg
    lengths above its contact level after the contact middle (linear between frames).

    Args:
        t: (n,) real seconds. h: (n,) the lowest foot point's height in the image (leg
            lengths, up; any offset), low-passed as for :func:`tangent_crossings`.
        starts, stops: (m,) int rough contacts ``[start, stop)`` (frames).
        fps: frame rate. height: leg lengths above the level (> 0).

    Returns:
        (m,) times in seconds; NaN where the foot does not cross within
        :data:`REFINE_WINDOW_S` after the rough contact's end (the caller keeps the rough
        crossing).
    """
    if not (np.isfinite(height) and height > 0):
        raise ValueError(f"height must be a positive number of leg lengths, got {height}")
    a = np.asarray(starts, dtype=np.int64)
    b = np.asarray(stops, dtype=np.int64)
    n = h.size
    out = np.full(a.size, np.nan)
    if a.size == 0:
        return out
    hm, slope, tm, tt, good = _level_lines(t, h, a, b)
    w = max(3, int(round(REFINE_WINDOW_S * fps)))
    for k in np.flatnonzero(good):
        i = np.arange(min((a[k] + b[k]) // 2, n - 2), min(b[k] + w, n - 1))
        if i.size == 0:
            continue
        r0 = h[i] - (hm[k] + slope[k] * (tt[i] - tm[k]) + height)
        r1 = h[i + 1] - (hm[k] + slope[k] * (tt[i + 1] - tm[k]) + height)
        with np.errstate(invalid="ignore"):
            up = np.flatnonzero((r0 < 0) & (r1 >= 0))
        if up.size:
            j = i[up[0]]
            ra, rb = r0[up[0]], r1[up[0]]
            out[k] = t[j] + (t[j + 1] - t[j]) * (-ra) / (rb - ra)
    return out
