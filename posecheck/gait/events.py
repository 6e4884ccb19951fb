"""Gait events (touchdown, toe-off) and step timing from the foot landmarks.

Method (``docs/metrics.md`` §Gait events):

1. Each foot's lowest point per frame is the lower (larger image y) of its heel and toe
   (``foot_index``) landmarks: a sprinter lands on the forefoot, the heel may come down in
   mid-stance, and the toe leaves the ground last.
2. A **ground line** is estimated from the clip, relative to the body, so that a panning,
   tracking or shaking camera does not matter: a rough ground level per frame is a high
   percentile of the feet's lowest points within ±0.25 s (a window that always contains a
   contact at sprint cadences); the foot points found near it give contact intervals, and
   the final ground line interpolates, in time, the median foot height of each contact.
3. Foot height ``h`` = ground line − lowest foot point, in leg lengths (thigh + shank). The
   foot is on the ground while ``h < contact_threshold`` (default 0.04 leg lengths, about
   3.5 cm for a 1.80 m athlete). Runs of contact shorter than 0.03 s are noise; gaps
   shorter than 0.02 s inside a contact are closed.
4. Rough events are where the contact score crosses 1 (linear, sub-frame). Each event is
   then re-timed on feet that are not 10 Hz-filtered (``fast_xy``):

   * clean feet (:func:`foot_noise` below a tenth of the foot's per-frame descent at
     touchdown, i.e. practically exact landmarks): :func:`refine_event`, touchdown = the descending
     foot reaches its contact level, toe-off = the toe leaves it;
   * noisy feet (pose-model output): touchdowns by
     :func:`posecheck.gait.landing.tangent_crossings` (the descending foot crosses
     ``TANGENT_HEIGHT`` above its contact level, or the lower ``TANGENT_HEIGHT_UNSMOOTHED``
     for landmarks without temporal smoothing, extrapolated down to the level along its
     velocity there), re-timed where the final approach is sampled densely enough (240
     fps) by :func:`posecheck.gait.landing.approach_touchdowns` (a hinge fit of the
     decelerating approach); toe-offs keep the rough crossing, or, for landmarks without
     temporal smoothing, where the rising foot crosses ``TOE_OFF_RISE`` above its level.
"""

from __future__ import annotations

import warnings

import numpy as np

from posecheck.signals.filtering import lowpass
from posecheck.signals.outliers import remove_jumps
from posecheck.signals.rolling import rolling_percentile
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent
from posecheck.gait.landing import (
    LANDING_SPEED_LEG, REFINE_WINDOW_S, TANGENT_HEIGHT, TANGENT_HEIGHT_UNSMOOTHED,
    approach_touchdowns, contact_level, rise_crossings, tangent_crossings,
)
from posecheck.gait.speed import local_running_speed_px

