"""Show one analysis: summary, verdict card with cues, warnings, annotated video, frame
scrubber, curves, stride table, downloads.

:func:`render_result` draws the sections of :data:`SECTIONS` in order; each section is its
own function taking the :class:`~posecheck.ui.st_run.Result`. A cue's "Show me" button
sets ``st.session_state[scrubber_key(result)]`` to the cue's frame in its ``on_click``
callback (which runs before the next script run draws the scrubber), so the scrubber shows
that frame with the overlay; every cue with a frame is a numbered rule in the curves.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from posecheck.report import plots
from posecheck.errors import PosecheckError
from posecheck.report.html_report import angle_summary, cue_marks
from posecheck.assess.verdict import BACK_SIDE_MAX, FRONT_SIDE_MIN
from posecheck.ui.exports import EXPORTS, Exports
from posecheck.report.review_data import (CUE_KIND, cue_text, key_metric_rows, left_right_rows,
                                          stride_rows, verdict_view)
from posecheck.report.frames import athlete_box, crop, overlay_row
from posecheck.ui.st_run import Result


def scrubber_key(result: Result) -> str:
    """Session-state key of the frame slider of this result."""
    return f"frame-{result.clip.digest[:16]}-{result.settings.analysis_key()}"


def cue_key(result: Result) -> str:
    """Session-state key of the cue last jumped to (its index in ``analysis.cues``)."""
    return f"cue-{scrubber_key(result)}"


def _jump(result: Result, index: int, frame: int) -> None:
    """"Show me" callback: move the scrubber to the cue's frame."""
    st.session_state[scrubber_key(result)] = int(frame)
    st.session_state[cue_key(result)] = int(index)


def show_error(message: str, hint: str | None) -> None:
    """The one-line explanation (bold) and what to try."""
    st.error(f"**{message}**\n\n{hint or ''}", icon="⚠️")


def summary_section(result: Result) -> None:
    a = result.analysis
    v = a.video
    cols = st.columns(4)
    cols[0].metric("Real time covered", f"{float(a.times[-1]):.2f} s")
    cols[1].metric("Frames per real second", f"{v.real_fps:.0f}",
                   help="Slow motion included. Sprint contacts last about 0.1 s: "
                        "60 fps is the minimum, 120–240 fps is better.")
    cols[2].metric("Athlete found in", f"{a.pose.detection_rate:.0%}", help="of the frames")
    cols[3].metric("Running", "left → right" if a.angles.direction > 0 else "right → left")


def verdict_section(result: Result) -> None:
    """The verdict card (verdict, score, confidence, strides) and the cues with "Show me"."""
    a = result.analysis
    v = verdict_view(a)
    with st.container(border=True):
        head, c1, c2, c3 = st.columns([3, 1, 1, 1], vertical_alignment="center")
        head.markdown(f"<div style='font-size:1.6rem;font-weight:700;color:{v['colour']};"
                      f"line-height:1.2'>{v['headline']}</div>"
                      f"<div style='color:#5a6270'>{v['meaning']}</div>",
                      unsafe_allow_html=True)
        c1.metric("Front-side index", v["score"],
                  help="How surely the thigh is in front of the trunk line when the heel is "
                       "highest (Mann's front-side definition), given the pose model's error: "
                       "0 = surely behind, 100 = surely in front; front-side style ≥ "
                       f"{FRONT_SIDE_MIN:.1f}, back-side style ≤ {BACK_SIDE_MAX:.1f}. A style, "
                       "not a grade: no front- or back-side variable is related to top speed "
                       "(Haugen et al. 2018).")
        c2.metric("Confidence", v["confidence_label"],
                  help=f"{v['confidence_pct']} (high ≥ 70 %, medium ≥ 40 %). Lower with few "
                       "strides, inconsistent strides, many leg swaps repaired and footage "
                       "warnings.")
        c3.metric("Strides", v["n_strides"], help="max-velocity strides judged")
        st.caption(f"Phase: {v['phase']}. The style is a description, not a grade.")
        for line in (v["start"], v["cadence"]):
            if line:
                st.caption(line[:1].upper() + line[1:] + ".")
        if not a.cues:
            st.caption("No cues: no complete stride (toe-off → touchdown) was measured.")
        n = a.pose.n_frames
        for i, cue in enumerate(a.cues):
            icon, word = CUE_KIND.get(cue.kind, ("", cue.kind))
            text_col, btn_col = st.columns([6, 1], vertical_alignment="center")
            text_col.markdown(f"**{i + 1}** {icon}: {cue_text(cue)}")
            if 0 <= int(cue.frame) < n:
                btn_col.button("Show me", key=f"show-{i}-{scrubber_key(result)}",
                               on_click=_jump, args=(result, i, int(cue.frame)),
                               help=f"Show frame {cue.frame} below", width="stretch")


