"""The training configuration: defaults, overrides, and refusals that name the key and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import TrainConfig, TrainConfigError, load_train_config


def test_defaults_are_valid_and_deterministic() -> None:
    config = load_train_config()
    assert config == TrainConfig()
    assert config.cadence == "monthly" and config.test_cadence == "weekly"
    assert config.cv == "temporal"
    assert config.lightgbm.deterministic and config.lightgbm.num_threads >= 1
    assert config.list_rules == ("k", "2k", "5%")
    assert config.registered_model_name == "vigie-dropout"


def test_file_then_dotted_overrides(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("seed: 3\nlightgbm:\n  num_leaves: 31\n  learning_rate: 0.1\ncv: backtest:2\n")
    config = load_train_config(path, {"lightgbm.num_leaves": 9, "seed": None})
    assert config.seed == 3  # None overrides are ignored
    assert config.lightgbm.num_leaves == 9
    assert config.lightgbm.learning_rate == 0.1
    assert config.cv_spec.kind == "backtest" and config.cv_spec.backtest == 2


def test_cv_is_normalised() -> None:
    assert load_train_config(None, {"cv": " KFOLD:10x5 "}).cv == "kfold:10x5"


@pytest.mark.parametrize(
    ("content", "key", "why"),
    [
        ("lightgbm:\n  num_leavs: 31\n", "lightgbm.num_leavs", "unknown key"),
        ("lightgbm:\n  num_leaves: many\n", "lightgbm.num_leaves", "valid integer"),
        ("calibration: sigmoid\n", "calibration", "'auto', 'isotonic' or 'platt'"),
        ("cv: random\n", "cv", "cannot read the cv spec"),
        ("list_rules: [k, top10]\n", "list_rules", "not list rules"),
        ("n_boot: 0\n", "n_boot", "greater than or equal to 10"),
        ("cadence: daily\n", "cadence", "'weekly' or 'monthly'"),
    ],
)
def test_bad_file_names_the_key_and_why(tmp_path: Path, content: str, key: str, why: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(TrainConfigError) as caught:
        load_train_config(path)
    message = str(caught.value)
    assert f"  {key}:" in message
    assert why in message
    assert str(path) in message


def test_every_bad_key_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("seed: -1\nlightgbm:\n  learning_rate: 2\n")
    with pytest.raises(TrainConfigError) as caught:
        load_train_config(path)
    message = str(caught.value)
    assert "  seed:" in message and "  lightgbm.learning_rate:" in message


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainConfigError, match="does not exist"):
        load_train_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("lightgbm: [unclosed\n")
    with pytest.raises(TrainConfigError, match="not valid YAML"):
        load_train_config(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(TrainConfigError, match="mapping"):
        load_train_config(listed)


def test_bad_override_names_the_key() -> None:
    with pytest.raises(TrainConfigError, match=r"lightgbm\.num_threads"):
        load_train_config(None, {"lightgbm.num_threads": 0})


def test_the_spelled_out_default_file_matches_the_defaults() -> None:
    path = Path(__file__).parents[2] / "training" / "default_config.yaml"
    assert load_train_config(path) == TrainConfig()


def test_monotone_constraints_are_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    assert TrainConfig().lightgbm.booster_params()["monotone"] is True
    free = tmp_path / "free.yaml"
    free.write_text("lightgbm:\n  monotone: false\n")
    assert load_train_config(free).lightgbm.booster_params()["monotone"] is False
    with pytest.raises(TrainConfigError, match=r"lightgbm\.monotone"):
        load_train_config(None, {"lightgbm.monotone": "sometimes"})
