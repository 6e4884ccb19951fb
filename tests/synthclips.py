"""Synthetic-sprinter test clips for hard footage: far-away, two runners, runner leaving.

Built on ``tools.synth`` (exact ground truth) and :func:`clipfactory.make_clip`. The
renderer's segment-id buffer gives a per-pixel person mask, so a second runner can be
composited over a first clip's background (:func:`render_layers`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipfactory import make_clip
from tools.synth.render import _x264_determinism  # byte-identical clips in every process
from tools.synth import CameraParams, SprintParams
from tools.synth.params import Look
from tools.synth.render import Renderer
from tools.synth.simulation import simulate


def render_layers(p: SprintParams):
    """Yield ``(rgb, alpha, gt)`` per frame: the rendered frame, the person's coverage in
    [0, 1] (H, W) from the renderer's segment buffer, and the ground truth."""
    gt = simulate(p)
    r = Renderer(gt)
    ss = r.ss
    for i in range(p.n_frames):
        rgb = r.frame(i)
        person = (r.idbuf >= 0).astype(np.float32)
        alpha = person.reshape(p.height, ss, p.width, ss).mean(axis=(1, 3))
        yield rgb, alpha, gt


def hip_mid_px(gt, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """(n, 2) true hip-midpoint pixels (shifted by the compositing offset)."""
    px = gt.payload["frames"]["points_px"]
    return (np.asarray(px["hip.L"]) + np.asarray(px["hip.R"])) / 2 + np.array([dx, dy])


def far_runner(path: Path, seconds: float = 1.2, fps: float = 30, size=(1280, 720), **kw):
    """A static camera at the default 14 m: the runner is ~160 px tall in 1280x720."""
    p = SprintParams(seconds=seconds, fps=fps, width=size[0], height=size[1],
                     camera=CameraParams(mode="static"), **kw)
    frames, gt = [], None
    for rgb, _a, gt in render_layers(p):
        frames.append(rgb)
    make_clip(path, frames, fps=fps, codec_options=_x264_determinism())
    return gt


def two_runners(path: Path, seconds: float = 1.2, fps: float = 30, size=(960, 540),
                dy: int = 120):
    """Runner A (far lane, blue, faster) rendered with the track; runner B (near lane: pasted
    ``dy`` px lower, 1.3x bigger, red) composited over it. Returns (gt_a, gt_b, dy)."""
    w, h = size
    # same field of view; B is nearer (10.5 m vs 14 m), so larger
    cam_a = CameraParams(mode="static", distance=14.0, hfov=53.0)
    cam_b = CameraParams(mode="static", distance=10.5, hfov=53.0)
    pa = SprintParams(seconds=seconds, fps=fps, width=w, height=h, camera=cam_a, phase=0.1)
    pb = SprintParams(seconds=seconds, fps=fps, width=w, height=h, camera=cam_b, phase=0.6,
                      style=0.0, speed=7.0, seed=5,
                      look=Look(shirt=(200, 40, 40), shorts=(230, 230, 230), skin=(120, 80, 60)))
    frames = []
    gt_a = gt_b = None
    for (a, _aa, gt_a), (b, ab, gt_b) in zip(render_layers(pa), render_layers(pb)):
        out = a.astype(np.float32)
        bb = np.zeros_like(out)
        al = np.zeros((h, w), np.float32)
        bb[dy:] = b[: h - dy]
        al[dy:] = ab[: h - dy]
        out = out * (1 - al[..., None]) + bb * al[..., None]
        frames.append(np.clip(out + 0.5, 0, 255).astype(np.uint8))
    make_clip(path, frames, fps=fps, codec_options=_x264_determinism())
    return gt_a, gt_b, dy
