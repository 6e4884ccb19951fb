#!/usr/bin/env python3
"""End-to-end speed benchmark: bare MediaPipe loop vs analyze_video vs analyze + export.

Runs each stage in its own fresh subprocess on the same clip, one after the other in ONE
run, so machine noise largely cancels in the ratios:

  (a) bare    — OpenCV decode + MediaPipe ``detect_for_video`` in one process, nothing else
  (b) analyze — ``posecheck.analyze_video`` (no export), ``--workers`` processes
  (c) export  — ``analyze_video`` + ``write_outputs`` (CSV, JSON, annotated H.264 video)

Prints frames/s for each, the ratios b/a and c/a, the peak RSS of each stage's process tree
(the stage and its worker processes, sampled every 20 ms), the share of (b)'s time spent in
the kinematics core (kinematics + gait events + stride metrics + verdict), and the numba
cold start (kernels compiled into an empty cache, as on the first run after install) and
how much of it ``analyze_video`` pays.

Usage:
    python bench/bench_pipeline.py [CLIP] [--seconds S [--rate-factor F]] [--model full] [--workers N]
                                   [--repeat 1] [--memory] [--no-cold] [--scene single|race|both]
                                   [--race-seconds 20]

``--seconds S`` loops CLIP (remuxed, no re-encoding) into an S-second clip in /tmp first;
``--rate-factor F`` also puts its frames F x closer in time (``--seconds 10 --rate-factor 4``
on the 60 fps sample: 10 s of 240 fps slow motion, 2,400 frames, the issue's example).
``--repeat R`` runs R rounds of (a), (b), (c) and keeps each stage's fastest run.
``--memory`` also runs (c) on 10 s and 60 s loops of CLIP and prints the peak-RSS ratio.
``--modes full,fused,precise`` instead runs rounds of (a) and (b) for each pose mode
(the athlete is followed by MediaPipe's landmark network run directly,
``PoseConfig.landmark_net``, the default, docs/metrics.md §8c-8d; a mode ending in ``/mp``,
e.g. ``fused/mp``, uses MediaPipe's own VIDEO-mode landmarker instead; ``/net`` is accepted
for the default)
(``--model``, docs/metrics.md §8), interleaved, and prints each mode's (b) and b/a side by
side ((a) is always the bare MediaPipe full loop, the baseline of issue #17); the default
mode must keep b/a >= 1.0. On a clip with its truth JSON next to it (and no ``--seconds``)
it also prints each mode's knee / hip flexion MAE and events within tolerance
(``tools/accuracy.py``; one more analysis per mode, not timed).
``--scene race`` benchmarks the synthetic race instead of CLIP (``tools/synth/race.py``:
several runners 70-250 px tall in adjacent lanes, elevated panning camera, 720p, 25 fps,
``--race-seconds`` long; rendered once into ``$POSECHECK_BENCH_CACHE``, default
``/tmp/posecheck-bench-cache``); ``--scene both`` prints CLIP's table, then the race's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_RSS_SAMPLER = r"""
import os, threading, time
def _tree_rss_mb():
    pids, out, total = [os.getpid()], [], 0
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    pids += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            pass
    return total / 1024
PEAK = [0.0]
def _sample():
    while True:
        PEAK[0] = max(PEAK[0], _tree_rss_mb())
        time.sleep(0.02)
threading.Thread(target=_sample, daemon=True).start()
"""

_STAGES = {
    "bare": r"""
import time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from posecheck.config import POSE_MODES
from posecheck.pose.models import resolve_model
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_model(POSE_MODES[MODEL][0]))),
                                    running_mode=vision.RunningMode.VIDEO)
c0 = os.times(); t0 = time.perf_counter(); n = 0
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
c1 = os.times(); RESULT["cpu_cores"] = (c1.user + c1.system - c0.user - c0.system) / RESULT["seconds"]
""",
    "analyze": r"""
import time
import posecheck.pipeline as pl
from posecheck.config import Config, PoseConfig
import mediapipe  # imported before the clock starts, as in the bare stage
KIN = [0.0]
_core = pl.analyze_kinematics
import threading
def _timed(*a, **k):
    if threading.current_thread() is not threading.main_thread():
        return _core(*a, **k)  # posecheck.pose.parallel's numba warm-up, off the critical path
    t = time.perf_counter()
    try:
        return _core(*a, **k)
    finally:
        KIN[0] += time.perf_counter() - t
