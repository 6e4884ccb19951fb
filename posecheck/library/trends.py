"""Trend charts of an athlete's sessions over dates (altair; no Streamlit here).

Data: :meth:`posecheck.library.store.Library.metric_rows`. Colours follow the video
overlay and the report (:mod:`posecheck.report.plots`): left leg orange, right leg blue;
both legs (the summary's median over the judged strides) dark grey.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from posecheck.library.records import TREND_METRICS
from posecheck.report.plots import LEFT_HEX, RIGHT_HEX

BOTH_HEX = "#37474F"
DAY_MS = 86_400_000
SIDE_HEX = {"left": LEFT_HEX, "right": RIGHT_HEX, "both": BOTH_HEX}
SCORE_LABEL = "Front-side index (style score, 0-100)"


def trend_frame(metric_rows: list[dict], metric: str, sides=("left", "right")) -> pd.DataFrame:
    """Long-form ``date`` (datetime, UTC), ``clip``, ``side``, ``value`` of one metric, for
    the given sides; rows without a value are dropped."""
    rows = [r for r in metric_rows if r["metric"] == metric and r["side"] in sides
            and r["value"] is not None]
    df = pd.DataFrame(rows, columns=["session_id", "date", "clip", "metric", "side", "value",
                                     "unit"])
    df["date"] = pd.to_datetime(df["date"], utc=True)
    return df[["session_id", "date", "clip", "side", "value"]]


def trend_chart(metric_rows: list[dict], metric: str, *, width: int | str = "container",
                height: int = 200) -> alt.LayerChart:
    """One metric over the session dates: a line with points per leg (left, right), or the
    front-side index (``metric="score"``, both legs) with its 50 line (front vs back)."""
    if metric == "score":
        sides, title, unit = ("both",), SCORE_LABEL, "index (0-100)"
    elif metric in TREND_METRICS:
        (title, unit), sides = TREND_METRICS[metric], ("left", "right")
    else:
        raise ValueError(f"metric must be 'score' or one of {sorted(TREND_METRICS)}")
    data = trend_frame(metric_rows, metric, sides)
    y_scale = alt.Scale(domain=[0, 100]) if metric == "score" else alt.Scale(zero=False)
    base = alt.Chart(data).encode(
        # day ticks at most (sessions of one day share a tick; the tooltip has the time)
        x=alt.X("date:T", title="session date",
                axis=alt.Axis(format="%d %b %Y", tickMinStep=DAY_MS, labelAngle=0)),
        y=alt.Y("value:Q", title=unit, scale=y_scale),
        color=alt.Color("side:N", title=None,
                        scale=alt.Scale(domain=list(sides), range=[SIDE_HEX[s] for s in sides]),
                        legend=alt.Legend(orient="top") if metric != "score" else None),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("clip:N"),
                 alt.Tooltip("side:N"), alt.Tooltip("value:Q", format=".2f")])
    layers = [base.mark_line(strokeWidth=2), base.mark_point(filled=True, size=60)]
    if metric == "score":
        layers.append(alt.Chart(pd.DataFrame({"value": [50.0]})).mark_rule(
            strokeDash=[4, 3], color="#9E9E9E").encode(y="value:Q"))
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight="bold"))
