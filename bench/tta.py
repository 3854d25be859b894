"""Time to accuracy: wall time for the ``quick`` preset to reach a SIGNS test accuracy.

Trains with ``TrainingSession`` (the product path) on SIGNS; after every epoch
the listener measures test accuracy on the model being trained (that time is
excluded from the clock) and the run stops at ``--target``.  Variants:
``after`` (the product defaults) and ``before`` (``precision="float32"``,
``fused_batchnorm=False``, ``fused_optimizer=False``: the training path before issue #5).  Also reports
the final test accuracy of each run, so bfloat16's accuracy is checked.

    python -m bench.tta --variant after [--target 0.95]
"""

from __future__ import annotations

import argparse
import time

from bench.common import emit, load_signs


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.tta")
    p.add_argument("--variant", choices=["after", "before"], default="after")
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--epochs", type=int, default=None, help="default: the preset's")
    p.add_argument("--run-out", action="store_true", help="keep training after the target, to the preset's end")
    args = p.parse_args(argv)

    import numpy as np

    from core.inference.classifier import Classifier
    from core.model.files import ModelInfo
    from core.training.presets import settings_for
    from core.training.session import TrainingSession

    ds = load_signs()
    over = {"epochs": args.epochs}
    if args.variant == "before":
        over.update(precision="float32", fused_batchnorm=False, fused_optimizer=False)
    settings = settings_for("quick", **over)
    excluded = 0.0
    t0 = None
    curve: list[dict] = []
    reached = {"seconds": None, "epoch": None}
    holder: dict = {}

    class Listener:
        def on_start(self, info):
            nonlocal t0
            t0 = time.perf_counter()

        def on_epoch(self, m):
            nonlocal excluded
            t = time.perf_counter()
            clf = holder.get("clf")
            if clf is None or clf.model is not session.model:
                clf = holder["clf"] = Classifier(session.model, ModelInfo(list(ds.class_names), ds.image_size))
            probs = clf.probabilities_in_batches(ds.test.x)
            acc = float(np.mean(probs.argmax(1) == ds.test.y))
            excluded += time.perf_counter() - t
            wall = t - t0 - (excluded - (time.perf_counter() - t))
            curve.append({"epoch": m.epoch, "seconds": round(wall, 1), "test_accuracy": round(acc, 4),
                          "val_accuracy": None if m.val_accuracy is None else round(m.val_accuracy, 4)})
            if acc >= args.target and reached["seconds"] is None:
                reached.update(seconds=round(wall, 1), epoch=m.epoch)
                if not args.run_out:
                    session.stop()

    session = TrainingSession(ds, settings, Listener())
    result = session.run()
    emit({
        "variant": args.variant,
        "precision": result.run_card.get("precision"),
        "target": args.target,
        "seconds_to_target": reached["seconds"],
        "epoch_reached": reached["epoch"],
        "final_test_accuracy": None if result.test_report is None else round(result.test_report["accuracy"], 4),
        "curve": curve,
        "status": result.status,
    })


if __name__ == "__main__":
    main()
