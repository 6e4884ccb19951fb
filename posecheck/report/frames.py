"""Single frames with the overlay: the app's frame scrubber and the report's key frames.

Row ``k`` of an :class:`~posecheck.types.Analysis` is the k-th decoded frame of the clip. A
frame is fetched with :func:`posecheck.video.reader.iter_frames` (keyframe seek, then decode) and
matched to its row by time stamp, so a frame the decoder lost does not shift the picture
against the landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.report.annotate import draw_overlay
from posecheck.types import Analysis
from posecheck.video.reader import iter_frames


@dataclass(frozen=True)
class KeyFrame:
    """A frame worth showing, with a one-line caption.

    Attributes:
        row: row of the analysis (decoded frame number).
        caption: plain-language description, e.g. ``"Left knee most bent: 131° at 1.20 s"``.
        kind: short machine-readable tag (``"peak_knee_flexion_left"``, later cue ids).
    """

    row: int
    caption: str
    kind: str = ""


def decode_row(analysis: Analysis, row: int) -> np.ndarray:
    """The RGB picture (upright, uint8) of row ``row`` of ``analysis``."""
    n = analysis.pose.n_frames
    if not 0 <= row < n:
        raise IndexError(f"row {row} outside 0..{n - 1}")
    v = analysis.video
    want = float(analysis.times[row])
    tol = 0.5 * _frame_step(analysis)
    best: tuple[float, np.ndarray] | None = None
    # Normally file index == row; if frames were lost before it, the row's frame is later.
    for start, stop in ((row, row + 1), (row, min(row + 8, v.frame_count or row + 8) + 1)):
        with iter_frames(v.path, info=v, slowmo_factor=v.slowmo_factor,
                         start=start, stop=stop) as frames:
            for _idx, t, rgb in frames:
                err = abs(t - want)
                if best is None or err < best[0]:
                    best = (err, rgb)
        if best is not None and best[0] <= tol:
            break
    if best is None:
        raise IndexError(f"frame for row {row} could not be decoded")
    return best[1]


def overlay_row(analysis: Analysis, row: int) -> np.ndarray:
    """Row ``row`` with the same overlay as the annotated video."""
    p, a = analysis.pose, analysis.angles
    return draw_overlay(decode_row(analysis, row), p.xy[row], tuple(a.knee_flexion[row]),
                        tuple(a.hip_flexion[row]), float(p.times[row]), row, a.direction)


def athlete_box(analysis: Analysis, row: int, margin: float = 0.25,
                min_aspect: float = 0.75) -> tuple[int, int, int, int] | None:
    """Pixel box ``(x0, y0, x1, y1)`` around the athlete in ``row``, or ``None``.

    The landmarks' bounding box grown by ``margin`` x its height on every side and widened
    to at least ``min_aspect`` (width / height), clamped to the frame. Used to zoom on the
    athlete when the camera is far away.
    """
    xy = analysis.pose.xy[row]
    ok = np.isfinite(xy).all(axis=1)
    if ok.sum() < 4:
        return None
    (x0, y0), (x1, y1) = xy[ok].min(axis=0), xy[ok].max(axis=0)
    h = max(y1 - y0, 1.0)
    pad = margin * h
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w_min = min_aspect * (y1 - y0)
    if x1 - x0 < w_min:
        cx = 0.5 * (x0 + x1)
        x0, x1 = cx - w_min / 2, cx + w_min / 2
    W, H = analysis.video.width, analysis.video.height
    box = (max(0, int(x0)), max(0, int(y0)), min(W, int(np.ceil(x1))), min(H, int(np.ceil(y1))))
    return box if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else None


def crop(rgb: np.ndarray, box: tuple[int, int, int, int] | None) -> np.ndarray:
    """``rgb[y0:y1, x0:x1]`` (the whole frame if ``box`` is ``None``)."""
    if box is None:
        return rgb
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def jpeg_bytes(rgb: np.ndarray, max_height: int | None = 540, quality: int = 85) -> bytes:
    """Encode an RGB frame as JPEG, downscaled to at most ``max_height`` lines."""
    img = rgb
    h, w = img.shape[:2]
    if max_height and h > max_height:
        img = cv2.resize(img, (max(1, round(w * max_height / h)), max_height),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def peak_frames(analysis: Analysis) -> list[KeyFrame]:
    """Phase-1 key frames: per leg, the most bent knee and the highest thigh.

    The most bent knee shows how high the heel comes up behind (back-side mechanics); the
    highest thigh shows the front-side lift. Legs without any angle are skipped.
    """
    out: list[KeyFrame] = []
    t = analysis.times
    for j, side in enumerate(("left", "right")):
        for values, what, kind, fmt in (
            (analysis.angles.hip_flexion[:, j], "thigh highest", "peak_hip_flexion", "{:+.0f}°"),
            (analysis.angles.knee_flexion[:, j], "knee most bent", "peak_knee_flexion", "{:.0f}°"),
        ):
            if not np.isfinite(values).any():
                continue
            row = int(np.nanargmax(values))
            caption = (f"{side.capitalize()} {what}: {fmt.format(values[row])} "
                       f"at {t[row]:.2f} s (frame {row})")
            out.append(KeyFrame(row=row, caption=caption, kind=f"{kind}_{side}"))
    return out


def _frame_step(analysis: Analysis) -> float:
    t = analysis.times
    if t.size < 2:
        return 1.0
    d = np.diff(t)
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0
