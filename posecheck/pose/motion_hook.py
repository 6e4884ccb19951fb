"""The camera's motion, measured inside the pose pass with the people masked out.

:class:`posecheck.video.motion.BackgroundMotion` needs the frames (which the pose pass has
already decoded) and where the people are in them (which the tracker has just found).
:class:`MotionHook` is the pose pass's ``after_frame`` hook
(:func:`posecheck.pose.landmarker.track_frames`) that feeds it both: after each frame is
tracked, the box of every person with a position on that frame (full and light tracks
alike: ``Track.centers`` / ``Track.heights``) is masked, and the background's motion since
the previous frame is measured. The steps become
:attr:`posecheck.types.PoseSequence.background` (:func:`posecheck.video.motion.accumulate`),
stitched across the chunks of :mod:`posecheck.pose.parallel` like the frames themselves
(each chunk measures its lead-in too, so its first own frame has a step).
"""

from __future__ import annotations

import numpy as np

from posecheck.video.motion import BackgroundMotion

#: half the width of a person's box, as a fraction of its height (a sprinter's legs spread
#: up to ~0.8 of the standing height at full stride)
HALF_WIDTH = 0.45


def person_boxes(tracker, row: int) -> list[tuple[float, float, float, float]]:
    """``(x0, y0, x1, y1)`` frame-pixel boxes of the tracker's people seen on ``row``."""
    out = []
    for tr in tracker.tracks:
        if not (tr.rows and tr.rows[-1] == row and tr.centers and tr.heights):
            continue
        (cx, cy), h = tr.centers[-1], float(tr.heights[-1])
        if not (np.isfinite(cx) and np.isfinite(cy) and np.isfinite(h) and h > 0):
            continue
        out.append((cx - HALF_WIDTH * h, cy - 0.5 * h, cx + HALF_WIDTH * h, cy + 0.5 * h))
    return out


#: the frame rate the motion is measured at (Hz): every frame up to it, every k-th above it
#: (k = round(fps / MOTION_RATE_HZ)), linearly interpolated in between. A hand-held
#: phone's shake is mostly under ~3 Hz (interpolating a ±10 px shake at 3 Hz from 30 Hz is
#: off by at most 0.5 px). On the 16 clips of docs/metrics.md §8b, 30 Hz timed the events
#: as every frame did (60 Hz and every frame: the same), at half the cost on 60 fps clips.
MOTION_RATE_HZ = 30.0


def motion_stride(fps: float) -> int:
    """Measure the motion on every k-th frame (file index % k == 0) of a ``fps`` clip."""
    return max(1, int(round(fps / MOTION_RATE_HZ))) if fps > 0 else 1


class MotionHook:
    """``hook(tracker, row, index, rgb, repeated)``: measures the background's motion on
    the frames (rows in order) whose file index is a multiple of ``stride``
    (:func:`motion_stride`), the people of ``tracker`` on ``row`` masked; a frame repeating
    the picture before it (``repeated``) did not move (nothing measured). :attr:`steps`:
    (rows, 2) displacement since the previous measured frame (pixels; NaN on the frames in
    between and where unmeasured; :func:`posecheck.video.motion.accumulate` joins them)."""

    def __init__(self, stride: int = 1) -> None:
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be an int >= 1, got {stride!r}")
        self.stride = stride
        self.meter = BackgroundMotion()
        self._steps: list[tuple[float, float]] = []

    def __call__(self, tracker, row: int, index: int, rgb: np.ndarray, repeated: bool) -> None:
        if row != len(self._steps):
            raise ValueError(f"frames must come in order: expected row "
                             f"{len(self._steps)}, got {row}")
        if index % self.stride:
            step = (np.nan, np.nan)
        elif repeated and self.stride == 1 and self.meter.steps:
            step = (0.0, 0.0)  # the same picture as the frame before: no motion
        else:
            step = self.meter.update(rgb, person_boxes(tracker, row))
        self._steps.append(step)
        note = getattr(tracker, "note_background", None)
        if note is not None:  # (over-the-ground directions for the athlete choice)
            note(row, step)

    @property
    def steps(self) -> np.ndarray:
        return np.asarray(self._steps, dtype=np.float64).reshape(-1, 2)


def chain(*hooks):
    """One ``after_frame`` hook calling each of ``hooks`` that is not ``None`` in order
    (``None`` if none is)."""
    live = [h for h in hooks if h is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0]

    def both(*args) -> None:
        for h in live:
            h(*args)

    return both
