"""The before/after comparison as one offline HTML file (``compare.html``).

Same rules as :mod:`posecheck.report.html_report`: charts as inline SVG rendered on the server, CSS
inline, no script and no external URL. The side-by-side video is not embedded (a few MB of
base64 would make the page slow on a phone); when ``video_name`` is given the page shows it
through a *relative* ``<video>`` source, which plays when the report is opened from the
folder that holds the video (as ``posecheck compare`` writes them).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from posecheck._version import __version__
from posecheck.compare.metrics import CYCLE_SIGNALS, Comparison, MetricDelta
from posecheck.report.html_report import _CSS, _e

_EXTRA_CSS = """
.better { color: #1e7d40; font-weight: 600; } .worse { color: #c62828; font-weight: 600; }
.same { color: #5a6270; } .changed { color: #6A3DE8; font-weight: 600; }
video { width: 100%; height: auto; background: #000; border-radius: 4px; }
"""
ASSESS_CLASS = {"better": "better", "worse": "worse", "changed": "changed",
                "no change beyond variation": "same", "not enough strides": "same"}


def _num(v: float, m: MetricDelta, signed: bool = False) -> str:
    from posecheck.compare.metrics import METRICS

    d = METRICS[m.metric].digits if m.metric in METRICS else 1
    return f"{v:+.{d}f}" if signed else f"{v:.{d}f}"


def _unit(m: MetricDelta) -> str:
    return "°" if m.unit == "°" else (f" {m.unit}" if m.unit else "")


def fmt_value(v: float, m: MetricDelta, signed: bool = False) -> str:
    """A number of metric ``m`` with its unit (``–`` if not finite)."""
    if v is None or not np.isfinite(v):
        return "–"
    return _num(v, m, signed) + _unit(m)


def fmt_stat(st, m: MetricDelta) -> str:
    """``mean ± SD unit (n=…)``."""
    if st.n == 0:
        return "–"
    sd = f" ± {_num(st.sd, m)}" if np.isfinite(st.sd) else ""
    return f"{_num(st.mean, m)}{sd}{_unit(m)} (n={st.n})"


def better_text(m: MetricDelta) -> str:
    """Which way is towards front-side style: ``higher`` / ``lower`` / ``no direction``."""
    return m.better or "no direction"


def delta_rows(comparison: Comparison, side: str = "both") -> list[dict]:
    """The delta table of one leg group as display strings."""
    # the verdict on the change first: on a laptop the last columns may need scrolling
    return [{"Metric": m.label, "Assessment": m.short,
             "Change": fmt_value(m.delta, m, signed=True), "Before": fmt_stat(m.before, m),
             "After": fmt_stat(m.after, m), "Front-side is": better_text(m),
             "_class": ASSESS_CLASS[m.assessment]}
            for m in comparison.metrics if m.side == side]


def headline(comparison: Comparison) -> str:
    """One sentence: how the front-side index and style changed."""
    b, a = comparison.before, comparison.after

    def sc(v):
        return "–" if not np.isfinite(v) else f"{v:.0f}"

    try:
        m = comparison.metric("front_side_score")
        verdict = m.wording
    except KeyError:
        verdict = ""
    return (f"Front-side index {sc(b.score)} → {sc(a.score)} ({b.verdict} → {a.verdict} style)"
            + (f": {verdict}." if verdict else "."))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p class='sub'>Nothing to compare.</p>"
    cols = [c for c in rows[0] if not c.startswith("_")]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(
            f"<td class='{r['_class']}'>{_e(r[c])}</td>" if c == "Assessment" else
            f"<td>{_e(r[c])}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>"


def _charts(comparison: Comparison) -> str:
    from posecheck.compare.plots import cycle_chart
    from posecheck.report import plots

    try:
        parts = [f"<div class='chart'>{plots.to_svg(plots.for_print(cycle_chart(comparison, s, width=420, height=220)))}</div>"
                 for s in CYCLE_SIGNALS]
    except ImportError:
        return "<p class='warn'>Charts need the vl-convert-python package.</p>"
    return f"<div class='charts'>{''.join(parts)}</div>"


def build_compare_report(comparison: Comparison, *, video_name: str | None = None,
                         generated: _dt.datetime | None = None) -> str:
    """Return ``compare.html`` as a string (see the module docstring)."""
    b, a = comparison.before, comparison.after
    when = (generated or _dt.datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    clips = "".join(
        f"<tr><th>{label}</th><td>{_e(c.name)}</td><td>{_e(c.verdict)}</td>"
        f"<td class='num'>{'–' if not np.isfinite(c.score) else f'{c.score:.0f}'}</td>"
        f"<td>{_e(c.confidence_label)}</td><td class='num'>{c.n_strides}</td></tr>"
        for label, c in (("Before", b), ("After", a)))
    video = ""
    if video_name:
        video = (f"<section><h2>Side by side</h2><video controls muted loop playsinline "
                 f"src='{_e(video_name)}'></video><p class='sub'>{_e(video_name)}: both "
                 f"annotated clips, synchronised in real time on a touchdown. It plays when "
                 f"this page is opened from the folder that holds the video.</p></section>")
    per_leg = "".join(f"<h3>{side.capitalize()} leg</h3>{_table(delta_rows(comparison, side))}"
                      for side in ("left", "right"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>posecheck comparison – {_e(b.name)} vs {_e(a.name)}</title>
<style>{_CSS}{_EXTRA_CSS}</style></head>
<body>
<header><h1>posecheck: before / after</h1>
<div class="sub">generated {_e(when)} · posecheck {_e(__version__)}</div></header>
<section><h2>Result</h2><p><b>{_e(headline(comparison))}</b></p>
<table><tr><th></th><th>Clip</th><th>Verdict</th><th>Score</th><th>Confidence</th>
<th>Strides</th></tr>{clips}</table></section>
{video}
<section><h2>What changed (both legs)</h2>{_table(delta_rows(comparison, "both"))}
<p class="sub">Change = after − before of the mean over strides (± = stride-to-stride SD).
A change counts as beyond stride-to-stride variation when it is larger than the pooled SD
of the strides <i>and</i> Welch's t-test gives p &lt; {comparison.alpha:g}. "Front-side is":
which way the metric moves towards front-side style (docs/metrics.md; a style, not a grade);
other metrics have no direction.</p></section>
<section><h2>Stride cycle</h2>{_charts(comparison)}
<p class="sub">Each stride from toe-off to the next toe-off of the same foot, both legs,
resampled to 0–100 %. Before grey, after coloured.</p></section>
<section><h2>Per leg</h2>{per_leg}</section>
<footer>Made with posecheck {_e(__version__)}. This file works offline.</footer>
</body></html>
"""
