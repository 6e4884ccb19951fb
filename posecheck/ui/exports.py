"""The app's downloads, built on demand and kept on disk next to the analysis.

:class:`Exports` knows every file the app offers (see :data:`EXPORTS`). Each is written
into the analysis' run folder the first time it is asked for (atomically: unique temporary
name, then rename, so two users clicking at once never see half a file) and served from
there afterwards. No Streamlit here: the app wires :meth:`Exports.read` to its download
buttons as a deferred callable, so nothing is built until someone clicks.
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from posecheck.report.outdir import safe_stem
from posecheck.types import Analysis

#: file name -> (button label, MIME type)
EXPORTS: dict[str, tuple[str, str]] = {
    "annotated.mp4": ("Annotated video (MP4)", "video/mp4"),
    "report.html": ("Report (HTML, works offline)", "text/html"),
    "strides.csv": ("Strides (CSV)", "text/csv"),
    "angles.csv": ("Angles (CSV)", "text/csv"),
    "landmarks.csv": ("Landmarks (CSV)", "text/csv"),
    "report.json": ("Report data (JSON)", "application/json"),
    "posecheck.zip": ("Everything (ZIP)", "application/zip"),
}


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` via a unique temporary file in the same folder."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_annotated(analysis: Analysis, run_dir: Path, max_height: int | None,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """``<run_dir>/annotated.mp4`` (H.264), encoded once; later calls return the file."""
    from posecheck.report.export import write_annotated_video

    final = Path(run_dir) / "annotated.mp4"
    if final.is_file():
        return final
    tmp = final.with_name(f"annotated-{uuid.uuid4().hex}.mp4")
    try:
        write_annotated_video(analysis, tmp, max_height=max_height, progress=progress)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


@dataclass
class Exports:
    """The downloadable files of one analysis.

    Attributes:
        analysis: the analysis.
        run_dir: its folder (see :func:`posecheck.ui.storage.run_dir`).
        clip_name: display name of the uploaded clip (shown in reports, used for download
            names after :func:`posecheck.report.outdir.safe_stem`).
        max_video_height: for the annotated video if it has to be encoded here.
        report_sections: extra ``(title, html)`` sections for the HTML report (the verdict,
            cues with their key frames and the stride table are built in).
    """

    analysis: Analysis
    run_dir: Path
    clip_name: str
    max_video_height: int | None = 720
    report_sections: tuple[tuple[str, str], ...] = ()

    def download_name(self, name: str) -> str:
        """``<clip stem>_<name>``, e.g. ``front_side_60fps_angles.csv``."""
        return f"{safe_stem(self.clip_name)}_{name}"

    def path(self, name: str) -> Path:
        """The file ``name`` (one of :data:`EXPORTS`), built if it does not exist yet."""
        if name not in EXPORTS:
            raise KeyError(name)
        path = Path(self.run_dir) / name
        if path.is_file():
            return path
        if name == "annotated.mp4":
            return write_annotated(self.analysis, self.run_dir, self.max_video_height)
        if name == "posecheck.zip":
            return self._zip(path)
        return atomic_write(path, self._text(name))

    def read(self, name: str) -> bytes:
        """The bytes of ``name`` (built on first use)."""
        return self.path(name).read_bytes()

    def reader(self, name: str) -> Callable[[], bytes]:
        """A no-argument callable returning :meth:`read` (for deferred downloads)."""
        return lambda: self.read(name)

    def _text(self, name: str) -> str:
        from posecheck.report import export

        a = self.analysis
        if name == "angles.csv":
            return export.angles_csv(a)
        if name == "strides.csv":
            return export.strides_csv(a)
        if name == "landmarks.csv":
            return export.landmarks_csv(a)
        if name == "report.json":
            d = export.report_dict(a)
            d["input"]["file"] = self.clip_name  # not the app's internal storage name
            return json.dumps(d, indent=2, allow_nan=False) + "\n"
        if name == "report.html":
            from posecheck.report.html_report import build_report

            return build_report(a, clip_name=self.clip_name, sections=self.report_sections)
        raise KeyError(name)

    def _zip(self, path: Path) -> Path:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        stem = safe_stem(self.clip_name)
        try:
            with zipfile.ZipFile(tmp, "w") as z:
                for name in EXPORTS:
                    if name == "posecheck.zip":
                        continue
                    # video is already compressed: store it; deflate the text files
                    method = zipfile.ZIP_STORED if name.endswith(".mp4") else zipfile.ZIP_DEFLATED
                    z.write(self.path(name), f"{stem}_posecheck/{name}", compress_type=method)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path


#: comparison downloads: file name -> (button label, MIME type)
COMPARE_EXPORTS: dict[str, tuple[str, str]] = {
    "side_by_side.mp4": ("Side-by-side video (MP4)", "video/mp4"),
    "compare.html": ("Comparison report (HTML)", "text/html"),
    "comparison.csv": ("Comparison (CSV)", "text/csv"),
    "comparison.json": ("Comparison data (JSON)", "application/json"),
}


@dataclass
class CompareExports:
    """The comparison of two analyses and its files, kept in ``folder``.

    Attributes:
        before, after: the analyses; ``before_video``/``after_video`` their annotated MP4s.
        folder: where the files go (:func:`posecheck.ui.storage.compare_dir`).
        names: display names of the clips.
        align: the two touchdowns the side-by-side video is aligned on.
    """

    before: Analysis
    after: Analysis
    before_video: Path
    after_video: Path
    folder: Path
    names: tuple[str, str]
    align: tuple = (None, None)

    def __post_init__(self) -> None:
        from posecheck.compare.metrics import compare

        self.comparison = compare(self.before, self.after, before_name=self.names[0],
                                  after_name=self.names[1])

    def download_name(self, name: str) -> str:
        """``<before stem>_vs_<after stem>_<name>``."""
        return f"{safe_stem(self.names[0], 30)}_vs_{safe_stem(self.names[1], 30)}_{name}"

    def side_by_side(self, progress: Callable[[int, int], None] | None = None) -> Path:
        """The side-by-side MP4, encoded once (unique temporary name, then rename)."""
        from posecheck.compare.sidebyside import write_side_by_side

        final = Path(self.folder) / "side_by_side.mp4"
        if final.is_file():
            return final
        tmp = final.with_name(f"side_by_side-{uuid.uuid4().hex}.mp4")
        try:
            write_side_by_side(self.before, self.after, self.before_video, self.after_video,
                               tmp, align=self.align, progress=progress,
                               labels=(f"BEFORE - {self.names[0]}", f"AFTER - {self.names[1]}"))
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    def path(self, name: str) -> Path:
        """The file ``name`` (one of :data:`COMPARE_EXPORTS`), built if needed."""
        if name not in COMPARE_EXPORTS:
            raise KeyError(name)
        if name == "side_by_side.mp4":
            return self.side_by_side()
        path = Path(self.folder) / name
        if path.is_file():
            return path
        c = self.comparison
        if name == "comparison.csv":
            return atomic_write(path, c.to_csv())
        if name == "comparison.json":
            return atomic_write(path, c.to_json())
        from posecheck.compare.report import build_compare_report

        return atomic_write(path, build_compare_report(c))

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def reader(self, name: str) -> Callable[[], bytes]:
        return lambda: self.read(name)
