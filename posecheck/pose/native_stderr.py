"""Keep native log lines (MediaPipe, TFLite/LiteRT, glog, absl) off the user's terminal.

MediaPipe's C++ code writes INFO lines straight to file descriptor 2 while a landmarker is
created, on its first frames, when it is closed or garbage-collected, and at interpreter
exit (mediapipe 1.2.3: ``INFO: [accelerator_registry.cc:43] DestroyAccelerator ...``). They
mean nothing to a coach and break the progress bar.

Two tools:

* :func:`native_stderr_silenced` — a scope (thread-safe, nestable) in which fd 2 points at
  ``/dev/null``; the pose stage wraps every MediaPipe creation, first calls and close in it,
  so library users see no native lines either.
* :func:`route_native_stderr_away` — for a command-line process: from the call on, fd 2 (what
  native code writes to) points at ``/dev/null`` for the rest of the process's life, while
  Python's ``sys.stderr`` keeps writing to the original stream through a copy of it. This
  covers what no scope can: destructors run by the garbage collector and at exit.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator

_LOCK = threading.Lock()
_USERS = [0, -1]        # threads inside native_stderr_silenced, saved fd 2
_ROUTED: list[int] = []  # the copy of the original fd 2 that sys.stderr now writes to


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point fd 2 at ``/dev/null`` for the duration (Python exceptions keep their messages).

    fd 2 is shared by the whole process: with several threads inside, the first one in
    redirects it and the last one out restores it.
    """
    with _LOCK:
        if _USERS[0] == 0:
            try:
                saved = os.dup(2)
            except OSError:  # no usable fd 2 (e.g. some embedded interpreters)
                saved = -1
            if saved >= 0:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 2)
            _USERS[1] = saved
        _USERS[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _USERS[0] -= 1
            if _USERS[0] == 0 and _USERS[1] >= 0:
                os.dup2(_USERS[1], 2)
                os.close(_USERS[1])
                _USERS[1] = -1


def route_native_stderr_away() -> bool:
    """Send everything written to fd 2 by native code to ``/dev/null`` for the rest of the
    process, and make ``sys.stderr`` write to a duplicate of the original fd 2.

    Child processes inherit the silenced fd 2: pass ``stderr=`` explicitly where their
    messages matter. Calling it again does nothing. Returns True if the routing is (now) in
    place, False when fd 2 could not be duplicated (nothing changed then).
    """
    with _LOCK:
        if _ROUTED:
            return True
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        try:
            saved = os.dup(2)
        except OSError:
            return False
        os.set_inheritable(saved, False)
        old = sys.stderr
        encoding = getattr(old, "encoding", None) or "utf-8"
        stream = io.TextIOWrapper(io.FileIO(saved, "w", closefd=False), encoding=encoding,
                                  errors="backslashreplace", line_buffering=True,
                                  write_through=True)
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        sys.stderr = stream
        _ROUTED.append(saved)
        return True
