"""Exact synthetic landmarks for the kinematics tests: the simulator's ground-truth joint
pixels (``frames.points_px``) laid out as a MediaPipe :class:`PoseSequence`."""

from __future__ import annotations

import numpy as np

from posecheck.types import PoseSequence
from tools.synth.evaluate import MP_INDEX


def exact_pose(gt: dict, noise: float = 0.0, seed: int = 0, shift=(0.0, 0.0),
               scale: float = 1.0) -> PoseSequence:
    """The truth of a simulated/rendered clip (its JSON payload ``gt``) as landmarks:
    joints at their MediaPipe indices (head points from ``nose``/``head``), optionally
    scaled, shifted and with seeded Gaussian pixel noise; visibility 1, times from fps."""
    px = {k: np.asarray(v, float) for k, v in gt["frames"]["points_px"].items()}
    n = gt["n_frames"]
    xy = np.full((n, 33, 2), np.nan)
    for k, i in MP_INDEX.items():
        xy[:, i] = px[k]
    xy[:, 0] = px["nose"]
    xy[:, 7] = xy[:, 8] = px["head"]
    xy = xy * scale + np.asarray(shift)
    if noise:
        xy = xy + np.random.default_rng(seed).normal(0, noise, xy.shape)
    ones = np.ones((n, 33))
    return PoseSequence(xy=xy, z=np.zeros((n, 33)), visibility=ones, presence=ones,
                        world=np.zeros((n, 33, 3)), times=np.arange(n) / gt["fps"],
                        frame_size=(gt["width"], gt["height"]))


#: a max-velocity profile from published elite values (Ito et al. 2008, 2007 World
#: Championships: thigh lift 65–70°, minimum knee angle 38–41° = 139–142° flexion; step
#: frequency 4.9–5.0 steps/s; contact ≈ 0.09 s, Čoh et al. 2018), other keys front-side
ELITE = dict(cadence=4.9, duty=0.22, key_overrides=(("thigh_peak", 67.0), ("knee_peak", 140.0)))


def truth_pose(style=1.0, fps=120.0, direction=1, seconds=2.0, noise=0.0, seed=0,
               shift=(0.0, 0.0), scale=1.0, **params) -> tuple[PoseSequence, dict]:
    """A simulated sprint (:mod:`tools.synth`) as exact landmarks, and its ground truth;
    ``params``: more :class:`tools.synth.SprintParams` fields (e.g. :data:`ELITE`)."""
    from tools.synth import SprintParams, simulate

    gt = simulate(SprintParams(style=style, fps=fps, direction=direction, seconds=seconds,
                               **params)).payload
    return exact_pose(gt, noise, seed, shift, scale), gt
