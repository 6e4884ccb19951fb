"""Cheap parts of following people: reused landmarkers and a box follower without a pose model.

Two costs of :class:`posecheck.pose.tracking.AthleteTracker` that do not depend on the
pose model's work per frame:

* **Creating a landmarker** costs ~0.1 s (MediaPipe builds its graph and the model's
  interpreter), as much as six landmark calls. Tracks drop their landmarker often on race
  footage (a result off the track, a more complete first pose, a track turning light), so
  :class:`LandmarkerPool` keeps dropped VIDEO landmarkers and hands them out again. A
  reused one first sees a small blank image (:data:`BLANK_SIDE` px): it finds nobody
  there, so it forgets the pose it was tracking (and MediaPipe resets its landmark
  smoothing on an empty result) and runs its person detector on the next real frame,
  exactly as a new landmarker would. The chunks of a run share one pool, and a tracker
  gives its whole-frame *scout* back as soon as someone is tracked (it used to keep it to
  the end: two idle landmarkers of a 2-chunk race run).
* **One IMAGE-mode landmarker per run**: the whole-image landmarker (people search, first
  pose checks, looks at light tracks) keeps no state between calls, so the chunks of
  :mod:`posecheck.pose.parallel` share one :class:`SharedLandmarker` (one call at a time)
  instead of building one each: one landmarker (~0.1 s, ~55 MB) fewer per extra chunk.
* **Following people who are not the athlete** (light tracks, :mod:`posecheck.pose.budget`)
  between the pose model's occasional looks: :class:`BoxFollower` matches a grey template
  of the person's box from the last frame against a window around the predicted position
  on a downscaled grey frame (OpenCV ``matchTemplate``, normalised cross-correlation,
  sub-pixel peak), ~0.6 ms per frame plus ~0.6 ms per person at 720p. It gives a centre
  in full-frame pixels or ``None`` when the match is poor (then the track's motion model
  carries on). Off by default (:data:`posecheck.pose.budget.FOLLOW_LIGHT`): keeping the
  others alive measured worse for the athlete's choice on the race (docs/speed.md).

Nothing here imports mediapipe; the landmarkers come from factories.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

BLANK_SIDE = 64          #: side (px) of the blank image that makes a reused landmarker forget
KEEP_SPARE = 1           #: at most this many dropped landmarkers are kept for reuse (~55 MB each)
FOLLOW_SIDE = 640        #: the follower's grey frame is scaled to this long side (px) ...
FOLLOW_MIN_PX = 12       #: ... a template is at least this tall there (else: no match)
SEARCH = 0.6             #: search window = the box plus this x its size on every side
MIN_SCORE = 0.5          #: matches scoring below this (normalised cross-correlation) fail


class LandmarkerPool:
    """VIDEO-mode landmarkers handed out and taken back (see the module docstring).

    Args:
        factory: () -> object with ``detect(rgb, ms) -> list`` and ``close()``.
        keep: at most this many spare landmarkers are kept; more are closed (default:
            :data:`KEEP_SPARE`, read when the pool is made).

    Thread-safe: the chunks of :mod:`posecheck.pose.parallel` share one pool (one spare
    per run instead of one per chunk, ~55 MB each). Their clocks differ (each chunk feeds
    its own frames' times), so a landmarker last fed at a later time than the frame about
    to be fed comes back :class:`Shifted`: its user's timestamps are moved up by a constant,
    so they keep increasing for the landmarker and keep their spacing (MediaPipe smooths
    landmarks over time). Within one stream nothing is shifted.
    """

    def __init__(self, factory: Callable[[], object], keep: int | None = None):
        self._factory, self._keep = factory, max(0, int(KEEP_SPARE if keep is None else keep))
        self._spare: list[tuple[object, int]] = []
        self._lock = threading.Lock()
        self._blank = np.zeros((BLANK_SIDE, BLANK_SIDE, 3), np.uint8)
        self.created = self.reused = 0

    def take(self, ms: int) -> tuple[object, int]:
        """A landmarker that tracks nobody, and the last timestamp (ms) it was fed (-1 for a
        new one): feed it timestamps above that. ``ms``: the frame about to be fed."""
        while True:
            with self._lock:
                if not self._spare:
                    self.created += 1
                    break
                lm, last = self._spare.pop()
            blank_ms = max(last + 1, ms - 1)
            if not lm.detect(self._blank, blank_ms):  # nobody there: the next call detects afresh
                with self._lock:
                    self.reused += 1
                shift = max(0, blank_ms + 1 - ms)
                return (Shifted(lm, shift) if shift else lm), blank_ms - shift
            lm.close()  # it still "sees" its old pose on the blank frame: not reset, build anew
        return self._factory(), -1

    def give(self, lm: object, last_ms: int) -> None:
        """Take back ``lm`` (last fed at ``last_ms``, the user's clock); closed if enough
        are spare."""
        if isinstance(lm, Shifted):
            lm, last_ms = lm.landmarker, int(last_ms) + lm.shift
        with self._lock:
            if len(self._spare) < self._keep:
                self._spare.append((lm, int(last_ms)))
                return
        lm.close()

    def close(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, []
        for lm, _ms in spare:
            lm.close()


class Shifted:
    """A landmarker of a :class:`LandmarkerPool` fed ``ms + shift`` for ``ms`` (its last
    user ran on a later clock, see :class:`LandmarkerPool`)."""

    def __init__(self, landmarker: object, shift: int):
        self.landmarker, self.shift = landmarker, int(shift)

    def detect(self, rgb: np.ndarray, ms: int) -> list:
        return self.landmarker.detect(rgb, ms + self.shift)

    def close(self) -> None:
        self.landmarker.close()


class SharedLandmarker:
    """One IMAGE-mode landmarker shared by threads (see the module docstring).

    Args:
        factory: () -> object with ``detect(rgb, ms) -> list`` and ``close()``; called once,
            on the first :meth:`detect`.

    The object is its own factory (``shared()`` returns it), so it can stand where an
    :class:`posecheck.pose.tracking.AthleteTracker` expects a factory of IMAGE landmarkers;
    the tracker's ``close()`` of it does nothing, :meth:`shutdown` closes the landmarker.
    ``calls`` counts the detections.
    """

    def __init__(self, factory: Callable[[], object]):
        self._factory, self._lm, self._lock = factory, None, threading.Lock()
        self.calls = 0

    def __call__(self) -> "SharedLandmarker":
        return self

    def detect(self, rgb: np.ndarray, ms: int) -> list:
        with self._lock:
            if self._lm is None:
                self._lm = self._factory()
            self.calls += 1
            return self._lm.detect(rgb, ms)

    def close(self) -> None:
        """A user is done with it: nothing to do (the owner calls :meth:`shutdown`)."""

    def shutdown(self) -> None:
        with self._lock:
            if self._lm is not None:
                self._lm.close()
                self._lm = None

class BoxFollower:
    """Follows boxes (people) from frame to frame on a small grey copy of each frame.

    Call :meth:`frame` once per frame (before :meth:`follow`); :meth:`follow` then moves a
    box from the previous frame to this one. Coordinates are full-frame pixels of a
    ``frame_size`` = (width, height) frame."""

    def __init__(self, frame_size: tuple[int, int], side: int = FOLLOW_SIDE):
        w, h = frame_size
        self.scale = min(1.0, side / max(w, h, 1))
        self.size = (max(1, int(round(w * self.scale))), max(1, int(round(h * self.scale))))
        self.prev: np.ndarray | None = None
        self.cur: np.ndarray | None = None

    def frame(self, rgb: np.ndarray) -> None:
        """The next frame ((H, W, 3) uint8 RGB at the full frame size)."""
        small = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        self.prev, self.cur = self.cur, cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)

    def follow(self, center: np.ndarray, height: float, shift: np.ndarray | None = None
               ) -> np.ndarray | None:
        """Where the person whose box was centred on ``center`` ((2,) px), ``height`` px
        tall (width 0.5 x height) on the previous frame is on this one: the box centre,
        (2,) full-frame px; ``shift`` ((2,) px) = the expected motion (the search window is
        centred on ``center + shift``). ``None`` when there is no previous frame, the box
        is too small or leaves the frame, or the best match scores below
        :data:`MIN_SCORE`."""
        if self.prev is None or self.cur is None:
            return None
        s = self.scale
        th = height * s
        if th < FOLLOW_MIN_PX:
            return None
        tw = max(4.0, 0.5 * th)
        cx, cy = center[0] * s, center[1] * s
        gw, gh = self.size
        x0, y0 = int(round(cx - tw / 2)), int(round(cy - th / 2))
        x1, y1 = x0 + int(round(tw)), y0 + int(round(th))
        if x0 < 0 or y0 < 0 or x1 > gw or y1 > gh:
            return None
        tmpl = self.prev[y0:y1, x0:x1]
        if float(tmpl.std()) < 2.0:
            return None  # flat: nothing to match
        dx, dy = (np.zeros(2) if shift is None else np.asarray(shift, float) * s)
        pad_x, pad_y = SEARCH * max(tw, th), SEARCH * th
        sx0 = int(max(0, round(x0 + dx - pad_x)))
        sy0 = int(max(0, round(y0 + dy - pad_y)))
        sx1 = int(min(gw, round(x1 + dx + pad_x)))
        sy1 = int(min(gh, round(y1 + dy + pad_y)))
        if sx1 - sx0 < tmpl.shape[1] or sy1 - sy0 < tmpl.shape[0]:
            return None
        res = cv2.matchTemplate(self.cur[sy0:sy1, sx0:sx1], tmpl, cv2.TM_CCOEFF_NORMED)
        _mn, best, _lmn, (bx, by) = cv2.minMaxLoc(res)
        if not np.isfinite(best) or best < MIN_SCORE:
            return None
        # the box moved by the template's displacement (sub-pixel: a parabola through the
        # peak and its neighbours), so rounding to grey pixels does not add up over frames
        ddx = sx0 + bx - x0 + _peak_offset(res[by, max(bx - 1, 0):bx + 2], bx)
        ddy = sy0 + by - y0 + _peak_offset(res[max(by - 1, 0):by + 2, bx], by)
        return np.array([(cx + ddx) / s, (cy + ddy) / s])


def _peak_offset(v: np.ndarray, i: int) -> float:
    """Sub-pixel offset (-0.5..0.5) of the peak at index ``i`` of a 1-D correlation profile
    from the values around it (``v`` = [left, peak, right]; 0 at an edge)."""
    if i == 0 or len(v) < 3:
        return 0.0
    left, mid, right = (float(x) for x in v)
    den = left - 2 * mid + right
    return float(np.clip(0.5 * (left - right) / den, -0.5, 0.5)) if den < 0 else 0.0


def follow_light(tracker, tr, row: int, t: float) -> bool:
    """Follow the light track ``tr`` (:mod:`posecheck.pose.budget`) of ``tracker`` (an
    :class:`posecheck.pose.tracking.AthleteTracker` whose ``follower`` has seen frame
    ``row``) onto frame ``row`` between its looks: its box is moved by the
    :class:`BoxFollower` and the frame recorded as a followed row (centre and height, NaN
    landmarks, as :func:`posecheck.pose.budget.fill_gap` does for frames it interpolates).
    Not while another tracked person is near (a template of two overlapping runners can
    slide onto either: the next look, which picks by colour, decides) or when the match
    fails; then the look fills the frames in between. Returns whether the frame was followed."""
    from posecheck.pose import budget

    if not tr.rows or tr.last_det is None or row != tr.last_row + 1:
        return False
    s = tracker.scale
    c0 = np.asarray(tr.centers[-1]) * s
    pos = tracker.follower.follow(c0, tr.heights[-1] * s, tr.velocity)
    if pos is None:
        return False
    shift = (pos - c0) / s
    d = tr.last_det
    tr.last_det = type(d)(xy=d.xy + shift, z=d.z, visibility=d.visibility,
                          presence=d.presence, world=d.world)
    k = max(-len(tr.rows), -6)
    tr.velocity = (pos - np.asarray(tr.centers[k]) * s) / (row - tr.rows[k])
    tr.center, tr.last_row = pos, row
    tr.rows.append(row)
    tr.dets.append(budget.NAN_DET)
    tr.centers.append(pos / s)
    tr.heights.append(tr.heights[-1])
    tr.times.append(t)
    return True
