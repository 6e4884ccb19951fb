"""Choose the athlete among the people tracked (:mod:`posecheck.pose.tracking`).

At the end of the clip one track is chosen and only its landmarks are returned, so the
analysis follows one person for the whole clip and never jumps between runners. Tracks
seen in fewer than :data:`MIN_TRACK_FRAMES` frames are ignored. Rules (``PoseConfig.athlete``,
CLI ``--athlete``):

* ``auto`` (default): the largest score = frames tracked x median box height (the person
  tracked longest and largest), where a person moving against the direction of travel of
  the others (e.g. walking back) counts a quarter; the directions are over the ground
  when the camera's motion is known (a panning camera that follows the athlete makes the
  others cross the picture the other way);
* ``largest`` (nearest the camera), ``longest`` (most frames),
* ``leftmost`` / ``rightmost`` / ``top`` / ``bottom``: by the median centre of the person's
  box over the clip (side-on, ``top`` is the farthest lane, ``bottom`` the nearest).

``PoseConfig.person = k`` analyses the k-th candidate of :func:`people_in_order` instead
(every person of a group run in turn: ``posecheck batch --athlete all``); the analysis
warnings then carry :func:`person_note`, which :func:`people_count` reads back.
"""

from __future__ import annotations

import re

import numpy as np

from posecheck.config import ATHLETE_RULES

# ``Track`` in annotations: posecheck.pose.tracking.Track, not imported (tracking imports
# this module through posecheck.pose.budget)

#: Rules accepted by ``PoseConfig.athlete`` / ``--athlete``.
MIN_TRACK_FRAMES = 3
MIN_TRACK_SHARE = 0.2


def candidate_tracks(tracks: list[Track]) -> list[Track]:
    """Tracks that may be the athlete: seen in at least :data:`MIN_TRACK_FRAMES` frames and
    :data:`MIN_TRACK_SHARE` of the longest track's frames (drops false alarms)."""
    longest = max((len(t.rows) for t in tracks), default=0)
    need = max(MIN_TRACK_FRAMES, MIN_TRACK_SHARE * longest)
    return [t for t in tracks if len(t.rows) >= need]


def track_summary(tr: Track, background: np.ndarray | None = None) -> dict:
    """Frames, median box height and centre (px) and horizontal speed (box heights per
    second, + = right) of ``tr``; with ``background`` ((n, 2) px, the static background's
    displacement since the first frame, :attr:`posecheck.types.PoseSequence.background`,
    indexed by the track's rows; rows past its end take its last value) the speed is over
    the ground, not across a panning picture (the centre stays in the picture)."""
    c = np.asarray(tr.centers, dtype=np.float64)
    ground = c
    if background is not None and len(background) and len(c):
        bg = np.asarray(background, dtype=np.float64)
        ground = c - bg[np.minimum(np.asarray(tr.rows), len(bg) - 1)]
    h = float(np.median(tr.heights))
    t = np.asarray(tr.times)
    span = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    vx = float((ground[-1, 0] - ground[0, 0]) / span / max(h, 1.0)) if span > 0 else 0.0  # heights/s
    return {"id": tr.tid, "frames": len(tr.rows), "median_height_px": h,
            "median_center_px": np.median(c, axis=0), "speed_heights_per_s": vx}


def choose_track(tracks: list[Track], rule: str = "auto",
                 background: np.ndarray | None = None) -> Track | None:
    """The athlete's track under ``rule`` (see the module docstring); None if no track.
    ``background``: the camera's motion (:func:`track_summary`), for ``auto``'s direction
    of travel."""
    if rule not in ATHLETE_RULES:
        raise ValueError(f"athlete must be one of {', '.join(ATHLETE_RULES)}, not {rule!r}")
    if not tracks:
        return None
    s = {id(tr): track_summary(tr, background) for tr in tracks}
    if rule == "largest":
        key = lambda tr: s[id(tr)]["median_height_px"]
    elif rule == "longest":
        key = lambda tr: (s[id(tr)]["frames"], s[id(tr)]["median_height_px"])
    elif rule in ("leftmost", "rightmost", "top", "bottom"):
        axis = 0 if rule in ("leftmost", "rightmost") else 1
        sign = -1 if rule in ("leftmost", "top") else 1
        key = lambda tr: sign * s[id(tr)]["median_center_px"][axis]
    else:
        score = _auto_scores(s)
        key = lambda tr: score[id(tr)]
    return max(tracks, key=key)


def people_in_order(tracks: list[Track]) -> list[Track]:
    """The candidate tracks in the order the people appear (first frame seen), larger
    first among those that appear in the same frame (``person`` 1, 2, ...)."""
    return sorted(tracks, key=lambda tr: (min(tr.rows) if tr.rows else 0,
                                          -float(np.median(tr.heights)) if tr.heights else 0.0))


def person_note(k: int, n: int) -> str:
    """The analysis warning of a ``PoseConfig.person = k`` run among ``n`` people."""
    return f"person {k} of {n} tracked in the clip was analysed (in order of appearance)"


_PERSON_NOTE = re.compile(r"^person (\d+) of (\d+) tracked in the clip was analysed")


def people_count(warnings) -> int | None:
    """How many people :func:`person_note` in ``warnings`` says were tracked (None: no note)."""
    for w in warnings:
        m = _PERSON_NOTE.match(w)
        if m:
            return int(m.group(2))
    return None


def auto_scores(tracks: list[Track], background: np.ndarray | None = None) -> dict[int, float]:
    """The ``auto`` rule's score of each track, keyed by ``id(track)``: frames tracked x
    median box height (px), a quarter for a person moving against the others' travel over
    the ground (``background``: the camera's motion, see :func:`track_summary`)."""
    return _auto_scores({id(tr): track_summary(tr, background) for tr in tracks})


def _auto_scores(s: dict) -> dict[int, float]:
    score = {k: v["frames"] * v["median_height_px"] for k, v in s.items()}
    moving = [(score[k], v["speed_heights_per_s"]) for k, v in s.items()
              if abs(v["speed_heights_per_s"]) > 0.5]
    travel = np.sign(sum(w * v for w, v in moving)) if moving else 0.0
    for k, v in s.items():
        if travel and abs(v["speed_heights_per_s"]) > 0.5 and np.sign(v["speed_heights_per_s"]) != travel:
            score[k] *= 0.25
    return score
