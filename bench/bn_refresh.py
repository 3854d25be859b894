"""Precise BatchNorm, paired: the same trained weights tested with the run's moving statistics and recounted.

``python -m bench.bn_refresh --seeds 0,1,2 [--preset quick] [setting=value ...]``
trains the preset on SIGNS once per seed (a fresh process, recount off), tests
the model on SIGNS test, recounts its BatchNorm statistics over the training
images (core.training.bn_refresh, on a copy computing as the run trained:
bfloat16 where the CPU has it, fused BatchNorm) and tests it again.  Both scores come from
the same weights, so the difference is the recount's alone, free of the
seed-to-seed noise of training.  Writes ``bench/results/bn-refresh-PRESET.md``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from bench.common import RESULTS, cpu_model, data_dir, emit, run_worker, seed_sweep_parser, setting_overrides


def _worker(preset: str, seed: int, overrides: dict) -> None:
    import numpy as np

    from core.inference.classifier import Classifier
    from core.training.bn_refresh import refresh_batchnorm
    from core.training.data import load_training_data
    from core.training.fast import fuse_batchnorm, resolve_precision, with_precision
    from core.training.metrics import classification_report
    from core.training.presets import settings_for
    from core.training.session import TrainingSession

    settings = settings_for(preset, seed=seed, **dict(overrides, refresh_batchnorm=False))
    ds = load_training_data(data_dir(), settings)
    session = TrainingSession(ds, settings)
    t0 = time.perf_counter()
    session.run()
    train_s = time.perf_counter() - t0
    names = list(ds.class_names)

    def test() -> dict:
        probs = Classifier(session.model, session._info()).probabilities_in_batches(ds.test.x)
        rep = classification_report(probs, ds.test.y, names)
        return {"accuracy": rep["accuracy"], "loss": round(rep["loss"], 4)}

    before = test()
    # Recount as a run does: on a training copy (bfloat16 where the CPU has it, fused BatchNorm), then copy back.
    fast = with_precision(session.model, resolve_precision(settings.precision, settings.device))
    fuse_batchnorm(fast)
    t0 = time.perf_counter()
    counted = refresh_batchnorm(fast, np.asarray(ds.train.x), seed=seed)
    recount_s = time.perf_counter() - t0
    session.model.set_weights(fast.get_weights())
    emit({"seed": seed, "before": before, "after": test(), "images": counted,
          "recount_seconds": round(recount_s, 2), "train_seconds": round(train_s, 1)})


def _table(preset: str, overrides: dict, rows: list[dict]) -> str:
    lines = [f"# Precise BatchNorm on the `{preset}` preset {overrides or ''}".rstrip(), "",
             f"CPU: {cpu_model()}. Command: `python -m bench.bn_refresh --preset {preset} "
             f"--seeds {','.join(str(r['seed']) for r in rows)}`", "",
             "| seed | SIGNS test, moving statistics | recounted | test loss, moving | recounted | recount (s) "
             "| training (s) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        b, a = r["before"], r["after"]
        lines.append(f"| {r['seed']} | {b['accuracy']:.3f} | {a['accuracy']:.3f} | {b['loss']:.4f} | {a['loss']:.4f} "
                     f"| {r['recount_seconds']:.1f} | {r['train_seconds']:.1f} |")
    mean = {k: {m: statistics.mean(r[k][m] for r in rows) for m in ("accuracy", "loss")} for k in ("before", "after")}
    lines.append(f"| mean | {mean['before']['accuracy']:.3f} | {mean['after']['accuracy']:.3f} "
                 f"| {mean['before']['loss']:.4f} | {mean['after']['loss']:.4f} "
                 f"| {statistics.mean(r['recount_seconds'] for r in rows):.1f} "
                 f"| {statistics.mean(r['train_seconds'] for r in rows):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = seed_sweep_parser(__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick")
    args = p.parse_args(argv)
    overrides = setting_overrides(args.overrides)
    if args.worker_seed is not None:
        _worker(args.preset, args.worker_seed, overrides)
        return 0
    print(f"{args.preset} preset with {overrides or 'no changes'} on {cpu_model()}", flush=True)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        row = run_worker("bench.bn_refresh", ["--preset", args.preset, "--worker-seed", str(seed), *args.overrides],
                         timeout=3600)
        rows.append(row)
        print(f"seed {seed}: SIGNS test {row['before']['accuracy']:.3f} -> {row['after']['accuracy']:.3f}, "
              f"loss {row['before']['loss']:.4f} -> {row['after']['loss']:.4f}, recount {row['recount_seconds']} s",
              flush=True)
    text = _table(args.preset, overrides, rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"bn-refresh-{args.preset}.md").write_text(text)
    (RESULTS / f"bn-refresh-{args.preset}.json").write_text(json.dumps({"overrides": overrides, "rows": rows},
                                                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
