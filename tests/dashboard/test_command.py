"""`vigie dashboard`: the command registers, documents its options and serves the entry
file with Streamlit on loopback, usage statistics off."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from vigie.commands.dashboard import register, streamlit_command


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
    entry = Path(command[command.index("run") + 1])
    assert entry.name == "streamlit_app.py" and entry.is_file()
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--browser.gatherUsageStats"] == "false"
