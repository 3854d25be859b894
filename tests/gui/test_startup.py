"""Start-up guards (gui/startup.py) and the packaging smoke mode (gui/smoke.py), from source.

The frozen app gets the same checks from packaging/smoke_test.py after a build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict:
    return dict(os.environ, HANDSIGN_HOME=str(home), QT_QPA_PLATFORM="offscreen")


def test_log_file_and_no_stdout_as_in_a_windowed_build(tmp_path):
    code = (
        "import logging, sys\n"
        "assert sys.stdout is None and sys.stderr is None\n"
        "from gui.startup import install_logging\n"
        "install_logging()\n"
        "print('printed line')\n"
        "sys.stderr.write('stderr line\\n')\n"
        "logging.getLogger('probe').info('logged line')\n"
        "import os; os.write(2, b'fd2 line\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(tmp_path), timeout=120,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          preexec_fn=lambda: (os.close(1), os.close(2)))
    assert proc.returncode == 0
    log = (tmp_path / "logs" / "handsign-studio.log").read_text()
    assert "logged line" in log and "redirected to" in log
    console = (tmp_path / "logs" / "console.log").read_text()
    assert "printed line" in console and "stderr line" in console and "fd2 line" in console


def test_a_crash_before_the_window_is_logged_and_exits_1(tmp_path):
    code = (
        "import sys\n"
        "from gui.startup import run_guarded\n"
        "def main():\n"
        "    raise ImportError('kaboom: a module is missing from the bundle')\n"
        "sys.exit(run_guarded(main))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(tmp_path), timeout=120,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    log = (tmp_path / "logs" / "handsign-studio.log").read_text()
    assert "failed to start" in log and "kaboom" in log and "Traceback" in log


def test_smoke_mode_classifies_and_renders(tmp_path, signs_model, signs_dir):
    images = tmp_path / "images"
    images.mkdir()
    for label in "012345":
        first = sorted((signs_dir / "test_signs").glob(f"{label}_*.jpg"))[0]
        shutil.copy2(first, images / first.name)
    shot = tmp_path / "window.png"
    proc = subprocess.run([sys.executable, "-m", "gui.app", "--model", str(signs_model), "--smoke-test", str(images),
                           "--screenshot", str(shot)], cwd=REPO, env=_env(tmp_path / "home"), timeout=300,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["ok"] and len(report["results"]) == 6
    assert report["correct"] >= 4, report["results"]  # a tiny CNN trained for seconds
    assert shot.stat().st_size > 10_000
    assert "SMOKE-RESULT" in (tmp_path / "home" / "logs" / "handsign-studio.log").read_text()


def test_smoke_mode_fails_on_a_damaged_model(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a model")
    shot = tmp_path / "box.png"
    proc = subprocess.run([sys.executable, "-m", "gui.app", "--model", str(bad), "--smoke-test", "--screenshot",
                           str(shot)], cwd=REPO, env=_env(tmp_path / "home"), timeout=300, capture_output=True, text=True)
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert shot.is_file()  # the message box
    assert "start-up failed" in (tmp_path / "home" / "logs" / "handsign-studio.log").read_text()
