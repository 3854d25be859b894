"""Model tab: the summary table (177 rows, 23,600,006 parameters, like `handsign summary`) and the picture."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_for


@pytest.fixture
def model_window(make_window, qtbot):
    """The window as it opens: the shipped model, or (while it is missing) the bare ResNet-50."""
    win = make_window()
    wait_for(qtbot, lambda: win.model_tab.report is not None, timeout=90_000)
    win.tabs.setCurrentWidget(win.model_tab)
    # On the LiteRT engine the tab first shows the metadata; showing it asks for the Keras summary (background).
    wait_for(qtbot, lambda: bool(win.model_tab.report.summary), timeout=120_000)
    return win


def test_summary_table_has_177_rows_and_23_600_006_parameters(model_window):
    import json
    import subprocess
    import sys
    from pathlib import Path

    tab = model_window.model_tab
    assert tab.proxy.rowCount() == 177
    assert "Total params: 23,600,006" in tab.totals.text()
    args = [sys.executable, "-m", "core", "summary", "--json"]
    if tab.report.path is not None:
        args += ["--model", str(tab.report.path)]
    # In a fresh process: Keras numbers auto-named layers (activation_12) per process.
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = json.loads(proc.stdout.strip().splitlines()[-1])
    names = [tab.proxy.index(r, 1).data() for r in range(tab.proxy.rowCount())]
    assert names == [layer["name"] for layer in expected["layers"]]
    assert f"Trainable params: {expected['trainable_params']:,}" in tab.totals.text()
    row = names.index("res2a_branch2a")
    assert tab.proxy.index(row, 2).data() == "Conv2D"
    assert tab.proxy.index(row, 3).data() == expected["layers"][row]["output_shape"]
    assert tab.proxy.index(row, 4).data() == f"{expected['layers'][row]['params']:,}"
    assert tab.proxy.index(row, 5).data() == ", ".join(expected["layers"][row]["connected_to"])


def test_search_and_sort(model_window):
    from PySide6.QtCore import Qt

    tab = model_window.model_tab
    tab.search.setText("res2a_")  # searches every column: the 4 conv layers and the 4 batch norms fed by them
    names = [tab.proxy.index(r, 1).data() for r in range(tab.proxy.rowCount())]
    assert sorted(names) == sorted([f"{p}2a_branch{b}" for p in ("res", "bn") for b in ("2a", "2b", "2c", "1")])
    tab.search.setText("dense")
    assert tab.proxy.rowCount() == 1
    tab.search.clear()
    tab.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # by parameters, numerically
    params = [int(tab.proxy.index(r, 4).data().replace(",", "")) for r in range(tab.proxy.rowCount())]
    assert params == sorted(params, reverse=True) and params[0] == 3 * 3 * 512 * 512 + 512  # a 3x3 conv of stage 5
    tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert tab.proxy.index(0, 1).data() == "input_layer"


def test_architecture_picture_and_block_selection(model_window):
    tab = model_window.model_tab
    keys = [b.key for b in tab.arch.blocks]
    assert keys[0] == "stem" and keys[-1] == "head"
    assert [k for k in keys if k.endswith("a") and k[0].isdigit()] == ["2a", "3a", "4a", "5a"]
    assert len([b for b in tab.arch.blocks if b.kind == "identity"]) == 2 + 3 + 5 + 2
    assert [title.split("\n")[0] for title, _ in tab.arch.columns] == ["Stem", "Stage 2", "Stage 3", "Stage 4", "Stage 5", "Head"]
    assert "64 · 64 · 256" in tab.arch.columns[1][0] and "512 · 512 · 2048" in tab.arch.columns[4][0]
    # Click block 3a in the picture: its rows are selected in the table.
    rect = tab.arch._rects["3a"]
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from pytestqt.qtbot import QtBot  # noqa: F401  (qtbot is a fixture; use QTest directly)

    QTest.mouseClick(tab.arch, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(rect.center().x()), int(rect.center().y())))
    selected = [r.data() for r in tab.table.selectionModel().selectedRows(1)]
    block = next(b for b in tab.arch.blocks if b.key == "3a")
    assert tab.arch.selected == "3a" and sorted(selected) == sorted(block.layers)
    assert "res3a_branch1" in selected and all("3a" in n or n.startswith(("add", "activation")) for n in selected)
    assert sum(len(b.layers) for b in tab.arch.blocks) == 177


def test_training_text_counts_every_stage_of_a_staged_model():
    import json
    from pathlib import Path

    from gui.tabs.model.view import ModelTab

    one = {"settings": {"batch_size": 32, "learning_rate": 0.001}, "seed": 0, "epochs": [{}] * 3}
    assert ModelTab._training_text(one) == "trained 3 epochs, batch 32, learning rate 0.001, seed 0"
    assert ModelTab._training_text(dict(one, epochs=[{}])).startswith("trained 1 epoch, ")
    # The shipped model's card is its last stage's, with the earlier stages listed: all of them are counted.
    card = json.loads((Path(__file__).resolve().parents[2] / "assets/models/handsign_resnet50.json").read_text())
    stages = card["stages"]
    total = len(card["epochs"]) + sum(len(s["epochs"]) for s in stages)
    text = ModelTab._training_text(card)
    assert text.startswith(f"trained in {len(stages) + 1} stages, {total} epochs in all (the last: "
                           f"{len(card['epochs'])} epochs, batch 32")
