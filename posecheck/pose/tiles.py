"""Zoomed search tiles: where the people search of :class:`posecheck.pose.tracking.AthleteTracker`
looks for runners too small for MediaPipe's detector on the whole frame (inference pixels)."""

from __future__ import annotations

MIN_TILE = 160             #: frames whose short side is below 2x this are not tiled


def search_tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Overlapping square tiles ``(x0, y0, side, side)`` covering a ``width`` x ``height``
    frame: side = half the short side (at least :data:`MIN_TILE`), stride = half a side, so
    a person up to half a tile tall lies wholly inside some tile. Empty for small frames."""
    short = min(width, height)
    if short < 2 * MIN_TILE:
        return []
    side = max(MIN_TILE, short // 2)
    step = side // 2

    def starts(n: int) -> list[int]:
        s = list(range(0, max(n - side, 0) + 1, step))
        if s[-1] + side < n:
            s.append(n - side)
        return s

    return [(x, y, side, side) for y in starts(height) for x in starts(width)]


def covers(tr, x0: int, y0: int, w: int, h: int) -> bool:
    """The tracked person's box takes up most of the tile ``(x0, y0, w, h)``; ``tr``: a
    :class:`posecheck.pose.tracking.Track` (centre and size in inference pixels)."""
    r = tr.size / 2
    box = (tr.center[0] - r, tr.center[1] - r, tr.center[0] + r, tr.center[1] + r)
    ix = max(0.0, min(box[2], x0 + w) - max(box[0], x0))
    iy = max(0.0, min(box[3], y0 + h) - max(box[1], y0))
    return ix * iy > 0.5 * w * h


def inside(d, x0: int, y0: int, w: int, h: int, scale: float) -> bool:
    """The centre of the pose ``d`` (a :class:`posecheck.pose.tracking.Detection`, full-frame
    pixels; x ``scale`` = inference pixels) lies inside the tile (poses cut by the tile edge
    are left to the neighbouring tile that holds them whole)."""
    cx, cy = d.center * scale
    return x0 <= cx <= x0 + w and y0 <= cy <= y0 + h
