"""``handsign export``: the command, its one-line errors, and the install hint when export packages are missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.cli import main

ROOT = Path(__file__).resolve().parents[3]


def test_export_command_writes_the_folder(small_model_file, signs_dir, tmp_path, capsys):
    out = tmp_path / "onnx-export"
    rc = main(["export", "--model", str(small_model_file), "--format", "onnx", "--out", str(out), "--data", str(signs_dir)])
    printed = capsys.readouterr().out
    assert rc == 0
    assert f"exported ONNX to {out}" in printed
    assert "120/120 predictions agree with Keras" in printed
    assert (out / "model.onnx").stat().st_size > 10_000
    assert json.loads((out / "parity.json").read_text())["agree"] == 120


def test_export_over_an_earlier_export_replaces_it(small_model_file, signs_dir, tmp_path):
    out = tmp_path / "sm"
    for _ in range(2):
        assert main(["export", "-m", str(small_model_file), "-f", "saved_model", "-o", str(out), "--data", str(signs_dir)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "labels.json", "parity.json", "saved_model", "webcam.py"]


def test_without_a_dataset_parity_uses_generated_images_and_says_so(small_model_file, tmp_path):
    out = tmp_path / "tfl"
    assert main(["export", "-m", str(small_model_file), "-f", "tflite", "-o", str(out), "--data", str(tmp_path / "none")]) == 0
    parity = json.loads((out / "parity.json").read_text())
    assert parity["images"].startswith("120 generated images (no SIGNS dataset found")
    assert parity["keras_accuracy"] is None and parity["export_accuracy"] is None
    assert parity["agree"] == 120 and parity["max_abs_diff_probability"] <= 1e-4


def test_unknown_format_is_a_usage_error(capsys):
    assert _exit_code(["export", "--format", "coreml", "--out", "x"]) == 2
    assert "invalid choice: 'coreml'" in capsys.readouterr().err


def test_out_that_is_a_file_is_one_line(small_model_file, tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["export", "-m", str(small_model_file), "-f", "tflite", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file; give a folder to export into" in err


def test_missing_export_packages_say_how_to_install_them(small_model_file, tmp_path):
    """A real run with tf2onnx hidden (``sys.modules[name] = None`` makes importing it fail)."""
    out = tmp_path / "never"
    code = ("import sys; sys.modules['tf2onnx'] = None; from core.cli import main; "
            f"sys.exit(main(['export', '-m', {str(small_model_file)!r}, '-f', 'onnx', '-o', {str(out)!r}]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert run.stderr.strip() == ("handsign: error: ONNX export needs tf2onnx, which is not installed; "
                                  "install the export extras: pip install .[export]")
    assert not out.exists()


def _exit_code(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)
