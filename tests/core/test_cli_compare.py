"""``handsign compare``: its JSON contract on a small real run and its bad inputs, in a real process."""

from __future__ import annotations

import json

import pytest

from tests.core.test_cli import one_line_error, run


def test_compare_json_contract(signs_dir):
    proc = run("compare", "--epochs", "1", "--depth", "0", "--images", "24", "--batch-size", "12",
               "--data", str(signs_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["layers"]) == 13 and data["layers"][0] == "conv1"
    for net in ("residual", "plain"):
        h = data[net]
        assert len(h["loss"]) == len(h["accuracy"]) == len(h["val_accuracy"]) == 1
        assert len(h["grad_norms"]) == 2 and all(len(row) == 13 for row in h["grad_norms"])
    assert data["settings"]["epochs"] == 1 and data["settings"]["batchnorm"] is True
    assert data["seconds"] > 0


@pytest.mark.parametrize("args, reason", [
    (["--epochs", "0"], "epochs must be at least 1"),
    (["--depth", "-1"], "depth must be from 0 to 5"),
    (["--depth", "9"], "depth must be from 0 to 5"),
    (["--data", "/nonexistent/signs"], "no dataset at /nonexistent/signs"),
])
def test_compare_bad_inputs_one_line_each(args, reason):
    line = one_line_error(run("compare", *args))
    assert reason in line
