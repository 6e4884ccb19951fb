"""The posecheck CLI: bad inputs give one line and a non-zero status, never a traceback."""

import re
from pathlib import Path

from posecheck.cli import ProgressBar, main

from cli_helpers import one_line_error, run_cli


def test_missing_file(tmp_path):
    proc = run_cli("analyze", tmp_path / "nope.mp4")
    one_line_error(proc, "nope.mp4")
    assert not (tmp_path / "nope_posecheck").exists()


def test_random_bytes_named_mp4(tmp_path):
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(bytes(range(256)) * 40)
    proc = run_cli("analyze", bad)
    one_line_error(proc, "garbage.mp4")
    assert not (tmp_path / "garbage_posecheck").exists()


def test_directory_instead_of_file(tmp_path):
    one_line_error(run_cli("analyze", tmp_path))


def test_invalid_slowmo_is_a_usage_error(tmp_path):
    proc = run_cli("analyze", tmp_path / "x.mp4", "--slowmo", "0")
    assert proc.returncode == 2 and "slowmo" in proc.stderr and "Traceback" not in proc.stderr


def test_no_person_is_a_one_line_error(tmp_path):
    import numpy as np
    from clipfactory import make_clip
    frames = [np.full((240, 320, 3), (40 + 3 * i, 120, 60), np.uint8) for i in range(12)]
    clip = make_clip(tmp_path / "empty field.mp4", frames, fps=60)
    proc = run_cli("analyze", clip, "--model", "lite")
    one_line_error(proc, "no person")
    assert not (tmp_path / "empty field_posecheck").exists()


def test_progress_bar_renders_fraction():
    import io
    buf = io.StringIO()
    bar = ProgressBar(stream=buf)
    bar("pose", 5, 10)
    bar("pose", 10, 10)
    bar.close()
    out = buf.getvalue()
    assert "50%" in out and "100%" in out and "10/10 frames" in out


def test_models_list_runs(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "lite" in out and "OK" in out


# posecheck's own stderr lines: the progress bar (redrawn with \r) and one-line messages
_OWN_STDERR = re.compile(r"^(pose|video)\s+(\[[#.]+\]\s+\d+%\s+\d+/\d+ frames|\d+ frames)(\s+\d+ fps)?\s*$"
                         r"|^posecheck: ")


def _run_cli_on_a_terminal(args, cwd):
    """Run ``posecheck ARGS`` with stderr on a pseudo-terminal (so the progress bar is drawn,
    as a user sees it) and stdout captured; return (exit status, stdout, stderr text)."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "posecheck.cli", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    proc.wait(timeout=300)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_analyze_writes_only_posecheck_lines_on_stderr(tmp_path):
    """Nothing but the progress bar and posecheck's own messages reaches stderr: native log
    lines of MediaPipe (at creation, on every call, at close, at garbage collection and at
    exit) are kept off it, whatever mediapipe version is installed."""
    sample = Path(__file__).resolve().parent.parent / "sample_videos" / "front_side_60fps.mp4"
    code, out, err = _run_cli_on_a_terminal(
        ["analyze", sample, "--out", tmp_path / "out", "--no-video", "--model", "lite"], tmp_path)
    assert code == 0, err
    assert "wrote" in out
    pieces = [p.strip() for p in re.split(r"[\r\n]+", err) if p.strip()]
    assert any(p.startswith("pose") and "%" in p for p in pieces), err  # the bar was drawn
    foreign = [p for p in pieces if not _OWN_STDERR.match(p)]
    assert not foreign, foreign


def test_analyze_help_lists_every_pose_mode_and_the_default(capsys):
    import pytest
    from posecheck.config import DEFAULT_MODEL, MODEL_TEXT, MODEL_VARIANTS

    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "{" + ",".join(MODEL_VARIANTS) + "}" in text
    assert f"pose mode (default: {DEFAULT_MODEL})" in text
    for mode in MODEL_VARIANTS:
        assert f"{mode} = {' '.join(MODEL_TEXT[mode].split())}" in text


def test_model_choice_reaches_the_config(monkeypatch, tmp_path):
    """``--model fused`` selects MediaPipe full + MoveNet Lightning (the CLI only passes the
    name on); an unknown mode is a usage error."""
    import posecheck.pipeline as pl
    from posecheck.errors import UnreadableVideo

    seen = {}

    def fake_analyze(path, config, progress=None):
        seen["pose"] = config.pose
        raise UnreadableVideo("stop here")

    monkeypatch.setattr(pl, "analyze_video", fake_analyze)
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"\0" * 64)
    assert main(["analyze", str(clip), "--model", "fused", "--quiet"]) == 2
    assert (seen["pose"].model, seen["pose"].mediapipe_model, seen["pose"].movenet_model) == \
        ("fused", "full", "lightning")
    proc = run_cli("analyze", clip, "--model", "movenet")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
