"""Benchmark of the kinematics core (swap repair, filtering, angles, events, strides,
verdict) on 10,000 frames of synthetic landmarks at 120 fps.

    python bench/bench_kinematics.py            # warm timing, stage breakdown, cold start

Warm = best and median of ``--runs`` calls in this process after a first call. The stage
breakdown times the functions the core calls (wrapped while one extra call runs), so its
lines add up to about one warm call. Cold start = a new Python process that imports the
core (numba, scipy and posecheck's pipeline; numpy is already loaded) and calls it twice:
the first call loads every numba kernel from the on-disk cache (``cache=True``), so the line
also reports how many kernel signatures were loaded from the cache and how many had to be
compiled (0 once the cache is warm: a second process does not recompile; with no cache at
all, e.g. a fresh clone, the first call compiles them, which takes seconds). Target
(issue #4): warm well under 50 ms for 10,000 frames.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from contextlib import contextmanager
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


def kernel_cache_stats() -> tuple[int, int]:
    """(signatures loaded from numba's cache, signatures compiled) over posecheck's kernels."""
    from numba.core.registry import CPUDispatcher

    kernels = {id(obj): obj for name, mod in list(sys.modules.items())
               if name.startswith("posecheck.") for obj in vars(mod).values()
               if isinstance(obj, CPUDispatcher)}
    hits = sum(sum(k.stats.cache_hits.values()) for k in kernels.values())
    misses = sum(sum(k.stats.cache_misses.values()) for k in kernels.values())
    return hits, misses


def _cold_child() -> None:
    """Run in the fresh process: time imports, first and second call; print JSON."""
    t0 = time.perf_counter()
    import numba  # noqa: F401  (what a real first run pays for too)
    import scipy.signal  # noqa: F401

    from posecheck.pipeline import analyze_kinematics  # noqa: F401
    t_import = time.perf_counter() - t0
    pose = synthetic_pose()
    t1 = time.perf_counter()
    run_core(pose)
    t_first = time.perf_counter() - t1
    t2 = time.perf_counter()
    run_core(pose)
    t_second = time.perf_counter() - t2
    hits, misses = kernel_cache_stats()
    print(json.dumps({"import_s": t_import, "first_s": t_first, "second_s": t_second,
                      "cache_hits": hits, "compiled": misses}))


def cold_start() -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--cold-child"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def _timed(targets: list[tuple[object, str, str]], acc: dict[str, float]):
    """Wrap ``module.name`` for each (module, name, label) so calls add their wall time to
    ``acc[label]``; restored afterwards. Names a module no longer has are skipped."""
    saved = []
    for mod, name, label in targets:
        fn = getattr(mod, name, None)
        if fn is None:
            continue

        def wrapper(*args, _fn=fn, _label=label, **kwargs):
            t0 = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                acc[_label] = acc.get(_label, 0.0) + time.perf_counter() - t0

        saved.append((mod, name, fn))
        setattr(mod, name, wrapper)
    try:
        yield
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)


def stage_times(pose) -> dict[str, float]:
    """Warm wall times (ms) of the stages of one core call."""
    import posecheck.kinematics.chain as kin_mod
    import posecheck.pipeline as pipe
    from posecheck.config import KinematicsConfig

    cfg = KinematicsConfig()
    acc: dict[str, float] = {}
    inner = [(kin_mod, "repair_leg_swaps", "  swap repair (legs)"),
             (kin_mod, "smooth_pose", "  landmark filtering (2 x smooth_pose)"),
             (kin_mod, "angles_from_landmarks", "  filtered angles"),
             (kin_mod, "compute_angles", "  raw angles"),
             (kin_mod, "hamstring_lengths", "  hamstring lengths")]
    outer = [(pipe, "compute_kinematics", "kinematics"),
             (pipe, "detect_events", "events"),
             (pipe, "compute_strides", "strides"),
             (pipe, "kinematics_warnings", "warnings, verdict, cues"),
             (pipe, "summarise", "warnings, verdict, cues"),
             (pipe, "make_cues", "warnings, verdict, cues")]
    with _timed(inner + outer, acc):
        pipe.analyze_kinematics(pose, cfg)
    rest = acc.get("kinematics", 0.0) - sum(v for k, v in acc.items() if k.startswith("  "))
    acc["  other kinematics (direction, swaps, leg length, copies)"] = rest
    order = ["kinematics", *[lab for _m, _n, lab in inner],
             "  other kinematics (direction, swaps, leg length, copies)",
             "events", "strides", "warnings, verdict, cues"]
    return {k: 1000 * acc[k] for k in order if k in acc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="warm calls to time (default 9)")
    ap.add_argument("--cold", type=int, default=2, help="fresh processes to start (default 2)")
    ap.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cold_child:
        _cold_child()
        return
    pose = synthetic_pose()
    run_core(pose)
    times, cpu = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        kin, events, strides, summary, _cues, _w = run_core(pose)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"warm: {1000 * min(times):.1f} ms wall (best of {args.runs}), "
          f"{1000 * np.median(times):.1f} ms median, {1000 * min(cpu):.1f} ms CPU (best) for "
          f"{pose.n_frames} frames; {len(events)} events, {len(strides)} strides")
    for k, v in stage_times(pose).items():
        print(f"  {k}: {v:.1f} ms")
    for i in range(args.cold):
        c = cold_start()
        print(f"cold start (fresh process #{i + 1}): imports {1000 * c['import_s']:.0f} ms, "
              f"first call {1000 * c['first_s']:.0f} ms (numba: {c['cache_hits']} kernel "
              f"signatures loaded from cache, {c['compiled']} compiled), second call "
              f"{1000 * c['second_s']:.0f} ms")


if __name__ == "__main__":
    main()
