"""The posecheck CLI: bad inputs give one line and a non-zero status, never a traceback."""



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
