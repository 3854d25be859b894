"""Shorter quick-preset recipes: SIGNS test accuracy and epoch times per seed, nothing saved.

``python -m bench.quick_recipes --seeds 0,1,2 epochs=7 [learning_rate=3e-3 label_smoothing=0.1 ...]``
trains the ``quick`` preset with the given setting overrides through
``TrainingSession`` (one fresh process per seed, hand squares from the cache
like a second run in a classroom) and prints one line per seed plus the mean.
This is how docs/model.md ("Quick preset", "Second pass") compared 12, 10, 7
and 6 epochs; ``bench.quick`` then times a chosen preset end to end.
"""

from __future__ import annotations

import json
import statistics
import sys

from bench.common import cpu_model, data_dir, emit, run_worker, seed_sweep_parser, setting_overrides


def _worker(seed: int, overrides: dict) -> None:
    from core.training.data import load_training_data
    from core.training.presets import settings_for
    from core.training.session import TrainingSession

    settings = settings_for("quick", seed=seed, **overrides)
    card = TrainingSession(load_training_data(data_dir(), settings), settings).run().run_card
    emit({"seed": seed, "test_accuracy": card["test"]["accuracy"],
          "epoch_seconds": [round(e["seconds"], 1) for e in card["epochs"]]})


def main(argv: list[str] | None = None) -> int:
    p = seed_sweep_parser(__doc__.splitlines()[0])
    args = p.parse_args(argv)
    overrides = setting_overrides(args.overrides)
    if args.worker_seed is not None:
        _worker(args.worker_seed, overrides)
        return 0
    print(f"quick preset with {overrides or 'no changes'} on {cpu_model()}", flush=True)
    scores = []
    for seed in (int(s) for s in args.seeds.split(",")):
        row = run_worker("bench.quick_recipes", ["--worker-seed", str(seed), *args.overrides], timeout=1800)
        scores.append(row["test_accuracy"])
        print(f"seed {seed}: SIGNS test {row['test_accuracy']:.3f}, epochs (s) {row['epoch_seconds']}", flush=True)
    print(json.dumps({"overrides": overrides, "mean_test_accuracy": round(statistics.mean(scores), 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
