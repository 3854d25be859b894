"""The quick preset end to end, today's against the one before (issue #17: half the time, SIGNS test >= 0.97).

Each run is ``handsign train --data signs --preset P --seed N --out ...`` in a fresh
process (``core.cli.cmd_train``, the function the CLI calls; a worker here only
lets it take the retired preset name, which the CLI no longer offers), timed from
process start to exit, with its SIGNS test accuracy read from the run card.

* ``old``: the quick preset **as the code was when issue #17 was filed**: commit
  ``a8d674e`` (``--old-ref``), extracted with ``git archive`` into a temporary
  folder and run there with this venv (``python -m core train ... --preset quick``).
  That is today's path exactly: every photo searched for its hand on every run,
  12 epochs, every checkpoint re-deflated.
* ``new``: ``quick`` as it is now (core/training/presets.py), or the candidate
  named by ``--new`` (e.g. ``quick-48px``: progressive resizing).

Order: one ``new`` run with an empty hand cache first (a class's first run; shown,
not in the means), then old / new alternating per seed (seeds 0, 1, 2 by
default), so the load of a shared machine falls on both.  All runs share one
cache folder made for the bench, so the ``new`` runs after the first find every
hand region on disk, as a second run in a classroom does.  ``--no-cold`` fills that
cache untimed instead of the cold run (before 2026-12-03 it left the cache empty, so
the first timed ``new`` run searched every photo).

Run as ``python -m bench.quick [--seeds 0,1,2] [--no-cold] [--new PRESET] [--old-ref COMMIT]``; writes
``bench/results/quick.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, RESULTS, cpu_model, data_dir, machine

PRESETS = {"old": "quick", "new": "quick"}
OLD_REF = "a8d674e"  # the commit before the first of issue #17's (f76f7ce): the code the issue measured
TARGET_RATIO = 0.5
TARGET_ACCURACY = 0.97


def _worker(preset: str, seed: int, out: str) -> None:
    """One training exactly as ``handsign train`` runs it (the run card beside ``out`` has its figures)."""
    from core.cli import build_parser, cmd_train

    args = build_parser().parse_args(["train", "--data", str(data_dir()), "--preset", "quick", "--seed", str(seed),
                                      "--out", out])
    args.preset = preset
    sys.exit(cmd_train(args))


def _warm(cache: Path) -> None:
    """Find the hand in every SIGNS photo once, into ``cache``, untimed (``--no-cold``)."""
    env = dict(os.environ, HANDSIGN_CACHE=str(cache), TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-m", "bench.quick", "--worker", "warm"], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=1800)


def _old_tree(ref: str, folder: Path) -> Path:
    """The repository at ``ref``, extracted (``git archive``) into ``folder / "old"``."""
    tree = folder / "old"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _card_figures(out: Path) -> dict:
    card = json.loads(out.with_suffix(".json").read_text())
    return {"test_accuracy": card["test"]["accuracy"], "duration_seconds": card["duration_seconds"],
            "epoch_seconds": [round(e["seconds"], 2) for e in card["epochs"]]}


def _command(variant: str, seed: int, out: Path, old_tree: Path | None) -> tuple[list[str], Path]:
    """The command line and working folder of one run: the old tree's own CLI, or this tree's worker."""
    if variant == "old":
        return ([sys.executable, "-m", "core", "train", "--data", str(data_dir()), "--preset", "quick",
                 "--seed", str(seed), "--out", str(out)], old_tree)
    return ([sys.executable, "-m", "bench.quick", "--worker", PRESETS[variant], "--seed", str(seed),
             "--out", str(out)], REPO)


def _run(variant: str, seed: int, folder: Path, cache: Path, cold: bool = False,
         old_tree: Path | None = None) -> dict:
    """One fresh-process training; its wall time and run-card figures."""
    out = folder / f"{variant}-{seed}{'-cold' if cold else ''}.keras"
    cmd, cwd = _command(variant, seed, out, old_tree)
    env = dict(os.environ, HANDSIGN_CACHE=str(cache), TF_CPP_MIN_LOG_LEVEL="2", QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(cwd) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if proc.returncode or not out.with_suffix(".json").exists():
        raise RuntimeError(f"{variant} seed {seed} failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    row = dict(_card_figures(out), rc=proc.returncode, variant=variant, preset=PRESETS[variant], seed=seed,
               cold_cache=cold, wall_seconds=round(wall, 1), loadavg_1m_before=round(load, 2))
    for path in folder.glob(f"{out.stem}*"):
        path.unlink()  # 90 MB a model: keep the disk free
    print(f"{variant:>3} seed {seed}{' (cold cache)' if cold else ''}: {wall:6.1f} s, "
          f"SIGNS test {row['test_accuracy']:.3f}", flush=True)
    return row


def _summary(rows: list[dict]) -> dict:
    warm = {v: [r for r in rows if r["variant"] == v and not r["cold_cache"]] for v in PRESETS}
    out: dict = {"runs": {v: len(rs) for v, rs in warm.items()}}
    if not all(warm.values()):
        return dict(out, old={"mean_wall_seconds": None, "mean_test_accuracy": None},
                    new={"mean_wall_seconds": None, "mean_test_accuracy": None}, ratio_new_to_old=None,
                    targets_met=None)
    for v, rs in warm.items():
        out[v] = {"mean_wall_seconds": round(statistics.mean(r["wall_seconds"] for r in rs), 1),
                  "mean_test_accuracy": round(statistics.mean(r["test_accuracy"] for r in rs), 4)}
    out["ratio_new_to_old"] = round(out["new"]["mean_wall_seconds"] / out["old"]["mean_wall_seconds"], 3)
    out["targets_met"] = (out["ratio_new_to_old"] <= TARGET_RATIO
                          and out["new"]["mean_test_accuracy"] >= TARGET_ACCURACY)
    return out


def _markdown(rows: list[dict], summary: dict, cpu: str) -> str:
    lines = [
        f"# Quick preset end to end: `{PRESETS['old']}` (old) vs `{PRESETS['new']}` (new)", "",
        f"CPU: {cpu}, {os.cpu_count()} cores. Each run: `handsign train --data signs --preset P --seed N` in a "
        "fresh process, launch to exit; old and new alternate per seed. The cold-cache row is a class's first "
        "`new` run (the hand regions not yet on disk); it is not in the means.", "",
        "| run | preset | seed | wall time | SIGNS test | training epochs (s) | load avg before |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, r in enumerate(rows, 1):
        label = "new (cold cache)" if r["cold_cache"] else r["variant"]
        epochs = " ".join(f"{s:.0f}" for s in r["epoch_seconds"])
        lines.append(f"| {i} {label} | `{r['preset']}` | {r['seed']} | {r['wall_seconds']:.1f} s | "
                     f"{r['test_accuracy']:.3f} | {epochs} | {r['loadavg_1m_before']} |")
    o, n = summary["old"], summary["new"]
    if summary["ratio_new_to_old"] is None:
        return "\n".join(lines + ["", "(not finished: no old / new pair yet)", ""])
    lines += ["", "| | mean wall time | mean SIGNS test |", "| --- | --- | --- |",
              f"| old `{PRESETS['old']}` | {o['mean_wall_seconds']} s | {o['mean_test_accuracy']:.3f} |",
              f"| new `{PRESETS['new']}` | {n['mean_wall_seconds']} s | {n['mean_test_accuracy']:.3f} |",
              f"| **new / old** | **{summary['ratio_new_to_old']:.2f}x** | |", "",
              f"Targets (issue #17): new / old <= {TARGET_RATIO} and mean SIGNS test >= {TARGET_ACCURACY}: "
              f"**{'met' if summary['targets_met'] else 'not met'}**.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--no-cold", action="store_true",
                   help="skip the timed run with an empty hand cache (the cache is filled first, untimed)")
    p.add_argument("--new", default="quick", help="the preset to measure (default: quick)")
    p.add_argument("--old-ref", default=OLD_REF, help=f"the commit whose quick preset is 'old' (default {OLD_REF})")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker == "warm":
        from core.training.data import load_training_data
        from core.training.presets import settings_for

        load_training_data(data_dir(), settings_for("quick"))  # fills the hand cache
        return 0
    if args.worker:
        _worker(args.worker, args.seed, args.out)
        return 0
    seeds = [int(s) for s in args.seeds.split(",")]
    PRESETS["new"], PRESETS["old"] = args.new, f"quick @ {args.old_ref}"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-quick-") as tmp:
        folder, cache = Path(tmp), Path(tmp) / "cache"
        old_tree = _old_tree(args.old_ref, folder)
        if args.no_cold:  # every timed new run then starts with the hand regions on disk
            _warm(cache)
        plan = ([("new", seeds[0], True)] if not args.no_cold else []) + [
            (variant, seed, False) for seed in seeds for variant in ("old", "new")]
        for variant, seed, cold in plan:
            rows.append(_run(variant, seed, folder, cache, cold, old_tree))
            text = _write(rows)  # after every run: an interrupted bench still leaves its rows
    print(text)
    return 0


def _write(rows: list[dict]) -> str:
    summary, cpu = _summary(rows), cpu_model()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quick.json").write_text(json.dumps({"cpu": cpu, "machine": machine(), "rows": rows,
                                                    "summary": summary}, indent=2) + "\n")
    text = _markdown(rows, summary, cpu)
    (RESULTS / "quick.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
