"""Side-by-side before/after video, synchronised in real time on a chosen touchdown.

Both annotated videos (one frame per analysis row, as written by
:func:`posecheck.report.export.write_annotated_video`) are scaled to the same height and placed
next to each other under a label bar. The output time line is *real* time relative to the
alignment touchdowns: at output time τ the left panel shows the before-clip frame nearest
in real time to ``t_before + u`` and the right panel the after-clip frame nearest to
``t_after + u``, with ``u = u0 + τ / slow``. Clips of different frame rates are therefore
resampled to one output rate by picking the nearest frame in time; a clip that has not
started yet or has already ended shows its first/last frame, dimmed.

``slow`` is the playback slow-down: 1 = real time; the default is the larger slow-motion
factor of the two clips (a 240 fps slow-motion clip keeps its detail, the other clip is
slowed down to match). Output: H.264, yuv420p, +faststart (:class:`posecheck.video.writer.H264Writer`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck.types import Analysis, GaitEvent

#: Highest output frame rate (browsers and phones play 60 fps smoothly).
MAX_FPS = 60.0


@dataclass(frozen=True)
class SyncPlan:
    """Which row of each clip every output frame shows.

    ``times`` (n,) output presentation times (s); ``rows_before``/``rows_after`` (n,) row
    indices; ``live_before``/``live_after`` (n,) bool, False where the clip is frozen on its
    first/last frame; ``offset_s`` (n,) real seconds from the aligned touchdown.
    """

    times: np.ndarray
    rows_before: np.ndarray
    rows_after: np.ndarray
    live_before: np.ndarray
    live_after: np.ndarray
    offset_s: np.ndarray
    fps: float
    slow: float

    @property
    def duration_s(self) -> float:
        """Playing time of the output (last frame time + one frame)."""
        return float(self.times[-1] + 1.0 / self.fps) if self.times.size else 0.0


def _nearest(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(times, targets), 1, times.size - 1) if times.size > 1 else \
        np.zeros(targets.shape, int)
    if times.size > 1:
        i = np.where(np.abs(times[i - 1] - targets) <= np.abs(times[i] - targets), i - 1, i)
    return i.astype(int)


def sync_plan(times_before: np.ndarray, times_after: np.ndarray, align_before: float,
              align_after: float, *, slow: float = 1.0, fps: float | None = None) -> SyncPlan:
    """The output time line (see the module docstring).

    Args:
        times_before, times_after: real times (s) of each clip's rows.
        align_before, align_after: real times of the touchdowns to align.
        slow: playback slow-down (1 = real time).
        fps: output frame rate; default the faster clip's real rate / ``slow``, at most
            :data:`MAX_FPS`.
    """
    tb, ta = np.asarray(times_before, float), np.asarray(times_after, float)
    if tb.size == 0 or ta.size == 0:
        raise ValueError("both clips need frames")
    if not slow > 0:
        raise ValueError("slow must be positive")
    if fps is None:
        rates = [1.0 / np.median(np.diff(t)) for t in (tb, ta) if t.size > 1]
        fps = round(min(MAX_FPS, max(rates) / slow), 3) if rates else 30.0
    u0 = min(tb[0] - align_before, ta[0] - align_after)
    u1 = max(tb[-1] - align_before, ta[-1] - align_after)
    n = int(np.floor((u1 - u0) * slow * fps + 1e-9)) + 1
    out_t = np.arange(n) / fps
    u = u0 + out_t / slow
    half = [0.5 * (np.median(np.diff(t)) if t.size > 1 else 1.0 / fps) for t in (tb, ta)]
    want_b, want_a = align_before + u, align_after + u
    live_b = (want_b >= tb[0] - half[0]) & (want_b <= tb[-1] + half[0])
    live_a = (want_a >= ta[0] - half[1]) & (want_a <= ta[-1] + half[1])
    return SyncPlan(out_t, _nearest(tb, want_b), _nearest(ta, want_a), live_b, live_a, u,
                    float(fps), float(slow))


class _RowReader:
    """Decoded frames of an annotated video by row (rows must be asked in rising order)."""

    def __init__(self, path: str | os.PathLike) -> None:
        from posecheck.video.reader import iter_frames

        self._it = iter(iter_frames(path))
        self._row = -1
        self._frame: np.ndarray | None = None

    def get(self, row: int) -> np.ndarray:
        while self._row < row:
            try:
                _idx, _t, rgb = next(self._it)
            except StopIteration:
                break  # shorter than the analysis: keep the last frame
            self._row, self._frame = self._row + 1, rgb
        if self._frame is None:
            raise ValueError("the annotated video has no frames")
        return self._frame

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close:
            close()


def _panel_size(w: int, h: int, height: int) -> tuple[int, int]:
    return max(2, 2 * round(w * height / h / 2)), height


def _label(img: np.ndarray, text: str, x: int, y: int, scale: float, right: bool = False) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(scale * 2)))
    (tw, _th), _ = cv2.getTextSize(text, font, scale, thick)
    cv2.putText(img, text, (x - tw if right else x, y), font, scale, (255, 255, 255), thick,
                cv2.LINE_AA)


def _fit_text(text: str, max_px: int, scale: float) -> str:
    """``text`` in ASCII (OpenCV's fonts have no other glyphs), shortened to ``max_px``."""
    text = text.replace("\u00b7", "-").encode("ascii", "replace").decode("ascii")
    thick = max(1, int(round(scale * 2)))
    while text and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] > max_px:
        text = text[:-3] + ".." if len(text) > 3 else ""
    return text


