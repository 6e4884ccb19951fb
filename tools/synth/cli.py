"""Command line: ``python -m tools.synth {render,simulate,evaluate} ...``.

Examples::

    python -m tools.synth render --style front --fps 60 --seconds 3 \
        --out sample_videos/front_side_60fps.mp4
    python -m tools.synth simulate --style 0.5 --out /tmp/gt.json
    python -m tools.synth evaluate sample_videos/front_side_60fps.mp4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from .body import BodyShape
from .params import CAMERA_MODES, CameraParams, Look, SprintParams

STYLE_NAMES = {"front": 1.0, "front-side": 1.0, "back": 0.0, "back-kick": 0.0, "mixed": 0.5}


def _style(s: str) -> float:
    if s in STYLE_NAMES:
        return STYLE_NAMES[s]
    v = float(s)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError("style must be front, back or a number in [0, 1]")
    return v


def _rgb(s: str) -> tuple[int, int, int]:
    s = s.lstrip("#")
    if len(s) == 6:
        return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    parts = [int(x) for x in s.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("colour: RRGGBB hex or r,g,b")
    return tuple(parts)  # type: ignore[return-value]


def add_param_args(ap: argparse.ArgumentParser) -> None:
    d, c, lk, b = SprintParams(), CameraParams(), Look(), BodyShape()
    g = ap.add_argument_group("motion")
    g.add_argument("--style", type=_style, default=1.0,
                   help="front | back | number in [0,1] (0 = back-kick, 1 = front-side)")
    g.add_argument("--cadence", type=float, default=d.cadence, help="steps per second")
    g.add_argument("--duty", type=float, default=d.duty, help="contact time / stride time")
    g.add_argument("--speed", type=float, default=None, help="m/s (default from cadence)")
    g.add_argument("--lean", type=float, default=None, help="mean trunk lean, deg")
    g.add_argument("--direction", choices=["ltr", "rtl"], default="ltr",
                   help="ltr: runs left-to-right (right side faces camera); rtl: the reverse")
    g.add_argument("--phase", type=float, default=d.phase, help="left-leg stride phase at t=0")
    g.add_argument("--key", action="append", default=[], metavar="NAME=VALUE",
                   help="set a style key (motion.STYLE_KEYS) directly, e.g. thigh_peak=67")
    g = ap.add_argument_group("output")
    g.add_argument("--seconds", type=float, default=d.seconds)
    g.add_argument("--fps", type=float, default=d.fps, choices=[30.0, 60.0, 120.0, 240.0])
    g.add_argument("--size", default=f"{d.width}x{d.height}", help="WIDTHxHEIGHT")
    g.add_argument("--supersample", type=int, default=d.supersample)
    g.add_argument("--seed", type=int, default=d.seed)
    g = ap.add_argument_group("camera")
    g.add_argument("--camera", choices=CAMERA_MODES, default=c.mode)
    g.add_argument("--distance", type=float, default=c.distance)
    g.add_argument("--cam-height", type=float, default=c.height)
    g.add_argument("--hfov", type=float, default=None)
    g.add_argument("--fill", type=float, default=c.fill)
    g.add_argument("--yaw", type=float, default=c.yaw_off, help="deg off side-on")
    g.add_argument("--shake", type=float, default=c.shake, help="hand-held shake, deg")
    g = ap.add_argument_group("body and look")
    g.add_argument("--gender", type=float, default=b.gender)
    g.add_argument("--muscle", type=float, default=b.muscle)
    g.add_argument("--weight", type=float, default=b.weight)
    g.add_argument("--stature", type=float, default=b.stature_m)
    g.add_argument("--skin", type=_rgb, default=lk.skin)
    g.add_argument("--shirt", type=_rgb, default=lk.shirt)
    g.add_argument("--shorts", type=_rgb, default=lk.shorts)
    g.add_argument("--shoes", type=_rgb, default=lk.shoes)
    g.add_argument("--hair", type=_rgb, default=lk.hair)


def params_from_args(a: argparse.Namespace) -> SprintParams:
    w, h = (int(x) for x in a.size.lower().split("x"))
    return SprintParams(
        style=a.style, cadence=a.cadence, duty=a.duty, speed=a.speed, lean=a.lean,
        direction=1 if a.direction == "ltr" else -1, phase=a.phase, seconds=a.seconds,
        fps=a.fps, width=w, height=h, supersample=a.supersample, seed=a.seed,
        body=BodyShape(gender=a.gender, muscle=a.muscle, weight=a.weight, stature_m=a.stature),
        camera=CameraParams(mode=a.camera, distance=a.distance, height=a.cam_height,
                            hfov=a.hfov, fill=a.fill, yaw_off=a.yaw, shake=a.shake),
        look=replace(Look(), skin=a.skin, shirt=a.shirt, shorts=a.shorts, shoes=a.shoes,
                     hair=a.hair),
        key_overrides=tuple((k, float(v)) for k, v in (kv.split("=", 1) for kv in a.key)),
    )


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", choices=("steady", "acceleration", "blocks"), default="steady",
                   help="steady max-velocity running (default), an accelerating run from "
                        "its first step (tools/synth/acceleration.py), or a start from the "
                        "blocks: set position, push, then the acceleration "
                        "(tools/synth/block_start.py); the last two ignore --seconds and "
                        "the motion options")
    p.add_argument("--steps", type=int, default=20, help="steps of an accelerating run")


def _run(a: argparse.Namespace):
    """The GroundTruth of ``--run acceleration|blocks`` (None for steady running)."""
    if a.run == "steady":
        return None
    from .acceleration import AccelerationProfile, simulate_acceleration

    prof = AccelerationProfile(steps=a.steps)
    if a.run == "acceleration":
        return simulate_acceleration(params_from_args(a), prof)
    from .block_start import simulate_block_start

    return simulate_block_start(params_from_args(a), prof)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.synth", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render an MP4 + ground-truth JSON")
    add_param_args(r)
    r.add_argument("--out", required=True, help="output .mp4 (JSON goes next to it)")
    _add_run_args(r)
    r.add_argument("--crf", type=int, default=20)
    s = sub.add_parser("simulate", help="kinematics + ground truth only (no video)")
    add_param_args(s)
    s.add_argument("--out", required=True, help="output .json")
    _add_run_args(s)
    rc = sub.add_parser("race", help="render a race scene: several runners, elevated panning camera")
    rc.add_argument("--seconds", type=float, default=20.0)
    rc.add_argument("--fps", type=float, default=25.0, choices=[25.0, 30.0])
    rc.add_argument("--short", action="store_true", help="the few-second test scene")
    rc.add_argument("--out", required=True, help="output .mp4 (JSON goes next to it)")
    e = sub.add_parser("evaluate", help="run MediaPipe on a clip and compare with its JSON")
    e.add_argument("clip")
    e.add_argument("--model", default="posecheck/pose/model_files/pose_landmarker_full.task")
    e.add_argument("--json-out", default=None)
    a = ap.parse_args(argv)

    if a.cmd == "render":
        from .render import render_clip

        t0 = time.perf_counter()
        gt = render_clip(params_from_args(a), a.out, crf=a.crf, progress=True,
                         ground_truth=_run(a))
        print(f"wrote {a.out} and its .json: {gt.params.n_frames} frames in "
              f"{time.perf_counter() - t0:.1f} s")
    elif a.cmd == "race":
        from dataclasses import replace

        from .race import RaceScene, render_race, short_scene

        scene = short_scene(a.seconds, a.fps) if a.short else RaceScene()
        if not a.short:
            scene = replace(scene, athlete=replace(scene.athlete, seconds=a.seconds, fps=a.fps))
        t0 = time.perf_counter()
        gt = render_race(scene, a.out, progress=True)
        print(f"wrote {a.out} and its .json: {gt.params.n_frames} frames in "
              f"{time.perf_counter() - t0:.1f} s")
    elif a.cmd == "simulate":
        from .groundtruth import write_json
        from .simulation import simulate

        gt = _run(a) or simulate(params_from_args(a))
        write_json(a.out, gt.payload)
        print(f"wrote {a.out}")
    else:
        from .evaluate import evaluate_clip, format_table

        res = evaluate_clip(a.clip, a.model)
        print(format_table(res))
        if a.json_out:
            with open(a.json_out, "w") as fh:
                json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
