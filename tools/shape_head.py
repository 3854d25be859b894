"""The hand-shape head (core.hands.shape) for the recipe: learn one for a trained model, and read splits with it.

    python -m tools.shape_head attach MODEL --data D [--seed 0]

learns the head from the landmarks of the recipe's training photos (SIGNS +
Sign Language Digits, person split, hand-framed: ``tools.recipes.load_mix``;
placed by the full and the lite landmark model,
``core.training.shape_fit.training_landmarks``) and
writes it into MODEL's archive (the weights are copied byte for byte); the run
card inside the file and the one beside it (``MODEL.json``, with the file's new
hash) gain the head's card (``shape_head``).
``make model`` needs no extra step: the ship preset learns a head at every stage.

:func:`split_probabilities` is how ``tools.recipes score`` reads a split with a
model that has a head: the hand finder places the landmarks on each (already
hand-framed) image once per split, and where it finds a hand the two opinions
are combined, as ``core.hands.reading.read_frame`` does for a found hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

_MARKS: dict[int, np.ndarray] = {}  # landmarks per split object, found once for every model scored


def split_landmarks(split) -> np.ndarray:
    from core.training.shape_fit import landmarks_of

    key = id(split)
    if key not in _MARKS:
        _MARKS[key] = landmarks_of(split.x)
    return _MARKS[key]


def split_probabilities(clf, split) -> np.ndarray:
    """The classifier's probabilities for every image of ``split``, with its hand-shape head where it has one."""
    from core.hands.shape import combine

    probs = clf.probabilities_in_batches(split.x)
    if clf.shape_head is None or not len(split):
        return probs
    marks = split_landmarks(split)
    found = ~np.isnan(marks).any(axis=(1, 2))
    if found.any():
        probs[found] = combine(probs[found], clf.shape_head.probabilities(marks[found]))
    return probs


def attach(model: Path, data: Path, seed: int = 0) -> dict:
    from core.hands.framing import HandFraming
    from core.hands.shape import ENTRY
    from core.model.files import read_info, replace_entries, update_run_card
    from core.training.shape_fit import fit_shape_head, training_landmarks
    from tools.recipes import load_mix, write_card_with_hash

    info = read_info(model)
    ds, _ = load_mix(data, seed=seed, framing=HandFraming())
    head = fit_shape_head(*training_landmarks(ds.train.x, ds.train.y), list(ds.class_names), seed=seed)
    if head is None:
        raise SystemExit("no head: too few hands found in some class")
    if info is None or info.class_names != head.class_names:
        raise SystemExit(f"{model}: its classes differ from the recipe's {head.class_names}")
    recipe = f"python -m tools.shape_head attach {model} --data D --seed {seed}"
    card = dict(info.run_card, shape_head=dict(head.card, recipe=recipe))
    update_run_card(model, card)  # the card inside the file says how its head was made
    replace_entries(model, {ENTRY: head.to_bytes()})
    if model.with_suffix(".json").exists():  # and so does the card beside it, with the file's new hash
        write_card_with_hash(model, card)
    return head.card


def main(argv=None) -> int:
    from core.device import import_backend_quietly

    import_backend_quietly()
    p = argparse.ArgumentParser(prog="python -m tools.shape_head")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("attach", help="learn a hand-shape head for MODEL and write it into the file")
    a.add_argument("model", type=Path)
    a.add_argument("--data", type=Path, required=True, help="folder holding signs/ and sign-language-digits/")
    a.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(json.dumps(attach(args.model, args.data, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
