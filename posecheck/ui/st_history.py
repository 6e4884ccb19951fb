"""The History tab: an athlete's sessions from the library, trends over dates, and any two
sessions opened in the Compare tab.

The library (:func:`posecheck.ui.recording.library_path`) holds the sessions of
``posecheck batch`` and of this app. Opening two sessions: the button's callback stores
their ids in ``hist_open``; on the next run :func:`open_pending` (called before the tabs
are drawn, so it may set the Compare tab's select boxes) analyses both clips from their
paths with their stored settings (cached like any analysis), adds them to the session's
results and selects them as before and after.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from posecheck.library.records import TREND_METRICS
from posecheck.library.store import Library, LibraryError
from posecheck.library.trends import trend_chart
from posecheck.ui import st_run
from posecheck.ui.recording import library_path
from posecheck.ui.settings import settings_of_session
from posecheck.ui.storage import StoredClip


def session_label(s: dict) -> str:
    """``2026-03-01 · run1.mp4 · front-side 78``."""
    score = "" if s.get("score") is None else f" {s['score']:.0f}"
    return f"{s['date'][:10]} · {s['clip']} · {s.get('verdict') or 'not judged'}{score}"


def sessions_table(sessions: list[dict]) -> pd.DataFrame:
    """The table of the tab: one row per session, key metrics as medians of both legs."""
    rows = []
    for s in sessions:
        km = s.get("key_metrics") or {}
        row = {"Date": s["date"][:16].replace("T", " "), "Clip": s["clip"],
               "Phase": (s.get("phase") or "").replace("_", " "),
               "Style": s.get("verdict") or "", "Front-side index": s.get("score"),
               "Confidence": s.get("confidence"), "Strides": s.get("n_strides")}
        for name, (label, unit) in TREND_METRICS.items():
            row[f"{label} ({unit})"] = km.get(name)
        row["Output folder"] = s.get("output_dir") or ""
        rows.append(row)
    return pd.DataFrame(rows)


def _request_open(before_id: int, after_id: int) -> None:
    st.session_state["hist_open"] = (before_id, after_id)


def open_pending() -> None:
    """Analyse the two sessions asked for (see the module docstring) and select them in
    the Compare tab; call before the tabs are drawn."""
    ids = st.session_state.pop("hist_open", None)
    if not ids:
        return
    try:
        with Library(library_path()) as lib:
            by_id = {s["id"]: s for s in lib.sessions()}
    except LibraryError as exc:
        st.error(str(exc))
        return
    keys = []
    for sid in ids:
        s = by_id.get(sid)
        path = Path(s["clip_path"]) if s else None
        if s is None or not path.is_file():
            st.error(f"{s['clip'] if s else 'the session'}: the clip is no longer at "
                     f"{path}; it cannot be opened")
            return
        clip = StoredClip(path=path, digest=s["content_hash"], name=s["clip"],
                          size=path.stat().st_size)
        settings = settings_of_session(s.get("settings") or {}, s.get("person") or 0)
        key = (clip.digest, settings.analysis_key())
        results = st.session_state["results"]
        if key not in results or not results[key].ok:
            results[key] = st_run.analyse(clip, settings)
        if not results[key].ok:
            st.error(results[key].error or "analysis failed")
            return
        keys.append(key)
    st.session_state["cmp_before"], st.session_state["cmp_after"] = keys
    st.session_state["hist_opened"] = tuple(ids)


def render_history() -> None:
    """Draw the History tab."""
    path = library_path()
    st.caption(f"Library: `{path}` — sessions of `posecheck batch` (with `--library` this "
               f"file) and of the analyses made here.")
    if not path.is_file():
        st.info("No sessions yet. Every clip analysed here is recorded, with the athlete "
                "named in the sidebar; `posecheck batch` adds whole folders.")
        return
    try:
        with Library(path) as lib:
            athletes = lib.athletes()
            name = st.selectbox("Athlete", athletes, key="hist_athlete") if athletes else None
            sessions = lib.sessions(name) if name else []
            metrics = lib.metric_rows(name) if name else []
    except LibraryError as exc:
        st.error(str(exc))
        return
    if not sessions:
        st.info("No sessions yet. Every clip analysed here is recorded, with the athlete "
                "named in the sidebar; `posecheck batch` adds whole folders.")
        return
    st.markdown(f"**{name}**: {len(sessions)} session{'s' if len(sessions) != 1 else ''}, "
                f"{sessions[0]['date'][:10]} to {sessions[-1]['date'][:10]}")
    st.dataframe(sessions_table(sessions), hide_index=True, key="hist_table")
    st.subheader("Trends")
    st.caption("Front-side index over the sessions; key metrics per leg (median over each "
               "leg's strides): left orange, right blue.")
    st.altair_chart(trend_chart(metrics, "score"), width="stretch")
    names = list(TREND_METRICS)
    for i in range(0, len(names), 2):
        cols = st.columns(2)
        for col, metric in zip(cols, names[i:i + 2]):
            with col:
                st.altair_chart(trend_chart(metrics, metric), width="stretch")
    _compare_picker(sessions)


def _compare_picker(sessions: list[dict]) -> None:
    st.subheader("Compare two sessions")
    if len(sessions) < 2:
        st.caption("A second session of this athlete can be compared with this one.")
        return
    by_id = {s["id"]: s for s in sessions}
    ids = list(by_id)
    cols = st.columns(2)
    before = cols[0].selectbox("Before", ids, index=0, key="hist_before",
                               format_func=lambda i: session_label(by_id[i]))
    after = cols[1].selectbox("After", ids, index=len(ids) - 1, key="hist_after",
                              format_func=lambda i: session_label(by_id[i]))
    st.button("Open in Compare before / after", key="hist_open_btn", type="primary",
              on_click=_request_open, args=(before, after))
    if st.session_state.get("hist_opened") == (before, after):
        st.success("Opened: see the **Compare before / after** tab.")
