"""``posecheck compare BEFORE AFTER --out DIR``: analyse both clips and write the comparison.

Both clips are analysed afresh with the same settings (simplest and honest: the two sides
are measured by the same model and code version). Written, through a staging folder like
``posecheck analyze`` (``posecheck.report.outdir``):

=========================  ==========================================================
``comparison.csv``         one row per metric and leg group (see :mod:`posecheck.compare.metrics`)
``comparison.json``        the same plus clip verdicts, method and stride-cycle curves
``compare_curves.svg``     knee, hip and thigh stride-cycle curves, before vs after
``side_by_side.mp4``       both annotated clips, synchronised on a touchdown (H.264)
``compare.html``           offline report of all of it (plays the video from the folder)
``before_annotated.mp4``,  each clip's annotated video (the side-by-side's sources)
``after_annotated.mp4``
=========================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from posecheck.compare.metrics import CYCLE_SIGNALS, Comparison, compare, default_alignment
from posecheck.types import Analysis

COMPARE_FILES = ("comparison.csv", "comparison.json", "compare_curves.svg", "side_by_side.mp4",
                 "compare.html", "before_annotated.mp4", "after_annotated.mp4")


def curves_svg(comparison: Comparison) -> str:
    """The three stride-cycle charts stacked in one SVG (``compare_curves.svg``)."""
    import altair as alt

    from posecheck.compare.plots import cycle_chart
    from posecheck.report import plots

    charts = [cycle_chart(comparison, s, width=520, height=220) for s in CYCLE_SIGNALS]
    return plots.to_svg(plots.for_print(alt.vconcat(*charts)))


def write_comparison(before: Analysis, after: Analysis, out: Path, *,
                     before_video: Path, after_video: Path, names: tuple[str, str],
                     align_side: str | None = None, touchdown: int = 0, height: int = 540,
                     progress: Callable[[str, int, int], None] | None = None
                     ) -> tuple[Comparison, dict[str, Path]]:
    """Write the comparison files (all but the annotated videos) into ``out``."""
    from posecheck.compare.report import build_compare_report
    from posecheck.compare.sidebyside import write_side_by_side

    out = Path(out)
    comparison = compare(before, after, before_name=names[0], after_name=names[1])
    paths = {name: out / name for name in ("comparison.csv", "comparison.json",
                                           "compare_curves.svg", "side_by_side.mp4",
                                           "compare.html")}
    paths["comparison.csv"].write_text(comparison.to_csv(), encoding="utf-8")
    paths["comparison.json"].write_text(comparison.to_json(), encoding="utf-8")
    paths["compare_curves.svg"].write_text(curves_svg(comparison), encoding="utf-8")
    align = default_alignment(before, after, align_side, touchdown)
    cb = None if progress is None else (lambda d, t: progress("video", d, t))
    write_side_by_side(before, after, before_video, after_video, paths["side_by_side.mp4"],
                       align=align, labels=(f"BEFORE - {names[0]}", f"AFTER - {names[1]}"),
                       height=height, progress=cb)
    paths["compare.html"].write_text(build_compare_report(comparison, video_name="side_by_side.mp4"),
                                     encoding="utf-8")
    return comparison, paths


def run_compare(before_clip: Path, after_clip: Path, out: Path, *, model: str = "full",
                athlete: str = "auto", slowmo: tuple[float | None, float | None] = (None, None),
                align_side: str | None = None, touchdown: int = 0, height: int = 540,
                force: bool = False, progress: Callable[[str, int, int], None] | None = None
                ) -> tuple[Comparison, dict[str, Path]]:
    """Analyse both clips and write :data:`COMPARE_FILES` into ``out`` (staged)."""
    from posecheck.config import Config, OutputConfig, PoseConfig, VideoConfig
    from posecheck.report.export import write_annotated_video
    from posecheck.report.outdir import check_output_dir, staged_output
    from posecheck.pipeline import analyze_video

    check_output_dir(out, force=force)  # fail before the slow part
    analyses = []
    for clip, factor in zip((before_clip, after_clip), slowmo):
        config = Config(video=VideoConfig(slowmo_factor=factor),
                        pose=PoseConfig(model=model, athlete=athlete),
                        output=OutputConfig(video=True, max_video_height=720))
        analyses.append(analyze_video(clip, config, progress=progress))
    before, after = analyses
    with staged_output(out, force=force) as stage:
        videos = []
        for label, a in (("before", before), ("after", after)):
            cb = None if progress is None else (lambda d, t: progress("video", d, t))
            videos.append(write_annotated_video(a, stage / f"{label}_annotated.mp4",
                                                max_height=720, progress=cb))
        comparison, paths = write_comparison(
            before, after, stage, before_video=videos[0], after_video=videos[1],
            names=(Path(before_clip).name, Path(after_clip).name), align_side=align_side,
            touchdown=touchdown, height=height, progress=progress)
    final = {name: Path(out) / name for name in (*paths, "before_annotated.mp4",
                                                  "after_annotated.mp4")}
    return comparison, final
