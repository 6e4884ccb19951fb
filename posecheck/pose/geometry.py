"""Where a pose is in the frame: full-frame detections from landmarker results, the region of
interest around a person, box overlap (used by :mod:`posecheck.pose.tracking` and the
modules that help it; nothing here imports them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posecheck.types import N_LANDMARKS

ROI_MARGIN = 2.0           #: ROI side = this x the person's box size
MIN_ROI = 96               #: smallest ROI side (inference pixels)
MAX_JUMP = 0.9             #: reject a result whose centre is this many sizes off prediction

#: raw pose from a landmarker: (33, 8) = x_norm, y_norm, z_norm, visibility, presence,
#: world x, y, z
RawPose = np.ndarray
#: landmarker callable: (rgb crop, timestamp ms) -> list of RawPose
Landmarker = Callable[[np.ndarray, int], list]


@dataclass
class Detection:
    """One pose in full-frame pixels."""

    xy: np.ndarray          # (33, 2)
    z: np.ndarray           # (33,)
    visibility: np.ndarray  # (33,)
    presence: np.ndarray    # (33,)
    world: np.ndarray       # (33, 3)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        x, y = self.xy[:, 0], self.xy[:, 1]
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())

    @property
    def center(self) -> np.ndarray:
        x0, y0, x1, y1 = self.bbox
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])

    @property
    def height(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return y1 - y0

    @property
    def size(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0, 1.0)


def to_detection(raw: RawPose, x0: float, y0: float, cw: float, ch: float,
                 scale: float = 1.0) -> Detection:
    """Map a landmarker result on the crop ``(x0, y0, cw, ch)`` of an image that is the full
    frame scaled by ``scale`` back to full-frame pixels."""
    xy = np.empty((N_LANDMARKS, 2))
    xy[:, 0] = (x0 + raw[:, 0] * cw) / scale
    xy[:, 1] = (y0 + raw[:, 1] * ch) / scale
    return Detection(xy=xy, z=raw[:, 2] * cw / scale,
                     visibility=np.nan_to_num(raw[:, 3], nan=0.0),
                     presence=np.nan_to_num(raw[:, 4], nan=0.0), world=raw[:, 5:8].copy())


def pack(d: Detection) -> np.ndarray:
    """(33, 9) float32: x, y, z, visibility, presence, world x, y, z (1.2 kB per frame)."""
    return np.concatenate([d.xy, d.z[:, None], d.visibility[:, None], d.presence[:, None],
                           d.world], axis=1).astype(np.float32)


def unpack(a: np.ndarray) -> Detection:
    a = a.astype(np.float64)
    return Detection(xy=a[:, 0:2], z=a[:, 2], visibility=a[:, 3], presence=a[:, 4],
                     world=a[:, 5:8])


def iou(a: tuple, b: tuple) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def roi_for(center: np.ndarray, size: float, width: int, height: int) -> tuple[int, int, int, int]:
    """ROI ``(x0, y0, w, h)`` of side ``ROI_MARGIN * size`` around ``center``, inside the frame."""
    side = max(MIN_ROI, ROI_MARGIN * size)
    w, h = int(min(width, round(side))), int(min(height, round(side)))
    x0 = int(round(min(max(center[0] - w / 2, 0), width - w)))
    y0 = int(round(min(max(center[1] - h / 2, 0), height - h)))
    return x0, y0, w, h
