"""``posecheck`` command line: a thin layer over :func:`posecheck.analyze_video`.

Exit status: 0 success, 2 bad input or environment (one-line message on stderr, no
traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from posecheck import __version__
from posecheck.config import (MODEL_VARIANTS, Config, KinematicsConfig, OutputConfig, PoseConfig,
                              VideoConfig)
from posecheck.athlete import ATHLETE_RULES
from posecheck.errors import PosecheckError


class UsageError(PosecheckError):
    """An invalid combination of command-line settings."""


class ProgressBar:
    """A one-line progress bar on stderr: ``pose  [#####.....]  52%  94/180 frames  31 fps``."""

    def __init__(self, stream=None, width: int = 28, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self._stage: str | None = None
        self._t0 = time.monotonic()
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self._stage:
            if self._stage is not None:
                self.stream.write("\n")
            self._stage, self._t0 = stage, now
        elif now - self._last < 0.1 and done != total:
            return
        self._last = now
        elapsed = now - self._t0
        speed = f"  {done / elapsed:4.0f} fps" if elapsed > 0.5 else ""
        if total > 0:
            frac = min(done / total, 1.0)
            fill = int(round(frac * self.width))
            bar = "#" * fill + "." * (self.width - fill)
            line = f"\r{stage:<6}[{bar}] {frac:4.0%}  {done}/{total} frames{speed}"
        else:
            line = f"\r{stage:<6}{done} frames{speed}"
        self.stream.write(line.ljust(72))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._stage is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._stage = None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.01 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 0.01 and 100")
    return value


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="posecheck", description="Sprint technique checker for side-view clips.")
    ap.add_argument("--version", action="version", version=f"posecheck {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    an = sub.add_parser("analyze", help="analyse a side-view sprint clip")
    an.add_argument("clip", type=Path, help="video file (.mp4, .mov, .m4v)")
    an.add_argument("--out", type=Path, help="output directory (default: <clip stem>_posecheck/ next to the clip)")
    an.add_argument("--model", choices=MODEL_VARIANTS, default="full", help="pose model (default: full)")
    an.add_argument("--slowmo", type=_positive_float, metavar="F",
                    help="real-time factor of a slow-motion export, e.g. 8 for 240 fps played at 30 fps")
    an.add_argument("--height-m", type=float, metavar="M",
                    help="athlete's standing height in metres (gives step length in metres)")
    an.add_argument("--no-video", action="store_true", help="skip the annotated video")
    an.add_argument("--max-height", type=int, metavar="PX", help="downscale the annotated video to at most PX lines")
    an.add_argument("--force", action="store_true",
                    help="replace the results in an existing output directory (otherwise refused)")
    an.add_argument("--athlete", choices=ATHLETE_RULES, default="auto",
                    help="who to analyse when several people are in view: auto = tracked longest and "
                         "largest (default); largest = nearest the camera; top = farthest lane; ...")
    an.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal)")
    an.add_argument("--debug", action="store_true", help="show the full traceback of unexpected errors")

    models = sub.add_parser("models", help="manage the offline pose models")
    msub = models.add_subparsers(dest="models_command", required=True)
    fetch = msub.add_parser("fetch", help="build a pose model (e.g. heavy) from the @mediapipe/pose npm package")
    fetch.add_argument("variant", choices=MODEL_VARIANTS)
    fetch.add_argument("--from", dest="tarball", type=Path, help="use a local @mediapipe/pose .tgz instead of running npm pack")
    fetch.add_argument("--dir", type=Path, help="model directory to write into")
    fetch.add_argument("--force", action="store_true", help="rebuild even if a valid model is present")
    msub.add_parser("list", help="show which models are installed and valid")
    return ap


def _analyze(args: argparse.Namespace) -> int:
    from posecheck.export import write_outputs
    from posecheck.pipeline import analyze_video

    from posecheck.video_io import check_file

    clip: Path = args.clip
    check_file(clip)  # missing / folder / empty: say so before anything else
    if not clip.name:
        clip = clip.resolve()
    out = args.out if args.out is not None else clip.with_name(f"{clip.stem}_posecheck")
    try:
        config = Config(
            video=VideoConfig(slowmo_factor=args.slowmo),
            pose=PoseConfig(model=args.model, athlete=args.athlete),
            output=OutputConfig(video=not args.no_video, max_video_height=args.max_height),
            kinematics=KinematicsConfig(athlete_height_m=args.height_m),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    from posecheck.outdir import check_output_dir, staged_output

    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        check_output_dir(out, force=args.force)  # fail before the slow part
        analysis = analyze_video(clip, config, progress=bar)
        # written to a staging folder, moved into place only when complete
        with staged_output(out, force=args.force) as stage:
            paths = write_outputs(analysis, stage, config.output, progress=bar)
    finally:
        bar.close()
    p = analysis.pose
    print(f"{clip.name}: {p.n_frames} frames, athlete found in {p.detection_rate:.0%}, "
          f"running {'left to right' if analysis.angles.direction > 0 else 'right to left'}")
    for w in analysis.warnings:
        print(f"warning: {w}")
    print(f"wrote {', '.join(paths)} to {out}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from posecheck import models

    if args.models_command == "fetch":
        path = models.fetch_model(args.variant, args.dir, args.tarball, force=args.force)
        print(f"{args.variant}: {path} (checksum OK)")
        return 0
    for variant in MODEL_VARIANTS:
        try:
            print(f"{variant:<6} OK       {models.resolve_model(variant)}")
        except PosecheckError as exc:
            print(f"{variant:<6} missing  {exc}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "analyze":
            return _analyze(args)
        return _models(args)
    except PosecheckError as exc:
        print(f"posecheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("posecheck: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line by default, the traceback with --debug
        if getattr(args, "debug", False):
            raise
        print(f"posecheck: internal error: {type(exc).__name__}: {exc} "
              f"(rerun with --debug and report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
