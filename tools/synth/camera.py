"""Phone-like pinhole camera paths (static, tracking, panning, yaw offset, hand-held shake).

World frame: X along the track, Y up, Z toward the camera side (the runner's lane centre
line is Z = 0, the camera stands at Z = +distance). Camera frame: x right, y down, z
forward. Image coordinates: continuous pixels, x right, y down, the image spans
[0, width] x [0, height] (pixel (row i, col j) has its centre at (j + 0.5, i + 0.5)), so a
MediaPipe normalised coordinate times the width/height is directly comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import SprintParams


@dataclass
class CameraPath:
    """Per-frame camera. R: (n, 3, 3) world->camera rotations (rows: camera x, y, z axes in
    world coordinates); C: (n, 3) camera centres (m); f: focal length (output pixels);
    cx, cy: principal point (output pixels)."""

    R: np.ndarray
    C: np.ndarray
    f: float
    cx: float
    cy: float
    width: int
    height: int

    def project(self, X: np.ndarray) -> np.ndarray:
        """World points (n, m, 3) -> (n, m, 3) = (u, v, depth) in output pixels / metres."""
        Xc = np.einsum("nij,nmj->nmi", self.R, X - self.C[:, None, :])
        z = Xc[..., 2]
        return np.stack([self.f * Xc[..., 0] / z + self.cx, self.f * Xc[..., 1] / z + self.cy, z], -1)


def _look(yaw, pitch, roll) -> np.ndarray:
    """(n, 3, 3) rotations for yaw (+ = toward +X), pitch (+ = up), roll (deg); yaw 0 looks at -Z."""
    ps, th, ro = (np.radians(np.asarray(a, float)) for a in (yaw, pitch, roll))
    f = np.stack([np.sin(ps) * np.cos(th), np.sin(th), -np.cos(ps) * np.cos(th)], -1)
    up = np.array([0.0, 1.0, 0.0])
    r = np.cross(f, up)
    r /= np.linalg.norm(r, axis=-1, keepdims=True)
    d = np.cross(f, r)
    c, s = np.cos(ro)[:, None], np.sin(ro)[:, None]
    r2 = c * r + s * d
    d2 = -s * r + c * d
    return np.stack([r2, d2, f], 1)


def _shake(t: np.ndarray, seed: int, amp: float) -> np.ndarray:
    """(n, 3) smooth pseudo-random yaw/pitch/roll offsets (deg), RMS about ``amp``."""
    if amp <= 0:
        return np.zeros((len(t), 3))
    rng = np.random.default_rng(seed + 7919)
    out = np.zeros((len(t), 3))
    for axis in range(3):
        freqs = rng.uniform(0.4, 3.0, 5)
        phases = rng.uniform(0, 2 * np.pi, 5)
        weights = rng.uniform(0.5, 1.0, 5) / freqs
        sig = sum(w * np.sin(2 * np.pi * fr * t + p) for w, fr, p in zip(weights, freqs, phases))
        sig /= np.sqrt(0.5 * np.sum(weights**2))
        out[:, axis] = amp * sig * (0.5 if axis == 2 else 1.0)
    return out


def make_camera(p: SprintParams, times: np.ndarray, root_world: np.ndarray) -> CameraPath:
    """Build the camera path following ``root_world`` (n, 3), the runner's hip midpoint."""
    cam = p.camera
    D, h = cam.distance, cam.height
    W, H = p.width, p.height
    yaw0 = cam.yaw_off
    aim_h = 0.53 * p.body.stature_m
    n = len(times)
    x_run = root_world[:, 0]
    # follow the runner with a lag (operator reaction); the runner's mean speed is constant
    vx = (x_run[-1] - x_run[0]) / max(times[-1] - times[0], 1e-9) if n > 1 else 0.0
    x_lag = x_run - vx * cam.lag
    off = D * np.tan(np.radians(yaw0))
    mid = 0.5 * (x_run[0] + x_run[-1])
    if cam.mode == "track":
        cx_w = x_lag - off
        yaw = np.full(n, yaw0)
    elif cam.mode == "pan":
        cx_w = np.full(n, mid - off)
        yaw = np.degrees(np.arctan2(x_lag - cx_w, D))
    else:  # static
        cx_w = np.full(n, mid - off)
        yaw = np.full(n, yaw0)
    C = np.stack([cx_w, np.full(n, h), np.full(n, D)], -1)
    horiz = D / np.cos(np.radians(yaw))
    pitch = np.degrees(np.arctan2(aim_h - h, horiz))
    sh = _shake(times, p.seed, cam.shake)
    R = _look(yaw + sh[:, 0], pitch + sh[:, 1], sh[:, 2])
    if cam.hfov is not None:
        f = (W / 2) / np.tan(np.radians(cam.hfov) / 2)
    elif cam.mode == "static":
        half = 0.5 * abs(x_run[-1] - x_run[0]) + 1.5
        f = (W / 2) * D / half
    else:
        extent = p.body.stature_m / cam.fill
        f = H * (D / np.cos(np.radians(yaw0))) / extent
    return CameraPath(R=R, C=C, f=float(f), cx=W / 2, cy=H / 2, width=W, height=H)
