"""Shared helpers for the benchmarks: worker subprocesses, thread settings, statistics.

Every measurement that compares two things runs them alternately in the same
invocation (A B A B ...), because the machine is shared and noisy; the report
quotes ratios of medians, and the absolute numbers only as context.

Workers run in fresh subprocesses so that TensorFlow's thread pools (which are
fixed when it initialises) can differ between variants.  A worker prints one
line ``BENCH_JSON {...}`` as its last output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
MARK = "BENCH_JSON "


def data_dir() -> Path:
    env = os.environ.get("HANDSIGN_DATA")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "datasets"]:
        if (cand / "signs").is_dir():
            return cand / "signs"
        if cand.name == "signs" and cand.is_dir():
            return cand
    raise SystemExit("SIGNS not found: set HANDSIGN_DATA to the folder holding signs/")


def setting_overrides(items: list[str]) -> dict:
    """``["epochs=7", "learning_rate=3e-3", "augment_level=light"]`` -> ``{"epochs": 7, "learning_rate": 0.003,
    "augment_level": "light"}``: a bench's ``setting=value`` arguments as ``settings_for`` overrides."""

    def value(text: str):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    return {k: value(v) for k, v in (item.split("=", 1) for item in items)}


def seed_sweep_parser(description: str) -> argparse.ArgumentParser:
    """The arguments of a bench that trains a preset once per seed in a fresh worker process:
    ``--seeds 0,1,2``, the hidden ``--worker-seed N`` of one worker, and ``setting=value`` overrides
    (:func:`setting_overrides`)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--worker-seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("overrides", nargs="*", help="setting=value, e.g. epochs=7 learning_rate=3e-3")
    return p


def write_results(out: str | Path, text: str, rows) -> None:
    """Print a bench's table and keep it: ``out`` (markdown) and, beside it, the rows with the CPU as JSON."""
    print(text)
    out = Path(out)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"cpu": cpu_model(), "rows": rows}, indent=1) + "\n")


def emit(result: dict) -> None:
    """Worker side: hand one result back to the parent."""
    sys.stdout.flush()
    print(MARK + json.dumps(result), flush=True)


def run_worker(module: str, args: list[str], *, env: dict | None = None, timeout: float = 900) -> dict:
    """Run ``python -m module args`` in a fresh process and return its JSON result."""
    full_env = dict(os.environ)
    full_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    full_env.setdefault("QT_QPA_PLATFORM", "offscreen")
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            out = json.loads(line[len(MARK):])
            out.setdefault("process_seconds", round(time.perf_counter() - t0, 2))
            return out
    tail = (proc.stdout[-2000:] + "\n" + proc.stderr[-4000:]).strip()
    raise RuntimeError(f"worker {module} {' '.join(args)} failed (rc {proc.returncode}):\n{tail}")


def set_threads(intra: int | None, inter: int | None) -> None:
    """Apply TensorFlow thread settings (call before any TensorFlow op)."""
    if not (intra or inter):
        return
    import tensorflow as tf

    if intra:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
    if inter:
        tf.config.threading.set_inter_op_parallelism_threads(inter)


def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float:
    vals = sorted(values)
    if not vals:
        return float("nan")
    k = (len(vals) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def load_signs():
    from core.data.datasets import load_dataset

    return load_dataset(data_dir())


def cpu_model() -> str:
    """The CPU's name as lscpu shows it ("model name" in /proc/cpuinfo), or the platform's."""
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import platform

    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = line
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "avx512_bf16": "avx512_bf16" in flags,
        "amx_bf16": "amx_bf16" in flags,
        "loadavg_1m": round(load[0], 2),
        "python": platform.python_version(),
    }
