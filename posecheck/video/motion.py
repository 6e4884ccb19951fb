"""Camera motion: how the static background moves in the image from one frame to the next.

A phone held by hand shakes, and a coach in the stands pans to follow the athlete. Both move
the whole picture: on a clip with 1° of hand-held shake (RMS), the track under a runner
filmed from 14 m bobs ±50 px in a 540 px frame, while a foot on the ground sits still on the
track. Timing touchdowns against a ground line drawn through the feet, as
:mod:`posecheck.gait.events` does, then fails: on such a render only 22 % of the events
were found within a frame (``docs/metrics.md`` §3, "Camera shake").

:class:`BackgroundMotion` measures, for every frame, the image displacement of the
background since the frame before it, in pixels (x right, y down):

* the frame is reduced to a small grey image (:data:`WORK_WIDTH` px wide; the green channel
  of every other pixel, block-averaged, close to the luma);
* corners (Shi–Tomasi, ``cv2.goodFeaturesToTrack``) are found outside the people's boxes
  and followed into the next frame by pyramidal Lucas–Kanade optical flow; points that land
  in a person's box in the new frame are dropped (a runner moves against the background);
* the displacement is the median of the points' displacements (robust to the few on
  moving things: another runner, a flag), once points further than
  :data:`OUTLIER_PX` work pixels from it are dropped;
* the points found are followed on to the next frame, and corners are searched again when
  fewer than :data:`MIN_POINTS` remain.

For a camera that only turns (a phone panned or shaken in the hand), every static point
moves alike, whatever its distance. A camera carried along the track sees near things move
faster than far ones; the median then follows the larger background area, which is the
stands as often as the track, so only the vertical part (``dy``, the camera's height and
pitch barely change) is used downstream. A frame without enough texture outside the people
gives NaN (unknown), and so does the first frame. At high frame rates the pose pass measures
every k-th frame only (:class:`posecheck.pose.motion_hook.MotionHook`, at ~30 Hz; a hand's
shake is mostly slower than ~3 Hz) and :func:`accumulate` interpolates the frames in between.

Cost: about 1 ms a measured 720p frame on one core (a few percent of the pose model's).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

#: width (px) of the grey image the motion is measured on (smaller frames: their own width)
WORK_WIDTH = 320
#: corners searched per frame and the fewest followed points before searching again
MAX_POINTS = 50
MIN_POINTS = 25
#: the fewest points whose median counts as a measurement
MIN_MEASURED = 8
#: a point whose displacement is further than this from the median (work px) is not
#: background (another moving thing or a lost track)
OUTLIER_PX = 1.5
#: margin around a person's box kept free of points, as a fraction of the box height
BOX_MARGIN = 0.1
_LK = dict(winSize=(11, 11), maxLevel=3,
           criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03))


def work_image(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """``(grey, scale)``: the (h, w) uint8 grey image of an (H, W, 3) uint8 RGB frame the
    motion is measured on, and its scale (work pixels per frame pixel)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB frame, got shape {rgb.shape}")
    big = rgb.shape[1] >= 2 * WORK_WIDTH
    green = np.ascontiguousarray(rgb[::2, ::2, 1] if big else rgb[:, :, 1])
    h, w = green.shape
    step = 2.0 if big else 1.0
    if w > WORK_WIDTH:
        scale = WORK_WIDTH / w
        green = cv2.resize(green, (WORK_WIDTH, max(1, int(round(h * scale)))),
                           interpolation=cv2.INTER_AREA)
        return green, scale / step
    return green, 1.0 / step


def _free_mask(shape: tuple[int, int], boxes: Iterable, scale: float) -> np.ndarray:
    """uint8 mask of ``shape``: 255 outside every box (x0, y0, x1, y1 frame px, widened by
    :data:`BOX_MARGIN` of its height), 0 inside."""
    mask = np.full(shape, 255, np.uint8)
    h, w = shape
    for x0, y0, x1, y1 in boxes:
        if not np.isfinite([x0, y0, x1, y1]).all():
            continue
        m = BOX_MARGIN * (y1 - y0)
        a, b = max(0, int((x0 - m) * scale)), min(w, int(np.ceil((x1 + m) * scale)) + 1)
        c, d = max(0, int((y0 - m) * scale)), min(h, int(np.ceil((y1 + m) * scale)) + 1)
        if a < b and c < d:
            mask[c:d, a:b] = 0
    return mask


