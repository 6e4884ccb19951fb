"""Run MediaPipe PoseLandmarker on a synthetic clip and compare with its ground truth.

Needs ``mediapipe`` and a ``pose_landmarker_*.task`` model (not used by the tests). The
2D angles are computed from MediaPipe's landmarks with the SAME functions and the SAME
running direction as the ground truth (:mod:`.groundtruth`), so differences are purely
keypoint differences. MediaPipe's keypoints are not anatomical joint centres: a few
degrees of systematic offset (bias) are expected and are reported, not hidden.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .groundtruth import angles_2d

#: our point name -> BlazePose landmark index (MediaPipe left_* = the person's left)
MP_INDEX = {"shoulder.L": 11, "shoulder.R": 12, "elbow.L": 13, "elbow.R": 14, "wrist.L": 15,
            "wrist.R": 16, "hip.L": 23, "hip.R": 24, "knee.L": 25, "knee.R": 26,
            "ankle.L": 27, "ankle.R": 28, "heel.L": 29, "heel.R": 30, "toe.L": 31, "toe.R": 32}


def run_mediapipe(clip: str | Path, model: str | Path) -> tuple[np.ndarray, np.ndarray, float]:
    """-> (xy (n, 33, 2) pixels or NaN, visibility (n, 33), fps) for every frame of ``clip``."""
    import av
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                        running_mode=vision.RunningMode.VIDEO)
    xys, vis = [], []
    with av.open(str(clip)) as c, vision.PoseLandmarker.create_from_options(opts) as lm:
        st = c.streams.video[0]
        fps = float(st.average_rate)
        for i, fr in enumerate(c.decode(st)):
            rgb = fr.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            res = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                      int(round(i * 1000.0 / fps)))
            if res.pose_landmarks:
                L = res.pose_landmarks[0]
                xys.append([[q.x * w, q.y * h] for q in L])
                vis.append([q.visibility for q in L])
            else:
                xys.append(np.full((33, 2), np.nan))
                vis.append(np.full(33, np.nan))
    return np.array(xys, float), np.array(vis, float), fps


def compare(gt: dict, xy: np.ndarray) -> dict:
    """Per-joint/side MAE and bias (MediaPipe - truth) of 2D angles, detection rate, swaps."""
    fr = gt["frames"]
    d = gt["direction"]
    n = min(len(xy), gt["n_frames"])
    xy = xy[:n]
    det = ~np.isnan(xy[:, 0, 0])
    gpx = {k: np.asarray(v, float)[:n] for k, v in fr["points_px"].items()}
    mpx = {k: xy[:, i] for k, i in MP_INDEX.items()}
    # MediaPipe has no MTP: use the truth's convention where possible, skip ankle/foot
    mpx["mtp.L"], mpx["mtp.R"] = mpx["toe.L"], mpx["toe.R"]
    a_gt = {k: np.asarray(v, float)[:n] for k, v in fr["angles_2d"].items()}
    a_mp = angles_2d(mpx, d, gt["ankle_neutral_interior_deg"])
    # left/right swap: MediaPipe's left leg (knee + ankle) closer to the true right leg
    def legdist(a, b):
        return sum(np.linalg.norm(mpx[f"{j}.{a}"] - gpx[f"{j}.{b}"], axis=1) for j in ("knee", "ankle"))

    swapped = det & (legdist("L", "R") + legdist("R", "L") < legdist("L", "L") + legdist("R", "R"))
    fixed = {}
    for k, v in mpx.items():
        base, _, s = k.partition(".")
        other = mpx[f"{base}.{'R' if s == 'L' else 'L'}"]
        fixed[k] = np.where(swapped[:, None], other, v)
    a_fix = angles_2d(fixed, d, gt["ankle_neutral_interior_deg"])
    out = {"n_frames": int(n), "detection_rate": float(det.mean()),
           "left_right_swap_rate": float(swapped[det].mean()) if det.any() else None,
           "angles": {}, "angles_swap_corrected": {}, "keypoint_px_error": {}}
    for key, am in (("angles", a_mp), ("angles_swap_corrected", a_fix)):
        for name in ("knee_flexion", "hip_flexion", "thigh", "shank"):
            for si, side in enumerate(("left", "right")):
                e = am[name][:, si] - a_gt[name][:, si]
                e = e[det & np.isfinite(e)]
                out[key][f"{name}.{side}"] = {"mae": float(np.mean(np.abs(e))),
                                              "bias": float(np.mean(e)), "n": int(len(e))}
        e = (am["trunk_lean"] - a_gt["trunk_lean"])[det]
        out[key]["trunk_lean"] = {"mae": float(np.mean(np.abs(e))), "bias": float(np.mean(e)),
                                  "n": int(len(e))}
    for k in MP_INDEX:
        e = np.linalg.norm(mpx[k] - gpx[k], axis=1)[det]
        out["keypoint_px_error"][k] = float(np.median(e))
    return out


def evaluate_clip(clip: str | Path, model: str | Path = "posecheck/pose/model_files/pose_landmarker_full.task") -> dict:
    """MediaPipe vs ``<clip>.json``; see :func:`compare`."""
    gt = json.loads(Path(clip).with_suffix(".json").read_text())
    xy, _, _ = run_mediapipe(clip, model)
    res = compare(gt, xy)
    res["clip"] = str(clip)
    return res


def format_table(res: dict) -> str:
    """Markdown table of the angle comparison."""
    lines = [f"clip: {res.get('clip', '?')}  frames: {res['n_frames']}  detection: "
             f"{100 * res['detection_rate']:.1f}%  L/R swaps: "
             f"{100 * (res['left_right_swap_rate'] or 0):.1f}%",
             "", "| angle | side | MAE (deg) | bias MP-GT (deg) | MAE, L/R swaps undone | bias, swaps undone |",
             "|---|---|---|---|---|---|"]
    for k, v in res["angles"].items():
        name, _, side = k.partition(".")
        w = res["angles_swap_corrected"][k]
        lines.append(f"| {name} | {side or '-'} | {v['mae']:.1f} | {v['bias']:+.1f} | "
                     f"{w['mae']:.1f} | {w['bias']:+.1f} |")
    return "\n".join(lines)
