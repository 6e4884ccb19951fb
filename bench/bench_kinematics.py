"""Benchmark of the kinematics core (swap repair, filtering, angles, events, strides,
verdict) on 10,000 frames of synthetic landmarks.

    python bench/bench_kinematics.py            # cold start in a fresh process + warm timing

Cold start = a new Python process importing posecheck and running the core once (numba
loads its on-disk cache, so a second process does not recompile); warm = best of 5 runs in
this process after a first call. Target: warm well under 50 ms for 10,000 frames.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_pose(n: int = 10_000, fps: float = 120.0, seed: int = 0):
    """A PoseSequence of a runner-like landmark set (sinusoidal legs, noise, a few swaps)."""
    from tools.synth import SprintParams, simulate
    from tools.synth.evaluate import MP_INDEX
    from posecheck.types import PoseSequence

    seconds = n / fps
    gt = simulate(SprintParams(fps=fps if fps in (30.0, 60.0, 120.0, 240.0) else 120.0,
                               seconds=min(seconds, 20.0))).payload
    px = {k: np.asarray(v, float) for k, v in gt["frames"]["points_px"].items()}
    m = px["hip.L"].shape[0]
    reps = int(np.ceil(n / m))
    xy = np.full((m, 33, 2), np.nan)
    for k, i in MP_INDEX.items():
        xy[:, i] = px[k]
    xy[:, 0] = px["nose"]
    xy[:, 7] = xy[:, 8] = px["head"]
    xy = np.concatenate([xy] * reps)[:n]
    rng = np.random.default_rng(seed)
    xy = xy + rng.normal(0, 2.0, xy.shape)
    t = np.arange(n) / fps
    z = np.zeros((n, 33))
    one = np.ones((n, 33))
    return PoseSequence(xy=xy, z=z, visibility=one, presence=one, world=np.zeros((n, 33, 3)),
                        times=t, frame_size=(1280, 720))


def run_core(pose):
    from posecheck.pipeline import analyze_kinematics

    return analyze_kinematics(pose)


def cold_start() -> float:
    code = ("import time; t0 = time.perf_counter(); import sys; sys.path.insert(0, %r); "
            "from bench.bench_kinematics import synthetic_pose, run_core; p = synthetic_pose(); "
            "t1 = time.perf_counter(); run_core(p); print(time.perf_counter() - t1)" % str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def stage_times(pose) -> dict[str, float]:
    """Warm per-stage wall times (ms) of one core run."""
    from posecheck.config import KinematicsConfig
    from posecheck.events import detect_events
    from posecheck.kinematics import compute_kinematics
    from posecheck.strides import compute_strides

    cfg = KinematicsConfig()
    out = {}
    t0 = time.perf_counter()
    kin = compute_kinematics(pose, cfg)
    out["kinematics (swap repair, filtering, angles)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    events = detect_events(kin.xy, pose.times, kin.leg_length_px, cfg.contact_threshold)[0]
    out["events"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    compute_strides(kin, events, pose.times)
    out["strides"] = time.perf_counter() - t0
    return {k: 1000 * v for k, v in out.items()}


def main() -> None:
    pose = synthetic_pose()
    run_core(pose)
    times, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        kin, events, strides, summary, _cues, _w = run_core(pose)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"warm: {1000 * min(times):.1f} ms wall (best of 5), {1000 * np.median(times):.1f} ms "
          f"median, {1000 * min(cpu):.1f} ms CPU (best) for {pose.n_frames} frames; "
          f"{len(events)} events, {len(strides)} strides")
    for k, v in stage_times(pose).items():
        print(f"  {k}: {v:.1f} ms")
    for i in range(2):
        print(f"cold start (fresh process #{i + 1}, first call incl. numba cache load): "
              f"{1000 * cold_start():.0f} ms")


if __name__ == "__main__":
    main()
