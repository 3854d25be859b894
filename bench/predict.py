"""``handsign predict`` on one image: wall time and peak memory, against a bare TensorFlow import.

Each round runs, in fresh processes and alternating order (the machine is shared):

* ``import_tensorflow``: ``python -c "import tensorflow"``, the yardstick of issue #17;
* ``predict``: ``python -m core predict --json IMAGE`` with a warm cache (the
  TensorFlow-free LiteRT path, ``core.inference.lite``);
* ``predict_full``: the path ``predict`` took before #17 with the same warm
  cache: import Keras, load the model, TensorFlow Lite from the cache
  (``Classifier.load``), classify.

Once per run, ``predict_cold``: ``handsign predict`` with an empty cache (loads
Keras, converts and checks the model, fills the cache).  Peak RSS comes from
``os.wait4`` (the child's own ``ru_maxrss``; Linux and macOS).

    python -m bench.predict [--rounds 5] [--model FILE] [--image FILE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, cpu_model, data_dir, emit, median

FULL_PATH = ("import sys\n"
             "from core.device import import_backend_quietly\n"
             "import_backend_quietly()\n"
             "from core.inference.classifier import Classifier\n"
             "print(Classifier.load(sys.argv[1]).classify_file(sys.argv[2]).as_dict())\n")


def timed(cmd: list[str], env: dict) -> dict:
    """Wall seconds and peak RSS (MB) of one child process, which must succeed."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (rc {proc.returncode}): {err[-2000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss * scale / 2**20, 1)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.predict")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--model", default=str(REPO / "assets" / "models" / "handsign_resnet50.keras"))
    p.add_argument("--image", default=None, help="default: the first SIGNS test image")
    args = p.parse_args(argv)
    image = args.image or str(sorted((data_dir() / "test_signs").glob("*.jpg"))[0])
    py = sys.executable
    commands = {
        "import_tensorflow": [py, "-c", "import tensorflow"],
        "predict": [py, "-m", "core", "predict", "--json", "--model", args.model, image],
        "predict_full": [py, "-c", FULL_PATH, args.model, image],
    }
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HANDSIGN_HOME=home, HANDSIGN_CACHE=str(Path(home) / "cache"), TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("HANDSIGN_INFERENCE", None)
        cold = timed(commands["predict"], env)  # converts and fills the cache the rounds use
        rows: dict[str, list[dict]] = {k: [] for k in commands}
        for r in range(args.rounds):
            for name in (commands if r % 2 == 0 else reversed(list(commands))):
                rows[name].append(timed(commands[name], env))
    wall = {k: median([x["wall_s"] for x in v]) for k, v in rows.items()}
    rss = {k: median([x["peak_rss_mb"] for x in v]) for k, v in rows.items()}
    # Ratios per round (each round's runs are adjacent in time), then the median.
    per_round = [rows["predict"][i]["wall_s"] / rows["import_tensorflow"][i]["wall_s"] for i in range(args.rounds)]
    emit({
        "cpu_model": cpu_model(), "model": args.model, "image": image, "rounds": args.rounds,
        "wall_s": wall, "peak_rss_mb": rss, "cold": cold, "all": rows,
        "predict_over_import_tensorflow": round(median(per_round), 3),
        "predict_full_over_predict": round(wall["predict_full"] / wall["predict"], 2),
        "targets": {"predict_over_import_tensorflow": "< 0.6", "peak_rss_mb": "<= 400"},
    })


if __name__ == "__main__":
    main()
