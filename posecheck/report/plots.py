"""Altair chart builders shared by the app and the HTML report (no Streamlit here).

Every builder returns an :class:`altair.Chart` (or layer) whose data is inlined, so the same
object goes to ``st.altair_chart`` and, converted to SVG, into the self-contained report.
Colours follow the video overlay: the athlete's left side orange, right side blue.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from posecheck.types import Analysis

LEFT_HEX = "#FF8C00"
RIGHT_HEX = "#1E90FF"
SIDES = ("left", "right")
#: labelled rules (cue frames)
MARK_HEX = "#C2185B"
SIDE_SCALE = alt.Scale(domain=list(SIDES), range=[LEFT_HEX, RIGHT_HEX])

#: joint -> (Angles attribute, y-axis title)
JOINTS = {
    "knee": ("knee_flexion", "Knee flexion (0° = straight leg)"),
    "hip": ("hip_flexion", "Hip flexion (+ = thigh in front of the trunk)"),
}
EVENT_DASH = {"touchdown": [1, 0], "toe_off": [5, 3]}
EVENT_LABEL = {"touchdown": "touchdown", "toe_off": "toe-off"}


def angles_frame(analysis: Analysis, joint: str) -> pd.DataFrame:
    """Long-form per-frame angles of one joint for both legs.

    Columns: ``frame``, ``time_s``, ``side`` (left/right), ``angle_deg`` and ``segment``,
    a counter that increases after every gap (frames without the angle) so lines break
    there instead of bridging frames where the athlete was not found. Gap rows are dropped.
    """
    attr, _ = JOINTS[joint]
    values = getattr(analysis.angles, attr)
    t = analysis.times
    parts = []
    for j, side in enumerate(SIDES):
        v = values[:, j]
        ok = np.isfinite(v)
        segment = np.cumsum(~ok)  # constant within a run of valid frames
        parts.append(pd.DataFrame({
            "frame": np.flatnonzero(ok), "time_s": t[ok], "side": side,
            "angle_deg": v[ok], "segment": [f"{side}-{s}" for s in segment[ok]],
        }))
    return pd.concat(parts, ignore_index=True)


def events_frame(events: Sequence[dict] | pd.DataFrame | None) -> pd.DataFrame:
    """Gait events as a frame with ``time_s``, ``side`` and ``kind`` (touchdown/toe_off)."""
    cols = ["time_s", "side", "kind"]
    if events is None or len(events) == 0:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(events)
    missing = set(cols) - set(df.columns)
    if missing:
        raise ValueError(f"events need columns {cols}; missing {sorted(missing)}")
    return df[cols + [c for c in df.columns if c not in cols]]


def analysis_events(analysis: Analysis) -> list[dict]:
    """The analysis' gait events (``Analysis.events``) as rows for :func:`angle_chart`."""
    return [{"time_s": float(e.time_s), "side": e.side, "kind": e.kind, "frame": int(e.frame)}
            for e in getattr(analysis, "events", ()) or ()]


