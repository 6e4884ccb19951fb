"""A self-contained HTML report: one file that opens offline, on a phone too.

Nothing is fetched when the file is opened: charts are rendered to inline SVG on the server
(:func:`posecheck.report.plots.to_svg`, i.e. ``vl-convert-python``: Vega-Lite compiled and rendered
by its bundled engine, no browser and no JavaScript in the report), key frames are inline
base64 JPEGs, styles are inline CSS. The report is static: no script, no external URL.

Content: footage and warnings, the verdict card (score, verdict, confidence) with the coaching
cues, each with its key frame (overlay + the cue text), the stride table, key metrics, peak
angles, angle curves (cue frames as numbered rules) and peak-angle key frames. Callers may
add further ``sections``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posecheck._version import __version__
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
.card { border: 1px solid #ddd; border-left: 8px solid var(--c); border-radius: 6px;
        padding: 10px 16px; margin: .6em 0; }
.card .head { font-size: 1.35rem; font-weight: 700; color: var(--c); }
.card .nums { display: flex; flex-wrap: wrap; gap: 4px 28px; margin-top: 4px; }
.card .nums b { font-size: 1.15rem; }
.cue { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 260px); gap: 12px;
       border-bottom: 1px solid #eee; padding: 10px 0; align-items: start; }
.cue.nofig { grid-template-columns: 1fr; }
.cue .n { font-weight: 700; color: #C2185B; }
.k-fault { color: #c62828; } .k-good { color: #1e7d40; } .k-info { color: #5a6270; }
@media (max-width: 560px) { .cue { grid-template-columns: 1fr; } }
.scroll { overflow-x: auto; }
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


def cue_marks(analysis: Analysis) -> list[tuple[float, str]]:
    """``(time_s, "1")``, ... for the cues that point at a frame (numbered as listed)."""
    n = analysis.pose.n_frames
    return [(float(analysis.times[c.frame]), str(i))
            for i, c in enumerate(analysis.cues, start=1) if 0 <= int(c.frame) < n]


def _verdict_html(analysis: Analysis, frames: bool = True) -> str:
    """The verdict card and the numbered cues, each with its frame (overlay + cue text)."""
    from posecheck.report.frames import KeyFrame
    from posecheck.report.review_data import CUE_KIND, cue_text, verdict_view

    v = verdict_view(analysis)
    card = (f"<div class='card' style='--c:{v['colour']}'><div class='head'>{_e(v['headline'])}"
            f"</div><div class='sub'>{_e(v['meaning'])}</div><div class='nums'>"
            f"<span>Front-side index <b>{_e(v['score'])}</b></span>"
            f"<span>Confidence <b>{_e(v['confidence'])}</b></span>"
            f"<span>Max-velocity strides <b>{v['n_strides']}</b></span></div>"
            f"<div class='sub'>Phase: {_e(v['phase'])}. A style, not a grade: no front- or "
            f"back-side variable is related to top speed (Haugen et al. 2018).</div>"
            + "".join(f"<div class='sub'>{_e(line[:1].upper() + line[1:])}.</div>"
                      for line in (v["start"], v["cadence"]) if line) + "</div>")
    cues = []
    n = analysis.pose.n_frames
    for i, c in enumerate(analysis.cues, start=1):
        _icon, word = CUE_KIND.get(c.kind, ("", c.kind))
        fig = ""
        if frames and 0 <= int(c.frame) < n:
            fig = _figure(analysis, KeyFrame(int(c.frame), f"Cue {i}: frame {c.frame}, "
                                             f"{float(analysis.times[c.frame]):.2f} s"))
        cls = "cue" if fig else "cue nofig"
        # a coloured word, not an emoji: not every offline viewer has an emoji font
        cues.append(f"<div class='{cls}'><div><span class='n'>{i}</span> "
                    f"<b class='k-{_e(c.kind)}'>{_e(word)}</b>: {_e(cue_text(c))}</div>"
                    f"{fig}</div>")
    if not cues:
        cues.append("<p class='sub'>No cues (no complete stride was measured).</p>")
    return card + "".join(cues)


def _strides_html(analysis: Analysis) -> str:
    from posecheck.report.review_data import key_metric_rows, left_right_rows, stride_rows

    rows = stride_rows(analysis)
    if not rows:
        return "<p class='sub'>No complete stride (toe-off → touchdown) was measured.</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(
        f"<td class='{r['Leg'].lower()}'>{_e(v)}</td>" if k == "Leg" else
        f"<td class='num'>{_e(v)}</td>" for k, v in r.items()) + "</tr>" for r in rows)
    km = "".join(f"<tr><th>{_e(k)}</th><td class='num'>{_e(v)}</td></tr>"
                 for k, v in key_metric_rows(analysis))
    return (f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>"
            "<p class='sub'>One row per swing (toe-off → touchdown) and the contact after it. "
            "Thigh angles from the downward vertical, + = knee ahead of the hip; step-over in "
            "shank lengths above (+) or below (−) the other knee.</p>"
            + (f"<h3>Medians over strides</h3><table>{km}</table>" if km else "")
            + _left_right_html(left_right_rows(analysis)))


def _left_right_html(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r.values()) + "</tr>"
                   for r in rows)
    return (f"<h3>Left and right legs</h3><div class='scroll'><table><tr>{head}</tr>{body}"
            "</table></div><p class='sub'>Medians per leg; flagged = larger than the "
            "stride-to-stride scatter, worth a look, not a fault (Exell et al. 2017).</p>")


def _charts_html(analysis: Analysis, events) -> str:
    from posecheck.report import plots

    try:
        kw = {} if events is None else {"events": events}
        kw["marks"] = cue_marks(analysis)
        # narrow, legend on top, large fonts: readable on a phone, fine on a laptop
        charts = plots.angle_charts(analysis, width=440, height=220, legend="top", **kw)
        parts = [f"<div class='chart'>{plots.to_svg(plots.for_print(c))}</div>"
                 for c in charts.values()]
    except ImportError:
        return ("<p class='warn'>Charts need the <code>vl-convert-python</code> package "
                "(pip install vl-convert-python); the angle data is in angles.csv.</p>")
    return f"<div class='charts'>{''.join(parts)}</div>"


def _figure(analysis: Analysis, kf) -> str:
    """One key frame as an inline-JPEG ``<figure>`` ("" if it cannot be decoded)."""
    from posecheck.report.frames import athlete_box, crop, jpeg_bytes, overlay_row

    try:
        # zoomed on the athlete: on a phone screen a whole far-away frame shows little
        img = crop(overlay_row(analysis, kf.row), athlete_box(analysis, kf.row, min_aspect=1.0))
        jpg = jpeg_bytes(img, max_height=540, quality=82)
    except (PosecheckError, IndexError, ValueError, OSError):
        return ""  # the clip is gone or the frame cannot be decoded: leave it out
    b64 = base64.b64encode(jpg).decode("ascii")
    return (f"<figure><img alt='{_e(kf.caption)}' src='data:image/jpeg;base64,{b64}'>"
            f"<figcaption>{_e(kf.caption)}</figcaption></figure>")


def _frames_html(analysis: Analysis, key_frames) -> str:
    figs = [f for f in (_figure(analysis, kf) for kf in key_frames) if f]
    if not figs:
        return "<p class='sub'>No key frames (the clip could not be read again).</p>"
    return f"<div class='frames'>{''.join(figs)}</div>"


def build_report(analysis: Analysis, *, clip_name: str | None = None,
                 key_frames: Sequence | None = None, events=None,
                 sections: Sequence[tuple[str, str]] = (), cue_frames: bool = True,
                 generated: _dt.datetime | None = None) -> str:
    """Return the report as one HTML string.

    Args:
        analysis: the result of :func:`posecheck.analyze_video`; its clip is decoded again
            for the key frames (skipped silently if it is no longer there).
        clip_name: the name to show (default: the file name of ``analysis.video.path``).
        key_frames: :class:`posecheck.report.frames.KeyFrame` items; ``None`` = the peak-angle
            frames (:func:`posecheck.report.frames.peak_frames`), ``()`` = none.
        events: gait events for the charts (see :func:`posecheck.report.plots.angle_chart`);
            ``None`` = the analysis' own.
        cue_frames: show each cue's frame (overlay + cue text) next to it.
        sections: extra ``(title, inner_html)`` sections placed after the verdict; the
            inner HTML is trusted (build it with escaped text).
        generated: time stamp to print (default: now, local time).
    """
    from posecheck.report.frames import peak_frames

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
<section><h2>Verdict and cues</h2>{_verdict_html(analysis, cue_frames)}</section>
{extra}
<section><h2>Strides</h2>{_strides_html(analysis)}</section>
<section><h2>Peak angles</h2>{_angles_table(analysis)}
<p class="sub">Knee flexion: 0° = straight leg. Hip flexion: angle of the thigh to the trunk
line, + = thigh in front. <span class="left">Left</span> and <span class="right">right</span>
are the athlete's own legs.</p></section>
<section><h2>Angle curves</h2>{_charts_html(analysis, events)}
<p class="sub">Solid rules: touchdowns; dashed: toe-offs; numbered rules: the cues above.</p>
</section>
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
