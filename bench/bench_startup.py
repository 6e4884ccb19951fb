#!/usr/bin/env python3
"""Fixed costs of one analysis: where a short clip's time goes before and around the frames.

Issue #18 ("Start-up") asks that on a 3-second clip the fixed costs — model creation, the
first people search, chunk start-up — be measured and cut, and issue #17 that the default
mode be no slower than the bare MediaPipe loop on the same clip, which on a 3-s clip is
decided by those costs. This script measures them: each round runs
``posecheck.analyze_video`` (no export) in a fresh subprocess, as ``bench_pipeline.py``
does, with timers wrapped around the pieces (monkeypatched in that subprocess only; the
package is not changed):

* **landmarkers built** (``pose.landmarker._Landmarker``): how many, and their wall time
  (including the wait for ``_CREATE_LOCK``: one is built at a time) and CPU time of the
  building thread;
* **people searches** (``AthleteTracker._discover``): how many, their wall time, and the
  whole-tile IMAGE calls they made (``tracker.stats["tile_calls"]``); the first one of each
  chunk is on the frame-0 path;
* **chunk start-up**: per chunk, the time from the chunk's start to its first tracked frame
  (decoder opened, frames before the lead-in decoded and dropped, first landmarker built,
  first pose found), and its lead-in frames (processed twice: by this chunk to match
  tracks, by the previous chunk as its own);
* **MoveNet session** (fused modes, ``movenet_hook._create``, on a background thread):
  ONNX Runtime import + session + first run;
* **model checksums** (``pose.models.file_sha256``, first use in a process);
* the pose pass as a whole and what follows it on the main thread (kinematics, events,
  strides, verdict).

Usage:
    python bench/bench_startup.py [CLIP] [--model fused] [--workers N] [--repeat 3]

Prints one markdown table (median over the rounds) and the analysis' wall time. Times are
wall seconds unless marked CPU; on a loaded machine they stretch, compare shares.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLIP = ROOT / "sample_videos" / "front_side_60fps.mp4"

_ROUND = r"""
import json, threading, time
import mediapipe  # imported before the clock, as in bench_pipeline's stages
import posecheck.pipeline as pl
from posecheck.config import Config, PoseConfig
from posecheck.pose import landmarker, models, movenet_hook, parallel, tracking

LOCK = threading.Lock()
R = {"build": [], "build_inside": [], "search": [], "tile_calls": 0, "first_frame": {},
     "chunk_start": {}, "movenet_session": [], "sha256": [], "plan": [], "chunks": []}

def timed(owner, name, key, cpu_key=None):
    f = getattr(owner, name)
    def g(*a, **k):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return f(*a, **k)
        finally:
            with LOCK:
                R[key].append(time.perf_counter() - t)
                if cpu_key:
                    R[cpu_key].append(time.thread_time() - c)
    setattr(owner, name, g)

timed(landmarker._Landmarker, "__init__", "build")
from mediapipe.tasks.python import vision
_create = vision.PoseLandmarker.create_from_options
def create_from_options(options):  # the build itself, inside landmarker._CREATE_LOCK
    t = time.perf_counter()
    try:
        return _create(options)
    finally:
        with LOCK:
            R["build_inside"].append(time.perf_counter() - t)
vision.PoseLandmarker.create_from_options = staticmethod(create_from_options)
timed(tracking.AthleteTracker, "_discover", "search")
timed(movenet_hook, "_create", "movenet_session")
timed(models, "file_sha256", "sha256")

_process, _close = tracking.AthleteTracker.process, tracking.AthleteTracker.close
def process(self, *a, **k):
    out = _process(self, *a, **k)
    name = threading.current_thread().name
    with LOCK:
        R["first_frame"].setdefault(name, time.perf_counter() - T0)
    return out
def close(self):
    with LOCK:
        R["tile_calls"] += self.stats["tile_calls"]
    return _close(self)
