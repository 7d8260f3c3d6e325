"""The digest of the validation and feature code a weekly state is kept with."""

from __future__ import annotations

import shutil
from pathlib import Path

import features
from features.incremental.code_digest import feature_code_digest


def _tree(root: Path) -> Path:
    (root / "sql").mkdir(parents=True)
    (root / "synth").mkdir()
    (root / "__pycache__").mkdir()
    (root / "builder.py").write_text("STEPS = ('attendance_days',)\n")
    (root / "sql" / "attendance_days.sql").write_text("SELECT 1\n")
    (root / "synth" / "generator.py").write_text("RATE = 0.1\n")
    (root / "__pycache__" / "builder.cpython-311.pyc").write_bytes(b"\x00")
    (root / "notes.txt").write_text("not code\n")
    return root


def test_the_digest_changes_with_any_step_or_rule_file_only(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base")
    digest = feature_code_digest(base)
    assert len(digest) == 64 and digest == feature_code_digest(_tree(tmp_path / "copy"))

    def changed(name: str, edit: str) -> str:
        root = tmp_path / name
        shutil.copytree(base, root)
        path = root / edit
        path.write_bytes(path.read_bytes() + b"-- a comment\n")
        return feature_code_digest(root)

    # A step's SQL or a module, even by a comment: another digest.
    assert changed("sql", "sql/attendance_days.sql") != digest
    assert changed("module", "builder.py") != digest
    # The generator, compiled files and other files: the same.
    assert changed("synth", "synth/generator.py") == digest
    assert changed("compiled", "__pycache__/builder.cpython-311.pyc") == digest
    assert changed("text", "notes.txt") == digest
    # A file moved to another folder: another digest (paths are part of it).
    moved = tmp_path / "moved"
    shutil.copytree(base, moved)
    (moved / "sql" / "attendance_days.sql").rename(moved / "attendance_days.sql")
    assert feature_code_digest(moved) != digest


def test_the_package_digest_covers_the_validation_and_the_steps() -> None:
    package = Path(features.__file__).resolve().parent
    assert (package / "validation" / "runner.py").is_file()
    assert (package / "sql" / "absence_runs.sql").is_file()
    assert feature_code_digest() == feature_code_digest(package)
