"""The ``model.summary()`` table as data, shared by ``handsign summary`` and the Model tab.

``summarize(model)`` returns the public JSON contract:
``{"layers": [{"name", "type", "output_shape", "params", "connected_to"}...],
"total_params", "trainable_params", "non_trainable_params"}``.
"""

from __future__ import annotations

from typing import Any


def _count(weights) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ")"


def inbound_layers(layer) -> list[str]:
    names: list[str] = []
    for node in getattr(layer, "_inbound_nodes", [])[:1]:
        for t in node.input_tensors:
            names.append(t._keras_history.operation.name)
    return names


def summarize(model) -> dict[str, Any]:
    layers = []
    for layer in model.layers:
        out = layer.output
        shape = out.shape if not isinstance(out, (list, tuple)) else out[0].shape
        layers.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _shape_text(shape),
                "params": int(layer.count_params()) if layer.built else 0,
                "connected_to": inbound_layers(layer),
            }
        )
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    return {
        "model": model.name,
        "layers": layers,
        "total_params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
    }


def format_table(summary: dict[str, Any]) -> str:
    """A text table in the notebook's style."""
    headers = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    rows = [
        (f"{row['name']} ({row['type']})", row["output_shape"], f"{row['params']:,}", ", ".join(row["connected_to"]))
        for row in summary["layers"]
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    sep = "=" * len(line)
    out = [f'Model: "{summary.get("model", "")}"', sep, line, sep]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    out += [
        sep,
        f"Total params: {summary['total_params']:,}",
        f"Trainable params: {summary['trainable_params']:,}",
        f"Non-trainable params: {summary['non_trainable_params']:,}",
    ]
    return "\n".join(out)
