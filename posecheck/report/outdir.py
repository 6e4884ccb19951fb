"""Output folders that appear complete or not at all, and safe names for uploaded files.

Policy (documented in README "Usage" and docs/hard_footage.md):

* An output folder that already exists and is not empty is **refused** unless ``force``;
  this is checked before the (slow) analysis starts.
* Everything is written into a hidden staging folder next to the output folder
  (``.<name>.posecheck-tmp-XXXX``, same file system). Only when every file is complete are
  the files moved into place (``os.replace``, atomic per file; a new folder is renamed in
  one step), ``report.json`` last. On any error or Ctrl-C the staging folder is deleted,
  so a failed or interrupted run leaves no partial ``annotated.mp4``/CSV under the output
  name, and an existing folder keeps its previous results.
* With ``force`` only posecheck's own output files are replaced (and stale ones from a
  previous run removed); any other file in the folder is left alone - ``--force`` never
  deletes a folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from posecheck.errors import OutputError

#: Files posecheck writes into an output folder (replaced with ``force``).
OUTPUT_FILES = ("angles.csv", "landmarks.csv", "strides.csv", "annotated.mp4", "report.json")
_COMMIT_LAST = "report.json"
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
_NOT_PORTABLE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')  # control or special on Windows
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_filename(name: str, default: str = "clip", max_len: int = 100, *,
                  ascii_only: bool = False, keep_extension: bool = True) -> str:
    """A file name that is safe to join to a directory, from an untrusted (uploaded) name.

    Keeps only the last path component (``../../x`` → ``x``, ``C:\\\\a\\\\b`` → ``b``),
    normalises Unicode (NFKC), replaces control characters, path separators and characters
    that are special on Windows with ``_``, strips leading dots (no hidden files, no ``..``)
    and spaces, avoids Windows device names and caps the length at ``max_len`` characters
    (keeping the extension, itself at most 10). Letters of any language and spaces are kept
    unless ``ascii_only``. Never returns an empty string (``default`` instead), ``.`` or
    ``..``.

    Args:
        ascii_only: keep only ASCII letters, digits and ``_.-``: every run of other
            characters (spaces included) becomes one ``_``, and ``.``/``_`` are stripped
            from both ends of the stem - for download names (HTTP headers, ZIP entries).
        keep_extension: False drops the extension (after the last dot) and returns a stem.
    """
    name = unicodedata.normalize("NFKC", str(name))
    name = re.split(r"[\\/]", name)[-1]
    name = (_NOT_ASCII_NAME if ascii_only else _NOT_PORTABLE_NAME).sub("_", name)
    name = name.strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if ascii_only:
        stem = stem.strip("._")
    if stem.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    ext = ext[:10] if keep_extension else ""
    stem = stem[: max(1, max_len - (len(ext) + 1 if ext else 0))].rstrip(" .")
    if not stem:
        stem = default
    return f"{stem}.{ext}" if ext else stem


def safe_stem(name: str, max_len: int = 60) -> str:
    """A download-name stem from a display name: ASCII letters, digits and ``_.-`` only.

    :func:`safe_filename` with ``ascii_only`` and without the extension, e.g.
    ``"Track day 1.mp4"`` → ``"Track_day_1"``; at most ``max_len`` characters, ``"clip"``
    when nothing is left.
    """
    return safe_filename(name, max_len=max_len, ascii_only=True, keep_extension=False)


def check_output_dir(out: str | os.PathLike, force: bool = False) -> Path:
    """Fail fast (before analysing) if ``out`` cannot be used; return it as a Path.

    Raises:
        OutputError: ``out`` is a file; exists and is not empty (without ``force``); or its
            parent folder cannot be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"{out} already exists; add --force to replace its posecheck "
                          f"results, or choose another --out")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out.name}.posecheck-check-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    return out


@contextlib.contextmanager
def staged_output(out: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a staging folder to write into; on success move its files to ``out``.

    See the module docstring for the policy. Raises :class:`OutputError` as
    :func:`check_output_dir`.
    """
    out = check_output_dir(out, force)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.posecheck-tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    try:
        yield stage
        _commit(stage, out, force)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, out: Path, force: bool) -> None:
    try:
        if not out.exists():
            os.rename(stage, out)  # a new folder appears complete in one step
            return
        if any(out.iterdir()) and not force:  # appeared while we were analysing
            raise OutputError(f"{out} already exists; add --force to replace its posecheck "
                              f"results, or choose another --out")
        made = {p.name for p in stage.iterdir()}
        for name in OUTPUT_FILES:  # outputs of an earlier run that this run did not make
            if name not in made:
                (out / name).unlink(missing_ok=True)
        for name in sorted(made, key=lambda n: n == _COMMIT_LAST):  # report.json last
            os.replace(stage / name, out / name)
    except OSError as exc:
        raise OutputError(f"cannot write to {out}: {exc.strerror or exc}") from None
