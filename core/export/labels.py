"""``labels.json``: the stable contract an exported model is used by.

``{"class_names": [...], "input": {"size": [h, w], "channel_order": "RGB", "scale": s, "offset": o}}``
where the model's input is ``uint8_rgb * scale + offset`` (float32, NHWC).  The
scale and offset come from the preprocessing scheme recorded in the model file.
"""

from __future__ import annotations

from core.errors import ModelFileError
from core.images import PREPROCESSING
from core.model.files import ModelInfo

# preprocessing scheme (core.images.PREPROCESSING, as recorded in model files) -> (scale, offset)
SCALE_OFFSET = {PREPROCESSING: (1.0 / 255.0, 0.0)}


def input_scale_offset(preprocessing: str) -> tuple[float, float]:
    """The ``(scale, offset)`` that turn uint8 RGB pixels into the model's input."""
    try:
        return SCALE_OFFSET[preprocessing]
    except KeyError:
        raise ModelFileError(f"cannot export a model with preprocessing {preprocessing!r}; known: "
                             f"{', '.join(SCALE_OFFSET)}") from None


def labels_contract(info: ModelInfo) -> dict:
    """What ``labels.json`` holds for a model with this ``info``."""
    scale, offset = input_scale_offset(info.preprocessing)
    return {
        "class_names": list(info.class_names),
        "input": {"size": [int(info.input_size[0]), int(info.input_size[1])], "channel_order": "RGB",
                  "scale": scale, "offset": offset},
    }