def _blocked(pts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(m,) bool: the (m, 2) work-pixel points fall outside the image or on a 0 of mask."""
    h, w = mask.shape
    xi, yi = np.round(pts[:, 0]).astype(np.int64), np.round(pts[:, 1]).astype(np.int64)
    out = (xi < 0) | (yi < 0) | (xi >= w) | (yi >= h)
    hit = np.zeros(len(pts), bool)
    ok = ~out
    hit[ok] = mask[yi[ok], xi[ok]] == 0
    return out | hit


class BackgroundMotion:
    """Measures the background's image motion frame by frame (see the module docstring).

    Call :meth:`update` once per frame, in order, with the people's boxes in that frame;
    :attr:`steps` then holds one ``(dx, dy)`` per frame (frame pixels, x right, y down, the
    displacement since the previous frame; NaN for the first frame and where unmeasured).
    """

    def __init__(self) -> None:
        self.steps: list[tuple[float, float]] = []
        self._grey: np.ndarray | None = None
        self._pts: np.ndarray | None = None   # (m, 1, 2) float32 points in the last frame

    def update(self, rgb: np.ndarray, boxes: Iterable = ()) -> tuple[float, float]:
        """Measure the motion from the previous frame to ``rgb`` (H, W, 3) uint8; ``boxes``:
        (x0, y0, x1, y1) frame pixels of the people in it. Returns and records ``(dx, dy)``."""
        grey, scale = work_image(rgb)
        free = _free_mask(grey.shape, list(boxes), scale)
        step = (np.nan, np.nan)
        prev, pts = self._grey, self._pts
        same_size = prev is not None and prev.shape == grey.shape
        if same_size and pts is not None and len(pts):
            nxt, status, _err = cv2.calcOpticalFlowPyrLK(prev, grey, pts, None, **_LK)
            ok = status[:, 0] == 1
            a, b = pts[ok, 0].astype(np.float64), nxt[ok, 0].astype(np.float64)
            keep = ~_blocked(b, free)
            a, b = a[keep], b[keep]
            d = b - a
            if len(d) >= MIN_MEASURED:
                med = np.median(d, axis=0)
                near = np.all(np.abs(d - med) <= OUTLIER_PX, axis=1)
                if near.sum() >= MIN_MEASURED:
                    med = np.median(d[near], axis=0)
                    step = (float(med[0] / scale), float(med[1] / scale))
                    b = b[near]
            pts = b.astype(np.float32).reshape(-1, 1, 2)
        if pts is None or len(pts) < MIN_POINTS or not same_size:
            found = cv2.goodFeaturesToTrack(grey, MAX_POINTS, 0.01, 6, mask=free)
            pts = np.zeros((0, 1, 2), np.float32) if found is None else found.astype(np.float32)
        self._grey, self._pts = grey, pts
        self.steps.append(step)
        return step


def accumulate(steps: np.ndarray) -> np.ndarray:
    """(n, 2) background displacement since the first frame (px) from (n, 2) per-frame
    ``steps``: a finite step is the displacement since the previous frame with a finite
    step (:attr:`BackgroundMotion.steps` measured on every frame, or on every k-th frame as
    :class:`posecheck.pose.motion_hook.MotionHook` does at high frame rates); frames without
    one are interpolated linearly in between (and held after the last). A step that could
    not be measured thus counts as no motion."""
    s = np.asarray(steps, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != 2:
        raise ValueError(f"expected (n, 2) steps, got shape {s.shape}")
    n = s.shape[0]
    if n == 0:
        return np.zeros((0, 2))
    known = np.isfinite(s).all(axis=1)
    known[0] = True                       # the origin
    at = np.cumsum(np.where(known[:, None] & np.isfinite(s), s, 0.0), axis=0)[known]
    idx = np.flatnonzero(known)
    frames = np.arange(n)
    return np.column_stack([np.interp(frames, idx, at[:, j]) for j in range(2)])
