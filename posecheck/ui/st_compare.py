"""The Compare tab: before/after of two clips analysed in this session.

"Before" and "after" are picked among ``st.session_state["results"]`` (every clip analysed in
this browser session, with any settings); a further clip can be uploaded here and is
analysed with the sidebar's settings. The alignment touchdowns of the side-by-side video
default to :func:`posecheck.compare.metrics.default_alignment`. The comparison itself
(:class:`posecheck.compare.metrics.Comparison`) and its files live in
:class:`posecheck.ui.exports.CompareExports`; the files go to a folder keyed on both
analyses and the alignment (:func:`posecheck.ui.storage.compare_dir`).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from posecheck.compare.plots import cycle_chart
from posecheck.compare.metrics import CYCLE_SIGNALS, default_alignment, touchdowns
from posecheck.compare.report import delta_rows, headline
from posecheck.errors import PosecheckError
from posecheck.ui import st_run
from posecheck.ui.exports import COMPARE_EXPORTS, CompareExports
from posecheck.ui.settings import Settings
from posecheck.ui.st_review import show_error
from posecheck.ui.storage import VIDEO_EXTENSIONS, compare_dir

ASSESS_COLOUR = {"better": "#1e7d40", "worse": "#c62828", "changed": "#6A3DE8"}


def result_label(result: st_run.Result) -> str:
    """``name · model · verdict score`` of an analysed clip."""
    s = result.analysis.summary
    verdict = f" · {s.verdict} {s.score:.0f}" if s is not None and s.score == s.score else ""
    return f"{result.clip.name} · {result.settings.model}{verdict}"


def _add_clip(settings: Settings) -> None:
    """A second uploader: analyse another clip into the session's results."""
    with st.expander("Add a clip to compare", expanded=len(_ok_results()) < 2):
        up = st.file_uploader("Another clip (analysed with the settings in the sidebar)",
                              type=list(VIDEO_EXTENSIONS), key="upload_compare")
        if up is None:
            return
        clip = st_run.stored_clip(up)
        try:
            st_run.probe_clip(clip)
        except PosecheckError as exc:
            show_error(st_run.user_message(exc, clip), st_run.hint_for(exc))
            return
        key = (clip.digest, settings.analysis_key())
        results = st.session_state["results"]
        if key not in results:
            results[key] = st_run.analyse(clip, settings)
        if not results[key].ok:
            show_error(results[key].error or "analysis failed", results[key].hint)


def _ok_results() -> dict:
    return {k: r for k, r in st.session_state.get("results", {}).items() if r.ok}


def _touchdown_choice(label: str, result: st_run.Result, default, key: str):
    """Select box over the clip's touchdowns (or its start); returns the GaitEvent or None."""
    tds = touchdowns(result.analysis)
    options = [-1, *range(len(tds))]
    index = next((i + 1 for i, e in enumerate(tds) if e == default), 0)

    def fmt(i: int) -> str:
        if i < 0:
            return "start of the clip"
        e = tds[i]
        return f"{e.side} touchdown at {e.time_s:.2f} s (frame {e.frame})"

    i = st.selectbox(label, options, index=index, format_func=fmt, key=key)
    return None if i is None or i < 0 else tds[i]


def _swap() -> None:
    ss = st.session_state
    if "cmp_before" in ss and "cmp_after" in ss:
        ss["cmp_before"], ss["cmp_after"] = ss["cmp_after"], ss["cmp_before"]