pl.analyze_kinematics = _timed
t0 = time.perf_counter()
a = pl.analyze_video(CLIP, Config(pose=PoseConfig(model=MODEL, workers=WORKERS, landmark_net=NET)))
RESULT = {"frames": a.pose.n_frames, "seconds": time.perf_counter() - t0, "kin_seconds": KIN[0]}
""",
    "export": r"""
import time
from posecheck import analyze_video
from posecheck.config import Config, PoseConfig
from posecheck.report.export import write_outputs
import mediapipe
t0 = time.perf_counter()
a = analyze_video(CLIP, Config(pose=PoseConfig(model=MODEL, workers=WORKERS, landmark_net=NET)))
t1 = time.perf_counter()
write_outputs(a, OUT)
RESULT = {"frames": a.pose.n_frames, "seconds": time.perf_counter() - t0,
          "export_seconds": time.perf_counter() - t1}
""",
    # numba kernels compiled into an empty cache (NUMBA_CACHE_DIR set by the caller), then
    # loaded from it by a second process
    "numba": r"""
import time
t0 = time.perf_counter()
from posecheck.warmup import _synthetic_pose
from posecheck.pipeline import analyze_kinematics
t1 = time.perf_counter()
analyze_kinematics(_synthetic_pose())
RESULT = {"frames": 0, "seconds": time.perf_counter() - t1, "import_seconds": t1 - t0}
""",
}


def run_stage(stage: str, clip: str, model: str, out: str, workers: int | None,
              env: dict | None = None) -> dict:
    code = (f"import os\nCLIP, MODEL, OUT, WORKERS = {clip!r}, {model!r}, {out!r}, {workers!r}\n"
            + "MODEL, _, _ENGINE = MODEL.partition('/')  # 'fused/mp': PoseConfig.landmark_net off\n"
            + "NET = _ENGINE != 'mp'\n"
            + _RSS_SAMPLER + _STAGES[stage]
            + "\nimport json, resource\nRESULT['peak_rss_mb'] = max(PEAK[0], _tree_rss_mb())\n"
            + "_ru = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]\n"
            + "RESULT['cpu_seconds'] = sum(r.ru_utime + r.ru_stime for r in _ru)\n"
            + "print('@@' + json.dumps(RESULT))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{proc.stderr[-2000:]}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("@@"))
    return json.loads(line[2:])


def loop_clip(src: str, seconds: float, dst: Path, rate_factor: int | Fraction = 1) -> str:
    """Repeat ``src``'s video packets (remux, no re-encoding) until ``seconds`` long, with
    time stamps ``rate_factor`` x closer together (4: a 60 fps clip becomes 240 fps, the
    same frames, as a phone's slow-motion file stores them; ``Fraction(1, 2)``: the clip
    exported twice as slow)."""
    import av

    with av.open(src) as inp:
        ist = inp.streams.video[0]
        packets = [p for p in inp.demux(ist) if p.dts is not None]
        tb = ist.time_base
        start = min(p.pts for p in packets)
        span = max(p.pts for p in packets) - start + (packets[-1].duration or 1)
        loops = max(1, math.ceil(seconds * rate_factor / float(span * tb) - 1e-6))
        tb_out = tb / rate_factor
        with av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
            ost = out.add_stream_from_template(ist)
            ost.time_base = tb_out
            for k in range(loops):
                for p in packets:
                    q = av.Packet(bytes(p))
                    q.pts, q.dts, q.duration = p.pts + k * span, p.dts + k * span, p.duration
                    q.is_keyframe = p.is_keyframe
                    q.time_base = tb_out
                    q.stream = ost
                    out.mux(q)
    return str(dst)


def race_clip(seconds: float) -> str:
    """The cached race scene of ``seconds`` (rendered on first use; ~0.1 s per frame)."""
    from dataclasses import replace

    from tools.synth.race import RaceScene, cached_race

    scene = RaceScene()
    scene = replace(scene, athlete=replace(scene.athlete, seconds=seconds))
    cache = os.environ.get("POSECHECK_BENCH_CACHE",
                           str(Path(tempfile.gettempdir()) / "posecheck-bench-cache"))
    return str(cached_race(scene, cache))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", default=str(ROOT / "sample_videos" / "front_side_60fps.mp4"))
    ap.add_argument("--seconds", type=float, help="loop the clip to this length first")
    ap.add_argument("--rate-factor", type=int, default=1,
                    help="with --seconds: frame rate x this (4: 60 fps -> 240 fps slow motion)")
    ap.add_argument("--model", default="full")
    ap.add_argument("--workers", type=int, default=None, help="PoseConfig.workers (default: auto)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of (a), (b), (c); each stage's best run is kept")
    ap.add_argument("--memory", action="store_true", help="peak RSS of (c) on a 10 s vs a 60 s clip")
    ap.add_argument("--no-cold", action="store_true", help="skip the numba cold-start runs")
    ap.add_argument("--scene", choices=("single", "race", "both"), default="single",
                    help="single: CLIP; race: the synthetic race; both: one after the other")
    ap.add_argument("--race-seconds", type=float, default=20.0, help="length of the race scene")
    ap.add_argument("--modes", help="comma-separated pose modes: (a) vs (b) of each, side by side")
    args = ap.parse_args()
    if args.modes:
        if args.scene == "race":
            args.clip, args.seconds = race_clip(args.race_seconds), None
        return compare_modes(args)
    if args.scene in ("single", "both"):
        bench_clip(args, args.clip, args.seconds)
    if args.scene in ("race", "both"):
        print()
        bench_clip(args, race_clip(args.race_seconds), None,
                   label=f"synthetic race ({args.race_seconds:g} s, 25 fps, 1280x720)")
    return 0


def bench_clip(args: argparse.Namespace, src: str, seconds: float | None,
               label: str | None = None) -> None:
    """Run the stages on ``src`` (looped to ``seconds`` if given) and print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        clip = src
        if seconds:
            clip = loop_clip(clip, seconds, Path(tmp) / f"loop{seconds:g}s.mp4",
                             args.rate_factor)
        # warm numba's cache and the OS file cache so no stage pays a one-off cost
        run_stage("analyze", clip, args.model, "", 1)
        # rounds of (a), (b), (c) one after the other, so a drift in the host's speed hits
        # every stage alike; each stage's best run is kept
        runs: dict[str, list[dict]] = {"bare": [], "analyze": [], "export": []}
        for _ in range(args.repeat):
            for stage, stage_runs in runs.items():
                stage_runs.append(run_stage(stage, clip, args.model, tmp, args.workers))
        results = {stage: min(rs, key=lambda r: r["seconds"]) for stage, rs in runs.items()}
        fps = {k: r["frames"] / r["seconds"] for k, r in results.items()}
        print(f"clip: {label or src}{f' looped to {seconds:g} s' if seconds else ''}{f' at {args.rate_factor}x its frame rate' if seconds and args.rate_factor > 1 else ''}  "
              f"model: {args.model}  frames: {results['bare']['frames']}  "
              f"workers: {args.workers or 'auto'}  cores: {len(os.sched_getaffinity(0))}")
        for k, label in (("bare", "(a) bare"), ("analyze", "(b) analyze"), ("export", "(c) export")):
            r = results[k]
            print(f"  {label:<12} {fps[k]:7.1f} frames/s  {r['seconds']:6.2f} s  "
                  f"CPU {r['cpu_seconds']:6.2f} s  peak RSS {r['peak_rss_mb']:6.0f} MB")
        print(f"  bare loop CPU use: {results['bare']['cpu_cores']:.2f} cores")
        print(f"  ratio b/a = {fps['analyze'] / fps['bare']:.2f}   c/a = {fps['export'] / fps['bare']:.2f}")
        print(f"  kinematics+gait+metrics: {results['analyze']['kin_seconds']:.3f} s = "
              f"{100 * results['analyze']['kin_seconds'] / results['analyze']['seconds']:.2f}% of (b)")
        print(f"  export pass (write_outputs): {results['export']['export_seconds']:.2f} s")
        if not args.no_cold:
            cache = {"NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cold")}
            cold = run_stage("numba", clip, args.model, tmp, 1, cache)
            warm = run_stage("numba", clip, args.model, tmp, 1, cache)
            cache2 = {"NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cold2")}
            b_cold = run_stage("analyze", clip, args.model, tmp, args.workers, cache2)
            print(f"  numba cold start: kinematics first call {cold['seconds']:.2f} s with an empty "
                  f"cache, {warm['seconds']:.2f} s from the cache; analyze_video with an empty "
                  f"cache {b_cold['seconds']:.2f} s vs {results['analyze']['seconds']:.2f} s warm "
                  f"(kinematics {b_cold['kin_seconds']:.2f} s on the critical path)")
        if args.memory:
            mem = {}
            for s in (10, 60):
                c = loop_clip(src, s, Path(tmp) / f"mem{s}.mp4")
                with tempfile.TemporaryDirectory() as out:
                    mem[s] = run_stage("export", c, args.model, out, args.workers)
            for s, r in mem.items():
                print(f"  memory {s:>2} s clip: {r['frames']} frames, {r['frames'] / r['seconds']:.1f} "
                      f"frames/s, peak RSS {r['peak_rss_mb']:.0f} MB")
            print(f"  peak RSS 60 s / 10 s = {mem[60]['peak_rss_mb'] / mem[10]['peak_rss_mb']:.2f}")


