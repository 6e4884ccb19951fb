"""The page flow of ``app.py``: upload → settings → analysis (cached) → review; the
Compare and History tabs (:mod:`posecheck.ui.st_history`: the library's sessions).

Session state (per browser tab):

* ``stored``: uploader file id → :class:`~posecheck.ui.storage.StoredClip` (the upload is
  hashed and written once, not on every rerun);
* ``results``: ``(digest, settings key)`` → :class:`~posecheck.ui.st_run.Result`, every clip
  analysed in this session (the Compare tab, :mod:`posecheck.ui.st_compare`, picks "before"
  and "after" from here);
* ``auto_done``: digests analysed automatically once after upload. A new clip is analysed
  straight away with the current settings; after a settings change the user presses
  "Analyse" (a long clip is not re-run on every edit).
"""

from __future__ import annotations

import logging

import streamlit as st

from posecheck.errors import PosecheckError
from posecheck.types import VideoInfo
from posecheck.ui import st_run
from posecheck.ui.st_compare import render_compare
from posecheck.ui.st_history import open_pending, render_history
from posecheck.ui.st_review import render_result, show_error
from posecheck.ui.st_run import stored_clip
from posecheck.ui.st_sidebar import settings_panel
from posecheck.ui.settings import Settings
from posecheck.ui.storage import VIDEO_EXTENSIONS, StoredClip, prune

log = logging.getLogger("posecheck.app")

INTRO = ("Film the sprinter **from the side** (phone held still or panning, whole body in "
         "view, 60 fps or more — slow motion is better), then upload the clip. posecheck finds "
         "the body in every frame and measures the knee and hip angles of both legs.")


def init_session() -> None:
    """Per-session state; also tidies the work folder once per session."""
    if "results" in st.session_state:
        return
    st.session_state["results"] = {}
    st.session_state["stored"] = {}
    st.session_state["auto_done"] = set()
    try:
        prune()
    except OSError:
        log.warning("could not prune the work folder", exc_info=True)


def clip_line(clip: StoredClip, info: VideoInfo) -> str:
    rot = f", rotated {info.rotation_deg}°" if info.rotation_deg else ""
    tag = f", captured at {info.capture_fps:.0f} fps" if info.capture_fps else ""
    return (f"**{clip.name}** · {info.width}×{info.height}{rot} · {info.fps:.0f} fps{tag} · "
            f"{info.duration_s:.1f} s · {info.codec.upper()} · {clip.size / 1e6:.1f} MB")


def main() -> None:
    """Draw the page: the uploader, then the Review and Compare tabs."""
    init_session()
    st.title("posecheck")
    st.caption("Sprint technique from a side-view clip")
    st.markdown(INTRO)
    uploaded = st.file_uploader(
        "Sprint clip (MP4, MOV or M4V; H.264 or HEVC; up to 1 GB)",
        type=list(VIDEO_EXTENSIONS), key="upload")
    st.sidebar.text_input("Athlete", key="athlete_name", placeholder="name for the history",
                          help="Each analysis is recorded in the library under this name "
                               "(the History tab shows it over time)")
    open_pending()  # two History sessions to compare: before the Compare tab's widgets
    review, compare, history = st.tabs(["Review", "Compare before / after", "History"])
    with review:
        settings = review_tab(uploaded)
    with compare:
        render_compare(settings)
    with history:
        render_history()


def review_tab(uploaded) -> Settings:
    """Upload → settings → analysis → review; returns the sidebar's settings."""
    if uploaded is None:
        settings = settings_panel()
        st.info("Upload a clip to start. Try one of the sample clips in "
                "`sample_videos/` if you have none at hand.")
        return settings
    clip = stored_clip(uploaded)
    try:
        info = st_run.probe_clip(clip)
    except PosecheckError as exc:
        settings = settings_panel()
        show_error(st_run.user_message(exc, clip), st_run.hint_for(exc))
        return settings
    settings = settings_panel(info, clip.digest)
    st.markdown(clip_line(clip, info))
    key = (clip.digest, settings.analysis_key())
    results = st.session_state["results"]
    if key not in results:
        if clip.digest in st.session_state["auto_done"]:
            st.info("The settings changed since this clip was analysed.")
            if not st.button("Analyse with these settings", type="primary"):
                return settings
        results[key] = st_run.analyse(clip, settings)
        # only now: a run interrupted by a widget change (Streamlit stops the script) must
        # not leave the clip marked as analysed, or the rerun would wait for a click
        st.session_state["auto_done"].add(clip.digest)
    render_result(results[key])
    return settings
