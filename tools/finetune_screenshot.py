"""Render the Train tab after "Fine-tune on my samples" to PNG (docs/screenshots/train-finetune.png).

    python -m tools.finetune_screenshot --samples DIR [--out PNG] [--model M]

``DIR`` is a class-folder tree of samples (for example a room built by
``python -m tools.finetune_check``: ``out/finetune-check/sld-room/tune``).  They
are copied into a throw-away user folder's collected samples, as the Collect tab
would leave them; the real main window, offscreen at 1400x900, then runs the
real fine-tune (the ``finetune`` preset from the shipped model, or ``--model``)
and is saved when it is done.  About a minute on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tools.offscreen_window import close_window, grab, model_or_shipped, open_window, wait


def _collect(samples: Path) -> int:
    """Copy the samples where the Collect tab keeps them; how many."""
    from core.paths import collected_dir

    n = 0
    for f in sorted(samples.glob("*/*.jpg")):
        folder = collected_dir() / f.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, folder / f.name)
        n += 1
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.finetune_screenshot")
    p.add_argument("--samples", required=True, help="class folders of samples to fine-tune on")
    p.add_argument("--out", default="docs/screenshots/train-finetune.png")
    p.add_argument("--model", help="the model to start from (default: the shipped model)")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HANDSIGN_HOME"] = tempfile.mkdtemp(prefix="handsign-finetune-")
    if not _collect(Path(args.samples)):
        raise SystemExit(f"no samples (class folders of .jpg files) in {args.samples}")

    app, win = open_window(model_or_shipped(args.model))
    tt = win.train_tab
    win.tabs.setCurrentWidget(tt)
    if not tt.start_finetune():
        print(f"fine-tune did not start: {tt.banner.text()!r}", flush=True)
        return close_window(app, win, 1)
    wait(app, lambda: not tt.running and tt.outcome is not None, timeout=900)
    out = grab(app, win, Path(args.out), settle_seconds=1.0)
    print(f"wrote {out}: {tt.outcome.result.run_card['dataset']}")
    return close_window(app, win)


if __name__ == "__main__":
    sys.exit(main())
