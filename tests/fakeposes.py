"""Fake MediaPipe results for tracker tests that run without a pose model."""

from __future__ import annotations

import numpy as np


def box_pose(x: float, y: float, bw: float, bh: float, w: int, h: int) -> np.ndarray:
    """Raw (33, 8) pose of a person box ``(x, y, bw, bh)`` (crop pixels) normalised to a
    ``w`` x ``h`` crop, as a landmarker returns it: landmarks spread over the box, shoulders at
    25 % and hips at 50 % of its height, visibility and presence 0.9."""
    raw = np.zeros((33, 8))
    raw[:, 0] = (x + bw * np.linspace(0.1, 0.9, 33)) / w
    raw[:, 1] = (y + bh * np.linspace(0.02, 0.98, 33)) / h
    raw[[11, 12, 23, 24], 0] = (x + bw * np.array([0.3, 0.7, 0.7, 0.3])) / w
    raw[[11, 12, 23, 24], 1] = (y + bh * np.array([0.25, 0.25, 0.5, 0.5])) / h
    raw[:, 3] = raw[:, 4] = 0.9
    return raw
