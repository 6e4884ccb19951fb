"""``posecheck`` command line: a thin layer over :func:`posecheck.analyze_video`.

Exit status: 0 success, 2 bad input or environment (one-line message on stderr, no
traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from posecheck._version import __version__
from posecheck.config import (ATHLETE_RULES, DEFAULT_MODEL, MEDIAPIPE_VARIANTS, MODEL_TEXT,
                              MODEL_VARIANTS, Config, KinematicsConfig, OutputConfig, PoseConfig,
                              VideoConfig)
from posecheck.errors import PosecheckError


PHASE_WORDS = {"max_velocity": "maximum velocity", "acceleration": "acceleration",
               "not_sprinting": "steady running, not sprinting (no sprint style verdict)",
               "unknown": "not determined"}


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


def _norms_epilog() -> str:
    """The published values behind the verdict and cues, for ``analyze --help``."""
    from posecheck.assess.norms import NORMS, cite

    lines = ["The style is a description, not a grade (Haugen et al. 2018). Published values",
             "used (docs/metrics.md section 9 has the references table):"]
    for n in NORMS.values():
        if n.use == "report" and not n.sources:
            continue
        if n.use == "reference" and n.low is not None:
            value = f"{n.low:g}" if n.low == n.high else f"{n.low:g}-{n.high:g}"
            lines.append(f"  {n.label}: {value} {n.unit}; {n.population} [{cite(n.metric)}]")
        else:
            lines.append(f"  {n.label}: {n.population} [{cite(n.metric)}]")
    return "\n".join(lines)


_MODEL_HELP = ("pose mode (default: %(default)s): "
               + "; ".join(f"{m} = {MODEL_TEXT[m]}" for m in MODEL_VARIANTS))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="posecheck", description="Sprint technique checker for side-view clips.")
    ap.add_argument("--version", action="version", version=f"posecheck {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    an = sub.add_parser("analyze", help="analyse a side-view sprint clip",
                        epilog=_norms_epilog(),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    an.add_argument("clip", type=Path, help="video file (.mp4, .mov, .m4v)")
    an.add_argument("--out", type=Path, help="output directory (default: <clip stem>_posecheck/ next to the clip)")
    an.add_argument("--model", choices=MODEL_VARIANTS, default=DEFAULT_MODEL, help=_MODEL_HELP)
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
    an.add_argument("--workers", type=int, default=None, metavar="N",
                    help="worker threads for pose inference and the video (default: the usable "
                         "cores, fewer for short clips; 1 = one stream, no workers)")
    an.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal)")
    an.add_argument("--debug", action="store_true", help="show the full traceback of unexpected errors")

    cmp_ = sub.add_parser("compare", help="compare two clips (before/after): metric deltas, "
                                          "stride-cycle curves, side-by-side video")
    cmp_.add_argument("before", type=Path, help="the 'before' clip")
    cmp_.add_argument("after", type=Path, help="the 'after' clip")
    cmp_.add_argument("--out", type=Path, required=True, help="output directory")
    cmp_.add_argument("--model", choices=MODEL_VARIANTS, default=DEFAULT_MODEL, help=_MODEL_HELP)
    cmp_.add_argument("--slowmo-before", type=_positive_float, metavar="F",
                      help="real-time factor of a slow-motion 'before' clip")
    cmp_.add_argument("--slowmo-after", type=_positive_float, metavar="F",
                      help="real-time factor of a slow-motion 'after' clip")
    cmp_.add_argument("--athlete", choices=ATHLETE_RULES, default="auto", help="as for analyze")
    cmp_.add_argument("--align", choices=("auto", "left", "right"), default="auto",
                      help="leg whose touchdown the side-by-side video is aligned on "
                           "(auto: the leg that touches down first in both clips)")
    cmp_.add_argument("--touchdown", type=int, default=1, metavar="K",
                      help="align on the K-th touchdown of that leg in each clip (default 1)")
    cmp_.add_argument("--height", type=int, default=540, metavar="PX",
                      help="height of each clip in the side-by-side video (default 540)")
    cmp_.add_argument("--force", action="store_true", help="replace posecheck's files in an existing --out")
    cmp_.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp_.add_argument("--debug", action="store_true", help="show the full traceback of unexpected errors")

    bt = sub.add_parser("batch", help="analyse every clip under files and folders into one "
                                      "output folder each, recorded in a library",
                        description="Analyse every clip (.mp4, .mov, .m4v) found under PATH... "
                                    "(folders searched recursively): one output folder per "
                                    "analysis (the files of 'analyze'), DIR/summary.csv, and a "
                                    "session per analysis in the library. Clips already analysed "
                                    "with the same settings (same content, any name) are "
                                    "skipped. Exit status: 0 all analysed, 1 a clip failed "
                                    "(each failure is one line on stderr), 2 usage error.")
    bt.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="clips and folders")
    bt.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    bt.add_argument("--name", help="athlete's name for every clip (default: each clip's folder "
                                   "name, e.g. squad/alice/run1.mp4 -> alice)")
    bt.add_argument("--athlete", choices=(*ATHLETE_RULES, "all"), default="auto",
                    help="as for analyze; all = every person tracked long enough, each as its "
                         "own analysis ('<clip> #1', '#2', ... in order of appearance)")
    bt.add_argument("--library", type=Path, metavar="PATH",
                    help="SQLite library to record in (default: DIR/library.sqlite)")
    bt.add_argument("--scheduler", metavar="ADDRESS",
                    help="run the analyses on a Dask distributed cluster (e.g. "
                         "tcp://host:8786; workers must read the clips by the same path; "
                         "needs pip install 'posecheck[cluster]')")
    bt.add_argument("--model", choices=MODEL_VARIANTS, default="full", help="pose model (default: full)")
    bt.add_argument("--slowmo", type=_positive_float, metavar="F", help="as for analyze")
    bt.add_argument("--height-m", type=float, metavar="M", help="as for analyze")
    bt.add_argument("--no-video", action="store_true", help="skip the annotated videos")
    bt.add_argument("--max-height", type=int, metavar="PX", help="as for analyze")
    bt.add_argument("--workers", type=int, default=None, metavar="N", help="as for analyze")
    bt.add_argument("--quiet", action="store_true", help="no progress lines")
    bt.add_argument("--debug", action="store_true", help="show the full traceback of unexpected errors")

    hist = sub.add_parser("history", help="list the sessions in a library")
    hist.add_argument("--library", type=Path, metavar="PATH",
                      help="the library (default: $POSECHECK_LIBRARY or the per-user one, "
                           "~/.local/share/posecheck/library.sqlite on Linux)")
    hist.add_argument("--athlete", metavar="NAME", help="only this athlete's sessions")
    hist.add_argument("--json", action="store_true",
                      help="print a JSON list (athlete, date, clip, phase, verdict, score, ...)")

    app = sub.add_parser("app", help="start the web app (Streamlit) and print its address")
    app.add_argument("--library", type=Path, metavar="PATH",
                     help="record the app's analyses in this library and show its history "
                          "(default: $POSECHECK_LIBRARY or ~/.local/share/posecheck/library.sqlite)")
    app.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    app.add_argument("--host", default="localhost",
                     help="address to listen on (default localhost; 0.0.0.0 = reachable from a "
                          "phone on the same network)")
    app.add_argument("--browser", action="store_true", help="also open the app in a web browser")

    models = sub.add_parser("models", help="manage the offline pose models")
    msub = models.add_subparsers(dest="models_command", required=True)
    fetch = msub.add_parser("fetch", help="build a pose model (e.g. heavy) from the @mediapipe/pose npm package")
    fetch.add_argument("variant", choices=MEDIAPIPE_VARIANTS)
    fetch.add_argument("--from", dest="tarball", type=Path, help="use a local @mediapipe/pose .tgz instead of running npm pack")
    fetch.add_argument("--dir", type=Path, help="model directory to write into")
    fetch.add_argument("--force", action="store_true", help="rebuild even if a valid model is present")
    msub.add_parser("list", help="show which models are installed and valid")
    return ap


def _analyze(args: argparse.Namespace) -> int:
    from posecheck.report.export import write_outputs
    from posecheck.pipeline import analyze_video

    from posecheck.video.reader import check_file

    clip: Path = args.clip
    check_file(clip)  # missing / folder / empty: say so before anything else
    if not clip.name:
        clip = clip.resolve()
    out = args.out if args.out is not None else clip.with_name(f"{clip.stem}_posecheck")
    config = _config(args, args.athlete)
    from posecheck.report.outdir import check_output_dir, staged_output

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
    summary = analysis.summary
    if summary is not None:
        counts = ", ".join(f"{n} {p.replace('_', ' ')}" for p, n in summary.phase_strides.items() if n)
        shown = counts and summary.phase in ("max_velocity", "acceleration")
        if summary.start is not None:
            from posecheck.report.review_data import start_text

            print(start_text(summary.start))
        print(f"phase: {PHASE_WORDS.get(summary.phase, summary.phase)}"
              + (f" ({counts} strides)" if shown else ""))
        if summary.cadence:
            from posecheck.report.review_data import cadence_text

            print(cadence_text(summary.cadence))
        if summary.verdict != "unknown":
            print(f"style: {summary.verdict.upper()} style (front-side index "
                  f"{summary.score:.0f}/100, confidence {summary.confidence_label}, "
                  f"{summary.n_strides} max-velocity strides) - a description, not a grade")
        marks = {"fault": "fix ", "good": "good", "info": "info"}
        for cue in analysis.cues:
            src = f" [{cue.source}]" if cue.source else ""
            print(f"  {marks.get(cue.kind, cue.kind)}  {cue.text}{src}")
    for w in analysis.warnings:
        print(f"warning: {w}")
    print(f"wrote {', '.join(paths)} to {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    """``posecheck compare``: analyse both clips, write the comparison (see docs/app.md)."""
    from posecheck.compare.run import run_compare
    from posecheck.video.reader import check_file

    for clip in (args.before, args.after):
        check_file(clip)
    if args.touchdown < 1:
        raise UsageError("--touchdown counts from 1")
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        comparison, paths = run_compare(
            args.before, args.after, args.out, model=args.model, athlete=args.athlete,
            slowmo=(args.slowmo_before, args.slowmo_after),
            align_side=None if args.align == "auto" else args.align,
            touchdown=args.touchdown - 1, height=args.height, force=args.force, progress=bar)
    finally:
        bar.close()
    from posecheck.compare.report import headline

    print(headline(comparison))
    for m in comparison.metrics:
        if m.side == "both" and m.better is not None:
            print(f"  {m.label}: {m.delta:+.2f} ({m.wording})")
    print(f"wrote {', '.join(paths)} to {args.out}")
    return 0


def _config(args: argparse.Namespace, athlete: str = "auto") -> Config:
    try:
        return Config(
            video=VideoConfig(slowmo_factor=args.slowmo),
            pose=PoseConfig(model=args.model, athlete=athlete, workers=args.workers),
            output=OutputConfig(video=not args.no_video, max_video_height=args.max_height),
            kinematics=KinematicsConfig(athlete_height_m=args.height_m),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _batch(args: argparse.Namespace) -> int:
    """``posecheck batch``: see :mod:`posecheck.batch.run`; 1 when any clip failed."""
    from posecheck.batch.run import run_batch

    all_people = args.athlete == "all"
    config = _config(args, "auto" if all_people else args.athlete)
    shown = not args.quiet
    bar = ProgressBar(enabled=shown and sys.stderr.isatty())

    def say(kind: str, text: str) -> None:
        if kind == "fail":
            bar.close()
            print(f"posecheck: failed: {text}", file=sys.stderr, flush=True)
        elif shown:
            bar.close()
            print(text, flush=True)

    try:
        outcome = run_batch(args.paths, args.out, config, name=args.name,
                            all_people=all_people, library=args.library,
                            scheduler=args.scheduler, say=say, progress=bar)
    finally:
        bar.close()
    dup = f", {len(outcome.duplicates)} duplicate files" if outcome.duplicates else ""
    print(f"{len(outcome.analysed)} analysed, {len(outcome.skipped)} already in the library"
          f"{dup}, {len(outcome.failed)} failed; summary: {outcome.summary_csv}; library: "
          f"{outcome.library}")
    return outcome.exit_code


def _history(args: argparse.Namespace) -> int:
    """``posecheck history``: the sessions of a library, as a table or JSON."""
    import json

    from posecheck.library.store import Library, default_library_path, history_json

    path = args.library or default_library_path()
    if not path.is_file():
        raise UsageError(f"no library at {path} (run posecheck batch, or give --library)")
    with Library(path) as lib:
        sessions = lib.sessions(args.athlete)
    if args.json:
        print(json.dumps(history_json(sessions), indent=2))
        return 0
    if not sessions:
        print("no sessions" + (f" of {args.athlete}" if args.athlete else ""))
        return 0
    print(f"{'athlete':<14} {'date':<10} {'clip':<28} {'phase':<13} {'verdict':<11} "
          f"{'score':>5}  {'thigh@knee':>10} {'contact s':>9}")
    for s in sessions:
        km = s.get("key_metrics") or {}
        score = "" if s.get("score") is None else f"{s['score']:.0f}"
        thigh, contact = km.get("thigh_at_peak_knee_deg"), km.get("contact_time_s")
        print(f"{s['athlete'][:14]:<14} {s['date'][:10]:<10} {s['clip'][:28]:<28} "
              f"{(s.get('phase') or '')[:13]:<13} {(s.get('verdict') or '')[:11]:<11} "
              f"{score:>5}  {'' if thigh is None else f'{thigh:.1f}':>10} "
              f"{'' if contact is None else f'{contact:.3f}':>9}")
    return 0


def _app(args: argparse.Namespace) -> int:
    """``posecheck app``: serve the packaged Streamlit app until interrupted."""
    from posecheck.ui.server import app_command, serve

    if not 1 <= args.port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    shown = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    print(f"posecheck app: http://{shown}:{args.port}  (Ctrl+C to stop)", flush=True)
    import os

    env = None
    if args.library is not None:  # the app process reads it (posecheck.library.store)
        env = dict(os.environ, POSECHECK_LIBRARY=str(args.library.resolve()))
    return serve(app_command(args.host, args.port, args.browser), env=env)


def _models(args: argparse.Namespace) -> int:
    from posecheck.pose import models

    if args.models_command == "fetch":
        path = models.fetch_model(args.variant, args.dir, args.tarball, force=args.force)
        print(f"{args.variant}: {path} (checksum OK)")
        return 0
    for variant in MEDIAPIPE_VARIANTS:
        try:
            print(f"{variant:<6} OK       {models.resolve_model(variant)}")
        except PosecheckError as exc:
            print(f"{variant:<6} missing  {exc}")
    return 0


def main(argv: list[str] | None = None, quiet_native: bool = False) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status.
    ``quiet_native``: for ``analyze`` and ``compare``, drop the native log lines that
    MediaPipe writes straight to fd 2 for the rest of the process (see :func:`entry`)."""
    args = build_parser().parse_args(argv)
    if quiet_native and args.command in ("analyze", "compare", "batch") and not args.debug:
        from posecheck.pose.native_stderr import route_native_stderr_away

        route_native_stderr_away()
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "history":
            return _history(args)
        if args.command == "app":
            return _app(args)
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


def entry() -> int:
    """The ``posecheck`` console script: :func:`main` in a process whose native log lines
    (MediaPipe's C++ INFO lines, written straight to fd 2 at any time, garbage collection and
    exit included) are dropped, so stderr holds only posecheck's own lines. ``--debug``
    keeps them."""
    return main(quiet_native=True)


if __name__ == "__main__":
    sys.exit(entry())
