"""The side-by-side runner: an exported revision's code is what its child processes import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.compare import (
    Side,
    check_resolution,
    compare,
    export_revision,
    packages,
    pooled,
    resolved_modules,
    vigie_command,
    with_current_harness,
)


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, mark: str) -> str:
    # `features` is also a package of the editable install: the export must win over it.
    (repo / "features").mkdir(exist_ok=True)
    (repo / "features" / "__init__.py").write_text(f"MARK = {mark!r}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", mark)
    return _git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    _git(folder, "init", "-q")
    return folder


def test_a_child_of_the_exported_side_imports_the_revision_code(repo: Path, tmp_path: Path):
    first = _commit(repo, "first")
    _commit(repo, "second")
    side = export_revision(first, tmp_path / "work", repo=repo)

    assert side.label == first[: len(side.label)]
    assert packages(side.root) == ["features"]
    mark = subprocess.run(
        [sys.executable, "-c", "import features; print(features.MARK)"],
        cwd=side.root, env=side.environment(), check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert mark == "first"
    # as the `vigie` console script would import it too (its folder first on sys.path)
    files = resolved_modules(side, ["features"], Path(sys.executable).parent)
    assert files["features"] == str(side.root / "features" / "__init__.py")
    check_resolution(side)


def test_the_vigie_command_of_an_exported_side_runs_its_cli(repo: Path, tmp_path: Path):
    (repo / "vigie").mkdir()
    (repo / "vigie" / "__init__.py").write_text("")
    (repo / "vigie" / "cli.py").write_text(
        "import sys\nfrom features import MARK\n\n\n"
        "def main():\n    print(MARK, *sys.argv[1:])\n    return 3\n"
    )
    first = _commit(repo, "first")
    _commit(repo, "second")
    side = export_revision(first, tmp_path / "work", repo=repo)

    completed = subprocess.run(
        vigie_command("api", "--port", "1"), cwd=side.root, env=side.environment(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert (completed.stdout.strip(), completed.returncode) == ("first api --port 1", 3)


def test_an_export_left_half_written_is_made_again(repo: Path, tmp_path: Path):
    first = _commit(repo, "first")
    side = export_revision(first, tmp_path / "work", repo=repo)
    (side.root / ".exported").unlink()
    (side.root / "features" / "__init__.py").write_text("MARK = 'broken'\n")

    again = export_revision(first, tmp_path / "work", repo=repo)

    assert again == side
    assert (again.root / "features" / "__init__.py").read_text() == "MARK = 'first'\n"


def test_a_package_imported_from_elsewhere_is_named(tmp_path: Path):
    root = tmp_path / "tree"
    (root / "features").mkdir(parents=True)
    (root / "features" / "__init__.py").write_text("")
    # a module of the same name, imported at start-up, shadows the tree's package
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "sitecustomize.py").write_text(
        f"import sys\nsys.path.insert(0, {str(shadow / 'lib')!r})\nimport features\n"
    )
    (shadow / "lib").mkdir()
    (shadow / "lib" / "features.py").write_text("")

    class Shadowed(Side):
        def environment(self, base=None):
            environment = super().environment(base)
            environment["PYTHONPATH"] = f"{shadow}:{self.root}"
            return environment

    with pytest.raises(SystemExit, match=r"package features is imported from .*shadow"):
        check_resolution(Shadowed("tree", root))


def _weekly_report(seconds: float, p99: float, statuses: dict[str, int]) -> dict:
    run = {"seconds": seconds, "peak_rss_mb": 900.0, "stages": {"features": seconds / 2}}
    api = {"p50_ms": p99 / 4, "p99_ms": p99, "requests_per_s": 100.0, "statuses": statuses}
    return {"weekly_runs": [run], "api": api, "api_runs": [api]}


def test_medians_over_rounds_and_ratio_earlier_over_current():
    earlier = pooled(
        [_weekly_report(30.0, 80.0, {"200": 10}), _weekly_report(50.0, 40.0, {"200": 9})],
        "weekly",
    )
    current = pooled(
        [_weekly_report(20.0, 60.0, {"200": 8, "500": 2}), _weekly_report(20.0, 20.0, {})],
        "weekly",
    )

    rows = {row["figure"]: row for row in compare(earlier, current)}

    whole = rows["weekly run: whole (s)"]
    assert (whole["earlier"], whole["current"], whole["runs"]) == (40.0, 20.0, [2, 2])
    assert whole["earlier_over_current"] == pytest.approx(2.0)
    assert rows["weekly run: features (s)"]["earlier_over_current"] == pytest.approx(2.0)
    assert rows["list endpoint: p99 (ms)"]["earlier_over_current"] == pytest.approx(60 / 40)
    assert rows["list endpoint: non-200 answers"]["current"] == 1.0


def test_dashboard_first_visit_after_start_is_kept_apart():
    reports = [
        {"runs_s": {"audit_s": [9.0, 2.0, 4.0]}},
        {"runs_s": {"audit_s": [7.0, 3.0]}},
    ]

    figures = pooled(reports, "dashboard")

    assert figures == {"audit_s (first after start)": [9.0, 7.0], "audit_s": [2.0, 4.0, 3.0]}


def test_the_current_harness_drives_the_revision_code(repo: Path, tmp_path: Path):
    (repo / "bench").mkdir()
    (repo / "bench" / "__init__.py").write_text("HARNESS = 'old'\n")
    first = _commit(repo, "first")
    side = with_current_harness(export_revision(first, tmp_path / "work", repo=repo), tmp_path)

    code = "import bench.compare, features; print(features.MARK, bench.compare.__name__)"
    printed = subprocess.run(
        [sys.executable, "-c", code], cwd=side.root, env=side.environment(),
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip

    assert printed == "first bench.compare"
    assert not (side.root / "bench" / "results").exists()
    check_resolution(side)