def angle_chart(analysis: Analysis, joint: str, *, events: Sequence[dict] | pd.DataFrame | None = None,
                current_time: float | None = None, marks: Sequence[tuple[float, str]] = (),
                width: int | str = "container", height: int = 260,
                legend: str = "right") -> alt.LayerChart:
    """Curve of one joint's angle over real time, left and right leg.

    Args:
        joint: ``"knee"`` or ``"hip"``.
        events: optional gait events (``time_s``, ``side``, ``kind`` = ``touchdown`` or
            ``toe_off``) drawn as vertical rules in the side's colour (toe-off dashed).
        current_time: draws a grey rule at this time (the frame shown in the scrubber).
        marks: ``(time_s, label)`` pairs drawn as dark labelled rules (e.g. the frame of a
            coaching cue the user jumped to).
        width: pixels, or ``"container"`` to fill the page column.
        legend: legend position (``"right"``, ``"top"``, ...; ``"top"`` suits narrow screens).

    The y axis is fitted to the data (``zero=False``): angles near 0° are meaningful and
    a range of e.g. 20–140° should not be squashed to include 0.
    """
    if joint not in JOINTS:
        raise ValueError(f"joint must be one of {sorted(JOINTS)}")
    _, title = JOINTS[joint]
    data = angles_frame(analysis, joint)
    x = alt.X("time_s:Q", title="Time (s)",
              scale=alt.Scale(domain=[float(analysis.times[0]), float(analysis.times[-1])],
                              nice=False))
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=x,
        y=alt.Y("angle_deg:Q", title="degrees", scale=alt.Scale(zero=False)),
        color=alt.Color("side:N", scale=SIDE_SCALE, title="leg",
                        legend=alt.Legend(orient=legend)),
        detail="segment:N",
        tooltip=[alt.Tooltip("frame:Q"), alt.Tooltip("time_s:Q", format=".3f", title="time (s)"),
                 alt.Tooltip("side:N", title="leg"),
                 alt.Tooltip("angle_deg:Q", format=".1f", title="angle (°)")],
    )
    layers: list[alt.Chart] = [lines]
    ev = events_frame(events)
    if not ev.empty:
        ev = ev.assign(event=ev["kind"].map(EVENT_LABEL).fillna(ev["kind"]))
        layers.append(alt.Chart(ev).mark_rule(opacity=0.45, strokeWidth=1).encode(
            x="time_s:Q",
            color=alt.Color("side:N", scale=SIDE_SCALE, legend=None),
            strokeDash=alt.StrokeDash("event:N", scale=alt.Scale(
                domain=list(EVENT_LABEL.values()), range=list(EVENT_DASH.values())),
                title="event", legend=alt.Legend(orient=legend)),
            tooltip=[alt.Tooltip("kind:N", title="event"), alt.Tooltip("side:N", title="leg"),
                     alt.Tooltip("time_s:Q", format=".3f", title="time (s)")],
        ))
    if current_time is not None:
        layers.append(alt.Chart(pd.DataFrame({"time_s": [float(current_time)]}))
                      .mark_rule(color="#888888", strokeWidth=1.5).encode(x="time_s:Q"))
    if marks:
        mk = pd.DataFrame({"time_s": [float(t) for t, _ in marks],
                           "label": [str(lab) for _, lab in marks]})
        base = alt.Chart(mk).encode(x="time_s:Q")
        layers.append(base.mark_rule(color=MARK_HEX, strokeWidth=2.5).encode(
            tooltip=[alt.Tooltip("label:N", title="cue"),
                     alt.Tooltip("time_s:Q", format=".3f", title="time (s)")]))
        layers.append(base.mark_text(align="left", baseline="top", dx=4, dy=2, fontSize=12,
                                     fontWeight="bold", color=MARK_HEX)
                      .encode(text="label:N", y=alt.value(0)))
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight="bold"))


def angle_charts(analysis: Analysis, **kwargs) -> dict[str, alt.LayerChart]:
    """``{"knee": chart, "hip": chart}`` (see :func:`angle_chart` for the arguments).

    ``events`` defaults to the analysis' own gait events; pass ``events=()`` for none.
    """
    kwargs.setdefault("events", analysis_events(analysis))
    return {joint: angle_chart(analysis, joint, **kwargs) for joint in JOINTS}


def for_print(chart: alt.TopLevelMixin, font_size: int = 13) -> alt.TopLevelMixin:
    """The chart with larger fonts, for a static image that a phone shows scaled down."""
    return (chart.configure_axis(labelFontSize=font_size, titleFontSize=font_size)
            .configure_legend(labelFontSize=font_size, titleFontSize=font_size)
            .configure_title(fontSize=font_size + 2))


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string without a browser (``vl-convert-python``).

    The chart's data is inlined without Altair's 5000-row limit (a long 240 fps clip has
    more frames than that). Raises ``ImportError`` if ``vl-convert-python`` is missing.
    """
    import vl_convert as vlc

    with alt.data_transformers.enable("default", max_rows=None):
        spec = chart.to_dict()
    return vlc.vegalite_to_svg(spec)
