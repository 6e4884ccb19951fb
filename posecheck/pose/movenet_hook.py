"""MoveNet inside the pose pass: keypoints on the crop of every possible athlete (issue #17).

The fused pose modes (``fused``: MoveNet Lightning, ``precise``: Thunder) need MoveNet on the
chosen athlete's crop, but the athlete is only chosen once everybody has been tracked. Rather
than decoding the clip a second time, the pose pass
(:func:`posecheck.pose.landmarker.track_frames`, on each chunk of
:mod:`posecheck.pose.parallel`) calls a :class:`CropHook` after tracking each frame, with the
frame it has already decoded. For every track on the *full* path that has landmarks on this
frame (:mod:`posecheck.pose.budget`: under the ``auto`` rule exactly the people who may be the
athlete; light tracks are skipped) MoveNet runs on the square crop around those landmarks
(:func:`posecheck.pose.fusion.body_boxes` of the packed float32 landmarks, i.e. the same
pixels the athlete's :class:`posecheck.types.PoseSequence` will hold, 1.25 × the box; see
:meth:`posecheck.pose.movenet.MoveNet.infer_box`), so the keypoints equal those of MoveNet
run on the athlete's rows afterwards.

The keypoints ride on the track as the attribute ``track.movenet``: ``{row: (17, 3) float64
[x_px, y_px, score]}`` in frame pixels, rows as ``track.rows``. :func:`track_keypoints` packs
them into an array aligned with ``track.rows`` (what a chunk returns and
:func:`posecheck.pose.parallel.stitch` carries, each frame's keypoints from the chunk that
owns it), :func:`set_track_keypoints` puts them back on a stitched track and
:func:`athlete_keypoints` gives the chosen track's keypoints per frame, NaN where MoveNet did
not run (the track was light there, off the stride grid, or not found).

On fast clips the hook runs on the ``stride`` grid only (file index ``% stride == 0`` and the
clip's last frame; :func:`posecheck.pose.refine.movenet_stride`); a frame repeating the
picture before it reuses that frame's keypoints.

Sessions: an ONNX Runtime session costs 60–90 ms to create (Lightning; Thunder ~140 ms) and
~20 ms more on its first run, measured on the 2-core machine. :func:`borrow` lends each
worker thread its own one-thread session from a process-wide pool, so a chunk, the chunk run
again, the frames :mod:`posecheck.pose.refine` still has to run and the next clip analysed in
the same process reuse them (at most one idle session per worker thread and variant is kept).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from posecheck.pose.fusion import body_boxes

N_KEYPOINTS = 17
MAX_IDLE = 4  #: idle sessions kept per variant

_POOL: dict[str, list] = {}
_POOL_LOCK = threading.Lock()


@contextlib.contextmanager
def borrow(variant: str) -> Iterator[object]:
    """A :class:`posecheck.pose.movenet.MoveNet` ``variant`` session with one intra-op thread
    for this thread's exclusive use while the block runs; returned to the pool afterwards."""
    with _POOL_LOCK:
        idle = _POOL.setdefault(variant, [])
        net = idle.pop() if idle else None
    if net is None:
        from posecheck.pose.movenet import MoveNet

        net = MoveNet(variant, threads=1)
    try:
        yield net
    finally:
        with _POOL_LOCK:
            idle = _POOL.setdefault(variant, [])
            if len(idle) < MAX_IDLE:
                idle.append(net)


@dataclass(frozen=True)
class CropSpec:
    """What the pose pass runs on the possible athletes' crops.

    ``variant``: MoveNet ``thunder`` / ``lightning``. ``stride``: run on frames whose file
    index is a multiple of it (1 = every frame). ``last_index``: the clip's last file index
    (run there too, so the frames before it can be filled in; -1 = unknown)."""

    variant: str
    stride: int = 1
    last_index: int = -1

    def __post_init__(self) -> None:
        if not isinstance(self.stride, int) or self.stride < 1:
            raise ValueError(f"stride must be an int >= 1, got {self.stride!r}")

    def on_grid(self, index: int) -> bool:
        return index % self.stride == 0 or index == self.last_index


class CropHook:
    """``hook(tracker, row, index, rgb, repeated)`` after the tracker has processed frame
    ``row`` (file index ``index``, full-size (H, W, 3) uint8 RGB ``rgb``; ``repeated``: the
    picture repeats the frame before): MoveNet ``net`` on the crop of each full track with
    landmarks on this row (module docstring). ``calls`` counts the model runs."""

    def __init__(self, spec: CropSpec, net):
        self.spec, self.net, self.calls = spec, net, 0

    def __call__(self, tracker, row: int, index: int, rgb: np.ndarray, repeated: bool) -> None:
        if not self.spec.on_grid(index):
            return
        for tr in tracker.tracks:
            if not (tr.active and tr.full and tr.rows and tr.rows[-1] == row):
                continue
            packed = tr.dets[-1]
            if np.isnan(packed[0, 0]):
                continue
            store = _store(tr)
            before = store.get(row - 1)
            if repeated and before is not None:
                store[row] = before
                continue
            box = body_boxes(packed[None, :, :2].astype(np.float64))[0]
            try:
                store[row] = self.net.infer_box(rgb, box)[0]
            except ValueError:  # a degenerate box (one landmark): MediaPipe's stay
                continue
            self.calls += 1


def _store(track) -> dict:
    store = getattr(track, "movenet", None)
    if store is None:
        store = {}
        track.movenet = store
    return store


def track_keypoints(track) -> np.ndarray:
    """(len(track.rows), 17, 3) keypoints aligned with ``track.rows``, NaN where none."""
    store = getattr(track, "movenet", None) or {}
    out = np.full((len(track.rows), N_KEYPOINTS, 3), np.nan)
    for k, r in enumerate(track.rows):
        kp = store.get(int(r))
        if kp is not None:
            out[k] = kp
    return out


def set_track_keypoints(track, keypoints: np.ndarray) -> None:
    """Put ``keypoints`` ((len(track.rows), 17, 3), NaN rows = none) on ``track``."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.shape != (len(track.rows), N_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape ({len(track.rows)}, 17, 3), got {kp.shape}")
    track.movenet = {int(r): kp[k] for k, r in enumerate(track.rows) if np.isfinite(kp[k, 0, 0])}


def athlete_keypoints(track, n_frames: int) -> np.ndarray:
    """(n_frames, 17, 3) keypoints of ``track`` per frame row, NaN where MoveNet did not run
    on it."""
    out = np.full((n_frames, N_KEYPOINTS, 3), np.nan)
    rows = np.asarray(track.rows, dtype=np.int64)
    if len(rows):
        ok = rows < n_frames
        out[rows[ok]] = track_keypoints(track)[ok]
    return out