def write_side_by_side(before: Analysis, after: Analysis, before_video: str | os.PathLike,
                       after_video: str | os.PathLike, path: str | os.PathLike, *,
                       align: tuple[GaitEvent | None, GaitEvent | None] | None = None,
                       labels: tuple[str, str] = ("BEFORE", "AFTER"),
                       height: int = 540, slow: float | None = None, fps: float | None = None,
                       progress=None) -> Path:
    """Write the side-by-side MP4 and return its path.

    Args:
        before, after: the analyses; ``before_video``/``after_video`` their annotated videos.
        align: the two touchdowns to align (default
            :func:`posecheck.compare.metrics.default_alignment`; ``(None, None)`` = clip starts).
        labels: text of each panel's label bar (e.g. ``"BEFORE · clip.mp4"``).
        height: height of each panel (even; the label bar is added above).
        slow: playback slow-down (default: the larger slow-motion factor of the two).
        progress: optional ``callable(done, total)``.
    """
    from posecheck.compare.metrics import default_alignment
    from posecheck.video.writer import H264Writer

    if align is None:
        align = default_alignment(before, after)
    eb, ea = align
    tb0 = eb.time_s if eb is not None else float(before.times[0])
    ta0 = ea.time_s if ea is not None else float(after.times[0])
    if slow is None:
        slow = max(before.video.slowmo_factor, after.video.slowmo_factor, 1.0)
    plan = sync_plan(before.times, after.times, tb0, ta0, slow=slow, fps=fps)
    height = max(64, int(height) - int(height) % 2)
    sizes = [_panel_size(a.video.width, a.video.height, height) for a in (before, after)]
    bar = 2 * max(14, round(height * 0.035))
    scale = bar / 60.0
    width = sizes[0][0] + sizes[1][0]
    readers = [_RowReader(before_video), _RowReader(after_video)]
    try:
        with H264Writer(path, width, height + bar, fps=plan.fps) as writer:
            n = plan.times.size
            for k in range(n):
                canvas = np.zeros((height + bar, width, 3), np.uint8)
                canvas[:bar] = (32, 36, 44)
                x = 0
                for p, (reader, rows, live, (w, h), text) in enumerate(zip(
                        readers, (plan.rows_before, plan.rows_after),
                        (plan.live_before, plan.live_after), sizes, labels)):
                    img = reader.get(int(rows[k]))
                    if img.shape[:2] != (h, w):
                        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
                    if not live[k]:
                        img = (img * 0.45).astype(np.uint8)
                    canvas[bar:, x:x + w] = img
                    pad = int(bar * 0.3)
                    _label(canvas, _fit_text(text, (w if p == 0 else int(0.6 * w)) - 2 * pad, scale), x + pad,
                           int(bar * 0.68), scale)
                    if p == 1:
                        _label(canvas, f"{plan.offset_s[k]:+.2f} s from touchdown",
                               x + w - pad, int(bar * 0.68), scale * 0.9, right=True)
                    x += w
                canvas[:, sizes[0][0] - 1:sizes[0][0] + 1] = 255  # divider
                writer.write(canvas, float(plan.times[k]))
                if progress is not None:
                    progress(k + 1, n)
    finally:
        for r in readers:
            r.close()
    return Path(path)
