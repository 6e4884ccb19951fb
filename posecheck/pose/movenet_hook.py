"""MoveNet inside the pose pass: keypoints on the crop of every possible athlete (issue #17).

The fused pose modes (``fused``, ``precise``: MoveNet Lightning) need MoveNet on the chosen
athlete's crop, but the athlete is only chosen once everybody has been tracked. Rather
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

The keypoints ride on the track in its field ``Track.movenet``: ``{row: (17, 3) float64
[x_px, y_px, score]}`` in frame pixels (or a future of it), rows as ``track.rows``.
:func:`track_keypoints` packs them into an array aligned with ``track.rows`` (what a chunk
returns and :func:`posecheck.pose.parallel.stitch` carries, each frame's keypoints from the
chunk that owns it), :func:`set_track_keypoints` puts them back on a stitched track and
:func:`athlete_keypoints` gives the chosen track's keypoints per frame, NaN where MoveNet did
not run (the track was light there, off the stride grid, or not found).

MoveNet runs on threads of its own (:class:`MoveNetRunner`): the hook cuts the crop on the
pose thread (~1 ms) and queues it, and the keypoints wait in ``Track.movenet`` as futures
until the chunk hands its tracks over (:func:`track_keypoints` waits for them). The pose
threads never wait for MoveNet, so its work fills whatever core is free: on 2 cores the
chunks end together although the first one owns more MoveNet frames, and a single stream
runs MoveNet on the second core. Same crops, same keypoints as running it in line.

On fast clips the hook runs on the ``stride`` grid only (file index ``% stride == 0`` and the
clip's last frame; :func:`posecheck.pose.refine.movenet_stride`); a frame repeating the
picture before it reuses that frame's keypoints.

Session: creating an ONNX Runtime session costs 60–115 ms (Lightning; Thunder ~140 ms),
importing ONNX Runtime ~65 ms and the session's first run ~20 ms more, measured on the 2-core
machine. All worker threads share one session per variant (:func:`shared`; ONNX Runtime
allows concurrent runs on a session, and with one intra-op thread each run stays on its
caller's thread: two threads on one session measured as fast as on two sessions), created
once per process and kept, so the next clip analysed in the same process (batch, app) pays
nothing. :func:`preload` starts creating it on a background thread when the fused analysis
starts, while the pose workers are still opening their decoders and creating their
MediaPipe landmarkers (one at a time, see :mod:`posecheck.pose.landmarker`).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
from dataclasses import dataclass

import numpy as np

from posecheck.pose.fusion import body_boxes

N_KEYPOINTS = 17

_SESSIONS: dict[str, cf.Future] = {}
_SESSIONS_LOCK = threading.Lock()


def preload(variant: str) -> None:
    """Start creating the shared MoveNet ``variant`` session in the background (returns at
    once; a no-op once it exists or is being created)."""
    _session_future(variant)


def shared(variant: str):
    """The process-wide :class:`posecheck.pose.movenet.MoveNet` ``variant`` session (one
    intra-op thread), created on first use or by :func:`preload`; waits for it. Raises what
    creating it raised (:class:`posecheck.errors.ModelMissing`, ...); a failed creation is
    tried again on the next call."""
    return _session_future(variant).result()


def _session_future(variant: str) -> cf.Future:
    with _SESSIONS_LOCK:
        fut = _SESSIONS.get(variant)
        if fut is None or (fut.done() and fut.exception() is not None):
            fut = cf.Future()
            _SESSIONS[variant] = fut
            threading.Thread(target=_create, args=(variant, fut), daemon=True,
                             name="posecheck-movenet").start()
    return fut


def _create(variant: str, fut: cf.Future) -> None:
    try:
        from posecheck.pose.movenet import MoveNet

        net = MoveNet(variant, threads=1)
        net.infer(np.zeros((net.input_size, net.input_size, 3), np.uint8))  # first run allocates
    except BaseException as exc:  # handed to the caller of shared()
        fut.set_exception(exc)
    else:
        fut.set_result(net)


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


class MoveNetRunner:
    """MoveNet ``variant`` (the :func:`shared` session) on ``threads`` threads of its own.

    :meth:`submit` cuts the crop on the caller's thread and returns a future of the (17, 3)
    keypoints in frame pixels (as :meth:`posecheck.pose.movenet.MoveNet.infer_box`). At most
    ``max_pending`` crops wait at once (a caller then waits: a slow model holds the pose
    threads back rather than filling memory). ``shutdown()`` after the pass (waits for what
    is queued). ``net``: an object with ``cut`` and ``infer_cut`` instead of the session."""

    def __init__(self, variant: str, threads: int = 1, net=None, max_pending: int = 32):
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be an int >= 1, got {threads!r}")
        self.variant, self._net = variant, net
        self._slots = threading.BoundedSemaphore(max_pending)
        self._pool = cf.ThreadPoolExecutor(threads, thread_name_prefix="posecheck-movenet-run")

    def submit(self, rgb: np.ndarray, box) -> cf.Future:
        """Queue MoveNet on ``box`` (frame pixels) of ``rgb``; ValueError for a degenerate box
        (raised here, nothing queued)."""
        if self._net is None:
            self._net = shared(self.variant)
        image, crop = self._net.cut(rgb, box)
        self._slots.acquire()
        try:
            return self._pool.submit(self._run, image, crop)
        except BaseException:
            self._slots.release()
            raise

    def _run(self, image: np.ndarray, crop) -> np.ndarray:
        try:
            return self._net.infer_cut(image, crop)
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> "MoveNetRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


def _value(kp):
    """A stored keypoint array, waiting for it if it is still being computed."""
    return kp.result() if isinstance(kp, cf.Future) else kp


class CropHook:
    """``hook(tracker, row, index, rgb, repeated)`` after the tracker has processed frame
    ``row`` (file index ``index``, full-size (H, W, 3) uint8 RGB ``rgb``; ``repeated``: the
    picture repeats the frame before): MoveNet on the crop of each full track with landmarks
    on this row (module docstring), queued on ``runner`` (the keypoints are stored as
    futures). ``start``: frames with a lower file index are skipped (a chunk's lead-in, whose
    frames another chunk owns). ``calls`` counts the model runs."""

    def __init__(self, spec: CropSpec, runner: MoveNetRunner, start: int = 0):
        self.spec, self.runner, self.start, self.calls = spec, runner, int(start), 0

    def __call__(self, tracker, row: int, index: int, rgb: np.ndarray, repeated: bool) -> None:
        if index < self.start or not self.spec.on_grid(index):
            return
        for tr in tracker.tracks:
            if not (tr.active and tr.full and tr.rows and tr.rows[-1] == row):
                continue
            packed = tr.dets[-1]
            if np.isnan(packed[0, 0]):
                continue
            store = tr.movenet
            before = store.get(row - 1)
            if repeated and before is not None:
                store[row] = before
                continue
            box = body_boxes(packed[None, :, :2].astype(np.float64))[0]
            try:
                store[row] = self.runner.submit(rgb, box)
            except ValueError:  # a degenerate box (one landmark): MediaPipe's stay
                continue
            self.calls += 1


def track_keypoints(track) -> np.ndarray:
    """(len(track.rows), 17, 3) keypoints aligned with ``track.rows``, NaN where none (waits
    for those still being computed by a :class:`MoveNetRunner`)."""
    store = track.movenet
    out = np.full((len(track.rows), N_KEYPOINTS, 3), np.nan)
    for k, r in enumerate(track.rows):
        kp = store.get(int(r))
        if kp is not None:
            out[k] = _value(kp)
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