def compare_modes(args) -> int:
    """Rounds of (a) bare MediaPipe full and (b) analyze_video per mode, interleaved in a
    rotating order; each stage's fastest run kept; b/a per mode."""
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip
        if args.seconds:
            clip = loop_clip(clip, args.seconds, Path(tmp) / f"loop{args.seconds:g}s.mp4",
                             args.rate_factor)
        for m in modes:  # warm numba's cache, ONNX Runtime's and the OS file cache
            run_stage("analyze", clip, m, "", 1)
        jobs = [("bare", "full")] + [("analyze", m) for m in modes]
        runs: dict[tuple[str, str], list[dict]] = {j: [] for j in jobs}
        loads = []
        for r in range(args.repeat):
            loads.append(os.getloadavg()[0])
            for stage, m in jobs[r % len(jobs):] + jobs[:r % len(jobs)]:
                runs[(stage, m)].append(run_stage(stage, clip, m, tmp, args.workers))
        best = {j: min(rs, key=lambda x: x["seconds"]) for j, rs in runs.items()}
        fps = {j: r["frames"] / r["seconds"] for j, r in best.items()}
        a = fps[("bare", "full")]
        print(f"clip: {args.clip}  frames: {best[('bare', 'full')]['frames']}  workers: "
              f"{args.workers or 'auto'}  cores: {len(os.sched_getaffinity(0))}  rounds: "
              f"{args.repeat}  1-min load average at each round: "
              f"{', '.join(f'{x:.1f}' for x in loads)}")
        truth = Path(args.clip).with_suffix(".json")
        acc = {m: mode_accuracy(args.clip, truth, m) for m in modes} \
            if truth.exists() and not args.seconds else {}
        print("| stage | frames/s | s | CPU s | b/a | knee MAE L / R | hip MAE L / R | events ±tol |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| (a) bare MediaPipe full loop | {a:.1f} | {best[('bare', 'full')]['seconds']:.2f} "
              f"| {best[('bare', 'full')]['cpu_seconds']:.2f} | 1.00 | | | |")
        for m in modes:
            r = best[("analyze", m)]
            print(f"| (b) analyze --model {m} | {fps[('analyze', m)]:.1f} | {r['seconds']:.2f} "
                  f"| {r['cpu_seconds']:.2f} | {fps[('analyze', m)] / a:.2f} | {acc.get(m, '| |')} |")
    return 0


def mode_accuracy(clip: str, truth: Path, mode: str) -> str:
    """Table cells 'knee L / R | hip L / R | events' of ``mode`` on a clip with truth
    (:mod:`tools.accuracy`; one analysis, not timed)."""
    from posecheck import analyze_video
    from posecheck.config import Config, OutputConfig, PoseConfig
    from tools.accuracy import angle_errors, event_errors

    gt = json.loads(truth.read_text())
    model, _, engine = mode.partition("/")
    a = analyze_video(clip, Config(pose=PoseConfig(model=model, landmark_net=engine != "mp"),
                                   output=OutputConfig(video=False)))
    e = angle_errors(a, gt)
    share = event_errors(a, gt)[0]
    return (f"{e['knee L'][0]:.1f} / {e['knee R'][0]:.1f}° | {e['hip L'][0]:.1f} / "
            f"{e['hip R'][0]:.1f}° | {share:.0f} %")


if __name__ == "__main__":
    raise SystemExit(main())
