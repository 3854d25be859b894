"""How long the Residual vs plain tab blocks the UI thread per report: plots staggered or drawn in one turn.

The real tab offscreen at 1200 x 800 is fed a run's reports at a training's pace
(a start, then ``--batches`` batch reports 100 ms apart per epoch and an epoch
report after each epoch's last, with the notebook ResNet's 49 plain conv layers
in the gradient heatmaps), while a :class:`tools.lateness_probe.LatenessProbe`
times the UI thread, as the responsiveness tests do:

* **staggered** (the app since 2026-12-04): each report asks
  :class:`gui.widgets.plots.StaggeredRedraw` for its plots, which draws the loss
  plot, the accuracy plot and (after an epoch) the heatmaps and verdict each in
  its own turn of the event loop;
* **one turn** (as before): the same drawing, all of it in the report's own
  turn (``flush()`` right after the request).

Alternating, ``--rounds`` times each, with a busy process on one core standing in
for the training child (``--no-busy`` to leave it out).  Blocked time is lateness
minus the time the UI thread waited for a CPU (Linux schedstat).

    python -m bench.redraw [--rounds 3] [--epochs 3] [--batches 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

from bench.common import RESULTS, cpu_model, median, write_results

REPORT_MS = 100


def _layers() -> list[str]:
    """The plain ResNet-50's conv layers by the notebook's names: conv1, then three per identity or conv block."""
    names = ["conv1"]
    for stage, blocks in zip((2, 3, 4, 5), (3, 4, 6, 3), strict=True):
        for block in "abcdef"[:blocks]:
            names += [f"res{stage}{block}_branch2{part}" for part in "abc"]
    return names


def reports(epochs: int, batches: int, seed: int = 0) -> list:
    """A run's reports in order, with plausible numbers (what is drawn matters here, not its values)."""
    from core.explain.compare import NETS, CompareBatch, CompareEpoch, CompareStart, NetEpoch

    rng = np.random.default_rng(seed)
    layers = _layers()
    settings = {"epochs": epochs, "depth": None, "batchnorm": True, "train_images": 480}

    def epoch(e):
        nets = {n: NetEpoch(None if e == 0 else float(rng.uniform(0.5, 2)), None if e == 0 else float(rng.uniform()),
                            None, float(rng.uniform()), list(rng.uniform(1e-4, 1, len(layers)))) for n in NETS}
        return CompareEpoch(e, nets, seconds=float(e))

    out = [CompareStart(layers, settings, train=432, val=48, steps_per_epoch=batches), epoch(0)]
    for e in range(1, epochs + 1):
        for b in range(1, batches + 1):
            loss = {n: float(rng.uniform(0.5, 2)) for n in NETS}
            out.append(CompareBatch(e, b, batches, loss, {n: float(rng.uniform()) for n in NETS}))
        out.append(epoch(e))
    return out


def feed(app, tab, run: list, one_turn: bool) -> dict:
    """Deliver ``run`` to the tab's controller REPORT_MS apart, as the worker's queued signals would; probe stats."""
    from core.explain.compare import CompareBatch, CompareEpoch
    from tools.lateness_probe import LatenessProbe
    from tools.offscreen_window import settle

    c = tab.controller
    c.history = type(c.history)()
    probe = LatenessProbe()
    probe.start()
    for report in run:
        if isinstance(report, CompareBatch):
            c.on_batch(report)
        elif isinstance(report, CompareEpoch):
            c.on_epoch(report)
        else:
            c.on_started(report)
        if one_turn:
            c.redraw.flush()
        settle(app, REPORT_MS / 1000)
    settle(app, 0.2)
    probe.stop()
    s = probe.stats()
    return {k: s[k] for k in ("blocked_max_ms", "blocked_p99_ms", "max_ms", "gc_full")}


def measure(rounds: int, epochs: int, batches: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from gui.tabs.residual import ResidualTab
    from gui.threads import freeze_heap
    from tools.offscreen_window import settle

    app = QApplication.instance() or QApplication([])
    tab = ResidualTab()
    tab.resize(1200, 800)
    tab.show()
    settle(app, 1.0)
    freeze_heap()  # as the app's window does after its loads
    run = reports(epochs, batches)
    rows = {"staggered": [], "one turn": []}
    for _ in range(rounds):
        for name in ("staggered", "one turn"):
            rows[name].append(feed(app, tab, run, one_turn=name == "one turn"))
    tab.shutdown(5_000)
    return rows


def table(rows: dict, args, busy: bool) -> str:
    lines = ["# The Residual vs plain tab: UI-thread blocked time while a run's reports arrive", "",
             f"CPU: {cpu_model()}. Command: `python -m bench.redraw --rounds {args.rounds} --epochs {args.epochs} "
             f"--batches {args.batches}`{'' if busy else ' --no-busy'}; {args.epochs * (args.batches + 1) + 2} "
             f"reports {REPORT_MS} ms apart per round, variants alternating"
             f"{', one core kept busy as by the training child' if busy else ''}.", "",
             "| drawing | blocked max ms, median of rounds (worst) | blocked p99 ms, median | full collections |",
             "| --- | --- | --- | --- |"]
    for name, rs in rows.items():
        mx = [r["blocked_max_ms"] for r in rs]
        lines.append(f"| {name} | {median(mx):.1f} ({max(mx):.1f}) | {median([r['blocked_p99_ms'] for r in rs]):.1f} "
                     f"| {sum(r['gc_full'] for r in rs)} |")
    a, b = (median([r["blocked_max_ms"] for r in rows[n]]) for n in ("one turn", "staggered"))
    lines += ["", f"One turn / staggered, blocked max: {a / max(b, 0.1):.2f}x."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.redraw", description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--no-busy", action="store_true", help="no busy process on the other core")
    p.add_argument("--out", default=str(RESULTS / "redraw.md"))
    args = p.parse_args(argv)
    busy = None if args.no_busy else subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        rows = measure(args.rounds, args.epochs, args.batches)
    finally:
        if busy is not None:
            busy.kill()
    write_results(args.out, table(rows, args, busy is not None), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
