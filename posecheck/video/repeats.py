"""Repeated frames: a frame that shows the same picture as the one before it.

Screen recordings of slow-motion playback, some slow-motion exports and frame-rate
conversions repeat each captured picture 2–5 times. Such a frame carries no new
information about the athlete, and treating it as a new instant makes every movement look
slower than it was (the issue of footage "exported slowed"). :class:`RepeatMarker` passes
frames through and marks each one that repeats its predecessor; the pipeline then analyses
the unique frames only (``docs/hard_footage.md``).

A repeat is recognised on a small thumbnail (:data:`THUMB_WIDTH` pixels wide, block
averages of the green channel, so codec noise of a re-encoded copy averages out): every thumbnail pixel within
:data:`MAX_DIFF` grey levels of the previous frame's. A runner moving between two real
frames changes whole blocks by tens of levels, even when only 60 px tall in a 720p frame
(one block row of the thumbnail is 8 px there); a tripod clip of an empty track would be
marked repeated too, which is right: nothing moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

THUMB_WIDTH = 160
#: largest difference (0–255) of any thumbnail pixel between a frame and the repeat of it
#: (a repeated picture re-encoded by H.264 differs by up to ~11 levels on a textured
#: background after block averaging; a runner 40 px tall moving changes blocks by 80+)
MAX_DIFF = 16


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """(h, :data:`THUMB_WIDTH`) uint8 block average of the green channel (close to the
    luma) of every other pixel of an (H, W, 3) uint8 RGB frame: 0.25 ms for 720p, a few
    percent of a frame's pose inference."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB frame, got shape {rgb.shape}")
    green = np.ascontiguousarray(rgb[::2, ::2, 1])
    h, w = green.shape
    tw = min(THUMB_WIDTH, w)
    th = max(1, int(round(h * tw / w)))
    return cv2.resize(green, (tw, th), interpolation=cv2.INTER_AREA)


def is_repeat(previous: np.ndarray, current: np.ndarray) -> bool:
    """Whether the thumbnail ``current`` repeats ``previous`` (same shape; see module)."""
    if previous.shape != current.shape:
        return False
    return int(cv2.absdiff(previous, current).max()) <= MAX_DIFF


class RepeatMarker(Iterator[tuple[int, float, np.ndarray]]):
    """Iterate ``frames`` (index, time, RGB) unchanged; ``flags[k]`` is True when the k-th
    frame yielded repeats the frame before it (the first frame never does)."""

    def __init__(self, frames: Iterable[tuple[int, float, np.ndarray]]):
        self._it = iter(frames)
        self._prev: np.ndarray | None = None
        self.flags: list[bool] = []

    def __iter__(self) -> RepeatMarker:
        return self

    def __next__(self) -> tuple[int, float, np.ndarray]:
        idx, t, rgb = next(self._it)
        th = thumbnail(rgb)
        self.flags.append(self._prev is not None and is_repeat(self._prev, th))
        self._prev = th
        return idx, t, rgb


#: a clip counts as repeated-frame footage when at least this share of its frames are repeats
MIN_REPEAT_SHARE = 0.3


def repeat_factor(repeated: np.ndarray) -> float:
    """How many frames each picture is shown for in repeated-frame footage (e.g. 3.0, or
    2.5 for a 3:2 pattern), from the per-frame flags ``repeated`` (n,) bool; 1.0 when the
    clip is not such footage.

    Each new picture's run (itself and the repeats after it) is counted. The clip is
    repeated-frame footage when at least :data:`MIN_REPEAT_SHARE` of its frames are
    repeats and the typical (median) run is 2 frames or more; occasional duplicates and an
    athlete holding still in front of a tripod (one long run) are left alone. The factor is
    the mean run, leaving out runs over twice the median (a pause)."""
    rep = np.asarray(repeated, dtype=bool)
    if rep.ndim != 1:
        raise ValueError(f"repeated must be 1-D, got shape {rep.shape}")
    if rep.size < 4 or rep.mean() < MIN_REPEAT_SHARE:
        return 1.0
    starts = np.flatnonzero(~rep)
    runs = np.diff(np.append(starts, rep.size))
    if runs.size < 2:
        return 1.0
    med = float(np.median(runs))
    if med < 2:
        return 1.0
    return float(runs[runs <= 2 * med].mean())