def _comparison_key(kb, ka, eb, ea) -> str:
    blob = repr((kb, ka, None if eb is None else eb.frame, None if ea is None else ea.frame))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def render_compare(settings: Settings) -> None:
    """Draw the Compare tab."""
    _add_clip(settings)
    results = _ok_results()
    if len(results) < 2:
        st.info("Analyse two clips to compare them: upload the **before** clip above, then "
                "the **after** clip (above, or under *Add a clip to compare*). Every clip "
                "analysed in this session can be picked.")
        return
    keys = list(results)
    for k in ("cmp_before", "cmp_after"):  # a result of an earlier clip may be gone
        if k in st.session_state and st.session_state[k] not in results:
            del st.session_state[k]
    cols = st.columns([5, 1, 5], vertical_alignment="bottom")
    cols[1].button("⇄ Swap", key="cmp_swap", on_click=_swap, width="stretch",
                   help="Exchange before and after")
    kb = cols[0].selectbox("Before", keys, index=len(keys) - 2, key="cmp_before",
                           format_func=lambda k: result_label(results[k]))
    ka = cols[2].selectbox("After", keys, index=len(keys) - 1, key="cmp_after",
                           format_func=lambda k: result_label(results[k]))
    rb, ra = results[kb], results[ka]
    if kb == ka:
        st.caption("Before and after are the same analysis: nothing can have changed.")
    db, da = default_alignment(rb.analysis, ra.analysis)
    cols = st.columns(2)
    with cols[0]:
        eb = _touchdown_choice("Align the before clip on", rb, db,
                               f"cmp-td-b-{kb[0][:12]}-{kb[1]}")
    with cols[1]:
        ea = _touchdown_choice("Align the after clip on", ra, da,
                               f"cmp-td-a-{ka[0][:12]}-{ka[1]}")
    ex = CompareExports(rb.analysis, ra.analysis, rb.video_path, ra.video_path,
                        compare_dir(_comparison_key(kb, ka, eb, ea)),
                        (rb.clip.name, ra.clip.name), (eb, ea))
    c = ex.comparison
    st.markdown(f"#### {headline(c)}")
    if kb != ka:
        _video(ex)
    _curves(c)
    _deltas(c)
    _downloads(ex)


def _video(ex: CompareExports) -> None:
    st.subheader("Side by side")
    bar = st.progress(0.0, text="Making the side-by-side video…")
    try:
        path = ex.side_by_side(progress=lambda d, t: bar.progress(
            min(1.0, d / max(t, 1)), text=f"Making the side-by-side video: frame {d} of {t}"))
    except (PosecheckError, OSError, ValueError) as exc:
        st.warning(f"The side-by-side video could not be made: {exc}")
        return
    finally:
        bar.empty()
    st.video(str(path), format="video/mp4", loop=True, muted=True)
    st.caption("Both annotated clips, synchronised in real time on the chosen touchdowns "
               "(a clip that has not started or has ended is dimmed).")


def _curves(c) -> None:
    st.subheader("Stride cycle: before vs after")
    cols = st.columns(len(CYCLE_SIGNALS))
    for col, signal in zip(cols, CYCLE_SIGNALS):
        with col:
            st.altair_chart(cycle_chart(c, signal, height=260, subtitle=False),
                            width="stretch",
                            key=f"cmp-chart-{signal}")
    st.caption("Each stride from toe-off (0 %) to the next toe-off of the same foot (100 %), "
               "both legs; line = mean, band = ± 1 SD over strides; before grey, after "
               "purple; dashed rules = mean touchdown.")


def _deltas(c) -> None:
    st.subheader("What changed")
    side = st.radio("Legs", ["both", "left", "right"], horizontal=True, key="cmp_side",
                    format_func=lambda s: {"both": "both legs", "left": "left leg",
                                           "right": "right leg"}[s])
    rows = delta_rows(c, side)
    df = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    cls = [r["_class"] for r in rows]

    def colour(col):
        return [f"color: {ASSESS_COLOUR.get(k, '#5a6270')}; font-weight: "
                f"{600 if k in ASSESS_COLOUR else 400}" for k in cls]

    st.dataframe(df.style.apply(colour, subset=["Assessment"]), hide_index=True,
                 width="stretch", key="cmp-deltas",
                 height=38 + 35 * len(rows),
                 column_config={"Metric": st.column_config.TextColumn(width="medium"),
                                "Assessment": st.column_config.TextColumn(width="medium")})
    st.caption(f"Change = after − before of the mean over strides (± = stride-to-stride SD). "
               f"Beyond variation = larger than the pooled SD of the strides and Welch's "
               f"t-test p < {c.alpha:g}. \"Front-side is\": which way the metric moves "
               f"towards front-side style (a style, not a grade); other metrics have no "
               f"direction.")


def _downloads(ex: CompareExports) -> None:
    st.subheader("Comparison downloads")
    cols = st.columns(len(COMPARE_EXPORTS))
    for col, (name, (label, mime)) in zip(cols, COMPARE_EXPORTS.items()):
        with col:
            st.download_button(label, data=ex.reader(name), file_name=ex.download_name(name),
                               mime=mime, on_click="ignore", key=f"cmp-dl-{name}",
                               width="stretch")
