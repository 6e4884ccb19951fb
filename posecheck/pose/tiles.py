"""Zoomed search tiles: where the people search of :class:`posecheck.pose.tracking.AthleteTracker`
looks for runners too small for MediaPipe's detector on the whole frame (inference pixels)."""

from __future__ import annotations

import math

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


REENTRY_S = 3.0        #: the frame edge where someone left is searched this long ...
REENTRY_EVERY_S = 0.4  #: ... this often (one tile: at the edge, at the height they left)
EDGE = 1.0             #: someone lost within this x their size of the left/right edge left there


class EdgeWatch:
    """Where tracked people left the frame, so that a runner who comes back (the panning
    camera lost them for a moment) is found by a few edge tiles instead of whole searches.

    :meth:`left` records a track lost near the left or right edge (inference pixels);
    :meth:`due` returns the tiles to search on this frame: for every exit in the last
    :data:`REENTRY_S`, the tile of ``tiles`` at that edge nearest the height where the
    person left, every :data:`REENTRY_EVERY_S`."""

    def __init__(self, tiles: list[tuple[int, int, int, int]], width: int):
        self.tiles, self.width = tiles, width
        self.exits: list[tuple[float, tuple[int, int, int, int]]] = []  # (time s, tile)
        self.next_s = -math.inf

    def left(self, center, size: float, t: float) -> bool:
        """Record a person lost at ``t`` whose predicted centre was ``center`` ((2,) px),
        ``size`` px; True if that is at the left or right edge."""
        x, y = float(center[0]), float(center[1])
        if x < EDGE * size:
            side = [tl for tl in self.tiles if tl[0] == 0]
        elif x > self.width - EDGE * size:
            side = [tl for tl in self.tiles if tl[0] + tl[2] >= self.width]
        else:
            return False
        if not side:
            return False
        self.exits.append((t, min(side, key=lambda tl: abs(tl[1] + tl[3] / 2 - y))))
        self.next_s = min(self.next_s, t + REENTRY_EVERY_S)
        return True

    def due(self, t: float) -> list[tuple[int, int, int, int]]:
        self.exits = [(s, tl) for s, tl in self.exits if t - s <= REENTRY_S]
        if not self.exits or t < self.next_s:
            return []
        self.next_s = t + REENTRY_EVERY_S
        return sorted({tl for _s, tl in self.exits})
