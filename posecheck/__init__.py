"""posecheck: sprint technique checker (front-side vs back-side mechanics) from side-view video.

Importing the package has no side effects; heavy modules load on first use.
"""

from __future__ import annotations

from posecheck._version import __version__
__all__ = ["analyze_video", "Config", "__version__"]


def __getattr__(name: str):  # lazy, so ``import posecheck`` stays cheap and side-effect free
    if name == "analyze_video":
        from posecheck.pipeline import analyze_video

        return analyze_video
    if name == "Config":
        from posecheck.config import Config

        return Config
    raise AttributeError(f"module 'posecheck' has no attribute {name!r}")
