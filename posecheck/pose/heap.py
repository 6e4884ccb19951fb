"""Give the C heap's free memory back to the system after a landmarker closes.

A MediaPipe landmarker holds ~55 MB of native memory (graph, model interpreter, buffers).
When one is closed, glibc's ``malloc`` keeps most of the freed pages mapped for later
allocations: on the 20-s race with two chunks (docs/speed.md) the process's RSS hardly
fell when a landmarker closed, and the next landmarker built raised it again.
``malloc_trim(0)`` returns the free pages at the top of each heap and the free whole pages
inside them. Measured there: peak RSS 783 -> ~710 MB with the trim after every close
(bench/race_tracking.py), no change in CPU beyond noise.

Each thread that allocates while others hold the heap's lock gets an *arena* of its own (up
to 8 per core), and each arena keeps its own free pages: the pose pass's threads (decoders,
MediaPipe's graph threads, MoveNet) spread the landmarkers' memory over many arenas.
:func:`limit_arenas` caps how many are made: on the 20-s race with two workers
(``bench/race_tracking.py``) peak RSS 730 -> 693 MB with at most 2 (glibc's
``MALLOC_ARENA_MAX=2``), CPU unchanged (23.3 / 23.6 s).

Elsewhere than glibc (macOS, Windows, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys


M_ARENA_MAX = -8  #: glibc's mallopt parameter (malloc.h)


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim`` (int pad -> int), or None where there is none."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def limit_arenas(most: int) -> bool:
    """Let glibc's ``malloc`` make at most ``most`` (>= 1) arenas from now on (threads that
    already have one keep it); True if that was possible here (glibc), False elsewhere.
    Process-wide, like ``MALLOC_ARENA_MAX``, which wins if the user set it."""
    if not isinstance(most, int) or most < 1:
        raise ValueError(f"most must be an int >= 1, got {most!r}")
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True  # the user's own setting stands
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, most))


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; True if that was possible here
    (glibc), False elsewhere."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
