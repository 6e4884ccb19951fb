"""Raw keypoint accuracy and speed: MoveNet on the athlete's crop vs MediaPipe on the frame.

Reproduces the table of issue #17 with the committed ONNX files. For each clip (rendered,
with the exact truth JSON next to it, e.g. the committed ``sample_videos/*.mp4``):

* **MediaPipe full, whole frame** — :class:`posecheck.pose.landmarker.PoseEstimator`
  (VIDEO mode, one person) on every frame, XNNPACK on one thread;
* **MediaPipe full, posecheck pose pass** — what the pipeline runs today
  (:func:`posecheck.pose.landmarker.estimate_sequence`: person search, region-of-interest
  tracking, athlete choice; one thread);
* **MoveNet Thunder / Lightning, crop** — :class:`posecheck.pose.movenet.MoveNet` (ONNX
  Runtime, one thread) on the square crop of 1.25 × the box around that frame's landmarks
  from the pose pass (the previous box where it found nobody; ``--box truth``: around the
  true body points instead, to tell crop placement from the model).

Raw keypoints, no filtering and no leg-swap repair: knee and hip flexion per frame
(:mod:`posecheck.kinematics.angles`, with the clip's true running direction) against the
truth's ``angles_2d``, mean absolute error in degrees per leg (near / far leg, from the
truth's ``near_side``); % of frames whose left/right knee + ankle are swapped
(``tools.accuracy.mislabelled_pct``); ms per frame of the model call alone (MoveNet: crop
cut + inference). Timings are wall-clock on whatever else the machine is doing.

    python bench/bench_movenet.py [CLIP.mp4 ...] [--box truth]   # default: sample_videos/*.mp4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def decode(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    import av

    frames, times = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * stream.time_base))
    t = np.asarray(times)
    return frames, t - t[0]


def run_mediapipe(frames, times) -> tuple[np.ndarray, float]:
    """(n, 33, 2) whole-frame MediaPipe full landmarks (NaN where nobody), ms per frame."""
    from posecheck.config import PoseConfig
    from posecheck.pose import landmarker as lm

    xy = np.full((len(frames), 33, 2), np.nan)
    est = lm.PoseEstimator(PoseConfig(model="full"))
    with lm._CREATE_LOCK, lm._one_core_if(True):  # a one-thread XNNPACK pool
        est.__enter__()
    try:
        est.estimate(frames[0], -1.0)  # warm-up
        t0 = time.perf_counter()
        for i, (rgb, t) in enumerate(zip(frames, times)):
            out = est.estimate(rgb, float(t))
            if out is not None:
                xy[i] = out["xy"]
        ms = 1000 * (time.perf_counter() - t0) / len(frames)
    finally:
        est.__exit__(None, None, None)
    return xy, ms


def run_pose_pass(frames, times) -> tuple[np.ndarray, float]:
    """(n, 33, 2) landmarks of posecheck's own pose pass (MediaPipe full, person search and
    region-of-interest tracking; :func:`posecheck.pose.landmarker.estimate_sequence`, one
    thread), ms per frame."""
    from posecheck.config import PoseConfig
    from posecheck.pose.landmarker import estimate_sequence

    t0 = time.perf_counter()
    seq = estimate_sequence(((i, float(t), f) for i, (f, t) in enumerate(zip(frames, times))),
                            PoseConfig(model="full", workers=1))
    return seq.xy, 1000 * (time.perf_counter() - t0) / len(frames)


def truth_boxes(gt: dict) -> np.ndarray:
    """(n, 4) boxes around the true body points (all joints, head, feet)."""
    pts = np.stack([np.asarray(v, float) for v in gt["frames"]["points_px"].values()], axis=1)
    return np.concatenate([np.nanmin(pts, axis=1), np.nanmax(pts, axis=1)], axis=1)


def boxes_from(xy: np.ndarray) -> np.ndarray:
    """(n, 4) body boxes around each frame's landmarks, carried forward over gaps."""
    boxes = np.full((len(xy), 4), np.nan)
    last = None
    for i, p in enumerate(xy):
        ok = np.isfinite(p[:, 0])
        if ok.any():
            last = (*p[ok].min(axis=0), *p[ok].max(axis=0))
        if last is not None:
            boxes[i] = last
    return boxes


def run_movenet(variant: str, frames, boxes) -> tuple[np.ndarray, float]:
    """(n, 33, 2) MoveNet keypoints in posecheck's landmark layout, ms per frame."""
    from posecheck.pose.movenet import MoveNet, to_landmark_xy

    net = MoveNet(variant, threads=1)
    kps = np.full((len(frames), 17, 3), np.nan)
    net.infer_box(frames[0], boxes[np.isfinite(boxes[:, 0])][0])  # warm-up
    t0 = time.perf_counter()
    n = 0
    for i, (rgb, box) in enumerate(zip(frames, boxes)):
        if np.isfinite(box[0]):
            kps[i] = net.infer_box(rgb, box)[0]
            n += 1
    ms = 1000 * (time.perf_counter() - t0) / max(n, 1)
    return to_landmark_xy(kps), ms


