"""A self-contained HTML report: one file that opens offline, on a phone too.

Nothing is fetched when the file is opened: charts are rendered to inline SVG on the server
(:func:`posecheck.plots.to_svg`, i.e. ``vl-convert-python``: Vega-Lite compiled and rendered
by its bundled engine, no browser and no JavaScript in the report), key frames are inline
base64 JPEGs, styles are inline CSS. The report is static: no script, no external URL.

Phase-2 content (verdict card, cues, stride table) is passed as extra ``sections``, so this
module does not need to know about it.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posecheck import __version__
from posecheck.errors import PosecheckError
from posecheck.types import Analysis

_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; padding: 12px 16px 40px; max-width: 960px; color: #1b1f24;
       line-height: 1.45; }
h1 { font-size: 1.5rem; margin: .4em 0 .1em; } h2 { font-size: 1.15rem; margin-top: 1.6em;
     border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.sub { color: #5a6270; font-size: .9rem; }
table { border-collapse: collapse; font-size: .92rem; margin: .4em 0; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #eee;
         vertical-align: top; }
th { color: #5a6270; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.warn { background: #fff6e0; border-left: 4px solid #f0a500; padding: 8px 12px;
        margin: 6px 0; border-radius: 3px; }
.ok { background: #eaf7ee; border-left: 4px solid #2e9e55; padding: 8px 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 24px; }
.chart svg { max-width: 100%; height: auto; display: block; }
.frames { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
          gap: 14px; }
figure { margin: 0; } figure img { width: 100%; height: auto; border-radius: 4px;
                                   display: block; }
figcaption { font-size: .88rem; color: #333; margin-top: 4px; }
.left { color: #d06f00; font-weight: 600; } .right { color: #1873cc; font-weight: 600; }
footer { margin-top: 2em; font-size: .8rem; color: #777; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def angle_summary(analysis: Analysis) -> list[dict]:
    """Per leg: peak knee flexion, highest and lowest hip flexion (degrees, NaN-safe).

    Returns rows ``{"leg", "peak_knee_flexion_deg", "max_hip_flexion_deg",
    "min_hip_flexion_deg"}`` with ``None`` where the leg was never measured.
    """
    def agg(fn, v):
        return round(float(fn(v)), 1) if np.isfinite(v).any() else None

    rows = []
    k, h = analysis.angles.knee_flexion, analysis.angles.hip_flexion
    for j, leg in enumerate(("left", "right")):
        rows.append({"leg": leg, "peak_knee_flexion_deg": agg(np.nanmax, k[:, j]),
                     "max_hip_flexion_deg": agg(np.nanmax, h[:, j]),
                     "min_hip_flexion_deg": agg(np.nanmin, h[:, j])})
    return rows


def _fmt(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.0f}°" if signed else f"{v:.0f}°"


def _clip_table(analysis: Analysis, clip_name: str) -> str:
    v = analysis.video
    slowmo = (f"×{v.slowmo_factor:g} (real {v.real_fps:.0f} fps)" if v.slowmo_factor != 1
              else "none (real time)")
    rows = [
        ("Clip", clip_name),
        ("Picture", f"{v.width}×{v.height}, {v.fps:.2f} fps, {v.codec}"
                    + (f", rotated {v.rotation_deg}°" if v.rotation_deg else "")),
        ("Length", f"{analysis.pose.n_frames} frames, {float(analysis.times[-1]):.2f} s real time"
                   if analysis.pose.n_frames else "–"),
        ("Slow motion", slowmo),
        ("Capture rate tag", f"{v.capture_fps:.0f} fps" if v.capture_fps else "none"),
        ("Pose model", analysis.pose.model),
        ("Athlete found in", f"{analysis.pose.detection_rate:.0%} of frames"),
        ("Running", "left → right" if analysis.angles.direction > 0 else "right → left"),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(val)}</td></tr>" for k, val in rows)
    return f"<table>{body}</table>"


def _angles_table(analysis: Analysis) -> str:
    head = ("<tr><th>Leg</th><th>Knee most bent</th><th>Thigh highest (hip flexion)</th>"
            "<th>Thigh furthest back</th></tr>")
    body = "".join(
        f"<tr><td class='{r['leg']}'>{r['leg'].capitalize()}</td>"
        f"<td class='num'>{_fmt(r['peak_knee_flexion_deg'])}</td>"
        f"<td class='num'>{_fmt(r['max_hip_flexion_deg'], True)}</td>"
        f"<td class='num'>{_fmt(r['min_hip_flexion_deg'], True)}</td></tr>"
        for r in angle_summary(analysis))
    return f"<table>{head}{body}</table>"


def _charts_html(analysis: Analysis, events) -> str:
    from posecheck import plots

    try:
        kw = {} if events is None else {"events": events}
        # narrow, legend on top, large fonts: readable on a phone, fine on a laptop
        charts = plots.angle_charts(analysis, width=440, height=220, legend="top", **kw)
        parts = [f"<div class='chart'>{plots.to_svg(plots.for_print(c))}</div>"
                 for c in charts.values()]
    except ImportError:
        return ("<p class='warn'>Charts need the <code>vl-convert-python</code> package "
                "(pip install vl-convert-python); the angle data is in angles.csv.</p>")
    return f"<div class='charts'>{''.join(parts)}</div>"


def _frames_html(analysis: Analysis, key_frames) -> str:
    from posecheck.ui.frames import athlete_box, crop, jpeg_bytes, overlay_row

    figs = []
    for kf in key_frames:
        try:
            # zoomed on the athlete: on a phone screen a whole far-away frame shows little
            img = crop(overlay_row(analysis, kf.row), athlete_box(analysis, kf.row, min_aspect=1.0))
            jpg = jpeg_bytes(img, max_height=540, quality=82)
        except (PosecheckError, IndexError, ValueError, OSError):
            continue  # the clip is gone or the frame cannot be decoded: leave it out
        b64 = base64.b64encode(jpg).decode("ascii")
        figs.append(f"<figure><img alt='{_e(kf.caption)}' src='data:image/jpeg;base64,{b64}'>"
                    f"<figcaption>{_e(kf.caption)}</figcaption></figure>")
    if not figs:
        return "<p class='sub'>No key frames (the clip could not be read again).</p>"
    return f"<div class='frames'>{''.join(figs)}</div>"


def build_report(analysis: Analysis, *, clip_name: str | None = None,
                 key_frames: Sequence | None = None, events=None,
                 sections: Sequence[tuple[str, str]] = (),
                 generated: _dt.datetime | None = None) -> str:
    """Return the report as one HTML string.

    Args:
        analysis: the result of :func:`posecheck.analyze_video`; its clip is decoded again
            for the key frames (skipped silently if it is no longer there).
        clip_name: the name to show (default: the file name of ``analysis.video.path``).
        key_frames: :class:`posecheck.ui.frames.KeyFrame` items; ``None`` = the peak-angle
            frames (:func:`posecheck.ui.frames.peak_frames`), ``()`` = none.
        events: gait events for the charts (see :func:`posecheck.plots.angle_chart`);
            ``None`` = the analysis' own.
        sections: extra ``(title, inner_html)`` sections placed after the summary; the
            inner HTML is trusted (build it with escaped text).
        generated: time stamp to print (default: now, local time).
    """
    from posecheck.ui.frames import peak_frames

    name = clip_name or Path(analysis.video.path).name
    when = (generated or _dt.datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    if key_frames is None:
        key_frames = peak_frames(analysis)
    if analysis.warnings:
        warnings = "".join(f"<div class='warn'>{_e(w)}</div>" for w in analysis.warnings)
    else:
        warnings = "<div class='ok'>No problems found with the footage.</div>"
    extra = "".join(f"<section><h2>{_e(t)}</h2>{body}</section>" for t, body in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>posecheck report – {_e(name)}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>posecheck report</h1>
<div class="sub">{_e(name)} · generated {_e(when)} · posecheck {_e(__version__)}</div></header>
<section><h2>Footage</h2>{warnings}{_clip_table(analysis, name)}</section>
{extra}
<section><h2>Peak angles</h2>{_angles_table(analysis)}
<p class="sub">Knee flexion: 0° = straight leg. Hip flexion: angle of the thigh to the trunk
line, + = thigh in front. <span class="left">Left</span> and <span class="right">right</span>
are the athlete's own legs.</p></section>
<section><h2>Angle curves</h2>{_charts_html(analysis, events)}</section>
<section><h2>Key frames</h2>{_frames_html(analysis, key_frames)}</section>
<footer>Made with posecheck {_e(__version__)}. This file is self-contained and works offline.
</footer>
</body></html>
"""


def write_report(analysis: Analysis, path: str | Path, **kwargs) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(build_report(analysis, **kwargs), encoding="utf-8")
    return path
