"""The per-epoch cost of the Train tab's feature projection, against the epoch's validation pass.

After every epoch the training child validates and then projects: with the
feature probe hooked in (``TrainingSession.val_forward``), one forward pass over
the validation split gives both the probabilities and the pooled 2,048-d
features, and ``ProjectionProbe.project`` adds PCA to 2-D and the alignment to
the previous epoch.  This measures, in one process, on the model as the quick
preset trains it (the shipped ResNet-50's weights, in the precision ``"auto"``
picks here, with fused BatchNorm), alternately in rounds (the machine is
shared: read the ratios):

* ``validation``: ``Classifier.probabilities_in_batches`` on N images: the
  session's validation without the projection (the baseline);
* ``shared``: ``validation_probabilities`` then ``project()``: validation and
  projection as the training child runs them after each epoch;
* ``separate``: ``project()`` alone, with its own features pass (what the
  projection would cost without sharing the validation pass);
* ``pca_align``: ``ProjectionTracker.update`` on features already computed: the
  numpy part alone (PCA through the N x N Gram matrix's eigenvectors);
* ``svd_align``: the same with PCA by an SVD of the N x 2,048 features (the
  textbook way), for comparison.

N = 60 is the quick preset's validation set (10 a class), 162 the standard
preset's on SIGNS (15 %), 300 the probe's limit.

    python -m bench.projection [--sizes 60,162,300] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.common import RESULTS, cpu_model, emit, load_signs, machine, percentile

VARIANTS = ("validation", "shared", "separate", "pca_align", "svd_align")


def svd_projection(feats: np.ndarray, previous):
    """The same projection with PCA by an SVD of the N x D data (the textbook way; what pca_2d replaced)."""
    from core.explain.projection import align

    x = np.asarray(feats, dtype=np.float64)
    u, s, _ = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    return align(u[:, :2] * s[:2], previous)


def training_model():
    """The shipped model's weights in the precision and BatchNorm the quick preset trains with."""
    from core.model.files import load_model
    from core.paths import shipped_model_path
    from core.training.fast import fuse_batchnorm, resolve_precision, with_precision
    from core.training.presets import settings_for

    s = settings_for("quick")
    model, info = load_model(shipped_model_path())
    precision = resolve_precision(s.precision, s.device)
    if precision != "float32":
        model = with_precision(model, precision)
    if s.fused_batchnorm:
        fuse_batchnorm(model)
    return model, info, precision


def measure(model, info, x: np.ndarray, y: np.ndarray, rounds: int) -> dict:
    """Seconds per call of each variant on the N images ``x``, alternating, after one warm-up call each."""
    from core.explain.projection import ProjectionTracker
    from core.inference.classifier import Classifier
    from core.training.projection_probe import ProjectionProbe

    clf = Classifier(model, info)
    probe = ProjectionProbe(lambda: model, x, y)
    feats = probe.features()
    tracker = ProjectionTracker()
    calls = {"validation": lambda: clf.probabilities_in_batches(x),
             "shared": lambda: (probe.validation_probabilities(x), probe.project()),
             "separate": probe.project,
             "pca_align": lambda: tracker.update(feats), "svd_align": lambda: svd_projection(feats, tracker.previous)}
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for fn in calls.values():
        fn()  # traces the graphs
    for r in range(rounds):
        order = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
        for v in order:
            t0 = time.perf_counter()
            calls[v]()
            times[v].append(time.perf_counter() - t0)
    return {v: {"p50_ms": round(1000 * percentile(t, 50), 2), "mean_ms": round(1000 * float(np.mean(t)), 2),
                "runs": len(t)} for v, t in times.items()}


def report(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# Feature projection: per-epoch cost (bench/projection.py)",
        "",
        f"CPU: {result['cpu']} ({m['cpus']} cores), load average {m['loadavg_1m']} at the start, "
        f"{m['loadavg_end']} at the end. Model: the shipped ResNet-50, {result['precision']}, fused BatchNorm "
        f"(as the quick preset trains it). {result['rounds']} alternating rounds.",
        "",
        "| N images | validation alone p50 / mean ms (baseline) | validation + projection, shared pass p50 / mean ms | "
        "added by the projection (p50) | projection with its own pass p50 ms | PCA + alignment p50 ms | "
        "same by SVD p50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, r in result["sizes"].items():
        v, sh, sep, a, d = (r[k] for k in VARIANTS)
        added = sh["p50_ms"] - v["p50_ms"]
        lines.append(f"| {n} | {v['p50_ms']:.0f} / {v['mean_ms']:.0f} | {sh['p50_ms']:.0f} / {sh['mean_ms']:.0f} | "
                     f"{added:+.0f} ms ({sh['p50_ms'] / v['p50_ms']:.2f}x) | {sep['p50_ms']:.0f} | {a['p50_ms']:.1f} | "
                     f"{d['p50_ms']:.1f} |")
    lines += ["", "shared = `ProjectionProbe.validation_probabilities` (one inference-mode pass: probabilities and "
              "pooled features) + `project()` (PCA to 2-D, Procrustes alignment to the previous epoch), as the "
              "training child runs them after each epoch.", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.projection")
    p.add_argument("--sizes", default="60,162,300")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--out", default=str(RESULTS / "projection.md"))
    args = p.parse_args(argv)

    ds = load_signs()
    x = np.concatenate([ds.val.x, ds.test.x, ds.train.x])
    y = np.concatenate([ds.val.y, ds.test.y, ds.train.y])
    model, info, precision = training_model()
    result = {"cpu": cpu_model(), "machine": machine(), "precision": precision, "rounds": args.rounds, "sizes": {}}
    for n in (int(s) for s in args.sizes.split(",")):
        result["sizes"][str(n)] = measure(model, info, x[:n], y[:n], args.rounds)
    result["machine"]["loadavg_end"] = machine()["loadavg_1m"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(result))
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    emit(result)


if __name__ == "__main__":
    main()
