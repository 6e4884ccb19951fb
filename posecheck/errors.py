"""Exceptions posecheck raises. Each message is one line a coach can act on.

The CLI prints ``str(exc)`` and exits with :attr:`PosecheckError.exit_code`; the app shows it
with ``st.error``. Quality problems that still allow an analysis are *warnings* on the
``Analysis``, not exceptions.
"""

from __future__ import annotations


class PosecheckError(Exception):
    """Base class: an input or environment problem with a one-line explanation."""

    exit_code = 2


class UnreadableVideo(PosecheckError):
    """The file is missing, not a video, empty, or cannot be decoded."""


class UnsupportedVideo(PosecheckError):
    """The file is a video but one posecheck cannot analyse (e.g. too small, too few frames)."""


class NoPersonDetected(PosecheckError):
    """The pose model found nobody in any frame."""


class ModelMissing(PosecheckError):
    """A pose model file is missing or fails its checksum."""


class OutputError(PosecheckError):
    """The output directory cannot be written."""
