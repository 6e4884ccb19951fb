"""Comparison charts (before/after stride-cycle curves) with the colours and helpers of
:mod:`posecheck.report.plots`; no Streamlit here."""

from __future__ import annotations

import altair as alt
import pandas as pd

from posecheck.compare.metrics import CYCLE_SIGNALS

#: before/after colours of the comparison charts (before neutral grey)
BEFORE_HEX = "#8A8F98"
AFTER_HEX = "#6A3DE8"
CLIP_SCALE = alt.Scale(domain=["before", "after"], range=[BEFORE_HEX, AFTER_HEX])


def cycle_frame(comparison, signal: str, side: str = "both") -> pd.DataFrame:
    """Long-form mean ± SD stride-cycle curves of both clips: ``clip``, ``pct``, ``mean``,
    ``lo``, ``hi`` (mean ∓ SD), ``n`` (see :class:`posecheck.compare.metrics.CycleCurve`)."""
    parts = []
    for clip in ("before", "after"):
        c = comparison.curve(clip, signal, side)
        if c is None:
            continue
        parts.append(pd.DataFrame({"clip": clip, "pct": c.pct, "mean": c.mean,
                                   "lo": c.mean - c.sd, "hi": c.mean + c.sd, "n": c.n}))
    if not parts:
        return pd.DataFrame(columns=["clip", "pct", "mean", "lo", "hi", "n"])
    return pd.concat(parts, ignore_index=True)


def cycle_chart(comparison, signal: str, side: str = "both", *, width: int | str = "container",
                height: int = 240, legend: str = "top", subtitle: bool = True) -> alt.LayerChart:
    """Stride-cycle curves (toe-off → next toe-off, 0–100 %) of before and after: the mean
    line and a ± SD band per clip (before grey, after coloured), the mean touchdown of each
    clip as a dashed rule. The y axis is fitted to the data (``zero=False``)."""
    if signal not in CYCLE_SIGNALS:
        raise ValueError(f"signal must be one of {sorted(CYCLE_SIGNALS)}")
    data = cycle_frame(comparison, signal, side)
    color = alt.Color("clip:N", scale=CLIP_SCALE, title=None, legend=alt.Legend(orient=legend))
    x = alt.X("pct:Q", title="% of stride (0 = toe-off, 100 = next toe-off)",
              scale=alt.Scale(domain=[0, 100], nice=False))
    base = alt.Chart(data).encode(x=x, color=color)
    band = base.mark_area(opacity=0.22).encode(
        y=alt.Y("lo:Q", title="degrees", scale=alt.Scale(zero=False)), y2="hi:Q")
    line = base.mark_line(strokeWidth=2.5).encode(
        y=alt.Y("mean:Q", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("clip:N"), alt.Tooltip("pct:Q", title="% of stride"),
                 alt.Tooltip("mean:Q", format=".1f", title="mean (°)"),
                 alt.Tooltip("n:Q", title="strides")])
    layers = [band, line]
    tds = [{"clip": clip, "pct": c.touchdown_pct}
           for clip in ("before", "after")
           if (c := comparison.curve(clip, signal, side)) is not None]
    if tds:
        layers.append(alt.Chart(pd.DataFrame(tds)).mark_rule(strokeDash=[5, 3], strokeWidth=1.5)
                      .encode(x="pct:Q", color=alt.Color("clip:N", scale=CLIP_SCALE, legend=None),
                              tooltip=[alt.Tooltip("clip:N"),
                                       alt.Tooltip("pct:Q", format=".0f",
                                                   title="touchdown (% of stride)")]))
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=alt.TitleParams(CYCLE_SIGNALS[signal], anchor="start", fontSize=14,
                              fontWeight="bold",
                              subtitle=("mean line, band = ± 1 SD over strides; dashed = "
                                        "touchdown") if subtitle else ""))
