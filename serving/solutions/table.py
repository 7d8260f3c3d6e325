"""The eligibility rules in use: the académie's table (`VIGIE_SOLUTION_RULES`, checked at
start by the settings) or the shipped one. Read again only when the file changes."""

from __future__ import annotations

import functools
from pathlib import Path

from models.solutions.rules import RuleTable, load_rules
from settings import load_settings

__all__ = ["rules_in_use"]


@functools.lru_cache(maxsize=4)
def _table(path: Path | None, identity: tuple[int, int] | None) -> RuleTable:
    return load_rules(path)


def rules_in_use() -> RuleTable:
    path = load_settings().solution_rules
    if path is None:
        return _table(None, None)
    stat = Path(path).stat()
    return _table(path, (stat.st_mtime_ns, stat.st_size))
