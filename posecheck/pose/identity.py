"""Keep each track on its own person when people overlap (overtakes, a runner passing
behind another).

A region-of-interest landmarker (:mod:`posecheck.pose.tracking`) follows whatever pose its
previous landmarks pointed at; when two runners overlap in the image it can slide onto the
other one, and the jump is too small for the distance test (``MAX_JUMP`` sizes). The
cheapest cue that tells two runners apart is their clothes: each track keeps the colour
of the person's torso (:func:`torso_colour`: the quadrilateral shoulders-hips, sampled at
:data:`GRID` x :data:`GRID` points in its inner part, median), smoothed over frames. While
another tracked person is near (:func:`crowded`), a result whose torso colour is farther
than :data:`COLOUR_TOL` from the track's is taken for the other person: the track's
landmarker is dropped and, until the two are apart, the tracker takes among all poses the
IMAGE landmarker finds on the region of interest the one of the same colour nearest the
prediction (:func:`pick`; on a frame where there is none, a new landmarker tries, its result
checked the same way); then a new landmarker takes over.

The first-pose check's measures (:func:`completeness`, :func:`contains`) live here too.
Nothing here imports posecheck's trackers (they import this module).
"""

from __future__ import annotations

import numpy as np

GRID = 4              #: torso colour sampled on GRID x GRID points
COLOUR_TOL = 75.0     #: RGB distance (0-255 units) beyond which a torso is someone else's
COLOUR_KEEP = 0.9     #: smoothing of the track's colour (share of the old value per frame)
CROWD = 1.0           #: another person's predicted centre within this x size: crowded
TRUST_AFTER = 3       #: a track's colour is used once seen on this many frames
CONTAINED = 0.7       #: a more complete first pose's box holds this share of the first one's

_L_SH, _R_SH, _L_HIP, _R_HIP = 11, 12, 23, 24


def torso_colour(img: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """Median RGB (3,) float of the torso of the pose ``xy`` ((33, 2) pixels of ``img``,
    (H, W, 3) uint8): bilinear points of the quadrilateral left shoulder, right shoulder,
    right hip, left hip, 20-80 % of the way along each side (clothes, not background; the
    median ignores an arm swinging across a side-on torso). None when the points are not
    finite or fall outside the image."""
    q = xy[[_L_SH, _R_SH, _R_HIP, _L_HIP]]
    if not np.isfinite(q).all():
        return None
    u = np.linspace(0.2, 0.8, GRID)
    a, b = np.meshgrid(u, u)
    a, b = a.ravel()[:, None], b.ravel()[:, None]
    top = q[0] + a * (q[1] - q[0])
    bottom = q[3] + a * (q[2] - q[3])
    pts = np.rint(top + b * (bottom - top)).astype(int)
    h, w = img.shape[:2]
    if (pts[:, 0] < 0).any() or (pts[:, 0] >= w).any() or (pts[:, 1] < 0).any() or (pts[:, 1] >= h).any():
        return None
    return np.median(img[pts[:, 1], pts[:, 0]].astype(np.float64), axis=0)


def same_colour(ref: np.ndarray | None, colour: np.ndarray | None) -> bool:
    """Whether ``colour`` (RGB) can be the torso of the person whose colour is ``ref``
    (:func:`blend`'s (4,) value); unknown, or known from fewer than :data:`TRUST_AFTER`
    frames, counts as the same."""
    if ref is None or colour is None or ref[3] < TRUST_AFTER:
        return True
    return float(np.linalg.norm(colour - ref[:3])) <= COLOUR_TOL


def blend(ref: np.ndarray | None, colour: np.ndarray | None) -> np.ndarray | None:
    """The track's colour after one more frame: (4,) = RGB, frames seen; the mean of the
    first frames, then smoothed by :data:`COLOUR_KEEP`."""
    if colour is None:
        return ref
    if ref is None:
        return np.append(colour, 1.0)
    keep = min(COLOUR_KEEP, ref[3] / (ref[3] + 1))
    return np.append(keep * ref[:3] + (1 - keep) * colour, ref[3] + 1)


def known(ref: np.ndarray | None) -> bool:
    """The track's colour (:func:`blend`) can be relied on."""
    return ref is not None and ref[3] >= TRUST_AFTER


def crowded(center: np.ndarray, size: float, others: list[tuple]) -> list:
    """The others (predicted centre, size, colour) within :data:`CROWD` sizes of this
    person: their colours (None where unknown); empty when nobody is near."""
    return [col for c, s, col in others if np.linalg.norm(c - center) < CROWD * max(size, s)]


def pick(cands: list, pred: np.ndarray, size: float, ref: np.ndarray | None,
         colours: list, max_off: float, crowd: bool = False):
    """Index into ``cands`` (objects with ``center`` and ``size`` in the same pixels as
    ``pred``) of the pose that continues a track predicted at ``pred`` with ``size`` and
    torso colour ``ref``: centre within ``max_off``, size within 0.4-2.5 x, the nearest;
    when ``crowd`` (another tracked person is near) or several poses were found, of the
    same colour too (:func:`same_colour`; a lone pose's torso samples on a small side-on
    runner are too noisy to veto it). None if no pose qualifies."""
    best, best_off = None, max_off
    strict = crowd or len(cands) > 1
    for k, (c, col) in enumerate(zip(cands, colours)):
        off = float(np.linalg.norm(c.center - pred))
        if (off <= best_off and 0.4 < c.size / max(size, 1.0) < 2.5
                and (not strict or same_colour(ref, col))):
            best, best_off = k, off
    return best


def completeness(d) -> float:
    """Box height (pixels) x mean landmark visibility of a ``Detection``: a partial or
    collapsed pose of the same person is shorter and less visible (measured 332 px x 0.72
    against 413 x 0.85)."""
    return d.height * float(np.nanmean(d.visibility))


def contains(outer: tuple, inner: tuple) -> bool:
    """Most (≥ :data:`CONTAINED`) of box ``inner`` lies inside box ``outer`` (x0, y0, x1, y1)."""
    ix = max(0.0, min(outer[2], inner[2]) - max(outer[0], inner[0]))
    iy = max(0.0, min(outer[3], inner[3]) - max(outer[1], inner[1]))
    area = max((inner[2] - inner[0]) * (inner[3] - inner[1]), 1e-9)
    return ix * iy >= CONTAINED * area
