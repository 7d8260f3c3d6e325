"""`vigie dashboard`: the command registers, documents its options and serves the entry
file with Streamlit on loopback, usage statistics off."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from app_dashboard.serve import ENTRY, streamlit_command
from vigie.commands.dashboard import register


def test_the_command_documents_its_port() -> None:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Two commands need a callback for Typer to keep the subcommand name."""

    result = CliRunner().invoke(app, ["dashboard", "--help"])
    assert result.exit_code == 0, result.output
    assert "--port" in result.output and "8501" in result.output
    assert CliRunner().invoke(app, ["dashboard", "--port", "0"]).exit_code == 2


def test_streamlit_serves_the_entry_file_on_the_given_interface() -> None:
    command = streamlit_command("127.0.0.1", 8765)
    assert command[1:3] == ["-m", "app_dashboard.serve"]
    assert ENTRY.name == "streamlit_app.py" and ENTRY.is_file()
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--browser.gatherUsageStats"] == "false"


def test_the_warm_up_loads_the_pages_modules_and_survives_a_broken_store(
    tmp_path: Path, monkeypatch
) -> None:
    import subprocess
    import sys

    # A fresh interpreter: the warm-up imports what the pages need and opens MLflow's stores
    # (here an empty one: no champion yet), and never raises.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    script = (
        "import sys; from app_dashboard.serve import warm_up; warm_up(); "
        "assert {'mlflow.tracking', 'models.pyfunc', 'altair'} <= set(sys.modules); "
        "print('warm')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "warm", done.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blocker / 'mlflow.db'}")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0 and "warm-up failed" in done.stderr, done.stderr
