"""Record the app's analyses in the library (plain Python, no Streamlit).

The library is the one ``posecheck app --library PATH`` names (passed to the app process as
``$POSECHECK_LIBRARY``), else the per-user default
(:func:`posecheck.library.store.default_library_path`). The session's date is the clip's
``creation_time`` tag, else the time of the upload; its athlete the name typed in the
sidebar (``unnamed`` when empty).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from posecheck.library.records import SessionRecord, settings_fields, settings_key
from posecheck.library.store import Library, default_library_path
from posecheck.types import Analysis
from posecheck.ui.settings import Settings
from posecheck.ui.storage import StoredClip

log = logging.getLogger("posecheck.app")
UNNAMED = "unnamed"


def library_path() -> Path:
    """The library the app records in and shows."""
    return default_library_path()


def record_analysis(analysis: Analysis, clip: StoredClip, settings: Settings,
                    athlete: str | None, run_dir: Path | None,
                    path: str | os.PathLike | None = None) -> int | None:
    """Store one app analysis as a library session (nothing when the same clip content,
    settings and person are already there); return the session id, ``None`` if the
    library cannot be written (logged: the app goes on without it)."""
    from posecheck.report.export import report_dict
    from posecheck.video.files import creation_time

    config = settings.to_config()
    tagged = creation_time(clip.path)
    rec = SessionRecord(
        athlete=(athlete or "").strip() or UNNAMED, clip=clip.name, clip_path=str(clip.path),
        content_hash=clip.digest,
        recorded_at=tagged or datetime.now(timezone.utc),
        date_source="creation_time" if tagged else "upload",
        settings=settings_fields(config), settings_key=settings_key(config),
        report=report_dict(analysis), person=settings.person,
        output_dir=str(run_dir) if run_dir is not None else None, source="app")
    try:
        with Library(path or library_path()) as lib:
            sid, _added = lib.add(rec)
        return sid
    except Exception:  # noqa: BLE001 - the history is a bonus; the analysis is shown anyway
        log.warning("could not record %s in the library", clip.name, exc_info=True)
        return None
