"""Freed C heap memory goes back to the system (posecheck.pose.heap), as after a landmarker
closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from posecheck.pose import heap

# Run in a fresh process: in the test session's own process earlier tests have left freed,
# still-resident heap memory that malloc hands out again, so new blocks would not raise RSS.
_PROBE = textwrap.dedent("""
    import ctypes, ctypes.util, json
    from posecheck.pose import heap

    def rss_mb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024

    # 96 MB of 4-kB blocks (as a landmarker's buffers: many, small, below malloc's mmap
    # threshold), one block kept after them so nothing is freed at the heap's top: glibc
    # keeps the pages mapped after free(); release_freed_memory() hands them back
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    block, n = 4096, 96 * 256
    before = rss_mb()
    ptrs = []
    for _ in range(n):
        p = libc.malloc(block)
        libc.memset(p, 1, block)  # touched: resident
        ptrs.append(p)
    guard = libc.malloc(block)
    held = rss_mb()
    for p in ptrs:
        libc.free(p)
    freed = rss_mb()
    ok = heap.release_freed_memory()
    trimmed = rss_mb()
    libc.free(guard)
    print(json.dumps({"before": before, "held": held, "freed": freed, "trimmed": trimmed,
                      "ok": ok}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim: Linux only")
def test_freed_small_blocks_below_a_live_one_are_returned_only_by_the_trim():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, timeout=120)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["held"] - r["before"] > 80, r
    assert r["freed"] - r["before"] > 60, ("glibc returned the pages without a trim (test premise)", r)
    assert r["ok"]
    assert r["freed"] - r["trimmed"] > 60, r


_ARENAS = textwrap.dedent("""
    import ctypes, ctypes.util, sys, threading
    from posecheck.pose import heap

    if sys.argv[1] == "limit":
        assert heap.limit_arenas(2)
    held = []
    ready, done = threading.Barrier(7), threading.Barrier(7)

    def work():  # six threads allocating at once: each would get an arena of its own
        ready.wait()
        held.append(bytearray(200_000))
        done.wait()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    ready.wait()
    done.wait()
    ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_stats()  # to stderr
    for t in threads:
        t.join()
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt: Linux only")
def test_limit_arenas_caps_the_heaps_that_threads_make():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def arenas(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _ARENAS, mode], capture_output=True,
                             text=True, check=True, timeout=120, env=env)
        return sum(line.startswith("Arena ") for line in out.stderr.splitlines())

    assert arenas("none") >= 4  # glibc's default: up to 8 per core
    assert arenas("limit") == 2
    with pytest.raises(ValueError):
        heap.limit_arenas(0)