def strides_section(result: Result) -> None:
    """One row per stride, and the medians of the key metrics."""
    st.subheader("Strides")
    rows = stride_rows(result.analysis)
    if not rows:
        st.caption("No complete stride (toe-off → touchdown) was measured.")
        return
    st.dataframe(rows, hide_index=True, width="stretch", key="strides-table",
                 height=min(38 + 35 * len(rows), 640))  # every stride without scrolling
    st.caption("One row per swing (toe-off → touchdown) and the contact after it. Thigh angles "
               "from the downward vertical, + = knee ahead of the hip; step-over in shank "
               "lengths above (+) or below (−) the other knee.")
    km = key_metric_rows(result.analysis)
    if km:
        with st.expander("Medians over strides"):
            st.table({"Metric": [k for k, _ in km], "Median": [v for _, v in km]})
    lr = left_right_rows(result.analysis)
    if lr:
        with st.expander("Left and right legs"):
            st.dataframe(lr, hide_index=True, width="stretch", key="left-right-table")
            st.caption("Medians per leg. Flagged: the difference is larger than the "
                       "stride-to-stride scatter, worth a look; not a fault (sprinters show "
                       "asymmetries up to ~7 % unrelated to speed, Exell et al. 2017).")


def warnings_section(result: Result) -> None:
    for w in result.analysis.warnings:
        st.warning(w, icon="⚠️")


def video_section(result: Result) -> None:
    st.subheader("Annotated video")
    st.video(str(result.video_path), format="video/mp4", loop=True, muted=True)
    st.caption("Left leg orange, right leg blue. Knee: 0° = straight. "
               "Hip: + = thigh in front of the trunk line.")


@st.fragment
def scrubber_section(result: Result) -> None:
    """Slider over the frames; the chosen frame with the overlay (reruns only itself)."""
    a = result.analysis
    n = a.pose.n_frames
    st.subheader("Frame by frame")
    key = scrubber_key(result)
    st.session_state.setdefault(key, int(np.argmax(a.pose.detected)) if n else 0)
    row = st.slider("Frame", 0, max(0, n - 1), key=key,
                    help="Drag, or click the slider and use the arrow keys for single frames.")
    zoom = st.toggle("Zoom on the athlete", value=True, key=f"{key}-zoom")
    try:
        img = overlay_row(a, row)
    except (PosecheckError, IndexError, OSError) as exc:
        st.warning(f"Frame {row} could not be shown: {exc}")
        return
    if zoom:
        img = crop(img, athlete_box(a, row, min_aspect=16 / 9))  # video-shaped
    k, h = a.angles.knee_flexion[row], a.angles.hip_flexion[row]

    def deg(v, signed=False):
        return "–" if not np.isfinite(v) else (f"{v:+.0f}°" if signed else f"{v:.0f}°")

    cue_i = st.session_state.get(cue_key(result))
    if cue_i is not None and cue_i < len(a.cues) and int(a.cues[cue_i].frame) == row:
        st.info(f"**Cue {cue_i + 1}:** {cue_text(a.cues[cue_i])}", icon=":material/arrow_forward:")
    st.image(img, width="stretch",
             caption=(f"frame {row} · {a.times[row]:.3f} s · knee L {deg(k[0])} R {deg(k[1])}"
                      f" · hip L {deg(h[0], True)} R {deg(h[1], True)}"))


def curves_section(result: Result) -> None:
    st.subheader("Angle curves")
    charts = plots.angle_charts(result.analysis, height=280, marks=cue_marks(result.analysis))
    cols = st.columns(2)
    for col, (joint, chart) in zip(cols, charts.items()):
        with col:
            st.altair_chart(chart, width="stretch", key=f"chart-{joint}")
    rows = angle_summary(result.analysis)

    def cell(v, signed=False):
        return "–" if v is None else (f"{v:+.0f}°" if signed else f"{v:.0f}°")

    st.caption("Solid rules: touchdowns; dashed: toe-offs; numbered: the cues above.")
    st.table({
        "Leg": [r["leg"].capitalize() for r in rows],
        "Knee most bent": [cell(r["peak_knee_flexion_deg"]) for r in rows],
        "Thigh highest (hip)": [cell(r["max_hip_flexion_deg"], True) for r in rows],
        "Thigh furthest back (hip)": [cell(r["min_hip_flexion_deg"], True) for r in rows],
    })


def exports_for(result: Result) -> Exports:
    return Exports(result.analysis, result.run_dir, result.clip.name,
                   max_video_height=result.settings.video_height)


def downloads_section(result: Result) -> None:
    st.subheader("Downloads")
    ex = exports_for(result)
    cols = st.columns(4)
    for i, (name, (label, mime)) in enumerate(EXPORTS.items()):
        with cols[i % 4]:
            # deferred: the file is built (once, on disk) only when someone clicks
            st.download_button(label, data=ex.reader(name), file_name=ex.download_name(name),
                               mime=mime, on_click="ignore", key=f"dl-{name}",
                               width="stretch")


#: The review, top to bottom ("media" = annotated video | frame scrubber side by side).
SECTIONS = (verdict_section, summary_section, warnings_section, "media", curves_section,
            strides_section, downloads_section)


def render_result(result: Result) -> None:
    """Draw a result: its error, or every section of :data:`SECTIONS`."""
    if not result.ok:
        show_error(result.error or "analysis failed", result.hint)
        return
    for section in SECTIONS:
        if section == "media":
            left, right = st.columns(2, gap="large")
            with left:
                video_section(result)
            with right:
                scrubber_section(result)
        else:
            section(result)
