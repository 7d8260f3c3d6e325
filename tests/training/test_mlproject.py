"""The MLproject entry point runs `vigie train` under `mlflow run` as one tracked run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mlflow.tracking import MlflowClient

from training.tracking import COMPARISON_ARTIFACT, ensure_experiment

REPOSITORY = Path(__file__).resolve().parents[2]


def test_mlflow_run_train_entry_point(
    mlflow_home: Path, tiny_academie: Path, tmp_path: Path
) -> None:
    config = tmp_path / "fast.yaml"
    config.write_text(
        "n_boot: 20\nlightgbm:\n  num_boost_round: 30\nregistered_model_name: mlproject-model\n"
    )
    # Created beforehand with the home's artifact root: one `mlflow run` would create keeps
    # its artifacts in the working directory, here the checkout.
    ensure_experiment("mlproject", mlflow_home)
    scripts = Path(sys.executable).parent  # `mlflow` and the `vigie` the project calls
    mlflow = scripts / "mlflow"
    environment = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(
        [str(mlflow), "run", str(REPOSITORY), "-e", "train", "--env-manager", "local",
         "--experiment-name", "mlproject", "-P", f"data={tiny_academie}",
         "-P", f"config={config}"],
        capture_output=True, text=True, timeout=300, cwd=REPOSITORY, env=environment,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("mlproject").experiment_id])
    assert len(runs) == 1  # the project's run is the training run
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.tags["vigie.run_kind"] == "train"
    assert COMPARISON_ARTIFACT in {
        item.path for item in client.list_artifacts(run.info.run_id, "comparison")
    }
    assert run.data.tags.get("vigie.registered_version")
