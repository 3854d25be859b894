"""What the app's views show about a model: its summary table and block outline, as plain data.

:func:`describe_model` runs on the thread that owns the Keras model; the
:class:`ModelReport` it returns holds no Keras objects, so it can cross threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.model.architecture import Block, outline
from core.model.summary import summarize


@dataclass
class ModelReport:
    """What the views need to know about a model (plain data, safe to pass between threads)."""

    path: Path | None
    class_names: list[str]
    input_size: tuple[int, int]
    summary: dict[str, Any]
    blocks: list[Block]
    run_card: dict[str, Any] = field(default_factory=dict)
    architecture: str = ""
    trained: bool = True  # False: the bare architecture, shown when no model file is loaded
    engine: str = ""  # the per-frame inference engine (core.inference.classifier.Classifier.engine)

    @property
    def title(self) -> str:
        return self.path.name if self.path else "ResNet-50 (untrained, architecture only)"


def describe_model(model, path: Path | None, info, *, trained: bool = True) -> ModelReport:
    """Summary table and block outline of ``model`` (``info``: its ``core.model.files.ModelInfo``)."""
    summary = summarize(model)
    names = [layer["name"] for layer in summary["layers"]]
    if any(n.startswith("res2a_branch") for n in names):
        blocks = outline(model)
    else:  # not the notebook's ResNet-50: one box per layer
        blocks = [Block(x["name"], "layer", x["name"], x["type"], x["output_shape"], [x["name"]]) for x in summary["layers"]]
    return ModelReport(
        path=path,
        class_names=list(info.class_names),
        input_size=tuple(info.input_size),
        summary=summary,
        blocks=blocks,
        run_card=dict(info.run_card or {}),
        architecture=info.architecture or model.name,
        trained=trained,
    )
