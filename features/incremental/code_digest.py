"""The digest of the code a weekly state depends on: the contract, the validation and the
feature steps (every `.py` and `.sql` file of the `features` package but the synthetic
académie's generator).

A state keeps fingerprints checked by the validation rules and sums computed by the feature
steps of the Vigie that wrote it. After an upgrade that changes either, last week's state no
longer says what this code would say of the same rows (a new rule, another usable mark, a
school calendar corrected), so the week is validated and aggregated whole once and keeps a
state of the new code: the same lists as a full run, at the price of one slower week. Any
change of those files counts, comments included: telling which changes matter is not worth
the risk.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

__all__ = ["feature_code_digest"]

# Folders of the package whose code writes no state: the synthetic académie's generator.
_LEFT_OUT = frozenset({"synth"})


@cache
def feature_code_digest(root: Path | None = None) -> str:
    """SHA-256 of the `.py` and `.sql` files under `root` (the `features` package by default;
    `__pycache__` and the generator left out), each file's path relative to `root` and its
    bytes, in path order."""
    root = root or Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    paths = sorted(
        path
        for path in root.rglob("*")
        if path.suffix in {".py", ".sql"}
        and path.is_file()
        and not {"__pycache__", *_LEFT_OUT} & set(path.relative_to(root).parts[:-1])
    )
    for path in paths:
        relative = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        digest.update(len(relative).to_bytes(8, "big") + relative)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()
