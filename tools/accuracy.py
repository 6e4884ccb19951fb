"""Accuracy of posecheck's output on synthetic clips with ground truth (docs/metrics.md §8).

    python -m tools.accuracy CLIP.mp4 [CLIP.mp4 ...] [--model full] [--workers 1]

Each clip needs the JSON that ``python -m tools.synth render ... --out CLIP.mp4`` writes next
to it. Each clip goes through :func:`posecheck.analyze_video` (the whole pipeline: decode,
MediaPipe, leg-swap repair, filtering, events, strides, verdict) and is compared with the
truth:

* per-frame knee / hip flexion (the ``angles.csv`` columns) against ``frames.angles_2d``:
  MAE / bias (estimate - truth) in degrees, per leg;
* leg labels: % of frames whose left knee + ankle lie nearer the true right ones, in
  MediaPipe's raw output and after posecheck's repair;
* gait events: each truth touchdown / toe-off matched to the nearest detected event of the
  same foot and kind; % within +/-1 frame (+/-2 at 240 fps and above), mean |error| in
  frames, truth events with no detection within 0.06 s;
* peak swing knee flexion: median over the clip's strides, posecheck minus truth (degrees);
* step frequency (``summary.cadence``, the line through all touchdowns) against the truth's
  ``1 / step_time_s``, error in %;
* the clip's verdict and score, and the style the clip was rendered with.

Prints one markdown row per clip. The held-out clips of §8 were rendered with
``python -m tools.synth render --style S --fps F --size 960x540 --seconds 3 --out ...``
(see docs/metrics.md §8 for each clip's options).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

KNEE_ANKLE = {"left": (25, 27), "right": (26, 28)}  # MediaPipe knee, ankle indices
MISSED_S = 0.06


def mislabelled_pct(xy: np.ndarray, gt: dict) -> float:
    """% of detected frames whose labelled left knee + ankle lie nearer the true right ones
    (and the right ones nearer the true left ones) than to their own truth."""
    px = {k: np.asarray(v, float) for k, v in gt["frames"]["points_px"].items()}

    def dist(side: str, truth: str) -> np.ndarray:
        knee, ankle = KNEE_ANKLE[side]
        return (np.linalg.norm(xy[:, knee] - px[f"knee.{truth}"], axis=1)
                + np.linalg.norm(xy[:, ankle] - px[f"ankle.{truth}"], axis=1))

    det = np.isfinite(xy[:, 25, 0])
    swapped = det & (dist("left", "R") + dist("right", "L") < dist("left", "L") + dist("right", "R"))
    return 100.0 * swapped.sum() / max(1, det.sum())


def angle_errors(analysis, gt: dict) -> dict[str, tuple[float, float]]:
    """(MAE, bias) in degrees of knee / hip flexion per leg against ``angles_2d``."""
    truth = gt["frames"]["angles_2d"]
    out = {}
    for joint, est in (("knee", analysis.angles.knee_flexion), ("hip", analysis.angles.hip_flexion)):
        ref = np.asarray(truth[f"{joint}_flexion"], float)
        for j, side in enumerate("LR"):
            ok = np.isfinite(est[:, j]) & np.isfinite(ref[:, j])
            err = est[ok, j] - ref[ok, j]
            out[f"{joint} {side}"] = (float(np.mean(np.abs(err))), float(np.mean(err)))
    return out


def event_errors(analysis, gt: dict) -> tuple[float, float, int, int]:
    """(% within tolerance, mean |error| in frames, missed, truth events) for the clip."""
    fps = float(gt["fps"])
    tol = 2 if fps >= 240 else 1
    errors, missed = [], 0
    for ev in gt["events"]:
        cands = [e.time_s for e in analysis.events if e.side == ev["side"] and e.kind == ev["type"]]
        if not cands:
            missed += 1
            continue
        t = min(cands, key=lambda c: abs(c - ev["time"]))
        if abs(t - ev["time"]) > MISSED_S:
            missed += 1
            continue
        errors.append(abs(t - ev["time"]) * fps)
    n = len(gt["events"])
    within = sum(e <= tol + 1e-6 for e in errors)
    return 100.0 * within / max(1, n), float(np.mean(errors)) if errors else float("nan"), missed, n


def peak_knee_error(analysis, gt: dict) -> float:
    """Median peak swing knee flexion over the detected strides minus the truth's median
    (degrees; NaN without strides)."""
    est = [s.peak_knee_flexion_deg for s in analysis.strides if np.isfinite(s.peak_knee_flexion_deg)]
    ref = [s["peak_knee_flexion"] for s in gt.get("strides", [])]
    if not est or not ref:
        return float("nan")
    return float(np.median(est) - np.median(ref))


def step_frequency_error_pct(analysis, gt: dict) -> float:
    """Step frequency (``summary.cadence``) minus the truth's, in % of the truth (NaN when
    the clip has no fitted cadence)."""
    cad = analysis.summary.cadence or {}
    f = cad.get("step_frequency_hz")
    if f is None or not gt.get("step_time_s"):
        return float("nan")
    truth = 1.0 / float(gt["step_time_s"])
    return 100.0 * (float(f) - truth) / truth


def main(argv: list[str] | None = None) -> int:
    from posecheck import analyze_video
    from posecheck.config import Config, PoseConfig
    from posecheck.kinematics.legs import swap_legs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="+", type=Path)
    ap.add_argument("--model", default="full")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--mediapipe-landmarks", action="store_true",
                    help="follow the athlete with MediaPipe's own VIDEO-mode landmarker "
                         "(PoseConfig.landmark_net off) instead of its landmark network run "
                         "directly (the default, docs/metrics.md §8c-8d)")
    args = ap.parse_args(argv)
    print("| clip | style | fps | swaps raw → repaired | knee L | knee R | hip L | hip R "
          "| events within ±tol | peak knee Δ | step freq | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for clip in args.clips:
        gt = json.loads(clip.with_suffix(".json").read_text())
        a = analyze_video(clip, Config(pose=PoseConfig(model=args.model, workers=args.workers,
                                                    landmark_net=not args.mediapipe_landmarks)))
        raw = mislabelled_pct(a.pose.xy, gt)
        repaired = mislabelled_pct(swap_legs(a.pose.xy, a.kinematics.leg_swapped), gt)
        cells = " | ".join(f"{m:.1f} / {b:+.1f}" for m, b in angle_errors(a, gt).values())
        share, mean_err, missed, n = event_errors(a, gt)
        s = a.summary
        print(f"| {clip.stem} | {gt['params']['style']} | {gt['fps']:g} | {raw:.1f}% → "
              f"{repaired:.1f}% | {cells} | {share:.0f}% (mean {mean_err:.2f} fr, "
              f"{missed}/{n} missed) | {peak_knee_error(a, gt):+.1f}° "
              f"| {step_frequency_error_pct(a, gt):+.2f} % | {s.verdict} {s.score:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
