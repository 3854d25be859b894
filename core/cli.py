"""The ``handsign`` command line: train, evaluate, predict, summary, plot, export (and the
commands in :mod:`core.commands`: explain, compare).

Every failure exits non-zero with one line on stderr that says what was wrong
and what to do (``handsign: error: ...``).  ``--json`` output shapes are a
public contract (see README).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from core.errors import HandSignError

log = logging.getLogger("handsign")

EXIT_USAGE = 2
EXIT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other failure
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _model_arg(p, required=False):
    p.add_argument("--model", "-m", help="a .keras model file (default: the model the app ships)", required=required)


def _find_hand_arg(p):
    p.add_argument("--no-find-hand", dest="find_hand", action="store_false",
                   help="classify the centre square of each image instead of the square around the hand found in it")


def build_parser() -> argparse.ArgumentParser:
    from core.data.augment import LEVELS
    from core.export.formats import FORMATS
    from core.training.presets import PRESETS

    parser = _Parser(prog="handsign", description="Hand Sign Studio: the deeplearning.ai ResNet-50 for hand signs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__import__('core').__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train the ResNet-50 on a dataset")
    t.add_argument("--data", help="dataset: a folder or .h5 file, or a name in the data folder (default: signs)")
    t.add_argument("--preset", choices=sorted(PRESETS), default="standard", help="starting settings (default: standard)")
    t.add_argument("--epochs", type=int, help="default: the preset's (a fine-tune: fewer when there are many samples)")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, help="learning rate")
    t.add_argument("--schedule", choices=["constant", "cosine"])
    t.add_argument("--warmup-epochs", type=float,
                   help="cosine only: rise from a tenth of the learning rate over this many epochs (default: the preset's)")
    t.add_argument("--label-smoothing", type=float,
                   help="train each label as 1 minus this on its class, the rest shared out (default: the preset's)")
    t.add_argument("--refresh-batchnorm", dest="refresh_batchnorm", action="store_true", default=None,
                   help="after the last epoch, recount the BatchNorm statistics over the training images "
                        "(default: the preset's)")
    t.add_argument("--no-refresh-batchnorm", dest="refresh_batchnorm", action="store_false")
    t.add_argument("--augment", dest="augment", action="store_true", default=None)
    t.add_argument("--no-augment", dest="augment", action="store_false")
    t.add_argument("--augment-level", choices=list(LEVELS),
                   help="how much augmentation changes each image (default: the preset's)")
    t.add_argument("--val-split", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="cpu or gpu:N (default: cpu)")
    t.add_argument("--size", type=int, help="model input side in pixels (default: 64, or the --init-model's)")
    t.add_argument("--init-model", help="fine-tune from this .keras model instead of training from scratch "
                   "(--preset finetune: the shipped model unless given)")
    t.add_argument("--out", "-o", default="model.keras", help="where to write the model (default: model.keras)")
    t.add_argument("--stream", dest="stream", action="store_const", const="on",
                   help="read the images from disk while training (tf.data) instead of loading them all first "
                        "(default: only when they would not fit the memory budget)")
    t.add_argument("--no-stream", dest="stream", action="store_const", const="off", help="always load them first")
    t.add_argument("--distribute", action="store_true", default=None,
                   help="data-parallel over all local GPUs, or across machines with TF_CONFIG (docs/distributed.md)")

    e = sub.add_parser("evaluate", help="accuracy, loss, per-class accuracy and confusion matrix")
    _model_arg(e)
    e.add_argument("--data", help="dataset (default: signs in the data folder)")
    e.add_argument("--split", choices=["train", "val", "test", "all"], default="test")
    e.add_argument("--errors-png", help="save a picture of the misclassified images here")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    _find_hand_arg(e)

    pr = sub.add_parser("predict", help="classify image files")
    _model_arg(pr)
    pr.add_argument("images", nargs="+", metavar="IMAGE")
    pr.add_argument("--json", action="store_true", help="print a JSON list")
    _find_hand_arg(pr)

    s = sub.add_parser("summary", help="the model.summary() layer table")
    _model_arg(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")

    pl = sub.add_parser("plot", help="draw the architecture (PNG or SVG, no Graphviz needed)")
    _model_arg(pl)
    pl.add_argument("--out", "-o", required=True, help="output .png or .svg")

    x = sub.add_parser("export", help="the model as ONNX, TFLite or SavedModel, with labels, webcam.py and parity")
    _model_arg(x)
    x.add_argument("--format", "-f", required=True, choices=list(FORMATS))
    x.add_argument("--out", "-o", required=True, help="the folder to export into (created if needed)")
    x.add_argument("--data", help="dataset for the parity check and int8 calibration (default: signs in the data folder)")
    for module in _command_modules():
        module.add_parser(sub)
    return parser


def _command_modules():
    """The subcommands kept in :mod:`core.commands`, one module each."""
    import importlib

    from core.commands import MODULES

    return [importlib.import_module(name) for name in MODULES]


def _resolve_model(arg: str | None) -> Path:
    from core.paths import shipped_model_path

    if arg:
        return Path(arg).expanduser()
    path = shipped_model_path()
    if not path.exists():
        raise HandSignError(f"no --model given and the shipped model {path} is missing; pass --model FILE")
    return path


def cmd_train(args) -> int:
    from core.paths import resolve_data
    from core.training.data import fine_tune_shape
    from core.training.presets import settings_for
    from core.training.session import TrainingSession
    from core.training.stream_data import load_for_training

    overrides = {k: v for k, v in {
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.lr, "schedule": args.schedule,
        "warmup_epochs": args.warmup_epochs, "label_smoothing": args.label_smoothing, "augment": args.augment,
        "refresh_batchnorm": args.refresh_batchnorm,
        "augment_level": args.augment_level, "val_split": args.val_split, "seed": args.seed, "device": args.device,
        "stream": args.stream, "distribute": args.distribute,
    }.items() if v is not None}
    settings = settings_for(args.preset, **overrides)
    src = resolve_data(args.data)
    if args.preset == "finetune" and not args.init_model:  # a fine-tune starts from a trained model: the app's
        from core.paths import shipped_model_path

        args.init_model = str(shipped_model_path())
        print(f"fine-tuning the shipped model ({args.init_model}); --init-model picks another", flush=True)
    size, classes = fine_tune_shape(args.init_model, args.size)
    ds = load_for_training(src, settings, image_size=size, classes=classes)  # in memory, or streamed (--stream)
    print(ds.describe(), flush=True)
    for _path, reason in ds.skipped[:10]:
        print(f"  skipped: {reason}", file=sys.stderr)
    out = Path(args.out).expanduser()
    if out.suffix != ".keras":
        raise HandSignError(f"--out must end in .keras, got {out}")
    _check_writable(out.parent)

    class Printer:
        def on_log(self, message):
            print(message, flush=True)

    session = TrainingSession(ds, settings, Printer(), out=out, initial_model=args.init_model, verbose=1)
    try:
        result = session.run()
    except KeyboardInterrupt:
        raise HandSignError("interrupted; the best checkpoint so far is kept next to --out") from None
    print(f"run card: {session.run_card_path}")
    return 0 if result.status == "completed" else EXIT_ERROR


def _check_writable(folder: Path) -> None:
    """Fail before a long training, not after it, when the model cannot be saved there."""
    from core.paths import write_problem

    reason = write_problem(folder)
    if reason is not None:
        raise HandSignError(f"cannot write the model to {folder}: {reason}; choose another --out")


def _evaluation_split(args, clf):
    """The dataset and the split ``evaluate`` scores, read at the model's input size."""
    from core.data.datasets import load_dataset
    from core.data.formats import detect_kind
    from core.data.splits import Split
    from core.paths import resolve_data

    src = resolve_data(args.data)
    kind = detect_kind(src)
    test_split = 1.0 if (kind == "folders" and args.split in ("test", "all")) else 0.15
    ds = load_dataset(src, clf.input_size, val_split=0.0 if test_split == 1.0 else 0.15, test_split=test_split,
                      classes=clf.class_names if kind in ("folders", "split-folders") else None)
    if kind not in ("folders", "split-folders") and list(ds.class_names) != list(clf.class_names):
        if len(ds.class_names) > len(clf.class_names):
            raise HandSignError(f"the dataset's classes {ds.class_names} do not match the model's {clf.class_names}")
    split = Split.concat([ds.train, ds.val, ds.test]) if args.split == "all" else ds.split(args.split)
    if len(split) == 0:
        raise HandSignError(f"{src}: the {args.split!r} split has no images; try --split all")
    return src, ds, split


