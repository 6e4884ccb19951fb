"""Give the C heap's free memory back to the system after a landmarker closes.

A MediaPipe landmarker holds ~55 MB of native memory (graph, model interpreter, buffers).
When one is closed, glibc's ``malloc`` keeps most of the freed pages mapped for later
allocations: on the 20-s race with two chunks (docs/speed.md) the process's RSS hardly
fell when a landmarker closed, and the next landmarker built raised it again.
``malloc_trim(0)`` returns the free pages at the top of each heap and the free whole pages
inside them. Measured there: peak RSS 783 -> ~710 MB with the trim after every close
(bench/race_tracking.py), no change in CPU beyond noise.

Elsewhere than glibc (macOS, Windows, musl) :func:`release_freed_memory` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim`` (int pad -> int), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; True if that was possible here
    (glibc), False elsewhere."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
