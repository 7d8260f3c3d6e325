"""The packages depend on one another one way: wording < features < models < training <
serving, then the dashboard; the command line (`vigie`) sits on top and is imported by none
of them (the library reports progress through `features.progress`, the dashboard's server is
`app_dashboard.serve`, which the command calls). Every import counts, including the ones made
inside functions or for type checking only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Lowest first: a package may import the ones before it, never the ones after.
LAYERS = (
    "wording",
    "features",
    "models",
    "settings",
    "training",
    "serving",
    "app_dashboard",
    "vigie",
)
# Modules a lower package may still import from a higher one: none.
ALLOWED: set[str] = set()


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(package: str) -> list[str]:
    """`file:line module` for each import of `package` from a package above it."""
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    wrong = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] in above and module not in ALLOWED:
                wrong.append(f"{path.relative_to(REPO)}:{line} {module}")
    return wrong


def test_the_rule_sees_an_upward_import(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import features.catalog\n"
        "if TYPE_CHECKING:\n"
        "    from vigie.progress import reporting\n"
        "def f():\n"
        "    import app_dashboard.serve\n"
        "    from . import sibling\n"
    )
    modules = [module for _, module in imported_modules(source)]
    assert modules == ["typing", "features.catalog", "vigie.progress", "app_dashboard.serve"]


@pytest.mark.parametrize("package", LAYERS[:-1])
def test_no_package_imports_one_above_it(package: str) -> None:
    assert upward_imports(package) == []