tracking.AthleteTracker.process, tracking.AthleteTracker.close = process, close

_chunk = parallel._pose_chunk
def pose_chunk(*a, **k):
    with LOCK:
        R["chunk_start"].setdefault(threading.current_thread().name, time.perf_counter() - T0)
    return _chunk(*a, **k)
parallel._pose_chunk = pose_chunk
_plan = parallel.plan_chunks
def plan_chunks(*a, **k):
    p = _plan(*a, **k)
    R["plan"] = [list(c) for c in p]
    return p
parallel.plan_chunks = plan_chunks
_stitch = parallel.stitch
def stitch(results, plan):
    R["chunks"] = [float(r["seconds"]) for r in results]
    return _stitch(results, plan)
parallel.stitch = stitch
POSE = {}
for _name in ("estimate_video", "estimate_fused"):
    def _wrap(f, _name=_name):
        def g(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                POSE["end"] = time.perf_counter() - T0
                POSE["seconds"] = time.perf_counter() - t
        return g
    setattr(pl, _name, _wrap(getattr(pl, _name)))

T0 = time.perf_counter()
a = pl.analyze_video(CLIP, Config(pose=PoseConfig(model=MODEL, workers=WORKERS)))
R["total"] = time.perf_counter() - T0
R["pose"] = POSE.get("seconds", float("nan"))
R["after_pose"] = R["total"] - POSE.get("end", float("nan"))
R["frames"] = int(a.pose.n_frames)
print("@@" + json.dumps(R))
"""


def run_round(clip: str, model: str, workers: int | None) -> dict:
    code = f"CLIP, MODEL, WORKERS = {clip!r}, {model!r}, {workers!r}\n" + _ROUND
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"the analysis failed:\n{proc.stderr[-2000:]}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("@@"))
    return json.loads(line[2:])


def summarise(r: dict) -> list[tuple[str, float, bool]]:
    """One round's fixed costs: ``(label, value, is_seconds)`` rows (wall seconds)."""
    starts = [r["first_frame"][k] - r["chunk_start"].get(k, 0.0) for k in r["first_frame"]]
    plan = r["plan"] or [[0, 0, r["frames"]]]
    return [
        ("landmarkers built", len(r["build"]), False),
        ("building them (inside the one-at-a-time lock)", sum(r["build_inside"]), True),
        ("... including the wait for the lock", sum(r["build"]), True),
        ("people searches", len(r["search"]), False),
        ("whole-tile IMAGE calls in them", r["tile_calls"], False),
        ("searching", sum(r["search"]), True),
        ("chunks", len(plan), False),
        ("lead-in frames (tracked twice)", sum(s - ls for ls, s, _e in plan), False),
        ("slowest chunk: start to first tracked frame", max(starts) if starts else float("nan"), True),
        ("MoveNet session: import, create, first run (background thread)",
         sum(r["movenet_session"]), True),
        ("model checksums", sum(r["sha256"]), True),
        ("pose pass", r["pose"], True),
        ("after the pose pass (kinematics ... verdict)", r["after_pose"], True),
        ("analysis", r["total"], True),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(DEFAULT_CLIP))
    ap.add_argument("--model", default="fused")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rounds = [summarise(run_round(args.clip, args.model, args.workers))
              for _ in range(max(1, args.repeat))]
    total = statistics.median(r[-1][1] for r in rounds)
    print(f"{Path(args.clip).name}, --model {args.model}, workers {args.workers or 'auto'}, "
          f"median of {len(rounds)} round(s)\n")
    print("| fixed cost | median | share of the analysis |")
    print("|---|---|---|")
    for i, (label, _v, seconds) in enumerate(rounds[0]):
        v = statistics.median(r[i][1] for r in rounds)
        if seconds:
            print(f"| {label} | {v:.3f} s | {100 * v / total:.0f} % |")
        else:
            print(f"| {label} | {v:g} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
