"""Accuracy, loss, per-class accuracy and confusion matrix from probabilities.

One report feeds ``handsign evaluate`` (text or ``--json``), the training
session's validation and test scores, and the run card.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_report(probs: np.ndarray, labels: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    """The public ``evaluate --json`` object (without file lists).

    ``probs`` is ``(N, classes)``; ``labels`` holds the true class index of each row.
    The confusion matrix has one row per true class and one column per predicted class.
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
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    eps = 1e-7
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(n), labels], eps, 1.0)))) if n else float("nan")
    per_class = {}
    for i, name in enumerate(class_names):
        total = int(cm[i].sum())
        per_class[name] = {"n": total, "correct": int(cm[i, i]), "accuracy": float(cm[i, i] / total) if total else None}
    return {
        "accuracy": float((pred == labels).mean()) if n else float("nan"),
        "loss": loss,
        "n": n,
        "class_names": list(class_names),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as the text ``handsign evaluate`` prints."""
    names = report["class_names"]
    width = max(6, *(len(c) for c in names))
    lines = [f"accuracy {report['accuracy']:.4f}  loss {report['loss']:.4f}  n {report['n']}", "", "per-class accuracy:"]
    for name in names:
        pc = report["per_class"][name]
        acc = "  n/a " if pc["accuracy"] is None else f"{pc['accuracy']:.4f}"
        lines.append(f"  {name.ljust(width)} {acc}  ({pc['correct']}/{pc['n']})")
    col = max(5, *(len(c) for c in names))  # a column as wide as its name, so long names keep the counts aligned
    lines += ["", "confusion matrix (rows: true, columns: predicted):", " " * (width + 2) + " ".join(c.rjust(col) for c in names)]
    for name, row in zip(names, report["confusion_matrix"], strict=True):
        lines.append(f"  {name.ljust(width)}" + " ".join(str(v).rjust(col) for v in row))
    return "\n".join(lines)
