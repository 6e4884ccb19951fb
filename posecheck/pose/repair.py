"""Landmarks for the chosen athlete's light stretches, after the pose pass.

Under the ``auto`` rule only the people who may be the athlete are followed in full; the
others are light tracks, followed between looks with NaN landmarks
(:mod:`posecheck.pose.budget`). If the track chosen at the end was light for a while,
:func:`repair_track` decodes those frames again and fills them: with the landmark network
when it followed the athlete (:class:`NetRepair`: the same landmarks as the athlete's other
frames, ~8 CPU ms a frame), else with a MediaPipe VIDEO landmarker on the region around the
followed centre. Called by :func:`posecheck.pose.parallel.estimate_video` through
:func:`posecheck.pose.landmarker.sequence_from_tracks`'s ``repair``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posecheck.pose import identity
from posecheck.pose.geometry import MAX_JUMP, ROI_MARGIN, pack, roi_for, to_detection, unpack
from posecheck.pose.landmark_net import NetFollower, net_for
from posecheck.pose.landmarker import _Landmarker, _timestamp_ms
from posecheck.pose.models import resolve_model
from posecheck.pose.net_track import plausible
from posecheck.types import N_LANDMARKS

if TYPE_CHECKING:  # (config imports the kinematics stack: not needed here)
    from posecheck.config import PoseConfig


def repair_track(track, index, path: str | Path, info, cfg: PoseConfig,
                 model_path: Path | None = None) -> int:
    """Full landmarks for the frames where ``track`` (the chosen athlete) was followed while
    it was a light track (:mod:`posecheck.pose.budget`: NaN landmarks): each such run of
    rows is decoded again from ``path`` (file indices ``index[row]``, a few frames early so
    the landmarker settles) and a VIDEO landmarker looks at the region of interest around
    the track's known centre and height (the landmark network, seeded from the nearest known
    pose, if it followed the athlete: :class:`NetRepair`). Results off the track (as in
    tracking) are left NaN. Returns the number of rows filled; ``track.dets`` is updated in
    place."""
    from posecheck.video.reader import iter_frames

    dets = np.asarray(track.dets) if track.dets else np.zeros((0, N_LANDMARKS, 9))
    gap = np.isnan(dets[:, 0, 0]) if len(dets) else np.zeros(0, bool)
    if not gap.any():
        return 0
    if model_path is None:
        model_path = resolve_model(cfg.model, cfg.model_dir)
    net, max_off = net_for(cfg), MAX_JUMP * ROI_MARGIN / 2
    pos = np.flatnonzero(gap)
    runs = np.split(pos, np.flatnonzero(np.diff(pos) > 1) + 1)
    by_row = {int(r): k for k, r in enumerate(track.rows)}
    filled = 0
    for run in runs:
        rows = [int(track.rows[k]) for k in run]
        first, last = rows[0], rows[-1]
        settle = [r for r in range(max(0, first - 5), first) if r in by_row]
        want = {int(index[r]): r for r in settle + rows}
        # the network, if it followed the athlete (the same landmarks as its other frames)
        repair = None if net is None else NetRepair(net, track, max_off)
        lm = _Landmarker(cfg, model_path, video=True, num_poses=1) if repair is None else None
        try:
            last_ms = -1
            with iter_frames(path, info=info, start=min(want), stop=max(want) + 1) as reader:
                for idx, t, rgb in reader:
                    r = want.get(int(idx))
                    if r is None:
                        continue
                    k = by_row[r]
                    last_ms = _timestamp_ms(t, last_ms)
                    if repair is not None:
                        packed = repair.fill(k, rgb, last_ms)
                        if packed is not None:
                            track.dets[k] = packed
                            filled += 1
                        continue
                    c, size = np.asarray(track.centers[k]), float(track.heights[k])
                    h_, w_ = rgb.shape[:2]
                    x0, y0, w, h = roi_for(c, max(size, 1.0), w_, h_)
                    poses = lm.detect(np.ascontiguousarray(rgb[y0:y0 + h, x0:x0 + w]), last_ms)
                    if not poses or not np.isnan(track.dets[k][0, 0]):
                        continue
                    d = to_detection(poses[0], x0, y0, w, h)
                    if np.linalg.norm(d.center - c) <= max_off * max(size, 1.0):
                        track.dets[k] = pack(d)
                        filled += 1
        finally:
            if lm is not None:
                lm.close()
    return filled


class NetRepair:
    """The network over a chosen track's light stretches again (:func:`repair_track`),
    instead of a MediaPipe VIDEO landmarker: the same network as the track's other frames
    (unsmoothed landmarks, :attr:`posecheck.types.PoseSequence.smoothed`) at about half the
    cost a frame.

    Feed the track's rows in order with :meth:`fill` (full-frame RGB). A row that has
    landmarks seeds the next; a light row gets the network's pose seeded from the last
    known or repaired one, moved to the row's followed centre; a result farther than
    ``max_off`` x the row's height from that centre, without a trunk, or unlike the track's
    appearance (:class:`posecheck.pose.identity.Appearance`: a runner beside them) is not
    taken (the row stays NaN) and the next row is seeded again."""

    def __init__(self, net, track, max_off: float):
        self.track, self.max_off = track, max_off
        self.follower = NetFollower(net, smooth=False)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # (33, 2) xy, its centre
        self.calls = 0

    def fill(self, k: int, rgb: np.ndarray, ms: int) -> np.ndarray | None:
        """Row ``k`` of the track (an index into its rows) on its frame ``rgb``: the packed
        pose (:func:`posecheck.pose.geometry.pack`) for a light row, or None (not light, or
        no acceptable pose)."""
        det = np.asarray(self.track.dets[k])
        if not np.isnan(det[0, 0]):
            d = unpack(det)
            self._last, self.follower.roi = (d.xy, d.center), None
            return None
        if self._last is None:
            self._last = self._nearest_known(k)
            if self._last is None:
                return None
        c = np.asarray(self.track.centers[k], dtype=np.float64)
        size = max(float(self.track.heights[k]), 1.0)
        if self.follower.roi is None and not self.follower.seed(self._last[0] + (c - self._last[1])):
            return None
        self.calls += 1
        h, w = rgb.shape[:2]
        poses = self.follower.detect(rgb, ms)
        cand = to_detection(poses[0], 0, 0, w, h) if poses else None
        if cand is None or not plausible(cand) or np.linalg.norm(cand.center - c) > self.max_off * size \
                or not self.track.appearance.alike(identity.body_histograms(rgb, cand.xy)):
            self.follower.roi = None  # (nobody there, or someone else: a runner beside them)
            return None
        self._last = (cand.xy, cand.center)
        return pack(cand)

    def _nearest_known(self, k: int):
        dets = self.track.dets
        order = sorted(range(len(dets)), key=lambda j: abs(j - k))
        for j in order:
            if not np.isnan(np.asarray(dets[j])[0, 0]):
                d = unpack(np.asarray(dets[j]))
                return d.xy, d.center
        return None
