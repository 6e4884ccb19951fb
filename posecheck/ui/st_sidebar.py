"""The sidebar: analysis settings (model, slow motion, athlete height, video size)."""

from __future__ import annotations

import streamlit as st

from posecheck.config import MODEL_TEXT, MODEL_VARIANTS, POSE_MODES
from posecheck.types import VideoInfo
from posecheck.ui.settings import DEFAULT_MODEL, VIDEO_HEIGHTS, Settings, suggested_slowmo

ATHLETE_TEXT = {
    "auto": "automatic",
    "largest": "largest (nearest the camera)",
    "longest": "in view the longest",
    "leftmost": "leftmost",
    "rightmost": "rightmost",
    "top": "highest in the picture (farthest lane)",
    "bottom": "lowest in the picture (nearest lane)",
}
HEIGHT_TEXT = {720: "720p (fast, small)", 1080: "1080p", None: "original resolution"}


def _model_installed(variant: str) -> bool:
    from posecheck.errors import ModelMissing
    from posecheck.pose.models import resolve_model

    try:
        resolve_model(POSE_MODES[variant][0])
    except ModelMissing:
        return False
    return True


def prefill_slowmo(info: VideoInfo | None, digest: str | None) -> str | None:
    """When a new clip arrives, put its capture-fps slow-motion factor into the setting.

    Returns a caption explaining the pre-filled value, or ``None``. The user's own value
    is kept for clips without a capture-fps tag and after they edit it.
    """
    if info is None or digest is None:
        return None
    suggestion = suggested_slowmo(info)
    if st.session_state.get("_slowmo_digest") != digest:
        st.session_state["_slowmo_digest"] = digest
        if suggestion is not None:
            st.session_state["slowmo"] = float(suggestion)
    if suggestion is None:
        return None
    return (f"The clip says it was filmed at {info.capture_fps:.0f} fps and plays at "
            f"{info.fps:.0f} fps: slow motion ×{suggestion:g} filled in.")


def settings_panel(info: VideoInfo | None = None, digest: str | None = None) -> Settings:
    """Draw the settings in the sidebar and return them."""
    sb = st.sidebar
    sb.header("Settings")
    st.session_state.setdefault("slowmo", 1.0)  # then no value= below (Streamlit warns)
    note = prefill_slowmo(info, digest)
    installed = {m: _model_installed(m) for m in MODEL_VARIANTS}
    model = sb.selectbox(
        "Pose model", MODEL_VARIANTS, index=MODEL_VARIANTS.index(DEFAULT_MODEL), key="model",
        format_func=lambda m: f"{m} – {MODEL_TEXT[m]}" + ("" if installed[m] else " (not installed)"),
        help="The neural networks that find the body landmarks. MediaPipe finds and tracks "
             "the people; 'fused' and 'precise' also run MoveNet on the athlete's crop for "
             "hips, knees and ankles closer to the joint centres; 'precise' tracks with "
             "MediaPipe heavy, whose feet time touchdowns and toe-offs best (slowest; "
             "install it with: posecheck models fetch heavy).")
    slowmo = sb.number_input(
        "Slow-motion factor", min_value=1.0, max_value=100.0, step=1.0,
        format="%g", key="slowmo",
        help="How many times slower than real life the clip plays: a 240 fps slow-motion "
             "clip saved to play at 30 fps is 8. Leave 1 for normal clips. Filled in "
             "automatically when the phone recorded it in the file.")
    if note:
        sb.caption(note)
    height_cm = sb.number_input(
        "Athlete height (cm, optional)", min_value=100, max_value=250, value=None, step=1,
        key="athlete_height_cm", placeholder="not given",
        help="Lets posecheck give step length in metres (otherwise in leg lengths).")
    from posecheck.pose.choice import ATHLETE_RULES

    athlete = sb.selectbox(
        "Athlete (when several people are in view)", ATHLETE_RULES, index=0, key="athlete",
        format_func=lambda r: ATHLETE_TEXT.get(r, r),
        help="posecheck tracks everyone it finds and analyses one person: choose who.")
    with sb.expander("Annotated video"):
        video_height = st.selectbox(
            "Size", VIDEO_HEIGHTS, index=0, key="video_height",
            format_func=lambda h: HEIGHT_TEXT[h],
            help="Lines of the annotated video. 720p encodes fastest and plays on any phone.")
    return Settings(model=model, slowmo_factor=float(slowmo),
                    athlete_height_m=None if height_cm is None else height_cm / 100.0,
                    athlete=athlete, video_height=video_height)
