"""Start-up: time from launch to the window shown and to the model ready.

Runs the app's own ``--smoke`` mode (``gui/app.py``: shows the window, loads
the model in the background, prints both times measured from its first line,
and quits) offscreen, with a bench ResNet-50 file as ``--model``.  The launch
cost before the app's first line (interpreter start) is added from the
parent's clock: ``from launch = (line arrival - launch) - (model ready - shown)``.

Runs share one TensorFlow Lite conversion cache: ``model_ready_first_launch_s``
is the first run (converts), ``model_ready_s`` the median of the others.

* source tree: ``python -m gui.app``
* packaged app: ``--exe PATH`` (the PyInstaller one-dir executable); prints
  "not built" when it does not exist.

    python -m bench.startup [--runs 3] [--exe dist/HandSignStudio/HandSignStudio]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, emit, median

LINE = re.compile(r"window shown after ([\d.]+) s.*model ready after ([\d.]+) s; error: (.*)$")


def one_run(cmd: list[str], env: dict, timeout: float = 180) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = None
    try:
        for line in proc.stdout:
            m = LINE.search(line)
            if m:
                found = (time.perf_counter() - t0, float(m.group(1)), float(m.group(2)), m.group(3).strip())
                break
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if found is None:
        return {"error": "no start-up line from the app"}
    arrival, shown, ready, error = found
    launch_overhead = arrival - ready
    return {
        "window_shown_s": round(shown + launch_overhead, 3),
        "model_ready_s": round(arrival, 3),
        "app_reported_shown_s": shown,
        "error": None if error == "None" else error,
    }


def measure(cmd: list[str], runs: int, model: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2")
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        # One conversion cache for the runs: the first launch converts the model for TensorFlow Lite,
        # the later ones load it from the cache, as every launch after the first does for a user.
        env["HANDSIGN_CACHE"] = cache
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as home:
                env["HANDSIGN_HOME"] = home  # no last-used settings
                rows.append(one_run([*cmd, "--smoke", "--no-camera", "--model", str(model)], env))
    ok = [r for r in rows if "error" not in r or r.get("window_shown_s") is not None]
    later = [r for r in ok if r is not rows[0]] or ok
    return {
        "window_shown_s": median([r.get("window_shown_s") for r in ok]),
        "model_ready_s": median([r.get("model_ready_s") for r in later]),
        "model_ready_first_launch_s": rows[0].get("model_ready_s"),
        "runs": rows,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.startup")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--exe", default=None, help="the packaged app's executable")
    args = p.parse_args(argv)
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "bench.keras"
        _make_model(model)
        out["source"] = measure([sys.executable, "-m", "gui.app"], args.runs, model)
        exe = Path(args.exe) if args.exe else None
        if exe is None or not exe.exists():
            out["packaged"] = {"status": "not built", "path": str(exe) if exe else None}
        else:
            out["packaged"] = measure([str(exe)], args.runs, model)
    emit(out)


def _make_model(path: Path) -> None:
    code = ("import sys; from pathlib import Path; from bench.infer import make_model_file; "
            "p = make_model_file(Path(sys.argv[1])); p.rename(Path(sys.argv[1]) / 'bench.keras')")
    subprocess.run([sys.executable, "-c", code, str(path.parent)], cwd=REPO, check=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), capture_output=True)


if __name__ == "__main__":
    main()