SIDES = ("left", "right")
#: Half-width (s) of the window of the rough ground level.
GROUND_WINDOW_S = 0.25
#: Percentile of the feet's lowest points in that window taken as the rough ground level.
GROUND_PERCENTILE = 90.0
MIN_CONTACT_S = 0.03
#: Events are refined on the unfiltered feet (:func:`refine_event`) only if their jitter
#: (per frame) is below this fraction of the foot's descent in one frame at touchdown, i.e.
#: for practically exact landmarks. Pose-model feet (MediaPipe: 1–2.5× the old 1/3 gate,
#: the heavy model's temporally smoothed output even below it) and exact landmarks with
#: 0.5 px of noise were timed better by the noisy-feet path (docs/metrics.md §3).
NOISE_FRACTION = 0.1
#: Low-pass cut-off of the touchdown foot signal as a fraction of the frame rate.
EVENT_CUTOFF_FRACTION = 0.25
MAX_GAP_S = 0.02
#: A foot whose toe moves slower than this fraction of the running speed relative to the
#: ground counts as still (on the ground).
STILL_FRACTION = 0.45
#: Toe-offs of unsmoothed landmarks (:attr:`posecheck.types.PoseSequence.smoothed` False):
#: where the rising foot crosses this height above its contact level (leg lengths,
#: :func:`posecheck.gait.landing.rise_crossings`). The landmark network's toe sits on the ball
#: of the foot, which rises while the toes are still down (docs/metrics.md §8d; chosen on
#: tuning clips: 0.05–0.06 within 0.5 % of events in tolerance).
TOE_OFF_RISE = 0.05
#: Low-pass cut-off (Hz) of the foot height used by the tangent touchdowns (removes the
#: frame-to-frame jitter, keeps the ~50 ms approach; capped at 0.4 × the frame rate).
TANGENT_CUTOFF_HZ = 15.0
#: Foot glitches (:func:`bridge_foot_jumps`): a heel, toe or ankle whose speed changes by
#: more than this many leg lengths per second from one frame to the next (~9 m/s: no foot
#: does that; a landing foot loses ~1–3 m/s) has been lost by the pose model ...
FOOT_JUMP_RATE_LEG = 10.0
#: ... until it is back within this many leg lengths of where it could have got ...
FOOT_JUMP_TOL_LEG = 0.03
#: ... at most this long after (s); longer excursions are left alone.
FOOT_JUMP_MAX_S = 0.05
FOOT_LANDMARKS = tuple(L[f"{s}_{p}"] for s in SIDES for p in ("ankle", "heel", "foot_index"))


def lowest_foot_y(xy: np.ndarray) -> np.ndarray:
    """(n, 2) image y (pixels, down) of each foot's lowest landmark (heel or toe)."""
    out = np.empty((xy.shape[0], 2))
    for j, s in enumerate(SIDES):
        out[:, j] = np.fmax(xy[:, L[f"{s}_heel"], 1], xy[:, L[f"{s}_foot_index"], 1])
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop)) index pairs of the True runs of a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _clean_mask(mask: np.ndarray, min_len: int, max_gap: int) -> np.ndarray:
    m = mask.copy()
    for a, b in _runs(~m):  # close short gaps inside a contact
        if a > 0 and b < m.size and b - a <= max_gap:
            m[a:b] = True
    for a, b in _runs(m):
        if b - a < min_len:
            m[a:b] = False
    return m


