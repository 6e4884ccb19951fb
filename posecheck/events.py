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
4. Touchdown and toe-off times are interpolated linearly between the two frames around the
   threshold crossing (sub-frame), then shifted to where the line through those two
   samples reaches the contact level (``h`` = median in contact), so the threshold does
   not bias the timing.
"""

from __future__ import annotations

import numpy as np

from posecheck import _kernels
from posecheck.types import LANDMARK_INDEX as L
from posecheck.types import GaitEvent

SIDES = ("left", "right")
#: Half-width (s) of the window of the rough ground level.
GROUND_WINDOW_S = 0.25
#: Percentile of the feet's lowest points in that window taken as the rough ground level.
GROUND_PERCENTILE = 90.0
MIN_CONTACT_S = 0.03
MAX_GAP_S = 0.02
#: A foot whose toe moves slower than this fraction of the running speed relative to the
#: ground counts as still (on the ground).
STILL_FRACTION = 0.45


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
    rough = np.empty(n)
    _kernels._rolling_percentile(np.ascontiguousarray(foot_y, dtype=np.float64), half,
                                 GROUND_PERCENTILE, 4, rough)
    contact = np.zeros((n, 2), dtype=bool)
    with np.errstate(invalid="ignore"):
        for j in range(2):
            contact[:, j] = (rough - foot_y[:, j]) / leg_px < 2.0 * threshold
    # refine: the ground is where the feet are during contacts
    anchors_t, anchors_y = [], []
    for j in range(2):
        for a, b in _runs(contact[:, j]):
            y = foot_y[a:b, j]
            y = y[np.isfinite(y)]
            if y.size:
                anchors_t.append(0.5 * (times[a] + times[b - 1]))
                anchors_y.append(float(np.median(y)))
    if len(anchors_t) < 2:
        return rough, contact
    order = np.argsort(anchors_t)
    ground = np.interp(times, np.asarray(anchors_t)[order], np.asarray(anchors_y)[order])
    return ground, contact


def foot_x(xy: np.ndarray) -> np.ndarray:
    """(n, 2) image x of each foot's toe (``foot_index``), the last point on the ground."""
    return np.stack([xy[:, L[f"{s}_foot_index"], 0] for s in SIDES], axis=1)


def running_speed_px(toe_x: np.ndarray, hip_x: np.ndarray, times: np.ndarray,
                     low: np.ndarray) -> float:
    """Running speed in image pixels per second, signed like the running direction.

    In contact the toe is still in the world, so hip velocity − toe velocity is the running
    speed whatever the camera does. Frames where a foot is near the ground (``low``, (n, 2)
    bool) also include a swing foot skimming the track (slower relative to the hip), so the
    speed is the median of the upper half of |hip − toe| velocities over those frames.
    """
    vh = np.gradient(hip_x, times)
    r = np.concatenate([(vh - np.gradient(toe_x[:, j], times))[low[:, j]] for j in range(2)])
    r = r[np.isfinite(r)]
    if r.size < 2:
        return float("nan")
    sign = 1.0 if np.median(r) >= 0 else -1.0
    mag = np.sort(np.abs(r))
    return sign * float(np.median(mag[mag.size // 2:]))


def detect_events(xy, times, leg_px: float, threshold: float = 0.04) -> tuple[
        tuple[GaitEvent, ...], np.ndarray, np.ndarray]:
    """Touchdowns and toe-offs of both feet.

    A foot is on the ground when it is near the ground line (height < ``threshold`` leg
    lengths) **and** its toe is still relative to the ground (horizontal speed relative to
    the ground below ``STILL_FRACTION`` of the running speed): a sprinter's swing foot can
    skim within a few centimetres of the track for several frames before it lands, but it
    is then moving forward at about the running speed.

    Args:
        xy: (n, 33, 2) conditioned landmarks (pixels, y down).
        times: (n,) real seconds, strictly increasing.
        leg_px: leg length in pixels (thigh + shank).
        threshold: contact threshold, leg lengths above the ground line.

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
    foot_y = lowest_foot_y(xy)
    ground, rough = ground_line(foot_y, t, leg_px, threshold)
    height = (ground[:, None] - foot_y) / leg_px
    toe_x = foot_x(xy)
    hip_x = 0.5 * (xy[:, L["left_hip"], 0] + xy[:, L["right_hip"], 0])
    v_run = running_speed_px(toe_x, hip_x, t, rough)
    if not (np.isfinite(v_run) and v_run != 0):
        v_run = np.inf
    v_ground = np.gradient(hip_x, t) - v_run  # image velocity of the ground under the hip
    v_run = abs(v_run)
    rel_speed = np.abs(np.stack([np.gradient(toe_x[:, j], t) for j in range(2)], axis=1)
                       - v_ground[:, None]) / (STILL_FRACTION * v_run)
    # contact score: < 1 on the ground
    score = np.fmax(height / threshold, rel_speed)
    min_len = max(2, int(round(MIN_CONTACT_S * fps)))
    max_gap = max(1, int(round(MAX_GAP_S * fps)))
    contact = np.zeros((n, 2), dtype=bool)
    events: list[GaitEvent] = []
    with np.errstate(invalid="ignore"):
        for j, side in enumerate(SIDES):
            s = score[:, j]
            m = _clean_mask(s < 1.0, min_len, max_gap)
            contact[:, j] = m
            for a, b in _runs(m):
                if a > 0 and np.isfinite(s[a - 1]) and np.isfinite(s[a]):
                    events.append(_event(side, "touchdown", t, s, a - 1, a))
                if b < n and np.isfinite(s[b - 1]) and np.isfinite(s[b]):
                    events.append(_event(side, "toe_off", t, s, b - 1, b))
    events.sort(key=lambda e: e.time_s)
    return tuple(events), contact, height


def _event(side: str, kind: str, t: np.ndarray, s: np.ndarray, i0: int, i1: int) -> GaitEvent:
    """Event between frames i0 < i1 where the contact score s crosses 1 (linear)."""
    s0, s1 = s[i0], s[i1]
    u = (s0 - 1.0) / (s0 - s1) if s0 != s1 else 0.5
    u = min(max(u, 0.0), 1.0)
    time = float(t[i0] + u * (t[i1] - t[i0]))
    frame = int(np.searchsorted(t, time - 1e-9))
    return GaitEvent(side=side, kind=kind, time_s=time, frame=frame)


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
