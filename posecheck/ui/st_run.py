"""Run an analysis from the app: cached by content hash + settings, with a progress bar.

Caching: :func:`_cached_analysis` is an ``st.cache_data`` function keyed on the clip's
SHA-256, the settings key and the stored path (all plain strings): re-running the page,
another browser session or a re-upload of the same clip returns the pickled
:class:`~posecheck.types.Analysis` (a frozen dataclass of numpy arrays) instead of running
the pose model again. Nothing goes into ``st.cache_resource`` (shared, not copied, between
users): the MediaPipe landmarker is not thread-safe and stays inside the pipeline.

Progress: the pipeline calls ``progress(stage, done, total)``. Streamlit records every
element call made inside a cached function to replay it on a cache hit, and replaying an
update to a progress bar created *outside* the function fails. So the callback runs its
update in a copy of the context taken before the cached call (:func:`contextvars.copy_context`),
where no cached function is active and nothing is recorded.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from posecheck.errors import (ModelMissing, NoPersonDetected, OutputError, PosecheckError,
                              UnreadableVideo, UnsupportedVideo)
from posecheck.types import Analysis, VideoInfo
from posecheck.ui.exports import write_annotated
from posecheck.ui.settings import Settings
from posecheck.ui.storage import StoredClip, read_chunks, run_dir, store_upload

log = logging.getLogger("posecheck.app")

#: What to try, by error class (most specific first).
HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (NoPersonDetected, "Film side-on from 10–20 m away with the athlete's whole body in view, "
                       "in good light, and upload again."),
    (UnsupportedVideo, "Upload a longer clip: at least one second of running, ideally two or "
                       "three strides."),
    (UnreadableVideo, "Upload the original MP4/MOV from the phone's camera roll (H.264 or HEVC); "
                      "if it came through a messenger app, export it again from the phone."),
    (ModelMissing, "Choose the 'lite' or 'full' model in the sidebar, or ask whoever runs the "
                   "app to install the model (posecheck models fetch heavy)."),
    (OutputError, "The server is out of disk space or cannot write its work folder; "
                  "tell whoever runs the app."),
)
STAGE_TEXT = {"pose": "Finding the athlete", "video": "Drawing the annotated video"}


def hint_for(exc: BaseException) -> str:
    """The 'what to try' line for an exception."""
    for cls, hint in HINTS:
        if isinstance(exc, cls):
            return hint
    return "Try another clip; if this keeps happening, report it with the clip."


def user_message(exc: BaseException, clip: StoredClip) -> str:
    """``str(exc)`` with the app's storage name replaced by the name the user uploaded."""
    return str(exc).replace(clip.path.name, clip.name).replace(str(clip.path), clip.name)


@dataclass
class Result:
    """The outcome of analysing one clip with one set of settings (kept in session state).

    Exactly one of ``analysis`` (with ``video_path`` and ``run_dir``) or ``error`` is set.
    """

    clip: StoredClip
    settings: Settings
    analysis: Analysis | None = None
    video_path: Path | None = None
    run_dir: Path | None = None
    error: str | None = None
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.analysis is not None


class ProgressBar:
    """A ``progress(stage, done, total)`` callback driving an ``st.progress`` bar.

    Updates are throttled to whole percents and applied only on the script thread (a
    worker thread has no Streamlit context; its calls are ignored).
    """

    def __init__(self, bar) -> None:
        self._bar = bar
        self._ctx = contextvars.copy_context()
        self._thread = threading.get_ident()
        self._last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if threading.get_ident() != self._thread:
            return
        frac = min(1.0, done / total) if total > 0 else 0.0
        state = (stage, int(frac * 100))
        if state == self._last:
            return
        self._last = state
        label = STAGE_TEXT.get(stage, stage.capitalize())
        text = f"{label}: frame {done} of {total}" if total > 0 else f"{label}: frame {done}"
        self._ctx.run(self._bar.progress, frac, text=text)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_analysis(clip_path: str, digest: str, settings_key: str, _settings: Settings,
                     _progress: ProgressBar) -> Analysis:
    """``analyze_video`` memoised on (path, content hash, settings key); see the module doc."""
    from posecheck import pipeline

    return pipeline.analyze_video(clip_path, _settings.to_config(), progress=_progress)


def analyse(clip: StoredClip, settings: Settings) -> Result:
    """Analyse ``clip`` (or fetch it from the cache), make its annotated video and record
    it in the library (:mod:`posecheck.ui.recording`).

    Shows a progress bar while working; never raises for a bad clip: a
    :class:`~posecheck.errors.PosecheckError` becomes ``Result.error`` + ``Result.hint``,
    and anything unexpected a one-line error as well (the traceback goes to the log).
    """
    bar = st.progress(0.0, text="Reading the clip…")
    progress = ProgressBar(bar)
    key = settings.analysis_key()
    try:
        analysis = _cached_analysis(str(clip.path), clip.digest, key, settings, progress)
        folder = run_dir(clip.digest, key)
        video = write_annotated(analysis, folder, settings.video_height,
                                progress=lambda d, t: progress("video", d, t))
    except PosecheckError as exc:
        return Result(clip, settings, error=user_message(exc, clip), hint=hint_for(exc))
    except Exception as exc:  # noqa: BLE001 - the app must keep working for the next clip
        log.exception("analysis of %s failed", clip.name)
        first = (user_message(exc, clip).splitlines() or [""])[0][:200]
        return Result(clip, settings, error=f"posecheck failed on {clip.name}: "
                      f"{type(exc).__name__}{': ' + first if first else ''}",
                      hint=hint_for(exc))
    finally:
        bar.empty()
    from posecheck.ui.recording import record_analysis

    record_analysis(analysis, clip, settings, st.session_state.get("athlete_name"), folder)
    return Result(clip, settings, analysis=analysis, video_path=video, run_dir=folder)


def stored_clip(uploaded) -> StoredClip:
    """The uploaded file written to disk under a generated name (once per upload)."""
    stored = st.session_state["stored"]
    if uploaded.file_id not in stored:
        with st.spinner("Receiving the clip…"):
            stored[uploaded.file_id] = store_upload(read_chunks(uploaded), uploaded.name)
    return stored[uploaded.file_id]


@st.cache_data(show_spinner=False, max_entries=64)
def _probe(path: str, digest: str) -> VideoInfo:
    from posecheck.video.reader import probe

    return probe(path)


def probe_clip(clip: StoredClip) -> VideoInfo:
    """:func:`posecheck.video.reader.probe` of a stored clip (cached on its content hash)."""
    return _probe(str(clip.path), clip.digest)


def clear_cache() -> None:
    """Forget all cached analyses (tests use it to start clean)."""
    _cached_analysis.clear()
