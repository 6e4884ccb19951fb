"""Show one analysis: summary, warnings, annotated video, frame scrubber, curves, downloads.

:func:`render_result` draws the sections in order; each section is its own function taking
the :class:`~posecheck.ui.st_run.Result`, so phase-2 sections (verdict card with cues and
"show me" jumps, stride table) slot in as further functions. A "show me" jump sets
``st.session_state[scrubber_key(result)]`` to the cue's frame before the scrubber is drawn.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from posecheck import plots
from posecheck.errors import PosecheckError
from posecheck.report_html import angle_summary
from posecheck.ui.exports import EXPORTS, Exports
from posecheck.ui.frames import athlete_box, crop, overlay_row
from posecheck.ui.st_run import Result


def scrubber_key(result: Result) -> str:
    """Session-state key of the frame slider of this result."""
    return f"frame-{result.clip.digest[:16]}-{result.settings.analysis_key()}"


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

    st.image(img, width="stretch",
             caption=(f"frame {row} · {a.times[row]:.3f} s · knee L {deg(k[0])} R {deg(k[1])}"
                      f" · hip L {deg(h[0], True)} R {deg(h[1], True)}"))


def curves_section(result: Result) -> None:
    st.subheader("Angle curves")
    charts = plots.angle_charts(result.analysis, height=280)
    cols = st.columns(2)
    for col, (joint, chart) in zip(cols, charts.items()):
        with col:
            st.altair_chart(chart, width="stretch", key=f"chart-{joint}")
    rows = angle_summary(result.analysis)

    def cell(v, signed=False):
        return "–" if v is None else (f"{v:+.0f}°" if signed else f"{v:.0f}°")

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
    cols = st.columns(3)
    for i, (name, (label, mime)) in enumerate(EXPORTS.items()):
        with cols[i % 3]:
            # deferred: the file is built (once, on disk) only when someone clicks
            st.download_button(label, data=ex.reader(name), file_name=ex.download_name(name),
                               mime=mime, on_click="ignore", key=f"dl-{name}",
                               width="stretch")


#: The review, top to bottom. Phase 2 inserts verdict_section / strides_section here.
SECTIONS = (summary_section, warnings_section, "media", curves_section, downloads_section)


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