def _progress(label: str):
    """A progress counter on stderr when it is a terminal (nothing in pipes, logs and tests)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{label} {done}/{total}", end=end, file=sys.stderr, flush=done == total or done % 20 == 0)
    return show


def _score(args, clf, ds, split):
    """Probabilities, predicted class (-1: no hand), what the model saw per image, and the readings (or None)."""
    if not args.find_hand:  # the centre square of each model-sized image, in batches
        probs = clf.probabilities_in_batches(split.x)
        return probs, probs.argmax(axis=1), split.x, None
    from core.hands.finder import HandFinder
    from core.hands.reading import read_split

    readings = read_split(clf, split, HandFinder(), from_files=ds.kind != "hdf5" and bool(split.files),
                          progress=_progress("finding hands"))
    return readings.probabilities, readings.predicted, readings.images, readings


def _misclassified_rows(split, wrong, probs, pred, readings) -> list[dict]:
    rows = []
    for i, true, predicted in zip(wrong.indices, wrong.true, wrong.predicted, strict=True):
        hand = bool(readings is None or pred[i] >= 0)
        row = {"file": split.files[i] if split.files else str(i), "true": true,
               "predicted": predicted if hand else None,
               "confidence": round(float(probs[i, pred[i]]), 6) if hand else None}
        if readings is not None:
            region = readings.regions[i]
            row.update(hand=hand, region=None if region is None else [region.x, region.y, region.w, region.h])
        rows.append(row)
    return rows


def cmd_evaluate(args) -> int:
    from core.inference.classifier import Classifier
    from core.training.metrics import classification_report, format_report
    from core.training.mistakes import misclassified, save_error_gallery

    clf = Classifier.load(_resolve_model(args.model))
    src, ds, split = _evaluation_split(args, clf)
    probs, pred, seen, readings = _score(args, clf, ds, split)
    report = classification_report(probs, split.y, clf.class_names,
                                   no_hand=None if readings is None else readings.no_hand)
    report["model"] = str(clf.path)
    report["data"] = str(src)
    report["split"] = args.split
    report["ignored_classes"] = ds.ignored_classes
    report["skipped_files"] = [p for p, _ in ds.skipped]
    wrong = misclassified(seen, split.y, pred, clf.class_names)
    report["misclassified"] = _misclassified_rows(split, wrong, probs, pred, readings)
    if args.errors_png:
        save_error_gallery(wrong.images, wrong.true, wrong.predicted, args.errors_png)
    if args.json:
        print(json.dumps(report))
    else:
        if ds.ignored_classes:
            print(f"ignored folders (not classes of the model): {', '.join(ds.ignored_classes)}")
        finding = "hands found and cropped" if readings is not None else "centre squares, no hand finding"
        print(f"{clf.path.name} on {src} ({args.split}; {finding})")
        print(format_report(report))
        if args.errors_png:
            print(f"misclassified images: {args.errors_png}")
    return 0


def _predict_line(name: str, row: dict) -> str:
    if row.get("hand") is False:
        return f"{name}: no hand"
    probs = "  ".join(f"{c}:{v:.3f}" for c, v in row["probabilities"].items())
    line = f"{name}: {row['top_class']} ({row['confidence']:.1%})   {probs}"
    if row.get("hand"):
        x, y, w, h = row["region"]
        line += f"   hand at {x},{y} {w}x{h}"
    return line


def cmd_predict(args) -> int:
    from core.errors import DataError
    from core.hands.reading import read_frame
    from core.images import read_image
    from core.inference.classifier import open_classifier

    clf = open_classifier(_resolve_model(args.model))  # no TensorFlow import when the conversion is cached
    finder = None
    if args.find_hand:
        from core.hands.finder import HandFinder  # TensorFlow-free too: LiteRT unless TensorFlow is loaded

        finder = HandFinder()
    results, failures = [], 0
    for name in args.images:
        try:
            reading = read_frame(clf, read_image(name), finder=finder, still=True)
        except DataError as exc:
            failures += 1
            print(f"handsign: error: {exc}", file=sys.stderr)
            if args.json:
                results.append({"file": name, "error": str(exc)})
            continue
        results.append({"file": name, **reading.as_dict()})
        if not args.json:
            print(_predict_line(name, results[-1]))
    if args.json:
        print(json.dumps(results))
    return EXIT_ERROR if failures else 0


def _summary_model(arg):
    if arg:
        from core.model.files import load_model

        return load_model(Path(arg).expanduser())[0]
    from core.model.resnet import ResNet50

    return ResNet50()


def cmd_summary(args) -> int:
    from core.model.summary import format_table, summarize

    data = summarize(_summary_model(args.model))
    print(json.dumps(data) if args.json else format_table(data))
    return 0


def cmd_plot(args) -> int:
    from core.model.architecture import render

    if Path(args.out).suffix.lower() not in (".png", ".svg"):
        raise HandSignError(f"{args.out}: plot writes .png or .svg files")
    path = render(_summary_model(args.model), args.out)
    print(f"wrote {path}")
    return 0


def cmd_export(args) -> int:
    from core.export.exporter import export_model
    from core.export.formats import check_dependencies, get_format
    from core.export.parity import format_parity

    check_dependencies(get_format(args.format))  # before loading anything: one line on how to install them
    result = export_model(_resolve_model(args.model), args.format, args.out, data=args.data,
                          progress=lambda line: print(line, flush=True))
    print(f"exported {result.format.title} to {result.folder}: {result.model_path.name}, labels.json, README.md, "
          "webcam.py, parity.json")
    print(f"parity: {format_parity(result.parity)}")
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "summary": cmd_summary, "plot": cmd_plot,
            "export": cmd_export}


def main(argv: list[str] | None = None) -> int:
    from core.device import quiet_tensorflow

    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from core.device import import_backend_quietly

        if args.command != "predict":  # predict imports the backend only if it needs it (open_classifier)
            import_backend_quietly()
        run = COMMANDS.get(args.command) or {m.NAME: m.run for m in _command_modules()}[args.command]
        return run(args)
    except HandSignError as exc:
        print(f"handsign: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("handsign: error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("handsign: error: out of memory; try a smaller --batch-size or fewer images", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"handsign: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # last resort: still one line, with a pointer to --verbose
        if os.environ.get("HANDSIGN_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"handsign: error: unexpected {type(exc).__name__}: {first[:300]} (set HANDSIGN_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
