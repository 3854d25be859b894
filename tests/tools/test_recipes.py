"""The shipped-model recipe's command line: what reaches the training settings and the run card."""

from __future__ import annotations

import hashlib
import json

from tools.recipes import build_parser, recipe_command, ship_settings


def _args(*argv):
    return build_parser().parse_args(["ship", "--data", "D", *argv])


def test_ship_defaults_are_the_ship_preset_on_the_cpu():
    s = ship_settings(_args())
    assert (s.preset, s.epochs, s.learning_rate, s.device, s.zero_gamma) == ("ship", 40, 1e-3, "cpu", True)
    assert s.augment_level == "studio" and s.weights_dtype == "float16"
    assert ship_settings(_args("--no-zero-gamma")).zero_gamma is False  # the recipe before 2026-11-26


def test_zero_gamma_device_and_stage_flags_reach_the_settings():
    s = ship_settings(_args("--zero-gamma", "--device", "gpu:0", "--epochs", "35", "--lr", "5e-4", "--seed", "2"))
    assert (s.zero_gamma, s.device, s.epochs, s.learning_rate, s.seed) == (True, "gpu:0", 35, 5e-4, 2)


def test_the_run_card_records_a_command_that_reruns_the_stage():
    a = _args("--seed", "1")
    assert recipe_command(a, ship_settings(a)) == "python -m tools.recipes ship --seed 1 --epochs 40 --lr 0.001"
    a = _args("--no-zero-gamma", "--seed", "1")
    assert recipe_command(a, ship_settings(a)) == "python -m tools.recipes ship --seed 1 --epochs 40 --lr 0.001 --no-zero-gamma"
    # A later stage starts from the earlier stage's weights, so zero-gamma (an initialisation) is not repeated.
    b = _args("--zero-gamma", "--seed", "1", "--epochs", "30", "--lr", "3e-4", "--init-model", "s1.keras", "--device", "gpu:0")
    assert recipe_command(b, ship_settings(b)) == (
        "python -m tools.recipes ship --seed 1 --epochs 30 --lr 0.0003 --device gpu:0 --init-model s1.keras")


def _model_with_scores(path, **scores):
    from core.model.files import ModelInfo, save_model
    from tests.conftest import tiny_builder

    model = tiny_builder((16, 16, 3), 6)
    save_model(model, path, ModelInfo([str(i) for i in range(6)], (16, 16), run_card={"evaluation": scores}))
    return path


def test_a_candidate_is_installed_only_when_measurably_better_and_not_worse_on_signs(tmp_path):
    from core.model.files import read_info
    from tools.recipes import install_if_better

    shipped = _model_with_scores(tmp_path / "shipped.keras", signs_test=1.0, sld=0.95)
    before = shipped.read_bytes()
    # Better mean, but one SIGNS test image lost: stays out.
    worse_signs = _model_with_scores(tmp_path / "a.keras", signs_test=0.9917, sld=0.99)
    assert not install_if_better(worse_signs, shipped)
    # Better by no more than noise: stays out.
    same = _model_with_scores(tmp_path / "b.keras", signs_test=1.0, sld=0.953)
    assert not install_if_better(same, shipped)
    assert shipped.read_bytes() == before
    # Better mean and SIGNS test kept: installed, with a sidecar card carrying the file's hash.
    better = _model_with_scores(tmp_path / "c.keras", signs_test=1.0, sld=0.98)
    assert install_if_better(better, shipped)
    assert read_info(shipped).run_card["evaluation"]["sld"] == 0.98
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert card["file_sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()


def test_a_later_stage_carries_the_earlier_stages_cards(tmp_path):
    from core.model.files import ModelInfo, save_model
    from tests.conftest import tiny_builder
    from tools.recipes import stage_history

    def save(path, card):
        save_model(tiny_builder((16, 16, 3), 6), path, ModelInfo([str(i) for i in range(6)], (16, 16), run_card=card))
        return path

    first = save(tmp_path / "s0.keras", {"recipe": "stage 1", "duration_seconds": 600.0, "epochs": [{"epoch": 1}],
                                         "settings": {"zero_gamma": True}, "dataset": {"train": 10}})
    assert stage_history(first) == [{"recipe": "stage 1", "duration_seconds": 600.0, "epochs": [{"epoch": 1}],
                                     "settings": {"zero_gamma": True}}]
    second = save(tmp_path / "s1.keras", {"recipe": "stage 2", "duration_seconds": 300.0,
                                          "stages": stage_history(first)})
    assert [st["recipe"] for st in stage_history(second)] == ["stage 1", "stage 2"]


def test_issue_sign_accuracies_count_only_1_2_4_5_and_take_frames_truth_from_their_source():
    import numpy as np

    from core.data.splits import Split
    from tools.recipes import accuracies, issue_sign_accuracies

    def split(y):
        return Split(np.zeros((len(y), 2, 2, 3), np.uint8), np.asarray(y), [f"{i}.jpg" for i in range(len(y))])

    truth = [0, 1, 2, 3, 4, 5]
    evals = {"sld_val_persons": split(truth),
             "sld_val_persons_rooms": split(truth),
             "sld_val_persons_wall_frames": split([0, 1, -1, 3, 4, 5])}  # no hand found in the "2"
    predicted = {"sld_val_persons": np.array([0, 1, 2, 3, 4, 5]),
                 "sld_val_persons_rooms": np.array([5, 1, 2, 0, 4, 0]),  # wrong on 0, 3 and the 5
                 "sld_val_persons_wall_frames": np.array([0, 1, 2, 3, 4, 5])}
    assert accuracies(predicted, evals) == {"sld_val_persons": 1.0, "sld_val_persons_rooms": 0.5,
                                            "sld_val_persons_wall_frames": round(5 / 6, 4)}
    # Only 1, 2, 4, 5 count; the frame without a found hand stays wrong; plain splits are not reported.
    assert issue_sign_accuracies(predicted, evals) == {"sld_val_persons_rooms": 0.75,
                                                       "sld_val_persons_wall_frames": 0.75}
