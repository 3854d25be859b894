"""Fine-tuning on a few collected samples: ``handsign train --preset finetune --init-model M --data DIR``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.cli import main
from core.errors import HandSignError
from core.training.data import load_training_data
from core.training.presets import PRESETS, settings_for
from tests.conftest import write_image


def _samples(root, per_class: int, classes=("0", "1", "2", "3", "4", "5")):
    rng = np.random.default_rng(0)
    for c in classes:
        for i in range(per_class):
            write_image(root / c / f"{i}.jpg", rng.integers(0, 255, (80, 80, 3), dtype=np.uint8))
    return root


def test_a_handful_of_samples_per_class_all_train(tmp_path):
    data = _samples(tmp_path / "few", per_class=6)
    ds = load_training_data(data, settings_for("finetune"))
    assert len(ds.test) == 0 and len(ds.val) == 0
    assert len(ds.train) == 36
    # The standard preset, on the same files, sets a test split aside.
    assert len(load_training_data(data, settings_for("standard")).test) > 0


def test_enough_samples_per_class_keep_a_test_split(tmp_path):
    data = _samples(tmp_path / "many", per_class=20, classes=("0", "1"))
    ds = load_training_data(data, settings_for("finetune"))
    assert len(ds.test) == 2 * 3 and len(ds.train) + len(ds.val) + len(ds.test) == 40


def test_more_samples_get_fewer_epochs_so_a_fine_tune_waits_about_as_long():
    ft, budget = settings_for("finetune"), PRESETS["finetune"]["max_steps"]
    assert ft.for_images(60).epochs == ft.for_images(54).epochs == 30  # 10 a class: every epoch
    assert ft.for_images(120).epochs == 16  # 15 batches of 8 an epoch
    assert ft.for_images(240).epochs == 8 and ft.for_images(100_000).epochs == 1
    for n in (60, 120, 240, 600, 1000):
        per_epoch = -(-n // ft.batch_size)
        assert budget <= per_epoch * ft.for_images(n).epochs < budget + per_epoch, n
    standard = settings_for("standard")
    assert standard.for_images(100_000) is standard  # no budget: the epochs asked for
    asked = settings_for("finetune", epochs=5)  # epochs given: no budget, for the CLI, the app and bench alike
    assert asked.max_steps == 0 and asked.for_images(100_000).epochs == 5


def test_a_negative_step_budget_is_a_clear_error():
    with pytest.raises(HandSignError, match="most batches"):
        settings_for("finetune", max_steps=-1).validate()


def test_cli_finetune_on_many_samples_runs_fewer_epochs_unless_epochs_are_given(tiny_model_file, tmp_path):
    data = _samples(tmp_path / "many", per_class=19)  # 114 images (no test split below 20): 15 batches of 8
    out = tmp_path / "tuned.keras"
    assert main(["train", "--preset", "finetune", "--init-model", str(tiny_model_file), "--data", str(data),
                 "--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["dataset"]["train"] == 114 and card["settings"]["max_steps"] == PRESETS["finetune"]["max_steps"]
    assert card["settings"]["epochs"] == len(card["epochs"]) == 16
    asked = tmp_path / "asked.keras"
    assert main(["train", "--preset", "finetune", "--init-model", str(tiny_model_file), "--data", str(data),
                 "--epochs", "2", "--out", str(asked)]) == 0
    card = json.loads(asked.with_suffix(".json").read_text())
    assert card["settings"]["max_steps"] == 0 and card["settings"]["epochs"] == len(card["epochs"]) == 2


def test_cli_finetunes_a_model_on_collected_samples(tiny_model_file, tmp_path, capsys):
    # Samples for three of the model's six classes, and a stray folder that is not a class of it.
    data = _samples(tmp_path / "collected", per_class=5, classes=("0", "2", "5", "junk"))
    out = tmp_path / "tuned.keras"
    rc = main(["train", "--preset", "finetune", "--init-model", str(tiny_model_file), "--data", str(data),
               "--epochs", "1", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["status"] == "completed" and card["initial_model"] == str(tiny_model_file)
    assert card["settings"]["preset"] == "finetune" and card["settings"]["learning_rate"] == PRESETS["finetune"]["learning_rate"]
    assert card["settings"]["augment"] is True and card["settings"]["augment_level"] == "basic"
    assert card["dataset"]["test"] == 0 and card["dataset"]["val"] == 0 and card["dataset"]["train"] == 15
    assert card["class_names"] == [str(i) for i in range(6)] and card["input_size"] == [64, 64]


def test_cli_finetune_without_an_init_model_starts_from_the_shipped_model(tmp_path, capsys):
    from core.paths import shipped_model_path

    data = _samples(tmp_path / "collected", per_class=3, classes=("1", "4"))
    out = tmp_path / "tuned.keras"
    rc = main(["train", "--preset", "finetune", "--data", str(data), "--epochs", "1", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["initial_model"] == str(shipped_model_path()) and card["input_size"] == [64, 64]
    assert "fine-tuning the shipped model" in capsys.readouterr().out
