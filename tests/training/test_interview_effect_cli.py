"""`vigie interview-effect` on a registered run: the queue replayed over its tested year."""

from __future__ import annotations

import json

import pytest
import typer
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from vigie.commands import interviews

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """Vigie (test app with the interview command only)."""

    interviews.register(application)
    return application


def test_the_command_prints_the_estimate_of_the_replayed_queue(app, trained) -> None:  # type: ignore[no-untyped-def]
    from training.evaluation import replay_frame
    from training.interview_effect import estimate_interview_effect, replay_ranking
    from training.logged import logged_predictions
    from wording.numbers import points

    predictions, _ = logged_predictions(MlflowClient(), trained.run_id)
    ranking = replay_ranking(replay_frame(predictions), 2.0)
    assert set(ranking["rank"][ranking["invited"]]) <= set(range(1, 1 + ranking["capacity"].max()))
    expected = estimate_interview_effect(ranking, 2.0, n_boot=50, seed=3)

    args = ["interview-effect", "--run", trained.run_id, "--bandwidth", "2", "--n-boot", "50",
            "--seed", "3", "--quiet"]  # fmt: skip
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["effect"] == pytest.approx(expected.effect)
    assert shown["interval"] == pytest.approx(list(expected.interval))
    assert shown["rows"] == expected.rows > 0

    french = runner.invoke(app, [*args, "--lang", "fr"])
    assert french.exit_code == 0, french.output
    assert "Effet : " + points(expected.effect, "fr") in french.output
    assert "intervalle à 95" in french.output
    english = runner.invoke(app, [*args, "--lang", "en"])
    assert "Effect: " + points(expected.effect, "en") in english.output
    assert "should cover 0" in english.output


def test_an_unknown_score_is_named(app, trained) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["interview-effect", "--run", trained.run_id, "--score", "oracle"])
    assert result.exit_code == 1
    assert "'oracle'" in result.output
