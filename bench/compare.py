"""The residual-vs-plain experiment's default run, end to end, against a bare ``fit`` of the same two nets.

Variants, each in a fresh process, alternating (A B A B ...) when ``--rounds`` > 1:

* ``compare``: ``handsign compare --json`` with the defaults (``core.explain.compare``):
  process start to JSON printed, including the TensorFlow import, loading SIGNS,
  building both nets, per-batch interleaving, validation and gradient norms
  before training and after every epoch.  The target is <= 5 min on 2 cores.
* ``baseline``: the same two nets (``core.model.plain.build_pair``, same seed)
  on the same training images and epochs, trained one after the other with a
  bare ``model.fit`` (batch 32, Adam 1e-3): what the experiment costs beyond the
  training itself.

Run as ``python -m bench.compare [--rounds N] [--epochs E --depth D --images N]``;
writes ``bench/results/compare.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.common import REPO, RESULTS, cpu_model, data_dir, emit, median, run_worker

TARGET_SECONDS = 300


def _baseline_worker(args) -> None:
    t0 = time.perf_counter()
    from core.device import import_backend_quietly

    import_backend_quietly()
    from core.explain.compare import CompareSettings, load_compare_data
    from core.model.plain import build_pair

    s = CompareSettings(epochs=args.epochs, depth=args.depth, train_images=args.images)
    ds = load_compare_data(data_dir(), s)
    x, y = ds.train.x.astype("float32") / 255.0, ds.train.y
    import keras

    out = {}
    for name, model in zip(("residual", "plain"), build_pair(depth=s.depth, seed=s.seed), strict=True):
        model.compile(optimizer=keras.optimizers.Adam(s.lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        hist = model.fit(x, y, batch_size=s.batch_size, epochs=s.epochs, shuffle=True, verbose=0)
        out[name] = {"loss": hist.history["loss"], "accuracy": hist.history["accuracy"]}
    emit({"seconds": time.perf_counter() - t0, **out})


def _compare_run(args) -> dict:
    cmd = [sys.executable, "-m", "core", "compare", "--json", "--data", str(data_dir())]
    if args.epochs is not None:
        cmd += ["--epochs", str(args.epochs)]
    if args.depth is not None:
        cmd += ["--depth", str(args.depth)]
    if args.images is not None:
        cmd += ["--images", str(args.images)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"handsign compare failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    data["process_seconds"] = wall
    return data


def _table(rounds: list[dict], load: list[float]) -> str:
    comp = [r["compare"]["process_seconds"] for r in rounds]
    base = [r["baseline"]["process_seconds"] for r in rounds]
    last = rounds[-1]["compare"]
    s = last["settings"]
    lines = [
        "# bench.compare: the default residual-vs-plain run, end to end",
        "",
        f"{cpu_model()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} before / "
        f"{load[1]:.1f} after; {len(rounds)} round(s). Settings: epochs {s['epochs']}, depth "
        f"{'notebook' if s['depth'] is None else s['depth']}, {s['train_images']} training images, batch "
        f"{s['batch_size']}, BatchNorm {'on' if s['batchnorm'] else 'off'}.",
        "",
        "| run | wall s (median) | ratio to baseline | target |",
        "|---|---|---|---|",
        f"| `handsign compare --json` (both nets, interleaved, val + gradient norms) | {median(comp):.0f} | "
        f"{median(comp) / median(base):.2f}x | <= {TARGET_SECONDS} s: "
        f"{'met' if median(comp) <= TARGET_SECONDS else 'NOT met'} |",
        f"| baseline: bare `fit` of the same two nets, one after the other | {median(base):.0f} | 1 | |",
        "",
        "| epoch | residual loss / acc / val | plain loss / acc / val |",
        "|---|---|---|",
    ]
    r, p = last["residual"], last["plain"]
    for i in range(len(r["loss"])):
        lines.append(f"| {i + 1} | {r['loss'][i]:.2f} / {r['accuracy'][i]:.2f} / {r['val_accuracy'][i]:.2f} | "
                     f"{p['loss'][i]:.2f} / {p['accuracy'][i]:.2f} / {p['val_accuracy'][i]:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=["baseline"])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--depth", type=int)
    ap.add_argument("--images", type=int)
    ap.add_argument("--name", default="compare", help="results file name (default: compare)")
    args = ap.parse_args(argv)
    if args.worker:
        from core.explain.compare import DEFAULT_DEPTH, DEFAULT_EPOCHS, DEFAULT_TRAIN_IMAGES

        args.epochs = DEFAULT_EPOCHS if args.epochs is None else args.epochs
        args.depth = DEFAULT_DEPTH if args.depth is None else args.depth
        args.images = DEFAULT_TRAIN_IMAGES if args.images is None else args.images
        _baseline_worker(args)
        return
    load0 = os.getloadavg()[0]
    rounds = []
    extra = [a for k in ("epochs", "depth", "images") if getattr(args, k) is not None
             for a in (f"--{k}", str(getattr(args, k)))]
    for _ in range(args.rounds):
        rounds.append({"compare": _compare_run(args),
                       "baseline": run_worker("bench.compare", ["--worker", "baseline", *extra], timeout=3600)})
    text = _table(rounds, [load0, os.getloadavg()[0]])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
