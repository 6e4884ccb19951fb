#!/usr/bin/env python3
"""Rebuild posecheck's ONNX landmark networks (no segmentation head) from the committed models.

Usage:
    python tools/build_landmark_net.py                         # lite + full
    python tools/build_landmark_net.py --venv /tmp/v --out /tmp/out --ref-dir /tmp/ref   # a trial build

What it does:

1. Takes ``pose_landmarks_detector.tflite`` out of each committed (SHA-256 verified)
   ``posecheck/pose/model_files/pose_landmarker_<variant>.task`` (itself rebuilt from the
   ``@mediapipe/pose`` npm package by ``tools/build_models.py``).
2. Creates (once) the throwaway virtualenv of ``tools/build_movenet.py`` (the exact versions
   of ``tools/movenet_build_requirements.txt``: TensorFlow 2.15, tf2onnx 1.16.1, onnx, ONNX
   Runtime; none of it is a posecheck dependency and CI never needs it) and runs
   ``tools/landmark_net_convert.py`` there with a fixed ``PYTHONHASHSEED``: TFLite outputs on
   the reference crops (the 256-px MoveNet crops in ``tests/pose/data/``) -> tf2onnx opset 17
   -> cut to the landmark, flag, heatmap and world outputs -> float16 storage -> canonical
   names and order -> ONNX Runtime outputs compared with TFLite's.
3. Writes ``posecheck/pose/model_files/pose_landmarks_<variant>.onnx`` and
   ``tests/pose/data/landmark_net_reference.json`` and checks each model against
   ``posecheck.pose.models.LANDMARK_NET_SHA256`` (also in ``model_files/SHA256SUMS``).

Exit status 1 when a built file's checksum differs from the recorded one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from build_movenet import DEFAULT_VENV, ensure_venv, install_checked, merge_reference  # noqa: E402

from posecheck.pose.models import LANDMARK_NET_SHA256, resolve_model  # noqa: E402

CONVERTER = ROOT / "tools" / "landmark_net_convert.py"
REFERENCE_CROPS = ("movenet_crop_front_side_60fps_f45_256.png", "movenet_crop_back_kick_60fps_f100_256.png")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=list(LANDMARK_NET_SHA256), choices=list(LANDMARK_NET_SHA256))
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"build virtualenv (default {DEFAULT_VENV})")
    ap.add_argument("--out", type=Path, default=ROOT / "posecheck" / "pose" / "model_files")
    ap.add_argument("--ref-dir", type=Path, default=ROOT / "tests" / "pose" / "data",
                    help="where landmark_net_reference.json goes (the crops are read from tests/pose/data)")
    args = ap.parse_args(argv)
    py = ensure_venv(args.venv)
    args.out.mkdir(parents=True, exist_ok=True)
    args.ref_dir.mkdir(parents=True, exist_ok=True)
    crops = [ROOT / "tests" / "pose" / "data" / name for name in REFERENCE_CROPS]
    reference = {"how": "TensorFlow Lite 2.15 (float32 kernels, one thread) on the crops scaled to [0, 1]; "
                        "see tools/build_landmark_net.py", "variants": {}}
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
        env.pop("PYTHONPATH", None)
        for variant in args.variants:
            task = resolve_model(variant)
            tflite = tmp / f"{variant}.tflite"
            with zipfile.ZipFile(task) as z:
                tflite.write_bytes(z.read("pose_landmarks_detector.tflite"))
            part, ref = tmp / f"pose_landmarks_{variant}.onnx", tmp / f"{variant}.json"
            subprocess.run([str(py), str(CONVERTER), str(tflite), str(part), str(ref), variant,
                            *map(str, crops)], check=True, env=env)
            ok &= install_checked(part, args.out, LANDMARK_NET_SHA256[variant])
            reference["variants"][variant] = json.loads(ref.read_text())
    merge_reference(args.ref_dir / "landmark_net_reference.json", reference)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
