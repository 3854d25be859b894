"""``handsign compare``: the residual-vs-plain experiment from the command line.

Trains the notebook's ResNet-50 and its plain twin side by side
(:mod:`core.explain.compare`) in this process, writes one line per epoch to
stderr, and prints the result: a table, or with ``--json`` one object
``{layers, residual: {loss, accuracy, val_accuracy, val_loss, grad_norms}, plain: {...}, settings, seconds}``
where ``grad_norms`` has one row per layer list before training and after each epoch.
"""

from __future__ import annotations

import json
import sys

from core.errors import HandSignError

NAME = "compare"


def add_parser(sub) -> None:
    from core.explain.compare import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_TRAIN_IMAGES

    p = sub.add_parser(NAME, help="train the ResNet-50 and its plain twin (no shortcuts) side by side")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs (default: {DEFAULT_EPOCHS})")
    p.add_argument("--depth", type=int, help="identity blocks per stage, 0-5 (default: the notebook's 2, 3, 5, 2)")
    p.add_argument("--no-batchnorm", dest="batchnorm", action="store_false", help="both nets without BatchNorm")
    p.add_argument("--data", help="dataset: a folder or .h5 file, or a name in the data folder (default: signs)")
    p.add_argument("--images", type=int, default=DEFAULT_TRAIN_IMAGES,
                   help=f"training images, class-balanced; 0: all (default: {DEFAULT_TRAIN_IMAGES})")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")


class _Progress:
    """Listener that writes one line per epoch to stderr."""

    def on_start(self, start) -> None:
        print(f"compare: {start.train} training and {start.val} validation images, {len(start.layers)} conv layers, "
              f"{start.steps_per_epoch} batches per epoch", file=sys.stderr)

    def on_batch(self, progress) -> None:
        pass

    def on_epoch(self, ep) -> None:
        parts = []
        for name, net in ep.nets.items():
            train = "" if net.loss is None else f"loss {net.loss:.3f} acc {net.accuracy:.3f} "
            parts.append(f"{name}: {train}val {net.val_accuracy:.3f}")
        print(f"epoch {ep.epoch} ({ep.seconds:.0f} s): " + " | ".join(parts), file=sys.stderr, flush=True)

    def on_log(self, message: str) -> None:
        print(message, file=sys.stderr)


def format_table(result) -> str:
    rows = ["epoch  residual loss/acc/val   plain loss/acc/val"]
    for i in range(len(result.residual.loss)):
        r, p = result.residual, result.plain
        rows.append(f"{i + 1:>5}  {r.loss[i]:.3f} / {r.accuracy[i]:.3f} / {r.val_accuracy[i]:.3f}   "
                    f"{p.loss[i]:.3f} / {p.accuracy[i]:.3f} / {p.val_accuracy[i]:.3f}")
    for name, h in (("residual", result.residual), ("plain", result.plain)):
        first, last = h.grad_norms[-1][0], h.grad_norms[-1][-1]
        rows.append(f"{name}: gradient norm, first conv {first:.3g}, last conv {last:.3g} (after the last epoch)")
    rows.append(f"{result.seconds:.0f} s")
    return "\n".join(rows)


def run(args) -> int:
    from core.explain.compare import CompareRun, CompareSettings, load_compare_data
    from core.paths import resolve_data

    settings = CompareSettings(epochs=args.epochs, depth=args.depth, batchnorm=args.batchnorm,
                               train_images=args.images, batch_size=args.batch_size, lr=args.lr, seed=args.seed).check()
    src = resolve_data(args.data)
    if not src.exists():
        raise HandSignError(f"no dataset at {src}: pass --data with a SIGNS folder or .h5 file")
    result = CompareRun(load_compare_data(src, settings), settings, _Progress()).run()
    print(json.dumps(result.to_json()) if args.json else format_table(result))
    return 0
