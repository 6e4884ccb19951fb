#!/usr/bin/env python3
"""End-to-end speed benchmark: bare MediaPipe loop vs analyze_video vs analyze + export.

Runs each stage in its own subprocess on the same clip, one after the other in ONE run, so
machine noise largely cancels in the ratios:

  (a) bare   — OpenCV decode + MediaPipe ``detect_for_video`` in one process, nothing else
  (b) analyze — ``posecheck.analyze_video`` (no export)
  (c) export  — ``analyze_video`` + ``write_outputs`` (CSV, JSON, annotated H.264 video)

Prints frames/s for each, the ratios b/a and c/a, and each stage's peak RSS.

Usage:
    python bench/bench_pipeline.py [CLIP] [--model full] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_STAGES = {
    "bare": r"""
import time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from posecheck.models import resolve_model
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_model(MODEL))),
                                    running_mode=vision.RunningMode.VIDEO)
t0 = time.perf_counter(); n = 0
with vision.PoseLandmarker.create_from_options(opts) as lm:
    cap = cv2.VideoCapture(CLIP)
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), n * 17)
        n += 1
RESULT = {"frames": n, "seconds": time.perf_counter() - t0}
""",
    "analyze": r"""
import time
from posecheck import analyze_video
from posecheck.config import Config, PoseConfig
import mediapipe  # imported before the clock starts, as in the bare stage
t0 = time.perf_counter()
a = analyze_video(CLIP, Config(pose=PoseConfig(model=MODEL)))
RESULT = {"frames": a.pose.n_frames, "seconds": time.perf_counter() - t0}
""",
    "export": r"""
import time
from posecheck import analyze_video
from posecheck.config import Config, PoseConfig
from posecheck.export import write_outputs
t0 = time.perf_counter()
a = analyze_video(CLIP, Config(pose=PoseConfig(model=MODEL)))
write_outputs(a, OUT)
RESULT = {"frames": a.pose.n_frames, "seconds": time.perf_counter() - t0}
""",
}


def run_stage(stage: str, clip: str, model: str, out: str) -> dict:
    code = (f"CLIP, MODEL, OUT = {clip!r}, {model!r}, {out!r}\n" + _STAGES[stage]
            + "\nimport json, resource\nRESULT['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            + "print('@@' + json.dumps(RESULT))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{proc.stderr[-2000:]}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("@@"))
    return json.loads(line[2:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(ROOT / "sample_videos" / "front_side_60fps.mp4"))
    ap.add_argument("--model", default="full")
    ap.add_argument("--repeat", type=int, default=1, help="runs per stage; the best is kept")
    args = ap.parse_args()
    # warm numba's cache and the OS file cache so no stage pays a one-off cost
    run_stage("analyze", args.clip, args.model, "")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for stage in ("bare", "analyze", "export"):
            runs = [run_stage(stage, args.clip, args.model, tmp) for _ in range(args.repeat)]
            results[stage] = min(runs, key=lambda r: r["seconds"])
    fps = {k: r["frames"] / r["seconds"] for k, r in results.items()}
    print(f"clip: {args.clip}  model: {args.model}  frames: {results['bare']['frames']}")
    for k in ("bare", "analyze", "export"):
        print(f"  {k:<8} {fps[k]:7.1f} frames/s  {results[k]['seconds']:6.2f} s  peak RSS {results[k]['peak_rss_mb']:6.0f} MB")
    print(f"  ratio analyze/bare = {fps['analyze'] / fps['bare']:.2f}   export/bare = {fps['export'] / fps['bare']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
