"""MediaPipe's pose landmark network run directly, without its segmentation head.

A MediaPipe ``PoseLandmarker`` call that tracks a person (VIDEO mode) costs ~16-18 CPU ms
on 2 cores (full model), and ~93 % of that is the landmark network. About 45 % of the
network's time is its 256x256 *segmentation* head, which MediaPipe computes on every call
although posecheck never asks for the mask. ``tools/build_landmark_net.py`` converts the
network of the committed ``pose_landmarker_<variant>.task`` to ONNX with that head cut off
(``pose_landmarks_<variant>.onnx``, package data, verified by SHA-256); run here with ONNX
Runtime on one thread it costs ~10-13 CPU ms (full) per call with the same landmarks (measured
against TFLite: < 1e-3 input pixels, ``tests/pose/data/landmark_net_reference.json``).

This module does what MediaPipe's tracking graph does around the network, for one person
whose approximate pose is known:

* **Region of interest** (:class:`Roi`): a square centred on the network's first auxiliary
  landmark (index 33, between the hips), of side 2 x 1.25 x its distance to the second
  (index 34, above the head), rotated so that 33 -> 34 points up. The first ROI of a person
  comes from a known pose (:func:`roi_from_pose`: the same square from the hip midpoint and
  the farthest landmark, rotated by the hips -> shoulders axis); every later one from the
  previous result's auxiliary landmarks (:func:`roi_from_aux`).
* **Input**: the ROI warped to 256x256 (bilinear, black outside the frame), RGB in [0, 1].
* **Output**: 39 landmarks in input pixels; x and y refined on the 64x64 heatmap (the
  confidence-weighted centroid of a 7x7 window when its peak confidence is >= 0.5, as
  MediaPipe does), mapped back through the ROI's rotation; visibility and presence are the
  sigmoids of their logits; the pose counts as found when the network's flag is >= 0.5.

Over time (:class:`NetFollower`), with the parameters of MediaPipe's pose graph: the
auxiliary landmarks that place the next ROI through a one-euro filter (:class:`OneEuro`: min
cutoff 0.01 Hz, beta 10, derivative cutoff 1 Hz, speeds in body sizes per second), and
visibility through a low-pass filter (0.1 of each new value). MediaPipe also smooths the 33
landmarks (min cutoff 0.05 Hz, beta 80); :data:`SMOOTH_POINTS` does the same, off by default:
posecheck filters the joint angles itself, and on the sample the smoothed trunk lost half its
flight-phase fall (the flight clock read 1.48 instead of ~1; docs/metrics.md §8c). A stable
ROI is what matters: without the auxiliary smoothing, the crouched start of a held-out clip
was followed on a wrong pose for 15 frames longer. World landmarks are not smoothed
(posecheck does not use them).

Nothing here imports mediapipe; ``onnxruntime`` is imported when a network is first loaded.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from posecheck.types import N_LANDMARKS

INPUT_SIZE = 256          #: the network's square input (pixels)
HEATMAP_SIZE = 64         #: its heatmap's side
N_NET_LANDMARKS = 39      #: 33 body landmarks + 6 auxiliary (33, 34: the ROI)
ROI_SCALE = 1.25          #: ROI side = 2 x this x the auxiliary landmarks' distance
REFINE_KERNEL = 7         #: heatmap window (cells) of the refinement ...
REFINE_MIN_CONF = 0.5     #: ... applied when its peak confidence reaches this
MIN_FLAG = 0.5            #: the network's pose flag below this = nobody in the ROI
MIN_ROI_SIDE = 16.0       #: smaller ROIs (pixels) are refused
HIP_L, HIP_R, SHOULDER_L, SHOULDER_R = 23, 24, 11, 12
MAX_SEED_TURN = math.radians(120)  #: a first ROI turned further than this starts upright


@dataclass(frozen=True)
class Roi:
    """A rotated square of the image: centre ``(cx, cy)`` and ``side`` in pixels,
    ``rotation`` in radians (positive = the ROI's up axis turned clockwise on the image,
    whose y axis points down; 0 = upright)."""

    cx: float
    cy: float
    side: float
    rotation: float

    def valid(self) -> bool:
        return all(map(math.isfinite, (self.cx, self.cy, self.side, self.rotation))) and \
            self.side >= MIN_ROI_SIDE


def _roi(center: np.ndarray, top: np.ndarray) -> Roi:
    """The square around ``center`` reaching ``top`` (both (2,) px), as MediaPipe builds it
    from its alignment points: side 2 x :data:`ROI_SCALE` x their distance, rotated so that
    center -> top points up."""
    dx, dy = float(top[0] - center[0]), float(top[1] - center[1])
    rotation = math.pi / 2 - math.atan2(-dy, dx)
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    return Roi(float(center[0]), float(center[1]), 2 * ROI_SCALE * math.hypot(dx, dy), rotation)


def roi_from_aux(aux: np.ndarray) -> Roi:
    """The next frame's ROI from a result's auxiliary landmarks ``aux`` ((2, 2) px: index 33
    then 34 of the network's 39)."""
    return _roi(aux[0], aux[1])


def roi_from_pose(xy: np.ndarray) -> Roi:
    """A first ROI for a person whose 33 landmarks are ``xy`` ((33, 2) px, NaN allowed):
    centred on the hips' midpoint, reaching the farthest landmark, turned by the hips ->
    shoulders axis; upright when the shoulders are unknown or the axis is more than
    :data:`MAX_SEED_TURN` from upright (a runner's trunk never is, even in the blocks: such a
    pose has its shoulders and hips mixed up, and the network, given an upside-down crop,
    would keep it upside down)."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape != (N_LANDMARKS, 2):
        raise ValueError(f"xy must have shape ({N_LANDMARKS}, 2), got {xy.shape}")
    hips = np.nanmean(xy[[HIP_L, HIP_R]], axis=0)
    if not np.isfinite(hips).all():
        hips = np.nanmean(xy, axis=0)
    reach = float(np.nanmax(np.linalg.norm(xy - hips, axis=1)))
    up = np.nanmean(xy[[SHOULDER_L, SHOULDER_R]], axis=0) - hips
    norm = float(np.linalg.norm(up)) if np.isfinite(up).all() else 0.0
    direction = up / norm if norm > 0 else np.array([0.0, -1.0])
    if -direction[1] < math.cos(MAX_SEED_TURN):  # (image y points down)
        direction = np.array([0.0, -1.0])
    return _roi(hips, hips + reach * direction)


def _affine(roi: Roi) -> np.ndarray:
    """(2, 3) map from network input pixels to image pixels."""
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    k = roi.side / INPUT_SIZE
    half = INPUT_SIZE / 2
    # image = centre + R @ ((u - half) * k, (v - half) * k)
    return np.array([[c * k, -s * k, roi.cx - (c * half - s * half) * k],
                     [s * k, c * k, roi.cy - (s * half + c * half) * k]])


def warp_input(rgb: np.ndarray, roi: Roi) -> np.ndarray:
    """The network's input for ``roi`` of ``rgb`` ((H, W, 3) uint8): (1, 256, 256, 3)
    float32 in [0, 1], black outside the image."""
    m = cv2.invertAffineTransform(_affine(roi))
    patch = cv2.warpAffine(rgb, m, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return (patch.astype(np.float32) * np.float32(1 / 255.0))[None]


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(v, -60, 60)))


def refine_on_heatmap(uv: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Landmarks ``uv`` ((K, 2) input pixels) moved to the confidence-weighted centroid (in
    heatmap cells, as MediaPipe computes it) of the :data:`REFINE_KERNEL` window of their
    heatmap channel (``heatmap``: (64, 64, K) logits) around them, where the window's peak
    confidence is >= :data:`REFINE_MIN_CONF`; cells outside the heatmap do not count.
    Returns a copy."""
    out = np.array(uv, dtype=np.float64)
    k = out.shape[0]
    cells = INPUT_SIZE / HEATMAP_SIZE
    half = REFINE_KERNEL // 2
    with np.errstate(invalid="ignore"):
        col = np.floor(out[:, 0] / cells)
        row = np.floor(out[:, 1] / cells)
    inside = (col >= 0) & (col < HEATMAP_SIZE) & (row >= 0) & (row < HEATMAP_SIZE)
    if not inside.any():
        return out
    col, row = np.where(inside, col, 0).astype(np.int64), np.where(inside, row, 0).astype(np.int64)
    offs = np.arange(-half, half + 1)
    rr, cc = row[:, None] + offs, col[:, None] + offs                       # (K, kernel)
    ok = ((rr >= 0) & (rr < HEATMAP_SIZE))[:, :, None] & ((cc >= 0) & (cc < HEATMAP_SIZE))[:, None, :]
    logits = heatmap[np.clip(rr, 0, HEATMAP_SIZE - 1)[:, :, None],
                     np.clip(cc, 0, HEATMAP_SIZE - 1)[:, None, :], np.arange(k)[:, None, None]]
    conf = np.where(ok, _sigmoid(logits.astype(np.float64)), 0.0)            # (K, kernel, kernel)
    total = conf.sum(axis=(1, 2))
    use = inside & (conf.max(axis=(1, 2)) >= REFINE_MIN_CONF) & (total > 0)
    safe = np.where(total > 0, total, 1.0)
    out[use, 0] = ((conf * cc[:, None, :]).sum(axis=(1, 2)) / safe * cells)[use]
    out[use, 1] = ((conf * rr[:, :, None]).sum(axis=(1, 2)) / safe * cells)[use]
    return out


@dataclass(frozen=True)
class NetResult:
    """One result of :meth:`LandmarkNet.run`.

    Attributes:
        xy: (33, 2) image pixels.
        z: (33,) depth in image pixels (MediaPipe's convention: same scale as x, smaller =
            nearer the camera, relative to the hips).
        visibility, presence: (33,) probabilities.
        world: (33, 3) metres, hip-centred (x right, y down, as MediaPipe's world landmarks,
            turned with the ROI).
        aux: (2, 2) image pixels of auxiliary landmarks 33 and 34 (the next ROI).
        flag: the network's probability that a person fills the ROI.
    """

    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    aux: np.ndarray
    flag: float

    def raw(self, width: int, height: int) -> np.ndarray:
        """(33, 8) float64 as a MediaPipe landmarker returns a pose on a ``width`` x
        ``height`` image (see :data:`posecheck.pose.geometry.RawPose`)."""
        out = np.empty((N_LANDMARKS, 8))
        out[:, 0] = self.xy[:, 0] / width
        out[:, 1] = self.xy[:, 1] / height
        out[:, 2] = self.z / width
        out[:, 3], out[:, 4] = self.visibility, self.presence
        out[:, 5:8] = self.world
        return out


class LandmarkNet:
    """The ONNX landmark network (``pose_landmarks_<variant>.onnx``) on one thread; one
    instance can serve several threads at once (ONNX Runtime's ``run`` is thread-safe).

    Args:
        path: the verified model file (:func:`posecheck.pose.models.resolve_landmark_net`).
    """

    def __init__(self, path: str | Path):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._outputs = ["Identity", "Identity_1", "Identity_3", "Identity_4"]
        self.calls = 0
        self._lock = threading.Lock()

    def run(self, rgb: np.ndarray, roi: Roi) -> NetResult:
        """The network on ``roi`` of ``rgb`` ((H, W, 3) uint8 RGB); see the module docstring."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
        if not roi.valid():
            raise ValueError(f"invalid region of interest {roi}")
        lm, flag, heatmap, world = self._session.run(self._outputs, {"input_1": warp_input(rgb, roi)})
        with self._lock:
            self.calls += 1
        lm = lm.reshape(N_NET_LANDMARKS, 5).astype(np.float64)
        uv = refine_on_heatmap(lm[:, :2], heatmap[0])
        m = _affine(roi)
        xy = uv @ m[:, :2].T + m[:, 2]
        c, s = math.cos(roi.rotation), math.sin(roi.rotation)
        w = world.reshape(N_NET_LANDMARKS, 3).astype(np.float64)
        world_xy = w[:, :2] @ np.array([[c, s], [-s, c]])
        n = N_LANDMARKS
        return NetResult(xy=xy[:n], z=lm[:n, 2] * roi.side / INPUT_SIZE,
                         visibility=_sigmoid(lm[:n, 3]), presence=_sigmoid(lm[:n, 4]),
                         world=np.column_stack([world_xy[:n], w[:n, 2]]), aux=xy[n:n + 2],
                         flag=float(np.ravel(flag)[0]))


class OneEuro:
    """One-euro filter (Casiez et al., CHI 2012) as MediaPipe applies it to landmarks:
    values in pixels, the speed that opens the cutoff measured in object sizes per second.

    Args:
        min_cutoff: cutoff (Hz) of a still value.
        beta: how much the cutoff grows with the speed (object sizes per second).
        d_cutoff: cutoff (Hz) of the speed's own low-pass filter.
    """

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self.value: np.ndarray | None = None   # the last output
        self.raw: np.ndarray | None = None     # the last input
        self.speed: np.ndarray | None = None
        self.t: float | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, rate: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * np.maximum(cutoff, 1e-9))
        return 1.0 / (1.0 + tau * rate)

    def __call__(self, value: np.ndarray, t: float, scale: float) -> np.ndarray:
        """The filtered ``value`` (any shape, pixels) at time ``t`` (s); ``scale``: the
        object's size (pixels) that speeds are measured in."""
        value = np.asarray(value, dtype=np.float64)
        if self.value is None or self.t is None or t <= self.t or value.shape != self.value.shape \
                or not np.isfinite(self.value).all():
            self.value, self.raw, self.speed, self.t = value.copy(), value.copy(), np.zeros_like(value), t
            return value.copy()
        rate = 1.0 / (t - self.t)
        speed = (value - self.raw) / max(scale, 1e-9) * rate  # (from the raw values, as MediaPipe)
        self.raw = value.copy()
        a_d = self._alpha(self.d_cutoff, rate)
        self.speed = a_d * speed + (1 - a_d) * self.speed
        a = self._alpha(self.min_cutoff + self.beta * np.abs(self.speed), rate)
        self.value = a * value + (1 - a) * self.value
        self.t = t
        return self.value.copy()


#: MediaPipe's pose graph: landmarks (x, y, z), visibility (share of each new value), and
#: the auxiliary landmarks that place the next ROI (see the module docstring)
LANDMARK_FILTER = (0.05, 80.0, 1.0)
VISIBILITY_ALPHA = 0.1
AUX_FILTER = (0.01, 10.0, 1.0)
#: smooth the 33 landmarks too (MediaPipe does); off: measured better for the flight clock
#: and the same for angles, events mixed (docs/metrics.md §8c)
SMOOTH_POINTS = False


class NetFollower:
    """One person followed by a :class:`LandmarkNet`, as a landmarker of
    :class:`posecheck.pose.tracking.AthleteTracker` would be: :meth:`seed` with a known pose,
    then :meth:`detect` on each frame (the whole image; results normalised to it). The ROI
    comes from the last result's smoothed auxiliary landmarks; visibility (and, with
    :data:`SMOOTH_POINTS`, the landmarks) are smoothed over time (``smooth``; the module
    docstring); after a miss the follower must be seeded again (the smoothing starts afresh)."""

    def __init__(self, net: LandmarkNet, smooth: bool = True):
        self.net, self.smooth = net, smooth
        self.roi: Roi | None = None
        self._reset()

    def _reset(self) -> None:
        self._points = OneEuro(*LANDMARK_FILTER)
        self._aux = OneEuro(*AUX_FILTER)
        self._visibility: np.ndarray | None = None

    def seed(self, xy: np.ndarray) -> bool:
        """Start from the 33 landmarks ``xy`` ((33, 2) image px); False if they give no usable ROI."""
        roi = roi_from_pose(xy)
        self.roi = roi if roi.valid() else None
        self._reset()
        return self.roi is not None

    def detect(self, rgb: np.ndarray, ms: int = 0) -> list[np.ndarray]:
        """``[raw]`` ((33, 8), normalised to ``rgb``) or ``[]`` (nobody, or not seeded);
        ``ms``: the frame's timestamp (milliseconds, increasing), for the smoothing."""
        if self.roi is None:
            return []
        res = self.net.run(rgb, self.roi)
        if res.flag < MIN_FLAG:
            self.roi = None
            return []
        aux = res.aux
        if self.smooth:
            t = ms / 1000.0
            x0, y0 = np.nanmin(res.xy, axis=0)
            x1, y1 = np.nanmax(res.xy, axis=0)
            size = ((x1 - x0) + (y1 - y0)) / 2  # MediaPipe's object scale
            xy, z = res.xy, res.z
            if SMOOTH_POINTS:
                pts = self._points(np.column_stack([xy, z]), t, size)
                xy, z = pts[:, :2], pts[:, 2]
            vis = res.visibility if self._visibility is None else \
                VISIBILITY_ALPHA * res.visibility + (1 - VISIBILITY_ALPHA) * self._visibility
            self._visibility = vis
            aux = self._aux(res.aux, t, size)
            res = replace(res, xy=xy, z=z, visibility=vis, aux=aux)
        nxt = roi_from_aux(aux)
        self.roi = nxt if nxt.valid() else None
        return [res.raw(rgb.shape[1], rgb.shape[0])]


_NETS: dict[str, LandmarkNet] = {}
_NETS_LOCK = threading.Lock()


def shared_net(path: str | Path) -> LandmarkNet:
    """One :class:`LandmarkNet` per model file for the whole process (~20 MB each), made on
    first use."""
    key = str(Path(path).resolve())
    with _NETS_LOCK:
        if key not in _NETS:
            _NETS[key] = LandmarkNet(key)
        return _NETS[key]


def follows_with_net(cfg) -> bool:
    """Whether a :class:`posecheck.config.PoseConfig` ``cfg`` (of a MediaPipe model) has the
    landmark network follow the people: ``landmark_net`` is on and the ``model`` has a
    network (``lite``, ``full``). Its landmarks are then not temporally smoothed
    (:attr:`posecheck.types.PoseSequence.smoothed`)."""
    from posecheck.pose.models import LANDMARK_NET_SHA256

    return bool(getattr(cfg, "landmark_net", False)) and cfg.model in LANDMARK_NET_SHA256


def net_for(cfg) -> LandmarkNet | None:
    """The shared network for a ``cfg`` that :func:`follows_with_net`, else ``None``."""
    from posecheck.pose.models import resolve_landmark_net

    return shared_net(resolve_landmark_net(cfg.model)) if follows_with_net(cfg) else None
