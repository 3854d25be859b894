"""Accuracy, loss, per-class accuracy and confusion matrix from probabilities.

One report feeds ``handsign evaluate`` (text or ``--json``), the training
session's validation and test scores, and the run card.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_report(probs: np.ndarray, labels: np.ndarray, class_names: list[str], *,
                          no_hand: np.ndarray | None = None) -> dict[str, Any]:
    """The public ``evaluate --json`` object (without file lists).

    ``probs`` is ``(N, classes)``; ``labels`` holds the true class index of each row.
    The confusion matrix has one row per true class and one column per predicted class.
    ``no_hand`` (bool ``(N,)``, with hand finding): rows where no hand was found.  They
    count as wrong in the accuracies, sit in no column of the confusion matrix and
    outside the loss (the model gave no answer), and are counted in ``no_hand``
    (overall and per class).  Without it the report has no ``no_hand`` keys.
    """
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n = int(labels.shape[0])
    k = len(class_names)
    if n == 0:
        probs = probs.reshape(0, k)
    if probs.shape != (n, k):
        raise ValueError(f"probabilities of shape {probs.shape} do not match {n} labels and {k} classes")
    if n and (labels.min() < 0 or labels.max() >= k):
        # A negative label would otherwise be counted silently in the last class.
        raise ValueError(f"labels must lie in 0..{k - 1}, got {labels.min()}..{labels.max()}")
    pred = probs.argmax(axis=1) if n else np.zeros(0, np.int64)
    answered = np.ones(n, bool) if no_hand is None else ~np.asarray(no_hand, bool).reshape(n)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (labels[answered], pred[answered]), 1)
    eps = 1e-7
    rows = np.flatnonzero(answered)
    loss = float(-np.mean(np.log(np.clip(probs[rows, labels[rows]], eps, 1.0)))) if len(rows) else float("nan")
    totals = np.bincount(labels, minlength=k)
    per_class = {}
    for i, name in enumerate(class_names):
        total = int(totals[i])
        per_class[name] = {"n": total, "correct": int(cm[i, i]), "accuracy": float(cm[i, i] / total) if total else None}
        if no_hand is not None:
            per_class[name]["no_hand"] = int(total - cm[i].sum())
    report = {
        "accuracy": float(((pred == labels) & answered).mean()) if n else float("nan"),
        "loss": loss,
        "n": n,
        "class_names": list(class_names),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
    }
    if no_hand is not None:
        report["no_hand"] = int(n - len(rows))
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as the text ``handsign evaluate`` prints."""
    names = report["class_names"]
    width = max(6, *(len(c) for c in names))
    lines = [f"accuracy {report['accuracy']:.4f}  loss {report['loss']:.4f}  n {report['n']}"]
    if "no_hand" in report:
        lines.append(f"no hand found in {report['no_hand']} of {report['n']} images (counted wrong; "
                     "not in the loss or the confusion matrix)")
    lines += ["", "per-class accuracy:"]
    for name in names:
        pc = report["per_class"][name]
        acc = "  n/a " if pc["accuracy"] is None else f"{pc['accuracy']:.4f}"
        missing = f", {pc['no_hand']} no hand" if pc.get("no_hand") else ""
        lines.append(f"  {name.ljust(width)} {acc}  ({pc['correct']}/{pc['n']}{missing})")
    col = max(5, *(len(c) for c in names))  # a column as wide as its name, so long names keep the counts aligned
    lines += ["", "confusion matrix (rows: true, columns: predicted):", " " * (width + 2) + " ".join(c.rjust(col) for c in names)]
    for name, row in zip(names, report["confusion_matrix"], strict=True):
        lines.append(f"  {name.ljust(width)}" + " ".join(str(v).rjust(col) for v in row))
    return "\n".join(lines)