def angle_mae(xy: np.ndarray, gt: dict) -> dict[str, float]:
    """MAE (deg) of knee / hip flexion per leg, keyed 'knee L' etc."""
    from posecheck.kinematics.angles import hip_flexion, knee_flexion
    from posecheck.types import LANDMARK_INDEX as L

    direction = int(gt["direction"])
    sm = 0.5 * (xy[:, L["left_shoulder"]] + xy[:, L["right_shoulder"]])
    hm = 0.5 * (xy[:, L["left_hip"]] + xy[:, L["right_hip"]])
    truth = gt["frames"]["angles_2d"]
    out = {}
    for j, (side, s) in enumerate((("left", "L"), ("right", "R"))):
        h, k, a = (xy[:, L[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
        for joint, est in (("knee", knee_flexion(h, k, a)), ("hip", hip_flexion(sm, hm, h, k, direction))):
            ref = np.asarray(truth[f"{joint}_flexion"], float)[:, j]
            ok = np.isfinite(est) & np.isfinite(ref)
            out[f"{joint} {s}"] = float(np.mean(np.abs(est[ok] - ref[ok])))
    return out


def time_models(frames, times, boxes, rounds: int, n: int) -> dict[str, float]:
    """Median ms per frame of each model over ``rounds`` interleaved rounds of ``n`` frames
    (the models take turns, in a rotating order, so a busy spell of the shared machine hits
    them alike). MediaPipe: whole frame, one-thread XNNPACK; MoveNet: crop cut + inference,
    one ONNX Runtime thread."""
    from posecheck.config import PoseConfig
    from posecheck.pose import landmarker as lm
    from posecheck.pose.movenet import MoveNet

    n = min(n, len(frames))
    est = lm.PoseEstimator(PoseConfig(model="full"))
    with lm._CREATE_LOCK, lm._one_core_if(True):
        est.__enter__()
    nets = {v: MoveNet(v, threads=1) for v in ("thunder", "lightning")}
    clock = [0.0]

    def mediapipe() -> None:
        for rgb, t in zip(frames[:n], times[:n]):
            est.estimate(rgb, clock[0] + float(t))
        clock[0] += float(times[n - 1]) + 1.0

    def movenet(variant: str):
        def run() -> None:
            for rgb, box in zip(frames[:n], boxes[:n]):
                nets[variant].infer_box(rgb, box)
        return run

    work = {"MediaPipe full, whole frame": mediapipe, "MoveNet Thunder, crop": movenet("thunder"),
            "MoveNet Lightning, crop": movenet("lightning")}
    ms: dict[str, list[float]] = {k: [] for k in work}
    names = list(work)
    try:
        for name in names:  # warm-up
            work[name]()
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                t0 = time.perf_counter()
                work[name]()
                ms[name].append(1000 * (time.perf_counter() - t0) / n)
    finally:
        est.__exit__(None, None, None)
    return {k: float(np.median(v)) for k, v in ms.items()}


def main(argv: list[str] | None = None) -> int:
    from tools.accuracy import mislabelled_pct

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", type=Path,
                    default=sorted((ROOT / "sample_videos").glob("*.mp4")))
    ap.add_argument("--box", choices=("mediapipe", "truth"), default="mediapipe",
                    help="crop around the pose pass's landmarks (default) or the true body")
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds per clip (default 5)")
    ap.add_argument("--frames", type=int, default=60, help="frames per timing round (default 60)")
    args = ap.parse_args(argv)
    rows = []
    for clip in args.clips:
        gt = json.loads(clip.with_suffix(".json").read_text())
        near = gt["near_side"][0].upper()
        far = "R" if near == "L" else "L"
        frames, times = decode(clip)
        results = {"MediaPipe full, whole frame": run_mediapipe(frames, times),
                   "MediaPipe full, posecheck pose pass": run_pose_pass(frames, times)}
        boxes = (truth_boxes(gt) if args.box == "truth"
                 else boxes_from(results["MediaPipe full, posecheck pose pass"][0]))
        for variant in ("thunder", "lightning"):
            results[f"MoveNet {variant.capitalize()}, crop"] = run_movenet(variant, frames, boxes)
        ok = np.isfinite(boxes[:, 0])
        timed = time_models([f for f, k in zip(frames, ok) if k], times[ok], boxes[ok],
                            args.rounds, args.frames)
        base = timed["MediaPipe full, whole frame"]
        for model, (xy, one_pass_ms) in results.items():
            mae = angle_mae(xy, gt)
            ms = timed.get(model)
            speed = (f"{ms:.1f} ({ms / base:.2f}×)" if ms is not None
                     else f"{one_pass_ms:.1f} (one pass, incl. tracking)")
            rows.append(f"| {clip.stem} | {model} | {mae[f'knee {near}']:.1f} / {mae[f'knee {far}']:.1f} "
                        f"| {mae[f'hip {near}']:.1f} / {mae[f'hip {far}']:.1f} "
                        f"| {mislabelled_pct(xy, gt):.1f} % | {speed} |")
            print(rows[-1], file=sys.stderr, flush=True)
    print(f"crops around: {args.box}; timing: median of {args.rounds} interleaved rounds of "
          f"{args.frames} frames, one thread each; (×) = relative to MediaPipe whole frame")
    print("| clip | model | knee near / far (°) | hip near / far (°) | L/R swaps | ms/frame |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
