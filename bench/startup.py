"""Start-up: launch -> window shown -> model ready -> first live prediction on a video, LiteRT against Keras.

Runs the app's own ``--smoke --video`` mode (``gui/app.py``, ``gui.smoke.StartupReport``:
shows the window, loads the model in the background, plays a 640x480 video of
SIGNS test images written with ``cv2.VideoWriter``, and prints one line once 20
frames are classified: the times from its first line, the engine, whether
TensorFlow / Keras were imported, and its memory) offscreen on the shipped
model, in fresh processes with a fresh user folder each.  The launch cost before
the app's first line (interpreter start) is added from the parent's clock.

Two engines, alternating round by round in the same run:

* ``litert``: today's path (no TensorFlow import when the model's checked
  conversion is at hand, beside the model or in the cache);
* ``keras``: the path before, forced with ``HANDSIGN_ENGINE=keras`` (TensorFlow
  and the full Keras model; it converts for TensorFlow Lite when the cache is cold).

Two start states for each: **first launch** (a fresh cache folder too: for
LiteRT only the conversion shipped beside the model, ``python -m
core.inference.prepare``, which this bench runs first if it is missing) and
**warm** (the cache filled by an earlier run).

* source tree: ``python -m gui.app``
* packaged app: ``--exe PATH`` (the PyInstaller one-dir executable); "not built" when absent.

    python -m bench.startup [--runs 3] [--exe dist/HandSignStudio/HandSignStudio]

Writes bench/results/startup.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, cpu_model, emit, median

LINE = re.compile(r"window shown after ([\d.]+) s .*model ready after ([\d.]+) s \(engine (\S+)\)"
                  r"(?:; first live prediction after ([\d.]+) s \(hand found: (\w+)\); (\d+) frames)?"
                  r"; imported: (\S+); rss (\d+) MB, peak (\d+) MB; line at ([\d.]+) s; error: (.*)$")
ENGINES = {"litert": {}, "keras": {"HANDSIGN_ENGINE": "keras"}}
TARGETS = {"first_prediction_s": 2.0, "first_prediction_first_launch_s": 4.0}


def one_run(cmd: list[str], env: dict, timeout: float = 300) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found, tail = None, []
    try:
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-5:]
            m = LINE.search(line)
            if m:
                found = (time.perf_counter() - t0, m)
                break
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if found is None:
        return {"error": "no start-up line from the app: " + " | ".join(tail)}
    arrival, m = found
    overhead = arrival - float(m.group(10))  # interpreter start before the app's first line, and the pipe
    first = m.group(4)
    return {
        "window_shown_s": round(float(m.group(1)) + overhead, 3),
        "model_ready_s": round(float(m.group(2)) + overhead, 3),
        "first_prediction_s": None if first is None else round(float(first) + overhead, 3),
        "engine": m.group(3), "hand_found": m.group(5) == "True", "frames": int(m.group(6) or 0),
        "imported": [] if m.group(7) == "none" else m.group(7).split(","),
        "rss_mb": int(m.group(8)), "peak_rss_mb": int(m.group(9)),
        "error": None if m.group(11).strip() == "None" else m.group(11).strip(),
    }


def measure(cmd: list[str], runs: int, model: Path, video: Path) -> dict:
    """``runs`` rounds; each round: for each engine (alternating which goes first) a first launch, then a warm one."""
    base = dict(os.environ, QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="2")
    base.pop("HANDSIGN_INFERENCE", None)
    rows: list[dict] = []
    for r in range(runs):
        order = list(ENGINES) if r % 2 == 0 else list(ENGINES)[::-1]
        for engine in order:
            with tempfile.TemporaryDirectory() as cache:
                for state in ("first_launch", "warm"):
                    with tempfile.TemporaryDirectory() as home:
                        env = dict(base, HANDSIGN_HOME=home, HANDSIGN_CACHE=cache, **ENGINES[engine])
                        if engine == "litert" and state == "warm":
                            _fill_cache(model, env)  # what a Keras-path session leaves behind
                        row = one_run([*cmd, "--smoke", "--model", str(model), "--video", str(video)], env)
                    row.update(round=r, engine_asked=engine, state=state)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    rows.append(row)
    return summarize(rows)


def summarize(rows: list[dict]) -> dict:
    out: dict = {"runs": rows}
    for engine in ENGINES:
        agg: dict = {}
        for state, suffix in (("warm", ""), ("first_launch", "_first_launch")):
            ok = [x for x in rows if x["engine_asked"] == engine and x["state"] == state and not x.get("error")]
            for key in ("window_shown_s", "model_ready_s", "first_prediction_s", "rss_mb", "peak_rss_mb"):
                agg[key + suffix] = median([x.get(key) for x in ok])
            agg["n" + suffix] = len(ok)
            agg["imported" + suffix] = sorted({m for x in ok for m in x.get("imported", [])})
            agg["engines" + suffix] = sorted({x.get("engine") for x in ok})
        out[engine] = agg
    lite = out["litert"]
    # The keys bench/run.py reads: this path's figures.
    out.update(window_shown_s=median([lite["window_shown_s"], lite["window_shown_s_first_launch"]]),
               model_ready_s=lite["model_ready_s"], model_ready_first_launch_s=lite["model_ready_s_first_launch"])
    return out


def _fill_cache(model: Path, env: dict) -> None:
    code = "import sys; from core.inference.classifier import Classifier; Classifier.load(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(model)], cwd=REPO, env=dict(env, HANDSIGN_ENGINE="keras"),
                   check=True, capture_output=True)


def make_video(path: Path) -> Path:
    code = "import sys; from tools.videos import write_demo_video; write_demo_video(sys.argv[1], seconds=4.0)"
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, check=True, capture_output=True)
    return path


def ensure_sibling(model: Path) -> str:
    """Make sure the conversion ships beside the model, as ``make venv`` / the packaging build leave it."""
    proc = subprocess.run([sys.executable, "-m", "core.inference.prepare", str(model)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.startup")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--exe", default=None, help="the packaged app's executable")
    p.add_argument("--model", type=Path, default=REPO / "assets" / "models" / "handsign_resnet50.keras")
    args = p.parse_args(argv)
    out: dict = {"cpu": cpu_model(), "cpus": os.cpu_count(), "runs_per_cell": args.runs, "model": str(args.model),
                 "sibling": ensure_sibling(args.model), "targets": TARGETS}
    with tempfile.TemporaryDirectory() as tmp:
        video = make_video(Path(tmp) / "signs-640x480.avi")
        out["source"] = measure([sys.executable, "-m", "gui.app"], args.runs, args.model, video)
        exe = Path(args.exe) if args.exe else None
        if exe is None or not exe.exists():
            out["packaged"] = {"status": "not built", "path": str(exe) if exe else None}
        else:
            out["packaged"] = measure([str(exe)], args.runs, args.model, video)
    write_results(out)
    emit(out)


def _fmt(v, unit=" s") -> str:
    return "n/a" if v is None or v != v else f"{v:.2f}{unit}" if unit == " s" else f"{v:.0f}{unit}"


def table(res: dict) -> list[str]:
    lite, keras = res["litert"], res["keras"]
    lines = ["| measure | LiteRT (this path) | Keras (before: HANDSIGN_ENGINE=keras) | LiteRT / Keras | target |",
             "|---|---|---|---|---|"]
    for key, label in (("first_prediction_s", "launch → first live prediction, warm"),
                       ("first_prediction_s_first_launch", "launch → first live prediction, first launch"),
                       ("model_ready_s", "launch → model ready, warm"),
                       ("model_ready_s_first_launch", "launch → model ready, first launch"),
                       ("window_shown_s", "launch → window shown, warm"),
                       ("rss_mb", "resident memory after 20 live frames, warm"),
                       ("peak_rss_mb_first_launch", "peak resident memory, first launch")):
        unit = " MB" if "rss" in key else " s"
        a, b = lite.get(key), keras.get(key)
        ratio = f"{a / b:.2f}×" if a and b and a == a and b == b else ""
        target = {"first_prediction_s": "≤ 2 s", "first_prediction_s_first_launch": "≤ 4 s"}.get(key, "")
        lines.append(f"| {label} | {_fmt(a, unit)} | {_fmt(b, unit)} | {ratio} | {target} |")
    lines.append(f"| TensorFlow / Keras imported by the 20th frame | {', '.join(lite['imported']) or 'none'} "
                 f"| {', '.join(keras['imported']) or 'none'} | | none |")
    return lines


def write_results(out: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(out, indent=2) + "\n")
    src = out["source"]
    md = ["# Start-up: launch → first live prediction (bench/startup.py)", "",
          f"CPU: {out['cpu']} ({out['cpus']} logical CPUs). Shipped model, {out['runs_per_cell']} fresh processes "
          "per cell (medians), engines alternating round by round, a 640×480 video of SIGNS test images, offscreen, "
          "a fresh user folder each run. First launch: a fresh cache too (LiteRT: only the conversion beside the "
          f"model; Keras: converts). Sibling: {out['sibling']}.", "", "## Source tree (`python -m gui.app`)", "",
          *table(src), ""]
    pk = out["packaged"]
    md += ["## Packaged app", ""]
    md += ["not built (`make package`, then `python -m bench.startup --exe dist/HandSignStudio/HandSignStudio`)"
           if pk.get("status") == "not built" else "\n".join(table(pk)), ""]
    (RESULTS / "startup.md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
