"""Who the pose stage followed on a rendered race, and what it paid (issue 18).

    python bench/race_tracking.py [CLIP.mp4] [--workers 1] [--model full] [--seconds 20]

CLIP (default: the bench's cached 20-s race, :func:`bench.bench_pipeline.race_clip`) must
have its ``<clip>.json`` truth from ``tools/synth/race.py``. Runs the pose stage alone
(:func:`posecheck.pose.parallel.estimate_video`) and prints:

* **frames**: detected (% of all), on the athlete (hip midpoint within 25 px of the
  athlete's truth), on another runner (within 15 px of that runner's hips: the measure of
  ``tests/pose/test_race.py``);
* **landmarker calls per frame**: VIDEO-mode calls while tracking, IMAGE-mode calls split by
  what asked for them (the tracker's counters: people-search tiles and whole-frame
  searches, light looks, colour picks while crowded, first-pose checks, edge re-entry
  tiles), the repair pass's calls, landmarkers built / reused;
* **CPU seconds** of the process for the pose stage (all threads; wall time is noisy on a
  shared machine) and the 1-min load average before and after;
* **memory**: the process's RSS (``/proc/self/status`` VmRSS, sampled every 20 ms on a
  thread) before the run and at its peak, and the MediaPipe landmarkers alive (VIDEO /
  IMAGE mode) at the peak and at most at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clip", nargs="?")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--model", default="full")
    ap.add_argument("--seconds", type=float, default=20.0, help="race length if no CLIP")
    ap.add_argument("--max-people", type=int, help="PoseConfig.max_people (default: its default)")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                    help="override a constant of posecheck.pose.MODULE for this run "
                         "(experiments, e.g. budget.CONTENDER=0.95)")
    ap.add_argument("--timeline", metavar="CSV",
                    help="write the RSS samples: seconds, MB, VIDEO / IMAGE landmarkers alive, built")
    args = ap.parse_args(argv)
    import importlib

    for spec in args.set:
        name, value = spec.split("=", 1)
        mod, attr = name.rsplit(".", 1)
        m = importlib.import_module(f"posecheck.pose.{mod}")
        if not hasattr(m, attr):
            ap.error(f"posecheck.pose.{mod} has no {attr}")
        setattr(m, attr, eval(value, {}))  # a number or True / False
    from posecheck.config import PoseConfig
    from posecheck.pose import landmarker, parallel
    from posecheck.pose import repair as repair_mod
    from posecheck.pose.tracking import AthleteTracker
    from posecheck.video.probe import probe

    if args.clip is None:
        from bench.bench_pipeline import race_clip

        args.clip = race_clip(args.seconds)
    gt = json.loads(Path(args.clip).with_suffix(".json").read_text())
    px = gt["frames"]["points_px"]
    truth = {"athlete": (np.asarray(px["hip.L"]) + np.asarray(px["hip.R"])) / 2}
    for o in gt["race"]["others"]:
        truth[f"lane {o['lane']}"] = np.asarray(o["hip_mid_px"])

    calls = {"video": 0, "image": 0, "repair": 0}
    stats: dict[str, int] = {}
    orig_detect, orig_close, orig_repair = (landmarker._Landmarker.detect, AthleteTracker.close,
                                            repair_mod.repair_track)
    in_repair = [False]

    def detect(self, rgb, ms):
        calls["repair" if in_repair[0] else "video" if self._video else "image"] += 1
        return orig_detect(self, rgb, ms)

    def close(self):
        for k, v in self.stats.items():
            stats[k] = stats.get(k, 0) + v
        return orig_close(self)

    from posecheck.pose.landmark_net import LandmarkNet

    orig_run = LandmarkNet.run

    def net_run(self, rgb, roi):  # the network over the repaired frames (net_track.NetRepair)
        if in_repair[0]:
            calls["repair"] += 1
        return orig_run(self, rgb, roi)

    def repair(*a, **k):
        in_repair[0] = True
        try:
            return orig_repair(*a, **k)
        finally:
            in_repair[0] = False

    orig_init, orig_lm_close = landmarker._Landmarker.__init__, landmarker._Landmarker.close
    alive = {"video": 0, "image": 0, "built": 0}
    most = {"video": 0, "image": 0, "both": 0}

    def lm_init(self, *a, **k):
        orig_init(self, *a, **k)
        alive["video" if self._video else "image"] += 1
        alive["built"] += 1
        for key in ("video", "image"):
            most[key] = max(most[key], alive[key])
        most["both"] = max(most["both"], alive["video"] + alive["image"])

    def lm_close(self):
        if self._lm is not None:
            alive["video" if self._video else "image"] -= 1
        return orig_lm_close(self)

    peak = {"mb": 0.0, "video": 0, "image": 0, "at": 0.0}
    sampling = threading.Event()
    timeline: list[tuple] = []

    def sample() -> None:
        while not sampling.wait(0.02):
            mb = _rss_mb()
            timeline.append((time.perf_counter() - t0, mb, alive["video"], alive["image"], alive["built"]))
            if mb > peak["mb"]:
                peak.update(mb=mb, video=alive["video"], image=alive["image"],
                            at=time.perf_counter() - t0)

    landmarker._Landmarker.detect, AthleteTracker.close = detect, close
    landmarker._Landmarker.__init__, landmarker._Landmarker.close = lm_init, lm_close
    repair_mod.repair_track, LandmarkNet.run = repair, net_run
    rss0 = _rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    load0 = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    sampler.start()
    try:
        people = {"max_people": args.max_people} if args.max_people else {}
        seq = parallel.estimate_video(args.clip, probe(args.clip),
                                      PoseConfig(model=args.model, workers=args.workers, **people))
    finally:
        landmarker._Landmarker.detect, AthleteTracker.close = orig_detect, orig_close
        landmarker._Landmarker.__init__, landmarker._Landmarker.close = orig_init, orig_lm_close
        repair_mod.repair_track, LandmarkNet.run = orig_repair, orig_run
        sampling.set()
        sampler.join()
    if args.timeline:
        Path(args.timeline).write_text("s,rss_mb,video,image,built\n" + "".join(
            f"{t:.2f},{mb:.0f},{v},{i},{b}\n" for t, mb, v, i, b in timeline))
    cpu, wall, load1 = time.process_time() - c0, time.perf_counter() - t0, os.getloadavg()[0]
    n = seq.n_frames
    mid = (seq.xy[:, 23] + seq.xy[:, 24]) / 2
    det = np.isfinite(mid[:, 0])
    err = {k: np.linalg.norm(mid - v[:n], axis=1) for k, v in truth.items()}
    on_athlete = int((err["athlete"][det] < 25).sum())
    others = {k: int((e[det] < 15).sum()) for k, e in err.items() if k != "athlete"}
    print(f"{Path(args.clip).name}: {n} frames, --model {args.model} --workers {args.workers}"
          + "".join(f" --set {x}" for x in args.set))
    print(f"detected {det.sum()} ({100 * det.mean():.1f} %), on the athlete {on_athlete}, "
          f"on another runner {sum(others.values())} {others}")
    per = lambda v: f"{v} ({v / max(n, 1):.2f}/frame)"  # noqa: E731
    print(f"VIDEO calls {per(calls['video'])}, IMAGE calls {per(calls['image'])}, "
          f"repair calls {per(calls['repair'])}")
    print("tracker: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    print(f"CPU {cpu:.1f} s ({1000 * cpu / max(n, 1):.1f} ms/frame), wall {wall:.1f} s, "
          f"1-min load {load0:.1f} -> {load1:.1f}")
    print(f"RSS {rss0:.0f} MB before, peak {max(peak['mb'], _rss_mb()):.0f} MB at "
          f"{peak['at']:.1f} s with {peak['video']} VIDEO + {peak['image']} IMAGE landmarkers "
          f"alive; at most {most['video']} VIDEO, {most['image']} IMAGE, {most['both']} together")


def _rss_mb() -> float:
    """This process's resident set size (MB)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


if __name__ == "__main__":
    main()
