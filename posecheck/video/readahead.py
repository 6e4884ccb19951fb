"""Decode ahead on a background thread: :class:`read_ahead`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator


class read_ahead(Iterator):  # noqa: N801 - used like a function
    """Iterate ``frames`` (e.g. a :class:`FrameReader`) on a background thread, up to
    ``depth`` frames ahead, so decoding overlaps the consumer's work (drawing, encoding;
    OpenCV, PyAV and x264 release the GIL). Exceptions are re-raised in the consumer;
    :meth:`close` stops the thread and closes ``frames``. Holds at most ``depth + 1``
    frames."""

    _END = object()

    def __init__(self, frames: Iterator, depth: int = 2):
        self._frames = frames
        self._q: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._frames:
                if not self._put(item):
                    return
            self._put(self._END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put(exc)
        finally:
            if hasattr(self._frames, "close"):
                self._frames.close()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        item = self._q.get()
        if item is self._END or isinstance(item, BaseException):
            self._done = True
            self._thread.join()
            if item is self._END:
                raise StopIteration
            raise item
        return item

    def close(self) -> None:
        self._done = True
        self._stop.set()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
