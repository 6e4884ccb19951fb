"""Synthetic sprint clips with exact ground truth (posecheck test data generator).

Public API::

    from tools.synth import SprintParams, simulate, render_clip
    gt = simulate(SprintParams(style=1.0))            # kinematics + 2D ground truth, fast
    gt = render_clip(SprintParams(style=0.0), "clip.mp4")   # + H.264 video and clip.json

See ``tools/synth/README.md`` and ``docs/synthetic_sprinter.md``.
"""

from .body import Body, BodyShape
from .params import CameraParams, Look, SprintParams, params_from_dict


def simulate(params: SprintParams):
    """Kinematics-only ground truth (:class:`tools.synth.simulate.GroundTruth`)."""
    from .simulation import simulate as _sim

    return _sim(params)


def render_clip(params: SprintParams, out_path, **kw):
    """Render an MP4 and its ``.json`` ground truth; returns the GroundTruth."""
    from .render import render_clip as _rc

    return _rc(params, out_path, **kw)


__all__ = ["Body", "BodyShape", "CameraParams", "Look", "SprintParams", "params_from_dict",
           "simulate", "render_clip"]