def ground_line(foot_y: np.ndarray, times: np.ndarray, leg_px: float,
                threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Estimate the ground line and contact masks.

    Args:
        foot_y: (n, 2) lowest foot point per side (pixels, y down), NaN where missing.
        times: (n,) real seconds. leg_px: leg length in pixels. threshold: contact
            threshold in leg lengths.

    Returns:
        ``(ground_y, contact)``: (n,) ground line in image y (NaN where unknown) and (n, 2)
        bool rough contact masks.
    """
    n = foot_y.shape[0]
    fps = 1.0 / float(np.median(np.diff(times)))
    half = max(2, int(round(GROUND_WINDOW_S * fps)))
    rough = rolling_percentile(foot_y, half, GROUND_PERCENTILE, 4)
    contact = np.zeros((n, 2), dtype=bool)
    with np.errstate(invalid="ignore"):
        for j in range(2):
            contact[:, j] = (rough - foot_y[:, j]) / leg_px < 2.0 * threshold
    # refine: the ground is where the feet are during contacts
    anchors_t, anchors_y = [], []
    for j in range(2):
        runs = np.array(_runs(contact[:, j]), dtype=np.int64).reshape(-1, 2)
        med = _run_medians(foot_y[:, j], runs)
        keep = np.isfinite(med)
        anchors_t.append(0.5 * (times[runs[keep, 0]] + times[runs[keep, 1] - 1]))
        anchors_y.append(med[keep])
    at, ay = np.concatenate(anchors_t), np.concatenate(anchors_y)
    if at.size < 2:
        return rough, contact
    order = np.argsort(at, kind="stable")
    ground = np.interp(times, at[order], ay[order])
    return ground, contact


def _run_medians(y: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """(m,) median of the finite ``y[a:b]`` for each row ``(a, b)`` of ``runs`` (m, 2)
    (NaN for a run without finite samples); as ``np.median``, vectorised over the runs."""
    m = runs.shape[0]
    if m == 0:
        return np.empty(0)
    lens = runs[:, 1] - runs[:, 0]
    idx = runs[:, :1] + np.arange(int(lens.max()))[None, :]
    inside = idx < runs[:, 1:]
    vals = np.where(inside, y[np.minimum(idx, y.size - 1)], np.nan)
    cnt = np.isfinite(vals).sum(axis=1)
    vals = np.sort(np.where(np.isfinite(vals), vals, np.inf), axis=1)  # NaN/padding last
    rows = np.arange(m)
    lo = np.maximum(cnt - 1, 0) // 2
    hi = cnt // 2
    with np.errstate(invalid="ignore"):
        med = 0.5 * (vals[rows, lo] + vals[rows, np.minimum(hi, vals.shape[1] - 1)])
    med[cnt == 0] = np.nan
    return med


def foot_x(xy: np.ndarray) -> np.ndarray:
    """(n, 2) image x of each foot's toe (``foot_index``), the last point on the ground."""
    return np.stack([xy[:, L[f"{s}_foot_index"], 0] for s in SIDES], axis=1)


def bridge_foot_jumps(xy: np.ndarray, times: np.ndarray, leg_px: float) -> np.ndarray:
    """``xy`` (n, 33, 2) with brief foot glitches bridged (x and y of each ankle, heel and
    toe; :func:`posecheck.signals.outliers.remove_jumps` with :data:`FOOT_JUMP_RATE_LEG`,
    :data:`FOOT_JUMP_TOL_LEG` and :data:`FOOT_JUMP_MAX_S` in leg lengths of ``leg_px``).

    At the far foot's touchdown the near leg swings past in front of it, and MediaPipe
    (VIDEO and IMAGE mode alike) loses the far foot for 4–6 frames at 240 fps, placing it up
    to 0.5 leg lengths higher before finding it again on the ground; the descent seen after
    that made far-foot touchdowns 6–9 frames late on a held-out 240 fps render
    (docs/metrics.md §3)."""
    out = np.array(xy, dtype=np.float64, copy=True)
    cols = list(FOOT_LANDMARKS)
    part = out[:, cols, :]
    cleaned, _ = remove_jumps(part, times, FOOT_JUMP_RATE_LEG * leg_px,
                              FOOT_JUMP_TOL_LEG * leg_px, FOOT_JUMP_MAX_S)
    out[:, cols, :] = cleaned
    return out


def detect_events(xy, times, leg_px: float, threshold: float = 0.04,
                  fast_xy=None, visibility=None, background_dy=None, smoothed: bool = True
                  ) -> tuple[tuple[GaitEvent, ...], np.ndarray, np.ndarray]:
    """Touchdowns and toe-offs of both feet.

    A foot is on the ground when it is near the ground line (height < ``threshold`` leg
    lengths) **and** its toe is still relative to the ground (horizontal speed relative to
    the ground below ``STILL_FRACTION`` of the running speed): a sprinter's swing foot can
    skim within a few centimetres of the track for several frames before it lands, but it
    is then moving forward at about the running speed. Brief foot glitches of the pose
    model are bridged first, in ``xy`` and ``fast_xy`` (:func:`bridge_foot_jumps`).

    Args:
        xy: (n, 33, 2) conditioned landmarks (pixels, y down).
        times: (n,) real seconds, strictly increasing.
        leg_px: leg length in pixels (thigh + shank).
        threshold: contact threshold, leg lengths above the ground line.
        fast_xy: (n, 33, 2) the same landmarks with less smoothing (e.g. the kinematics'
            ``xy_events``), used to time each event: on clean feet every event by
            :func:`refine_event`, on noisy feet (pose-model output) the touchdowns by
            :func:`tangent_crossings`, refined where the approach is sampled densely
            enough by :func:`posecheck.gait.landing.approach_touchdowns`. ``None`` = keep
            the rough threshold crossings.
        visibility: optional (n, 33) the pose model's landmark visibility in [0, 1] with the
            leg labels of ``xy`` (swap-repaired): the approach fit is used only where the
            model saw the foot (:data:`posecheck.gait.landing.APPROACH_MIN_VISIBILITY`).
            ``None`` = seen everywhere.
        background_dy: optional (n,) image y displacement (pixels, down) of the static
            background since the first frame (the camera's shake and pan,
            :attr:`posecheck.types.PoseSequence.background`): the feet are measured against
            the world, not the picture (``xy`` and ``fast_xy`` minus it). ``None`` = a
            still camera.
        smoothed: the landmarks went through the landmarker's temporal smoothing
            (:attr:`posecheck.types.PoseSequence.smoothed`): noisy-feet touchdowns are
            timed from :data:`posecheck.gait.landing.TANGENT_HEIGHT` and toe-offs keep the
            rough crossing; else touchdowns from the lower
            :data:`posecheck.gait.landing.TANGENT_HEIGHT_UNSMOOTHED` and toe-offs at a
            :data:`TOE_OFF_RISE` rise (:func:`posecheck.gait.landing.rise_crossings`).

    Returns:
        ``(events, contact, height)``: events sorted by time; (n, 2) bool contact per frame
        [left, right]; (n, 2) foot height above the ground line in leg lengths.
    """
    xy = np.asarray(xy, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    n = xy.shape[0]
    empty = (), np.zeros((n, 2), dtype=bool), np.full((n, 2), np.nan)
    if n < 5 or not (np.isfinite(leg_px) and leg_px > 0):
        return empty
    fps = 1.0 / float(np.median(np.diff(t)))
    if background_dy is not None:   # the picture's shake and pan taken out (world-fixed y)
        dy = np.asarray(background_dy, dtype=np.float64)
        if dy.shape != (n,) or not np.isfinite(dy).all():
            raise ValueError(f"background_dy must be finite with shape {(n,)}, got {dy.shape}")
        xy = _minus_y(xy, dy)
        fast_xy = None if fast_xy is None else _minus_y(np.asarray(fast_xy, np.float64), dy)
    xy = bridge_foot_jumps(xy, t, leg_px)
    foot_y = lowest_foot_y(xy)
    ground, rough = ground_line(foot_y, t, leg_px, threshold)
    height = (ground[:, None] - foot_y) / leg_px
    fast = xy if fast_xy is None else bridge_foot_jumps(fast_xy, t, leg_px)
    # samples of the lowest foot point that the bridging replaced: missing for the
    # approach fit (a straight line drawn over a pose-model glitch is no foot path)
    foot_vis = None
    if visibility is not None:   # the pose model's score of each foot: min of heel and toe
        vis = np.asarray(visibility, dtype=np.float64)
        foot_vis = np.stack([np.fmin(vis[:, L[f"{s}_heel"]], vis[:, L[f"{s}_foot_index"]])
                             for s in SIDES], axis=1)
    bridged = np.zeros((n, 2), dtype=bool)
    if fast_xy is not None:
        y0, y1 = lowest_foot_y(np.asarray(fast_xy, dtype=np.float64)), lowest_foot_y(fast)
        bridged = ~((y0 == y1) | (np.isnan(y0) & np.isnan(y1)))
    # height in the image (leg lengths, up): the re-timing fits its own contact level per
    # contact, so the ground line (piecewise linear, with knots mid-contact) is not needed.
    # Clean feet: toe-offs on the unfiltered feet (the toe leaves with a sharp upward
    # acceleration that any low-pass smears backwards), touchdowns low-passed at fps/4 (the
    # smoothing spans the same number of frames at any rate). Noisy feet: touchdowns on the
    # feet low-passed at TANGENT_CUTOFF_HZ; toe-offs keep the rough crossing (the 10 Hz
    # crossing at 0.04 leg lengths beat every re-timing of the pose model's toe lift, which
    # on the far foot starts 1–2 frames early and rises too slowly; docs/metrics.md §3).
    h_raw = -lowest_foot_y(fast) / leg_px
    h_td = h_raw
    clean = fast_xy is not None and foot_noise(h_raw, rough) < NOISE_FRACTION * LANDING_SPEED_LEG / fps
    tangent = fast_xy is not None and not clean
    tangent_height = TANGENT_HEIGHT if smoothed else TANGENT_HEIGHT_UNSMOOTHED
    if clean or tangent:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cut = EVENT_CUTOFF_FRACTION * fps if clean else min(TANGENT_CUTOFF_HZ, 0.4 * fps)
            h_td = lowpass(h_raw, t, cut)
    toe_x = foot_x(xy)
    hip_x = 0.5 * (xy[:, L["left_hip"], 0] + xy[:, L["right_hip"], 0])
    v_run = local_running_speed_px(toe_x, hip_x, t, rough)
    v_run[~(np.isfinite(v_run) & (v_run != 0))] = np.inf
    v_ground = np.gradient(hip_x, t) - v_run  # image velocity of the ground under the hip
    v_run = np.abs(v_run)[:, None]
    # with an unknown running speed (v_run = inf) this is NaN, and fmax below ignores it
    with np.errstate(invalid="ignore"):
        rel_speed = np.abs(np.stack([np.gradient(toe_x[:, j], t) for j in range(2)], axis=1)
                           - v_ground[:, None]) / (STILL_FRACTION * v_run)
    # contact score: < 1 on the ground
    score = np.fmax(height / threshold, rel_speed)
    # at 25–33 fps one frame spans MIN_CONTACT_S: a sprinter's 0.08–0.1 s contact is 2–3
    # frames, and the pose model's far foot often rises a frame early, leaving one
    # (docs/metrics.md §3, "Short contacts at 25 fps")
    min_len = max(1, int(round(MIN_CONTACT_S * fps)))
    max_gap = max(1, int(round(MAX_GAP_S * fps)))
    contact = np.zeros((n, 2), dtype=bool)
    events: list[GaitEvent] = []
    with np.errstate(invalid="ignore"):
        for j, side in enumerate(SIDES):
            s = score[:, j]
            m = _clean_mask(s < 1.0, min_len, max_gap)
            contact[:, j] = m
            runs = _runs(m)
            if tangent and runs:
                ab = np.array(runs, dtype=np.int64).reshape(-1, 2)
                t_td, t_late = tangent_crossings(t, h_td[:, j], np.maximum(ab[:, 0], 1),
                                                 ab[:, 1], fps, tangent_height)
                seen = None if foot_vis is None else foot_vis[:, j]
                t_ap = approach_touchdowns(t, h_raw[:, j], ab[:, 0], ab[:, 1], t_td, fps,
                                           replaced=bridged[:, j], latest=t_late, visibility=seen)
                t_td = np.where(np.isfinite(t_ap), t_ap, t_td)
                t_to = (np.full(len(runs), np.nan) if smoothed else
                        rise_crossings(t, h_td[:, j], ab[:, 0], ab[:, 1], fps, TOE_OFF_RISE))
            for k, (a, b) in enumerate(runs):
                if a > 0 and np.isfinite(s[a - 1]) and np.isfinite(s[a]):
                    ev = _event(side, "touchdown", t, s, a - 1, a)
                    if clean:
                        ev = refine_event(ev, t, h_td[:, j], a, b, fps)
                    elif tangent and np.isfinite(t_td[k]):
                        ev = _at(ev, t, float(t_td[k]))
                    events.append(ev)
                if b < n and np.isfinite(s[b - 1]) and np.isfinite(s[b]):
                    ev = _event(side, "toe_off", t, s, b - 1, b)
                    if clean:
                        ev = refine_event(ev, t, h_raw[:, j], a, b, fps)
                    elif tangent and np.isfinite(t_to[k]):
                        ev = _at(ev, t, float(t_to[k]))
                    events.append(ev)
    events.sort(key=lambda e: e.time_s)
    return tuple(events), contact, height


def _minus_y(xy: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """A copy of (n, k, 2) ``xy`` with (n,) ``dy`` subtracted from every y."""
    out = np.array(xy, dtype=np.float64, copy=True)
    out[..., 1] -= dy[:, None]
    return out


def _at(ev: GaitEvent, t: np.ndarray, time: float) -> GaitEvent:
    """``ev`` moved to ``time`` (s); ``frame`` = the first frame at or after it."""
    return GaitEvent(side=ev.side, kind=ev.kind, time_s=time,
                     frame=int(np.searchsorted(t, time - 1e-9)))


def _event(side: str, kind: str, t: np.ndarray, s: np.ndarray, i0: int, i1: int) -> GaitEvent:
    """Event between frames i0 < i1 where the contact score s crosses 1 (linear)."""
    s0, s1 = s[i0], s[i1]
    u = (s0 - 1.0) / (s0 - s1) if s0 != s1 else 0.5
    u = min(max(u, 0.0), 1.0)
    time = float(t[i0] + u * (t[i1] - t[i0]))
    frame = int(np.searchsorted(t, time - 1e-9))
    return GaitEvent(side=side, kind=kind, time_s=time, frame=frame)


#: Smallest height above the contact level (leg lengths) that counts as "off the ground"
#: in the refinement; the noise of the foot height in contact raises it (see
#: :func:`refine_event`).
MIN_LIFT = 0.004


def foot_noise(h: np.ndarray, contact: np.ndarray) -> float:
    """Frame-to-frame noise (leg lengths, robust SD) of the foot heights ``h`` (n, 2) in
    the (rough) contact frames ``contact`` (n, 2): the median absolute second difference
    × 1.4826 / √6 (white noise of SD σ has second differences of SD √6 σ). NaN-safe;
    ``inf`` without enough samples."""
    d2 = []
    for j in range(2):
        x = h[:, j]
        m = contact[:, j]
        dd = x[2:] - 2 * x[1:-1] + x[:-2]
        dd = dd[m[2:] & m[1:-1] & m[:-2] & np.isfinite(dd)]
        d2.append(dd)
    d = np.concatenate(d2)
    if d.size < 5:
        return float("inf")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(6.0))


def _root_after(tq: np.ndarray, rq: np.ndarray, lo: float, hi: float, forward: bool) -> float:
    """Time in [lo, hi] where the curve through samples (tq, rq) (heights above the contact
    level, > 0) reaches 0: the quadratic through the three samples nearest the gap if it
    crosses there with the right slope, else the line through the two nearest (clipped)."""
    order = np.argsort(tq)
    tq, rq = tq[order], rq[order]
    near = -1 if forward else 0            # sample closest to the contact
    if tq.size >= 3:
        sel = slice(-3, None) if forward else slice(0, 3)
        x0 = tq[near]
        c2, c1, c0 = np.polyfit(tq[sel] - x0, rq[sel], 2)
        roots = np.roots([c2, c1, c0]) if c2 != 0 else np.array([-c0 / c1]) if c1 else np.array([])
        roots = roots[np.isreal(roots)].real + x0
        slope = 2 * c2 * (roots - x0) + c1
        ok = (roots >= lo - 1e-12) & (roots <= hi + 1e-12) & ((slope < 0) if forward else (slope > 0))
        if ok.any():
            return float(roots[ok][np.argmin(np.abs(roots[ok] - tq[near]))])
    if tq.size >= 2:
        sel = slice(-2, None) if forward else slice(0, 2)
        (t1, t2), (r1, r2) = tq[sel], rq[sel]
        if r1 != r2:
            x = t1 + (0.0 - r1) * (t2 - t1) / (r2 - r1)
            return float(min(max(x, lo), hi))
    return float(lo if not forward else hi)


def refine_event(ev: GaitEvent, t: np.ndarray, h: np.ndarray, a: int, b: int,
                 fps: float) -> GaitEvent:
    """Time a rough event on a less-smoothed foot height.

    ``h`` (n,) is the lowest foot point's height in the image (leg lengths, up; any offset)
    from lightly filtered landmarks; ``[a, b)`` is the rough contact (frames). The contact level
    ``c(t)`` is the line fitted to ``h`` over the middle half of the contact (a pinned toe
    drifts in the image of a panning camera, up to ~0.5 leg lengths/s on the synthetic
    clips, so the level is not a constant), ``eps`` the larger of :data:`MIN_LIFT` and 3×
    the robust deviation of ``h`` about it. A touchdown is the
    instant the descending foot reaches ``c``: the first frame at most ``eps`` above ``c`` 
    ends the descent, and the time is extrapolated forward from the frames before it (the
    quadratic through the last three if it crosses in that frame interval while still
    descending, else the line through the last two). A toe-off is the mirror image: the
    last frame on the level, extrapolated backward from the first airborne frames. Falls
    back to ``ev`` (the threshold crossing) if there are not enough finite samples.
    """
    n = h.shape[0]
    level = contact_level(t, h, a, b)
    if level is None:
        return ev
    t_ref, c0, slope = level
    q = max(1, (b - a) // 4)
    sl = slice(a + q, b - q) if b - a >= 4 else slice(a, b)
    tm, hm = t[sl], h[sl]
    ok = np.isfinite(hm)
    tm, hm = tm[ok], hm[ok]
    res = hm - (c0 + slope * (tm - t_ref))
    eps = max(MIN_LIFT, 3.0 * 1.4826 * float(np.median(np.abs(res - np.median(res)))))
    r = h - (c0 + slope * (t - t_ref))
    w = max(3, int(round(REFINE_WINDOW_S * fps)))
    centre = (a + b) // 2
    if ev.kind == "touchdown":
        idx = np.arange(max(1, a - w), min(centre, n))
        on = idx[np.isfinite(r[idx]) & (r[idx] <= eps)]
        if on.size == 0:
            return ev
        i = int(on[0])
        pre = np.arange(max(0, i - 3), i)
        pre = pre[np.isfinite(r[pre]) & (r[pre] > eps)]
        if pre.size == 0 or pre[-1] != i - 1:
            return ev
        time = _root_after(t[pre], r[pre], float(t[i - 1]), float(t[i]), forward=True)
    else:
        idx = np.arange(max(centre, 0), min(b + w, n - 1))
        on = idx[np.isfinite(r[idx]) & (r[idx] <= eps)]
        if on.size == 0:
            return ev
        i = int(on[-1])
        post = np.arange(i + 1, min(n, i + 4))
        post = post[np.isfinite(r[post]) & (r[post] > eps)]
        if post.size == 0 or post[0] != i + 1:
            return ev
        time = _root_after(t[post], r[post], float(t[i]), float(t[i + 1]), forward=False)
    frame = int(np.searchsorted(t, time - 1e-9))
    return GaitEvent(side=ev.side, kind=ev.kind, time_s=time, frame=frame)


MIN_TIMING_FPS = 59.0  #: 59.94 fps phone clips count as 60


def warn_low_fps(fps: float) -> str | None:
    """A warning when the frame rate is too low to time sprint contacts (~0.09–0.12 s).

    At 60 fps a contact spans 5–7 frames, the minimum the event detection is specified for
    (±1 frame = ±17 ms); below that, contact and flight times are rough.
    """
    if fps < MIN_TIMING_FPS:
        return (f"the clip has {fps:.0f} frames per real second: a sprint contact (about 0.1 s) "
                f"spans only {0.1 * fps:.0f} frames, so contact and flight times are rough "
                f"(±{1000 / fps:.0f} ms); film at 60 fps or more (120–240 fps is better)")
    return None
