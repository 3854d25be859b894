"""Faithfulness of the class-activation maps on SIGNS test (not a speed bench: the numbers in docs/explain.md).

For each of the 120 SIGNS test images (the 64x64 model inputs as stored, no
hand finding), the shipped model's top class, its map at stage 3 and stage 4
(Grad-CAM and LayerCAM), and the mean ``deletion_drop`` / ``random_drop``
(``core.explain.faithfulness``: 20 % of the pixels set to the image's mean
colour; random: 3 seeded draws).  Writes bench/results/explain-faithfulness.md
and .json.

    python -m bench.explain_faithfulness [--limit N] [--model M]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from bench.common import RESULTS, data_dir


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.explain_faithfulness")
    ap.add_argument("--limit", type=int, default=0, help="only the first N test images (0: all)")
    ap.add_argument("--model", help="a .keras file (default: the shipped model)")
    args = ap.parse_args(argv)
    from core.device import import_backend_quietly

    import_backend_quietly()
    from core.data.datasets import load_dataset
    from core.explain.cam import HeatmapEngine
    from core.explain.faithfulness import FRACTION, RANDOM_DRAWS, mean_drops
    from core.inference.classifier import Classifier
    from core.paths import shipped_model_path

    clf = Classifier.load(args.model or shipped_model_path())
    test = load_dataset(data_dir(), kind="cs230").test
    images = test.x[: args.limit or None]
    rows = []
    for layer in ("stage3", "stage4"):
        for method in ("gradcam", "layercam"):
            t0 = time.perf_counter()
            engine = HeatmapEngine(clf.model, layer, method=method)
            row = {"layer": engine.label, "method": method, **mean_drops(engine, clf.probabilities, images)}
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    lines = [f"# Heatmap faithfulness on SIGNS test ({len(images)} images, shipped model)", "",
             f"Masked: the hottest / a random {FRACTION:.0%} of the 64x64 input's pixels, set to the image's mean "
             f"colour; random: mean of {RANDOM_DRAWS} seeded draws. Top class of each image.", "",
             "| layer | method | mean deletion_drop | mean random_drop | deletion > random |", "|---|---|---|---|---|"]
    lines += [f"| {r['layer']} | {r['method']} | {r['deletion_drop']:.3f} | {r['random_drop']:.3f} | "
              f"{r['deletion_beats_random']:.0%} |" for r in rows]
    lines += ["", f"CPU: {platform.processor() or platform.machine()}; command: python -m bench.explain_faithfulness"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "explain-faithfulness.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "explain-faithfulness.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
