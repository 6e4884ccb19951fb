"""Run the ``posecheck`` CLI in a subprocess and check its one-line error contract."""

import subprocess
import sys


def run_cli(*args, cwd=None):
    """``python -m posecheck.cli ARGS`` with captured text output (5 min limit)."""
    return subprocess.run([sys.executable, "-m", "posecheck.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def one_line_error(proc, *needles) -> str:
    """Assert exit status 2, exactly one ``posecheck: error:`` line on stderr containing every
    needle, and no traceback; return that line."""
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("posecheck: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]
