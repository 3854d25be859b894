"""A block-level outline of ResNet-50 and a picture of it, drawn without Graphviz.

``outline(model)`` groups the 177 layers into the notebook's picture: the stem,
stages 2-5 as one convolutional block plus identity blocks, and the head.  Each
block knows its layer names, so a view can highlight the block's rows in the
summary table.  ``render_png`` / ``render_svg`` draw that outline (Pillow for
PNG, plain text for SVG), for ``handsign plot`` and the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from core.model.resnet import STAGES

_BLOCK_NAME = re.compile(r"^(?:res|bn)(\d)([a-f])_branch")


@dataclass
class Block:
    key: str  # "stem", "2a", "2b", ..., "head"
    kind: str  # "stem", "conv", "identity", "head"
    title: str
    detail: str
    output_shape: str = ""
    layers: list[str] = field(default_factory=list)


def outline(model=None) -> list[Block]:
    """Blocks in order.  With a model, each block lists its layer names and output shape."""
    blocks: list[Block] = [Block("stem", "stem", "Stem", "zero-pad 3, conv 7x7/2 (64), batch norm, ReLU, max pool 3x3/2")]
    for stage, (f1, f2, f3), n_id, stride in STAGES:
        blocks.append(
            Block(f"{stage}a", "conv", f"Stage {stage} · conv block",
                  f"1x1/{stride} {f1} · 3x3 {f2} · 1x1 {f3}; shortcut 1x1/{stride} {f3}")
        )
        for letter in "bcdef"[:n_id]:
            blocks.append(Block(f"{stage}{letter}", "identity", f"Stage {stage} · identity block {letter}",
                                f"1x1 {f1} · 3x3 {f2} · 1x1 {f3}; shortcut = input"))
    blocks.append(Block("head", "head", "Head", "average pool 2x2, flatten, dense + softmax"))
    if model is None:
        return blocks
    by_key = {b.key: b for b in blocks}
    current = by_key["stem"]
    for layer in model.layers:
        m = _BLOCK_NAME.match(layer.name)
        if m:
            current = by_key.get(m.group(1) + m.group(2), current)
        elif layer.name == "avg_pool":
            current = by_key["head"]
        current.layers.append(layer.name)
        shape = layer.output.shape
        current.output_shape = "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
    classes = model.output_shape[-1]
    by_key["head"].detail = f"average pool 2x2, flatten, dense {classes} + softmax"
    return blocks


_COLORS = {"stem": "#d9e7f5", "conv": "#f7d8b5", "identity": "#cde8c9", "head": "#e3d5ee"}


def _layout(blocks: list[Block]):
    width, box_h, gap, top = 640, 46, 14, 60
    y = top
    boxes = []
    for b in blocks:
        boxes.append((b, 40, y, width - 40, y + box_h))
        y += box_h + gap
    return width, y + 20, boxes


def render_svg(blocks: list[Block], title: str = "ResNet-50") -> str:
    from xml.sax.saxutils import escape

    width, height, boxes = _layout(blocks)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width // 2}" y="34" font-size="22" text-anchor="middle" font-weight="bold">{escape(title)}</text>']
    for i, (b, x0, y0, x1, y1) in enumerate(boxes):
        if i:
            parts.append(f'<line x1="{width // 2}" y1="{y0 - 14}" x2="{width // 2}" y2="{y0}" stroke="#555" stroke-width="2"/>')
        parts.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="6" fill="{_COLORS[b.kind]}" stroke="#555"/>')
        parts.append(f'<text x="{x0 + 10}" y="{y0 + 19}" font-size="14" font-weight="bold">{escape(b.title)}</text>')
        detail = b.detail + (f"  →  {b.output_shape}" if b.output_shape else "")
        parts.append(f'<text x="{x0 + 10}" y="{y0 + 37}" font-size="12">{escape(detail)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def render_png(blocks: list[Block], path: Path, title: str = "ResNet-50") -> None:
    from PIL import Image, ImageDraw, ImageFont

    width, height, boxes = _layout(blocks)
    scale = 2
    img = Image.new("RGB", (width * scale, height * scale), "white")
    d = ImageDraw.Draw(img)

    def font(size):
        try:
            return ImageFont.load_default(size=size * scale)
        except TypeError:  # very old Pillow
            return ImageFont.load_default()

    d.text((width * scale // 2, 34 * scale), title, fill="black", font=font(22), anchor="ms")
    for i, (b, x0, y0, x1, y1) in enumerate(boxes):
        if i:
            d.line([(width * scale // 2, (y0 - 14) * scale), (width * scale // 2, y0 * scale)], fill="#555555", width=2 * scale)
        d.rounded_rectangle([x0 * scale, y0 * scale, x1 * scale, y1 * scale], radius=6 * scale, fill=_COLORS[b.kind], outline="#555555", width=scale)
        d.text(((x0 + 10) * scale, (y0 + 6) * scale), b.title, fill="black", font=font(14))
        detail = b.detail + (f"  ->  {b.output_shape}" if b.output_shape else "")
        d.text(((x0 + 10) * scale, (y0 + 26) * scale), detail, fill="black", font=font(12))
    img.save(path)


def render(model, path: str | Path) -> Path:
    """Write the architecture picture to ``path``; the suffix picks PNG or SVG."""
    from core.errors import HandSignError

    path = Path(path)
    blocks = outline(model)
    title = f"ResNet-50  ·  input {tuple(model.input_shape[1:])}  ·  {model.count_params():,} parameters" if model is not None else "ResNet-50"
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise HandSignError(f"{path}: plot writes .png or .svg files")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".svg":
        path.write_text(render_svg(blocks, title), encoding="utf-8")
    else:
        render_png(blocks, path, title)
    return path
